"""Elevation: DEM files, heights of a network, grades, climbs and elevation profiles.

A digital elevation model (DEM) comes from SRTM ``.hgt`` tiles (1 or 3 arc-second,
raw or zipped, one file or a folder of tiles) or GeoTIFF files, read with
rasterio (GDAL). Heights are interpolated bilinearly between the four nearest
samples; void samples (SRTM -32768, or the file's nodata value) never enter a
result: the height comes from the valid neighbours, and where all four are void
the point is left missing (NaN) and later filled along its street from the
nearest points that have a height.

`add_elevation` puts a height on every junction (``Network.node_ele``) and every
geometry point (``Network.ele``). `apply_climbs` turns them into grade-dependent
riding times and climb costs of a profile's ``[NAME.climb]`` table (called by
`Network.router`, so every profile of a network with heights uses them), and
`route_elevation` gives a route's ascent, descent, steepest grade and profile.

Examples
--------
>>> from routes import load_network, route                      # doctest: +SKIP
>>> net = load_network("andorra.osm.pbf", dem="N42E001.hgt.zip")  # doctest: +SKIP
>>> route(net, [(42.5078, 1.5211), (42.5429, 1.7333)])["properties"]["ascent_m"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from .errors import SourceError

__all__ = [
    "DEM",
    "ELEVATION_VERSION",
    "add_elevation",
    "apply_climbs",
    "edge_climbs",
    "open_dem",
    "route_elevation",
]

#: Bump when the way heights are computed changes (part of the network cache key).
ELEVATION_VERSION = 2  # bump when heights are computed differently

#: Grades are measured over at least this distance (m) for ``max_grade_pct``:
#: SRTM samples are 30-90 m apart and its heights err by about 10 m, so shorter
#: stretches mostly show noise.
GRADE_WINDOW_M = 200.0

#: Rises and falls smaller than this (m) count only once they add up to it
#: (hysteresis, as GPS devices do): SRTM noise would otherwise add about a
#: quarter to the ascent of a mountain road.
HYSTERESIS_M = 10.0

_RASTER_SUFFIXES = (".hgt", ".tif", ".tiff")
_SRTM_VOID = -32768


@dataclass(frozen=True)
class _Raster:
    """One raster file: where GDAL finds it and what area it covers (in WGS84)."""

    gdal_path: str  # a path, or /vsizip/ZIP/MEMBER
    file: str  # the file on disk (for the content hash)
    bounds: tuple[float, float, float, float]  # west, south, east, north


class DEM:
    """A digital elevation model made of one or more raster files.

    Use `open_dem`. Files are opened only while sampling, so a `DEM` holds no
    file handles and may be shared between threads.
    """

    def __init__(self, rasters: list[_Raster], label: str):
        self.rasters = rasters
        self.label = label

    def __repr__(self) -> str:
        return f"DEM({self.label!r}, {len(self.rasters)} raster(s))"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) covered by all rasters."""
        b = np.array([r.bounds for r in self.rasters])
        return (
            float(b[:, 0].min()),
            float(b[:, 1].min()),
            float(b[:, 2].max()),
            float(b[:, 3].max()),
        )

    def covering(self, bounds: tuple[float, float, float, float]) -> list[_Raster]:
        """The rasters that overlap ``bounds`` (west, south, east, north)."""
        w, s, e, n = bounds
        return [
            r for r in self.rasters if r.bounds[0] <= e and r.bounds[2] >= w and r.bounds[1] <= n and r.bounds[3] >= s
        ]

    def content_hash(self, bounds: tuple[float, float, float, float] | None = None) -> str:
        """Hash of the content of the files covering ``bounds`` (all files when None)."""
        h = hashlib.sha256(f"elevation v{ELEVATION_VERSION}|".encode())
        rasters = self.rasters if bounds is None else self.covering(bounds)
        for file in sorted({r.file for r in rasters}):
            h.update(f"{Path(file).name}|".encode())
            with open(file, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        h.update(f"|{len(rasters)}".encode())
        return h.hexdigest()[:16]

    def sample(self, lon, lat) -> np.ndarray:
        """Heights (m) at WGS84 points, bilinear; NaN where no valid sample is near.

        A point covered by several rasters takes its height from the first one
        (files in name order).
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.full(lon.shape, np.nan)
        for r in self.rasters:
            todo = np.isnan(out)
            if not todo.any():
                break
            w, s, e, n = r.bounds
            inside = todo & (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
            if inside.any():
                out[inside] = _sample_raster(r, lon[inside], lat[inside])
        return out


def open_dem(path: str | Path | DEM) -> DEM:
    """Open elevation data: a ``.hgt``/``.hgt.zip``/``.zip``/``.tif`` file or a folder of them.

    Raises
    ------
    SourceError
        The path is missing, holds no elevation files, or a file cannot be read.
    """
    if isinstance(path, DEM):
        return path
    p = Path(path).expanduser()
    if not p.exists():
        raise SourceError(f"elevation data not found: {path}")
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and _is_dem_file(f))
        if not files:
            raise SourceError(f"no elevation files (.hgt, .hgt.zip, .tif) in folder {path}")
    elif _is_dem_file(p):
        files = [p]
    else:
        raise SourceError(f"unknown elevation file type: {path} (expected .hgt, .hgt.zip, .zip, .tif or .tiff)")
    rasters: list[_Raster] = []
    for f in files:
        rasters.extend(_open_file(f))
    if not rasters:
        raise SourceError(f"no elevation rasters found in {path}")
    return DEM(rasters, p.name)


def _is_dem_file(f: Path) -> bool:
    name = f.name.lower()
    return name.endswith(_RASTER_SUFFIXES) or name.endswith(".zip")


def _open_file(f: Path) -> list[_Raster]:
    f = f.resolve()
    if f.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(f) as z:
                members = [m for m in z.namelist() if m.lower().endswith(_RASTER_SUFFIXES)]
        except (OSError, zipfile.BadZipFile) as exc:
            raise SourceError(f"cannot read elevation file {f.name}: not a valid zip file ({exc})") from None
        if not members:
            raise SourceError(f"elevation file {f.name} holds no .hgt or .tif file")
        paths = [f"/vsizip/{f}/{m}" for m in members]
    else:
        paths = [str(f)]
    return [_describe(gp, str(f)) for gp in paths]


def _rasterio():
    try:
        import rasterio
    except ImportError:  # pragma: no cover - a declared dependency
        raise SourceError("reading elevation data needs rasterio: pip install rasterio") from None
    return rasterio


def _describe(gdal_path: str, file: str) -> _Raster:
    rasterio = _rasterio()
    from rasterio.warp import transform_bounds

    name = gdal_path.rsplit("/", 1)[-1]
    try:
        with rasterio.open(gdal_path) as ds:
            if ds.crs is None:
                raise SourceError(f"elevation file {name} has no coordinate reference system")
            t = ds.transform
            if t.b != 0 or t.d != 0:
                raise SourceError(f"elevation file {name} is rotated; warp it north-up first (gdalwarp)")
            bounds = tuple(float(v) for v in transform_bounds(ds.crs, "EPSG:4326", *ds.bounds))
    except SourceError:
        raise
    except Exception as exc:
        hint = " (SRTM tiles must keep their names, e.g. N42E001.hgt)" if name.lower().endswith(".hgt") else ""
        raise SourceError(f"cannot read elevation file {name}{hint}: {' '.join(str(exc).split())[:200]}") from None
    return _Raster(gdal_path, file, bounds)  # type: ignore[arg-type]


def _sample_raster(r: _Raster, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Bilinear heights from one raster; void samples are left out of the weights."""
    rasterio = _rasterio()
    from rasterio.windows import Window

    with rasterio.open(r.gdal_path) as ds:
        x, y = lon, lat
        if not ds.crs.is_geographic or ds.crs.to_epsg() != 4326:
            from rasterio.warp import transform

            x, y = (np.asarray(v) for v in transform("EPSG:4326", ds.crs, lon, lat))
        inv = ~ds.transform
        col = inv.a * x + inv.b * y + inv.c - 0.5  # fractional position between sample centres
        row = inv.d * x + inv.e * y + inv.f - 0.5
        col = np.clip(col, 0, ds.width - 1)
        row = np.clip(row, 0, ds.height - 1)
        c0 = int(np.floor(col.min()))
        r0 = int(np.floor(row.min()))
        c1 = min(int(np.floor(col.max())) + 1, ds.width - 1)
        r1 = min(int(np.floor(row.max())) + 1, ds.height - 1)
        grid = ds.read(1, window=Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1)).astype(np.float64)
        void = ~np.isfinite(grid)
        if ds.nodata is not None:
            void |= grid == ds.nodata
        if ds.dtypes[0] == "int16":
            void |= grid == _SRTM_VOID
        scale, offset = (ds.scales or (1.0,))[0] or 1.0, (ds.offsets or (0.0,))[0] or 0.0
    grid = grid * scale + offset
    grid[void] = np.nan
    return bilinear(grid, col - c0, row - r0)


