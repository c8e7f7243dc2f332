"""Dock-to-dock bike-share trips on central Paris, with a GBFS feed built from its OSM stations."""

from __future__ import annotations

import json
import random

import pytest
from gbfs_fixtures.feedserver import FeedServer

from routes import route
from routes.bikeshare import DOCK_S, bikeshare_route
from routes.cli import main
from routes.errors import NoRouteError
from routes.gbfs import GbfsClient
from routes.network import haversine_m
from routes.stations import osm_stations

# start -> destination pairs inside the extract (lat, lon)
TRIPS = [
    ((48.86078, 2.35835), (48.86994, 2.36524)),
    ((48.86796, 2.36542), (48.86551, 2.35590)),
    ((48.86591, 2.35337), (48.86699, 2.36877)),
    ((48.86131, 2.35241), (48.86833, 2.36531)),
    ((48.86534, 2.35342), (48.85772, 2.37597)),
]


def _feed(stations, status_of, included=None) -> dict[str, dict]:
    """GBFS 3.0 documents for stations (dicts from `osm_stations`)."""
    head = {"last_updated": "2026-06-01T12:00:00Z", "ttl": 60, "version": "3.0"}
    info = [
        {
            "station_id": s["station_id"],
            "name": [{"text": s["name"], "language": "fr"}],
            "lat": s["lat"],
            "lon": s["lon"],
            "capacity": s["capacity"] or 20,
        }
        for s in stations
    ]
    status = []
    for s in stations:
        bikes, docks, renting, returning = status_of(s)
        status.append(
            {
                "station_id": s["station_id"],
                "num_vehicles_available": bikes,
                "num_docks_available": docks,
                "is_installed": True,
                "is_renting": renting,
                "is_returning": returning,
                "last_reported": "2026-06-01T11:59:00Z",
            }
        )
    feeds = [{"name": n, "url": "{base}/paris/" + n + ".json"} for n in ("station_information", "station_status")]
    docs = {
        "station_information": {**head, "data": {"stations": info}},
        "station_status": {**head, "data": {"stations": status}},
    }
    if included is not None:
        feeds.append({"name": "system_pricing_plans", "url": "{base}/paris/system_pricing_plans.json"})
        docs["system_pricing_plans"] = {
            **head,
            "data": {
                "plans": [
                    {
                        "plan_id": "single",
                        "name": [{"text": "Ticket", "language": "fr"}],
                        "currency": "EUR",
                        "price": 3.0,
                        "is_taxable": False,
                        "per_min_pricing": [{"start": included, "rate": 1.0, "interval": 30}],
                    }
                ]
            },
        }
    docs["gbfs"] = {**head, "data": {"feeds": feeds}}
    return docs


@pytest.fixture(scope="module")
def paris_stations(paris_net):
    return osm_stations(paris_net)


@pytest.fixture()
def serve(paris_stations):
    """``serve(status_of, included=None)`` -> a fresh snapshot of a live Paris feed."""
    with FeedServer() as srv:

        def make(status_of=lambda s: (5, 10, True, True), included=None):
            for name, doc in _feed(paris_stations, status_of, included).items():
                srv.set(f"paris/{name}.json", doc)
            return GbfsClient(srv.url("paris/gbfs.json"), timeout=5).snapshot()

        make.srv = srv
        yield make


def _nearest(stations, point, ok):
    return min((s for s in stations if ok(s)), key=lambda s: haversine_m(point[1], point[0], s["lon"], s["lat"]))


def _trip_s(net, start, end, a, b) -> float:
    """Door-to-door time through stations a and b, planned leg by leg with `routes.route`."""
    pa, pb = (a["lat"], a["lon"]), (b["lat"], b["lon"])
    walk1 = route(net, [start, pa], profile="walk")["properties"]["duration_s"]
    ride = route(net, [pa, pb], profile="safe")["properties"]["duration_s"]
    walk2 = route(net, [pb, end], profile="walk")["properties"]["duration_s"]
    return walk1 + ride + walk2 + 2 * DOCK_S


