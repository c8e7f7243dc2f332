"""What a visitor tripped over on the map page (issue #17), replayed in headless chromium at 375 and 1280 px.

On the demo network (Helsinki) served by waitress: a tour in the share link (reload, a shared link on
another screen), drawn instead of the route and on the phone's summary chip; the round trip's timeline
in riding order; a night start moved to the morning and shown; the map refitted after "Go here" and a
picked search result; a connector to a destination inside a block; the point that is too far named;
GPX and link buttons only with a route. On central Paris with a live GBFS feed: stations with their
own look, a count badge and every state in the legend; a tour in the bike share's free minutes.
Screenshots in ``artifacts/``: ``visitor-tour-phone.png``, ``visitor-tour-desktop.png``,
``visitor-stations.png``.
"""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from gbfs_fixtures.feedserver import FeedServer
from test_bikeshare import TRIPS, _feed
from test_browser import Page

from routes.stations import osm_stations

pytestmark = pytest.mark.browser

A, B = (60.1699, 24.9384), (60.1618, 24.9510)
ROUTE_LINES = (
    "Object.values(bikemap.map._layers).filter(l => l.feature && l.options.color === '#6d28d9' && l.getLatLngs)"
)


def _q(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


#: a tour's answer may take the server's whole budget (COST_TIME_S, 30 s in the tests): the first tour of a new
#: clone compiles the solvers, and beside the rest of the suite that once took longer than 20 s
TOUR_WAIT_S = 45.0


def _plan_tour(p: Page):
    p.page.click("#bm-tour-plan")
    p.wait_for(
        "(document.getElementById('bm-tour-total') || document.querySelector('#bm-tour-status.bm-error')) && "
        "!document.body.classList.contains('bm-busy')",
        TOUR_WAIT_S,
    )
    assert not p.page.locator("#bm-tour-status.bm-error").count(), p.page.locator("#bm-tour-status").inner_text()


def _timeline(p: Page) -> list[str]:
    return [t.strip() for t in p.page.locator("#bm-tour-timeline li").all_inner_texts()]


def test_a_tour_is_in_the_share_link_and_replaces_the_route(browser, live_server, artifacts_dir):
    phone = Page(browser, live_server, 375, 800)
    pg = phone.page
    phone.goto(f"/?from={A[0]},{A[1]}&to={B[0]},{B[1]}&lang=en")
    route_text = phone.distance()
    phone.wait_for("!document.querySelector('.bm-mini').hidden")
    assert pg.locator(".bm-mini").inner_text().startswith(route_text)
    assert pg.locator("#bm-gpx").is_visible() and pg.locator("#bm-share").is_visible()

    # museums weighted "much", 90 minutes from 10:00
    phone.wait_for("document.querySelectorAll('.bm-tour-cat input').length > 5")
    pg.check(".bm-tour-cat input[value=museum]")
    pg.select_option(".bm-tour-weight[data-cat=museum]", "2")
    pg.check(".bm-tour-cat input[value=park]")
    pg.fill("#bm-tour-budget", "90")
    pg.fill("#bm-tour-when", "2026-07-01T10:00")
    _plan_tour(phone)
    total = pg.locator("#bm-tour-total").inner_text().strip()
    dist = pg.locator("#bm-tour-distance-out").inner_text().strip()
    timeline = _timeline(phone)
    # the tour, not the route: no route line, its panel folded, the chip with the tour's figures
    assert pg.evaluate(f"{ROUTE_LINES}.length") == 0
    assert pg.locator("#panel-route").is_hidden()
    assert pg.locator(".bm-mini").inner_text() == f"{dist} \u00b7 {total} \u2193"
    assert pg.locator(".bm-mini").get_attribute("aria-controls") == "panel-tour"
    q = _q(pg)
    assert q["tour"] == "discovery" and q["tmin"] == "90" and q["twhen"] == "2026-07-01T10:00"
    assert q["tint"] == "museum:2,park" and q["from"] and q["to"]
    assert pg.locator("#bm-tour-share").is_visible()
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    pg.evaluate("document.getElementById('panel-tour').scrollIntoView()")
    phone.screenshot(artifacts_dir / "visitor-tour-phone.png")

    # a reload shows the same tour, with the same choices in the form
    pg.reload()
    phone.wait_for(
        "window.bikemap && document.getElementById('bm-tour-total') && !document.body.classList.contains('bm-busy')",
        TOUR_WAIT_S,
    )
    assert _timeline(phone) == timeline and pg.locator("#bm-tour-total").inner_text().strip() == total
    assert (
        pg.is_checked(".bm-tour-cat input[value=museum]") and pg.input_value(".bm-tour-weight[data-cat=museum]") == "2"
    )
    phone.wait_for(f"{ROUTE_LINES}.length === 0 && document.getElementById('panel-route').hidden")
    shared = pg.url
    assert not phone.errors, phone.errors
    phone.close()

    # the shared link on a desktop: the same tour; its figures on one line each at 1280 px
    desk = Page(browser, live_server, 1280, 800)
    dp = desk.page
    dp.goto(shared)
    desk.wait_for(
        "window.bikemap && document.getElementById('bm-tour-total') && !document.body.classList.contains('bm-busy')",
        TOUR_WAIT_S,
    )
    assert _timeline(desk) == timeline
    for dd in dp.locator("#bm-tour-summary dd").all():
        box, size = dd.bounding_box(), dd.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box["height"] <= size * 1.2, (dd.inner_text(), box)  # "20.0 km", never "20.0" over "km"
    desk.screenshot(artifacts_dir / "visitor-tour-desktop.png")
    # clearing the tour brings the route back and takes the tour out of the link
    dp.click("#bm-tour-clear")
    desk.wait_for(f"{ROUTE_LINES}.length === 1 && !document.getElementById('panel-route').hidden")
    assert "tour" not in _q(dp) and dp.locator("#bm-distance").inner_text().strip() == route_text
    # a tour again, then the visitor changes the route (A and B swapped): the old tour goes, the route shows
    _plan_tour(desk)
    dp.click("#bm-reverse")
    desk.wait_for(f"{ROUTE_LINES}.length === 1 && !document.getElementById('bm-tour-total')")
    assert "tour" not in _q(dp)
    assert not desk.errors, desk.errors
    desk.close()


def test_round_trip_timeline_in_riding_order(browser, live_server):
    p = Page(browser, live_server, 1280, 800)
    p.goto(f"/?from={A[0]},{A[1]}&lang=en")
    p.wait_for("document.querySelectorAll('.bm-tour-cat input').length > 5")
    p.page.select_option("#bm-tour-mode", "loop")
    p.page.fill("#bm-tour-distance", "4")
    _plan_tour(p)
    kinds = p.page.evaluate(
        "Array.from(document.querySelectorAll('#bm-tour-timeline li')).map(li => "
        "li.classList.contains('bm-tl-pass') ? 'pass' : li.classList.contains('bm-tl-ride') ? 'ride' : li.className)"
    )
    tour = p.page.evaluate("bikemap.tours.last.properties")
    assert tour["stops"], "the loop passes no destination"
    assert kinds[0] == "bm-tl-start" and kinds[-1] == "bm-tl-end" and kinds[-2] == "ride", kinds
    assert kinds.count("pass") == len(tour["stops"]) and kinds[1] == "ride", kinds
    # each stop after the ride that reaches it: the riding time before it is its arrival
    rides = [s["duration_s"] for s in tour["timeline"] if s["type"] == "ride"]
    for n, stop in enumerate(tour["stops"]):
        at = [i for i, k in enumerate(kinds) if k == "pass"][n]
        assert sum(rides[: kinds[:at].count("ride")]) == pytest.approx(stop["arrival_s"], abs=1.0)
    assert _q(p.page)["tour"] == "loop" and _q(p.page)["tkm"] == "4"
    assert not p.errors, p.errors
    p.close()


def test_a_tour_planned_at_night_starts_in_the_morning(browser, live_server, monkeypatch):
    import routes.tours as tours

    tz = tours.ZoneInfo("Europe/Helsinki")
    monkeypatch.setattr(tours, "_now", lambda _tz: dt.datetime(2026, 7, 1, 23, 30, tzinfo=tz))
    p = Page(browser, live_server, 1280, 800)
    p.goto(f"/?from={A[0]},{A[1]}&lang=en")
    p.wait_for("document.querySelectorAll('.bm-tour-cat input').length > 5")
    assert p.page.input_value("#bm-tour-when") == ""
    assert "9:00 at night" in p.page.locator("label[for=bm-tour-when]").inner_text()
    p.page.fill("#bm-tour-budget", "60")
    _plan_tour(p)
    first = p.page.locator("#bm-tour-warnings li").first.inner_text()
    assert first.startswith("It is night now") and "tomorrow at 09:00" in first
    assert p.page.input_value("#bm-tour-when") == "2026-07-02T09:00"  # there to change
    assert _timeline(p)[0] == "Start 09:00"
    assert _q(p.page)["twhen"] == "2026-07-02T09:00"
    # the visitor changes it: planned as asked, no note
    p.page.fill("#bm-tour-when", "2026-07-02T11:30")
    _plan_tour(p)
    assert _timeline(p)[0] == "Start 11:30"
    assert not [w for w in p.page.locator("#bm-tour-warnings li").all_inner_texts() if "night" in w]
    assert not p.errors, p.errors
    p.close()


def _route_in_view(p: Page) -> bool:
    return p.page.evaluate(
        f"(() => {{ const l = {ROUTE_LINES}[0]; return !!l && bikemap.map.getBounds().contains(l.getBounds()); }})()"
    )


def test_the_map_fits_the_route_after_go_here_and_a_picked_result(browser, live_server):
    p = Page(browser, live_server, 1280, 800)
    pg = p.page
    p.goto(f"/?from={A[0]},{A[1]}&lang=en")
    # a destination 1 to 2.5 km away, from its popup's "Go here", while the map shows only the start up close
    target = pg.evaluate(f"""(() => {{
        let best = null;
        bikemap.layers.destinations.eachLayer(l => {{
            const d = l.getLatLng().distanceTo([{A[0]}, {A[1]}]);
            const ll = l.getLatLng();
            if (d > 1000 && d < 2500 && (!best || d > best.d)) best = {{d: d, lat: ll.lat, lon: ll.lng}};
        }});
        return best;
    }})()""")
    assert target, "no destination 1 to 2.5 km from the start"
    # the visitor has zoomed in on the destination: the start is far off screen
    pg.evaluate(f"bikemap.map.setView([{target['lat']}, {target['lon']}], 18, {{animate: false}}) && null")
    pg.wait_for_timeout(300)
    p.click_latlon(target["lat"], target["lon"])
    pg.locator(".leaflet-popup .bm-act[data-act=to]").click()
    p.wait_for(
        f"{ROUTE_LINES}.length === 1 && !document.body.classList.contains('bm-busy') && !bikemap.map._animatingZoom"
    )
    pg.wait_for_timeout(400)
    assert _route_in_view(p)
    # a search result picked while zoomed in on the start: the new route is fitted too
    pg.evaluate(f"bikemap.map.setView([{A[0]}, {A[1]}], 18, {{animate: false}}) && null")
    pg.fill("#bm-search", "museum")
    p.wait_for("document.querySelectorAll('#bm-results li[role=option]').length > 1")
    pg.locator("#bm-results li[role=option]").nth(1).click()
    p.wait_for(f"{ROUTE_LINES}.length === 1 && !document.body.classList.contains('bm-busy')")
    pg.wait_for_timeout(600)
    p.wait_for("!bikemap.map._animatingZoom")
    assert _route_in_view(p)
    assert not p.errors, p.errors
    p.close()


def test_a_destination_inside_a_block_gets_a_connector(browser, live_server, web_app):
    client = web_app.test_client()
    start = f"{A[0]},{A[1]}"
    inside = None
    for d in client.get("/api/destinations").get_json()["features"][:80]:
        lon, lat = d["geometry"]["coordinates"]
        resp = client.get("/api/route", query_string={"from": start, "to": f"{lat},{lon}"})
        if resp.status_code == 200 and resp.get_json()["properties"]["waypoints"][-1]["distance_m"] >= 25:
            inside = (lat, lon, resp.get_json()["properties"]["waypoints"][-1])
            break
    assert inside, "no destination 25 m or more from its street"
    p = Page(browser, live_server, 375, 740)
    p.goto(f"/?from={start}&to={inside[0]:.6f},{inside[1]:.6f}&lang=en")
    p.distance()
    lines = p.page.evaluate(
        "Object.values(bikemap.map._layers).filter(l => l.getLatLngs && l.options.className === 'bm-connector')"
        ".map(l => l.getLatLngs().map(x => [x.lng, x.lat]))"
    )
    to_dest = [ln for ln in lines if abs(ln[-1][0] - inside[1]) < 1e-5 and abs(ln[-1][1] - inside[0]) < 1e-5]
    assert len(to_dest) == 1, lines
    assert to_dest[0][0] == pytest.approx(inside[2]["location"], abs=1e-6)  # from where the route leaves the street
    assert not p.errors, p.errors
    p.close()


def test_the_point_too_far_is_named_and_buttons_wait_for_a_route(browser, live_server):
    p = Page(browser, live_server, 375, 740)
    pg = p.page
    p.goto("/?lang=en")
    assert pg.locator("#bm-gpx").is_hidden() and pg.locator("#bm-share").is_hidden()
    p.goto(f"/?from={A[0]},{A[1]}&to=60.30,25.20&lang=en")
    p.wait_for("document.querySelector('#bm-status.bm-error')")
    assert pg.locator("#bm-status").inner_text().startswith("The destination (B) is too far from any street")
    assert pg.locator("#bm-gpx").is_hidden() and pg.locator("#bm-share").is_hidden()
    p.goto(f"/?from=60.30,25.20&to={A[0]},{A[1]}&lang=id")
    p.wait_for("document.querySelector('#bm-status.bm-error')")
    assert pg.locator("#bm-status").inner_text().startswith("Titik awal (A) terlalu jauh")
    p.goto(f"/?from={A[0]},{A[1]}&to={B[0]},{B[1]}&lang=en")
    p.distance()
    assert pg.locator("#bm-gpx").is_visible() and pg.locator("#bm-share").is_visible()
    assert not [e for e in p.errors if "status of 422" not in e], p.errors  # the two refused routes
    p.close()


# --------------------------------------------------------------------------- live bike share (Paris)

STATES = {0: (4, 6, True, True), 1: (0, 10, True, True), 2: (10, 0, True, True), 3: (0, 0, False, False)}


@pytest.fixture(scope="module")
def paris_server(paris_net):
    from waitress.server import create_server

    from webapp import create_app

    def status(s):  # every state somewhere
        return STATES[sum(map(ord, str(s["station_id"]))) % 4]

    with FeedServer() as feed:
        for name, doc in _feed(osm_stations(paris_net), status, 20).items():
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


def test_live_stations_have_their_own_look_and_legend(browser, paris_server, artifacts_dir):
    p = Page(browser, paris_server, 1280, 800)
    pg = p.page
    p.goto("/?lang=en")
    p.wait_for("document.querySelectorAll('.leaflet-marker-pane .bm-st').length === 46")
    # zoomed out: small squares, no counts over the streets; from zoom 15 the counts
    p.wait_for("!bikemap.map._animatingZoom")  # the page's first fit
    pg.evaluate("bikemap.map.setZoom(13, {animate: false}) && null")
    p.wait_for("bikemap.map.getZoom() < 15")
    small = pg.locator(".leaflet-marker-pane .bm-st").first.bounding_box()
    assert small["width"] <= 28 and small["height"] <= 24 and pg.locator(".bm-st-count").first.is_hidden()
    pg.evaluate("bikemap.map.setZoom(16, {animate: false}) && null")
    p.wait_for("bikemap.map.getZoom() >= 15")
    # no station is a circle (circles are destinations); each a badge "bikes/docks"
    circles = pg.evaluate(
        "Object.values(bikemap.map._layers).filter(l => l instanceof L.CircleMarker && l.feature && "
        "'num_bikes_available' in l.feature.properties).length"
    )
    assert circles == 0
    badges = pg.locator(".leaflet-marker-pane .bm-st .bm-st-count").all_inner_texts()
    assert set(badges) == {"4/6", "0/10", "10/0", "0/0"}
    for cls, text in (("ok", "4/6"), ("no-bikes", "0/10"), ("no-docks", "10/0"), ("closed", "0/0")):
        assert pg.locator(f".leaflet-marker-pane .bm-st-{cls}").first.inner_text().strip() == text
    colours = pg.evaluate(
        "['ok', 'no-bikes', 'no-docks', 'closed'].map(c => getComputedStyle("
        "document.querySelector('.leaflet-marker-pane .bm-st-' + c)).backgroundColor)"
    )
    dest = pg.evaluate("getComputedStyle(document.querySelector('.bm-swatch-destination')).backgroundColor")
    assert len(set(colours)) == 4 and dest not in colours
    title = pg.locator(".leaflet-marker-pane .bm-st-icon").first.get_attribute("title")
    assert " bikes, " in title and title.endswith(" free docks")  # the counts in words, for a screen reader
    # every state in the legend
    legend = pg.locator("#panel-legend li[data-state]")
    assert legend.count() == 4
    texts = legend.all_inner_texts()
    assert any("no bikes" in t for t in texts) and any("no free docks" in t for t in texts)
    assert any("not in service" in t for t in texts) and any("bikes / docks" in t for t in texts)
    pg.locator("#panel-legend").scroll_into_view_if_needed()
    p.screenshot(artifacts_dir / "visitor-stations.png")
    assert not p.errors, p.errors
    p.close()


def test_a_tour_in_the_free_minutes_rides_within_them(browser, paris_server):
    p = Page(browser, paris_server, 375, 800)
    pg = p.page
    a = TRIPS[0][0]
    p.goto(f"/?from={a[0]},{a[1]}&lang=en")
    p.wait_for("!document.querySelector('label:has(#bm-tour-included)').hidden")
    pg.check("#bm-tour-included")
    assert pg.locator("#bm-tour-budget").is_enabled()
    assert "20 free minutes" in pg.locator("#bm-tour-included-note").inner_text()
    assert pg.locator("label[for=bm-tour-budget]").inner_text() == "Time for the whole tour with visits, minutes"
    pg.fill("#bm-tour-budget", "120")
    pg.fill("#bm-tour-when", "2026-06-02T10:00")
    _plan_tour(p)
    tour = pg.evaluate("bikemap.tours.last.properties")
    assert tour["duration_s"] <= 20 * 60 < tour["total_s"] and tour["ride_budget_min"] == 20
    assert pg.locator("#bm-tour-warnings li").first.inner_text().startswith("With visits the tour takes about")
    assert _q(pg)["tinc"] == "1"
    assert not p.errors, p.errors
    p.close()
