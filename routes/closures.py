"""Road closures and hazards as routing costs, without rebuilding the network.

A closure or hazard is a point or a line drawn on a street (GeoJSON geometry,
lon/lat). `closure_segments` finds the segments it lies on with a spatial index
of the network's segments; `closure_edge_cost` turns them into an ``edge_cost``
array for `routes.route` and `Router.leg`: the router's own cost, ``inf`` on
both directions of closed segments, and multiplied by a factor on hazards.

Examples
--------
>>> from routes import load_network, route                           # doctest: +SKIP
>>> net = load_network("demo")                                        # doctest: +SKIP
>>> closed = {"kind": "closure", "geometry": {"type": "Point", "coordinates": [24.9445, 60.1712]}}
>>> cost = closure_edge_cost(net.router("safe"), [closed])            # doctest: +SKIP
>>> route(net, [(60.1699, 24.9384), (60.1618, 24.9510)], edge_cost=cost)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from .errors import InvalidValueError
from .network import Network

__all__ = [
    "HAZARD_FACTOR",
    "ClosureEffect",
    "closure_edge_cost",
    "closure_segments",
    "segments_of_geometry",
]

#: A hazard multiplies the cost of the streets it lies on by this factor.
HAZARD_FACTOR = 4.0

#: How far (metres) a drawn point or line may lie from the street it means.
TOLERANCE_M = 15.0

#: A segment counts as "on" a drawn line when at least this share of its
#: length lies within `TOLERANCE_M` of the line (cross streets only touch it).
MIN_SHARE = 0.5

#: ... or at least this many metres of it do (a long street closed in part).
MIN_METRES = 40.0


@dataclass
class ClosureEffect:
    """Segments closed, and the cost factor of segments with hazards."""

    closed: set[int] = field(default_factory=set)
    hazard: dict[int, float] = field(default_factory=dict)
    unmatched: list[int] = field(default_factory=list)  # indices of closures on no street


def _segment_index(net: Network):
    def build():
        xy, off = net.xy, net.offsets
        lines = shapely.linestrings(xy, indices=np.repeat(np.arange(net.n_segments), np.diff(off)))
        return lines, shapely.STRtree(lines)

    return net._cached("closure_index", build)


def segments_of_geometry(net: Network, geometry: Mapping[str, Any], *, tolerance_m: float = TOLERANCE_M) -> list[int]:
    """Segments a drawn GeoJSON Point or LineString lies on.

    A point marks the nearest segment within ``tolerance_m``; a line marks every
    segment running along it (most of its length, or `MIN_METRES`, within the
    tolerance), so streets merely crossing it stay open, plus the segment under
    the line's middle (a short line drawn on a long street).
    """
    typ, coords = geometry.get("type"), geometry.get("coordinates")
    if typ == "Point":
        coords = [coords]
    elif typ != "LineString":
        raise InvalidValueError(f"a closure is a Point or a LineString, not {typ!r}")
    pts = np.asarray(coords, dtype=float)
    if pts.ndim != 2 or pts.shape[1] < 2 or len(pts) == 0:
        raise InvalidValueError("a closure needs coordinates [lon, lat]")
    x, y = net.project(pts[:, 0], pts[:, 1])
    lines, tree = _segment_index(net)
    if typ == "Point":
        hit = tree.query_nearest(shapely.Point(float(x[0]), float(y[0])), max_distance=tolerance_m)
        return [int(hit[0])] if len(hit) else []
    drawn = shapely.LineString(np.column_stack([x, y]))
    zone = drawn.buffer(tolerance_m, cap_style="flat")
    near = tree.query(zone, predicate="intersects")
    if len(near) == 0:
        return []
    inside = shapely.length(shapely.intersection(lines[near], zone))
    total = shapely.length(lines[near])
    keep = (inside >= MIN_SHARE * total) | (inside >= MIN_METRES)
    found = {int(s) for s in near[keep]}
    # a short line drawn on a long street: the street under the line's middle
    mid = tree.query_nearest(drawn.interpolate(0.5, normalized=True), max_distance=tolerance_m)
    found.update(int(s) for s in mid[:1])
    return sorted(found)


def closure_segments(
    net: Network, closures: Iterable[Mapping[str, Any]], *, hazard_factor: float = HAZARD_FACTOR
) -> ClosureEffect:
    """Map closures/hazards (``kind``, ``geometry``, optional ``factor``) onto segments."""
    effect = ClosureEffect()
    for i, c in enumerate(closures):
        segs = segments_of_geometry(net, c["geometry"])
        if not segs:
            effect.unmatched.append(i)
        if c.get("kind", "closure") == "closure":
            effect.closed.update(segs)
        else:
            factor = float(c.get("factor") or hazard_factor)
            for s in segs:
                effect.hazard[s] = max(effect.hazard.get(s, 1.0), factor)
    return effect


def closure_edge_cost(
    router, closures: Iterable[Mapping[str, Any]] | ClosureEffect, *, hazard_factor: float = HAZARD_FACTOR
) -> np.ndarray | None:
    """The router's cost per directed edge with closures (``inf``) and hazards (x factor).

    Returns None when nothing applies (route with the plain costs).
    """
    effect = (
        closures
        if isinstance(closures, ClosureEffect)
        else closure_segments(router.network, closures, hazard_factor=hazard_factor)
    )
    if not effect.closed and not effect.hazard:
        return None
    cost = np.array(router.cost, dtype=np.float64, copy=True)
    if effect.hazard:
        segs = np.fromiter(effect.hazard, dtype=np.int64)
        factors = np.fromiter(effect.hazard.values(), dtype=np.float64)
        cost[2 * segs] *= factors
        cost[2 * segs + 1] *= factors
    if effect.closed:
        segs = np.fromiter(effect.closed, dtype=np.int64)
        cost[2 * segs] = np.inf
        cost[2 * segs + 1] = np.inf
    return cost
