"""The routing extras on the map page in chromium: alternatives, snapping lines, surfaces, reach, GPX in."""

from __future__ import annotations

import json
import urllib.request

import pytest
from test_browser import Page, station_in_view

pytestmark = pytest.mark.browser

# the pair near the station had one alternative until turn restrictions (#15): it made a banned turn
A, B = (60.1699, 24.9414), (60.1680, 24.9500)
STEPS = (60.173025, 24.941012)  # beside steps on a piece cut off from the streets: moves 74 m


def _lines(page, cls: str) -> list:
    """Dash patterns of the map's lines of class ``cls`` (the map draws on a canvas: no DOM paths)."""
    return page.evaluate(
        "cls => Object.values(bikemap.map._layers).filter(l => l.getLatLngs && "
        "(l.options.className || '').indexOf(cls) >= 0).map(l => l.options.dashArray || null)",
        cls,
    )


def test_alternatives_surfaces_reach_and_gpx(browser, live_server, artifacts_dir, tmp_path):
    p = Page(browser, live_server, 1100, 800)
    page = p.page
    p.goto(f"/?from={A[0]},{A[1]}&to={B[0]},{B[1]}")
    first = p.distance()
    p.wait_for("document.querySelectorAll('#bm-alternatives button').length >= 2")
    assert len(_lines(page, "bm-alt-line")) >= 1  # the other routes, grey
    assert page.locator("#bm-surfaces").is_visible() and "Longest unpaved stretch" in page.inner_text("#bm-unpaved")
    best_gpx = page.get_attribute("#bm-gpx", "href")
    page.click("#bm-alternatives button[data-alt='1']")
    p.wait_for("document.querySelector(\"#bm-alternatives button[data-alt='1'][aria-pressed=true]\")")
    assert p.distance() != first
    href = page.get_attribute("#bm-gpx", "href")
    assert "pick=1" in href and href != best_gpx
    with urllib.request.urlopen(live_server + href) as resp:  # the GPX is the alternative's
        assert b"<trkpt" in resp.read()
    assert page.locator("#bm-directions li").count() >= 2
    # a tap on the grey line of the best route picks it back (and sets no new point)
    url = page.url
    # each grey line is sent to the back in turn, so the best route's, drawn first, ends up last
    page.locator("path.bm-alt-line").last.dispatch_event("click")
    p.wait_for("document.querySelector(\"#bm-alternatives button[data-alt='0'][aria-pressed=true]\")")
    assert p.distance() == first and page.url == url
    p.screenshot(artifacts_dir / "browser-alternatives.png")

    # what can I reach from the start?
    page.fill("#bm-reach-minutes", "5")
    page.click("#bm-reach-start")
    p.wait_for("Object.values(bikemap.map._layers).some(l => l.options.className === 'bm-reach-area')")
    p.wait_for("/destinations within 5 min/.test(document.getElementById('bm-reach-status').textContent)")
    p.screenshot(artifacts_dir / "browser-reach.png")
    # from a bike-share station: no live feed here, so the minutes typed, and the page says so
    # a click event on the badge itself: a map control ("Report a problem") may cover the badge in view
    page.locator(".bm-station-icon").nth(station_in_view(page)).dispatch_event("click")
    page.click(".leaflet-popup .bm-reach-station")
    p.wait_for("/does not say how many minutes/.test(document.getElementById('bm-reach-status').textContent)")
    assert not p.errors, p.errors  # without a feed the page asks for no ticket (it used to get a 400 in the console)

    # open a GPX track: matched, shown as a route
    route = json.load(urllib.request.urlopen(f"{live_server}/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}"))
    pts = "".join(f'<trkpt lat="{c[1]}" lon="{c[0]}"/>' for c in route["geometry"]["coordinates"])
    track = tmp_path / "ride.gpx"
    track.write_text(
        f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    )
    page.set_input_files("#bm-gpx-file", str(track))
    p.wait_for("/ride.gpx/.test(document.getElementById('bm-status').textContent)")
    p.wait_for("document.getElementById('bm-gpx').getAttribute('href').indexOf('blob:') === 0")
    assert page.locator("#bm-alternatives").is_hidden()
    assert not p.errors, p.errors
    p.close()


def test_moved_point_is_drawn_dashed_in_indonesian(browser, live_server, artifacts_dir):
    p = Page(browser, live_server, 1100, 800)
    page = p.page
    p.goto(f"/?lang=id&from={STEPS[0]},{STEPS[1]}&to={B[0]},{B[1]}")
    p.distance()
    p.wait_for("!document.getElementById('bm-snapnote').hidden")
    assert "1 7" in _lines(page, "bm-connector")  # the dashed line from the point to its street
    note = page.inner_text("#bm-snapnote")
    assert note.startswith("Awal berjarak") and "garis putus-putus" in note
    assert page.inner_text("#panel-reach h2") == "Ke mana saya bisa sampai?"
    p.screenshot(artifacts_dir / "browser-snapline-id.png")
    assert not p.errors, p.errors
    p.close()
