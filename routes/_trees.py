"""One-to-many searches between snapped points, on the graph a route is searched on.

The travel-time matrices of tours (`routes.tours.travel_matrix`) and the station
choice of bike-share trips (`routes.bikeshare`) compare many trips at once, one
search per row. They search the graph `Router.leg` searches: split at the
junctions where a turn is banned (`routes._turns`), seeded the same way (a first
piece arrives where its street arrives; a last piece is entered from every node
that may turn onto it, a pushed turn adding its cost), so each entry of a matrix
is the cost of the leg a route between the two points takes.

Each search sums a second value (the riding time) along its tree in the same
compiled pass, and answers only for its targets: nothing of the network's size
is allocated per search (versioned labels, `routes._search.TreeWorkspace`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

import numpy as np

from .profiles import pushed_turn_seconds
from .routing import Piece, Router, Snap

__all__ = ["end_seeds", "seed_time", "start_seeds", "tree_costs"]

Seed = tuple[int, float, Piece]


def start_seeds(router: Router, snap: Snap, cost: np.ndarray) -> list[Seed]:
    """Where a trip from ``snap`` enters the searched graph: (node, cost so far, first piece)."""
    seeds = router._out_seeds(snap, cost)
    return router._turn_seeds_out(seeds) if router.turns is not None else seeds


def end_seeds(router: Router, snap: Snap, cost: np.ndarray) -> list[Seed]:
    """Where a trip to ``snap`` leaves the searched graph: (node, cost still to go, last piece)."""
    seeds = router._in_seeds(snap, cost)
    return router._turn_seeds_in(seeds) if router.turns is not None else seeds


def tree_costs(
    router: Router,
    seeds: Sequence[tuple[int, float, float]],
    targets: np.ndarray,
    *,
    reverse: bool = False,
    edge_cost: np.ndarray | None = None,
    values: np.ndarray | None = None,
    limit: float = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest cost from the seeds to each target node (``reverse``: from each target to the seeds).

    ``seeds``: (node, cost, value) on the searched graph (`start_seeds`, or `end_seeds` reversed);
    ``values``: per directed edge, summed along each cheapest path from the seed's value
    (default the router's durations, with the time of each pushed banned turn). Returns
    (cost, value) per target, ``inf`` where not reached (within ``limit``).
    """

    cost = router.cost if edge_cost is None else edge_cost
    n, _, _, f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge = router._graph()
    ptr, adj, edge = (b_ptr, b_adj, b_edge) if reverse else (f_ptr, f_adj, f_edge)
    targets = np.asarray(targets, np.int64)
    out_cost = np.full(len(targets), np.inf)
    out_val = np.full(len(targets), np.inf)
    if not len(seeds) or not len(targets):
        return out_cost, out_val
    ws = router._shared.tree_workspace(n)
    ws.search(
        ptr,
        adj,
        edge,
        router._arc_cost(cost),
        [s[0] for s in seeds],
        [s[1] for s in seeds],
        targets,
        limit,
        _arc_values(router, router.duration if values is None else values),
        [s[2] for s in seeds],
    )
    ver = ws.version
    done = ws.settled[targets] == ver
    out_cost[done] = ws.dist[targets[done]]
    out_val[done] = ws.acc[targets[done]]
    return out_cost, out_val


def _arc_values(router: Router, values: np.ndarray) -> np.ndarray:
    """Per arc of the searched graph, its directed edge's value (kept for the router's durations)."""
    turns = router.turns
    if turns is None:
        return values

    def make() -> np.ndarray:
        arc_values = values[turns.arc_edge]
        seconds = _turn_seconds(router) if values is router.duration else None
        if seconds is not None:  # a pushed banned turn takes its time (an unmade one is never on a cheapest path)
            arc_values[turns.n_edges :] += np.where(np.isfinite(seconds), seconds, 0.0)
        return arc_values

    return _kept(router, "_arc_values", values, make, keep=values is router.duration)  # the one asked again and again


def riding_times(router: Router, cost: np.ndarray) -> np.ndarray:
    """Per directed edge, its riding time where ``cost`` lets it be ridden, else inf (kept for the router's own)."""
    return _kept(
        router,
        "_riding_times",
        cost,
        lambda: np.where(np.isfinite(cost), router.duration, np.inf),
        keep=cost is router.cost,
    )