def test_trip_legs(paris_net, serve):
    snap = serve()
    start, end = TRIPS[0]
    f = bikeshare_route(paris_net, [start, end], snapshot=snap)
    p = f["properties"]
    legs = p["legs"]
    assert [leg["mode"] for leg in legs] == ["walk", "bike", "walk"]
    a, b = p["stations"]["pickup"]["station_id"], p["stations"]["dropoff"]["station_id"]
    assert a != b
    assert [(leg["from_station"], leg["to_station"]) for leg in legs] == [(None, a), (a, b), (b, None)]
    assert [leg["profile"] for leg in legs] == ["walk", "safe", "walk"]
    for leg in legs:
        assert leg["distance_m"] > 0 and leg["duration_s"] > 0
    assert p["distance_m"] == pytest.approx(sum(leg["distance_m"] for leg in legs), abs=0.2)
    assert p["duration_s"] == pytest.approx(sum(leg["duration_s"] for leg in legs) + 2 * DOCK_S, abs=0.2)
    # walking is slower than riding: 5 km/h on foot
    assert legs[0]["distance_m"] / legs[0]["duration_s"] == pytest.approx(5 / 3.6, rel=0.05)
    assert legs[1]["distance_m"] / legs[1]["duration_s"] > 5 / 3.6 * 2
    # one continuous line from the start to the destination, through both stations
    line = f["geometry"]["coordinates"]
    assert haversine_m(*line[0], start[1], start[0]) < 60 and haversine_m(*line[-1], end[1], end[0]) < 60
    assert line[len(legs[0]["coordinates"]) - 1] == legs[1]["coordinates"][0]
    assert p["live"] and not p["stale"] and p["stations"]["pickup"]["num_bikes_available"] == 5
    types = [i["type"] for i in p["instructions"]]
    assert types.count("pickup") == 1 and types.count("dropoff") == 1 and types[-1] == "arrive"
    json.dumps(f)


def test_chosen_pair_is_at_least_as_fast_as_the_nearest(paris_net, serve, paris_stations):
    snap = serve()
    gains = []
    for start, end in TRIPS:
        p = bikeshare_route(paris_net, [start, end], snapshot=snap)["properties"]
        a = _nearest(paris_stations, start, lambda s: True)
        b = _nearest(paris_stations, end, lambda s, a=a: s is not a)
        nearest_s = _trip_s(paris_net, start, end, a, b)
        assert p["duration_s"] <= nearest_s + 0.5
        gains.append(nearest_s - p["duration_s"])
        # and it is what routes.route gives through the chosen stations
        byid = {s["station_id"]: s for s in paris_stations}
        chosen = _trip_s(
            paris_net,
            start,
            end,
            byid[p["stations"]["pickup"]["station_id"]],
            byid[p["stations"]["dropoff"]["station_id"]],
        )
        assert p["duration_s"] == pytest.approx(chosen, abs=0.5)
    assert max(gains) > 60  # on real streets the nearest dock is not always the quickest


def test_stations_that_cannot_rent_or_return_are_never_chosen(paris_net, serve, paris_stations):
    start, end = TRIPS[1]
    first = bikeshare_route(paris_net, [start, end], snapshot=serve())["properties"]["stations"]
    closed = {first["pickup"]["station_id"], _nearest(paris_stations, start, lambda s: True)["station_id"]}
    empty = {_nearest(paris_stations, start, lambda s: s["station_id"] not in closed)["station_id"]}
    full = {first["dropoff"]["station_id"], _nearest(paris_stations, end, lambda s: True)["station_id"]}

    def status(s):
        sid = s["station_id"]
        return (0 if sid in empty else 5, 0 if sid in full else 10, sid not in closed, True)

    p = bikeshare_route(paris_net, [start, end], snapshot=serve(status))["properties"]
    assert p["stations"]["pickup"]["station_id"] not in closed | empty
    assert p["stations"]["dropoff"]["station_id"] not in full
    assert p["stations"]["pickup"]["can_rent"] and p["stations"]["dropoff"]["can_return"]


def test_random_availability(paris_net, serve):
    rng = random.Random(7)
    states = {}

    def status(s):
        states[s["station_id"]] = st = (rng.choice([0, 3]), rng.choice([0, 4]), rng.random() > 0.3, rng.random() > 0.3)
        return st

    snap = serve(status)
    for start, end in TRIPS:
        p = bikeshare_route(paris_net, [start, end], snapshot=snap)["properties"]
        bikes, _, renting, _ = states[p["stations"]["pickup"]["station_id"]]
        _, docks, _, returning = states[p["stations"]["dropoff"]["station_id"]]
        assert renting and bikes > 0 and returning and docks > 0


