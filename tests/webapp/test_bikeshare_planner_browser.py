"""The bike-share travel mode of the planner, and the tour panel's free minutes, in headless chromium.

The app serves central Paris (``paris_bss.osm.pbf``) with a live GBFS feed built
from its 46 OpenStreetMap stations (4 bikes and 6 free docks each; a ticket
includes 3 minutes, so a ride across the extract is longer), on 127.0.0.1.
Screenshots in ``artifacts/``: ``bikeshare-planner-desktop.png``, ``bikeshare-planner-tour.png``,
``bikeshare-planner-phone-id-map.png``, ``bikeshare-planner-phone-id.png``.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from gbfs_fixtures.feedserver import FeedServer
from test_bikeshare import TRIPS, _feed
from test_browser import Page

from routes.stations import osm_stations

pytestmark = pytest.mark.browser
INCLUDED = 3
(A, B) = TRIPS[0]


@pytest.fixture(scope="module")
def server(paris_net):
    from waitress.server import create_server

    from webapp import create_app

    with FeedServer() as feed:
        for name, doc in _feed(osm_stations(paris_net), lambda s: (4, 6, True, True), INCLUDED).items():
            feed.set(f"paris/{name}.json", doc)
        app = create_app(
            {
                "TESTING": True,
                "NETWORK": paris_net,
                "TILES_URL": "",
                "BASEMAP": "none",  # the base map is test_basemap_browser's: here it would be drawn in software GL
                "WARM_PROFILES": False,
                "GBFS_URL": feed.url("paris/gbfs.json"),
            }
        )
        srv = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=srv.run, daemon=True).start()
        yield f"http://127.0.0.1:{srv.effective_port}"
        srv.close()


def _ready(p: Page):
    """The live stations are on the map (so the switch and the tour's free minutes are offered)."""
    p.wait_for(
        "Object.values(bikemap.map._layers).filter(l => l.feature && l.feature.properties && "
        "'num_bikes_available' in l.feature.properties).length === 46 && "
        "!document.getElementById('bm-modes').hidden"
    )


def _plan_two_points(p: Page):
    p.page.evaluate(
        f"bikemap.map.fitBounds([[{A[0]}, {A[1]}], [{B[0]}, {B[1]}]], {{padding: [60, 60], animate: false}})"
    )
    p.page.wait_for_timeout(300)
    p.click_latlon(*A)
    p.page.wait_for_timeout(450)  # two quick clicks would be a double-click zoom
    p.click_latlon(*B)
    p.wait_for("document.querySelectorAll('#bm-legs li').length === 3 && !document.body.classList.contains('bm-busy')")


def _legs(p: Page) -> list[str]:
    return [t.strip() for t in p.page.locator("#bm-legs li span").all_inner_texts()]


def _trip(p: Page, lang: str = "en") -> dict:
    """The trip the server plans for the page's points (what the panel must show)."""
    q = parse_qs(urlsplit(p.page.url).query)
    return p.page.evaluate(
        "(q) => fetch('/api/route?' + new URLSearchParams(q)).then(r => r.json())",
        {"from": q["from"][0], "to": q["to"][0], "mode": "bikeshare", "lang": lang},
    )["properties"]


def _drawn_paths(p: Page) -> list[dict]:
    """The route's lines on the map (a canvas): their class and dash pattern."""
    return p.page.evaluate("""() => Object.values(bikemap.map._layers)
        .filter(l => l.getLatLngs && /bm-leg-/.test(l.options.className || ''))
        .map(l => ({cls: l.options.className, dash: l.options.dashArray || null, n: l.getLatLngs().length}))""")


def test_bike_share_mode_in_chromium(browser, server, artifacts_dir, gpx_schema):
    from lxml import etree

    p = Page(browser, server, 1280, 800)
    page = p.page
    p.goto("/?lang=en")
    _ready(p)
    assert page.locator("#bm-modes legend").inner_text() == "How do you travel?"
    assert page.locator("#bm-mode-bike").is_checked()
    page.locator("#bm-mode-bikeshare-label").click()
    assert page.locator("#bm-mode-bikeshare").is_checked()
    assert parse_qs(urlsplit(page.url).query)["mode"] == ["bikeshare"]
    _plan_two_points(p)

    trip = _trip(p)
    pickup, dropoff = trip["stations"]["pickup"]["name"], trip["stations"]["dropoff"]["name"]
    legs = _legs(p)
    assert legs[0].startswith("Walk ") and legs[0].endswith(f" min to {pickup}")
    assert legs[1].startswith("Ride ") and legs[1].endswith(f" min to {dropoff}")
    assert legs[2].startswith("Walk ") and legs[2].endswith(" min") and " to " not in legs[2]
    minutes = [max(1, round(leg["duration_s"] / 60)) for leg in trip["legs"]]
    assert [int(t.split()[1]) for t in legs] == minutes
    # walks dashed, the ride solid; both stations marked
    paths = _drawn_paths(p)
    assert sum("bm-leg-walk" in x["cls"] for x in paths) == 2 and sum("bm-leg-bike" in x["cls"] for x in paths) == 1
    assert all(x["dash"] for x in paths if "bm-leg-walk" in x["cls"])
    assert not any(x["dash"] for x in paths if "bm-leg-bike" in x["cls"])
    assert page.locator(".bm-bs-pickup").get_attribute("title") == f"Take a bike: {pickup}"
    assert page.locator(".bm-bs-dropoff").get_attribute("title") == f"Return the bike: {dropoff}"
    # warnings in plain words: the ride is longer than the 3 included minutes
    warnings = page.locator("#bm-warnings li").all_inner_texts()
    ride = page.locator("#bm-ride-duration").inner_text().strip()
    assert f"The ride takes about {ride}, more than the {INCLUDED} min your ticket includes" in warnings[0], warnings
    assert page.locator("#bm-ride-duration").is_visible()
    # the URL keeps the mode; the GPX link asks for the same trip
    q = parse_qs(urlsplit(page.url).query)
    assert q["mode"] == ["bikeshare"] and "from" in q and "to" in q
    href = page.locator("#bm-gpx").get_attribute("href")
    assert "mode=bikeshare" in href and "format=gpx" in href
    with page.expect_download() as dl:
        page.locator("#bm-gpx").click()
    doc = etree.parse(dl.value.path())
    assert gpx_schema.validate(doc), gpx_schema.error_log
    assert pickup in etree.tostring(doc, encoding="unicode")
    p.screenshot(artifacts_dir / "bikeshare-planner-desktop.png")

    # the tour panel offers the free minutes; a tour that rides longer says so
    free = page.locator("#bm-tour-included")
    assert free.is_visible()
    assert (
        page.locator("label:has(#bm-tour-included)").inner_text().strip()
        == f"Use the free minutes of the bike share ({INCLUDED} min)"
    )
    free.check()
    # riding within the free minutes; the minutes field stays the time for the whole tour (#17)
    assert page.locator("#bm-tour-budget").is_enabled() and page.locator("#bm-tour-included-note").is_visible()
    assert page.evaluate("bikemap.tours.params().budget") == "included"
    page.select_option("#bm-tour-mode", "order")
    page.fill("#bm-tour-when", "2026-06-02T10:00")  # by day: at night the tour would start the next morning
    for i in (0, 1):
        page.locator("#bm-tour-search").fill("park")
        p.wait_for("document.querySelectorAll('#bm-tour-results li[role=option]').length > 1")
        page.locator("#bm-tour-results li[role=option]").nth(i).click()
    assert page.locator("#bm-tour-places li").count() == 2
    page.locator("#bm-tour-plan").click()
    p.wait_for(
        "document.querySelectorAll('#bm-tour-timeline li').length && !document.body.classList.contains('bm-busy')"
    )
    tour_warn = page.locator("#bm-tour-warnings li").all_inner_texts()
    assert len(tour_warn) == 1 and f"more than the {INCLUDED} min the bike-share ticket includes" in tour_warn[0]
    riding = page.locator("#bm-tour-riding").inner_text().strip()  # "16 min": the warning says the same
    assert tour_warn[0].startswith(f"Riding takes about {riding},"), (riding, tour_warn)
    page.locator("#bm-tour-warnings").scroll_into_view_if_needed()
    p.screenshot(artifacts_dir / "bikeshare-planner-tour.png")

    # a reload keeps the mode and the trip (the tour, in the URL too while shown, cleared first)
    page.locator("#bm-tour-clear").click()
    p.wait_for(
        "document.querySelectorAll('#bm-legs li').length === 3 && !document.getElementById('panel-route').hidden"
    )
    url = page.url
    page.reload()
    p.wait_for("window.bikemap && window.bikemap.planner")
    p.wait_for("document.querySelectorAll('#bm-legs li').length === 3")
    assert page.locator("#bm-mode-bikeshare").is_checked() and _legs(p) == legs

    # back to the own bike: a plain route, no legs, no mode in the URL
    page.locator("#bm-mode-bike-label").click()
    p.wait_for("document.getElementById('bm-legs').hidden && document.getElementById('bm-shares').childElementCount")
    assert "mode" not in parse_qs(urlsplit(page.url).query)
    assert page.locator(".bm-bs-pickup").count() == 0 and not _drawn_paths(p)
    assert not p.errors, p.errors
    p.close()

    # a phone, in Indonesian, from the shared link
    phone = Page(browser, server, 375, 740)
    phone.goto("/?" + urlsplit(url).query.replace("lang=en", "lang=id"))
    phone.wait_for("document.querySelectorAll('#bm-legs li').length === 3")
    ph = phone.page
    trip_id = _trip(phone, "id")
    legs_id = _legs(phone)
    assert legs_id[0].startswith("Jalan kaki ") and legs_id[0].endswith(trip_id["stations"]["pickup"]["name"])
    assert legs_id[1].startswith("Bersepeda ")
    assert ph.locator("#bm-mode-bikeshare-label").inner_text().strip() == "Sepeda sewaan"
    assert ph.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the screen
    for sel in ("#bm-modes", "#bm-legs", "#bm-warnings"):
        box = ph.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, sel
    labels = [ph.locator(f"#bm-mode-{m}-label").bounding_box() for m in ("bike", "bikeshare")]
    assert all(lab["height"] >= 36 for lab in labels)  # a finger-sized target
    phone.screenshot(artifacts_dir / "bikeshare-planner-phone-id-map.png")  # the map, the switch below it
    ph.evaluate("document.querySelector('#panel-route h2').scrollIntoView()")
    phone.screenshot(artifacts_dir / "bikeshare-planner-phone-id.png")  # the legs and the warning
    assert not phone.errors, phone.errors

    # stops in the plan: kept in the URL for the own bike, left out of the bike-share trip (which has none)
    q = urlsplit(url).query + "&via=48.8655,2.3612"
    phone.goto("/?" + q)
    phone.wait_for("document.querySelectorAll('#bm-legs li').length === 3")
    assert ph.locator("#bm-via-note").is_visible() and ph.locator(".bm-marker-via").count() == 0
    assert parse_qs(urlsplit(ph.url).query)["via"] == ["48.8655,2.3612"]
    assert not ph.locator("#bm-status.bm-error").count()
    phone.wait_for("!bikemap.map._animatingZoom")  # a tap during the fit's zoom animation is no map click
    phone.click_latlon(48.8672, 2.3600)  # a third tap moves the destination
    phone.wait_for("!document.body.classList.contains('bm-busy') && document.querySelectorAll('#bm-legs li').length")
    q2 = parse_qs(urlsplit(ph.url).query)
    assert q2["to"] != parse_qs(q)["to"] and q2["via"] == ["48.8655,2.3612"]
    ph.locator("#bm-mode-bike-label").click()
    phone.wait_for("document.querySelectorAll('.bm-marker-via').length === 1")
    assert not phone.errors, phone.errors
    phone.close()


def test_no_switch_where_there_is_no_bike_share(browser, andorra_net):
    """Andorra's extract has no bike-share station: no switch; a shared bike-share link still explains itself."""
    from waitress.server import create_server

    from webapp import create_app

    app = create_app(
        {"TESTING": True, "NETWORK": andorra_net, "TILES_URL": "", "BASEMAP": "none", "WARM_PROFILES": False}
    )
    srv = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=srv.run, daemon=True).start()
    try:
        p = Page(browser, f"http://127.0.0.1:{srv.effective_port}", 1280, 800)
        p.goto("/?lang=en")
        p.page.wait_for_timeout(500)
        assert not p.page.locator("#bm-modes").is_visible()
        p.goto("/?from=42.5078,1.5211&to=42.53506,1.57697&mode=bikeshare&lang=en")
        p.wait_for("document.querySelector('#bm-status.bm-error')")
        assert p.page.locator("#bm-modes").is_visible() and p.page.locator("#bm-mode-bikeshare").is_checked()
        assert p.page.locator("#bm-status").inner_text().startswith("No bike-share trip found")
        p.page.locator("#bm-mode-bike-label").click()
        p.wait_for("document.getElementById('bm-distance') && !document.body.classList.contains('bm-busy')")
        assert not p.page.locator("#bm-status.bm-error").count()
        # the only thing chromium logs is the 422 of the trip no station can serve
        assert [e for e in p.errors if "status of 422" not in e] == [] and len(p.errors) == 1, p.errors
        p.close()
    finally:
        srv.close()
