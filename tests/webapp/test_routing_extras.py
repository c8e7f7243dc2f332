"""Honest snapping, alternatives, reachability and GPX tracks in: library, CLI and JSON API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routes import route
from routes.alternatives import route_alternatives
from routes.cli import main as cli_main
from routes.errors import InvalidValueError, OffNetworkError
from routes.reach import reach
from routes.routing import route_pieces

A, B = (60.1699, 24.9384), (60.1660, 24.9500)  # Helsinki: the railway station, Esplanadi
Q = "from=60.1699,24.9384&to=60.1660,24.9500"
STEPS = (60.173025, 24.941012)  # beside steps on a small piece of footways cut off from the streets
ONEWAY = (60.174238, 24.949856)  # on a oneway street whose piece is small, yet leads on to the streets


# ----------------------------------------------------------------------------- snapping


def test_a_point_stays_on_its_street_when_it_can_leave_it(demo_net):
    router = demo_net.router("safe")
    nearest = router.snap(*ONEWAY)
    assert not router.seg_big[nearest.seg]  # a small piece: the old rule moved the point away
    assert router.snap(*ONEWAY, avoid_small=True).distance_m > 5
    _, snaps, _ = route_pieces(demo_net, [ONEWAY, B])
    assert snaps[0].seg == nearest.seg and snaps[0].distance_m < 2


def test_a_point_cut_off_from_the_other_moves_and_says_so(demo_net):
    router = demo_net.router("safe")
    assert not router.seg_big[router.snap(*STEPS).seg]
    f = route(demo_net, [STEPS, B])
    w = f["properties"]["waypoints"][0]
    assert w["snapped_m"] > 50 and w["moved"] is True
    assert w["snapped_m"] == pytest.approx(router.snap(*STEPS, avoid_small=True).distance_m, abs=0.1)
    assert f["properties"]["waypoints"][1]["moved"] is False


def test_errors_name_the_point(demo_net):
    with pytest.raises(OffNetworkError, match=r"^the destination \(60.300000,25.200000\) is \d+ m from") as exc:
        route(demo_net, [A, (60.30, 25.20)])
    assert exc.value.point == "to" and exc.value.details["distance_m"] > 500
    with pytest.raises(OffNetworkError, match=r"^via point 2 "):
        route(demo_net, [A, B, (60.30, 25.20), B])


# ----------------------------------------------------------------------------- alternatives


def test_alternatives_differ_cost_little_and_take_no_loops(liechtenstein_net):
    net = liechtenstein_net
    feats = route_alternatives(net, [(47.1410, 9.5209), (47.0600, 9.5000)], n=3)
    assert 2 <= len(feats) <= 4
    best = feats[0]["properties"]
    assert best["alternative"] == 0 and best["shared_pct"] == 100
    router = net.router("safe")
    seen = []
    for f in feats[1:]:
        p = f["properties"]
        assert p["cost"] <= 1.3 * best["cost"] + 1
        assert p["shared_pct"] <= 60
        coords = [tuple(c[:2]) for c in f["geometry"]["coordinates"]]
        assert len(set(coords)) == len(coords), "an alternative passes a place twice (a loop)"
        seen.append(coords)
    assert router is net.router("safe")
    for i in range(len(seen)):  # every pair differs meaningfully, not just from the best
        for j in range(i):
            shared = len(set(seen[i]) & set(seen[j])) / len(seen[i])
            assert shared < 0.8


def test_alternatives_bad_requests(demo_net):
    with pytest.raises(InvalidValueError, match="0 to 3"):
        route_alternatives(demo_net, [A, B], n=4)
    with pytest.raises(InvalidValueError, match="via points"):
        route_alternatives(demo_net, [A, (60.165, 24.94), B], n=1)
    assert len(route_alternatives(demo_net, [A, B], n=0)) == 1


# ----------------------------------------------------------------------------- reachability


def test_reach_polygons_grow_with_time_and_hold_the_start(demo_net):
    import shapely.geometry

    fc = reach(demo_net, A, minutes=[10, 5])
    assert [f["properties"]["minutes"] for f in fc["features"]] == [5, 10]
    small, big = (shapely.geometry.shape(f["geometry"]) for f in fc["features"])
    assert small.is_valid and big.is_valid
    assert 0 < small.area < big.area
    start = shapely.geometry.Point(fc["start"])
    assert small.contains(start)
    assert small.difference(big).area < 0.02 * small.area  # nested, but for the simplified outlines
    # 5 minutes by bike (about 1.5 km) reaches far less than a 5 km circle
    assert fc["features"][0]["properties"]["area_km2"] < 3.14 * 1.5**2 * 1.2


def test_reach_follows_closures(demo_net):
    router = demo_net.router("safe")
    s = router.snap(*A).seg
    closed = np.full_like(router.cost, np.inf)
    closed[2 * s : 2 * s + 2] = router.cost[2 * s : 2 * s + 2]  # only the start's own street is open
    open_area = reach(demo_net, A, minutes=[10])["features"][0]["properties"]["area_km2"]
    shut = reach(demo_net, A, minutes=[10], edge_cost=closed)["features"][0]["properties"]["area_km2"]
    assert shut < 0.1 < open_area


# ----------------------------------------------------------------------------- CLI


def test_cli_alternatives_reach_and_match(tmp_path, capsys):
    assert cli_main(["route", "--from", "60.1699,24.9384", "--to", "60.1660,24.9500", "--alternatives", "2"]) == 0
    out = capsys.readouterr().out
    assert "km, about" in out and "Surfaces:" in out
    assert cli_main(["reach", "--from", "60.1699,24.9384", "--minutes", "5,10", "--json"]) == 0
    fc = json.loads(capsys.readouterr().out)
    assert [f["properties"]["minutes"] for f in fc["features"]] == [5, 10]
    gpx = tmp_path / "a.gpx"
    assert cli_main(["route", "--from", "60.1699,24.9384", "--to", "60.1660,24.9500", "--gpx", str(gpx)]) == 0
    capsys.readouterr()
    assert cli_main(["match", str(gpx), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"]["instructions"]
    bad = tmp_path / "bad.gpx"
    bad.write_text("not xml")
    assert cli_main(["match", str(bad)]) == 2
    assert cli_main(["reach", "--from", "60.1699,24.9384", "--minutes", "500"]) == 2
    assert cli_main(["route", "--from", "60.1699,24.9384", "--to", "60.1660,24.9500", "--alternatives", "9"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("bikemap: error:") == 3


# ----------------------------------------------------------------------------- JSON API


def _err(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"]["code"] == code
    return body["error"]


def test_api_route_alternatives_and_pick(client):
    r = client.get(f"/api/route?{Q}&alternatives=3")
    assert r.status_code == 200
    p = r.get_json()["properties"]
    assert p["alternative"] == 0
    for alt in p["alternatives"]:
        assert alt["properties"]["cost"] <= 1.3 * p["cost"] + 1 and alt["properties"]["shared_pct"] <= 60
    if p["alternatives"]:
        r = client.get(f"/api/route?{Q}&alternatives=3&pick=1")
        assert r.get_json()["properties"]["alternative"] == 1
        r = client.get(f"/api/route?{Q}&alternatives=3&pick=1&format=gpx")
        assert r.status_code == 200 and r.mimetype == "application/gpx+xml"
    _err(client.get(f"/api/route?{Q}&alternatives=4"), 400, "InvalidValue")
    _err(client.get(f"/api/route?{Q}&alternatives=x"), 400, "InvalidValue")
    _err(client.get(f"/api/route?{Q}&alternatives=2&via=60.165,24.94"), 400, "InvalidValue")
    _err(client.get(f"/api/route?{Q}&alternatives=2&mode=bikeshare"), 400, "InvalidValue")


def test_api_reach(client):
    r = client.get("/api/reach?from=60.1699,24.9384&minutes=5,10")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = r.get_json()
    assert [f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"]] == [True, True]
    _err(client.get("/api/reach?from=60.1699,24.9384&minutes=500"), 400, "InvalidValue")
    _err(client.get("/api/reach?from=60.1699,24.9384&minutes=1,2,3,4,5,6,7"), 400, "TooBig")
    _err(client.get("/api/reach?from=60.1699,24.9384&minutes=ticket"), 400, "InvalidValue")  # no GBFS feed
    _err(client.get("/api/reach?minutes=5"), 400, "InvalidQuery")
    e = _err(client.get("/api/reach?from=60.5,25.5"), 422, "NoSegment")
    assert e["point"] == "from" and e["distance_m"] > 1000


def _gpx(points):
    pts = "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lat, lon in points)
    return f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'


def test_api_match(client, app):
    f = client.get(f"/api/route?{Q}").get_json()
    track = [(c[1], c[0]) for c in f["geometry"]["coordinates"]]
    r = client.post("/api/match", data=_gpx(track), content_type="application/gpx+xml")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["properties"]["distance_m"] == pytest.approx(f["properties"]["distance_m"], rel=0.05)
    line = json.dumps(f["geometry"])
    r = client.post("/api/match?format=gpx", data=line, content_type="application/geo+json")
    assert r.status_code == 200 and r.mimetype == "application/gpx+xml" and b"<trkpt" in r.data
    _err(client.post("/api/match", data="not xml", content_type="application/gpx+xml"), 400, "InvalidFile")
    xxe = '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>'
    assert "DTD" in _err(client.post("/api/match", data=xxe), 400, "InvalidFile")["message"]
    _err(client.post("/api/match", data=_gpx([])), 400, "InvalidFile")
    _err(client.post("/api/match", data=_gpx(track[:1])), 400, "InvalidFile")
    e = _err(client.post("/api/match", data=_gpx([(60.5, 25.5), (60.51, 25.5)])), 422, "NoSegment")
    assert "km" in e["message"] and e["distance_m"] > 1000
    app.config["MATCH_MAX_BYTES"] = 1000
    try:
        _err(client.post("/api/match", data=_gpx(track)), 413, "RequestEntityTooLarge")
    finally:
        app.config.pop("MATCH_MAX_BYTES")


def test_openapi_documents_the_extras(client):
    doc = client.get("/api/openapi.json").get_json()
    assert {"/api/reach", "/api/match"} <= set(doc["paths"])
    names = [p["name"] for p in doc["paths"]["/api/route"]["get"]["parameters"]]
    assert "alternatives" in names and "pick" in names
    assert "413" in doc["paths"]["/api/match"]["post"]["responses"]


def test_api_reach_with_the_bike_share_ticket(paris_net):
    """``minutes=ticket``: the included minutes of the live feed's tickets (here 20)."""
    from gbfs_fixtures.feedserver import FeedServer
    from test_bikeshare import _feed

    from routes.stations import osm_stations
    from webapp import create_app

    stations = osm_stations(paris_net)
    with FeedServer() as srv:
        for name, doc in _feed(stations, lambda s: (4, 6, True, True), included=20).items():
            srv.set(f"paris/{name}.json", doc)
        app = create_app(
            {
                "TESTING": True,
                "NETWORK": paris_net,
                "TILES_URL": "",
                "WARM_PROFILES": False,
                "GBFS_URL": srv.url("paris/gbfs.json"),
            }
        )
        s = stations[0]
        r = app.test_client().get(f"/api/reach?from={s['lat']},{s['lon']}&minutes=ticket")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert [f["properties"]["minutes"] for f in r.get_json()["features"]] == [20]
