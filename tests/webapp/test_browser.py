"""The map page in a real browser: Debian's chromium driven by Playwright.

Against the production server (waitress, in a thread on 127.0.0.1) serving the
demo network: click two points, see the route and its distance, drag a marker,
pick a destination, download the GPX and validate it, reload the shared URL,
switch to Indonesian, and a 375 px phone screen. Screenshots go to artifacts/.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

START, END = (60.1716, 24.9410), (60.1660, 24.9500)
DISTANCE = re.compile(r"^\d+([.,]\d)? (km|m)$")


class Page:
    """A page that records same-origin bytes and every script error or CSP violation."""

    def __init__(self, browser, base: str, width: int, height: int, **context):
        self.base = base
        # context: more Playwright context options (a phone: is_mobile=True, has_touch=True)
        self.ctx = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True, **context)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.bytes: dict[str, int] = {}  # decoded body bytes
        self.sent: dict[str, int] = {}  # bytes on the wire (gzip where the server compressed)
        origin = urlsplit(base).netloc
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))

        def on_response(resp):
            if urlsplit(resp.url).netloc == origin:
                try:
                    self.bytes[resp.url] = len(resp.body())
                    self.sent[resp.url] = resp.request.sizes()["responseBodySize"]
                except Exception:  # redirects and aborted requests have no body
                    pass

        self.page.on("response", on_response)

    def wait_for(self, js: str, timeout_s: float = 20.0):
        """Poll a JS expression until truthy (``wait_for_function`` evaluates strings with eval,
        which the page's Content-Security-Policy forbids, as it should)."""
        for _ in range(int(timeout_s * 10)):
            if self.page.evaluate(f"() => !!({js})"):
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"timed out waiting for {js}")

    def goto(self, path: str):
        self.page.goto(self.base + path)
        self.wait_for("window.bikemap && window.bikemap.map && window.bikemap.planner")

    def click_latlon(self, lat: float, lon: float):
        pt = self.page.evaluate(
            f"(() => {{ const p = bikemap.map.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
        )
        box = self.page.locator(".folium-map").bounding_box()
        self.page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])

    def distance(self) -> str:
        self.wait_for("document.getElementById('bm-distance') && !document.body.classList.contains('bm-busy')")
        return self.page.locator("#bm-distance").inner_text().strip()

    def screenshot(self, path, **kw):
        self.wait_for("!bikemap.map._animatingZoom && !document.body.classList.contains('bm-busy')")
        self.page.wait_for_timeout(400)  # let Leaflet finish redrawing after a pan
        self.page.screenshot(path=str(path), **kw)

    def close(self):
        self.ctx.close()


