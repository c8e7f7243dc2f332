"""Turn restrictions across via points, and the time a pushed banned turn takes.

A via point does not wipe the ride's history: the leg after it starts where the leg before
left the rider on the split graph (`routes.routing.route_legs`), so a via point on a via way
(the Vaduz fixture's hand-written relations) or at a restricted junction (Liechtenstein's real
via-node relations) does not let the route make the banned manoeuvre.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from routes import load_network
from routes._turns import Ride
from routes.profiles import get_profile, pushed_turn_cost, pushed_turn_seconds
from routes.restrictions import turn_bans
from routes.routing import route, route_pieces

FIXTURE = Path(__file__).parent / "data" / "vaduz_via_ways.osm"


@pytest.fixture(scope="module")
def vaduz():
    return load_network(str(FIXTURE), use_cache=False)


def _mid(net, seg: int) -> tuple[float, float]:
    c = net.segment_coords(seg)
    lon, lat = c[len(c) // 2] if len(c) > 2 else c.mean(axis=0)
    return float(lat), float(lon)


def _ridden(legs) -> list[int]:
    """The directed edges a route rides, a street ridden on past a via point counted once."""
    edges = [p.edge for pieces in legs for p in pieces if p.share > 0]
    return [e for k, e in enumerate(edges) if k == 0 or e != edges[k - 1]]


def _rides(edges: list[int], chain: tuple[int, ...]) -> bool:
    k = len(chain)
    return any(tuple(edges[i : i + k]) == chain for i in range(len(edges) - k + 1))


def _profile(push: bool):
    return get_profile("safe") if push else dataclasses.replace(get_profile("safe"), turn_push_m=0.0)


def _legs_agree(router, snaps, legs) -> None:
    """Every leg, from where the leg before left the rider: the CCH and the reference search agree."""
    ride = None
    for a, b, pieces in zip(snaps, snaps[1:], legs, strict=False):
        out = router._turn_seeds_out(router._out_seeds(a, router.cost), ride)
        inn = router._turn_seeds_in(router._in_seeds(b, router.cost))
        args = [np.asarray([s[k] for s in seeds]) for seeds in (out, inn) for k in (0, 1)]
        fast, _, _ = router._arc_path(*args, router.cost, "auto")
        ref, _, _ = router._arc_path(*args, router.cost, "reference")
        assert fast == pytest.approx(ref, rel=1e-6)
        assert router.leg(a, b, ride=ride)[0] <= ref * (1 + 1e-9)  # or along the one street, cheaper
        whole = ride
        for p in pieces:  # every piece walked (`ride_after` walks the last few only)
            if p.share > 0:
                whole = Ride(router.turns.tail(whole, p.edge)[0], p.edge, 0.0 < p.f1 < 1.0)
        ride = router.ride_after(pieces, ride)
        assert ride == whole


def _check_route(net, points, profile, chain, push):
    """The route through ``points`` never makes ``chain`` unpushed, and pays for it when it pushes it."""
    router, snaps, legs = route_pieces(net, points, profile=profile)
    props = route(net, points, profile=profile)["properties"]
    edges = _ridden(legs)
    ride_cost = sum(p.value(router.cost) for pieces in legs for p in pieces)
    ride_time = sum(p.value(router.duration) for pieces in legs for p in pieces)
    if _rides(edges, chain):  # only on foot
        assert push and props["pushed_turns"] >= 1
        assert props["cost"] == pytest.approx(ride_cost + props["pushed_turns"] * pushed_turn_cost(profile), abs=0.2)
        assert props["duration_s"] == pytest.approx(
            ride_time + props["pushed_turns"] * pushed_turn_seconds(profile), abs=0.2
        )
    else:
        assert props["pushed_turns"] == 0 and props["cost"] == pytest.approx(ride_cost, abs=0.2)
    _legs_agree(router, snaps, legs)
    return props


@pytest.mark.parametrize("push", [True, False])
def test_a_via_point_on_the_via_way_keeps_the_restriction(vaduz, push):
    """From the from street to the to street through a via point on the via way: the route obeys the
    restriction as the two-point route does (it rode the banned manoeuvre, 44.9 and 38.4 instead of 51.8
    and 41.8, when each leg started with no history)."""
    profile = _profile(push)
    bans = turn_bans(vaduz)
    checked = 0
    for lead, a, b in zip(bans.lead, bans.a.tolist(), bans.b.tolist(), strict=True):
        if b == a ^ 1:
            continue  # back along the via way
        chain = (*lead, a, b)
        two = [_mid(vaduz, lead[0] // 2), _mid(vaduz, b // 2)]
        plain = route(vaduz, two, profile=profile)["properties"]
        for via_edge in (*lead[1:], a):  # a via point on each edge of the via way
            three = [two[0], _mid(vaduz, via_edge // 2), two[1]]
            props = _check_route(vaduz, three, profile, chain, push)
            # through a point of the via way the route can only cost more than without it
            assert props["cost"] >= plain["cost"] - 0.2
            checked += 1
    assert checked >= 2


def _junction(net, node: int) -> tuple[float, float]:
    return float(net.node_lat[node]), float(net.node_lon[node])


@pytest.mark.parametrize("push", [True, False])
def test_a_via_point_at_the_restricted_junction_keeps_the_turn_banned(liechtenstein_net, push):
    """Liechtenstein's via-node relations: from the from street, through a via point on the junction,
    onto the to street. Arriving from the from street and leaving on the to street is the banned turn."""
    net, profile = liechtenstein_net, _profile(push)
    bans = turn_bans(net)
    for a, b in zip(bans.a.tolist(), bans.b.tolist(), strict=True):
        via = int(net.seg_v[a // 2] if a % 2 == 0 else net.seg_u[a // 2])
        points = [_mid(net, a // 2), _junction(net, via), _mid(net, b // 2)]
        router, snaps, legs = route_pieces(net, points, profile=profile)
        assert snaps[1].frac in (0.0, 1.0)  # exactly on the junction
        last = [p.edge for p in legs[0] if p.share > 0][-1]
        first = [p.edge for p in legs[1] if p.share > 0][0]
        assert (last, first) != (a, b) or push
        _check_route(net, points, profile, (a, b), push)


def test_a_pushed_turn_takes_its_time_in_the_route_and_the_matrices(liechtenstein_net):
    """With a push shorter than any way around, the route pushes the banned turn: its duration, its
    leg's, the tour matrix's time and the bike-share tree's all include the pushed turn's seconds."""
    from routes.bikeshare import _Tree
    from routes.tours import travel_matrix

    net = liechtenstein_net
    profile = dataclasses.replace(get_profile("fast"), turn_push_m=1.0)
    bans = turn_bans(net)
    a, b = int(bans.a[0]), int(bans.b[0])
    points = [_mid(net, a // 2), _mid(net, b // 2)]
    router, snaps, legs = route_pieces(net, points, profile=profile)
    props = route(net, points, profile=profile)["properties"]
    ride = sum(p.value(router.duration) for p in legs[0])
    push_s = pushed_turn_seconds(router.profile)
    assert props["pushed_turns"] == 1 and push_s > 0.5
    assert props["duration_s"] == pytest.approx(ride + push_s, abs=0.1)
    assert props["legs"][0]["duration_s"] == pytest.approx(ride + push_s, abs=0.1)
    assert sum(i.get("duration_s", 0) for i in props["instructions"]) == pytest.approx(ride + push_s, abs=1.0)
    T, C = travel_matrix(router, snaps)
    assert T[0, 1] == pytest.approx(ride + push_s, rel=1e-6)
    assert _Tree(router, snaps[0], [snaps[1]]).to(snaps[1])[1] == pytest.approx(ride + push_s, rel=1e-6)
    assert _Tree(router, snaps[1], [snaps[0]], reverse=True).to(snaps[0])[1] == pytest.approx(ride + push_s, rel=1e-6)
    for i, j in itertools.permutations(range(2), 2):
        assert C[i, j] == pytest.approx(router.leg(snaps[i], snaps[j])[0], rel=1e-6)


def test_long_legs_carry_the_same_ride(vaduz):
    """From streets all over the cut through a via point on each via way: whatever way the first leg
    comes (long legs: `ride_after` walks only their last pieces), no route rides a banned chain."""
    profile = _profile(False)
    bans = turn_bans(vaduz)
    long = 0
    for lead, a, b in zip(bans.lead, bans.a.tolist(), bans.b.tolist(), strict=True):
        if b == a ^ 1:
            continue
        for start in range(0, vaduz.n_segments, max(1, vaduz.n_segments // 12)):
            points = [_mid(vaduz, start), _mid(vaduz, a // 2), _mid(vaduz, b // 2)]
            _, _, legs = route_pieces(vaduz, points, profile=profile)
            long += len(legs[0]) > 4
            _check_route(vaduz, points, profile, (*lead, a, b), False)
    assert long >= 5
