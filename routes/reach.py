"""Reachability (isochrones): where a rider can get within some minutes.

One search from the start point over riding times, limited to the largest time
asked (`routes._trees.edge_start_times`: on the graph routes are searched on, so
it follows turn restrictions, a banned turn pushed taking the push's time),
gives the time at which a rider may start along every street it reaches.
Each street is then reached in full, or part of the way in from either end
(points every 30 m along it get the time they are reached at); the reached
points, drawn on a grid of `CELL_M` cells and widened by one cell (about
`BUFFER_M`), are the polygon of each time. The polygons follow the streets (a river without a bridge stays
out) and, with ``edge_cost`` (closures), avoid closed streets.

>>> from routes import load_network                                    # doctest: +SKIP
>>> from routes.reach import reach                                      # doctest: +SKIP
>>> fc = reach(load_network("demo"), (60.1699, 24.9384), minutes=[5, 10])  # doctest: +SKIP
>>> [f["properties"]["minutes"] for f in fc["features"]]                # doctest: +SKIP
[5, 10]
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from ._trees import EdgeTimes, edge_start_times, riding_times, start_seeds
from .errors import InvalidValueError, TooBigError
from .geo import check_latlon
from .network import Network
from .profiles import Profile, get_profile

__all__ = ["BUFFER_M", "CELL_M", "MAX_MINUTES", "MAX_TIMES", "parse_minutes", "reach"]

#: Side of the grid cells the reached streets are drawn on, in metres. Each reached cell is widened
#: by one cell all round, so the polygons reach about 1.5 cells (60 m) beyond the streets. A grid,
#: rather than GEOS buffering and merging the streets' lines: that took 2 to 3 s for 30 minutes
#: in Liechtenstein, the grid takes tens of milliseconds.
CELL_M = 40.0

#: About how far the polygons reach beyond the reached streets, in metres.
BUFFER_M = 1.5 * CELL_M

#: Holes in a polygon smaller than this many cells (0.05 km²) are filled.
SMALL_HOLE_CELLS = 32

_DISK = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)

#: Longest time a reachability request may ask for, in minutes.
MAX_MINUTES = 120.0

#: Most times one request may ask for.
MAX_TIMES = 6


def parse_minutes(text: str, *, what: str = "minutes") -> list[float]:
    """``"10,20,30"`` -> ``[10.0, 20.0, 30.0]``, checked (positive, at most `MAX_MINUTES`, at most `MAX_TIMES`)."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise InvalidValueError(f"{what} must list one or more times in minutes, e.g. 10,20,30")
    if len(parts) > MAX_TIMES:
        raise TooBigError(f"at most {MAX_TIMES} times in {what}, got {len(parts)}")
    out = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise InvalidValueError(f"{what} must be numbers of minutes, got {p[:20]!r}") from None
        if not (math.isfinite(v) and 0 < v <= MAX_MINUTES):
            raise InvalidValueError(f"each of {what} must be more than 0 and at most {MAX_MINUTES:.0f}, got {p[:20]}")
        out.append(v)
    return sorted(set(out))


def reach(
    network: Network,
    start: tuple[float, float],
    *,
    minutes: Sequence[float] = (10, 20, 30),
    profile: str | Profile = "safe",
    edge_cost: np.ndarray | None = None,
    max_snap_m: float | None = None,
) -> dict[str, Any]:
    """Polygons of where a rider starting at ``start`` (lat, lon) gets within each of ``minutes``.

    Parameters
    ----------
    network
        From `routes.load_network`.
    start
        ``(lat, lon)`` of the start (snapped to the nearest street, as a route's start is).
    minutes
        Riding times, in minutes (the profile's speeds; pushing is slower).
    profile
        A cycling profile name or object.
    edge_cost
        Per-directed-edge costs with closures (`routes.closures`): streets it makes
        infinite are not ridden.
    max_snap_m
        Farthest the start may lie from a street.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection: one (Multi)Polygon Feature per time, smallest first, with
        ``properties.minutes`` and ``area_km2``; and
        ``start`` (the snapped start, lon/lat) beside the features.
    """
    times = sorted({float(m) for m in minutes})
    if not times or times[0] <= 0 or times[-1] > MAX_MINUTES or not all(map(math.isfinite, times)):
        raise InvalidValueError(f"minutes must be more than 0 and at most {MAX_MINUTES:.0f}")
    lat, lon = check_latlon(float(start[0]), float(start[1]), what="from")
    router = network.router(get_profile(profile))
    snap = router.snap(lat, lon, what="from", max_snap_m=max_snap_m, edge_cost=edge_cost)
    if not router.seg_big[snap.seg]:  # a small piece cut off from the streets reaches nowhere
        snap = router.snap(lat, lon, what="from", max_snap_m=max_snap_m, edge_cost=edge_cost, avoid_small=True)
    cost = router.cost if edge_cost is None else edge_cost
    dur = riding_times(router, cost)
    limit = times[-1] * 60.0
    reached = edge_start_times(router, start_seeds(router, snap, dur), dur, limit)
    x0, y0 = network.project_point(snap.lon, snap.lat)
    features = _features(router, reached, dur, times, (x0, y0))
    return {
        "type": "FeatureCollection",
        "start": [round(snap.lon, 7), round(snap.lat, 7)],
        "profile": router.profile.name,
        "features": features,
    }


