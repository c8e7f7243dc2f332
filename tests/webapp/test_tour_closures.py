"""Road closures in tours and bike-share trips: a closure on a street they ride changes them.

Library (``edge_cost=`` of `routes.tours.plan_tour` and `routes.bikeshare.bikeshare_route`)
and web (``GET /api/tour``, ``GET /api/route?mode=bikeshare`` after ``POST /api/closures``).
"""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_db import add_user, make_staff_app

from routes.bikeshare import bikeshare_route
from routes.closures import closure_edge_cost
from routes.routing import route_pieces
from routes.tours import destinations_from_network, plan_tour

START = (60.1699, 24.9384)
PARIS_TRIP = ((48.86078, 2.35835), (48.86994, 2.36524))


def _pairs(coords) -> set[tuple]:
    """Consecutive coordinate pairs of a line (both directions), rounded."""
    pts = [(round(x, 6), round(y, 6)) for x, y in coords]
    return {p for a, b in zip(pts, pts[1:], strict=False) for p in ((a, b), (b, a))}


def _ridden_segment(net, feature, profile="safe") -> int:
    """The longest street segment the line of ``feature`` rides, away from its waypoints."""
    wps = [w["location"] for w in feature["properties"]["waypoints"]]
    _, snaps, legs = route_pieces(net, [(lat, lon) for lon, lat in wps], profile=profile)
    at_waypoint = {s.seg for s in snaps}
    segs = [p.seg for leg in legs for p in leg if p.seg not in at_waypoint and p.share > 0.99]
    seg = max(segs, key=lambda s: net.seg_length[s])
    assert _first_pair(net, seg) <= _pairs(feature["geometry"]["coordinates"])
    return seg


def _first_pair(net, seg) -> set[tuple]:
    c = net.segment_coords(seg)
    return _pairs(c[:2].tolist())


def _line(net, seg) -> dict:
    return {"type": "LineString", "coordinates": net.segment_coords(seg).tolist()}


@pytest.fixture(scope="module")
def museums(demo_net):
    return [d["id"] for d in destinations_from_network(demo_net) if d["category"] == "museum"][:3]


def test_closure_changes_a_tour(demo_net, museums):
    plain = plan_tour(demo_net, START, stops=museums, start_time="2026-07-01T10:00")
    seg = _ridden_segment(demo_net, plain)
    cost = closure_edge_cost(demo_net.router("safe"), [{"kind": "closure", "geometry": _line(demo_net, seg)}])
    closed = plan_tour(demo_net, START, stops=museums, start_time="2026-07-01T10:00", edge_cost=cost)
    assert sorted(closed["properties"]["order"]) == sorted(museums)
    assert not _first_pair(demo_net, seg) & _pairs(closed["geometry"]["coordinates"])
    assert closed["geometry"]["coordinates"] != plain["geometry"]["coordinates"]
    assert closed["properties"]["duration_s"] >= plain["properties"]["duration_s"] - 1


def test_closure_changes_a_round_trip(demo_net):
    plain = plan_tour(demo_net, START, distance_km=5)
    seg = _ridden_segment(demo_net, plain)
    cost = closure_edge_cost(demo_net.router("safe"), [{"kind": "closure", "geometry": _line(demo_net, seg)}])
    closed = plan_tour(demo_net, START, distance_km=5, edge_cost=cost)
    assert not _first_pair(demo_net, seg) & _pairs(closed["geometry"]["coordinates"])


def test_closure_changes_a_discovery_tour(demo_net):
    kw = {"budget_min": 180, "interests": "museum", "start_time": "2026-07-01T10:00"}
    plain = plan_tour(demo_net, START, **kw)
    seg = _ridden_segment(demo_net, plain)
    cost = closure_edge_cost(demo_net.router("safe"), [{"kind": "closure", "geometry": _line(demo_net, seg)}])
    closed = plan_tour(demo_net, START, edge_cost=cost, **kw)
    assert not _first_pair(demo_net, seg) & _pairs(closed["geometry"]["coordinates"])


