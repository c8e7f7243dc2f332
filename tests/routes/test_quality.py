"""The route-quality metric of scripts/bench_quality.py (one classification for every router).

Pure tag classification is tested on tag sets as they occur in OSM; the mapping of
OSRM node lists onto ways and the measuring of bikemap routes run on the real
Paris extract. A live osrm-routed test runs only where scripts/osrm_setup.sh has
already unpacked OSRM (it never downloads anything).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import ROOT, shared_file

_spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "scripts" / "bench_quality.py")
bq = importlib.util.module_from_spec(_spec)
sys.modules["bench_quality"] = bq
_spec.loader.exec_module(bq)


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    "tags, forward, expected",
    [
        ({"highway": "cycleway"}, False, True),
        ({"highway": "path", "bicycle": "designated"}, True, True),
        ({"highway": "footway", "bicycle": "yes"}, True, False),
        ({"highway": "secondary", "cycleway": "lane"}, True, True),
        ({"highway": "secondary", "cycleway": "lane"}, False, True),
        ({"highway": "secondary", "cycleway:both": "track"}, False, True),
        ({"highway": "secondary", "cycleway": "shared_lane"}, True, False),
        ({"highway": "secondary", "cycleway:right": "lane"}, True, True),
        ({"highway": "secondary", "cycleway:right": "lane"}, False, False),
        ({"highway": "secondary", "cycleway:left": "lane"}, False, True),
        ({"highway": "secondary", "cycleway:left": "lane"}, True, False),
        (
            {"highway": "secondary", "cycleway:left": "track", "cycleway:left:oneway": "no"},
            True,
            True,
        ),
        (
            {"highway": "secondary", "cycleway:right": "lane", "cycleway:right:oneway": "-1"},
            False,
            True,
        ),
        (
            {"highway": "secondary", "cycleway:right": "lane", "cycleway:right:oneway": "-1"},
            True,
            False,
        ),
        # oneway street: a left-hand lane runs with the traffic; a contraflow lane against it
        ({"highway": "tertiary", "oneway": "yes", "cycleway:left": "lane"}, True, True),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}, False, True),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}, True, False),
        (
            {"highway": "residential", "oneway": "yes", "cycleway:left": "opposite_lane"},
            False,
            True,
        ),
        ({"highway": "residential", "oneway": "yes", "cycleway": "lane"}, True, True),
        ({"highway": "residential", "oneway": "-1", "cycleway": "lane"}, False, True),
        ({"highway": "residential", "oneway": "-1", "cycleway": "lane"}, True, False),
    ],
)
def test_travel_infra(tags, forward, expected):
    assert bq.travel_infra(tags, forward) is expected


@pytest.mark.parametrize(
    "tags, forward, pushed, expected",
    [
        ({"highway": "cycleway"}, True, False, ("infra", "")),
        ({"highway": "residential"}, False, False, ("quiet", "")),
        ({"highway": "living_street"}, True, False, ("quiet", "")),
        ({"highway": "unclassified"}, True, False, ("quiet", "")),
        ({"highway": "track", "tracktype": "grade1"}, True, False, ("quiet", "")),
        ({"highway": "footway", "bicycle": "yes"}, True, False, ("quiet", "")),
        ({"highway": "tertiary"}, True, False, ("main", "")),
        ({"highway": "primary_link"}, True, False, ("main", "")),
        ({"highway": "trunk", "maxspeed": "80"}, True, False, ("main", "")),
        ({"highway": "primary", "cycleway:right": "track"}, True, False, ("infra", "")),
        ({"highway": "primary", "cycleway:right": "track"}, False, False, ("main", "")),
        ({"highway": "primary", "cycleway": "shared_lane"}, True, False, ("main", "")),
        # legal pushing
        ({"highway": "footway"}, True, True, ("push", "")),
        ({"highway": "steps"}, False, True, ("push", "")),
        ({"highway": "pedestrian"}, True, True, ("push", "")),
        ({"highway": "cycleway", "bicycle": "dismount"}, True, True, ("push", "")),
        # illegal or doubtful
        ({"highway": "footway"}, True, False, ("push", "footway ridden")),
        (
            {"highway": "pedestrian", "cycleway": "opposite", "oneway": "yes"},
            True,
            False,
            ("push", "footway ridden"),
        ),
        ({"highway": "residential", "oneway": "yes"}, False, False, ("quiet", "oneway")),
        ({"highway": "residential", "oneway": "yes"}, False, True, ("push", "oneway (pushed)")),
        ({"highway": "residential", "oneway": "-1"}, True, False, ("quiet", "oneway")),
        ({"highway": "primary", "junction": "roundabout"}, False, False, ("main", "oneway")),
        ({"highway": "secondary", "bicycle": "no"}, True, False, ("main", "closed")),
        ({"highway": "service", "access": "private"}, True, False, ("quiet", "closed")),
        ({"highway": "motorway"}, True, False, ("quiet", "motorway")),
        ({"highway": "trunk", "motorroad": "yes"}, True, False, ("main", "motorway")),
        # bicycle exceptions make it legal
        (
            {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"},
            False,
            False,
            ("quiet", ""),
        ),
        (
            {"highway": "residential", "oneway": "yes", "cycleway": "opposite"},
            False,
            False,
            ("quiet", ""),
        ),
        (
            {"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"},
            False,
            False,
            ("infra", ""),
        ),
        ({"highway": "service", "access": "private", "bicycle": "yes"}, True, False, ("quiet", "")),
    ],
)
def test_classify_stretch(tags, forward, pushed, expected):
    assert bq.classify_stretch(tags, forward=forward, pushed=pushed) == expected


def test_route_stats_adds_up():
    stats = bq.RouteStats()
    stats.add({"highway": "cycleway"}, 100.0, forward=True, pushed=False)
    stats.add({"highway": "residential", "oneway": "yes"}, 30.0, forward=False, pushed=False)
    stats.add({"highway": "footway"}, 20.0, forward=True, pushed=True)
    stats.add(None, 5.0, forward=True, pushed=False)
    assert stats.length == 155.0
    assert stats.by_category == {"infra": 100.0, "quiet": 30.0, "main": 0.0, "push": 20.0}
    assert stats.illegal == {"oneway": 30.0}
    assert stats.unmapped == 5.0
    t = bq.Totals(found=1, ratios=[1.0], stats=[stats])
    assert t.shares()["illegal"] == pytest.approx(30 / 155)
    assert t.shares()["unmapped"] == pytest.approx(5 / 155)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def paris_pbf():
    return shared_file("paris_bss.osm.pbf")


@pytest.fixture(scope="module")
def paris_ways(paris_pbf):
    return bq.WayIndex.from_pbf(paris_pbf)


def test_way_index_holds_node_pairs_in_way_order(paris_ways):
    assert len(paris_ways.tags) > 1000
    for row, nodes in enumerate(paris_ways.nodes):
        for a, b in zip(nodes, nodes[1:], strict=False):
            tags, forward = paris_ways.lookup(a, b)
            assert tags is not None
            if paris_ways.pairs[(a, b)][0] == row:
                assert forward is True
                assert paris_ways.lookup(b, a) == (tags, False)
    assert paris_ways.lookup(1, 2) == (None, True)


def test_way_index_tags_match_the_network(paris_ways, paris_net):
    """Both routers are classified from the same tag set: the network's tags are the way's."""
    mismatched = [
        s
        for s in range(paris_net.n_segments)
        if int(paris_net.seg_way[s]) in paris_ways.ways
        and paris_ways.tags[paris_ways.ways[int(paris_net.seg_way[s])]] != paris_net.tags[s]
    ]
    assert len(mismatched) == 0
    missing = sum(int(w) not in paris_ways.ways for w in paris_net.seg_way)
    assert missing == 0


def _fake_osrm_leg(ways, row, *, reverse, mode):
    nodes = list(ways.nodes[row])
    if reverse:
        nodes.reverse()
    coords = [[0.0, 0.0] for _ in nodes]
    return {
        "annotation": {"nodes": nodes, "distance": [10.0] * (len(nodes) - 1)},
        "steps": [
            {"mode": mode, "geometry": {"coordinates": coords}},
            {"mode": mode, "geometry": {"coordinates": coords[-1:] * 2}},  # arrive
        ],
    }


def test_osrm_node_list_mapped_onto_a_oneway(paris_ways):
    """A node list along Rue Barbette (oneway residential) is legal one way only."""
    row = next(
        i
        for i, t in enumerate(paris_ways.tags)
        if t == {"highway": "residential", "name": "Rue Barbette", "oneway": "yes", "surface": "asphalt"}
    )
    n = len(paris_ways.nodes[row]) - 1
    along = bq.osrm_stats(_fake_osrm_leg(paris_ways, row, reverse=False, mode="cycling"), paris_ways)
    assert along.length == pytest.approx(10.0 * n)
    assert along.by_category["quiet"] == pytest.approx(10.0 * n) and along.illegal == {}
    against = bq.osrm_stats(_fake_osrm_leg(paris_ways, row, reverse=True, mode="cycling"), paris_ways)
    assert against.illegal == {"oneway": pytest.approx(10.0 * n)}
    walked = bq.osrm_stats(_fake_osrm_leg(paris_ways, row, reverse=True, mode="pushing bike"), paris_ways)
    assert walked.illegal == {"oneway (pushed)": pytest.approx(10.0 * n)}
    assert walked.by_category["push"] == pytest.approx(10.0 * n)
    assert against.unmapped == 0


def test_bikemap_routes_measured_and_legal(paris_net):
    from routes import route
    from routes.routing import route_pieces

    a, b = (48.8576782, 2.3607458), (48.8667216, 2.3651351)
    for profile in ("safe", "fast"):
        router, _, legs = route_pieces(paris_net, [a, b], profile=profile)
        stats = bq.bikemap_stats(router, legs)
        feature = route(paris_net, [a, b], profile=profile)
        assert stats.length == pytest.approx(feature["properties"]["distance_m"], abs=1.0)
        assert sum(stats.by_category.values()) == pytest.approx(stats.length)
        assert stats.illegal == {} and stats.unmapped == 0


def test_route_from_a_junction_whose_snapped_segment_is_a_dead_end_oneway(paris_net):
    """This junction snaps onto a oneway into the extract's edge; it must still route."""
    from routes.routing import route_pieces

    a, b = (48.8576782, 2.3607458), (48.8667216, 2.3651351)
    router, snaps, legs = route_pieces(paris_net, [a, b], profile="safe")
    assert snaps[0].frac in (0.0, 1.0)
    assert sum(p.share * paris_net.seg_length[p.seg] for p in legs[0]) > 900


