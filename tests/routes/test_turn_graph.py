"""The split graph of `routes._turns` against an independent search over ride histories.

The other tests compare the hierarchy with the reference search, but both run on the same
split graph: a wrong state or arc in it would pass them. Here the oracle is a plain
Dijkstra over (junction, last edges ridden) with every ban checked against the history,
on a tiny grid with random bans whose histories overlap (a via-node ban at a junction inside
a via-way chain: the ride is then in the chain's state and must still obey it)::

    6 - 7 - 8
    |   |   |
    3 - 4 - 5
    |   |   |
    0 - 1 - 2
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from routes._csr import csr
from routes._search import one_to_many
from routes._turns import TurnGraph
from routes.restrictions import TurnBans

PUSH = 5.0


def _grid():
    pairs = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
    pairs += [(r * 3 + c, (r + 1) * 3 + c) for r in range(2) for c in range(3)]
    u = np.array([p[0] for p in pairs], np.int64)
    v = np.array([p[1] for p in pairs], np.int64)
    src, dst = np.empty(2 * len(u), np.int64), np.empty(2 * len(u), np.int64)
    src[0::2], src[1::2], dst[0::2], dst[1::2] = u, v, v, u
    return src, dst


def _random_bans(rng, src, dst, cost, k: int) -> TurnBans:
    """``k`` manoeuvres of 2 to 4 edges from cheapest paths (so that they bite), ``k`` random ones; some pushable."""
    outs = {v: np.flatnonzero(src == v).tolist() for v in range(9)}
    paths: list[list[int]] = []
    while len(paths) < k:
        s, t = rng.choice(9, 2, replace=False)
        _, pred = one_to_many(
            9, *_csr(src, dst), cost, np.array([int(s)], np.int64), np.zeros(1), np.zeros(0, np.int64), math.inf
        )
        path = [int(pred[t])]
        while src[path[0]] != s:
            path.insert(0, int(pred[src[path[0]]]))
        if len(path) >= 2:
            i = int(rng.integers(0, max(1, len(path) - 3)))
            paths.append(path[i : i + int(rng.integers(2, 5))])
    for _ in range(k):  # and random rides (a U-turn on a copy may be the way around)
        path = [int(rng.integers(len(src)))]
        for _ in range(int(rng.integers(1, 4))):
            path.append(int(rng.choice(outs[int(dst[path[-1]])])))
        paths.append(path)
    for p in [p for p in paths if len(p) > 2]:  # overlapping histories: a via-node ban inside a longer one
        others = [e for e in outs[int(dst[p[1]])] if e != p[2]]
        paths.append([p[1], int(rng.choice(others))])
    return TurnBans(
        np.array([p[-2] for p in paths], np.int64),
        np.array([p[-1] for p in paths], np.int64),
        np.array([(p[-2] + p[-1]) % 2 == 0 for p in paths]),  # pushable or not: a property of the last turn
        len(paths),
        len(paths),
        tuple(tuple(p[:-2]) for p in paths),
    )


def _csr(src, dst):
    return csr(9, src, dst, np.arange(len(src), dtype=np.int64))


def _oracle(src, dst, cost, bans: TurnBans, s: int) -> np.ndarray:
    """Cheapest cost from junction ``s`` to every junction, each ban checked on the ride's history."""
    rules = [
        ((*lead, int(a)), int(b), PUSH if p else math.inf)
        for lead, a, b, p in zip(bans.lead, bans.a, bans.b, bans.push, strict=True)
    ]
    depth = max(len(h) for h, _, _ in rules)
    best = np.full(9, np.inf)
    seen: dict[tuple[int, tuple[int, ...]], float] = {(s, ()): 0.0}
    heap = [(0.0, s, ())]
    while heap:
        d, u, hist = heapq.heappop(heap)
        if d > seen[(u, hist)]:
            continue
        best[u] = min(best[u], d)
        for e in np.flatnonzero(src == u).tolist():
            add = max([x for h, b, x in rules if b == e and hist[len(hist) - len(h) :] == h] or [0.0])
            nd = d + cost[e] + add
            key = (int(dst[e]), (*hist, e)[-depth:])
            if nd < seen.get(key, math.inf):
                seen[key] = nd
                heapq.heappush(heap, (nd, *key))
    return best


@pytest.mark.parametrize("seed", range(16))
def test_the_split_graph_costs_what_the_histories_cost(seed):
    rng = np.random.default_rng(seed)
    src, dst = _grid()
    cost = rng.uniform(1.0, 3.0, len(src))
    bans = _random_bans(rng, src, dst, cost, 6)
    turns = TurnGraph(9, src, dst, bans, np.arange(9))
    arc_cost = turns.arc_cost(cost, turns.extra(PUSH))
    none = np.zeros(0, np.int64)
    for s in range(9):
        dist, _ = one_to_many(
            turns.n,
            turns.f_ptr,
            turns.f_adj,
            turns.f_edge,
            arc_cost,
            np.array([s], np.int64),
            np.zeros(1),
            none,
            math.inf,
        )
        got = np.array([min([dist[v], *(dist[c] for c in turns.copies(v))]) for v in range(9)])
        np.testing.assert_allclose(got, _oracle(src, dst, cost, bans, s), rtol=1e-12)
