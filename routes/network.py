"""The cycling network: street segments between junctions, in compact arrays.

A `Network` is what every source turns into (see `routes.sources`): nodes with
coordinates, and segments (one per stretch of OSM way between junctions, in the
way's own direction) with their geometry, length and the cycling tags. Each
segment gives two directed edges: ``2 * s`` along the way and ``2 * s + 1``
against it. Per-profile routing structures are derived from it on demand and
never stored.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
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
    pieces
        Per distinct set of usable edges among the profiles, the strongly connected piece of every
        junction (rows keyed by ``meta["pieces"]``; `routes._pieces`); made when the network is
        built, None in networks made by hand (then each router computes its own).
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
    pieces: np.ndarray | None = None

    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # pickling keeps only the data, never derived structures or locks
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_derived", None)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("node_order", None)
        state.setdefault("restrictions", None)
        state.setdefault("way_restrictions", None)
        state.setdefault("snap_starts", None)
        state.setdefault("snap_pieces", None)
        state.setdefault("pieces", None)
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
    def tag_groups(self) -> tuple[list[dict[str, str]], np.ndarray, np.ndarray]:
        """The distinct tag dicts, first seen first; each segment's position among them; each one's first segment.

        Segments of one way share one tag dict object, so everything worked out from the tags alone
        (the class, the summary codes, the street) is worked out once per group and gathered with
        one array index: a start on ``scale_200k`` walked its 270k segments in Python four times
        (issue #19). Grouped by object identity, like the memos it replaced.
        """

        def build():
            n = len(self.tags)
            ids = np.fromiter(map(id, self.tags), np.int64, count=n)
            _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")  # first seen first, as the memos numbered them
            rank = np.empty(len(order), np.int32)  # fewer distinct tag sets than 2**31
            rank[order] = np.arange(len(order))
            return [self.tags[i] for i in first[order]], rank[inverse.ravel()], first[order]

        return self._cached("tag_groups", build)

    @property
    def classes(self) -> list[SegmentClass]:
        """The `SegmentClass` of every segment (access, way class, surface...)."""

        def build():
            groups, which, _ = self.tag_groups
            per_group = np.empty(len(groups), dtype=object)
            per_group[:] = [classify_segment(t) for t in groups]
            return per_group[which].tolist()

        return self._cached("classes", build)

    @property
    def class_index(self):
        """`routes.profiles.class_index` of `classes`: the distinct classes and each segment's position among them."""
        from .profiles import class_index

        def build():
            _, which, first = self.tag_groups
            classes = self.classes
            distinct, of_group = class_index([classes[i] for i in first.tolist()])  # a group shares one class
            return distinct, of_group[which]

        return self._cached("class_index", build)

    @property
    def origin(self) -> tuple[float, float]:
        """(lon, lat) of the local projection's origin: the centre of the bounds."""

        def build():
            w, s, e, n = self.bounds
            return (w + e) / 2, (s + n) / 2

        return self._cached("origin", build)  # every projection asks: a request snaps and cuts pieces

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

    def project_point(self, lon: float, lat: float) -> tuple[float, float]:
        """`project` of one point, as Python floats.

        The same numbers as `project` (the same IEEE operations), without making arrays for a
        Python float (a snap's point, issue #17); any other number (a NumPy float32 rounds
        otherwise) goes through `project`.
        """
        if type(lon) is float and type(lat) is float:
            lon0, lat0 = self.origin
            kx, ky = self._scale
            return (lon - lon0) * kx, (lat - lat0) * ky
        x, y = self.project(lon, lat)
        return float(x), float(y)

    def unproject_point(self, x: float, y: float) -> tuple[float, float]:
        """`unproject` of one point given as Python floats, as Python floats (the same numbers)."""
        lon0, lat0 = self.origin
        kx, ky = self._scale
        return x / kx + lon0, y / ky + lat0

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
        (a changed copy of a named profile gets a router of its own).
        """
        from . import settings
        from .profiles import get_profile, load_profiles
        from .routing import Router

        p = get_profile(profile)
        named = load_profiles().get(p.name)
        key = p.name if named is p or named == p else f"{p.name}:{hash(repr(p))}"
        if not settings.turn_restrictions:
            key += ":no-turn-restrictions"

        def build():
            router = Router(self, p)
            if self.ele is not None:  # grade-dependent speeds and climb costs
                from .elevation import apply_climbs

                apply_climbs(router)
            router.metric()  # customise the contraction hierarchy now, on the final costs
            return router

        return self._cached(f"router:{key}", build)


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
