"""The contraction-hierarchy search against the reference bidirectional Dijkstra, on a real extract."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routes import profile_names
from routes._search import bidirectional
from routes.closures import ClosureEffect, closure_edge_cost
from routes.routing import Router

#: The hierarchy's metric is the cost rounded to 1/1000 of a unit per edge (`routes._cch`), so a tie
#: broken differently could differ by that much per edge; found over 4,000 pairs: no difference at all.
REL = 1e-6


def _seeds(router: Router, rng: np.random.Generator, k: int):
    """``k`` random junctions of the largest piece with random initial costs (like a snapped point's ends)."""
    segs = rng.choice(router._ids_big, k)
    nodes = np.where(rng.random(k) < 0.5, router.network.seg_u[segs], router.network.seg_v[segs]).astype(np.int64)
    return nodes, rng.uniform(0.0, 60.0, k)


@pytest.mark.parametrize("profile", profile_names())
def test_hierarchy_equals_reference_on_1000_pairs(liechtenstein_net, profile):
    router = liechtenstein_net.router(profile)
    rng = np.random.default_rng(19)
    for i in range(1000):
        k = 1 + i % 2  # one seed each side, or two with initial costs (a point inside a street)
        src, src_c = _seeds(router, rng, k)
        dst, dst_c = _seeds(router, rng, k)
        if k == 1:
            src_c, dst_c = np.zeros(1), np.zeros(1)
        fast, edges = router.node_path(src, src_c, dst, dst_c)
        ref, _ = router.node_path(src, src_c, dst, dst_c, method="reference")
        assert math.isinf(fast) == math.isinf(ref)
        if math.isfinite(ref):
            assert fast == pytest.approx(ref, rel=REL, abs=1e-9)
            if edges:  # the path is connected, starts at a seed and ends at a seed, and costs what is said
                assert all(router.dst[a] == router.src[b] for a, b in zip(edges, edges[1:], strict=False))
                head = src_c[src == router.src[edges[0]]].min()
                tail = dst_c[dst == router.dst[edges[-1]]].min()
                assert head + router.cost[edges].sum() + tail == pytest.approx(fast, rel=1e-12)


def test_reference_function_keeps_its_signature(liechtenstein_net):
    """`routes._search.bidirectional` (fresh labels) and the router's reused labels agree."""
    router = liechtenstein_net.router("safe")
    rng = np.random.default_rng(3)
    for _ in range(50):
        (a,), _ = _seeds(router, rng, 1)
        (b,), _ = _seeds(router, rng, 1)
        best, meet, _, _ = bidirectional(
            router.n,
            router.f_ptr,
            router.f_adj,
            router.f_edge,
            router.b_ptr,
            router.b_adj,
            router.b_edge,
            router.cost,
            np.array([a]),
            np.zeros(1),
            np.array([b]),
            np.zeros(1),
        )
        assert best == pytest.approx(router.node_path([a], [0.0], [b], [0.0], method="reference")[0], rel=1e-12)
        assert (meet >= 0) == math.isfinite(best)


def test_closures_and_hazards_on_the_route_fall_back_to_the_reference(liechtenstein_net):
    """Raised costs on the route found: the answer is the reference's under the raised costs."""
    router = liechtenstein_net.router("safe")
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(60):
        (a,), _ = _seeds(router, rng, 1)
        (b,), _ = _seeds(router, rng, 1)
        base, edges = router.node_path([a], [0.0], [b], [0.0])
        if len(edges) < 4:
            continue
        segs = [int(e) // 2 for e in edges[1 : len(edges) // 2]]
        closed = {segs[0]}
        hazard = {s: 3.0 for s in segs[1:]}
        cost = closure_edge_cost(router, ClosureEffect(closed=closed, hazard=hazard))
        got, got_edges = router.node_path([a], [0.0], [b], [0.0], edge_cost=cost)
        ref, _ = router.node_path([a], [0.0], [b], [0.0], edge_cost=cost, method="reference")
        assert got == pytest.approx(ref, rel=1e-12) or (math.isinf(got) and math.isinf(ref))
        assert got >= base - 1e-9
        assert set(got_edges).isdisjoint({2 * s for s in closed} | {2 * s + 1 for s in closed})
        checked += 1
    assert checked >= 20


def test_lowered_costs_are_never_answered_from_the_hierarchy(liechtenstein_net):
    """A per-request array below the profile's costs (not a closure) runs the reference search."""
    router = liechtenstein_net.router("safe")
    cheaper = router.cost * 0.5
    rng = np.random.default_rng(5)
    for _ in range(20):
        (a,), _ = _seeds(router, rng, 1)
        (b,), _ = _seeds(router, rng, 1)
        got, _ = router.node_path([a], [0.0], [b], [0.0], edge_cost=cheaper)
        plain, _ = router.node_path([a], [0.0], [b], [0.0])
        assert got == pytest.approx(plain / 2, rel=REL) or (math.isinf(got) and math.isinf(plain))


def test_profiles_share_geometry_and_graph(liechtenstein_net):
    safe, fast = liechtenstein_net.router("safe"), liechtenstein_net.router("fast")
    assert safe._lines is fast._lines and safe.f_ptr is fast.f_ptr and safe._shared is fast._shared
    assert safe.metric() is not fast.metric()


def test_unknown_search_method(liechtenstein_net):
    from routes.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="search method"):
        liechtenstein_net.router("safe").node_path([0], [0.0], [1], [0.0], method="dijkstra")


def test_threads_each_get_their_own_query(liechtenstein_net):
    """RoutingKit's query objects are not shareable: concurrent searches still agree with one thread's."""
    from concurrent.futures import ThreadPoolExecutor

    router = liechtenstein_net.router("fast")
    rng = np.random.default_rng(11)
    pairs = [(_seeds(router, rng, 1)[0][0], _seeds(router, rng, 1)[0][0]) for _ in range(200)]
    alone = [router.node_path([a], [0.0], [b], [0.0]) for a, b in pairs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda ab: router.node_path([ab[0]], [0.0], [ab[1]], [0.0]), pairs))
    assert together == alone


