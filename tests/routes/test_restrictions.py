"""Turn restrictions on the real relations of the Liechtenstein extract (found here with pyosmium).

Andorra's and central Paris's extracts carry no restriction relation (checked below), so
Liechtenstein's are the real ones: a ``no_left_turn`` and a ``no_u_turn`` between the two
carriageways of a road resolve on the network; its ``only_right_turn`` starts on a way cut
off at the border and cannot.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from conftest import shared_file

from routes import settings
from routes.alternatives import find_alternatives, route_alternatives
from routes.profiles import get_profile, pushed_turn_cost
from routes.restrictions import read_restrictions, restriction_value, rules_of, turn_bans, way_rules_of
from routes.routing import Router, route, route_pieces


def _osm_restrictions(path) -> list[tuple[dict, list]]:
    import osmium

    found = []
    for r in osmium.FileProcessor(str(path)).with_filter(osmium.filter.EntityFilter(osmium.osm.RELATION)):
        tags = dict(r.tags)
        if tags.get("type", "").startswith("restriction"):
            found.append((tags, [(m.type, m.ref, m.role) for m in r.members]))
    return found


@pytest.fixture(scope="module")
def net(liechtenstein_net):
    return liechtenstein_net


@pytest.fixture(scope="module")
def bans(net):
    return turn_bans(net)


def _mid(net, seg: int) -> tuple[float, float]:
    """(lat, lon) of a point in the middle of a segment's geometry."""
    c = net.segment_coords(seg)
    lon, lat = c[len(c) // 2] if len(c) > 2 else c.mean(axis=0)
    return float(lat), float(lon)


def _turns(edges: list[int]) -> set[tuple[int, int]]:
    return set(zip(edges, edges[1:], strict=False))


@pytest.fixture
def restrictions_off():
    settings.turn_restrictions = False
    yield
    settings.turn_restrictions = True


def test_what_binds_a_bicycle():
    tags = {"type": "restriction", "restriction": "no_left_turn"}
    assert restriction_value(tags) == "no_left_turn"
    assert restriction_value({**tags, "except": "bicycle"}) is None
    assert restriction_value({**tags, "restriction:bicycle": "only_straight_on"}) == "only_straight_on"
    assert restriction_value({"type": "restriction", "restriction:hgv": "no_left_turn"}) is None
    members = [("w", 1, "from"), ("n", 2, "via"), ("w", 3, "to")]
    assert rules_of(tags, members) == [(0, 1, 1, 2, 3)]
    via_ways = [("w", 1, "from"), ("w", 5, "via"), ("w", 6, "via"), ("w", 3, "to")]
    assert rules_of(tags, via_ways) == [] and way_rules_of(tags, members) == []  # each reads its own kind
    assert way_rules_of({**tags, "restriction": "only_straight_on"}, via_ways) == [(1, 3, 1, 3, 5, 6)]


def test_the_network_keeps_every_relation_pyosmium_finds(net):
    path = shared_file("liechtenstein-latest.osm.pbf")
    found = _osm_restrictions(path)
    assert len(found) == 3
    rows = sorted(tuple(r) for r in net.restrictions.tolist())
    assert rows == sorted(row for tags, members in found for row in rules_of(tags, members))
    nodes, ways = read_restrictions(str(path))  # the XML sources' reader agrees
    assert np.array_equal(nodes, net.restrictions) and len(ways) == len(net.way_restrictions) == 0
    for name in ("andorra.osm.pbf", "paris_bss.osm.pbf"):
        assert _osm_restrictions(shared_file(name)) == []


def test_restricted_turns_resolve_at_junctions(net, bans):
    assert (bans.relations, bans.resolved) == (3, 2)
    src = np.where(bans.a % 2 == 0, net.seg_u[bans.a // 2], net.seg_v[bans.a // 2])
    via = np.where(bans.a % 2 == 0, net.seg_v[bans.a // 2], net.seg_u[bans.a // 2])
    out = np.where(bans.b % 2 == 0, net.seg_u[bans.b // 2], net.seg_v[bans.b // 2])
    assert np.array_equal(via, out) and not np.array_equal(src, via)
    by_way = {
        (int(net.seg_way[a // 2]), int(net.node_id[v]), int(net.seg_way[b // 2]))
        for a, v, b in zip(bans.a, via, bans.b, strict=True)
    }
    assert by_way == {(167992391, 1793113950, 24802724), (258306367, 269468749, 258306365)}


@pytest.mark.parametrize("push", [True, False])
def test_a_route_through_each_restricted_turn_goes_another_way(net, bans, push, restrictions_off):
    profile = get_profile("safe") if push else dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    for a, b in zip(bans.a.tolist(), bans.b.tolist(), strict=True):
        points = [_mid(net, a // 2), _mid(net, b // 2)]
        settings.turn_restrictions = False
        _, snaps, legs = route_pieces(net, points, profile=profile)
        free = route(net, points, profile=profile)["properties"]
        assert (a, b) in _turns([p.edge for p in legs[0]])  # without restrictions it takes the turn
        settings.turn_restrictions = True
        router, snaps, legs = route_pieces(net, points, profile=profile)
        kept = route(net, points, profile=profile)["properties"]
        edges = [p.edge for p in legs[0]]
        assert (a, b) not in _turns(edges)
        assert kept["distance_m"] > free["distance_m"] and kept["cost"] > free["cost"]
        assert kept["pushed_turns"] == free["pushed_turns"] == 0
        if push:  # a pushed turn would cost the free route plus the push: the way around is cheaper here
            assert kept["cost"] < free["cost"] + pushed_turn_cost(router.profile)
        # the hierarchy and the reference search agree on the split graph
        out, inn = (
            router._turn_seeds_out(router._out_seeds(snaps[0], router.cost)),
            router._turn_seeds_in(router._in_seeds(snaps[1], router.cost)),
        )
        args = [np.asarray([s[k] for s in seeds]) for seeds in (out,) for k in (0, 1)]
        args += [np.asarray([s[k] for s in seeds]) for seeds in (inn,) for k in (0, 1)]
        fast, _, _ = router._arc_path(*args, router.cost, "auto")
        ref, _, _ = router._arc_path(*args, router.cost, "reference")
        assert fast == pytest.approx(ref, rel=1e-6)
        assert router.leg(snaps[0], snaps[1])[0] == pytest.approx(ref, rel=1e-6)


def test_a_cheap_push_makes_the_turn_on_foot(net, bans):
    """With a push shorter than every way around, the route makes the banned turn and pays the push."""
    profile = dataclasses.replace(get_profile("fast"), turn_push_m=1.0)
    a, b = int(bans.a[0]), int(bans.b[0])
    points = [_mid(net, a // 2), _mid(net, b // 2)]
    router, snaps, legs = route_pieces(net, points, profile=profile)
    edges = [p.edge for p in legs[0]]
    assert (a, b) in _turns(edges)
    penalty = pushed_turn_cost(router.profile)
    assert router.turn_penalty(edges) == pytest.approx(penalty)
    ride = sum(p.value(router.cost) for p in legs[0])
    assert router.leg(snaps[0], snaps[1])[0] == pytest.approx(ride + penalty)
    props = route(net, points, profile=profile)["properties"]
    assert props["cost"] == pytest.approx(ride + penalty, abs=0.1)
    assert props["pushed_turns"] == 1
    assert sum("push your bike across" in i["text"] for i in props["instructions"]) == 1
    texts = [i["text"] for i in route(net, points, profile=profile, lang="id")["properties"]["instructions"]]
    assert sum("tuntun sepeda Anda menyeberang" in t for t in texts) == 1


def test_hierarchy_equals_reference_on_the_split_graph(net, bans):
    """Random junction pairs around the restricted junctions: the CCH and the reference search agree."""
    router = net.router("safe")
    assert router.turns is not None and router.turns.n == net.n_nodes + len(np.unique(bans.a))
    rng = np.random.default_rng(15)
    via = np.unique(router.turns.junction[net.n_nodes :])
    near = np.flatnonzero(
        np.hypot(net.node_lon[:, None] - net.node_lon[via], net.node_lat[:, None] - net.node_lat[via]).min(axis=1)
        < 0.01
    )
    for _ in range(150):
        s, t = (int(x) for x in rng.choice(near, 2))
        fast, edges = router.node_path([s], [0.0], [t], [0.0])
        ref, _ = router.node_path([s], [0.0], [t], [0.0], method="reference")
        assert math.isinf(fast) == math.isinf(ref)
        if math.isfinite(ref):
            assert fast == pytest.approx(ref, rel=1e-6, abs=1e-9)
            assert not _turns(edges) & set(zip(bans.a.tolist(), bans.b.tolist(), strict=True)) or math.isfinite(
                router.turn_penalty(edges)
            )
            assert router.cost[edges].sum() + router.turn_penalty(edges) == pytest.approx(fast, rel=1e-9)


def test_walking_and_the_switch_ignore_them(net, bans, restrictions_off):
    """Walking makes every turn (on the same split graph and hierarchy); the setting turns them off."""
    turn = [int(bans.a[0]), int(bans.b[0])]
    settings.turn_restrictions = True
    walk, safe = net.router("walk"), net.router("safe")
    assert walk.turns is safe.turns is not None and walk.turn_penalty(turn) == 0.0
    assert safe.turn_penalty(turn) == pushed_turn_cost(safe.profile)
    points = [_mid(net, turn[0] // 2), _mid(net, turn[1] // 2)]
    _, _, legs = route_pieces(net, points, profile="walk")
    assert tuple(turn) in _turns([p.edge for p in legs[0]])
    settings.turn_restrictions = False
    assert net.router("safe").turns is None
    assert isinstance(net.router("safe"), Router)


def test_alternatives_keep_working_around_a_banned_turn(net, bans):
    """Alternatives on a router with split junctions: each is a legal ride; a banned turn's penalty is inf.

    (The alternatives' search trees know no restrictions, so `find_alternatives` drops a candidate
    whose `Router.turn_penalty` is inf; no candidate of these two trips rides a banned turn.)
    """
    profile = dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    banned = set(zip(bans.a.tolist(), bans.b.tolist(), strict=True))
    for a, b in banned:
        points = [_mid(net, a // 2), _mid(net, b // 2)]
        feats = route_alternatives(net, points, profile=profile, n=3)
        router, snaps, legs = route_pieces(net, points, profile=profile)
        assert feats[0]["properties"]["distance_m"] == route(net, points, profile=profile)["properties"]["distance_m"]
        for pieces in [legs[0], *find_alternatives(router, snaps[0], snaps[1], legs[0], n=3)]:
            assert not _turns([p.edge for p in pieces]) & banned
        assert router.turn_penalty([a, b]) == math.inf


def test_closures_on_the_way_around_keep_the_turn_banned(net, bans):
    """A closure on the way around falls back to the reference search, on the split graph too."""
    profile = dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    banned = set(zip(bans.a.tolist(), bans.b.tolist(), strict=True))
    a, b = int(bans.a[0]), int(bans.b[0])
    points = [_mid(net, a // 2), _mid(net, b // 2)]
    router, snaps, legs = route_pieces(net, points, profile=profile)
    around = [p.edge for p in legs[0] if p.share == 1.0]
    cost = router.cost.copy()
    cost[around[len(around) // 2]] = math.inf  # closed: the route must find yet another way
    total, pieces = router.leg(snaps[0], snaps[1], edge_cost=cost)
    edges = [p.edge for p in pieces]
    assert not _turns(edges) & banned and around[len(around) // 2] not in edges
    assert total > router.leg(snaps[0], snaps[1])[0]


@pytest.mark.parametrize("push", [True, False])
def test_tour_matrix_and_bikeshare_trees_cost_what_the_legs_cost(net, bans, push, restrictions_off):
    """Near each restricted junction: every entry of a tour's matrix, and the bike-share search trees
    (forward and reverse), cost what `Router.leg` costs, banned turns and pushes included."""
    from routes.bikeshare import _Tree
    from routes.tours import travel_matrix

    profile = get_profile("safe") if push else dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    settings.turn_restrictions = True
    router = net.router(profile)
    points = [_mid(net, int(e) // 2) for pair in zip(bans.a, bans.b, strict=True) for e in pair]
    snaps = [router.snap(*p) for p in points]
    T, C = travel_matrix(router, snaps)
    for i, j in itertools.permutations(range(len(snaps)), 2):
        cost, pieces = router.leg(snaps[i], snaps[j])
        assert C[i, j] == pytest.approx(cost, rel=1e-6)
        assert T[i, j] == pytest.approx(sum(p.value(router.duration) for p in pieces), rel=1e-6)
        assert _Tree(router, snaps[i], [snaps[j]]).to(snaps[j])[0] == pytest.approx(cost, rel=1e-6)
        assert _Tree(router, snaps[j], [snaps[i]], reverse=True).to(snaps[i])[0] == pytest.approx(cost, rel=1e-6)
    settings.turn_restrictions = False  # the plain graph's matrix takes the banned turns: cheaper
    plain = net.router(profile)
    _, C_free = travel_matrix(plain, [plain.snap(*p) for p in points])
    assert all(C[2 * k, 2 * k + 1] > C_free[2 * k, 2 * k + 1] + 1 for k in range(len(bans)))


@pytest.mark.parametrize("push", [True, False])
def test_reach_follows_the_banned_turns(net, bans, push, restrictions_off):
    """From the `from` street, the `to` street starts later with restrictions on: around, or after the push."""
    from routes._trees import edge_start_times, riding_times, start_seeds

    profile = get_profile("safe") if push else dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    when = {}
    for on in (False, True):
        settings.turn_restrictions = on
        router = net.router(profile)
        dur = riding_times(router, router.cost)
        for a, b in zip(bans.a.tolist(), bans.b.tolist(), strict=True):
            snap = router.snap(*_mid(net, a // 2))
            reached = edge_start_times(router, start_seeds(router, snap, dur), dur, 1800.0)
            when[on, a, b] = float(reached.at(np.asarray([a, b]))[1])
            if not on:  # straight on from the start along a, then the turn
                seed = [s for s in router._out_seeds(snap, dur) if s[2].edge == a][0][1]
                assert when[on, a, b] == pytest.approx(seed)
    p = get_profile("safe")
    push_s = p.turn_push_m / (p.push_speed_kmh / 3.6)
    for a, b in zip(bans.a.tolist(), bans.b.tolist(), strict=True):
        assert when[True, a, b] > when[False, a, b] + 1
        if push:
            assert when[True, a, b] <= when[False, a, b] + push_s + 1e-9
