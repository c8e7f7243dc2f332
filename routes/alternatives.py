"""Alternative routes: the via-node method with plateaus.

The method of Abraham, Delling, Goldberg and Werneck ("Alternative routes in road
networks", 2013), as OSRM implements it: one search forward from the start and one
backward from the destination, both limited to ``stretch`` times the best cost. A
*plateau* is a stretch of road that lies on both shortest-path trees; the route
start -> plateau -> destination is shortest on either side of the plateau, so it
takes no silly detour. Each candidate must then pass three tests:

- it costs at most ``stretch`` (1.3) times the best route;
- it shares at most ``max_share`` (60 %) of its length with every route already kept;
- it is locally optimal: the stretch of ``local`` (25 %) of the best cost around
  its middle is itself a shortest path (the "T-test"), so it has no loop or needless
  detour a rider would see at once.

>>> from routes import load_network                                   # doctest: +SKIP
>>> from routes.alternatives import route_alternatives                  # doctest: +SKIP
>>> best, *others = route_alternatives(load_network("demo"), [(60.1699, 24.9384), (60.1618, 24.9510)])  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .budget import check_budget
from .errors import InvalidValueError
from .network import Network
from .profiles import Profile
from .routing import Piece, Router, Snap, feature_from_legs, route_pieces

__all__ = ["MAX_ALTERNATIVES", "find_alternatives", "route_alternatives"]

#: Most alternatives a request may ask for (besides the best route).
MAX_ALTERNATIVES = 3

_CANDIDATES = 100  # plateaus looked at closely (ranked by cost less half the plateau)


@dataclass(frozen=True)
class _Candidate:
    cost: float
    length: float
    edges: np.ndarray
    start: Piece
    end: Piece

    @property
    def pieces(self) -> list[Piece]:
        inner = (Piece(e // 2, 0.0, 1.0) if e % 2 == 0 else Piece(e // 2, 1.0, 0.0) for e in self.edges.tolist())
        return [p for p in (self.start, *inner, self.end) if p.share > 0]


def route_alternatives(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    n: int = MAX_ALTERNATIVES,
    profile: str | Profile = "safe",
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    max_snap_m: float | None = None,
    stretch: float = 1.3,
    max_share: float = 0.6,
    local: float = 0.25,
) -> list[dict[str, Any]]:
    """The best route and up to ``n`` meaningfully different ones, as GeoJSON Features.

    Parameters
    ----------
    network, points, profile, lang, edge_cost, max_snap_m
        As for `routes.route`; ``points`` are a start and an end only.
    n
        Alternatives wanted (0 to `MAX_ALTERNATIVES`); fewer come back when no more pass the tests.
    stretch, max_share, local
        Largest cost ratio to the best route, largest shared part of the length, and the part of
        the best cost that must be a shortest path around each alternative's middle.

    Returns
    -------
    list of dict
        The best route first; each Feature's ``properties.alternative`` is its index (0: the best)
        and ``properties.shared_pct`` the share of its length it has with the best route.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_ALTERNATIVES:
        raise InvalidValueError(f"alternatives must be a whole number from 0 to {MAX_ALTERNATIVES}, got {n!r}")
    if len(points) != 2:
        raise InvalidValueError("alternative routes go from a start to a destination: via points are not allowed")
    router, snaps, legs = route_pieces(network, points, profile=profile, edge_cost=edge_cost, max_snap_m=max_snap_m)
    cost = router.cost if edge_cost is None else edge_cost
    best = legs[0]
    routes = [best] + (
        find_alternatives(
            router, snaps[0], snaps[1], best, n=n, cost=cost, stretch=stretch, max_share=max_share, local=local
        )
        if n
        else []
    )
    seg_len = network.seg_length
    best_len = _shared_by_seg(best, seg_len)
    features = []
    for k, pieces in enumerate(routes):
        f = feature_from_legs(router, snaps, [pieces], lang=lang, edge_cost=edge_cost)
        mine = _shared_by_seg(pieces, seg_len)
        total = sum(mine.values()) or 1.0
        f["properties"]["alternative"] = k
        f["properties"]["shared_pct"] = round(100 * _overlap(mine, best_len) / total, 1)
        features.append(f)
    return features


