"""The tour panel in a real browser (Debian's chromium driven by Playwright), against waitress on 127.0.0.1.

Plans a discovery tour, a best order of two chosen museums and a round trip on
the demo network; checks the numbered stops, the timeline, the GPX download
(validated against the GPX 1.1 schema) and the Indonesian text. Screenshots
go to artifacts/.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(live_server, browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(f"console: {m.text}"))
    yield pg
    ctx.close()


def wait_for(pg, js: str, timeout_s: float = 30.0):
    """Poll a JS expression (the page's CSP forbids the eval behind wait_for_function)."""
    for _ in range(int(timeout_s * 10)):
        if pg.evaluate(f"() => !!({js})"):
            return
        pg.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {js}")


def plan_and_wait(pg):
    pg.evaluate("() => { const t = document.getElementById('bm-tour-total'); if (t) t.id = 'old-total'; }")
    pg.click("#bm-tour-plan")
    wait_for(
        pg,
        "document.getElementById('bm-tour-total') || document.querySelector('#bm-tour-status.bm-error')",
    )
    assert not pg.locator("#bm-tour-status.bm-error").count(), pg.locator("#bm-tour-status").inner_text()


def test_tour_panel(page, live_server, artifacts_dir, gpx_schema):
    from lxml import etree

    pg = page
    pg.goto(live_server + "/?from=60.1699,24.9384&lang=en")
    wait_for(
        pg,
        "window.bikemap && window.bikemap.tours && document.querySelectorAll('.bm-tour-cat input').length > 5",
    )
    assert pg.locator("#panel-tour h2").inner_text() == "Tour"
    # the start is named by what is there (issue #18), not by its coordinates
    wait_for(pg, "document.getElementById('bm-tour-start').textContent.includes('Helsinki')")
    assert pg.locator("#bm-tour-start").inner_text() == "Start: Mannerheimintie 20 B, Helsinki"

    # discovery: museums, 90 minutes from 10:00
    pg.check(".bm-tour-cat input[value=museum]")
    pg.fill("#bm-tour-budget", "90")
    pg.fill("#bm-tour-when", "2026-07-01T10:00")
    plan_and_wait(pg)
    visits = pg.locator("#bm-tour-timeline .bm-tl-visit")
    rides = pg.locator("#bm-tour-timeline .bm-tl-ride")
    assert visits.count() >= 1 and rides.count() == visits.count() + 1
    assert pg.locator(".bm-marker-tour").count() == visits.count()
    assert "visit" in visits.first.inner_text() and "arrive 10:" in visits.first.inner_text()
    assert rides.first.inner_text().startswith("Ride ")
    pg.screenshot(path=str(artifacts_dir / "tour-discovery.png"))
    with pg.expect_download() as dl:
        pg.click("#bm-tour-gpx")
    doc = etree.parse(dl.value.path())
    gpx_schema.assertValid(doc)
    assert len(doc.findall("{http://www.topografix.com/GPX/1/1}wpt")) == visits.count()

    # best order of two chosen museums
    pg.select_option("#bm-tour-mode", "order")
    pg.fill("#bm-tour-search", "museum")
    wait_for(pg, "document.querySelectorAll('#bm-tour-results li[role=option]').length >= 2")
    pg.locator("#bm-tour-results li[role=option]").nth(0).click()
    pg.fill("#bm-tour-search", "museum")
    wait_for(pg, "document.querySelectorAll('#bm-tour-results li[role=option]').length >= 2")
    pg.locator("#bm-tour-results li[role=option]").nth(1).click()
    assert pg.locator("#bm-tour-places li").count() == 2
    plan_and_wait(pg)
    assert pg.locator("#bm-tour-timeline .bm-tl-visit").count() == 2
    assert pg.locator(".bm-marker-tour").count() == 2
    # at 03:00 a place with known opening hours is closed on arrival: the timeline says so
    pg.fill("#bm-tour-when", "2026-07-01T03:00")
    plan_and_wait(pg)
    opened = pg.evaluate("() => bikemap.tours.last.properties.stops.map(s => s.open)")
    assert False in opened and pg.locator(".bm-tl-closed-note").count() == opened.count(False)

    # round trip of 5 km
    pg.select_option("#bm-tour-mode", "loop")
    pg.fill("#bm-tour-distance", "5")
    plan_and_wait(pg)
    km = float(pg.locator("#bm-tour-distance-out").inner_text().split()[0].replace(",", "."))
    assert 4.25 <= km <= 5.75
    pg.screenshot(path=str(artifacts_dir / "tour-loop.png"))
    assert pg.errors == []


def test_tour_panel_indonesian_and_errors(page, live_server):
    pg = page
    pg.goto(live_server + "/?lang=id")
    wait_for(
        pg,
        "window.bikemap && window.bikemap.tours && document.querySelectorAll('.bm-tour-cat input').length > 5",
    )
    assert pg.locator("#panel-tour h2").inner_text() == "Tur"
    assert pg.locator("#bm-tour-plan").inner_text() == "Rencanakan tur"
    assert "Alam" in pg.locator(".bm-tour-interests").inner_text()  # category labels from routes/data/categories.toml
    pg.click("#bm-tour-plan")  # no start yet: a message, no request
    assert "titik awal" in pg.locator("#bm-tour-status").inner_text()
    pg.goto(live_server + "/?from=60.1699,24.9384&lang=id")
    wait_for(
        pg,
        "window.bikemap && window.bikemap.tours && document.querySelectorAll('.bm-tour-cat input').length > 5",
    )
    pg.fill("#bm-tour-budget", "10")
    pg.check(".bm-tour-cat input[value=museum]")
    pg.click("#bm-tour-plan")
    wait_for(pg, "document.querySelector('#bm-tour-status.bm-error')")
    assert "terlalu singkat" in pg.locator("#bm-tour-status").inner_text()
    assert pg.errors == [] or all("400" in e for e in pg.errors)
