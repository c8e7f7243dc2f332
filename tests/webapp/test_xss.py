"""50 XSS payloads in every text field: stored exactly, never rendered unescaped, never run in chromium.

Fields: destination name, names (en, id), description, website and image URL
(as http links; ``javascript:``/``data:`` links are refused), closure reason,
featured route name/names/description/descriptions, staff user names (shown in
the users page and as "who" in histories). Pages: the public map (Folium
popups and tooltips, the JSON it embeds, the search list, the featured routes
list), the admin list, forms (also re-shown with errors), histories, closures,
users, import report. In HTML every payload that holds ``< > " ' &`` must appear
only escaped; no page may carry an event-handler attribute, a ``javascript:``
link or an element such as iframe/object/embed/base that data could inject.
Headless chromium then opens the pages, opens every popup and tooltip and
searches the list: no dialog (alert/confirm/prompt), no script error, no
Content-Security-Policy violation (one would mean injected markup was blocked).
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading

import pytest
from fixtures_db import add_user, make_staff_app
from lxml import html as lxml_html

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "<svg/onload=alert(4)>",
    "<body onload=alert(5)>",
    "<iframe src=javascript:alert(6)>",
    "javascript:alert(7)",
    "JaVaScRiPt:alert(8)",
    '"><script>alert(9)</script>',
    "'><script>alert(10)</script>",
    '" onmouseover="alert(11)',
    "' onfocus='alert(12)' autofocus='",
    '" autofocus onfocus=alert(13) x="',
    "</script><script>alert(14)</script>",
    "</textarea><script>alert(15)</script>",
    "</title><script>alert(16)</script>",
    "</style><script>alert(17)</script>",
    "`${alert(18)}`",
    "${alert(19)}",
    "`-alert(20)-`",
    "';alert(21);//",
    '";alert(22);//',
    '\\";alert(23);//',
    "{{7*7}}{{ config }}",
    "{% raw %}{{ 7*7 }}",
    '<a href="javascript:alert(24)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(25)>",
    "<details open ontoggle=alert(26)>",
    "<input autofocus onfocus=alert(27)>",
    "<video><source onerror=alert(28)>",
    '<object data="javascript:alert(29)">',
    "<embed src=javascript:alert(30)>",
    "<marquee onstart=alert(31)>",
    '<div style="background:url(javascript:alert(32))">',
    "&lt;script&gt;alert(33)&lt;/script&gt;",
    "&#60;script&#62;alert(34)&#60;/script&#62;",
    "<scr<script>ipt>alert(35)</scr</script>ipt>",
    "<!--<img src=x onerror=alert(36)>-->",
    "<![CDATA[<script>alert(37)</script>]]>",
    '<img src="x` `<script>alert(38)</script>"` `>',
    "\u2028\u2029<script>alert(39)</script>",
    "<svg><script>alert&#40;40&#41;</script>",
    '<base href="javascript:alert(41)//">',
    "<form action=javascript:alert(42)><button>x</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(43)">',
    "<link rel=import href=data:text/html,<script>alert(44)</script>>",
    "data:text/html,<script>alert(45)</script>",
    '"-alert(46)-"',
    "'-alert(47)-'",
    "<img src=x:alert(48) onerror=eval(src)>",
]
assert len(PAYLOADS) == 50 and len(set(PAYLOADS)) == 50
SPECIAL = [p for p in PAYLOADS if any(c in p for c in "<>\"'&")]

STREET = [24.9446, 60.1672]  # a point on a street of the demo network (Helsinki)


def _point(i: int) -> list[float]:
    return [round(24.935 + (i % 10) * 0.0015, 6), round(60.165 + (i // 10) * 0.0012, 6)]


def _closure(reason: str) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": STREET},
        "properties": {"kind": "hazard", "reason": reason},
    }


def _link(p: str) -> str:
    return "https://example.org/?q=" + p.replace(" ", "%20").replace("\u2028", "%E2%80%A8").replace(
        "\u2029", "%E2%80%A9"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_net):
    """The staff app with every payload in every field, and its data ids."""
    app = make_staff_app(f"sqlite:///{tmp_path_factory.mktemp('xss') / 'db.sqlite3'}", demo_net)
    admin = {"Authorization": "Bearer " + add_user(app, "ada", "admin", "admin-pass")}
    c = app.test_client()
    ids, closures, featured, users = [], [], [], []
    route = c.get("/api/route?from=60.1699,24.9384&to=60.1660,24.9500").get_json()
    for i, p in enumerate(PAYLOADS):
        made = c.post(
            "/api/destinations",
            headers=admin,
            json={
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _point(i)},
                "properties": {
                    "name": p,
                    "names": {"id": p, "en": p},
                    "description": p,
                    "category": "culture",
                    "website": _link(p),
                    "image_url": _link(p),
                    "published": True,
                },
            },
        )
        assert made.status_code == 201, (p, made.get_json())
        ids.append(made.get_json()["id"])
        cl = c.post("/api/closures", headers=admin, json=_closure(p))
        assert cl.status_code == 201, (p, cl.get_json())
        closures.append(cl.get_json()["id"])
        feat = {
            **route,
            "properties": {
                **route["properties"],
                "name": p,
                "names": {"id": p},
                "description": p,
                "descriptions": {"id": p},
                "published": True,
            },
        }
        fr = c.post("/api/featured", headers=admin, json=feat)
        assert fr.status_code == 201, (p, fr.get_json())
        featured.append(fr.get_json()["id"])
    # staff whose names are payloads: each edits a destination, so histories show them as "who"
    for i, p in enumerate(PAYLOADS[:20]):
        token = add_user(app, p, "editor", "editor-pass")
        users.append(p)
        etag = c.get(f"/api/destinations/{ids[i]}", headers=admin).headers["ETag"]
        r = c.patch(
            f"/api/destinations/{ids[i]}",
            json={"visit_minutes": 30},
            headers={"Authorization": f"Bearer {token}", "If-Match": etag},
        )
        assert r.status_code == 200, r.get_json()
    yield {"app": app, "admin": admin, "ids": ids, "closures": closures, "featured": featured, "users": users}
    app.extensions["bikemap_db"].dispose()


def _login(client, name="ada", password="admin-pass"):
    csrf_t = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    assert (
        client.post("/admin/login", data={"csrf_token": csrf_t, "name": name, "password": password}).status_code == 302
    )
    return client.get("/api/featured/session").get_json()["csrf"]


# ----------------------------------------------------------------------------- stored exactly


def test_payloads_are_stored_exactly(site):
    c = site["app"].test_client()
    for p, dest_id, fid in zip(PAYLOADS, site["ids"], site["featured"], strict=True):
        d = c.get(f"/api/destinations/{dest_id}", headers=site["admin"]).get_json()["properties"]
        assert (d["name"], d["names"], d["description"]) == (p.strip(), {"id": p.strip(), "en": p.strip()}, p)
        assert d["website"] == d["image_url"] == _link(p)
        f = c.get(f"/api/featured/{fid}", headers=site["admin"]).get_json()["properties"]
        assert (f["name"], f["names"], f["description"], f["descriptions"]) == (
            p.strip(),
            {"id": p.strip()},
            p.strip(),
            {"id": p.strip()},
        )
    reasons = {f["id"]: f["properties"]["reason"] for f in c.get("/api/closures").get_json()["features"]}
    assert [reasons[i] for i in site["closures"]] == [p.strip() for p in PAYLOADS]
    hist = c.get(f"/api/destinations/{site['ids'][0]}/history", headers=site["admin"]).get_json()["changes"]
    assert hist[-1]["who"] == PAYLOADS[0]


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "java\tscript:alert(1)",
    ],
)
def test_script_links_are_refused(site, link):
    c = site["app"].test_client()
    for field in ("website", "image_url"):
        r = c.post(
            "/api/destinations",
            headers=site["admin"],
            json={
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _point(0)},
                "properties": {"name": "x", "category": "culture", field: link},
            },
        )
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"]


# ----------------------------------------------------------------------------- rendered escaped


BAD_TAGS = {
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "svg",
    "math",
    "marquee",
    "details",
    "video",
    "audio",
    "source",
    "meta",
}


def map_script(client, page: str) -> str:
    """The Folium script of a map page (``/map/<lang>/<key>.js``: the page itself has no inline script)."""
    url = re.search(r'<script src="(/map/[^"]+\.js)"', page).group(1)
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def check_page(page: str, what: str, extra: str = "") -> int:
    """Assert no payload shows unescaped; return how many payload occurrences were found (escaped),
    in the page and in ``extra`` (its script file)."""
    # scripts end at the first "</script" (as in a browser): each is one of ours, a JSON data block
    # that parses (no break-out) or the page's nonce'd Folium script; the rest is HTML
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script\s*>", page, flags=re.S | re.I)
    for attrs, body in scripts:
        if "src=" in attrs:
            assert not body.strip(), what
        elif 'type="application/json"' in attrs:
            json.loads(body)
        else:
            assert re.search(r'nonce="[^"]+"', attrs), f"{what}: a script without nonce: {body[:80]!r}"
    text = re.sub(r"<script\b[^>]*>.*?</script\s*>", "", page, flags=re.S | re.I)
    for p in SPECIAL:
        assert p not in text, f"{what}: payload rendered unescaped: {p!r}"
    for _, body in scripts:  # no "<!--" either: it would change how the browser finds the script's end
        assert "<!--" not in body and "<script" not in body.lower(), f"{what}: markup inside a script"
    doc = lxml_html.document_fromstring(page)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), f"{what}: <{el.tag} {attr}=...>"
            if attr.lower() in ("href", "src", "action", "formaction", "data", "xlink:href", "poster"):
                v = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                assert not v.startswith(("javascript:", "vbscript:", "data:text")), (
                    f"{what}: <{el.tag} {attr}={value!r}>"
                )
        tag = el.tag.lower()
        if tag == "meta":
            assert el.get("http-equiv", "").lower() != "refresh", what
            continue
        assert tag not in BAD_TAGS, f"{what}: a <{tag}> element"
    both = page + extra
    return sum(any(form in both for form in _escaped_forms(p)) for p in PAYLOADS)


@functools.cache  # the same 50 payloads for each of the ~260 pages checked
def _escaped_forms(p: str) -> frozenset[str]:
    """How a payload shows when it is escaped: HTML text (html/markupsafe), Folium's inert HTML inside
    JSON inside a script, JSON of a data block (tojson)."""
    from markupsafe import escape

    from webapp.mapview import inert_html

    q = p.strip()
    html_forms = {html.escape(q), str(escape(q)), inert_html(html.escape(q))}

    def safe_json(f: str) -> str:  # JSON inside a script as Jinja's tojson and Folium write it
        return (
            json.dumps(f)[1:-1]
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("'", "\\u0027")
        )

    json_forms = {json.dumps(f, ensure_ascii=a)[1:-1] for f in html_forms for a in (True, False)}
    return frozenset(html_forms | json_forms | {safe_json(f) for f in html_forms | {q}})


def test_public_map_escapes_every_payload(site):
    c = site["app"].test_client()
    for url in ("/", "/?lang=id"):
        page = c.get(url).get_data(as_text=True)
        assert check_page(page, url, map_script(c, page)) >= 50
        # the Folium popups and tooltips hold each name escaped (Folium inserts them as HTML)
        for p in SPECIAL:
            assert html.escape(html.escape(p)) not in page or html.escape(p) in p  # escaped once, not twice


def test_admin_pages_escape_every_payload(site):
    c = site["app"].test_client()
    csrf = _login(c)
    pages = {"/admin/": 50, "/admin/closures": 50, "/admin/users": 20, "/admin/?lang=id": 50}
    for url, least in pages.items():
        page = c.get(url).get_data(as_text=True)
        assert check_page(page, url) >= least, url
    for dest_id in site["ids"]:
        for url in (f"/admin/destinations/{dest_id}", f"/admin/destinations/{dest_id}/history"):
            resp = c.get(url)
            assert resp.status_code == 200
            assert check_page(resp.get_data(as_text=True), url) >= 1, url
    # an account's page: its name, a token labelled with the payload, the record of both (issue #17)
    for user_id, p in list(enumerate(PAYLOADS[:20], start=2))[:5]:
        made = c.post(f"/admin/users/{user_id}/tokens", data={"csrf_token": csrf, "label": p[:80]})
        assert made.status_code in (200, 422), p  # 422: a label with a control character
        resp = c.get(f"/admin/users/{user_id}")
        assert resp.status_code == 200 and check_page(resp.get_data(as_text=True), f"account {user_id}") >= 1
    # forms re-shown with the typed values after an error, and the import report
    for p in PAYLOADS:
        resp = c.post(
            "/admin/destinations/new",
            data={"csrf_token": csrf, "name": p, "description": p, "website": p, "name_id": p, "category": "nope"},
        )
        assert resp.status_code == 422
        check_page(resp.get_data(as_text=True), "new destination form with errors")
        resp = c.post("/admin/closures", data={"csrf_token": csrf, "reason": p, "kind": p, "ends_at": p, "geometry": p})
        assert resp.status_code == 422
        check_page(resp.get_data(as_text=True), "closure form with errors")
        resp = c.post(
            "/admin/users",
            data={"csrf_token": csrf, "action": "add", "name": p, "password": "x", "password2": "y", "role": "editor"},
        )
        assert resp.status_code == 422
        check_page(resp.get_data(as_text=True), "users form with errors")
    bad_csv = "name,category,lon,lat\n" + "".join(
        f'"{p.replace(chr(34), chr(34) * 2)}",{p.replace(",", "")},x,y\n' for p in PAYLOADS
    )
    import io

    resp = c.post("/admin/import", data={"csrf_token": csrf, "file": (io.BytesIO(bad_csv.encode()), "x.csv")})
    assert resp.status_code == 422
    check_page(resp.get_data(as_text=True), "import report")


# ----------------------------------------------------------------------------- chromium


@pytest.fixture(scope="module")
def browser_page(site, browser):
    from waitress.server import create_server

    server = create_server(site["app"], host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    page = ctx.new_page()
    page.base, page.dialogs, page.problems = base, [], []
    page.on("dialog", lambda d: (page.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
    page.on(
        "console",
        lambda m: (
            (m.type == "error" or "Content Security Policy" in m.text) and page.problems.append(f"console: {m.text}")
        ),
    )
    yield page
    ctx.close()
    server.close()


_OPEN_ALL = """() => {
  let opened = 0;
  for (const k of Object.keys(window)) {
    const map = window[k];
    if (!(map && typeof L !== "undefined" && map instanceof L.Map)) continue;
    const leaves = [];
    map.eachLayer((layer) => {
      if (layer.getLatLng && !(layer instanceof L.Popup) && !(layer instanceof L.Tooltip)) leaves.push(layer);
    });
    for (const layer of leaves) {  // as a tap would: the tooltip, then the popup, of every marker
      layer.fire("mouseover", {latlng: layer.getLatLng()}, true);
      layer.fire("click", {latlng: layer.getLatLng()}, true);
      if (map._popup && map._popup.isOpen()) opened++;
    }
  }
  return opened;
}"""


def _assert_quiet(page, what):
    page.wait_for_timeout(150)
    assert not page.dialogs, f"{what}: a script dialog opened: {page.dialogs}"
    assert not page.problems, f"{what}: {page.problems}"


def test_chromium_map_page_runs_no_payload(site, browser_page):
    page = browser_page
    for lang in ("en", "id"):
        page.goto(page.base + f"/?lang={lang}")
        page.wait_for_function("window.bikemap && window.bikemap.map")
        page.wait_for_selector("#bm-featured-list li")
        assert page.locator("#bm-featured-list li").count() >= 50
        opened = page.evaluate(_OPEN_ALL)
        assert opened >= 50  # destinations (and closures, stations) popups opened one after another
        page.fill("#bm-search", "alert")
        page.wait_for_selector("#bm-results li")
        assert page.locator("#bm-results li").count() >= 1
        _assert_quiet(page, f"/?lang={lang}")
    # the featured routes list shows the payloads as text
    texts = page.locator("#bm-featured-list").inner_text()
    assert sum(p.strip() in texts for p in PAYLOADS if "\u2028" not in p) >= 40


def test_chromium_admin_pages_run_no_payload(site, browser_page):
    page = browser_page
    page.goto(page.base + "/admin/login")
    page.fill("#name", "ada")
    page.fill("#password", "admin-pass")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/admin/")
    # as text: the name of destination 1 and the name of the staff member who changed it last
    assert page.locator("table.bm-list").inner_text().count("<script>alert(1)</script>") == 2
    urls = ["/admin/", "/admin/closures", "/admin/users"]
    urls += [f"/admin/destinations/{i}" for i in site["ids"][:10]]
    urls += [f"/admin/destinations/{i}/history" for i in site["ids"][:10]]
    for url in urls:
        page.goto(page.base + url)
        page.wait_for_load_state("load")
        if page.locator(".leaflet-container").count():
            page.evaluate(_OPEN_ALL)
        for field in page.locator("input[type=text], textarea").all()[:3]:
            field.focus()  # autofocus/onfocus payloads would fire here
        _assert_quiet(page, url)


@pytest.mark.parametrize(
    "text",
    [
        "zq{{ 7*7 }}zq",
        "zq{{ cycler.__init__.__globals__.os.getpid() }}zq",
        "zq{% if 1 %}yes{% endif %}zq",
        "zq{# comment #}zq",
    ],
)
def test_template_syntax_in_data_is_not_evaluated(site, text):
    """Folium compiles its rendered script as a Jinja template: data braces must arrive inert
    (before the fix, a destination name '{{ 7*7 }}' showed as 49 and '{{ cycler... }}' ran Python)."""
    c = site["app"].test_client()
    made = c.post(
        "/api/destinations",
        headers=site["admin"],
        json={
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": _point(7)},
            "properties": {"name": text, "description": text, "category": "culture"},
        },
    )
    assert made.status_code == 201
    cl = c.post("/api/closures", headers=site["admin"], json=_closure(text))
    assert cl.status_code == 201
    page = c.get("/").get_data(as_text=True)
    page += map_script(c, page)
    found = re.findall(r"zq.{0,120}?zq", page)
    # every occurrence is the text with inert braces (evaluated it would read zq49zq, zq12345zq, zqyeszq, zqzq)
    assert found and all("{" not in f and "#123;" in f for f in found), found
    c.delete(f"/api/closures/{cl.get_json()['id']}", headers=site["admin"])
