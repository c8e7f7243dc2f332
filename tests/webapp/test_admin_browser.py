"""The staff UI in a real browser (Debian chromium via Playwright), served by waitress on 127.0.0.1.

An editor logs in, places a new destination by clicking the map, moves it by
dragging the marker, draws a closure along a street; text from the database
such as ``<img src=x onerror=alert(1)>`` shows as text in map popups. No
script error and no Content-Security-Policy violation on any page.
"""

from __future__ import annotations

import json
import threading

import pytest

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_net):
    from fixtures_db import add_user, make_staff_app
    from waitress.server import create_server

    db = tmp_path_factory.mktemp("admin") / "bikemap.sqlite3"
    app = make_staff_app(f"sqlite:///{db}", demo_net)
    token = add_user(app, "eddie", "editor", "editor-pass")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", app, token
    server.close()
    app.extensions["bikemap_db"].dispose()


@pytest.fixture(scope="module")
def page(site, browser):
    base = site[0]
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = ctx.new_page()
    pg.errors, pg.dialogs = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("response", lambda r: r.status >= 400 and pg.errors.append(f"{r.status} {r.url}"))
    pg.goto(base + "/admin/")
    pg.fill("#name", "eddie")
    pg.fill("#password", "editor-pass")
    pg.click("button[type=submit]")
    pg.wait_for_url(base + "/admin/")
    yield pg
    ctx.close()


def _api(site, path):
    client = site[1].test_client()
    return client.get(path, headers={"Authorization": f"Bearer {site[2]}"}).get_json()


def test_place_and_drag_a_destination(site, page):
    base = site[0]
    page.goto(base + "/admin/destinations/new")
    page.locator("#bm-admin-map").click()  # the middle of the network's area
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    w, s, e, n = site[1].extensions["bikemap.network"].bounds
    assert s < lat < n and w < lon < e
    page.fill("#name", "Kauppatori")
    page.select_option("#category", "market")
    page.click("#bm-edit button[type=submit]")
    page.wait_for_selector(".bm-msg")
    dest_id = int(page.url.split("/destinations/")[1].split("?")[0])
    stored = _api(site, f"/api/destinations/{dest_id}")
    assert stored["geometry"]["coordinates"] == [round(lon, 7), round(lat, 7)]
    # drag the marker 80 px to the right: the form follows, and saving moves the point
    box = page.locator(".leaflet-marker-icon").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=5)
    page.mouse.move(x + 80, y, steps=5)
    page.mouse.up()
    assert float(page.input_value("#lon")) > lon
    page.click("#bm-edit button[type=submit]")
    page.wait_for_selector(".bm-msg")
    moved = _api(site, f"/api/destinations/{dest_id}")
    assert (
        moved["properties"]["version"] == 2
        and moved["geometry"]["coordinates"][0] > stored["geometry"]["coordinates"][0]
    )
    assert not page.errors and not page.dialogs


def test_popups_show_text_not_html(site, page):
    base = site[0]
    client = site[1].test_client()
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.9500, 60.1700]},
        "properties": {"name": XSS, "category": "culture"},
    }
    assert (
        client.post("/api/destinations", json=feat, headers={"Authorization": f"Bearer {site[2]}"}).status_code == 201
    )
    page.goto(base + "/admin/")
    markers = page.locator("path.leaflet-interactive")
    assert markers.count() >= 1
    found = False
    for i in range(markers.count()):
        markers.nth(i).click(force=True)
        content = page.locator(".leaflet-popup-content").filter(has_text=XSS)
        if content.count():
            found = True
            assert content.locator("img").count() == 0
            break
    assert found
    assert page.locator("table.bm-list").inner_text().count(XSS) == 1
    assert not page.errors and not page.dialogs


