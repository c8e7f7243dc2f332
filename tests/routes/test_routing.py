"""Routing on real extracts: snapping, legality, vias, results, agreement with NetworkX."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from routes import route
from routes.errors import NoRouteError, OffNetworkError, TooBigError, UnknownProfileError
from routes.network import haversine_m
from routes.profiles import NO, PUSH
from routes.routing import route_pieces

HELSINKI_A = (60.1699, 24.9384)  # railway station
HELSINKI_B = (60.1618, 24.9510)


def _random_points(net, n, seed=0):
    """Random points within ~50 m of random junctions of the network."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, net.n_nodes, n)
    jitter = rng.uniform(-0.0005, 0.0005, (n, 2))
    return [(float(net.node_lat[i] + d[0]), float(net.node_lon[i] + d[1])) for i, d in zip(idx, jitter, strict=False)]


def test_route_feature_shape(demo_net):
    f = route(demo_net, [HELSINKI_A, HELSINKI_B])
    assert f["type"] == "Feature" and f["geometry"]["type"] == "LineString"
    p = f["properties"]
    for key in ("distance_m", "duration_s", "profile", "highway_m", "surface_m", "instructions", "waypoints"):
        assert key in p
    assert p["profile"] == "safe"
    coords = f["geometry"]["coordinates"]
    # begins and ends at the snapped points
    assert coords[0] == p["waypoints"][0]["location"]
    assert coords[-1] == p["waypoints"][-1]["location"]
    # the line's own length agrees with distance_m
    c = np.array(coords)
    line_m = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum()
    assert line_m == pytest.approx(p["distance_m"], rel=0.02)
    assert sum(p["highway_m"].values()) == pytest.approx(p["distance_m"], abs=1)
    assert sum(p["surface_m"].values()) == pytest.approx(p["distance_m"], abs=1)
    assert 2.0 < p["distance_m"] / p["duration_s"] < 8.0  # 7 to 29 km/h
    ins = p["instructions"]
    assert ins[0]["type"] == "depart" and ins[-1]["type"] == "arrive"
    assert all(len(i["location"]) == 2 and i["text"] for i in ins)