def _sample_points(router) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``0.75 * CELL_M`` along every street: (xy, segment, fraction along it, where each
    segment's points start), made once per router."""
    cached = _SAMPLES.get(router)
    if cached is not None:
        return cached
    lines = shapely.segmentize(router._lines, 0.75 * CELL_M)
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    step = np.hypot(*np.diff(xy, axis=0).T)
    step[np.diff(idx) != 0] = 0.0  # a new line starts
    along = np.concatenate([[0.0], np.cumsum(step)])
    along -= along[np.searchsorted(idx, idx)]  # from each line's first point
    length = router._proj_len[idx]
    frac = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
    ptr = np.searchsorted(idx, np.arange(len(router._lines) + 1))
    _SAMPLES[router] = out = (xy, idx.astype(np.int64), frac, ptr)
    return out


_SAMPLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _samples(router, reached: EdgeTimes, dur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points along the streets the search reached, and the time each is reached.

    Only the reached streets' points are looked at (`routes._trees.EdgeTimes`), not the network's.
    """
    xy_all, _, frac_all, ptr = _sample_points(router)
    segs = reached.segments
    count = ptr[segs + 1] - ptr[segs]
    first = np.repeat(ptr[segs] - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    pick = first + np.arange(int(count.sum()))
    seg, frac = np.repeat(segs, count), frac_all[pick]
    with np.errstate(invalid="ignore"):
        t_u = reached.at(2 * seg) + frac * dur[2 * seg]  # riding in from the u end ...
        t_v = reached.at(2 * seg + 1) + (1 - frac) * dur[2 * seg + 1]  # ... or from the v end
    when = np.fmin(np.nan_to_num(t_u, nan=np.inf), np.nan_to_num(t_v, nan=np.inf))
    return xy_all[pick], when


def _area(xy: np.ndarray, origin: np.ndarray, shape: tuple[int, int]):
    """The polygon of grid cells holding a point, widened by one cell (a buffer of ~`BUFFER_M`).

    Holes smaller than `SMALL_HOLE_CELLS` (a block between reached streets) are filled: they
    are reachable on foot from the street, and thousands of them made the answer slow and large.
    """
    from rasterio.features import shapes
    from rasterio.transform import Affine
    from scipy.ndimage import binary_dilation, label

    grid = np.zeros(shape, dtype=bool)
    ij = ((xy - origin) // CELL_M).astype(np.int64)
    grid[ij[:, 1], ij[:, 0]] = True
    grid = binary_dilation(grid, structure=_DISK)
    holes, n = label(~grid)
    if n > 1:
        sizes = np.bincount(holes.ravel())
        small = sizes < SMALL_HOLE_CELLS
        small[0] = False
        small[holes[0, 0]] = False  # the outside (the grid has an empty border)
        grid |= small[holes]
    transform = Affine(CELL_M, 0.0, float(origin[0]), 0.0, CELL_M, float(origin[1]))
    polys = []
    for g, _ in shapes(grid.astype(np.uint8), mask=grid, transform=transform):
        rings = [shapely.linearrings(np.asarray(r, dtype=float)) for r in g["coordinates"]]
        polys.append(shapely.polygons(rings[0], rings[1:] or None))
    if not polys:
        return shapely.Polygon()
    area = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return shapely.simplify(area, CELL_M / 2)


def _features(router, reached, dur, times: list[float], start_xy: tuple[float, float]) -> list[dict[str, Any]]:
    net = router.network
    xy, when = _samples(router, reached, dur)
    xy = np.vstack([xy, [start_xy]])
    when = np.concatenate([when, [0.0]])
    ok = when <= times[-1] * 60.0
    xy, when = xy[ok], when[ok]
    origin = xy.min(axis=0) - 3 * CELL_M
    ncols, nrows = ((xy.max(axis=0) - origin) // CELL_M).astype(int) + 4
    out = []
    for t in times:
        inside = when <= t * 60.0
        area = _area(xy[inside], origin, (nrows, ncols))
        lonlat = shapely.transform(area, lambda p: np.round(np.column_stack(net.unproject(p[:, 0], p[:, 1])), 6))
        out.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(lonlat)),  # C speed; mapping() took ~10 ms
                "properties": {"minutes": t, "area_km2": round(float(area.area) / 1e6, 3)},
            }
        )
    return out
