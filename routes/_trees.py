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
from collections.abc import Sequence

import numpy as np

from .routing import Piece, Router, Snap

__all__ = ["end_seeds", "start_seeds", "tree_costs"]

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
    (default the router's durations). Returns (cost, value) per target, ``inf`` where not
    reached (within ``limit``).
    """
    from ._search import one_to_many_ws

    cost = router.cost if edge_cost is None else edge_cost
    n, _, _, f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge = router._graph()
    ptr, adj, edge = (b_ptr, b_adj, b_edge) if reverse else (f_ptr, f_adj, f_edge)
    targets = np.asarray(targets, np.int64)
    out_cost = np.full(len(targets), np.inf)
    out_val = np.full(len(targets), np.inf)
    if not len(seeds) or not len(targets):
        return out_cost, out_val
    ws = router._shared.tree_workspace(n)
    ver = ws.next_version()
    one_to_many_ws(
        ptr,
        adj,
        edge,
        router._arc_cost(cost),
        np.asarray([s[0] for s in seeds], np.int64),
        np.asarray([s[1] for s in seeds], np.float64),
        targets,
        float(limit),
        ws.dist,
        ws.pred,
        ws.label,
        ws.settled,
        ws.target,
        ver,
        _arc_values(router, router.duration if values is None else values),
        np.asarray([s[2] for s in seeds], np.float64),
        ws.acc,
    )
    done = ws.settled[targets] == ver
    out_cost[done] = ws.dist[targets[done]]
    out_val[done] = ws.acc[targets[done]]
    return out_cost, out_val


def _arc_values(router: Router, values: np.ndarray) -> np.ndarray:
    """Per arc of the searched graph, its directed edge's value (kept for the router's durations)."""
    turns = router.turns
    if turns is None:
        return values
    kept = getattr(router, "_arc_values", None)
    if kept is not None and kept[0] is values:
        return kept[1]
    arc_values = values[turns.arc_edge]
    if values is router.duration:  # the one asked again and again
        router._arc_values = (values, arc_values)  # type: ignore[attr-defined]
    return arc_values