def find_alternatives(
    router: Router,
    a: Snap,
    b: Snap,
    best: list[Piece],
    *,
    n: int = MAX_ALTERNATIVES,
    cost: np.ndarray | None = None,
    stretch: float = 1.3,
    max_share: float = 0.6,
    local: float = 0.25,
) -> list[list[Piece]]:
    """Up to ``n`` alternatives to the route ``best`` from ``a`` to ``b`` (lists of pieces, best first)."""
    cost = router.cost if cost is None else cost
    net = router.network
    best_cost = sum(p.value(cost) for p in best)
    if not best_cost > 0:
        return []
    limit = stretch * best_cost
    out, inn = _seeds(router, a, cost, forward=True), _seeds(router, b, cost, forward=False)
    if not out or not inn:
        return []
    # dense answers: the plateaus are found with array operations over both trees read whole; the
    # searches are most of the time (scripts/bench_labels.py: sparse/dense 0.92 on scale_200k)
    df, pf = router.costs_from([s[0] for s in out], [s[1] for s in out], [], edge_cost=cost, limit=limit, sparse=False)
    db, pb = router.costs_from(
        [s[0] for s in inn], [s[1] for s in inn], [], reverse=True, edge_cost=cost, limit=limit, sparse=False
    )
    chains = _plateaus(router, df, pf, db, pb, limit)
    seg_len = net.seg_length
    kept = [_metres_by_seg(best, net.n_segments, seg_len)]
    found: list[list[Piece]] = []
    for _, u0, uk, plateau in chains[:_CANDIDATES]:
        if len(found) >= n:
            break
        check_budget("these alternative routes")  # routes.budget: the caller's time cap, between candidates
        cand = _build(router, pf, pb, u0, uk, plateau, out, inn, cost)
        # the trees are searched without turn restrictions: a banned turn costs inf, a pushed one its penalty
        if cand is None or cand.cost + router.turn_penalty([p.edge for p in cand.pieces]) > limit * (1 + 1e-9):
            continue
        segs = cand.edges // 2  # the ends' partial pieces are left out of the sharing test: a few metres
        if any(np.minimum(seg_len[segs], other[segs]).sum() > max_share * cand.length for other in kept):
            continue
        if not _locally_optimal(router, cand.pieces, cost, local * best_cost):
            continue
        kept.append(_metres_by_seg(cand.pieces, net.n_segments, seg_len))
        found.append(cand.pieces)
    return found


# --------------------------------------------------------------------------- the method's parts


def _seeds(router: Router, s: Snap, cost: np.ndarray, *, forward: bool) -> list[tuple[int, float, Piece]]:
    """Nodes a snap reaches (``forward``) or is reached from, with the partial cost and the piece."""
    net = router.network
    u, v = int(net.seg_u[s.seg]), int(net.seg_v[s.seg])
    along, back = cost[2 * s.seg], cost[2 * s.seg + 1]
    seeds = []
    if forward:
        if np.isfinite(along):
            seeds.append((v, along * (1 - s.frac), Piece(s.seg, s.frac, 1.0)))
        if np.isfinite(back):
            seeds.append((u, back * s.frac, Piece(s.seg, s.frac, 0.0)))
    else:
        if np.isfinite(along):
            seeds.append((u, along * s.frac, Piece(s.seg, 0.0, s.frac)))
        if np.isfinite(back):
            seeds.append((v, back * (1 - s.frac), Piece(s.seg, 1.0, s.frac)))
    if s.frac <= 0.0:
        seeds.append((u, 0.0, Piece(s.seg, 0.0, 0.0)))
    elif s.frac >= 1.0:
        seeds.append((v, 0.0, Piece(s.seg, 1.0, 1.0)))
    return seeds