def test_draw_a_closure(site, page, demo_net, artifacts_dir):
    base = site[0]
    page.goto(base + "/admin/closures")
    # the streets are drawn (no tiles here), one path per street class, under the drawing
    page.wait_for_function("document.querySelectorAll('.leaflet-bm-network-pane path').length >= 2")
    classes = page.evaluate("window.bikemapAdminNetwork.getLayers().map(l => l.feature.properties['class'])")
    assert {"cycleway", "quiet"} <= set(classes)
    d = page.locator(".leaflet-bm-network-pane path").first.get_attribute("d")
    assert d and d.count("L") > 10  # a real street drawing, not an empty path
    assert page.evaluate(
        "+getComputedStyle(document.querySelector('.leaflet-bm-network-pane')).zIndex"
        " < +getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex"
    )
    box = page.locator("#bm-admin-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(cx - 30, cy)
    page.mouse.click(cx + 30, cy)
    geometry = json.loads(page.input_value("#geometry"))
    assert geometry["type"] == "LineString" and len(geometry["coordinates"]) == 2
    page.screenshot(path=str(artifacts_dir / "admin_closure_network.png"))
    page.click("#bm-clear-drawing")
    assert page.input_value("#geometry") == ""
    assert not page.errors and not page.dialogs


def test_public_map_shows_closure(site, page, demo_net):
    base, app, token = site
    seg = max(
        range(demo_net.n_segments),
        key=lambda s: demo_net.seg_length[s] if demo_net.tags[s].get("highway") == "residential" else 0,
    )
    closure = {
        "type": "Feature",
        "properties": {"kind": "closure", "reason": "Bridge works " + XSS},
        "geometry": {"type": "LineString", "coordinates": demo_net.segment_coords(seg).tolist()},
    }
    resp = app.test_client().post("/api/closures", json=closure, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201
    page.goto(base + "/")
    page.wait_for_function("window.bikemapFolium && window.bikemapFolium.layers.closures")
    n = page.evaluate("Object.keys(window.bikemapFolium.layers.closures.getLayers()).length")
    assert n == 1
    assert not page.errors and not page.dialogs


def test_admin_manages_an_account_and_its_tokens(site, browser, artifacts_dir):
    """#17: accounts from the page (add, token made and revoked), the record shown, the last admin kept."""
    from fixtures_db import add_user

    base, app, _ = site
    add_user(app, "ada", "admin", "admin-pass")
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and "409" not in m.text and errors.append(m.text))
    pg.goto(base + "/admin/users")
    pg.fill("#name", "ada")
    pg.fill("#password", "admin-pass")
    pg.click("button[type=submit]")
    pg.wait_for_url(base + "/admin/users")
    pg.fill("#uname", "clerk")
    pg.select_option("#role", "editor")
    pg.fill("#pw", "clerk-pass1")
    pg.fill("#pw2", "clerk-pass1")
    pg.click("#bm-add-user button[type=submit]")
    assert pg.locator(".bm-msg[role=status]").inner_text() == "Added editor clerk."
    pg.fill("#label", "import script")
    pg.fill("#days", "30")
    pg.click("#bm-make-token button[type=submit]")
    token = pg.locator("#bm-new-token code").inner_text()
    pg.screenshot(path=str(artifacts_dir / "admin_account_token.png"), full_page=True)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/destinations/export", headers=headers).status_code == 200
    row = pg.locator("#bm-tokens tbody tr")
    assert row.count() == 1 and "import script" in row.inner_text()
    row.locator("button").click()
    assert "is revoked" in pg.locator(".bm-msg[role=status]").inner_text()
    assert pg.locator("#bm-tokens").count() == 0
    assert app.test_client().get("/api/destinations/export", headers=headers).status_code == 401
    # in Bahasa Indonesia, kept from page to page: ada cannot disable herself, the last administrator
    pg.click("a[hreflang=id]")
    pg.goto(base + "/admin/users")
    pg.locator("#bm-accounts tr[data-name=ada] a").click()
    pg.click("#bm-active button[type=submit]")
    assert "administrator aktif terakhir" in pg.locator(".bm-msg.bad").inner_text()
    assert pg.locator("main").inner_text().count("Belum ada perubahan yang tercatat.") == 1  # refused: no record
    pg.goto(base + "/admin/users")
    log = pg.locator(".bm-account-log tbody tr").all_inner_texts()
    assert [line.split("\t")[1:3] for line in log] == [
        ["ada", "token API dicabut"],
        ["ada", "token API dibuat"],
        ["ada", "akun dibuat"],
    ]
    assert not errors
    ctx.close()
