"""Place search and point names in chromium, on Liechtenstein: search a street and an address,
pick them, and the route runs from the address to the street; a tapped point gets its name."""

from __future__ import annotations

import threading

import pytest
from test_browser import Page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(liechtenstein_net):
    from waitress.server import create_server

    from webapp import create_app

    app = create_app({"TESTING": True, "NETWORK": liechtenstein_net, "WARM_PROFILES": False, "BASEMAP": "none"})
    srv = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=srv.run, daemon=True).start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


def _search_and_pick(p: Page, text: str, kind: str) -> str:
    box = p.page.locator("#bm-search")
    box.fill("")
    box.type(text, delay=20)
    # the answer to the whole text: a key typed late on a loaded machine lets the page ask for a part of it
    # first ("La"), and that list's first street is not the one wanted
    first = p.page.locator(f'#bm-place-results[data-for="{text}"] li[data-kind={kind}]').first
    first.wait_for(timeout=10_000)
    label = first.evaluate("li => li.firstChild.textContent")
    first.click()
    return label


def test_search_an_address_and_a_street_and_route_between(browser, server, artifacts_dir):
    p = Page(browser, server, 1280, 800)
    p.goto("/")
    address = _search_and_pick(p, "kirchstrasse 2", "address")
    assert address.startswith("Kirchstrasse 2"), address
    start = p.page.evaluate("() => window.bikemap.planner.state.from")
    assert start["name"] == address
    street = _search_and_pick(p, "Landstr", "street")
    assert street.startswith("Landstrasse"), street
    assert p.distance()
    listed = p.page.locator("#bm-points").inner_text()
    assert address in listed and street in listed
    p.wait_for("document.querySelectorAll('#bm-directions .bm-dir-place').length === 2")
    steps = p.page.locator("#bm-directions li").all_inner_texts()
    assert address in steps[0] and street in steps[-1], steps
    # the route starts at the address picked (within the snapping distance)
    first = p.page.evaluate(
        "() => window.bikemap.api('route', window.bikemap.planner.params()).then(f => f.geometry.coordinates[0])"
    )
    assert first and abs(first[1] - start["lat"]) < 0.002 and abs(first[0] - start["lon"]) < 0.003, (first, start)
    p.screenshot(artifacts_dir / "search-route.png")
    # the page URL (reload, "Copy link") carries the names: a shared link shows the same ones
    shared = p.page.evaluate("() => location.pathname + location.search")
    assert "names=" in shared
    p.goto(shared)
    p.wait_for("window.bikemap.planner.state.to && window.bikemap.planner.state.to.name")
    p.page.wait_for_timeout(300)  # a reverse lookup, were it asked, would have answered by now
    got = p.page.evaluate("() => [window.bikemap.planner.state.from.name, window.bikemap.planner.state.to.name]")
    assert got == [address, street]
    assert not p.errors, p.errors
    p.close()


def test_a_tapped_point_is_named_by_what_is_there(browser, server):
    p = Page(browser, server, 375, 740)
    p.goto("/?from=47.16566,9.50986&to=47.1410,9.5215")  # beside Schulgass 5, Schaan; a street in Vaduz
    p.wait_for("window.bikemap.planner.state.from && window.bikemap.planner.state.from.name")
    assert p.page.evaluate("() => window.bikemap.planner.state.from.name") == "Schulgass 5, Schaan"
    assert "Schulgass 5, Schaan" in p.page.locator("#bm-points").inner_text()
    # the GPX download names its waypoints the same way
    p.wait_for("document.getElementById('bm-gpx').href.includes('names=')")
    href = p.page.locator("#bm-gpx").get_attribute("href")
    gpx = p.page.evaluate("(u) => fetch(u).then(r => r.text())", href)
    assert "<name>Schulgass 5, Schaan</name>" in gpx and ", Vaduz</name>" in gpx
    assert not p.errors, p.errors
    p.close()
