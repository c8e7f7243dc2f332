"""Compiled solvers for tours on a travel-time matrix (numba).

All work on a square matrix ``T`` (seconds, may be asymmetric: one-way
streets) and plan a path ``s -> stops... -> e`` (``s == e`` for a loop):

- `held_karp`: the exact best order (dynamic programme over subsets,
  O(2^n n^2); used up to ~12 stops).
- `order_heuristic`: iterated local search (2-opt and Or-opt with reversal,
  double-bridge kicks) from several starts, for more stops.
- `orienteering`: choose and order stops of most total prize that fit a time
  budget, with visit times and opening windows (greedy insertion by
  prize/added time, local search, ruin-and-recreate iterations).
- `brute_force_order` / `brute_force_orienteering`: enumerations that prove
  the optimum of small instances (tests and the benchmark).

Hand-written for speed: these searches take milliseconds at tour sizes. OR-Tools
could model every tour here (its routing solver has optional visits, time windows
and waiting slack); see docs/design.md.
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit

__all__ = [
    "brute_force_order",
    "brute_force_orienteering",
    "held_karp",
    "order_heuristic",
    "orienteering",
    "path_cost",
    "schedule",
]


@njit(cache=True)
def path_cost(T, s, order, e):
    """Time of ``s -> order... -> e``."""
    if len(order) == 0:
        return T[s, e]
    c = T[s, order[0]]
    for i in range(len(order) - 1):
        c += T[order[i], order[i + 1]]
    return c + T[order[-1], e]


@njit(cache=True)
def held_karp(T, s, stops, e):
    """Exact best order of ``stops`` from ``s`` to ``e``: (cost, order)."""
    n = len(stops)
    if n == 0:
        return T[s, e], np.empty(0, np.int64)
    full = (1 << n) - 1
    dp = np.full((1 << n, n), np.inf)
    parent = np.full((1 << n, n), -1, np.int64)
    for j in range(n):
        dp[1 << j, j] = T[s, stops[j]]
    for mask in range(1, full + 1):
        for j in range(n):
            if not (mask >> j) & 1:
                continue
            base = dp[mask, j]
            if base == np.inf:
                continue
            for k in range(n):
                if (mask >> k) & 1:
                    continue
                nm = mask | (1 << k)
                c = base + T[stops[j], stops[k]]
                if c < dp[nm, k]:
                    dp[nm, k] = c
                    parent[nm, k] = j
    best, last = np.inf, -1
    for j in range(n):
        c = dp[full, j] + T[stops[j], e]
        if c < best:
            best, last = c, j
    order = np.empty(n, np.int64)
    if last < 0:
        return np.inf, order
    mask = full
    for i in range(n - 1, -1, -1):
        order[i] = stops[last]
        prev = parent[mask, last]
        mask &= ~(1 << last)
        last = prev
    return best, order


@njit(cache=True)
def _prefix(T, P):
    m = len(P)
    fwd = np.zeros(m)
    bwd = np.zeros(m)
    for t in range(m - 1):
        fwd[t + 1] = fwd[t] + T[P[t], P[t + 1]]
        bwd[t + 1] = bwd[t] + T[P[t + 1], P[t]]
    return fwd, bwd


@njit(cache=True)
def _local_search(T, P):
    """Improve path ``P`` (ends fixed) in place with 2-opt and Or-opt moves."""
    m = len(P)
    n = m - 2
    improved = True
    while improved:
        improved = False
        fwd, bwd = _prefix(T, P)
        # 2-opt: reverse P[i..j]
        for i in range(1, n + 1):
            for j in range(i + 1, n + 1):
                old = T[P[i - 1], P[i]] + (fwd[j] - fwd[i]) + T[P[j], P[j + 1]]
                new = T[P[i - 1], P[j]] + (bwd[j] - bwd[i]) + T[P[i], P[j + 1]]
                if new < old - 1e-9:
                    P[i : j + 1] = P[i : j + 1][::-1].copy()
                    improved = True
                    break
            if improved:
                break
        if improved:
            continue
        # Or-opt: move P[i..i+L-1] between P[k] and P[k+1], maybe reversed
        for L in range(1, 4):
            for i in range(1, n - L + 2):
                a, b = P[i], P[i + L - 1]
                rem = T[P[i - 1], P[i + L]] - T[P[i - 1], a] - T[b, P[i + L]]
                inner_f = fwd[i + L - 1] - fwd[i]
                inner_b = bwd[i + L - 1] - bwd[i]
                for k in range(0, m - 1):
                    if i - 1 <= k <= i + L - 1:
                        continue
                    x, y = P[k], P[k + 1]
                    add_f = T[x, a] + T[b, y] - T[x, y]
                    add_r = T[x, b] + T[a, y] - T[x, y] + inner_b - inner_f
                    rev = add_r < add_f
                    d = rem + (add_r if rev else add_f)
                    if d < -1e-9:
                        seg = P[i : i + L].copy()
                        if rev:
                            seg = seg[::-1].copy()
                        rest = np.concatenate((P[:i], P[i + L :]))
                        pos = k + 1 if k < i else k + 1 - L
                        P[:] = np.concatenate((rest[:pos], seg, rest[pos:]))
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break
    return P


@njit(cache=True)
def order_heuristic(T, s, stops, e, restarts, kicks, seed):
    """Good order of ``stops`` from ``s`` to ``e`` by iterated local search: (cost, order)."""
    np.random.seed(seed)
    n = len(stops)
    if n <= 3:
        return held_karp(T, s, stops, e)
    best_cost, best = np.inf, stops.copy()
    for r in range(restarts):
        # start: nearest neighbour (first restart) or a random order
        order = np.empty(n, np.int64)
        if r == 0:
            used = np.zeros(n, np.bool_)
            cur = s
            for i in range(n):
                bj, bc = -1, np.inf
                for j in range(n):
                    if not used[j] and T[cur, stops[j]] < bc:
                        bj, bc = j, T[cur, stops[j]]
                if bj < 0:  # unreachable leftovers: any order
                    for j in range(n):
                        if not used[j]:
                            bj = j
                            break
                used[bj] = True
                order[i] = stops[bj]
                cur = stops[bj]
        else:
            order[:] = stops[np.random.permutation(n)]
        P = np.concatenate((np.array([s]), order, np.array([e])))
        _local_search(T, P)
        cur_cost = path_cost(T, s, P[1:-1], e)
        for _ in range(kicks):
            # double bridge on the inner part
            cut = np.sort(np.random.choice(n - 1, 3, replace=False) + 1)
            inner = P[1:-1]
            Q = np.concatenate((inner[: cut[0]], inner[cut[2] :], inner[cut[1] : cut[2]], inner[cut[0] : cut[1]]))
            P2 = np.concatenate((np.array([s]), Q, np.array([e])))
            _local_search(T, P2)
            c2 = path_cost(T, s, P2[1:-1], e)
            if c2 < cur_cost - 1e-9:
                P, cur_cost = P2, c2
        if cur_cost < best_cost:
            best_cost, best = cur_cost, P[1:-1].copy()
    return best_cost, best


# --------------------------------------------------------------------------- orienteering


@njit(cache=True)
def schedule(T, s, route, e, visit, wn, wa, wb, ride_budget=np.inf):
    """Finish time of ``s -> route... -> e`` with visits and opening windows; inf if infeasible.

    ``wn[k] < 0``: stop k may be visited any time; else its ``wn[k]`` windows
    ``[wa[k, w], wb[k, w])`` (seconds after the start): the visit must fit in one,
    waiting for it to open if needed. Riding alone (the sum of ``T`` along the
    route) longer than ``ride_budget`` is infeasible too (the minutes a
    bike-share ticket includes, with the bike docked during visits).
    """
    t = 0.0
    ride = 0.0
    prev = s
    for c in route:
        t += T[prev, c]
        ride += T[prev, c]
        if wn[c] >= 0:
            ok = False
            for w in range(wn[c]):
                st = max(t, wa[c, w])
                if st + visit[c] <= wb[c, w]:
                    t = st
                    ok = True
                    break
            if not ok:
                return np.inf
        t += visit[c]
        prev = c
    if ride + T[prev, e] > ride_budget:
        return np.inf
    return t + T[prev, e]


@njit(cache=True)
def _insert_greedy(
    T, s, route, e, cands, prize, visit, wn, wa, wb, budget, in_route, alpha=1.0, noise=0.0, ride_budget=np.inf
):
    """Insert candidates by best prize**alpha per added second while the budget allows.

    ``noise`` > 0 multiplies each score by a random factor in [1 - noise, 1 + noise].
    """
    cur = schedule(T, s, route, e, visit, wn, wa, wb, ride_budget)
    while True:
        best_ratio, best_c, best_pos, best_t = -1.0, -1, -1, 0.0
        for c in cands:
            if in_route[c] or prize[c] <= 0:
                continue
            for pos in range(len(route) + 1):
                r2 = np.concatenate((route[:pos], np.array([c]), route[pos:]))
                t2 = schedule(T, s, r2, e, visit, wn, wa, wb, ride_budget)
                if t2 <= budget:
                    ratio = prize[c] ** alpha / (t2 - cur + 1.0)
                    if noise > 0:
                        ratio *= 1.0 + noise * (2.0 * np.random.random() - 1.0)
                    if ratio > best_ratio:
                        best_ratio, best_c, best_pos, best_t = ratio, c, pos, t2
        if best_c < 0:
            return route, cur
        route = np.concatenate((route[:best_pos], np.array([best_c]), route[best_pos:]))
        in_route[best_c] = True
        cur = best_t


@njit(cache=True)
def _shorten(T, s, route, e, visit, wn, wa, wb, ride_budget=np.inf):
    """Reorder ``route`` (2-opt and single moves) while the finish time drops."""
    cur = schedule(T, s, route, e, visit, wn, wa, wb, ride_budget)
    n = len(route)
    improved = True
    while improved:
        improved = False
        for i in range(n):
            for j in range(i + 1, n):
                r2 = route.copy()
                r2[i : j + 1] = route[i : j + 1][::-1].copy()
                t2 = schedule(T, s, r2, e, visit, wn, wa, wb, ride_budget)
                if t2 < cur - 1e-9:
                    route, cur, improved = r2, t2, True
        for i in range(n):
            rest = np.concatenate((route[:i], route[i + 1 :]))
            for pos in range(n):
                if pos == i:
                    continue
                r2 = np.concatenate((rest[:pos], route[i : i + 1], rest[pos:]))
                t2 = schedule(T, s, r2, e, visit, wn, wa, wb, ride_budget)
                if t2 < cur - 1e-9:
                    route, cur, improved = r2, t2, True
                    break
    return route, cur


@njit(cache=True)
def _prize(route, prize):
    p = 0.0
    for c in route:
        p += prize[c]
    return p


@njit(cache=True)
def orienteering(T, s, cands, e, prize, visit, wn, wa, wb, budget, iterations, seed, ride_budget=np.inf):
    """Stops of most prize (then least time) that fit ``budget``: (prize, finish time, route).

    ``ride_budget``: most seconds of riding (see `schedule`), on top of ``budget``.
    """
    np.random.seed(seed)
    m = T.shape[0]
    in_route = np.zeros(m, np.bool_)
    route, cur = _insert_greedy(
        T, s, np.empty(0, np.int64), e, cands, prize, visit, wn, wa, wb, budget, in_route, 1.0, 0.0, ride_budget
    )
    route, cur = _shorten(T, s, route, e, visit, wn, wa, wb, ride_budget)
    route, cur = _insert_greedy(
        T, s, route, e, cands, prize, visit, wn, wa, wb, budget, in_route, 1.0, 0.0, ride_budget
    )
    best, best_p, best_t = route.copy(), _prize(route, prize), cur
    cur_r, cur_p = best.copy(), best_p
    alphas = np.array([1.0, 1.0, 1.5, 2.0, 3.0])
    for it in range(iterations):
        # ruin: drop a random part of the current route, recreate greedily with a random
        # preference between cheap and valuable stops; every 10th try restarts from the best
        if it % 10 == 0:
            cur_r, cur_p = best.copy(), best_p
        r = cur_r.copy()
        if len(r) > 0:
            k = np.random.randint(1, max(2, (len(r) + 1) // 2 + 1))
            keep = np.ones(len(r), np.bool_)
            keep[np.random.choice(len(r), min(k, len(r)), replace=False)] = False
            r = r[keep]
        in_route[:] = False
        for c in r:
            in_route[c] = True
        # a random candidate first, to leave the greedy path
        c0 = cands[np.random.randint(len(cands))]
        if not in_route[c0] and prize[c0] > 0:
            for pos in range(len(r) + 1):
                r2 = np.concatenate((r[:pos], np.array([c0]), r[pos:]))
                if schedule(T, s, r2, e, visit, wn, wa, wb, ride_budget) <= budget:
                    r = r2
                    in_route[c0] = True
                    break
        alpha = alphas[np.random.randint(len(alphas))]
        r, t = _insert_greedy(T, s, r, e, cands, prize, visit, wn, wa, wb, budget, in_route, alpha, 0.2, ride_budget)
        r, t = _shorten(T, s, r, e, visit, wn, wa, wb, ride_budget)
        r, t = _insert_greedy(T, s, r, e, cands, prize, visit, wn, wa, wb, budget, in_route, 1.0, 0.0, ride_budget)
        p = _prize(r, prize)
        if p >= cur_p - 1.0:  # accept sideways and slightly worse moves to wander
            cur_r, cur_p = r.copy(), p
        if p > best_p + 1e-9 or (p > best_p - 1e-9 and t < best_t - 1e-9):
            best, best_p, best_t = r.copy(), p, t
    return best_p, best_t, best


# --------------------------------------------------------------------------- proofs (small instances)


def brute_force_order(T: np.ndarray, s: int, stops, e: int) -> tuple[float, tuple[int, ...]]:
    """The proven best order by trying every permutation (up to ~9 stops)."""
    best = (np.inf, ())
    for perm in itertools.permutations(stops):
        c = path_cost(T, s, np.array(perm, np.int64), e)
        if c < best[0]:
            best = (float(c), perm)
    return best


def brute_force_orienteering(
    T, s, cands, e, prize, visit, wn, wa, wb, budget, ride_budget=np.inf
) -> tuple[float, float]:
    """The proven best (prize, time) by trying every ordered subset (up to ~7 candidates)."""
    best_p, best_t = 0.0, float(schedule(T, s, np.empty(0, np.int64), e, visit, wn, wa, wb, ride_budget))
    for k in range(1, len(cands) + 1):
        for perm in itertools.permutations(cands, k):
            t = schedule(T, s, np.array(perm, np.int64), e, visit, wn, wa, wb, ride_budget)
            if t <= budget:
                p = float(sum(prize[c] for c in perm))
                if p > best_p + 1e-9 or (p > best_p - 1e-9 and t < best_t):
                    best_p, best_t = p, float(t)
    return best_p, best_t
