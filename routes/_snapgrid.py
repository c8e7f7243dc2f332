"""The snapping index: every straight piece of the streets in a uniform grid, as two plain arrays.

A street segment's geometry is a polyline; its pieces are the straight lines
between consecutive points (piece ``i`` runs from ``coords[i]`` to
``coords[i + 1]``, inside one segment). The grid covers the network in square
cells of `CELL_M` metres of the local projection (`Network.project`); each
piece is listed in every cell its line passes through (long pieces are cut
into parts no longer than a cell first, so a diagonal highway is not listed in
its whole bounding box). ``starts[c]:starts[c + 1]`` of ``pieces`` are the
pieces of cell ``c`` (row-major), sorted.

Why not shapely lines and an STRtree (what snapping used before, issue #19):
those are about 80 MB of Python-managed memory on a network of 100k junctions,
built at every start and copied into each worker's heap. These two arrays
(about 6 MB there) are written with the network's cache and memory-mapped, so
starting costs nothing and every worker shares one copy, of which only the
cells asked about are ever read into memory.

The distance of a point to a piece is computed exactly as GEOS computes it
(``Distance::pointToSegment``, which shapely's ``distance`` and STRtree use),
so the nearest segment, ties included, is the one shapely would find
(tests/routes/test_snapgrid.py compares them on many random points).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "CELL_M",
    "SnapGrid",
    "build_grid",
    "grid_of",
    "network_grid",
    "nearest_distance",
    "nearest_segment",
    "piece_distances",
]

#: Side of a grid cell in metres. The first search looks within half a cell, which covers the
#: usual snap (a few metres to a street): one to four cells, some 40 pieces in a town. A
#: 150 km wide region is about 2 million cells (7 MB of starts, read only where asked).
CELL_M = 100.0

#: Version of the arrays' layout, kept in the network's ``meta`` beside the grid's extent.
GRID_VERSION = 2


@dataclass
class SnapGrid:
    """The grid of one network: ``x0``, ``y0`` (metres, lower-left corner), ``nx`` by ``ny`` cells."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    starts: np.ndarray
    pieces: np.ndarray

    def meta(self) -> dict[str, float | int]:
        return {"version": GRID_VERSION, "x0": self.x0, "y0": self.y0, "cell": self.cell, "nx": self.nx, "ny": self.ny}

    def candidates(self, x: float, y: float, r: float) -> np.ndarray:
        """The pieces listed in the cells that meet the square of half-side ``r`` about (x, y): a superset
        of every piece within ``r`` metres. Sorted, without repeats."""
        c = self.cell
        cx0 = max(0, math.floor((x - r - self.x0) / c))
        cx1 = min(self.nx - 1, math.floor((x + r - self.x0) / c))
        cy0 = max(0, math.floor((y - r - self.y0) / c))
        cy1 = min(self.ny - 1, math.floor((y + r - self.y0) / c))
        if cx0 > cx1 or cy0 > cy1:
            return np.empty(0, np.int64)
        rows = [
            self.pieces[self.starts[cy * self.nx + cx0] : self.starts[cy * self.nx + cx1 + 1]]
            for cy in range(cy0, cy1 + 1)
        ]  # a row of cells is one slice of `pieces`
        return np.unique(np.concatenate(rows)).astype(np.int64)

    def covers(self, x: float, y: float, r: float) -> bool:
        """Whether the square of half-side ``r`` about (x, y) contains the whole grid."""
        return (
            x - r <= self.x0
            and y - r <= self.y0
            and x + r >= self.x0 + self.nx * self.cell
            and y + r >= self.y0 + self.ny * self.cell
        )


def network_grid(net: Network) -> SnapGrid:
    """The grid of ``net``: the cache's, or made once (per network and process) for a network made by hand."""
    return net._cached("snap_grid", lambda: grid_of(net) or build_grid(net))


def grid_of(net: Network) -> SnapGrid | None:
    """The network's cached grid (`Network.snap_starts`, ``meta["snap_grid"]``), if it has a sound one."""
    m = net.meta.get("snap_grid")
    starts, pieces = getattr(net, "snap_starts", None), getattr(net, "snap_pieces", None)
    if not m or starts is None or pieces is None or m.get("version") != GRID_VERSION:
        return None
    # the counts only: reading every piece id to check them would page the whole array in at start
    if len(starts) != m["nx"] * m["ny"] + 1 or int(starts[-1]) != len(pieces):
        return None
    return SnapGrid(float(m["x0"]), float(m["y0"]), float(m["cell"]), int(m["nx"]), int(m["ny"]), starts, pieces)


