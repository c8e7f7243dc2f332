"""Bike share in the planners: the free minutes of a ticket as a tour budget and in warnings, GPX of a trip.

Paris (``paris_bss.osm.pbf``) with a GBFS 3.0 feed built from its 46 OSM
stations (`test_bikeshare._feed`), served on 127.0.0.1 with a pricing plan
whose first priced minute sets the included minutes. The browser side is in
``test_bikeshare_planner_browser.py``.
"""

from __future__ import annotations

import re
from contextlib import ExitStack, contextmanager

import pytest
from gbfs_fixtures.feedserver import FeedServer
from lxml import etree
from test_bikeshare import TRIPS, _feed

from routes.stations import osm_stations
from routes.tours import plan_tour, tour_warnings

START = "{},{}".format(*TRIPS[0][0])
WHEN = "2026-06-02T10:00"  # opening hours are checked: a fixed time, not now


@pytest.fixture(scope="module")
def paris_stations(paris_net):
    return osm_stations(paris_net)


@contextmanager
def _served(stations, included):
    """A live feed of every Paris station (4 bikes, 6 free docks); ``included`` minutes in its plan."""
    with FeedServer() as srv:
        for name, doc in _feed(stations, lambda s: (4, 6, True, True), included).items():
            srv.set(f"paris/{name}.json", doc)
        yield srv.url("paris/gbfs.json")


def _client(paris_net, **config):
    from webapp import create_app

    app = create_app({"TESTING": True, "NETWORK": paris_net, "TILES_URL": "", "WARM_PROFILES": False, **config})
    return app.test_client()


@pytest.fixture()
def feed_client(paris_net, paris_stations):
    """``feed_client(included)`` -> a test client of an app whose GBFS feed includes that many minutes."""
    with ExitStack() as stack:
        yield lambda included: _client(paris_net, GBFS_URL=stack.enter_context(_served(paris_stations, included)))


def _tour(client, **q):
    return client.get("/api/tour", query_string={"start": START, "start_time": WHEN, **q})


def _error(resp, status=400, code="InvalidValue"):
    assert resp.status_code == status, resp.get_data(as_text=True)
    err = resp.get_json()["error"]
    assert err["code"] == code
    return err["message"]


# --------------------------------------------------------------------------- the tour budget


def test_no_budget_with_a_feed_is_a_discovery_tour_in_the_included_minutes(feed_client):
    # riding within the minutes the ticket includes, the visits on top (the bike docked meanwhile)
    client = feed_client(60)
    resp = _tour(client)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    p = resp.get_json()["properties"]
    assert p["kind"] == "discovery" and p["included_minutes"] == 60 and p["ride_budget_min"] == 60
    assert p["budget_min"] == 120 and p["stops"] and p["duration_s"] <= 60 * 60 and p["total_s"] <= 120 * 60
    assert all(w.startswith("With visits the tour takes about") for w in p["warnings"])  # never "riding longer"
    # budget=included says the same explicitly (with interests)
    q = {"start": START, "start_time": WHEN, "budget": "included", "interests": "heritage,park"}
    r2 = client.get("/api/tour", query_string=q)
    assert r2.status_code == 200, r2.get_data(as_text=True)
    p2 = r2.get_json()["properties"]
    assert p2["budget_min"] == 120 and p2["ride_budget_min"] == 60 and p2["interests"] == {"heritage": 1.0, "park": 1.0}
    # minutes asked for win over the included ones; the ticket's still warns
    p3 = _tour(client, budget_min="90").get_json()["properties"]
    assert p3["budget_min"] == 90 and p3["included_minutes"] == 60 and p3["ride_budget_min"] is None
    assert p3["total_s"] > 60 * 60 and len(p3["warnings"]) == 1 and "60 min" in p3["warnings"][0]


def test_the_included_minutes_follow_the_feed(feed_client):
    p = feed_client(45).get("/api/tour", query_string={"start": START, "start_time": WHEN}).get_json()["properties"]
    assert p["ride_budget_min"] == 45 and p["included_minutes"] == 45 and p["duration_s"] <= 45 * 60


