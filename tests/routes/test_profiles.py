"""Profiles as data and the legal access rules."""

from __future__ import annotations

import numpy as np
import pytest

from routes.errors import UnknownProfileError
from routes.profiles import NO, PUSH, RIDE, classify_segment, get_profile, is_main_road, load_profiles, profile_names


def test_profiles_are_data():
    profiles = load_profiles()
    assert {"safe", "fast", "walk"} <= set(profiles)
    assert profile_names()[:2] == ["fast", "safe"] or "safe" in profile_names()
    safe, fast = profiles["safe"], profiles["fast"]
    assert safe.highway["primary"][1] > safe.highway["residential"][1] > safe.highway["cycleway"][1]
    assert all(f == 1.0 for _, f in fast.surface.values())


def test_unknown_profile():
    with pytest.raises(UnknownProfileError, match="choose one of"):
        get_profile("nope")


@pytest.mark.parametrize(
    "tags, fwd, bwd",
    [
        ({"highway": "residential"}, RIDE, RIDE),
        ({"highway": "residential", "oneway": "yes"}, RIDE, NO),
        ({"highway": "residential", "oneway": "-1"}, NO, RIDE),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, RIDE, RIDE),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}, RIDE, RIDE),
        ({"highway": "residential", "oneway": "yes", "cycleway:left": "opposite_track"}, RIDE, RIDE),
        ({"highway": "primary", "junction": "roundabout"}, RIDE, NO),
        ({"highway": "motorway"}, NO, NO),
        ({"highway": "trunk", "motorroad": "yes"}, NO, NO),
        ({"highway": "secondary", "bicycle": "no"}, NO, NO),
        ({"highway": "service", "access": "private"}, NO, NO),
        ({"highway": "service", "access": "private", "bicycle": "yes"}, RIDE, RIDE),
        ({"highway": "track", "access": "agricultural"}, NO, NO),
        ({"highway": "footway"}, PUSH, PUSH),
        ({"highway": "footway", "bicycle": "yes"}, RIDE, RIDE),
        ({"highway": "pedestrian"}, PUSH, PUSH),
        ({"highway": "path", "bicycle": "designated"}, RIDE, RIDE),
        ({"highway": "cycleway", "oneway": "yes"}, RIDE, NO),
        ({"highway": "steps"}, PUSH, PUSH),
        ({"highway": "primary", "bicycle": "dismount"}, PUSH, PUSH),
        ({"highway": "construction"}, NO, NO),
    ],
)
def test_access_rules(tags, fwd, bwd):
    c = classify_segment(tags)
    assert (c.fwd, c.bwd) == (fwd, bwd)


def test_infrastructure_detection():
    assert classify_segment({"highway": "path", "bicycle": "designated"}).cls == "cycleway"
    assert classify_segment({"highway": "primary", "cycleway:right": "track"}).infra == "track"
    assert classify_segment({"highway": "secondary", "cycleway": "lane"}).infra == "lane"
    assert classify_segment({"highway": "secondary"}).infra == ""


def test_access_rules_on_real_tags(liechtenstein_net):
    """Every footway ridden in the real data has bicycle permission; every oneway is one-way."""
    for t, c in zip(liechtenstein_net.tags, liechtenstein_net.classes, strict=False):
        if t.get("highway") == "footway" and RIDE in (c.fwd, c.bwd):
            assert t.get("bicycle") in ("yes", "designated", "permissive", "official", "destination")
        if t.get("oneway") == "yes" and "oneway:bicycle" not in t and not any(k.startswith("cycleway") for k in t):
            assert c.bwd == NO


def test_durations_of_some_edges_are_the_whole_arrays_to_the_last_bit(liechtenstein_net):
    from routes import load_network, route
    from routes.profiles import edge_costs

    fresh = load_network(liechtenstein_net.meta["source"])  # routers of its own, durations not yet made
    for name in ("safe", "walk"):
        router = fresh.router(name)
        route(fresh, [(47.166, 9.51), (47.14, 9.52)], profile=name)
        assert router._duration is None  # a route reads its own edges' durations only (issue #19)
        edges = np.arange(len(router.cost))
        some = router.durations(edges[::7])
        whole = edge_costs(fresh.classes, fresh.seg_length, name)[0]
        assert np.array_equal(router.duration, whole) and np.array_equal(some, whole[::7])


def test_what_the_tags_give_is_worked_out_once_per_tag_dict(andorra_net):
    """`Network.tag_groups` (issue #19): classes, class index, summary codes and street ids, gathered per group,
    equal a walk over every segment, numbered in the order the segments first show them."""
    import dataclasses

    from routes.instructions import street_ids
    from routes.profiles import class_index
    from routes.routing import shared_structures

    net = dataclasses.replace(andorra_net)  # its own derived values
    groups, which, first = net.tag_groups
    assert len(groups) < net.n_segments and all(groups[k] is net.tags[s] for s, k in enumerate(which.tolist()))
    assert np.array_equal(first, np.sort(first)) and all(groups[k] is net.tags[first[k]] for k in range(len(groups)))
    walked = [classify_segment(t) for t in net.tags]
    assert net.classes == walked
    distinct, idx = class_index(walked)
    assert net.class_index[0] == distinct and np.array_equal(net.class_index[1], idx)
    names: dict[str, int] = {}
    streets = [
        names.setdefault(t.get("name") or t.get("ref") or f"<{c.cls}>", len(names))
        for t, c in zip(net.tags, walked, strict=True)
    ]
    assert street_ids(net).tolist() == streets
    table = shared_structures(net).segment_table()
    assert [table.highway_names[h] for h in table.highway.tolist()] == [t.get("highway", "unknown") for t in net.tags]
    assert table.main.tolist() == [is_main_road(c.cls) for c in walked]
