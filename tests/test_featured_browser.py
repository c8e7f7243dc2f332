"""Featured routes on the public map in a real browser (Debian's chromium, Playwright, waitress on 127.0.0.1).

A visitor sees only the published featured route, its name as text (an
``<img onerror>`` name is shown, never run), opens it on the map (the line and
its numbered stops are drawn) and downloads its GPX. A logged-in editor saves
the route planned on the page as a new featured route.
"""

from __future__ import annotations

import threading

import pytest
from fixtures_db import add_user, make_staff_app

pytestmark = pytest.mark.browser

START = "60.1699,24.9384"
XSS = "<img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def site(demo_net, tmp_path_factory):
    from waitress.server import create_server

    db = tmp_path_factory.mktemp("featured") / "bikemap.sqlite3"
    app = make_staff_app(f"sqlite:///{db}", demo_net)
    token = add_user(app, "eddie", "editor", "editor-pass")
    auth = {"Authorization": f"Bearer {token}"}
    with app.test_client() as c:
        dests = c.get("/api/tour/destinations").get_json()
        ids = [d["id"] for d in dests if d["category"] == "museum"][:3]
        tour = c.get(f"/api/tour?start={START}&stops={','.join(ids)}").get_json()
        tour["properties"].update(
            name="Museum ride",
            names={"id": XSS},
            description="Three museums",
            descriptions={"id": "Tiga museum"},
            published=True,
        )
        pub = c.post("/api/featured", json=tour, headers=auth).get_json()
        tour["properties"].update(name="Draft ride", names={}, published=False)
        assert c.post("/api/featured", json=tour, headers=auth).status_code == 201
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", app, pub
    server.close()
    app.extensions["bikemap_db"].dispose()


def _page(browser):
    pg = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(f"console: {m.text}"))
    return pg


def wait_for(pg, js: str, timeout_s: float = 30.0):
    """Poll a JS expression (the page's CSP forbids the eval behind wait_for_function)."""
    for _ in range(int(timeout_s * 10)):
        if pg.evaluate(f"() => !!({js})"):
            return
        pg.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {js}")


def test_visitor_opens_a_featured_route(browser, site, artifacts_dir, gpx_schema):
    from lxml import etree

    base, _, pub = site
    pg = _page(browser)
    pg.goto(base + "/?lang=id")
    wait_for(pg, "document.querySelectorAll('#bm-featured-list li').length > 0")
    assert pg.locator("#panel-featured h2").inner_text() == "Rute unggulan"
    items = pg.locator("#bm-featured-list li")
    assert items.count() == 1  # the draft is not published
    assert pg.locator("#bm-featured-list .bm-featured-name").inner_text() == XSS
    assert pg.locator("#bm-featured-list p").inner_text() == "Tiga museum"
    assert pg.locator("#panel-featured img").count() == 0
    assert pg.locator("#bm-save-featured, #bm-featured-save").count() == 0  # visitors cannot save

    pg.click("#bm-featured-list .bm-featured-show")
    wait_for(pg, "document.querySelectorAll('.bm-marker-featured').length > 0")
    n_stops = len(pub["properties"]["stops"])
    assert pg.locator(".bm-marker-featured").count() == n_stops
    # the map may draw on a canvas: ask Leaflet for the purple line on the map and its points
    drawn = pg.evaluate("""() => { const out = []; window.bikemap.map.eachLayer(l => {
                               if (l instanceof L.Polyline && l.options.color === '#7c3aed')
                                   out.push(l.getLatLngs().length); }); return out; }""")
    assert drawn == [len(pub["geometry"]["coordinates"])]
    assert "bm-active" in items.first.get_attribute("class")
    assert pg.evaluate("() => window.__xss") is None

    href = pg.locator("#bm-featured-list .bm-featured-gpx").get_attribute("href")
    assert "format=gpx" in href
    resp = pg.request.get(base + href if href.startswith("/") else href)
    assert resp.status == 200
    doc = etree.fromstring(resp.body())
    gpx_schema.assertValid(doc)
    assert len(doc.findall("{http://www.topografix.com/GPX/1/1}wpt")) == n_stops
    pg.screenshot(path=str(artifacts_dir / "featured_visitor.png"))
    assert pg.errors == []