def build_grid(net: Network, *, cell: float = CELL_M) -> SnapGrid:
    """List every piece of ``net``'s streets in the cells it passes through (vectorised; about 1 s
    for a million pieces)."""
    x, y = net.project(net.coords[:, 0], net.coords[:, 1])
    last = np.zeros(len(x), bool)
    last[np.asarray(net.offsets[1:], np.int64) - 1] = True  # a segment's last point starts no piece
    first = np.flatnonzero(~last[:-1]) if len(x) > 1 else np.empty(0, np.int64)
    w, s, e, n = float(x.min()), float(y.min()), float(x.max()), float(y.max())
    nx, ny = max(1, math.ceil((e - w) / cell) + 1), max(1, math.ceil((n - s) / cell) + 1)
    ax, ay, bx, by = x[first], y[first], x[first + 1], y[first + 1]
    parts = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / cell)).astype(np.int64)
    which = np.repeat(np.arange(len(first)), parts)  # each part of each piece
    k = np.arange(len(which)) - np.repeat(np.cumsum(parts) - parts, parts)
    t0, t1 = k / parts[which], (k + 1) / parts[which]
    px0, px1 = ax[which] + t0 * (bx - ax)[which], ax[which] + t1 * (bx - ax)[which]
    py0, py1 = ay[which] + t0 * (by - ay)[which], ay[which] + t1 * (by - ay)[which]
    # a part is at most a cell long: its box meets at most 2 x 2 cells (one margin metre for rounding)
    lo_x = np.clip(np.floor((np.minimum(px0, px1) - 1 - w) / cell), 0, nx - 1).astype(np.int64)
    hi_x = np.clip(np.floor((np.maximum(px0, px1) + 1 - w) / cell), 0, nx - 1).astype(np.int64)
    lo_y = np.clip(np.floor((np.minimum(py0, py1) - 1 - s) / cell), 0, ny - 1).astype(np.int64)
    hi_y = np.clip(np.floor((np.maximum(py0, py1) + 1 - s) / cell), 0, ny - 1).astype(np.int64)
    cells, items = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            cx, cy = lo_x + dx, lo_y + dy
            ok = (cx <= hi_x) & (cy <= hi_y)
            cells.append(cy[ok] * nx + cx[ok])
            items.append(first[which[ok]])
    cell_of, piece = np.concatenate(cells), np.concatenate(items)
    key = np.unique(cell_of * len(x) + piece)  # sorted by cell, then piece; each pair once
    cell_of, piece = key // len(x), key % len(x)
    small = np.int32 if max(len(x), len(piece)) < 2**31 else np.int64
    starts = np.searchsorted(cell_of, np.arange(nx * ny + 1)).astype(small)
    return SnapGrid(w, s, cell, nx, ny, starts, piece.astype(small))


def piece_distances(net: Network, pieces: np.ndarray, px: float, py: float) -> np.ndarray:
    """Distance in metres from (px, py) to each piece, computed as GEOS's ``Distance::pointToSegment`` does.

    The ends are projected with `Network.project`'s arithmetic, so they are `Network.xy`'s metres
    to the last bit; ``(ay - py) * dx - (ax - px) * dy`` is written ``qx * dy - qy * dx``, which IEEE
    arithmetic makes the same number.
    """
    n = len(pieces)
    ends = net.coords[np.concatenate([pieces, pieces + 1])]
    (lon0, lat0), (kx, ky) = net.origin, net._scale
    x, y = (ends[:, 0] - lon0) * kx, (ends[:, 1] - lat0) * ky
    ax, ay = x[:n], y[:n]
    dx, dy = x[n:] - ax, y[n:] - ay
    qx, qy = px - ax, py - ay
    len2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (qx * dx + qy * dy) / len2
        d = np.abs((qx * dy - qy * dx) / len2) * np.sqrt(len2)
    far = r >= 1.0
    if far.any():
        fx, fy = px - x[n:][far], py - y[n:][far]
        d[far] = np.sqrt(fx * fx + fy * fy)
    near = (len2 == 0) | (r <= 0.0)  # a point piece (A == B) included, as GEOS tests it first
    if near.any():
        d[near] = np.sqrt(qx[near] * qx[near] + qy[near] * qy[near])
    return d


def nearest_segment(
    net: Network, grid: SnapGrid, x: float, y: float, limit: float, allowed: Callable[[np.ndarray], np.ndarray]
) -> tuple[int, float]:
    """The nearest segment within ``limit`` metres of (x, y) that ``allowed`` (segment ids -> bools) keeps.

    Returns ``(segment, metres)``, or ``(-1, inf)``. Equal distances: the lowest segment id (as
    before, with the STRtree). The square searched starts at one cell and grows fourfold up to
    ``limit``: a best segment no farther than the square's half-side is the answer, because every
    piece that near was among the candidates.
    """
    r = min(grid.cell / 2, limit)
    while True:
        cand = grid.candidates(x, y, r)
        if len(cand):
            d = piece_distances(net, cand, x, y)
            seg = np.searchsorted(net.offsets, cand, side="right") - 1
            keep = d <= limit
            keep[keep] = allowed(seg[keep])
            if keep.any():
                d, seg = d[keep], seg[keep]
                k = np.lexsort((seg, d))[0]
                if d[k] <= r:
                    return int(seg[k]), float(d[k])
        if r >= limit or grid.covers(x, y, r):
            return -1, math.inf
        r = min(limit, 4 * r)


def nearest_distance(net: Network, grid: SnapGrid, x: float, y: float) -> float:
    """Metres from (x, y) to the nearest street of any kind, however far (for an error message).

    Best-first over the grid's non-empty cells, nearest cell first, in batches: it stops when
    the next cell is farther than the best piece found, so a point far outside the network
    reads a few cells, never all of them.
    """
    full = np.flatnonzero(np.diff(grid.starts))
    if not len(full):
        return math.inf
    c = grid.cell
    cx, cy = full % grid.nx, full // grid.nx
    ex = np.maximum(np.maximum(grid.x0 + cx * c - x, x - (grid.x0 + (cx + 1) * c)), 0.0)
    ey = np.maximum(np.maximum(grid.y0 + cy * c - y, y - (grid.y0 + (cy + 1) * c)), 0.0)
    bound = np.hypot(ex, ey)
    order = np.argsort(bound, kind="stable")
    best = math.inf
    for at in range(0, len(order), 64):
        batch = order[at : at + 64]
        if bound[batch[0]] > best:
            break
        cells = full[batch]
        cand = np.unique(np.concatenate([grid.pieces[grid.starts[k] : grid.starts[k + 1]] for k in cells]))
        best = min(best, float(piece_distances(net, cand.astype(np.int64), x, y).min()))
    return best