def _plateaus(router: Router, df, pf, db, pb, limit: float) -> list[tuple[float, int, int, list[int]]]:
    """Stretches on both shortest-path trees: (rank, first node, last node, directed edges), best rank first.

    The rank is the via cost less half the plateau's cost: long plateaus on cheap routes first.
    """
    reached = np.flatnonzero((pf >= 0) & (df + db <= limit))
    edges = pf[reached]
    both = edges[pb[router.src[edges]] == edges]
    on = set(both.tolist())
    chains = []
    for e in both.tolist():
        first = int(router.src[e])
        if int(pf[first]) in on:  # not the first edge of its plateau
            continue
        chain = [e]
        while True:
            nxt = int(pb[router.dst[chain[-1]]])
            if nxt not in on or len(chain) > len(on):
                break
            chain.append(nxt)
        last = int(router.dst[chain[-1]])
        via = float(df[last] + db[last])
        plateau = float(df[last] - df[first])
        chains.append((via - 0.5 * plateau, first, last, chain))
    chains.sort(key=lambda c: c[0])
    return chains


def _build(router: Router, pf, pb, u0, uk, plateau, out, inn, cost) -> _Candidate | None:
    """The route start -> ``u0`` (forward tree), the plateau, ``uk`` -> destination (backward tree)."""
    head: list[int] = []
    node = u0
    while pf[node] >= 0 and len(head) <= router.n:
        e = int(pf[node])
        head.append(e)
        node = int(router.src[e])
    head.reverse()
    first = node
    tail: list[int] = []
    node = uk
    while pb[node] >= 0 and len(tail) <= router.n:
        e = int(pb[node])
        tail.append(e)
        node = int(router.dst[e])
    last = node
    edges = np.asarray(head + list(plateau) + tail, dtype=np.int64)
    if len(np.unique(router.dst[edges])) != len(edges) or (len(edges) and first in router.dst[edges]):
        return None  # a loop: the two trees cross
    start = min((s for s in out if s[0] == first), key=lambda s: s[1], default=None)
    end = min((s for s in inn if s[0] == last), key=lambda s: s[1], default=None)
    if start is None or end is None:
        return None
    seg_len = router.network.seg_length
    total = float(start[1] + cost[edges].sum() + end[1])
    length = float(
        seg_len[edges // 2].sum() + seg_len[start[2].seg] * start[2].share + seg_len[end[2].seg] * end[2].share
    )
    if not (math.isfinite(total) and length > 0):
        return None
    return _Candidate(total, length, edges, start[2], end[2])


def _locally_optimal(router: Router, pieces: list[Piece], cost: np.ndarray, window: float) -> bool:
    """The T-test: the part of the route ``window`` long (in cost) around its middle is a shortest path."""
    whole = [p for p in pieces if p.share == 1.0]
    if len(whole) < 2:
        return True
    costs = np.array([p.value(cost) for p in whole])
    cum = np.concatenate([[0.0], np.cumsum(costs)])
    mid = cum[-1] / 2
    i = int(np.searchsorted(cum, mid - window / 2, side="right")) - 1
    j = int(np.searchsorted(cum, mid + window / 2, side="left"))
    i, j = max(i, 0), min(j, len(whole))
    if j - i < 2:
        return True
    sub = float(cum[j] - cum[i])
    x = int(router.src[whole[i].edge])
    y = int(router.dst[whole[j - 1].edge])
    shortest, _ = router.node_path([x], [0.0], [y], [0.0], edge_cost=cost)
    return sub <= shortest * (1 + 1e-6) + 1e-6


def _metres_by_seg(pieces: list[Piece], n_segments: int, seg_length: np.ndarray) -> np.ndarray:
    """Metres of each segment a route rides, as an array over all segments."""
    out = np.zeros(n_segments)
    for p in pieces:
        out[p.seg] += float(seg_length[p.seg]) * p.share
    return out


def _shared_by_seg(pieces: list[Piece], seg_length: np.ndarray) -> dict[int, float]:
    """Metres of each segment a route rides."""
    out: dict[int, float] = {}
    for p in pieces:
        out[p.seg] = out.get(p.seg, 0.0) + float(seg_length[p.seg]) * p.share
    return out


def _overlap(a: dict[int, float], b: dict[int, float]) -> float:
    """Metres two routes share."""
    return sum(min(m, b[s]) for s, m in a.items() if s in b)
