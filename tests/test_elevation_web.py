"""Hills in the web app: the server loads a DEM (``DEM`` setting, ``bikemap serve --dem``),
the route API and its GPX carry heights, and the map page draws the elevation chart
(checked in headless chromium).
"""

from __future__ import annotations

import threading

import pytest
from conftest import shared_file

FROM, TO = "42.52961,1.52055", "42.53506,1.57697"  # Sant Antoni (CG-3) to Encamp


@pytest.fixture(scope="module")
def hill_app():
    from webapp import create_app

    return create_app(
        {
            "TESTING": True,
            "SOURCE": str(shared_file("andorra.osm.pbf")),
            "DEM": str(shared_file("N42E001.hgt.zip")),
            "TILES_URL": "",
            "WARM_PROFILES": False,
        }
    )


@pytest.fixture
def hill_client(hill_app):
    return hill_app.test_client()


def test_route_api_has_heights(hill_client):
    r = hill_client.get(f"/api/route?from={FROM}&to={TO}&profile=safe")
    assert r.status_code == 200
    f = r.get_json()
    p = f["properties"]
    assert p["ascent_m"] > 50 and p["descent_m"] > 10 and p["max_grade_pct"] > 0
    assert len(p["elevation_profile"]) == len(f["geometry"]["coordinates"])
    assert all(len(c) == 3 and 900 < c[2] < 2000 for c in f["geometry"]["coordinates"])


def test_route_gpx_has_ele(hill_client, gpx_schema):
    from lxml import etree

    r = hill_client.get(f"/api/route?from={FROM}&to={TO}&profile=ebike&format=gpx")
    assert r.status_code == 200
    doc = etree.fromstring(r.data)
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = doc.findall(".//g:trkpt", ns)
    assert pts and all(p.find("g:ele", ns) is not None for p in pts)


def test_serve_dem_option():
    from routes.cli import build_parser
    from webapp.cli import _config

    args = build_parser().parse_args(["serve", "--source", "x.osm.pbf", "--dem", "tiles/"])
    assert _config(args)["DEM"] == "tiles/"
    assert "DEM" not in _config(build_parser().parse_args(["serve"]))


def test_map_page_loads_the_chart_script(hill_client):
    page = hill_client.get("/").get_data(as_text=True)
    assert "js/elevation.js" in page
    js = hill_client.get("/static/js/elevation.js")
    assert js.status_code == 200 and b'bm.on("route", draw)' in js.data
    js.close()


@pytest.fixture(scope="module")
def hill_server(hill_app):
    from waitress.server import create_server

    server = create_server(hill_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.mark.browser
def test_chart_in_the_browser(hill_server, artifacts_dir, browser):
    errors: list[str] = []
    try:
        ctx = browser.new_context(viewport={"width": 1000, "height": 800})
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{hill_server}/?from={FROM}&to={TO}&lang=id")
        page.wait_for_selector("#bm-elevation svg .bm-elev-line", timeout=30_000)
        assert page.inner_text("#bm-ascent").startswith("\u2197 ")
        assert page.inner_text("#bm-max-grade").endswith("%")
        assert "Ketinggian" in page.inner_text("#bm-elevation h3")  # Indonesian UI
        d = page.get_attribute("#bm-elevation .bm-elev-line", "d")
        assert d.startswith("M") and d.count("L") > 20
        label = page.get_attribute("#bm-elevation svg", "aria-label")
        assert "naik" in label
        # hovering the chart shows the place on the map
        box = page.locator("#bm-elevation svg").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
        assert page.inner_text("#bm-elevation .bm-elev-readout").endswith(" m")
        at = page.evaluate(
            "() => { var m = bikemap.elevation.marker();"
            " return m && bikemap.map.hasLayer(m) ? [m.getLatLng().lat, m.getLatLng().lng] : null; }"
        )
        assert at is not None and 42.5 < at[0] < 42.56 and 1.5 < at[1] < 1.6
        page.screenshot(path=str(artifacts_dir / "elevation-chart.png"))
        page.mouse.move(box["x"] - 20, box["y"] - 20)  # leaving the chart hides it again
        assert page.evaluate("() => bikemap.elevation.marker()") is None
        # keyboard: the chart takes focus and arrows move along it
        page.focus("#bm-elevation svg")
        page.keyboard.press("Home")
        first = page.inner_text("#bm-elevation .bm-elev-readout")
        page.keyboard.press("ArrowRight")
        assert page.inner_text("#bm-elevation .bm-elev-readout") != first
    finally:
        ctx.close()
    assert not errors


@pytest.mark.browser
def test_chart_on_a_phone_answers_a_tap_and_a_drag(hill_server, artifacts_dir, browser):
    """#17: on a phone a tap showed nothing (the finger's pointerleave hid it at once)."""
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True)
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{hill_server}/?from={FROM}&to={TO}&lang=en")
        page.wait_for_selector("#bm-elevation svg .bm-elev-line", timeout=30_000)
        chart = page.locator("#bm-elevation svg")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        y = box["y"] + box["height"] / 2
        page.touchscreen.tap(box["x"] + box["width"] * 0.3, y)
        page.wait_for_timeout(300)  # the finger is lifted: the readout and the spot stay
        first = page.inner_text("#bm-elevation .bm-elev-readout")
        assert first.endswith(" m") and " \u00b7 " in first
        spot = (
            "() => { var m = bikemap.elevation.marker();"
            " return m && bikemap.map.hasLayer(m) ? m.getLatLng().lng : null; }"
        )
        at = page.evaluate(spot)
        assert at is not None
        # a drag along the chart moves the readout and the spot
        cdp = ctx.new_cdp_session(page)
        xs = [box["x"] + box["width"] * f for f in (0.3, 0.5, 0.7, 0.9)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": xs[0], "y": y}]})
        for x in xs[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_timeout(300)
        last = page.inner_text("#bm-elevation .bm-elev-readout")
        assert last.endswith(" m") and last != first
        assert page.evaluate(spot) != at
        page.screenshot(path=str(artifacts_dir / "elevation-chart-phone.png"))
    finally:
        ctx.close()
    assert not errors
