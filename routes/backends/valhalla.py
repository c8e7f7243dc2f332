"""Valhalla as bikemap's routing engine, in-process (the ``pyvalhalla`` package).

How bikemap's pieces map onto Valhalla's:

- **Profile.** Valhalla's costing is compiled in (``bicycle``, ``pedestrian``); a
  request only tunes it with a few numbers. `costing_for` derives them from each
  bikemap profile's tables (main-road factors give ``use_roads``, surface factors
  ``avoid_bad_surfaces``, ...). Valhalla cannot take bikemap's cost per way the way
  OSRM's generated Lua profile does: its routes follow Valhalla's own idea of a good
  street, and which ways a bicycle may use is Valhalla's rule, not bikemap's.
- **Data.** ``valhalla_build_tiles`` (inside the wheel) reads the network's
  ``.osm.pbf`` once, and ``valhalla_build_extract`` packs the tiles into one tar that
  Valhalla memory-maps (one copy for every thread and process), in a folder beside the
  network cache keyed by the file's content, the Valhalla version and the tile
  settings; every profile and every closure share it (costing is per request).
- **Closures** (a cost array that is ``inf`` where the profile's is finite) become
  ``exclude_polygons`` on the request: a square of a metre around the middle of the
  longest straight stretch of each closed segment. No rebuild. Hazards (a finite
  raise) cannot be said to Valhalla: they count in the leg's cost, not in its choice.
- **Answers.** Valhalla's route shape (polyline6) passes bikemap's junctions at
  their OSM positions; each shape point within `JUNCTION_M` of a junction names it,
  and `routes.backends._mapback` turns the junctions into bikemap's segments, as for
  OSRM. The mapped leg must be as long as Valhalla's own (`LENGTH_TOLERANCE`), else
  it does not count.
- **Where the rules differ.** A stretch of Valhalla's route no segment of bikemap's
  may ride (``bicycle=use_sidepath``) is excluded and Valhalla asked again (`RETRIES`).
  A route Valhalla starts or ends away from the point (bikemap placed it on a footway
  Valhalla's bicycle does not use) is joined to it by bikemap's search (``stitched``).
  A leg Valhalla cannot route, or whose route still does not map, is searched by
  bikemap's engine, counted in ``fallbacks``; so is a leg from or to a small piece cut
  off from the network (by design, as with OSRM).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BikemapError
from ..network import Network, haversine_m
from ..profiles import Profile
from ..progress import stage
from ..routing import Piece, Router, Snap
from ._base import PbfBackend, run_tool
from ._mapback import pieces_along, segment_between

__all__ = ["JUNCTION_M", "LENGTH_TOLERANCE", "RETRIES", "ValhallaBackend", "costing_for"]

log = logging.getLogger(__name__)

#: A point of Valhalla's shape this close (metres) to a junction of bikemap's is that junction.
#: polyline6 rounds to 0.11 m; junctions of one network lie metres apart.
JUNCTION_M = 0.5

#: A mapped leg may differ from Valhalla's own length by this share (plus `LENGTH_SLACK_M`).
LENGTH_TOLERANCE = 0.01
LENGTH_SLACK_M = 2.0

#: Half the side (metres) of the square that closes one segment in ``exclude_polygons``.
CLOSURE_HALF_M = 0.5

#: How often a leg is asked again with the stretches of Valhalla's route that bikemap forbids excluded.
RETRIES = 2

#: Valhalla's tile settings bikemap changes from ``valhalla_build_config``'s defaults (part of the cache key).
_MJOLNIR = {"concurrency": 2, "include_driving": True, "include_bicycle": True, "include_pedestrian": True}


#: What the folder holds (part of the cache key, so a folder of another layout is never read as this one).
_LAYOUT = "tiles.tar (valhalla_build_extract), valhalla.json"


def _valhalla() -> Any:
    import valhalla  # pyvalhalla: wheels for Python 3.12+ only (routes.backends.check_engine says so)

    return valhalla


def costing_for(profile: Profile) -> tuple[str, dict[str, Any]]:
    """Valhalla's costing and its options nearest bikemap's ``profile``: (``"bicycle"``, {...}).

    Every number comes from the profile's tables (a profile is data):

    - ``cycling_speed`` / ``walking_speed``: the profile's speed on a residential street;
    - ``use_roads`` (0 avoids roads, 1 does not mind): ``r ** -3``, ``r`` the mean factor of
      tertiary, secondary and primary roads over the cycleway's (safe: 0.031; fast: 1.0). The
      exponent is measured: on 100 Liechtenstein pairs ``safe@valhalla`` rode 17.2 %, 13.5 % and
      12.3 % on main roads with use_roads 0.18, 0.05 and 0 (bikemap's ``safe``: 10.7 %);
    - ``avoid_bad_surfaces``: ``1 - 1 / f``, ``f`` the profile's factor for gravel;
    - ``use_living_streets``: 0.5 times residential's factor over living_street's;
    - ``use_hills``: ``1 / (1 + 10 * uphill_slowdown + ascent cost at 6 % / 5)`` from the
      climb table (1 without one). The tiles carry no heights here, so it has no effect yet;
    - ``maneuver_penalty`` 0: bikemap's profiles cost no turns.

    ``bicycle_type`` is ``Hybrid`` (a touring bike, slower on gravel, like bikemap's tables).

    >>> from routes.profiles import get_profile
    >>> costing_for(get_profile("fast"))[1]["use_roads"]
    1.0
    """
    hw = profile.highway

    def factor(cls: str, default: float = 1.0) -> float:
        return float(hw[cls][1]) if cls in hw else default

    speed = float(hw.get("residential", (profile.default_speed_kmh, 1.0))[0])
    climb = profile.climb or {}
    if climb:
        bands = climb.get("ascent_cost", {}) or {}
        at6 = max((float(v) for k, v in bands.items() if float(k) <= 6), default=0.0)
        hills = 1 / (1 + 10 * float(climb.get("uphill_slowdown", 0.0)) + at6 / 5)
    else:
        hills = 1.0
    if profile.mode == "foot":
        return "pedestrian", {"walking_speed": round(speed, 2), "use_hills": round(hills, 3)}
    roads = np.mean([factor(c, factor("residential")) for c in ("tertiary", "secondary", "primary")])
    ratio = max(float(roads) / factor("cycleway"), 1.0)
    gravel = float(profile.surface.get("gravel", profile.surface.get("unknown", (0, 1.0)))[1])
    return "bicycle", {
        "bicycle_type": "Hybrid",
        "cycling_speed": round(speed, 2),
        "use_roads": round(min(1.0, ratio**-3), 3),
        "avoid_bad_surfaces": round(max(0.0, 1 - 1 / gravel), 3),
        "use_living_streets": round(min(1.0, 0.5 * factor("residential") / factor("living_street")), 3),
        "use_hills": round(hills, 3),
        "maneuver_penalty": 0,
    }


class ValhallaBackend(PbfBackend):
    """Valhalla searching bikemap's legs on one network; see the module's notes."""

    name = "valhalla"
    builds = "its tiles"

    def __init__(self, network: Network, *, folder: str | None = None):
        super().__init__(network, folder=folder)
        self.stitched = 0  # legs Valhalla began or ended elsewhere, joined to their points by bikemap's search
        #: Costing per profile name, overriding `costing_for` (``scripts/bench_quality.py``: Valhalla's defaults).
        self.costing: dict[str, tuple[str, dict[str, Any]]] = {}
        self._local = threading.local()
        self._config: Path | None = None
        self._tree: Any = None
        self._polygons: dict[tuple[str, int], tuple[weakref.ref, list]] = {}

    # ------------------------------------------------------------------ data

    def folder(self) -> Path:
        """Where this network's Valhalla tiles live (keyed by the extract's content and Valhalla's version)."""
        h = hashlib.sha256()
        h.update(_valhalla_version().encode())
        h.update(json.dumps(_MJOLNIR, sort_keys=True).encode())
        h.update(_LAYOUT.encode())
        with self.source.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return self.root / f"{self.source.name.split('.')[0]}-{h.hexdigest()[:20]}"

    def prepare(self, router: Router | None = None) -> Path:
        """Build (once) the network's Valhalla tiles; the path of their config file (any profile: all share them)."""
        if self._config is not None:
            return self._config
        with self._lock:
            if self._config is None:
                self._config = self._build()
        return self._config

    def _build(self) -> Path:
        folder = self.folder()
        config = folder / "valhalla.json"
        if not (folder / "tiles.tar").is_file():
            tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}-{threading.get_ident()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            (tmp / "valhalla.json").write_text(json.dumps(_config(tmp)))
            with stage(f"building Valhalla's tiles for {self.network.name}"):
                run_tool([_bin("valhalla_build_tiles"), "-c", str(tmp / "valhalla.json"), str(self.source.resolve())])
                # one tar of every tile: memory-mapped, so every actor (thread) and process shares one copy
                run_tool(
                    [sys.executable, "-m", "valhalla.valhalla_build_extract", "-c", str(tmp / "valhalla.json"), "-O"]
                )
            shutil.rmtree(tmp / "tiles")
            try:
                tmp.rename(folder)
            except OSError:  # another process finished first: use its folder
                shutil.rmtree(tmp, ignore_errors=True)
        written = json.loads(config.read_text())["mjolnir"]["tile_extract"] if config.exists() else None
        if written != str(folder / "tiles.tar"):
            part = folder / f"valhalla.json.{os.getpid()}-{threading.get_ident()}"
            part.write_text(json.dumps(_config(folder)))
            part.replace(config)
        return config

    def actor(self) -> Any:
        """This thread's `valhalla.Actor` (an actor serves one request at a time)."""
        actor = getattr(self._local, "actor", None)
        if actor is None:
            actor = self._local.actor = _valhalla().Actor(str(self.prepare()))
        return actor

    # ------------------------------------------------------------------ requests

    def request(self, router: Router, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None) -> dict[str, Any]:
        """Valhalla's route request for one leg of ``router``'s profile under the closures in ``edge_cost``."""
        costing, options = self.costing.get(router.profile.name) or costing_for(router.profile)
        req: dict[str, Any] = {
            "locations": [{"lat": a.lat, "lon": a.lon, "type": "break"}, {"lat": b.lat, "lon": b.lon, "type": "break"}],
            "costing": costing,
            "costing_options": {costing: options},
            "directions_type": "none",
            "shape_format": "polyline6",
        }
        polygons = self.closure_polygons(router, edge_cost)
        if polygons:
            req["exclude_polygons"] = polygons
        return req

    def closure_polygons(self, router: Router, edge_cost: np.ndarray | None) -> list[list[list[float]]]:
        """Valhalla's ``exclude_polygons`` for the segments ``edge_cost`` closes (kept while the array lives)."""
        if edge_cost is None or edge_cost is router.cost:
            return []
        key = (router.profile.name, id(edge_cost))
        known = self._polygons.get(key)
        if known is not None and known[0]() is edge_cost:
            return known[1]
        closed = np.isinf(edge_cost) & np.isfinite(router.cost)
        segs = np.unique(np.flatnonzero(closed) // 2)
        rings = [self._square(int(s)) for s in segs.tolist()]
        with self._lock:
            self._polygons = {k: v for k, v in self._polygons.items() if v[0]() is not None}
            self._polygons[key] = (weakref.ref(edge_cost), rings)
        return rings

    def _square(self, s: int) -> list[list[float]]:
        """A ring of `CLOSURE_HALF_M` around the middle of segment ``s``'s longest straight stretch."""
        net = self.network
        return self._ring(net.xy[net.offsets[s] : net.offsets[s + 1]])

    def _ring(self, xy: np.ndarray) -> list[list[float]]:
        """A square of `CLOSURE_HALF_M` around the middle of the longest straight stretch of line ``xy`` (metres).

        Valhalla leaves out every edge the ring touches: the middle of a stretch is no node, so
        no crossing street is touched with it.
        """
        k = int(np.argmax(np.hypot(*(xy[1:] - xy[:-1]).T))) if len(xy) > 1 else 0
        cx, cy = (xy[k] + xy[min(k + 1, len(xy) - 1)]) / 2
        h = CLOSURE_HALF_M
        xs = np.array([cx - h, cx + h, cx + h, cx - h, cx - h])
        ys = np.array([cy - h, cy - h, cy + h, cy + h, cy - h])
        lon, lat = self.network.unproject(xs, ys)
        return [[round(float(x), 7), round(float(y), 7)] for x, y in zip(lon, lat, strict=True)]

    # ------------------------------------------------------------------ search

    def leg(
        self, router: Router, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None
    ) -> tuple[float, list[Piece]]:
        """Cheapest legal way from ``a`` to ``b`` as Valhalla finds it: (bikemap's cost, pieces), as `Router.leg`.

        Where Valhalla's route rides a stretch bikemap's network lacks or forbids (Valhalla's
        access rules are its own), the stretch is excluded and Valhalla asked again, up to
        `RETRIES` times.
        """
        cost = router.cost if edge_cost is None else edge_cost
        if router.piece_of(a) is not None or router.piece_of(b) is not None:
            # a point on a small cut-off piece: bikemap decides that in `route_pieces`, so it stays here
            return router.own_leg(a, b, edge_cost=edge_cost)
        avoid: list[list[list[float]]] = []
        for _ in range(1 + RETRIES):
            req = self.request(router, a, b, edge_cost=edge_cost)
            if avoid:
                req["exclude_polygons"] = req.get("exclude_polygons", []) + avoid
            try:
                answer = self.actor().route(req)
            except RuntimeError as exc:  # valhalla.ValhallaError: no route, no street near a point
                # bikemap's search says whether there truly is none (NoRouteError)
                found = router.own_leg(a, b, edge_cost=edge_cost)
                self._fell_back(f"Valhalla found no route ({exc}); bikemap's engine did")
                return found
            leg = answer["trip"]["legs"][0]
            pieces, unusable = self.pieces(a, b, leg["shape"], 1000 * float(leg["summary"]["length"]), cost)
            if pieces is not None:
                total = sum(p.value(cost) for p in pieces)
                return float(total), [p for p in pieces if p.share > 0] or pieces[:1]
            if not unusable:
                stitched = self._stitched(router, a, b, leg["shape"], cost)
                if stitched is not None:
                    return stitched
                break
            avoid += unusable
        self._fell_back("Valhalla's leg does not map onto the network; searched by bikemap's engine")
        return router.own_leg(a, b, edge_cost=edge_cost)

    def _stitched(self, router: Router, a: Snap, b: Snap, shape: str, cost: np.ndarray) -> tuple | None:
        """Valhalla's route joined to ``a`` and ``b`` by bikemap's search, where Valhalla started or ended elsewhere.

        A point bikemap places on a way Valhalla does not let a bicycle use (a footway bikemap
        pushes along, a tunnel) is left by Valhalla from the nearest street it may use. Then
        bikemap's engine rides from ``a`` to the first of bikemap's junctions on Valhalla's
        route (and from the last to ``b``), and Valhalla's route between them is mapped as
        always (its length checked against the same stretch of Valhalla's shape). Counted in
        ``stitched``; None when it does not fit either.
        """
        net = self.network
        junctions, along, _, _ = self._shape_junctions(shape)
        if len(junctions) < 2:
            return None
        nodes = {n for n, _ in junctions}
        ends_a = {int(net.seg_u[a.seg]), int(net.seg_v[a.seg])}
        ends_b = {int(net.seg_u[b.seg]), int(net.seg_v[b.seg])}
        start = a if ends_a & nodes else self._snap_at(junctions[0][0])
        end = b if ends_b & nodes else self._snap_at(junctions[-1][0])
        if start is a and end is b:
            return None
        m0 = 0.0 if start is a else junctions[0][1]
        m1 = along[-1] if end is b else junctions[-1][1]
        middle = pieces_along(net, self._pairs, start, end, junctions, m1 - m0, cost)
        if middle is None or not self._fits(middle, m1 - m0, cost):
            return None
        try:
            head = router.own_leg(a, start, edge_cost=cost)[1] if start is not a else []
            tail = router.own_leg(end, b, edge_cost=cost)[1] if end is not b else []
        except BikemapError:
            return None
        pieces = [p for p in (*head, *middle, *tail) if p.share > 0] or middle[:1]
        total = sum(p.value(cost) for p in pieces)
        if not np.isfinite(total):
            return None
        with self._lock:
            self.stitched += 1
        return float(total), pieces

    def _snap_at(self, node: int) -> Snap:
        """A snap on junction ``node`` (at the end of a segment that meets it)."""
        net = self.network
        out = np.flatnonzero(net.seg_u == node)
        s, frac = (int(out[0]), 0.0) if len(out) else (int(np.flatnonzero(net.seg_v == node)[0]), 1.0)
        lon, lat = float(net.node_lon[node]), float(net.node_lat[node])
        return Snap(s, frac, lon, lat, lon, lat, 0.0)

    def pieces(
        self, a: Snap, b: Snap, shape: str, distance: float, cost: np.ndarray
    ) -> tuple[list[Piece] | None, list[list[list[float]]]]:
        """Valhalla's route shape (polyline6) as bikemap pieces, or None and the stretches that do not fit.

        The pieces' length must be Valhalla's ``distance`` (metres) within `LENGTH_TOLERANCE`, and
        every piece be allowed by ``cost``. The stretches (rings for ``exclude_polygons``) are
        those between two junctions that no segment of bikemap's joins under ``cost``.
        """
        net = self.network
        junctions, _, xy, at = self._shape_junctions(shape)
        pieces = pieces_along(net, self._pairs, a, b, junctions, distance, cost)
        if pieces is None:
            unusable = [
                self._ring(xy[at[i] : at[i + 1] + 1])
                for i in range(len(junctions) - 1)
                if segment_between(net, self._pairs, junctions[i][0], junctions[i + 1][0], 0.0, cost) is None
            ]
            return None, unusable
        return (pieces if self._fits(pieces, distance, cost) else None), []

    def _fits(self, pieces: list[Piece], distance: float, cost: np.ndarray) -> bool:
        """Whether ``pieces`` are as long as Valhalla's ``distance`` (`LENGTH_TOLERANCE`) and allowed by ``cost``."""
        length = sum(float(self.network.seg_length[p.seg]) * p.share for p in pieces)
        if abs(length - distance) > LENGTH_SLACK_M + LENGTH_TOLERANCE * distance:
            log.info("valhalla: mapped leg %.0f m, Valhalla's %.0f m", length, distance)
            return False
        return bool(np.isfinite(sum(p.value(cost) for p in pieces)))

    def _shape_junctions(self, shape: str) -> tuple[list[tuple[int, float]], np.ndarray, np.ndarray, list[int]]:
        """bikemap's junctions on Valhalla's shape: (node, metres along), metres at each shape point,
        the shape in local metres, and the shape index of each junction."""
        from valhalla.midgard.utils import decode_polyline

        net = self.network
        pts = np.asarray(decode_polyline(shape, 6, "lnglat"), dtype=np.float64).reshape(-1, 2)
        steps = haversine_m(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1]) if len(pts) > 1 else np.zeros(0)
        along = np.concatenate([[0.0], np.cumsum(steps)])
        xy = np.column_stack(net.project(pts[:, 0], pts[:, 1])) if len(pts) else np.zeros((0, 2))
        junctions: list[tuple[int, float]] = []
        at: list[int] = []
        if len(pts):
            gap, node = self._junctions().query(xy, distance_upper_bound=JUNCTION_M)
            for k in np.flatnonzero(np.isfinite(gap)).tolist():
                n = int(node[k])
                if not junctions or junctions[-1][0] != n:
                    junctions.append((n, float(along[k])))
                    at.append(k)
        return junctions, along, xy, at

    def _junctions(self) -> Any:
        """A k-d tree of the network's junctions in local metres."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            x, y = self.network.project(self.network.node_lon, self.network.node_lat)
            self._tree = cKDTree(np.column_stack([x, y]))
        return self._tree


def _config(folder: Path) -> dict[str, Any]:
    """Valhalla's configuration for the tiles in ``folder`` (``tiles/``, then ``tiles.tar``):
    ``valhalla_build_config``'s defaults, quiet, and room for bikemap's closures (many small
    ``exclude_polygons``) and a country's distances."""
    config = _valhalla().get_config(tile_extract="", tile_dir="", verbose=False)
    config["mjolnir"].update(_MJOLNIR, tile_dir=str(folder / "tiles"), tile_extract=str(folder / "tiles.tar"))
    limits = config["service_limits"]
    limits["max_exclude_polygons_length"] = 10_000_000
    limits["max_exclude_polygons_vertices"] = 1_000_000
    for mode in ("bicycle", "pedestrian"):
        limits[mode]["max_distance"] = max(float(limits[mode]["max_distance"]), 5_000_000.0)
    return config  # type: ignore[no-any-return]


def _bin(name: str) -> str:
    return str(Path(_valhalla().__file__).parent / "bin" / name)


def _valhalla_version() -> str:
    from importlib.metadata import version

    return version("pyvalhalla")