def test_no_station_can_rent(paris_net, serve):
    snap = serve(lambda s: (0, 10, True, True))
    with pytest.raises(NoRouteError, match="no bike-share station that can rent a bike within 1000 m"):
        bikeshare_route(paris_net, list(TRIPS[0]), snapshot=snap)


def test_pricing_plan_warning(paris_net, serve):
    start, end = TRIPS[4]
    p = bikeshare_route(paris_net, [start, end], snapshot=serve(included=2))["properties"]
    assert p["included_minutes"] == 2 and p["legs"][1]["duration_s"] > 120
    assert any("more than the 2 min the ticket includes" in w for w in p["warnings"])
    p = bikeshare_route(paris_net, [start, end], snapshot=serve(included=30))["properties"]
    assert p["included_minutes"] == 30 and not any("ticket" in w for w in p["warnings"])


def test_stale_feed_still_plans(paris_net, serve):
    serve()
    client = GbfsClient(serve.srv.url("paris/gbfs.json"), timeout=5)
    good = client.snapshot()
    serve.srv.set("paris/station_status.json", b"{broken")
    stale = client.refresh()
    assert stale.stale and stale.stations == good.stations
    p = bikeshare_route(paris_net, list(TRIPS[0]), snapshot=stale)["properties"]
    assert p["stale"] and any("out of date" in w for w in p["warnings"])


def test_unreachable_feed_falls_back_to_osm(paris_net):
    with FeedServer() as srv:
        url = srv.url("paris/gbfs.json")
    p = bikeshare_route(paris_net, list(TRIPS[0]), gbfs_url=url)["properties"]
    assert not p["live"] and p["stale"] and p["stations"]["pickup"]["source"] == "osm"


def test_osm_stations_only(paris_net):
    p = bikeshare_route(paris_net, list(TRIPS[2]))["properties"]
    assert [leg["mode"] for leg in p["legs"]] == ["walk", "bike", "walk"]
    assert any("no live availability" in w for w in p["warnings"])


def test_bad_input(paris_net):
    from routes.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="start and a destination"):
        bikeshare_route(paris_net, [TRIPS[0][0]])
    with pytest.raises(InvalidValueError, match="latitude"):
        bikeshare_route(paris_net, [(91.0, 2.35), TRIPS[0][1]])


def test_cli_bikeshare(capsys, shared_data, serve):
    serve()
    src = str(shared_data / "paris_bss.osm.pbf")
    (a, b), (c, d) = TRIPS[0]
    assert (
        main(
            [
                "bikeshare",
                "--source",
                src,
                "--from",
                f"{a},{b}",
                "--to",
                f"{c},{d}",
                "--gbfs",
                serve.srv.url("paris/gbfs.json"),
                "--json",
            ]
        )
        == 0
    )
    f = json.loads(capsys.readouterr().out)
    assert f["properties"]["mode"] == "bikeshare" and f["properties"]["live"]
    assert main(["bikeshare", "--source", src, "--from", f"{a},{b}", "--to", f"{c},{d}"]) == 0
    out = capsys.readouterr().out
    assert "Take a bike at" in out and "door to door" in out
    assert main(["bikeshare", "--source", src, "--from", "x", "--to", f"{c},{d}"]) == 2


def test_trip_exports_to_gpx(paris_net, gpx_schema):
    from lxml import etree

    from routes.gpx import feature_to_gpx

    f = bikeshare_route(paris_net, list(TRIPS[0]))
    doc = etree.fromstring(feature_to_gpx(f).encode())
    assert gpx_schema.validate(doc), gpx_schema.error_log
    names = [
        w.findtext("{http://www.topografix.com/GPX/1/1}name")
        for w in doc.iter("{http://www.topografix.com/GPX/1/1}wpt")
    ]
    assert names[0] == "Start" and names[1].startswith("Take a bike at") and names[2].startswith("Return the bike at")


def test_destination_beside_an_island_snaps_to_the_streets(paris_net):
    # the Forum des Halles footways (access=customers) form a walkable island cut off from the
    # streets; snapping avoids such small pieces, so the trip ends on a street beside it
    f = bikeshare_route(paris_net, [(48.86028, 2.36493), (48.86116, 2.35213)])
    modes = [leg["mode"] for leg in f["properties"]["legs"]]
    assert "bike" in modes and modes[-1] == "walk"