def test_hazard_makes_a_tour_leave_the_street(demo_net, museums):
    plain = plan_tour(demo_net, START, stops=museums, start_time="2026-07-01T10:00")
    seg = _ridden_segment(demo_net, plain)
    router = demo_net.router("safe")
    cost = closure_edge_cost(router, [{"kind": "hazard", "geometry": _line(demo_net, seg)}])
    assert np.all(cost[[2 * seg, 2 * seg + 1]] > router.cost[[2 * seg, 2 * seg + 1]])
    cost[[2 * seg, 2 * seg + 1]] *= 1000  # a hazard so bad no detour is dearer
    hazard = plan_tour(demo_net, START, stops=museums, start_time="2026-07-01T10:00", edge_cost=cost)
    assert not _first_pair(demo_net, seg) & _pairs(hazard["geometry"]["coordinates"])


def _bike_leg_feature(trip) -> dict:
    line = trip["properties"]["legs"][1]["coordinates"]
    return {
        "geometry": {"coordinates": line},
        "properties": {"waypoints": [{"location": line[0]}, {"location": line[-1]}]},
    }


def test_closure_changes_a_bikeshare_ride(paris_net):
    plain = bikeshare_route(paris_net, list(PARIS_TRIP))
    seg = _ridden_segment(paris_net, _bike_leg_feature(plain))
    closure = [{"kind": "closure", "geometry": _line(paris_net, seg)}]
    cost = closure_edge_cost(paris_net.router("safe"), closure)
    walk_cost = closure_edge_cost(paris_net.router("walk"), closure)
    closed = bikeshare_route(paris_net, list(PARIS_TRIP), edge_cost=cost, walk_edge_cost=walk_cost)
    assert [leg["mode"] for leg in closed["properties"]["legs"]] == ["walk", "bike", "walk"]
    for leg in closed["properties"]["legs"]:
        assert not _first_pair(paris_net, seg) & _pairs(leg["coordinates"])
    assert closed["geometry"]["coordinates"] != plain["geometry"]["coordinates"]


# ----------------------------------------------------------------------------- web


def _close(client, token, net, seg) -> None:
    resp = client.post(
        "/api/closures",
        headers={"Authorization": f"Bearer {token}"},
        json={"type": "Feature", "geometry": _line(net, seg), "properties": {"kind": "closure", "reason": "roadworks"}},
    )
    assert resp.status_code == 201, resp.get_json()


def test_api_tour_obeys_closures(demo_net, museums, tmp_path):
    app = make_staff_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", demo_net)
    token = add_user(app, "eddie", "editor", "editor-pass")
    url = f"/api/tour?start={START[0]},{START[1]}&stops={','.join(museums)}&start_time=2026-07-01T10:00"
    with app.test_client() as c:
        plain = c.get(url).get_json()
        seg = _ridden_segment(demo_net, plain)
        _close(c, token, demo_net, seg)
        closed = c.get(url)
        assert closed.status_code == 200
        assert not _first_pair(demo_net, seg) & _pairs(closed.get_json()["geometry"]["coordinates"])
    app.extensions["bikemap_db"].dispose()


def test_api_bikeshare_obeys_closures(paris_net, tmp_path):
    app = make_staff_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", paris_net)
    token = add_user(app, "eddie", "editor", "editor-pass")
    (a, b), (c_, d) = PARIS_TRIP
    url = f"/api/route?from={a},{b}&to={c_},{d}&mode=bikeshare"
    with app.test_client() as c:
        plain = c.get(url).get_json()
        seg = _ridden_segment(paris_net, _bike_leg_feature(plain))
        _close(c, token, paris_net, seg)
        closed = c.get(url)
        assert closed.status_code == 200
        for leg in closed.get_json()["properties"]["legs"]:
            assert not _first_pair(paris_net, seg) & _pairs(leg["coordinates"])
    app.extensions["bikemap_db"].dispose()