def test_shortest_legal_path_is_never_longer(paris_net):
    from routes.routing import route_pieces

    router = paris_net.router("safe")
    cost = bq.legal_distance_cost(router)
    pairs, lo, hi = bq.pick_pairs(paris_net, router, 10, seed=3)
    assert len(pairs) == 10 and 0 < lo < hi
    assert pairs == bq.pick_pairs(paris_net, router, 10, seed=3)[0]
    for a, b in pairs:
        length = lambda legs: sum(p.share * paris_net.seg_length[p.seg] for p in legs[0])  # noqa: E731
        shortest = length(route_pieces(paris_net, [a, b], profile="safe", edge_cost=cost)[2])
        for profile in ("safe", "fast"):
            assert length(route_pieces(paris_net, [a, b], profile=profile)[2]) >= shortest - 1e-6


_OSRM = ROOT / ".cache" / "osrm" / "pkg" / "osrm" / "bin" / "osrm-routed"


@pytest.mark.skipif(not _OSRM.exists(), reason="OSRM not unpacked (run scripts/osrm_setup.sh)")
def test_live_osrm_route_maps_onto_ways(paris_pbf, paris_ways):
    server = bq.OsrmServer(Path(paris_pbf))
    try:
        got = bq.osrm_route(server.url, (48.8576782, 2.3607458), (48.8667216, 2.3651351))
        invalid = bq.osrm_route(server.url, (48.8576782, 2.3607458), (95.0, 2.36))  # OSRM answers 400
    finally:
        server.close()
    assert got is not None and invalid is None
    stats = bq.osrm_stats(got, paris_ways)
    assert stats.unmapped == 0
    # step geometries tile the node pairs (the arrive step is one zero-length pair beyond)
    leg = got["legs"][0]
    steps = leg["steps"]
    assert steps[-1]["maneuver"]["type"] == "arrive"
    tiled = sum(len(st["geometry"]["coordinates"]) - 1 for st in steps[:-1])
    assert tiled == len(leg["annotation"]["distance"]) == len(leg["annotation"]["nodes"]) - 1
    assert stats.length == pytest.approx(got["distance"], rel=0.01)


