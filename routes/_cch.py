"""Customizable contraction hierarchies (CCH) through RoutingKit, for the fast path of `Router`.

Why CCH: the node order (a nested dissection of the street graph) depends only
on the network, so it is computed once per network and kept in the cache; each
profile's metric is then *customised* on that order in a fraction of a second,
and a query settles a few hundred nodes instead of tens of thousands. Closures
only raise costs, so a route found on the profile's own metric that rides no
raised edge is still the cheapest one (see `Router.node_path`).

The maintained ``routingkit-cch`` package (Python bindings of RoutingKit's C++
CCH) does the work; it takes multi-source / multi-target queries with initial
distances, which is exactly the weighted seeds of a point snapped into the
middle of a street. Its weights are 32-bit integers: each profile's float costs
are scaled by `_scale` and rounded, and the route it finds is re-costed in
floats by the caller.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

__all__ = ["Hierarchy", "Metric", "compute_order"]

#: RoutingKit's ``inf_weight`` (``std::numeric_limits<unsigned>::max() / 2 - 1`` would also do;
#: anything at or above 2**31 - 1 is "no arc").
INF_WEIGHT = 2**31 - 1
#: Most integer units per cost unit: a resolution of 1/1000 of a cost unit per edge.
MAX_SCALE = 1000.0


def compute_order(n: int, src: np.ndarray, dst: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """A nested-dissection node order (RoutingKit's inertial flow cutter) for the graph's arcs."""
    import routingkit_cch as rk

    if n == 0:
        return np.zeros(0, np.int32)
    order = rk.compute_order_inertial(n, src.tolist(), dst.tolist(), lat.tolist(), lon.tolist())
    return np.asarray(order, dtype=np.int32)


class Hierarchy:
    """The metric-independent part: the contraction order's chordal supergraph, once per network."""

    def __init__(self, order: np.ndarray, src: np.ndarray, dst: np.ndarray):
        import routingkit_cch as rk

        self.cch = rk.CCH(order.tolist(), src.tolist(), dst.tolist(), False)

    def customise(self, cost: np.ndarray, bound: float) -> Metric:
        """The profile's metric on this hierarchy (``bound``: the largest finite path cost expected)."""
        return Metric(self, cost, bound)


def _scale(bound: float) -> float:
    """Integer units per cost unit so that no path (up to ``bound``, with margin) overflows 2**31."""
    if not math.isfinite(bound) or bound <= 0:
        return MAX_SCALE
    return min(MAX_SCALE, (INF_WEIGHT // 8) / bound)


class Metric:
    """One profile's customised weights, with one query object per thread (they are not shareable)."""

    def __init__(self, hierarchy: Hierarchy, cost: np.ndarray, bound: float):
        import routingkit_cch as rk

        self.cost = cost
        self.scale = _scale(bound)
        w = np.asarray(cost, np.float64) * self.scale  # in place from here: no masked copies (issue #19)
        np.rint(w, out=w)
        np.minimum(w, INF_WEIGHT - 1, out=w)
        w[~np.isfinite(cost)] = INF_WEIGHT
        self.metric = rk.CCHMetric(hierarchy.cch, w.astype(np.int64).tolist())
        self._local = threading.local()

    def _query(self) -> Any:
        """A query object for this search.

        RoutingKit's query objects are bound to the thread that made them and
        must be freed there too: the binding refuses (and leaks) one freed on
        another thread, which is what happens to a thread-local one when a
        daemon thread (waitress's workers, a development server's) is cleared
        at exit. So only the main thread keeps one; any other thread makes one
        per search (about 0.05 ms: RoutingKit allocates its labels for the
        whole network) and frees it when the search returns, on that thread.
        """
        q = getattr(self._local, "query", None)
        if q is None:
            import routingkit_cch as rk

            q = rk.CCHQuery(self.metric)
            if threading.current_thread() is threading.main_thread():
                self._local.query = q
        return q

    def path(self, src_nodes, src_costs, dst_nodes, dst_costs) -> tuple[int, list[int]]:
        """Cheapest path between weighted seed sets: (first node or -1 if none, directed edge ids)."""
        s = self.scale
        sources = [(int(n), int(round(c * s))) for n, c in zip(src_nodes, src_costs, strict=True) if math.isfinite(c)]
        targets = [(int(n), int(round(c * s))) for n, c in zip(dst_nodes, dst_costs, strict=True) if math.isfinite(c)]
        if not sources or not targets:
            return -1, []
        query = self._query()
        result = query.run_multi(sources, targets)
        try:
            if result.distance is None:
                return -1, []
            nodes = result.node_path
            return (int(nodes[0]) if nodes else -1), list(result.arc_path)
        finally:
            del result  # RoutingKit's query object refuses a new run while a result is alive
            del query  # a fresh one (not kept for this thread) is freed here, on its own thread
