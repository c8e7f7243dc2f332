"""Bike share in the web app: /api/stations live from GBFS, /api/route?mode=bikeshare, the map script."""

from __future__ import annotations

import pytest
from gbfs_fixtures.feedserver import FeedServer
from test_bikeshare import TRIPS, _feed

from routes.gbfs import client_for
from routes.stations import osm_stations

EVIL = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def feed(paris_net):
    stations = osm_stations(paris_net)
    stations[0] = dict(stations[0], name=EVIL)
    with FeedServer() as srv:
        for name, doc in _feed(stations, lambda s: (4, 6, True, True)).items():
            srv.set(f"paris/{name}.json", doc)
        yield srv


def _app(paris_net, **config):
    from webapp import create_app

    return create_app({"TESTING": True, "NETWORK": paris_net, "TILES_URL": "", "WARM_PROFILES": False, **config})


@pytest.fixture(scope="module")
def live_client(paris_net, feed):
    return _app(paris_net, GBFS_URL=feed.url("paris/gbfs.json")).test_client()


def _q(trip, **more):
    (a, b), (c, d) = trip
    return {"from": f"{a},{b}", "to": f"{c},{d}", **more}


def test_live_stations(live_client):
    resp = live_client.get("/api/stations")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    fc = resp.get_json()
    assert fc["live"] and fc["stale"] is False and len(fc["features"]) == 46
    p = fc["features"][0]["properties"]
    assert p["num_bikes_available"] == 4 and p["num_docks_available"] == 6 and p["is_renting"] is True
    assert p["id"] == p["station_id"] and p["last_reported"] == "2026-06-01T11:59:00Z"
    assert p["name"] == EVIL  # JSON carries the raw text; the map script sets it as text


def test_live_stations_bbox(live_client):
    fc = live_client.get("/api/stations?bbox=2.35,48.855,2.36,48.87").get_json()
    assert 0 < len(fc["features"]) < 46
    assert all(2.35 <= f["geometry"]["coordinates"][0] <= 2.36 for f in fc["features"])


def test_bikeshare_route(live_client):
    resp = live_client.get("/api/route", query_string=_q(TRIPS[0], mode="bikeshare"))
    assert resp.status_code == 200
    p = resp.get_json()["properties"]
    assert p["mode"] == "bikeshare" and p["live"]
    assert [leg["mode"] for leg in p["legs"]] == ["walk", "bike", "walk"]
    assert p["legs"][0]["to_station"] == p["legs"][1]["from_station"] == p["stations"]["pickup"]["station_id"]
    gpx = live_client.get("/api/route", query_string=_q(TRIPS[0], mode="bikeshare", format="gpx"))
    assert gpx.status_code == 200 and gpx.mimetype == "application/gpx+xml" and b"Take a bike at" in gpx.data


def test_plain_route_unchanged(live_client):
    p = live_client.get("/api/route", query_string=_q(TRIPS[0])).get_json()["properties"]
    assert "mode" not in p and p["profile"] == "safe"
    assert live_client.get("/api/route", query_string=_q(TRIPS[0], mode="bike")).status_code == 200


@pytest.mark.parametrize(
    "more, text",
    [
        ({"mode": "boat"}, "mode must be bike or bikeshare"),
        ({"mode": "bikeshare", "via": "48.864,2.36"}, "via points are not allowed"),
    ],
)
def test_bikeshare_route_errors(live_client, more, text):
    resp = live_client.get("/api/route", query_string=_q(TRIPS[0], **more))
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["code"] == "InvalidValue" and text in err["message"]


def test_stale_feed_is_served_with_the_flag(paris_net, feed):
    client = _app(paris_net, GBFS_URL=feed.url("paris/gbfs.json")).test_client()
    assert client.get("/api/stations").get_json()["stale"] is False
    try:
        with feed.serving("paris/station_status.json", b"{oops"):
            client_for(feed.url("paris/gbfs.json")).refresh()
            fc = client.get("/api/stations").get_json()
            assert fc["stale"] and "not valid JSON" in fc["stale_reason"] and len(fc["features"]) == 46
            assert fc["features"][0]["properties"]["num_bikes_available"] == 4  # the last good counts
            resp = client.get("/api/route", query_string=_q(TRIPS[0], mode="bikeshare"))
            assert resp.status_code == 200 and resp.get_json()["properties"]["stale"]
    finally:
        client_for(feed.url("paris/gbfs.json")).refresh()
    assert client.get("/api/stations").get_json()["stale"] is False  # the feed is whole again for the tests after


def test_unreachable_feed_falls_back_to_osm(paris_net):
    with FeedServer() as gone:
        url = gone.url("paris/gbfs.json")
    client = _app(paris_net, GBFS_URL=url).test_client()
    fc = client.get("/api/stations").get_json()
    assert fc["live"] is False and fc["stale"] and len(fc["features"]) == 46
    resp = client.get("/api/route", query_string=_q(TRIPS[0], mode="bikeshare"))
    assert resp.status_code == 200 and resp.get_json()["properties"]["stations"]["pickup"]["source"] == "osm"


def test_without_feed_stations_are_osm(paris_net):
    client = _app(paris_net).test_client()
    fc = client.get("/api/stations").get_json()
    assert len(fc["features"]) == 46 and fc["live"] is False and fc["source"] == "osm"  # one shape, feed or not
    resp = client.get("/api/route", query_string=_q(TRIPS[0], mode="bikeshare"))
    assert resp.status_code == 200
    assert any("no live availability" in w for w in resp.get_json()["properties"]["warnings"])


def test_map_page_loads_the_stations_script(live_client):
    html = live_client.get("/").get_data(as_text=True)
    assert "js/stations.js" in html
    js = live_client.get("/static/js/stations.js").get_data(as_text=True)
    assert "textContent" in js or "bm.el(" in js
    assert "innerHTML" not in js


def test_serve_gbfs_option():
    from routes.cli import build_parser
    from webapp.cli import serve
    from webapp.cli.serve import _config

    args = build_parser([serve.register]).parse_args(["serve", "--gbfs", "https://example.org/gbfs.json"])
    assert _config(args)["GBFS_URL"] == "https://example.org/gbfs.json"


# --------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_live_popups_in_chromium(paris_net, feed, browser):
    import threading

    from waitress.server import create_server

    server = create_server(_app(paris_net, GBFS_URL=feed.url("paris/gbfs.json")), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}/"
    errors = []
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
        page.goto(base)
        find = """() => Object.values(window.bikemap.map._layers).filter(
                     l => l.feature && l.feature.properties && 'num_bikes_available' in l.feature.properties)"""
        page.wait_for_function(f"({find})().length === 46", timeout=20000)
        text = page.evaluate(f"""() => {{
            const m = ({find})().find(l => l.feature.properties.name.startsWith('<img'));
            m.openPopup();
            const box = document.querySelector('.leaflet-popup-content .bm-station');
            return {{text: box.textContent, imgs: box.querySelectorAll('img').length,
                     acts: box.querySelectorAll('.bm-act').length}};
        }}""")
        ctx.close()
    finally:
        server.close()
    assert EVIL in text["text"] and text["imgs"] == 0  # the name is text, not markup
    assert "Bikes: 4" in text["text"] and "Free docks: 6" in text["text"] and text["acts"] == 2
    assert not errors