def test_snaps_to_the_nearest_edge_not_node(liechtenstein_net):
    net = liechtenstein_net
    router = net.router("safe")
    # the middle of the longest routable segment, nudged 5 m sideways
    s = max(router._ids_big, key=lambda i: net.seg_length[i])
    xy = net.xy[net.offsets[s] : net.offsets[s + 1]]
    mid = xy[len(xy) // 2]
    lon, lat = net.unproject(mid[0] + 3.0, mid[1] + 4.0)
    snap = router.snap(float(lat), float(lon))
    assert snap.seg == s
    assert 0.0 < snap.frac < 1.0
    assert snap.distance_m <= 5.01
    node_d = haversine_m(
        lon, lat, net.node_lon[[net.seg_u[s], net.seg_v[s]]], net.node_lat[[net.seg_u[s], net.seg_v[s]]]
    )
    assert node_d.min() > snap.distance_m


def test_off_network_and_limit(demo_net):
    with pytest.raises(OffNetworkError, match="500 m"):
        route(demo_net, [HELSINKI_A, (60.30, 25.20)])
    with pytest.raises(OffNetworkError, match="from"):
        route(demo_net, [(0.0, 0.0), HELSINKI_B])
    # a tighter limit is honoured
    far = (HELSINKI_A[0] + 0.0018, HELSINKI_A[1])  # ~200 m north
    route(demo_net, [far, HELSINKI_B])
    with pytest.raises(OffNetworkError):
        route(demo_net, [far, HELSINKI_B], max_snap_m=1)


def test_no_route_says_so(demo_net):
    router = demo_net.router("safe")
    closed = np.full_like(router.cost, np.inf)  # every street closed but the two the points are on
    for p in (HELSINKI_A, HELSINKI_B):
        s = router.snap(*p).seg
        closed[2 * s : 2 * s + 2] = router.cost[2 * s : 2 * s + 2]
    with pytest.raises(NoRouteError, match="no legal route"):
        route(demo_net, [HELSINKI_A, HELSINKI_B], edge_cost=closed)


def test_unknown_profile_and_too_many_vias(demo_net):
    with pytest.raises(UnknownProfileError, match="safe"):
        route(demo_net, [HELSINKI_A, HELSINKI_B], profile="rocket")
    with pytest.raises(TooBigError):
        route(demo_net, [HELSINKI_A] + [HELSINKI_B] * 27)


def test_via_points_kept_in_order(demo_net):
    via = (60.1650, 24.9400)
    direct = route(demo_net, [HELSINKI_A, HELSINKI_B])["properties"]
    f = route(demo_net, [HELSINKI_A, via, HELSINKI_B])
    p = f["properties"]
    assert [w["role"] for w in p["waypoints"]] == ["from", "via", "to"]
    assert len(p["legs"]) == 2
    assert p["distance_m"] == pytest.approx(sum(leg["distance_m"] for leg in p["legs"]), abs=0.5)
    assert p["distance_m"] >= direct["distance_m"]
    assert any(i["type"] == "via" for i in p["instructions"])
    # the line passes through the snapped via point
    vloc = np.array(p["waypoints"][1]["location"])
    coords = np.array(f["geometry"]["coordinates"])
    assert np.min(np.hypot(*(coords - vloc).T)) < 1e-6
    # reversing the vias changes the route (order is kept, not optimised)
    back = route(demo_net, [HELSINKI_B, via, HELSINKI_A])["properties"]
    assert back["waypoints"][1]["location"] == p["waypoints"][1]["location"]


@pytest.mark.parametrize("profile", ["safe", "fast"])
def test_routes_are_legal(liechtenstein_net, profile):
    net = liechtenstein_net
    pts = _random_points(net, 40, seed=3)
    checked = 0
    for a, b in zip(pts[::2], pts[1::2], strict=False):
        try:
            router, snaps, legs = route_pieces(net, [a, b], profile=profile)
        except (OffNetworkError, NoRouteError):
            continue
        checked += 1
        for piece in legs[0]:
            e = piece.edge
            assert router.access[e] != NO
            c = net.classes[piece.seg]
            assert (c.fwd if e % 2 == 0 else c.bwd) != NO, net.tags[piece.seg]
            tags = net.tags[piece.seg]
            assert tags.get("highway") not in ("motorway", "motorway_link")
            assert tags.get("bicycle") != "no"
            if tags.get("highway") in ("footway", "pedestrian") and tags.get("bicycle") not in (
                "yes",
                "designated",
                "permissive",
            ):
                assert router.access[e] == PUSH  # pushed, never ridden
    assert checked >= 10


def test_oneway_respected_on_real_street(liechtenstein_net):
    net = liechtenstein_net
    router = net.router("safe")
    oneway = [
        s
        for s, t in enumerate(net.tags)
        if t.get("oneway") == "yes"
        and "oneway:bicycle" not in t
        and not any(k.startswith("cycleway") for k in t)
        and t.get("highway") in ("residential", "tertiary", "secondary", "unclassified", "primary")
        and net.seg_length[s] > 80
    ]
    assert oneway, "Liechtenstein has one-way streets"
    s = oneway[0]
    assert np.isfinite(router.cost[2 * s]) and np.isinf(router.cost[2 * s + 1])
    xy = net.segment_coords(s)
    a, b = xy[0], xy[-1]
    # points a little inside both ends; riding from b to a must not use s backwards
    pa = (a[1] + (b[1] - a[1]) * 0.1, a[0] + (b[0] - a[0]) * 0.1)
    pb = (a[1] + (b[1] - a[1]) * 0.9, a[0] + (b[0] - a[0]) * 0.9)
    _, _, legs = route_pieces(net, [pb, pa])
    assert all(p.edge != 2 * s + 1 for p in legs[0])
    _, _, forward = route_pieces(net, [pa, pb])
    assert len(forward[0]) == 1 and forward[0][0].edge == 2 * s


def test_engine_cost_equals_networkx(liechtenstein_net):
    router = liechtenstein_net.router("safe")
    G = nx.DiGraph()
    for e in np.flatnonzero(np.isfinite(router.cost)):
        u, v, c = int(router.src[e]), int(router.dst[e]), float(router.cost[e])
        if not G.has_edge(u, v) or G[u][v]["w"] > c:
            G.add_edge(u, v, w=c)
    rng = np.random.default_rng(7)
    nodes = np.array(sorted(max(nx.strongly_connected_components(G), key=len)))
    for _ in range(30):
        a, b = (int(x) for x in rng.choice(nodes, 2, replace=False))
        cost, edges = router.node_path([a], [0.0], [b], [0.0])
        assert cost == pytest.approx(nx.dijkstra_path_length(G, a, b, weight="w"), rel=1e-9)
        assert sum(router.cost[e] for e in edges) == pytest.approx(cost, rel=1e-9)
        assert router.src[edges[0]] == a and router.dst[edges[-1]] == b


def test_safe_prefers_cycle_infrastructure_over_fast(liechtenstein_net):
    net = liechtenstein_net
    pts = _random_points(net, 60, seed=11)
    safe = fast = 0.0
    for a, b in zip(pts[::2], pts[1::2], strict=False):
        try:
            ps = route(net, [a, b], profile="safe")["properties"]
            pf = route(net, [a, b], profile="fast")["properties"]
        except (OffNetworkError, NoRouteError):
            continue
        assert pf["duration_s"] <= ps["duration_s"] * 1.0001 + 1
        safe += ps["main_road_m"] / max(ps["distance_m"], 1)
        fast += pf["main_road_m"] / max(pf["distance_m"], 1)
    assert safe < fast


def test_same_segment_route(liechtenstein_net):
    net = liechtenstein_net
    router = net.router("fast")
    s = max(
        (i for i in router._ids_big if np.isfinite(router.cost[2 * i]) and np.isfinite(router.cost[2 * i + 1])),
        key=lambda i: net.seg_length[i],
    )
    c = net.segment_coords(s)
    k = len(c) // 2
    a, b = (c[1][1], c[1][0]), (c[k][1], c[k][0])
    f = route(net, [a, b], profile="fast")
    assert f["properties"]["distance_m"] < net.seg_length[s]
    assert math.isclose(
        f["properties"]["distance_m"], route(net, [b, a], profile="fast")["properties"]["distance_m"], rel_tol=1e-6
    )


@pytest.mark.parametrize("fixture", ["andorra_net", "paris_net"])
def test_routes_on_other_extracts(request, fixture):
    net = request.getfixturevalue(fixture)
    pts = _random_points(net, 30, seed=5)
    ok = 0
    for a, b in zip(pts[::2], pts[1::2], strict=False):
        try:
            p = route(net, [a, b])["properties"]
        except (OffNetworkError, NoRouteError):
            continue
        ok += 1
        assert p["distance_m"] > 0 and p["duration_s"] > 0
    assert ok >= 5


def test_snapping_passes_over_closed_streets(demo_net):
    """A point on a street closed in both directions starts on the nearest open street."""
    router = demo_net.router("safe")
    plain = router.snap(*HELSINKI_A)
    closed = router.cost.copy()
    closed[2 * plain.seg] = closed[2 * plain.seg + 1] = np.inf
    moved = router.snap(*HELSINKI_A, edge_cost=closed)
    assert moved.seg != plain.seg and moved.distance_m >= plain.distance_m
    f = route(demo_net, [HELSINKI_A, HELSINKI_B], edge_cost=closed)
    assert f["properties"]["waypoints"][0]["location"] == [round(moved.lon, 7), round(moved.lat, 7)]


def test_point_at_the_end_of_a_reverse_oneway(liechtenstein_net):
    """A point on the junction where an oneway=-1 street starts: finite times, never NaN."""
    net = liechtenstein_net
    s = next(i for i, t in enumerate(net.tags) if t.get("oneway") == "-1" and "oneway:bicycle" not in t)
    lon, lat = net.segment_coords(s)[0]
    f = route(net, [(lat, lon), (lat, lon)])
    p = f["properties"]
    assert p["distance_m"] == 0 and p["duration_s"] == 0 and p["cost"] == 0
    mid = net.segment_coords(s)[len(net.segment_coords(s)) // 2]
    same = route(net, [(mid[1], mid[0]), (mid[1], mid[0])])["properties"]
    assert same["distance_m"] < 1, "the same point twice is no loop round the block"
    far = route(net, [(lat, lon), (47.1410, 9.5209)])["properties"]
    assert math.isfinite(far["duration_s"]) and math.isfinite(far["cost"])


def test_vias_at_the_same_place_each_get_an_instruction(demo_net):
    via = (60.1650, 24.9400)
    for pts, n_via in (
        ([HELSINKI_A, via, via, HELSINKI_B], 2),
        ([HELSINKI_A, HELSINKI_A, HELSINKI_B], 1),
        ([HELSINKI_A, HELSINKI_B, HELSINKI_B], 1),
    ):
        ins = route(demo_net, pts)["properties"]["instructions"]
        assert [i["text"] for i in ins if i["type"] == "via"] == [f"Reach via point {k}" for k in range(1, n_via + 1)]


@pytest.mark.parametrize("limit", [0, -5, float("nan"), float("inf")])
def test_bad_snapping_distance(demo_net, limit):
    from routes.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="positive number"):
        route(demo_net, [HELSINKI_A, HELSINKI_B], max_snap_m=limit)


def test_profile_objects_are_used_as_given(demo_net):
    from dataclasses import replace

    from routes.profiles import get_profile

    safe = get_profile("safe")
    hw = dict(safe.highway)
    hw["cycleway"] = (17, 5.0)  # cycle paths made unattractive
    changed = route(demo_net, [HELSINKI_A, HELSINKI_B], profile=replace(safe, highway=hw))["properties"]
    plain = route(demo_net, [HELSINKI_A, HELSINKI_B])["properties"]
    assert changed["cost"] != plain["cost"]
    assert (
        route(demo_net, [HELSINKI_A, HELSINKI_B], profile=replace(get_profile("fast"), name="custom"))["properties"][
            "profile"
        ]
        == "custom"
    )


def test_route_cost_counts_closures_and_hazards(demo_net):
    router = demo_net.router("safe")
    plain = route(demo_net, [HELSINKI_A, HELSINKI_B])["properties"]
    doubled = router.cost * 2
    assert route(demo_net, [HELSINKI_A, HELSINKI_B], edge_cost=doubled)["properties"]["cost"] == pytest.approx(
        2 * plain["cost"], rel=1e-3
    )


def test_simplified_overview_stays_within_its_tolerance(demo_net):
    """Douglas-Peucker keeps the ends and drops only positions within the tolerance of the line it keeps."""
    import shapely

    from routes.routing import SIMPLIFY_SHARE, simplify_line

    full = route(demo_net, [HELSINKI_A, HELSINKI_B])
    line = np.asarray(full["geometry"]["coordinates"])[:, :2]
    keep = simplify_line(line)
    assert keep[0] == 0 and keep[-1] == len(line) - 1 and np.all(np.diff(keep) > 0) and len(keep) < len(line)
    lat0 = math.radians(line[:, 1].mean())
    xy = np.column_stack([line[:, 0] * 111_320.0 * math.cos(lat0), line[:, 1] * 110_574.0])
    tol = max(1.0, SIMPLIFY_SHARE * np.ptp(xy, axis=0).max())
    kept = shapely.LineString(xy[keep])
    assert max(shapely.distance(kept, shapely.points(xy))) <= tol * 1.001
    simple = route(demo_net, [HELSINKI_A, HELSINKI_B], overview="simplified", steps=False)
    assert simple["geometry"]["coordinates"] == np.asarray(full["geometry"]["coordinates"])[keep].tolist()
    assert "instructions" not in simple["properties"]
    assert simple["properties"]["distance_m"] == full["properties"]["distance_m"]
    assert route(demo_net, [HELSINKI_A, HELSINKI_B], overview="false")["geometry"] is None
    with pytest.raises(ValueError, match="overview"):
        route(demo_net, [HELSINKI_A, HELSINKI_B], overview="some")