def test_editor_saves_the_planned_route(browser, site, artifacts_dir):
    base, app, _ = site
    pg = _page(browser)
    pg.goto(base + "/admin/")
    pg.fill("#name", "eddie")
    pg.fill("#password", "editor-pass")
    pg.click("button[type=submit]")
    pg.wait_for_url(base + "/admin/")
    pg.goto(base + "/?from=60.1699,24.9384&to=60.1618,24.9510&lang=en")
    wait_for(pg, "document.getElementById('bm-featured-save')")
    wait_for(pg, "document.getElementById('bm-featured-note').textContent.length > 0")
    wait_for(pg, "document.querySelectorAll('#bm-featured-list li').length === 2")  # staff also see the draft
    pg.click("#bm-featured-save summary")
    pg.fill("#bm-featured-name-en", "Station to Design District")
    pg.fill("#bm-featured-name-id", "Dari stasiun ke Design District")
    pg.fill("#bm-featured-desc-en", "A quiet ride")
    pg.check("#bm-featured-published")
    pg.click("#bm-featured-save-btn")
    wait_for(pg, "document.getElementById('bm-featured-save-status').textContent.indexOf('Saved') === 0")
    wait_for(pg, "document.querySelectorAll('#bm-featured-list li').length === 3")
    pg.screenshot(path=str(artifacts_dir / "featured_staff_save.png"))
    assert pg.errors == []
    with app.test_client() as c:
        feats = c.get("/api/featured?lang=id").get_json()["features"]
    saved = [f for f in feats if f["properties"]["name"] == "Station to Design District"]
    assert len(saved) == 1 and saved[0]["properties"]["title"] == "Dari stasiun ke Design District"
    assert saved[0]["properties"]["kind"] == "route" and saved[0]["properties"]["distance_m"] > 500

    # an editor unpublishes a featured route from the list (PATCH with If-Match of the listed version)
    first = pg.locator("#bm-featured-list li").first
    assert first.locator(".bm-featured-publish").inner_text() == "Unpublish"
    assert first.locator(".bm-featured-delete").count() == 0  # deleting is for admins
    first.locator(".bm-featured-publish").click()
    wait_for(pg, "document.querySelector('#bm-featured-list li .bm-featured-publish').textContent === 'Publish'")
    with app.test_client() as c:
        names = [f["properties"]["name"] for f in c.get("/api/featured").get_json()["features"]]
    assert names == ["Station to Design District"]

    # ... and edits the texts of another (the form is filled in; PATCH with If-Match)
    last = pg.locator("#bm-featured-list li").last
    last.locator(".bm-featured-edit").click()
    assert pg.input_value("#bm-featured-name-id") == "Dari stasiun ke Design District"
    assert pg.is_checked("#bm-featured-published")
    pg.fill("#bm-featured-name-id", "Rute tenang <b>baru</b>")
    pg.click("#bm-featured-save-btn")
    wait_for(pg, "document.getElementById('bm-featured-save-status').textContent.indexOf('Saved') === 0")
    with app.test_client() as c:
        feats = c.get("/api/featured?lang=id").get_json()["features"]
    assert [(f["properties"]["title"], f["properties"]["version"]) for f in feats] == [("Rute tenang <b>baru</b>", 2)]
    assert pg.errors == []


def test_a_link_opens_a_featured_route(browser, site):
    base, app, _ = site
    with app.test_client() as c:  # whichever is published now (the tests above may change that)
        pub = c.get("/api/featured?lang=en").get_json()["features"][-1]
    pg = _page(browser)
    pg.goto(f"{base}/?featured={pub['id']}&lang=en")
    wait_for(pg, "document.querySelectorAll('.bm-marker-featured').length > 0")
    assert pg.locator(".bm-marker-featured").count() == len(pub["properties"]["stops"])
    assert pub["properties"]["title"] in pg.locator("#bm-featured-status").inner_text()
    # the page URL keeps it (#17): a reload, or "Copy link", opens it again
    wait_for(pg, f"new URLSearchParams(location.search).get('featured') === '{pub['id']}'")
    pg.reload()
    wait_for(pg, "document.querySelectorAll('.bm-marker-featured').length > 0")
    assert pub["properties"]["title"] in pg.locator("#bm-featured-status").inner_text()
    assert pg.errors == []
