"""The cycling network: street segments between junctions, in compact arrays.

A `Network` is what every source turns into (see `routes.sources`): nodes with
coordinates, and segments (one per stretch of OSM way between junctions, in the
way's own direction) with their geometry, length and the cycling tags. Each
segment gives two directed edges: ``2 * s`` along the way and ``2 * s + 1``
against it. Per-profile routing structures are derived from it on demand; those
of a cached network are kept beside it (`routes._routerstore`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .profiles import SegmentClass, classify_segment

__all__ = ["EARTH_RADIUS_M", "Network"]

EARTH_RADIUS_M = 6_371_008.8


@dataclass
class Network:
    """Street segments and junctions of one network source.

    Attributes
    ----------
    name
        Human-readable name of the source (file name, place name...).
    node_id, node_lon, node_lat
        OSM node id and WGS84 coordinates of every junction.
    seg_u, seg_v
        Node indices where each segment starts and ends (in the way's direction).
    seg_length
        Length of each segment in metres.
    seg_way
        OSM way id of each segment.
    coords, offsets
        Geometry of segment ``s``: ``coords[offsets[s]:offsets[s + 1]]``, (lon, lat).
    tags
        Per segment, the cycling tags it carries (`routes.settings.way_tags`).
    pois
        Tourist destinations and bike-share stations found in the source: dicts
        with ``osm_type``, ``osm_id``, ``lon``, ``lat``, ``tags``.
    meta
        Where the network came from and how long it took to build.
    node_ele, ele
        Height in metres (float32, NaN where unknown) of every junction and of
        every geometry point (aligned with ``coords``); None without elevation
        data (see `routes.elevation.add_elevation`).
    restrictions
        The turn restrictions read from the source that bind a bicycle: one row per
        (from way, via node, to way), columns `routes.restrictions.COLUMNS`
        (OSM ids); None where the source carries none (OSMnx graphs, Overpass).
    way_restrictions
        Those over one or more via ways: one row per (from way, to way), columns
        `routes.restrictions.WAY_COLUMNS` then the via ways' ids (padded with 0).
    node_order
        The contraction order of the junctions for the routing hierarchy
        (`routes._cch`); computed when the network is built, None in networks
        made by hand (then computed on first use).
    snap_starts, snap_pieces
        The snapping index (`routes._snapgrid`: the streets' straight pieces by grid
        cell; its extent is ``meta["snap_grid"]``); made when the network is built
        and memory-mapped from the cache, None in networks made by hand (then made
        on first use).
    """

    name: str
    node_id: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_length: np.ndarray
    seg_way: np.ndarray
    coords: np.ndarray
    offsets: np.ndarray
    tags: list[dict[str, str]]
    pois: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    node_ele: np.ndarray | None = None
    ele: np.ndarray | None = None
    node_order: np.ndarray | None = None
    restrictions: np.ndarray | None = None
    way_restrictions: np.ndarray | None = None
    snap_starts: np.ndarray | None = None
    snap_pieces: np.ndarray | None = None

    #: The cache folder it was read from or written to (`routes.sources.load_network`); None for one made by hand.
    #: Its routers' own arrays are kept there too (`routes._routerstore`).
    #: Not copied by `dataclasses.replace`, and forgotten by a change in place (`routes.elevation.add_elevation`):
    #: the store holds the routers of the network that was cached there, no other.
    cache_path: Path | None = field(default=None, init=False, repr=False, compare=False)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # pickling keeps only the data, never derived structures or locks
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_derived", None)
        state.pop("_lock", None)
        state.pop("cache_path", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("node_order", None)
        state.setdefault("restrictions", None)
        state.setdefault("way_restrictions", None)
        state.setdefault("snap_starts", None)
        state.setdefault("snap_pieces", None)
        state.setdefault("cache_path", None)
        self.__dict__.update(state)
        self._derived = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ sizes

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)

    @property
    def n_segments(self) -> int:
        return len(self.seg_u)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of all geometry."""

        def build():
            kept = self.meta.get("bounds")  # written by the build: a cached network's coordinates stay on disk
            if kept is not None and len(kept) == 4:
                return tuple(float(v) for v in kept)
            lon, lat = self.coords[:, 0], self.coords[:, 1]
            return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

        return self._cached("bounds", build)

    # ------------------------------------------------------------------ derived

    def _cached(self, key: str, build):
        value = self._derived.get(key)
        if value is None:
            with self._lock:
                value = self._derived.get(key)
                if value is None:
                    value = build()
                    self._derived[key] = value
        return value

    @property
    def classes(self) -> list[SegmentClass]:
        """The `SegmentClass` of every segment (access, way class, surface...)."""

        def build():
            memo: dict[int, SegmentClass] = {}  # segments of one way share one tag dict: classify it once
            out = []
            for t in self.tags:
                c = memo.get(id(t))
                if c is None:
                    c = memo[id(t)] = classify_segment(t)
                out.append(c)
            return out

        return self._cached("classes", build)

    @property
    def class_index(self):
        """`routes.profiles.class_index` of `classes`: the distinct classes and each segment's position among them."""
        from .profiles import class_index

        return self._cached("class_index", lambda: class_index(self.classes))

    @property
    def origin(self) -> tuple[float, float]:
        """(lon, lat) of the local projection's origin: the centre of the bounds."""
        w, s, e, n = self.bounds
        return (w + e) / 2, (s + n) / 2

    @property
    def _scale(self) -> tuple[float, float]:
        """Metres per degree of longitude and latitude at `origin`."""

        def build():
            k = math.pi / 180 * EARTH_RADIUS_M
            return k * math.cos(math.radians(self.origin[1])), k

        return self._cached("scale", build)

    def project(self, lon, lat):
        """Project WGS84 to local metres (equirectangular about `origin`).

        Exactly invertible with `unproject`. Distances are off by at most about 0.5 % across an
        extract the size of Liechtenstein (5 m in a kilometre; ``scripts/bench_projection.py``),
        which is why segment lengths are great-circle (haversine) lengths, not projected ones.
        """
        lon0, lat0 = self.origin
        kx, ky = self._scale
        return (np.asarray(lon) - lon0) * kx, (np.asarray(lat) - lat0) * ky

    def unproject(self, x, y):
        lon0, lat0 = self.origin
        kx, ky = self._scale
        return np.asarray(x) / kx + lon0, np.asarray(y) / ky + lat0

    @property
    def xy(self) -> np.ndarray:
        """Segment geometry in local metres, aligned with `coords`."""

        def build():
            x, y = self.project(self.coords[:, 0], self.coords[:, 1])
            return np.column_stack([x, y])

        return self._cached("xy", build)

    def segment_coords(self, s: int) -> np.ndarray:
        return self.coords[self.offsets[s] : self.offsets[s + 1]]

    def segment_xy(self, s: int) -> np.ndarray:
        """Segment ``s``'s geometry in local metres: the rows of `xy`, without making all of `xy`."""
        xy = self._derived.get("xy")
        if xy is not None:
            return xy[self.offsets[s] : self.offsets[s + 1]]
        c = self.segment_coords(s)
        return np.column_stack(self.project(c[:, 0], c[:, 1]))

    def router(self, profile="safe"):
        """The warm routing structure for a profile (built once, then reused).

        ``profile`` is a name from ``routes/data/profiles.toml`` or a `Profile` object
        (a changed copy of a named profile gets a router of its own). A named profile's
        router of a cached network is read from beside the cache when it was kept there
        by an earlier start, and kept there otherwise (`routes._routerstore`).
        """
        from . import settings
        from .profiles import get_profile, load_profiles
        from .routing import Router

        p = get_profile(profile)
        named = load_profiles().get(p.name)
        is_named = named is p or named == p
        key = p.name if is_named else f"{p.name}:{hash(repr(p))}"
        if not settings.turn_restrictions:
            key += ":no-turn-restrictions"

        def build():
            from . import _routerstore

            router = _routerstore.load_router(self, p) if is_named else None  # a changed copy is not kept
            if router is None:
                router = Router(self, p)
                if self.ele is not None:  # grade-dependent speeds and climb costs
                    from .elevation import apply_climbs

                    apply_climbs(router)
            router.metric()  # customise the contraction hierarchy now, on the final costs
            if is_named and not router.from_store:
                _routerstore.save_router(self, router)
            return router

        return self._cached(f"router:{key}", build)


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