def test_one_to_many_on_versioned_labels_equals_fresh_labels(liechtenstein_net):
    """`Router.costs_from` (reused, versioned labels) finds exactly what `one_to_many` finds on fresh arrays.

    Forward and backward, with targets and a cost limit, under closures, one search after another on
    the same labels; ``sparse=True`` gives the same nodes' values and nothing else.
    """
    from routes._search import one_to_many

    router = liechtenstein_net.router("safe")
    rng = np.random.default_rng(5)
    segs = rng.choice(router._ids_big, 60).tolist()
    closed = closure_edge_cost(router, ClosureEffect(closed=set(segs[:30]), hazard={s: 2.0 for s in segs[30:]}))
    for i in range(60):
        src, src_c = _seeds(router, rng, 1 + i % 3)
        targets = _seeds(router, rng, i % 4)[0]
        reverse, limit = bool(i % 2), (math.inf if i % 3 else float(rng.uniform(100, 3000)))
        cost = closed if i % 5 == 0 else router.cost
        ptr, adj, edge = (
            (router.b_ptr, router.b_adj, router.b_edge) if reverse else (router.f_ptr, router.f_adj, router.f_edge)
        )
        want_d, want_p = one_to_many(router.n, ptr, adj, edge, cost, src, src_c, targets, limit)
        got_d, got_p = router.costs_from(
            src, src_c, targets, reverse=reverse, edge_cost=cost, limit=limit, sparse=False
        )
        np.testing.assert_array_equal(got_d, want_d)
        np.testing.assert_array_equal(got_p, want_p)
        nodes, d, p = router.costs_from(src, src_c, targets, reverse=reverse, edge_cost=cost, limit=limit, sparse=True)
        reached = np.isfinite(want_d)
        assert set(np.flatnonzero(reached).tolist()) <= set(nodes.tolist())
        np.testing.assert_array_equal(d, want_d[nodes])
        np.testing.assert_array_equal(p, want_p[nodes])