def test_safe_costs_count_a_one_sided_lane_only_in_its_direction(paris_net):
    """On a Paris primary with a lane on the right only, riding against the way costs more."""
    router = paris_net.router("safe")
    one_sided = [
        s
        for s, t in enumerate(paris_net.tags)
        if t.get("highway") == "primary"
        and t.get("cycleway:right") == "lane"
        and set(t) <= {"highway", "cycleway:right", "name", "surface", "maxspeed", "lanes", "lit", "oneway"}
        and t.get("oneway", "no") == "no"
    ]
    assert one_sided
    for s in one_sided:
        assert router.cost[2 * s] < router.cost[2 * s + 1]
    contraflow = [
        s
        for s, t in enumerate(paris_net.tags)
        if (t.get("highway"), t.get("oneway")) == ("residential", "yes")
        and t.get("cycleway") == "opposite_lane"
        and not any(k.startswith("cycleway:") for k in t)
    ]
    assert contraflow
    for s in contraflow:  # the lane runs against the traffic only
        c = paris_net.classes[s]
        assert (c.infra_fwd, c.infra_bwd) == ("", "lane")


@pytest.mark.parametrize(
    "argv",
    [
        ["--source", "README.md"],
        ["--source", "no-such-file.osm.pbf"],
        ["--source", "{paris}", "--pairs", "0"],
        ["--source", "{paris}", "--profiles", "no-such-profiles.toml"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, paris_pbf, capsys):
    argv = [a.replace("{paris}", str(paris_pbf)) for a in argv]
    assert bq.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench_quality: ") and err.count("\n") == 1
