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

Why a Python loop as well as numpy: a snap looks at some 20 pieces, and on arrays that small
each numpy call costs about as much as measuring two pieces one by one in Python. So a
search starts with a square just wider than the usual snap (`FIRST_R_M`, one or two cells)
and measures up to `LOOP_MAX` pieces in a loop of the same arithmetic, passing over on its
degrees alone every piece whose box lies beyond the square (most of a cell's); wider searches use
the arrays. The point on the chosen segment (`locate_on_segment`) is GEOS's
``project``/``interpolate`` done the same way in Python, not through shapely objects made
per request (about 70 us a point before, issue #17).
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
    "locate_on_segment",
    "nearest_segment",
    "piece_distances",
]

#: Side of a grid cell in metres. The first search looks within half a cell, which covers the
#: usual snap (a few metres to a street): one to four cells, some 40 pieces in a town. A
#: 150 km wide region is about 2 million cells (7 MB of starts, read only where asked).
CELL_M = 100.0

#: Half-side of the first square a snap searches: wider than the usual snap of a point clicked on
#: a street or placed at a junction, narrow enough to read one or two cells (some 20 pieces).
FIRST_R_M = CELL_M / 8

#: Up to this many candidate pieces their distances are measured in a Python loop, beyond it as
#: arrays (where the loop's per-piece cost passes numpy's per-call cost; measured on Liechtenstein:
#: the loop passes over most pieces on their box, so it pays up to a few hundred).
LOOP_MAX = 256

_BOTH_ENDS = np.array([0, 1])

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
        return np.unique(self.pieces_near(x, y, r)).astype(np.int64)

    def pieces_near(self, x: float, y: float, r: float) -> np.ndarray:
        """`candidates` as the grid lists them: unsorted, a piece once per cell of the square it passes."""
        c = self.cell
        cx0 = max(0, math.floor((x - r - self.x0) / c))
        cx1 = min(self.nx - 1, math.floor((x + r - self.x0) / c))
        cy0 = max(0, math.floor((y - r - self.y0) / c))
        cy1 = min(self.ny - 1, math.floor((y + r - self.y0) / c))
        if cx0 > cx1 or cy0 > cy1:
            return np.empty(0, np.int64)
        starts, nx = self.starts, self.nx
        if cy0 == cy1:  # one row of cells is one slice of `pieces`
            return self.pieces[starts[cy0 * nx + cx0] : starts[cy0 * nx + cx1 + 1]]
        return np.concatenate(
            [self.pieces[starts[cy * nx + cx0] : starts[cy * nx + cx1 + 1]] for cy in range(cy0, cy1 + 1)]
        )

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
    before, with the STRtree). The square searched starts at `FIRST_R_M` and grows fourfold up to
    ``limit``: a best segment no farther than the square's half-side is the answer, because every
    piece that near was among the candidates (so the answer does not depend on the squares tried).
    """
    frame = _frame(net)
    r = min(FIRST_R_M * grid.cell / CELL_M, limit)
    while True:
        cand = grid.pieces_near(x, y, r)
        if len(cand):
            if len(cand) <= LOOP_MAX and frame[4] is not None:
                found = _closest_within(frame, cand, x, y, r, allowed)
                if found is not None:
                    return found
            else:
                seg = np.searchsorted(net.offsets, cand, side="right") - 1
                ok = allowed(seg)
                if not ok.all():
                    cand, seg = cand[ok], seg[ok]
                if len(cand):
                    best_seg, best_d = _closest(net, cand, seg, x, y)
                    if best_d <= r:
                        return best_seg, best_d
        if r >= limit or grid.covers(x, y, r):
            return -1, math.inf
        r = min(limit, 4 * r)


#: Per network: the projection's ``lon0, lat0, kx, ky`` (`Network.project`), the pieces' ends as
#: rows ``lon, lat`` of the start, ``lon, lat`` of the end (a view of `Network.coords`, or None when
#: its layout allows no view) and `Network.offsets`.
_Frame = tuple[float, float, float, float, "np.ndarray | None", np.ndarray]


def _frame(net: Network) -> _Frame:
    def build() -> _Frame:
        (lon0, lat0), (kx, ky) = net.origin, net._scale
        coords = net.coords
        ends = None
        if coords.dtype == np.float64 and coords.ndim == 2 and coords.shape[1] == 2 and len(coords) >= 2:
            if coords.flags.c_contiguous:  # row p of the view: coords[p] then coords[p + 1], no copy
                ends = np.lib.stride_tricks.sliding_window_view(coords.reshape(-1), 4)[::2]
        return float(lon0), float(lat0), float(kx), float(ky), ends, net.offsets

    return net._cached("snap_frame", build)


#: Metres a piece's box may lie beyond the searched square and still be measured (far more than the
#: rounding of the projection and of the distance, some nanometres over a continent).
_BOX_MARGIN_M = 1.0


def _closest_within(
    frame: _Frame, pieces: np.ndarray, x: float, y: float, r: float, allowed: Callable[[np.ndarray], np.ndarray]
) -> tuple[int, float] | None:
    """`_closest` of the allowed pieces no farther than ``r`` metres: (segment, metres), or None.

    The same answer as measuring every piece and keeping the best when it is within ``r``, found
    faster: a piece whose box lies wholly beyond the square of half-side ``r`` (and a margin) about
    (x, y) is farther than ``r``, so it is passed over on its degrees, before projecting it; the
    rest are measured (`_point_to_piece`), and only those within ``r`` are asked
    about (``allowed``). Equal distances: the lowest segment id.
    """
    lon0, lat0, kx, ky, ends, offsets = frame
    assert ends is not None
    m = r + _BOX_MARGIN_M
    w, e = (x - m) / kx + lon0, (x + m) / kx + lon0
    s, n = (y - m) / ky + lat0, (y + m) / ky + lat0
    near_d, near_p = [], []
    flat = iter(ends[pieces].ravel().tolist())  # per piece: lon, lat of its start, then of its end
    for p, alon, alat, blon, blat in zip(pieces.tolist(), flat, flat, flat, flat, strict=True):
        if alon < w:
            if blon < w:
                continue
        elif alon > e and blon > e:
            continue
        if alat < s:
            if blat < s:
                continue
        elif alat > n and blat > n:
            continue
        d = _point_to_piece(x, y, (alon - lon0) * kx, (alat - lat0) * ky, (blon - lon0) * kx, (blat - lat0) * ky)
        if d <= r:
            near_d.append(d)
            near_p.append(p)
    if not near_d:
        return None
    seg = np.searchsorted(offsets, near_p, side="right") - 1
    best_d, best_s = math.inf, -1
    for d, sg, ok in zip(near_d, seg.tolist(), allowed(seg).tolist(), strict=True):
        if ok and (d < best_d or (d == best_d and sg < best_s)):
            best_d, best_s = d, sg
    return None if best_s < 0 else (best_s, best_d)


def _closest(net: Network, pieces: np.ndarray, seg: np.ndarray, x: float, y: float) -> tuple[int, float]:
    """The (segment, metres) of the piece nearest to (x, y); equal distances: the lowest segment id."""
    if len(pieces) > LOOP_MAX:
        dist = piece_distances(net, pieces, x, y)
        k = int(np.lexsort((seg, dist))[0])
        return int(seg[k]), float(dist[k])
    (lon0, lat0), (kx, ky) = net.origin, net._scale
    coords = net.coords
    best_d, best_s = math.inf, -1
    ends = coords[pieces[:, None] + _BOTH_ENDS].reshape(-1, 4)  # per piece: lon, lat of its start, then of its end
    for (alon, alat, blon, blat), s in zip(ends.tolist(), seg.tolist(), strict=True):
        d = _point_to_piece(x, y, (alon - lon0) * kx, (alat - lat0) * ky, (blon - lon0) * kx, (blat - lat0) * ky)
        if d < best_d or (d == best_d and s < best_s):
            best_d, best_s = d, s
    return best_s, best_d


def _point_to_piece(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """`piece_distances` of one piece, on Python floats (the same IEEE arithmetic, so the same number)."""
    qx, qy = px - ax, py - ay
    if ax == bx and ay == by:
        return math.sqrt(qx * qx + qy * qy)
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    r = (qx * dx + qy * dy) / len2
    if r <= 0.0:
        return math.sqrt(qx * qx + qy * qy)
    if r >= 1.0:
        fx, fy = px - bx, py - by
        return math.sqrt(fx * fx + fy * fy)
    return abs((qx * dy - qy * dx) / len2) * math.sqrt(len2)


def locate_on_segment(net: Network, seg: int, x: float, y: float) -> tuple[float, float, float]:
    """Where (x, y) falls on segment ``seg``: ``(fraction of its length, x, y of the point on it)``.

    What shapely answers for the segment's line as ``project`` (the length along it to the
    nearest point; the first of equally near pieces), ``length`` and ``interpolate`` (GEOS's
    ``LengthIndexOfPoint`` and ``LengthLocationMap``), worked out with the same arithmetic on
    Python floats: a segment has a handful of points, too few for arrays to pay.
    The fraction is not clamped (``along / length``; 0 for a segment of no length).
    """
    lon0, lat0, kx, ky, _, offsets = _frame(net)
    lo, hi = offsets[seg : seg + 2].tolist()
    pts = [((lon - lon0) * kx, (lat - lat0) * ky) for lon, lat in net.coords[lo:hi].tolist()]
    best, along, start = math.inf, -1.0, 0.0
    lengths = []
    for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
        dx, dy = bx - ax, by - ay
        seglen = math.sqrt(dx * dx + dy * dy)
        lengths.append(seglen)
        d = _point_to_piece(x, y, ax, ay, bx, by)
        if d < best:
            best = d
            along = start + _projection_measure(x, y, ax, ay, bx, by, seglen)
        start += seglen
    length = start  # GEOS's Length::ofLine adds the same lengths in the same order
    frac = along / length if length > 0 else 0.0
    px, py = _point_along(pts, lengths, along)
    return frac, px, py


def _projection_measure(x: float, y: float, ax: float, ay: float, bx: float, by: float, seglen: float) -> float:
    """How far along a piece its point nearest to (x, y) lies (GEOS's ``segmentNearestMeasure``)."""
    if x == ax and y == ay:
        return 0.0
    if x == bx and y == by:
        return seglen
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    f = ((x - ax) * dx + (y - ay) * dy) / len2 if len2 else math.nan  # 0/0 in C: NaN, the piece's end
    if f <= 0.0:
        return 0.0
    if f <= 1.0:
        return f * seglen
    return seglen


def _point_along(pts: list[tuple[float, float]], lengths: list[float], along: float) -> tuple[float, float]:
    """The point ``along`` metres along the line ``pts`` (GEOS's ``LengthIndexedLine.extractPoint``)."""
    if along <= 0.0:
        return pts[0]
    total = 0.0
    for i, seglen in enumerate(lengths):
        if total + seglen > along:
            frac = min(max((along - total) / seglen, 0.0), 1.0)
            if frac == 1.0:  # GEOS's LinearLocation moves on to the next point
                return pts[i + 1]
            (ax, ay), (bx, by) = pts[i], pts[i + 1]
            if frac <= 0.0:
                return ax, ay
            return (bx - ax) * frac + ax, (by - ay) * frac + ay
        total += seglen
    return pts[-1]


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