def bilinear(grid: np.ndarray, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Bilinear interpolation in ``grid`` at fractional (col, row); NaN cells are voids.

    The weights of void cells are dropped and the rest renormalised; a point whose
    four neighbours are all void gets NaN.

    Examples
    --------
    >>> g = np.array([[0.0, 10.0], [np.nan, 30.0]])
    >>> bilinear(g, np.array([0.5, 0.0]), np.array([0.0, 1.0])).tolist()
    [5.0, nan]
    """
    h, w = grid.shape
    i0 = np.clip(np.floor(col).astype(np.int64), 0, max(w - 2, 0))
    j0 = np.clip(np.floor(row).astype(np.int64), 0, max(h - 2, 0))
    i1, j1 = np.minimum(i0 + 1, w - 1), np.minimum(j0 + 1, h - 1)
    t = np.clip(col - i0, 0, 1)
    u = np.clip(row - j0, 0, 1)
    corners = [
        (j0, i0, (1 - t) * (1 - u)),
        (j0, i1, t * (1 - u)),
        (j1, i0, (1 - t) * u),
        (j1, i1, t * u),
    ]
    num = np.zeros(len(col))
    den = np.zeros(len(col))
    anyv = np.zeros(len(col))
    count = np.zeros(len(col))
    for j, i, wt in corners:
        v = grid[j, i]
        ok = np.isfinite(v)
        num += np.where(ok, v * wt, 0.0)
        den += np.where(ok, wt, 0.0)
        anyv += np.where(ok, v, 0.0)
        count += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 1e-9, num / den, anyv / count)  # on a void sample: mean of valid neighbours
    out[count == 0] = np.nan
    return out


# --------------------------------------------------------------------------- network heights


def add_elevation(network, dem: str | Path | DEM):
    """Put heights on every junction and geometry point of ``network`` (in place).

    Sets ``network.node_ele`` (per junction) and ``network.ele`` (aligned with
    ``network.coords``), float32 metres; points the DEM cannot give a height
    (outside it, or in a void) get one interpolated along their street from its
    other points, and stay NaN only where a whole street has none.

    Returns the network.
    """
    dem = open_dem(dem)
    node_ele = dem.sample(network.node_lon, network.node_lat)
    ele = dem.sample(network.coords[:, 0], network.coords[:, 1])
    off = network.offsets
    starts, ends = off[:-1], off[1:] - 1
    ele[starts] = node_ele[network.seg_u]  # identical points: make them agree exactly
    ele[ends] = node_ele[network.seg_v]
    _level_bridges_and_tunnels(network, ele)
    if np.isnan(ele).any():
        _fill_gaps(network, ele, node_ele)
    network.node_ele = node_ele.astype(np.float32)
    network.ele = ele.astype(np.float32)
    network.meta["elevation"] = {
        "dem": dem.label,
        "missing_points": int(np.isnan(ele).sum()),
        "min_m": _nan_round(np.nanmin(ele) if np.isfinite(ele).any() else np.nan),
        "max_m": _nan_round(np.nanmax(ele) if np.isfinite(ele).any() else np.nan),
    }
    network._derived.clear()  # routers built before now know nothing of the heights
    network.cache_path = None  # nor do those kept beside the cache it came from (`routes._routerstore`)
    return network


def _level_bridges_and_tunnels(network, ele: np.ndarray) -> None:
    """Bridges and tunnels run straight between their ends, not over the terrain under them.

    The DEM gives the valley floor under a bridge and the mountain over a
    tunnel; both would invent climbs. Their inner points are interpolated
    between the heights at their two ends (the abutments, portals).
    """
    off, xy = network.offsets, network.xy
    for s, tags in enumerate(network.tags):
        if tags.get("bridge", "no") == "no" and tags.get("tunnel", "no") in ("no", "building_passage"):
            continue
        a, b = off[s], off[s + 1]
        if b - a < 3 or not (np.isfinite(ele[a]) and np.isfinite(ele[b - 1])):
            continue
        d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy[a:b], axis=0).T))])
        ele[a:b] = np.interp(d, [0.0, d[-1]], [ele[a], ele[b - 1]])


def _nan_round(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), 1)


def _fill_gaps(network, ele: np.ndarray, node_ele: np.ndarray) -> None:
    """Interpolate missing heights along each segment, then share them at junctions."""
    off, xy = network.offsets, network.xy
    bad = np.flatnonzero(np.add.reduceat(np.isnan(ele).astype(np.int64), off[:-1]) > 0)
    for s in bad:
        a, b = off[s], off[s + 1]
        z = ele[a:b]
        ok = np.isfinite(z)
        if not ok.any():
            continue
        d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy[a:b], axis=0).T))])
        ele[a:b] = np.interp(d, d[ok], z[ok])
    missing = np.flatnonzero(np.isnan(node_ele))
    if len(missing):
        total = np.zeros(len(node_ele))
        count = np.zeros(len(node_ele))
        for nodes, idx in ((network.seg_u, off[:-1]), (network.seg_v, off[1:] - 1)):
            ok = np.isfinite(ele[idx])
            np.add.at(total, nodes[ok], ele[idx][ok])
            np.add.at(count, nodes[ok], 1)
        fill = missing[count[missing] > 0]
        node_ele[fill] = total[fill] / count[fill]
        for nodes, idx in ((network.seg_u, off[:-1]), (network.seg_v, off[1:] - 1)):
            ele[idx] = node_ele[nodes]


# --------------------------------------------------------------------------- grades


@njit(cache=True)
def climbs_along(offsets, dist, ele, threshold=HYSTERESIS_M):
    """Per line ``ele[offsets[i]:offsets[i + 1]]``: ascent, descent, up length, down length.

    A change in height counts once it reaches ``threshold`` metres from the last
    counted point; what is left at the line's end counts too, so ascent minus
    descent is always the line's end height minus its start height. Missing
    heights (NaN) are skipped. ``dist`` is the distance of every point along its line.
    """
    n = len(offsets) - 1
    out = np.zeros((n, 4))
    for s in range(n):
        zr = np.nan
        dr = 0.0
        for k in range(offsets[s], offsets[s + 1]):
            z = ele[k]
            if not np.isfinite(z):
                continue
            if not np.isfinite(zr):
                zr, dr = z, dist[k]
            elif z - zr >= threshold:
                out[s, 0] += z - zr
                out[s, 2] += dist[k] - dr
                zr, dr = z, dist[k]
            elif zr - z >= threshold:
                out[s, 1] += zr - z
                out[s, 3] += dist[k] - dr
                zr, dr = z, dist[k]
            last_z, last_d = z, dist[k]
        if np.isfinite(zr):
            if last_z > zr:
                out[s, 0] += last_z - zr
                out[s, 2] += last_d - dr
            elif last_z < zr:
                out[s, 1] += zr - last_z
                out[s, 3] += last_d - dr
    return out


def edge_climbs(network) -> dict[str, np.ndarray]:
    """Per directed edge (``2 * s`` along the way, ``2 * s + 1`` against it), the climbing.

    Returns arrays ``ascent`` and ``descent`` (m), ``up_m`` and ``down_m``: the
    length (m) of the stretches going up or down. The mean grade of an edge's
    climbs is ``ascent / up_m``. Cached on the network.
    """
    if network.ele is None:
        raise ValueError("the network has no elevation (load it with dem=...)")

    def build():
        xy, off = network.xy, network.offsets
        step = np.hypot(*np.diff(xy, axis=0).T)
        step[off[1:-1] - 1] = 0.0  # no distance between one segment's end and the next one's start
        dist = np.concatenate([[0.0], np.cumsum(step)])
        geo_len = dist[off[1:] - 1] - dist[off[:-1]]
        scale = np.where(geo_len > 0, network.seg_length / np.where(geo_len > 0, geo_len, 1), 0.0)
        fwd = climbs_along(off, dist, network.ele.astype(np.float64))
        up, down = fwd[:, 0], fwd[:, 1]
        up_m, down_m = fwd[:, 2] * scale, fwd[:, 3] * scale
        both = lambda a, b: np.column_stack([a, b]).ravel()  # noqa: E731
        return {
            "ascent": both(up, down),
            "descent": both(down, up),
            "up_m": both(up_m, down_m),
            "down_m": both(down_m, up_m),
        }

    return network._cached("climbs", build)


@dataclass(frozen=True)
class ClimbRules:
    """A profile's ``[NAME.climb]`` table (see ``routes/data/profiles.toml``)."""

    uphill_slowdown: float = 0.0  # speed / (1 + k * grade%)
    min_speed_kmh: float = 3.0
    downhill_speedup: float = 0.0  # speed * (1 + k * grade%)
    max_downhill_kmh: float = 30.0
    push_ascent_s_per_m: float = 6.0  # walking a bicycle up: seconds per metre of ascent
    ascent_cost: tuple[tuple[float, float], ...] = ()  # (grade% from, cost seconds per metre)

    @classmethod
    def from_table(cls, t: dict[str, Any]) -> ClimbRules:
        bands = sorted((float(k), float(v)) for k, v in t.get("ascent_cost", {}).items())
        return cls(
            uphill_slowdown=float(t.get("uphill_slowdown", 0.0)),
            min_speed_kmh=float(t.get("min_speed_kmh", 3.0)),
            downhill_speedup=float(t.get("downhill_speedup", 0.0)),
            max_downhill_kmh=float(t.get("max_downhill_kmh", 30.0)),
            push_ascent_s_per_m=float(t.get("push_ascent_s_per_m", 6.0)),
            ascent_cost=tuple(bands),
        )

    def cost_per_m(self, grade_pct: np.ndarray) -> np.ndarray:
        """Extra cost (s) per metre of ascent at a mean climbing grade (band lookup)."""
        out = np.zeros(len(grade_pct))
        for start, value in self.ascent_cost:
            out[grade_pct >= start] = value
        return out


def climb_durations(
    rules: ClimbRules,
    duration: np.ndarray,
    access: np.ndarray,
    length: np.ndarray,
    climbs: dict[str, np.ndarray],
) -> np.ndarray:
    """Riding (or pushing) time per directed edge on the hills.

    Ridden climbs at mean grade ``g`` (percent) go at ``v / (1 + uphill_slowdown * g)``
    but never slower than ``min_speed_kmh`` (or the flat speed, if that is lower);
    descents at ``v * (1 + downhill_speedup * g)``, capped at ``max_downhill_kmh``
    (never slower than flat); pushed edges add ``push_ascent_s_per_m`` per metre up.
    """
    from .profiles import PUSH, RIDE

    out = duration.copy()
    ok = np.isfinite(duration) & (duration > 0) & (length > 0)
    asc, desc, up_m, down_m = climbs["ascent"], climbs["descent"], climbs["up_m"], climbs["down_m"]
    ride = ok & (access == RIDE)
    with np.errstate(invalid="ignore", divide="ignore"):
        v0 = np.where(ride, length / duration, 1.0)
        g_up = np.where(up_m > 0, 100 * asc / up_m, 0.0)
        g_down = np.where(down_m > 0, 100 * desc / down_m, 0.0)
        v_up = np.maximum(v0 / (1 + rules.uphill_slowdown * g_up), np.minimum(rules.min_speed_kmh / 3.6, v0))
        v_down = np.minimum(v0 * (1 + rules.downhill_speedup * g_down), np.maximum(rules.max_downhill_kmh / 3.6, v0))
        flat = np.maximum(length - up_m - down_m, 0.0)
        t = flat / v0 + up_m / v_up + down_m / v_down
    out[ride] = t[ride]
    push = ok & (access == PUSH)
    out[push] = duration[push] + rules.push_ascent_s_per_m * asc[push]
    return out


def apply_climbs(router) -> None:
    """Make a `Router`'s durations and costs grade-aware (in place).

    Uses the profile's ``climb`` table; a profile without one, or a network
    without heights, is left exactly as it was. Cost becomes the flat cost scaled
    by the change in riding time, plus the profile's cost per metre of ascent for
    the edge's mean climbing grade.
    """
    net = router.network
    table = getattr(router.profile, "climb", None)
    if net.ele is None or not table:
        return
    rules = ClimbRules.from_table(table)
    climbs = edge_climbs(net)
    length = np.repeat(net.seg_length, 2)
    new = climb_durations(rules, router.duration, router.access, length, climbs)
    usable = np.isfinite(router.cost) & np.isfinite(new) & (router.duration > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g_up = np.where(climbs["up_m"] > 0, 100 * climbs["ascent"] / climbs["up_m"], 0.0)
        ratio = np.where(usable, new / router.duration, 1.0)
    extra = climbs["ascent"] * rules.cost_per_m(g_up)
    cost = router.cost.copy()
    cost[usable] = router.cost[usable] * ratio[usable] + extra[usable]
    router.duration = np.where(usable, new, router.duration)
    router.cost = cost


# --------------------------------------------------------------------------- routes


def route_elevation(coords: Sequence[Sequence[float]], *, project=None) -> dict[str, Any] | None:
    """Climbing figures of a line of ``[lon, lat, ele]`` positions.

    Missing heights (NaN or None) are interpolated along the line from the
    points that have one; a line with no height at all gives None.

    Returns
    -------
    dict
        ``ele`` (filled heights, m), ``ascent_m``, ``descent_m``, ``max_grade_pct``
        (steepest climb in the direction of travel, over at least
        `GRADE_WINDOW_M`), and ``elevation_profile``: ``[distance_m, ele_m]``
        per position (aligned with ``coords``).
    """
    arr = np.array(
        [[c[0], c[1], np.nan if len(c) < 3 or c[2] is None else c[2]] for c in coords],
        dtype=np.float64,
    )
    if len(arr) == 0 or not np.isfinite(arr[:, 2]).any():
        return None
    from .network import haversine_m

    step = haversine_m(arr[:-1, 0], arr[:-1, 1], arr[1:, 0], arr[1:, 1]) if len(arr) > 1 else np.zeros(0)
    dist = np.concatenate([[0.0], np.cumsum(step)])
    z = arr[:, 2]
    ok = np.isfinite(z)
    if not ok.all():
        z = np.interp(dist, dist[ok], z[ok])
    climb = climbs_along(np.array([0, len(z)]), dist, z)[0]
    return {
        "ele": z,
        "ascent_m": round(float(climb[0]), 1),
        "descent_m": round(float(climb[1]), 1),
        "max_grade_pct": round(max_grade(dist, z), 1),
        "elevation_profile": [[round(float(d), 1), round(float(e), 1)] for d, e in zip(dist, z, strict=False)],
    }


def max_grade(dist: np.ndarray, ele: np.ndarray, *, window_m: float = GRADE_WINDOW_M) -> float:
    """Steepest climb (percent) along a profile, over stretches of at least ``window_m``.

    A profile shorter than the window gives its overall grade (0 if it descends).

    Examples
    --------
    >>> max_grade(np.array([0.0, 100, 200, 300]), np.array([0.0, 5, 15, 15]))
    10.0
    """
    if len(dist) < 2 or dist[-1] <= 0:
        return 0.0
    if dist[-1] <= window_m:
        return max(0.0, 100 * float(ele[-1] - ele[0]) / float(dist[-1]))
    j = np.searchsorted(dist, dist + window_m)  # first point at least window_m farther on
    i = np.flatnonzero(j < len(dist))
    span = dist[j[i]] - dist[i]
    grades = 100 * (ele[j[i]] - ele[i]) / span
    return max(0.0, float(grades.max()))