def _order_tour(client, **more):
    stops = [
        d["id"]
        for d in [
            {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
            for f in client.get("/api/tour/destinations").get_json()["features"]
        ]
    ][:4]
    resp = client.get("/api/tour", query_string={"start": START, "start_time": WHEN, "stops": ",".join(stops), **more})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["properties"]


def test_riding_longer_than_the_included_minutes_is_warned(paris_net, feed_client):
    plain = _order_tour(_client(paris_net))
    assert plain["warnings"] == [] and plain["included_minutes"] is None  # no feed: nothing to warn about
    ride_min = plain["duration_s"] / 60
    assert ride_min > 3
    included = int(ride_min) - 1  # the ride takes longer than this
    p = _order_tour(feed_client(included))
    assert p["order"] == plain["order"] and p["included_minutes"] == included
    (w,) = p["warnings"]
    assert w.startswith(f"Riding takes about {int(ride_min + 0.5)} min, more than the {included} min")
    (w_id,) = _order_tour(feed_client(included), lang="id")["warnings"]
    assert w_id.startswith("Waktu bersepeda sekitar") and f"{included} menit" in w_id


def test_a_tour_longer_than_the_included_minutes_with_its_visits_is_warned(paris_net, feed_client):
    plain = _order_tour(_client(paris_net))
    ride_min, total_min = plain["duration_s"] / 60, plain["total_s"] / 60
    assert total_min > ride_min + 10  # visits
    included = int(ride_min) + 2  # riding fits, riding and visiting does not
    (w,) = _order_tour(feed_client(included))["warnings"]
    assert w.startswith("With visits the tour takes about") and f"{included} min" in w
    assert _order_tour(feed_client(int(total_min) + 2))["warnings"] == []


def test_tour_gpx_with_the_included_budget(feed_client, gpx_schema):
    resp = _tour(feed_client(60), budget="included", format="gpx")
    assert resp.status_code == 200 and resp.mimetype == "application/gpx+xml"
    doc = etree.fromstring(resp.data)
    assert gpx_schema.validate(doc), gpx_schema.error_log
    assert doc.findall("{http://www.topografix.com/GPX/1/1}wpt")


@pytest.mark.parametrize(
    "query, text",
    [
        ({"budget": "included"}, "budget=included needs a bike-share feed"),
        ({"budget": "free"}, "budget must be 'included'"),
        ({}, "give exactly one of stops, budget_min or distance_km"),
    ],
)
def test_budget_errors_without_a_feed(paris_net, query, text):
    assert text in _error(_tour(_client(paris_net), **query))


def test_a_feed_without_included_minutes(feed_client):
    client = feed_client(None)  # no pricing plans
    assert "budget=included needs" in _error(_tour(client, budget="included"))
    assert "give exactly one of" in _error(_tour(client))
    p = _tour(client, budget_min="60").get_json()["properties"]
    assert p["warnings"] == [] and p["included_minutes"] is None


def test_an_unreachable_feed_never_fails_a_tour(paris_net):
    with FeedServer() as gone:
        url = gone.url("paris/gbfs.json")
    client = _client(paris_net, GBFS_URL=url, GBFS_TIMEOUT=2)
    assert "budget=included needs" in _error(_tour(client, budget="included"))
    resp = _tour(client, budget_min="60")
    assert resp.status_code == 200 and resp.get_json()["properties"]["warnings"] == []


def test_the_library_takes_included_minutes(paris_net):
    start = TRIPS[0][0]
    p = plan_tour(paris_net, start, included_minutes=60, start_time=WHEN)["properties"]
    assert p["kind"] == "discovery" and p["ride_budget_min"] == 60 and p["included_minutes"] == 60
    assert p["budget_min"] == 120 and p["duration_s"] <= 60 * 60  # riding in the free minutes, visits on top
    p = plan_tour(paris_net, start, distance_km=3, start_time=WHEN)["properties"]
    assert p["warnings"] == [] and p["included_minutes"] is None
    with pytest.raises(ValueError, match="included_minutes must be above 0"):
        plan_tour(paris_net, start, included_minutes=0)
    assert tour_warnings({"duration_s": 601, "total_s": 601}, 10) != []
    assert tour_warnings({"duration_s": 600, "total_s": 600}, 10) == []
    assert tour_warnings({"duration_s": 6000, "total_s": 6000}, None) == []
    # minutes rounded as the map shows them, but never "about 30 min, more than the 30 min"
    assert "about 31 min, more than the 30 min" in tour_warnings({"duration_s": 1850, "total_s": 1850}, 30)[0]
    assert "about 30 min, more than the 29 min" in tour_warnings({"duration_s": 1790, "total_s": 1790}, 29)[0]
    assert "sekitar 31 menit" in tour_warnings({"duration_s": 1000, "total_s": 1850}, 30, lang="id")[0]


def test_openapi_documents_budget(paris_net):
    doc = _client(paris_net).get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/tour"]["get"]["parameters"]}
    assert params["budget"]["schema"]["enum"] == ["included"]


# --------------------------------------------------------------------------- the trip planner's API


def _trip_q(trip, **more):
    (a, b), (c, d) = trip
    return {"from": f"{a},{b}", "to": f"{c},{d}", "mode": "bikeshare", **more}


def test_trip_carries_what_the_planner_panel_shows(feed_client):
    p = feed_client(3).get("/api/route", query_string=_trip_q(TRIPS[0])).get_json()["properties"]
    assert [leg["mode"] for leg in p["legs"]] == ["walk", "bike", "walk"]
    for leg in p["legs"]:
        assert len(leg["coordinates"]) >= 2 and leg["duration_s"] > 0
    for end in ("pickup", "dropoff"):
        s = p["stations"][end]
        assert s["name"] and len(s["location"]) == 2
    assert p["live"] is True and p["stale"] is False and p["last_updated"] == "2026-06-01T12:00:00Z"
    assert p["included_minutes"] == 3 and p["ride_duration_s"] > 180
    assert any("more than the 3 min the ticket includes" in w for w in p["warnings"])
    assert "walk_only_duration_s" in p


@pytest.mark.parametrize(
    "lang, title",
    [
        ("en", r"bikemap bike share, \d+\.\d km \(walk \d+ min, ride \d+ min, walk \d+ min\)"),
        ("id", r"bikemap sepeda sewaan, \d+,\d km \(jalan kaki \d+ min, bersepeda \d+ min, jalan kaki \d+ min\)"),
    ],
)
def test_trip_gpx(feed_client, gpx_schema, lang, title):
    client = feed_client(30)
    f = client.get("/api/route", query_string=_trip_q(TRIPS[0], lang=lang)).get_json()
    resp = client.get("/api/route", query_string=_trip_q(TRIPS[0], lang=lang, format="gpx"))
    assert resp.status_code == 200 and resp.mimetype == "application/gpx+xml"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    doc = etree.fromstring(resp.data)
    assert gpx_schema.validate(doc), gpx_schema.error_log
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert re.fullmatch(title, doc.findtext("g:metadata/g:name", namespaces=ns))
    names = [w.findtext("g:name", namespaces=ns) for w in doc.findall("g:wpt", namespaces=ns)]
    pickup, dropoff = (f["properties"]["stations"][k]["name"] for k in ("pickup", "dropoff"))
    assert len(names) == 4 and pickup in names[1] and dropoff in names[2]
    # the track is the whole trip: walk, ride, walk
    pts = doc.findall("g:trk/g:trkseg/g:trkpt", namespaces=ns)
    assert len(pts) == len(f["geometry"]["coordinates"])


def test_plain_route_gpx_keeps_its_title(feed_client):
    q = _trip_q(TRIPS[0], format="gpx")
    del q["mode"]
    body = feed_client(30).get("/api/route", query_string=q).get_data(as_text=True)
    assert "<name>bikemap safe route," in body


# --------------------------------------------------------------------------- strings


NEW_KEYS = [
    "travel_mode",
    "mode_bike",
    "mode_bikeshare",
    "bs_legs",
    "bs_walk_to",
    "bs_ride_to",
    "bs_walk_end",
    "bs_pickup",
    "bs_dropoff",
    "bs_warnings",
    "bs_warn_included",
    "bs_warn_stale",
    "bs_warn_stale_nodata",
    "bs_warn_osm",
    "bs_warn_walk",
    "bs_stops_skipped",
    "bs_err_NoRoute",
    "tour_use_included",
    "tour_warnings",
    "bs_help",
    "bs_title",
]


def test_strings_in_both_languages():
    from routes.i18n import catalogue

    strings = {lang: catalogue(lang) for lang in ("en", "id")}
    for key in NEW_KEYS:
        en, id_ = strings["en"][key], strings["id"][key]
        assert en and id_ and en != id_, key
        assert set(re.findall(r"\{\w+\}", en)) == set(re.findall(r"\{\w+\}", id_)), key
