"""Closures and hazards: the library (edge costs) and the staff API, on the demo network."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from routes import route
from routes.closures import closure_edge_cost, closure_segments, segments_of_geometry
from routes.routing import route_pieces

# across central Helsinki: from the railway station area to the Design District
A, B = (60.1699, 24.9384), (60.1618, 24.9510)


def _route_segments(net, edge_cost=None):
    _, _, legs = route_pieces(net, [A, B], edge_cost=edge_cost)
    return [p.seg for leg in legs for p in leg]


def _longest_segment(net, segs):
    return max(segs, key=lambda s: net.seg_length[s])


def _line_of(net, seg):
    return {"type": "LineString", "coordinates": net.segment_coords(seg).tolist()}


def _midpoint(net, seg):
    c = net.segment_coords(seg)
    return {
        "type": "Point",
        "coordinates": c[len(c) // 2].tolist() if len(c) > 2 else c.mean(axis=0).tolist(),
    }


def _crossing(net):
    """A street segment (> 60 m) and a long (> 50 m) way leaving its end at a sharp angle."""
    xy = net.xy
    by_node = {}
    for s in range(net.n_segments):
        for n in (int(net.seg_u[s]), int(net.seg_v[s])):
            by_node.setdefault(n, []).append(s)

    def heading(s, node):
        pts = xy[net.offsets[s] : net.offsets[s + 1]]
        if int(net.seg_v[s]) == node:
            pts = pts[::-1]
        d = pts[min(3, len(pts) - 1)] - pts[0]
        return np.arctan2(d[1], d[0])

    for s in range(net.n_segments):
        if net.seg_length[s] < 60 or net.tags[s].get("highway") in ("footway", "steps", "trail"):
            continue
        node = int(net.seg_v[s])
        for t in by_node[node]:
            if t != s and net.seg_length[t] > 50:
                angle = abs((heading(s, node) - heading(t, node) + np.pi) % (2 * np.pi) - np.pi)
                if np.pi / 3 < angle < 2 * np.pi / 3:
                    return s, t
    raise AssertionError("no crossing found")


def test_line_closure_selects_the_street_not_cross_streets(demo_net):
    seg, cross = _crossing(demo_net)
    found = segments_of_geometry(demo_net, _line_of(demo_net, seg))
    assert seg in found and cross not in found
    assert segments_of_geometry(demo_net, _line_of(demo_net, cross)).count(seg) == 0


def test_closure_on_a_routes_street_changes_the_route(demo_net):
    plain = route(demo_net, [A, B])
    seg = _longest_segment(demo_net, _route_segments(demo_net))
    router = demo_net.router("safe")
    cost = closure_edge_cost(router, [{"kind": "closure", "geometry": _line_of(demo_net, seg)}])
    assert np.isinf(cost[2 * seg]) and np.isinf(cost[2 * seg + 1])
    assert np.isfinite(router.cost).sum() > np.isfinite(cost).sum()  # the router itself is untouched
    detour = route(demo_net, [A, B], edge_cost=cost)
    assert seg not in _route_segments(demo_net, cost)
    assert detour["geometry"]["coordinates"] != plain["geometry"]["coordinates"]
    assert detour["properties"]["distance_m"] >= plain["properties"]["distance_m"]
    # a point closure in the middle of the same street does the same
    cost_pt = closure_edge_cost(router, [{"kind": "closure", "geometry": _midpoint(demo_net, seg)}])
    assert seg not in _route_segments(demo_net, cost_pt)


def test_hazard_multiplies_cost(demo_net):
    seg = _longest_segment(demo_net, _route_segments(demo_net))
    router = demo_net.router("safe")
    effect = closure_segments(demo_net, [{"kind": "hazard", "geometry": _line_of(demo_net, seg)}])
    assert seg in effect.hazard and not effect.closed
    cost = closure_edge_cost(router, effect, hazard_factor=4.0)
    assert cost[2 * seg] == pytest.approx(router.cost[2 * seg] * 4.0)
    assert closure_edge_cost(router, []) is None


def test_closure_off_the_network_is_unmatched(demo_net):
    far = {"kind": "closure", "geometry": {"type": "Point", "coordinates": [24.0, 60.5]}}
    assert closure_segments(demo_net, [far]).unmatched == [0]


# ----------------------------------------------------------------------------- through the app


def _closure(geometry, **props):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"reason": "road works", **props},
    }


def test_closure_api_and_routing(staff, demo_net):
    client = staff.app.test_client()
    seg = _longest_segment(demo_net, _route_segments(demo_net))
    body = _closure(_line_of(demo_net, seg), ends_at="2099-12-31")
    q = f"/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}"
    before = client.get(q).get_json()
    assert client.post("/api/closures", json=body).status_code == 401
    resp = client.post("/api/closures", json=body, headers=staff.headers("editor"))
    assert resp.status_code == 201, resp.get_json()
    closure_id = resp.get_json()["id"]
    public = client.get("/api/closures").get_json()["features"]
    assert [f["id"] for f in public] == [closure_id] and "created_by" not in public[0]["properties"]
    after = client.get(q).get_json()
    assert after["geometry"]["coordinates"] != before["geometry"]["coordinates"]
    assert client.delete(f"/api/closures/{closure_id}").status_code == 401
    assert client.delete(f"/api/closures/{closure_id}", headers=staff.headers("editor")).status_code == 204
    assert client.get("/api/closures").get_json()["features"] == []
    assert client.get(q).get_json()["geometry"] == before["geometry"]


def test_closure_validation(staff):
    client = staff.app.test_client()
    h = staff.headers("editor")
    resp = client.post("/api/closures", json=_closure({"type": "Polygon", "coordinates": []}, reason=""), headers=h)
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {
        "geometry",
        "reason",
    }
    lake = _closure({"type": "Point", "coordinates": [24.9585, 60.1640]})  # in the harbour basin
    resp = client.post("/api/closures", json=lake, headers=h)
    assert resp.status_code == 422 and "street" in resp.get_json()["error"]["fields"]["geometry"]
    resp = client.post(
        "/api/closures",
        json=_closure({"type": "Point", "coordinates": [24.9445, 60.1712]}, ends_at="next week"),
        headers=h,
    )
    assert resp.status_code == 422 and "ends_at" in resp.get_json()["error"]["fields"]


def test_expired_closures_stop_counting(staff, demo_net):
    from webapp.storage import get_session
    from webapp.storage.closures import closure_edge_cost_for
    from webapp.storage.models import Closure, utcnow

    seg = _longest_segment(demo_net, _route_segments(demo_net))
    db = staff.app.extensions["bikemap_db"]
    with db.session() as s:
        s.add(
            Closure(
                kind="closure", reason="over", geometry=_line_of(demo_net, seg), ends_at=utcnow() - timedelta(minutes=1)
            )
        )
        s.add(
            Closure(
                kind="closure",
                reason="soon over",
                geometry=_line_of(demo_net, seg),
                ends_at=utcnow() + timedelta(hours=1),
            )
        )
        s.commit()
    with staff.app.test_request_context():
        cost = closure_edge_cost_for(get_session(), demo_net, "safe")
        assert cost is not None and np.isinf(cost[2 * seg])
    with db.session() as s:
        for c in s.query(Closure):
            c.ends_at = utcnow() - timedelta(seconds=1)
        s.commit()
    with staff.app.test_request_context():
        assert closure_edge_cost_for(get_session(), demo_net, "safe") is None
    assert staff.app.test_client().get("/api/closures").get_json()["features"] == []


def test_short_line_on_a_long_street(demo_net):
    seg, _ = _crossing(demo_net)
    c = demo_net.segment_coords(seg)
    xy = demo_net.xy[demo_net.offsets[seg] : demo_net.offsets[seg + 1]]
    # 20 m along the middle of the segment (a fraction of its length)
    cum = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    mid = cum[-1] / 2
    pts = [[float(np.interp(d, cum, c[:, 0])), float(np.interp(d, cum, c[:, 1]))] for d in (mid - 10, mid + 10)]
    assert demo_net.seg_length[seg] > 60
    assert seg in segments_of_geometry(demo_net, {"type": "LineString", "coordinates": pts})