def test_plan_a_route(browser, live_server, artifacts_dir, gpx_schema):
    from lxml import etree

    p = Page(browser, live_server, 1280, 800)
    p.goto("/?lang=en")
    page = p.page
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-locate").count() == 1
    assert "OpenStreetMap contributors" in page.locator(".leaflet-control-attribution").inner_text()
    # bike-share stations: small bicycle badges (not pins), a popup but no hover tooltip
    stations = page.locator(".bm-station-icon")
    assert stations.count() == 15 and page.locator(".awesome-marker-icon").count() == 0
    badge = stations.first.bounding_box()
    assert badge["width"] <= 28 and badge["height"] <= 24, badge
    stations.first.hover()
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-tooltip").count() == 0
    # click start, then end on the map
    p.click_latlon(*START)
    page.wait_for_selector(".bm-marker-from")
    p.click_latlon(*END)
    dist = p.distance()
    assert DISTANCE.match(dist), dist
    assert page.locator("#bm-directions li").count() > 2
    assert page.locator("#bm-shares li").count() >= 1
    assert "from=" in page.url and "to=" in page.url
    p.screenshot(artifacts_dir / "browser-desktop-route.png")

    # the GPX button downloads the same route as GPX 1.1
    with page.expect_download() as dl:
        page.click("#bm-gpx")
    path = dl.value.path()
    assert dl.value.suggested_filename.endswith(".gpx")
    gpx_schema.assertValid(etree.parse(path))

    # drag the destination marker: the route is planned again
    marker = page.locator(".bm-marker-to").bounding_box()
    page.mouse.move(marker["x"] + 13, marker["y"] + 13)
    page.mouse.down()
    page.mouse.move(marker["x"] + 13 - 120, marker["y"] + 13 - 60, steps=8)
    page.mouse.up()
    p.wait_for(f"document.getElementById('bm-distance').textContent.trim() !== {json.dumps(dist)}")
    moved = p.distance()
    assert DISTANCE.match(moved) and moved != dist

    # pick a destination from the searchable list: it becomes a stop
    page.fill("#bm-search", "museum")
    page.wait_for_selector("#bm-results li[role=option]")
    picked = page.locator("#bm-results li[role=option]").first.evaluate("li => li.firstChild.data")
    page.locator("#bm-results li[role=option]").first.click()
    page.wait_for_selector(".bm-marker-via")
    p.distance()
    assert page.locator("#bm-points li").count() == 3
    assert "via=" in page.url
    assert picked in page.locator("#bm-points li").nth(1).inner_text()

    # reload: the plan comes back from the URL, the stop with its name (not its coordinates), even when
    # the address lookup of the stop's place answers before the destinations do (a race a fresh server showed)
    shared = page.url

    def late_destinations(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/api/destinations*", late_destinations)
    page.reload()
    p.wait_for("window.bikemap && window.bikemap.planner")
    again = p.distance()
    assert page.url == shared
    assert page.locator(".bm-marker-via").count() == 1 and DISTANCE.match(again)
    p.wait_for(f"document.querySelectorAll('#bm-points li')[1].textContent.includes({json.dumps(picked)})")
    assert re.search(r"\d\.\d{3}", page.locator("#bm-points li").nth(1).inner_text()) is None
    # a clicked point is named by what is there (issue #18: an address, else street and place)
    p.wait_for("!/\\d\\.\\d{3}/.test(document.querySelectorAll('#bm-points li')[0].textContent)")
    assert re.search(r"^Start: \w.*, \w", page.locator("#bm-points li").nth(0).inner_text().split("\n")[1])

    # switch to Indonesian: same plan, Indonesian UI
    page.click(".bm-langs a[data-lang=id]")
    p.wait_for("document.documentElement.lang === 'id' && window.bikemap && window.bikemap.planner")
    assert p.distance() == again.replace(".", ",")
    assert page.locator("#panel-route h2").inner_text().strip() == "Rute Anda"
    assert "Unduh GPX" in page.locator("#bm-gpx").inner_text()
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Perbesar"
    p.screenshot(artifacts_dir / "browser-desktop-id.png")

    total = sum(p.bytes.values())
    (artifacts_dir / "browser_page_bytes.json").write_text(json.dumps({"total": total, "files": p.bytes}, indent=1))
    assert not p.errors, p.errors
    p.close()


def station_in_view(page) -> int:
    """Index of the first station badge inside the map's frame."""
    index = page.evaluate("""() => {
        const m = document.querySelector(".folium-map").getBoundingClientRect();
        return [...document.querySelectorAll(".bm-station-icon")].findIndex(e => {
            const r = e.getBoundingClientRect();
            return r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom;
        });
    }""")
    assert index >= 0, "no station in view"
    return index


def test_first_load_weight_and_phone(browser, live_server, artifacts_dir):
    p = Page(browser, live_server, 375, 740)
    p.goto(f"/?from={START[0]},{START[1]}&to={END[0]},{END[1]}&lang=id")
    page = p.page
    assert DISTANCE.match(p.distance())
    page.wait_for_load_state("networkidle")
    # usable at 375 px: nothing wider than the screen, map and panel visible
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    box = page.locator(".folium-map").bounding_box()
    assert box["width"] >= 370 and box["height"] >= 300
    assert page.locator("#bm-gpx").is_visible()
    # the route's summary is on the map too (the panel is below it on a phone)
    mini = page.locator(".bm-mini")
    assert mini.is_visible() and p.distance() in mini.inner_text()
    p.screenshot(artifacts_dir / "browser-phone-id.png", full_page=True)
    # a bike-share station's popup: "Mulai di sini" (start here) moves the start there
    before = page.url
    station = page.locator(".bm-station-icon").nth(station_in_view(page))  # points.js loads beyond the view too
    station.scroll_into_view_if_needed()
    station.click()
    page.locator(".leaflet-popup .bm-act[data-act=from]").click()
    p.wait_for(f"location.href !== {json.dumps(before)}")
    assert DISTANCE.match(p.distance())
    total, sent = sum(p.bytes.values()), sum(p.sent.values())
    (artifacts_dir / "browser_first_load_bytes.json").write_text(
        json.dumps({"total": total, "sent": sent, "files": p.bytes, "files_sent": p.sent}, indent=1)
    )
    # bytes on the wire, base map tiles and glyphs included (MapLibre is 1.4 MB before gzip)
    assert sent <= 1_500_000, (sent, total)
    assert not p.errors, p.errors
    p.close()


def test_unreachable_tiles_leave_a_usable_map(browser, demo_net, artifacts_dir):
    """Tiles configured but no tile server reachable (an offline kiosk): network, destinations
    and the route still show on the plain background."""
    import socket
    import threading

    from waitress.server import create_server

    from webapp import create_app

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    app = create_app(
        {
            "TESTING": True,
            "NETWORK": demo_net,
            "WARM_PROFILES": False,
            "TILES_URL": f"http://127.0.0.1:{dead}/{{z}}/{{x}}/{{y}}.png",
        }
    )
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        p = Page(browser, f"http://127.0.0.1:{server.effective_port}", 1000, 700)
        p.goto(f"/?from={START[0]},{START[1]}&to={END[0]},{END[1]}")
        assert DISTANCE.match(p.distance())
        assert p.page.locator(".leaflet-tile").count() > 0  # the tile layer is there, its images fail
        assert p.page.locator(".leaflet-overlay-pane canvas").count() >= 1  # network and route
        # no vector tiles under a raster TILES_URL: the network in view comes from /api/network
        p.wait_for("bikemap.overlay.mode === 'viewport' && bikemap.layers.network_quiet.getLayers().length > 0")
        # the stations load by viewport, after the map settles: wait for them rather than count at once
        p.wait_for("document.querySelectorAll('.bm-station-icon').length === 15")
        p.screenshot(artifacts_dir / "browser-no-tiles.png")
        assert not [e for e in p.errors if "Failed to load resource" not in e], p.errors
        p.close()
    finally:
        server.close()


def test_point_off_the_network_explains_itself(browser, live_server, artifacts_dir):
    p = Page(browser, live_server, 800, 700)
    p.goto(f"/?lang=id&from=59.9,24.0&to={END[0]},{END[1]}")
    p.wait_for("document.querySelector('#bm-status.bm-error')")
    text = p.page.locator("#bm-status").inner_text()
    assert text.startswith("Titik awal (A) terlalu jauh")  # err_NoSegment in Indonesian, naming the point (#17)
    assert p.page.locator("#bm-gpx").get_attribute("href") == "#" and p.page.locator("#bm-gpx").is_hidden()
    assert not p.errors or all("422" in e for e in p.errors), p.errors
    p.close()


def test_shared_link_shows_the_whole_plan(browser, live_server):
    """A shared link zooms to its route and markers, even while the page's first fit is still animating.

    The destination here lies 270 m off the network's edge, and the plan's zoom equals the
    network's: the case where the first fit's zoom animation used to undo the plan's fit.
    """
    p = Page(browser, live_server, 1280, 800)
    p.goto("/?from=60.1699,24.9384&to=60.1618,24.9510&via=60.1650,24.9400")
    p.wait_for(
        "document.querySelector('#bm-summary') && document.querySelector('#bm-summary').textContent.includes('km')"
    )
    p.page.wait_for_timeout(800)  # past every fit animation
    # replay the race on purpose: an animated zoom to the network is running when the route arrives
    p.page.evaluate(
        """() => { var m = window.bikemap.map, c = JSON.parse(document.getElementById('bm-config').textContent).bounds;
                   m.setView(m.getCenter(), 18, {animate: false});
                   m.fitBounds([[c[1], c[0]], [c[3], c[2]]]);
                   window.bikemap.planner.update("instant"); }"""
    )
    inside = """(function () { var b = window.bikemap.map.getBounds(), s = window.bikemap.planner.state;
                   return [s.from, s.to].concat(s.via).every(function (q) {
                     return b.contains([q.lat, q.lon]); }); })()"""
    p.page.wait_for_timeout(1000)
    p.wait_for(inside, timeout_s=10)  # the base map (WebGL in software) can slow the animations down
    p.page.wait_for_timeout(500)
    assert p.page.evaluate(f"() => {inside}")  # and it stays there
    p.close()