class EdgeTimes:
    """When a rider may start along each directed edge a search reached (`edge_start_times`).

    ``segments``: the segments those edges ride (each once). ``at(edges)``: their start
    times, inf for edges not reached. The times live in this thread's per-edge labels,
    valid for this search only (versioned like `routes._search.TreeWorkspace`): read them
    before the next search.
    """

    def __init__(self, segments: np.ndarray, times: np.ndarray, stamp: np.ndarray, version: int):
        self.segments = segments
        self._times, self._stamp, self._version = times, stamp, version

    def at(self, edges: np.ndarray) -> np.ndarray:
        return np.where(self._stamp[edges] == self._version, self._times[edges], np.inf)


def edge_start_times(router: Router, seeds: Sequence[tuple[int, float, Piece]], dur: np.ndarray, limit: float):
    """When a rider from the seeds may start along each directed edge within ``limit`` seconds (`EdgeTimes`).

    One search over riding times ``dur`` (`riding_times`) on the searched graph: a banned turn
    takes the time of pushing it (``turn_push_m`` at the pushing speed) where the profile pushes
    it, and is not made where it does not. It costs what it reaches, not the network's size.
    """
    from ._search import edge_starts

    n, _, _, f_ptr, f_adj, f_edge, *_ = router._graph()
    ws = router._shared.tree_workspace(n)
    m = 2 * router.network.n_segments
    labels = router._shared.__dict__.setdefault("_edge_labels", threading.local())
    times, stamp = getattr(labels, "times", None), getattr(labels, "stamp", None)
    if times is None or stamp is None or len(times) != m:
        times, stamp = labels.times, labels.stamp = np.empty(m), np.zeros(m, np.int64)
        labels.version = 0
    labels.version += 1  # the edges' own count: searches on graphs of other sizes share these labels
    edge_ver = labels.version
    if not seeds:
        return EdgeTimes(np.zeros(0, np.int64), times, stamp, edge_ver)
    turns = router.turns
    extra = _turn_seconds(router) if turns is not None else None
    nodes = ws.search(
        f_ptr,
        f_adj,
        f_edge,
        _arc_times(router, dur, extra),
        [s[0] for s in seeds],
        [s[1] for s in seeds],
        (),
        limit,
    )
    segments = edge_starts(
        nodes,
        ws.dist,
        float(limit),
        f_ptr,
        f_edge,
        _NO_EDGES if turns is None else turns.arc_edge,
        _NO_VALUES if extra is None else extra,
        m,
        times,
        stamp,
        edge_ver,
    )
    return EdgeTimes(segments, times, stamp, edge_ver)


def _arc_times(router: Router, dur: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    """Per arc of the searched graph, its riding time (with the copies' turns; kept for the router's own)."""
    turns = router.turns
    if turns is None or extra is None:
        return dur
    own = dur is riding_times(router, router.cost)  # the router's own: asked again and again
    return _kept(router, "_arc_times", dur, lambda: turns.arc_cost(dur, extra), keep=own)


_NO_VALUES = np.zeros(0)
_NO_EDGES = np.zeros(0, np.int64)


def _turn_seconds(router: Router) -> np.ndarray | None:
    """Per arc of a junction's copy, the seconds its turn adds: 0, a pushed banned turn's, inf if not made."""
    extra = router._turn_extra
    if extra is None:
        return None
    return _kept(
        router,
        "_turn_s",
        extra,
        lambda: np.where(np.isfinite(extra) & (extra > 0), pushed_turn_seconds(router.profile), extra),
    )


def _kept(router: Router, name: str, key: np.ndarray, make: Callable[[], np.ndarray], keep: bool = True) -> np.ndarray:
    """``make()``, remembered on ``router`` as ``name`` while it is asked for the same ``key`` array
    (the very object). ``keep=False``: made afresh, not remembered (an array other than the router's own)."""
    kept = getattr(router, name, None)
    if kept is not None and kept[0] is key:
        return kept[1]
    value = make()
    if keep:
        setattr(router, name, (key, value))  # one tuple: a reader on another thread sees the old or the new pair
    return value


def seed_time(router: Router, seed_cost: float, piece: Piece, cost: np.ndarray) -> float:
    """The riding time of a seed's piece, with the pushed turn onto it when its cost includes one.

    A last piece entered from a junction's copy (`Router._turn_seeds_in`) costs the piece plus,
    for a banned turn made on foot, the pushed turn: that turn takes `pushed_turn_seconds` too.
    """
    t = piece.value(router.duration)
    if router.turns is not None and seed_cost > piece.value(cost) * (1 + 1e-9) + 1e-9:
        t += pushed_turn_seconds(router.profile)
    return t
