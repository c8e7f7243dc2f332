"""Route planning on a `Network`: snapping, search, and the GeoJSON result.

>>> from routes import load_network, route                     # doctest: +SKIP
>>> net = load_network("demo")                                  # doctest: +SKIP
>>> feature = route(net, [(60.1699, 24.9384), (60.1618, 24.9510)])  # doctest: +SKIP
>>> feature["properties"]["distance_m"]                         # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from . import settings
from ._search import bidirectional, one_to_many
from .budget import check_budget
from .errors import InvalidValueError, NoRouteError, OffNetworkError, TooBigError
from .geo import check_latlon
from .instructions import build_instructions
from .network import Network
from .profiles import PUSH, Profile, get_profile, is_main_road
from .surfaces import surface_properties

__all__ = ["Piece", "Router", "Snap", "route", "route_pieces"]

#: Strongly connected pieces smaller than this many junctions (or than half the
#: largest piece, on a small extract) are avoided when snapping: they are mapping
#: errors or places cut off from the streets (an isolated footway, a car park, an
#: underground mall). OSRM's default for the same rule is 1000.
SMALL_COMPONENT = 1000


@dataclass(frozen=True)
class Snap:
    """A point placed on the network: segment ``seg`` at fraction ``frac`` of its length."""

    seg: int
    frac: float
    lon: float
    lat: float
    input_lon: float
    input_lat: float
    distance_m: float


@dataclass(frozen=True)
class Piece:
    """A stretch of one segment from fraction ``f0`` to ``f1`` (``f0 > f1``: against the way)."""

    seg: int
    f0: float
    f1: float

    @property
    def edge(self) -> int:
        return 2 * self.seg + (1 if self.f1 < self.f0 else 0)

    @property
    def share(self) -> float:
        return abs(self.f1 - self.f0)

    def value(self, per_edge: np.ndarray) -> float:
        """``per_edge[edge] * share``: this piece's part of a per-edge cost or duration.

        An empty piece (a point at a junction, or two equal points) is worth 0,
        whichever way its segment may be ridden.
        """
        return float(per_edge[self.edge]) * self.share if self.share > 0 else 0.0


def direct_piece(a: Snap, b: Snap, cost: np.ndarray) -> Piece | None:
    """The piece from ``a`` to ``b`` along their one segment, if they share one and may ride it."""
    if a.seg != b.seg:
        return None
    piece = Piece(a.seg, a.frac, b.frac)
    return piece if piece.share == 0 or np.isfinite(cost[piece.edge]) else None


def point_name(what: str) -> str:
    """How an error names a point: ``"to"`` -> "the destination", ``"via 2"`` -> "via point 2"."""
    if what in _POINT_NAMES:
        return _POINT_NAMES[what]
    if what.startswith("via "):
        return f"via point {what[4:]}"
    return what


_POINT_NAMES = {"from": "the start", "to": "the destination"}


class Router:
    """The compact, warm form of a network for one profile.

    Forward and backward adjacency arrays (CSR) over directed edges, the cost
    and duration of every directed edge, and a spatial index of the routable
    segments for snapping. Built once per network and profile, then shared by
    every request (it is read-only; per-request cost changes are passed as a
    separate array, see ``edge_cost`` in `route_pieces`).
    """

    def __init__(self, network: Network, profile: Profile):
        from .profiles import edge_costs

        self.network = network
        self.profile = profile
        self.duration, self.cost, self.access = edge_costs(network.classes, network.seg_length, profile)
        n = network.n_nodes
        self.n = n
        src = np.empty(2 * network.n_segments, dtype=np.int64)
        dst = np.empty_like(src)
        src[0::2], src[1::2] = network.seg_u, network.seg_v
        dst[0::2], dst[1::2] = network.seg_v, network.seg_u
        self.src, self.dst = src, dst
        usable = np.flatnonzero(np.isfinite(self.cost))
        self.f_ptr, self.f_adj, self.f_edge = _csr(n, src[usable], dst[usable], usable)
        self.b_ptr, self.b_adj, self.b_edge = _csr(n, dst[usable], src[usable], usable)
        # strongly connected components: prefer snapping onto the big ones
        from scipy.sparse import csr_matrix  # imported here: a cached CLI route starts faster without it
        from scipy.sparse.csgraph import connected_components

        graph = csr_matrix((np.ones(len(usable)), (src[usable], dst[usable])), shape=(n, n))
        _, labels = connected_components(graph, directed=True, connection="strong")
        sizes = np.bincount(labels)
        big_node = sizes[labels] >= min(SMALL_COMPONENT, max(1, sizes.max() // 2))
        seg_ok = np.isfinite(self.cost[0::2]) | np.isfinite(self.cost[1::2])
        # both ends on the big piece: a oneway stub hanging off it (entered only from a dead end) is not
        seg_big = seg_ok & big_node[network.seg_u] & big_node[network.seg_v]
        self.seg_big = seg_big
        self._piece = labels  # per node, its strongly connected piece
        self._big_node = big_node
        xy, off = network.xy, network.offsets
        lines = shapely.linestrings(xy, indices=np.repeat(np.arange(network.n_segments), np.diff(off)))
        self._lines = lines
        self._ids_all = np.flatnonzero(seg_ok)
        self._ids_big = np.flatnonzero(seg_big)
        self._tree_all = shapely.STRtree(lines[self._ids_all])
        self._tree_big = shapely.STRtree(lines[self._ids_big])
        self._proj_len = shapely.length(lines)

    # ------------------------------------------------------------------ snapping

    def snap(
        self,
        lat: float,
        lon: float,
        *,
        what: str = "point",
        max_snap_m: float | None = None,
        edge_cost: np.ndarray | None = None,
        avoid_small: bool = False,
    ) -> Snap:
        """Place a point on the nearest routable street (not merely the nearest junction).

        With ``edge_cost`` (closures), streets closed in both directions are passed over.
        With ``avoid_small``, streets of small disconnected pieces (see `SMALL_COMPONENT`)
        are passed over while a street of the big network lies within the limit: a caller
        that has found the nearest street cut off from where it goes (`route_pieces`) asks
        again this way. Without it the point goes to the nearest usable street, as OSRM's
        and GraphHopper's snapping does, so no point moves farther than it must.
        """
        check_latlon(lat, lon, what=what)
        limit = settings.max_snap_m if max_snap_m is None else max_snap_m
        if not (isinstance(limit, (int, float)) and math.isfinite(limit) and limit > 0):
            raise InvalidValueError(f"the snapping distance must be a positive number of metres, got {limit}")
        x, y = self.network.project(lon, lat)
        pt = shapely.Point(float(x), float(y))
        trees = ((self._tree_big, self._ids_big), (self._tree_all, self._ids_all))
        for tree, ids in trees if avoid_small else trees[1:]:
            if len(ids) == 0:
                continue
            hit, dist = tree.query_nearest(pt, max_distance=limit, return_distance=True)
            if len(hit) and edge_cost is not None and not self._open(int(ids[hit[0]]), edge_cost):
                hit, dist = self._nearest_open(tree, ids, pt, limit, edge_cost)
            if len(hit):
                seg = int(ids[hit[0]])
                break
        else:
            hit, dist = self._tree_all.query_nearest(pt, return_distance=True) if len(self._ids_all) else ([], [])
            far = f"{dist[0]:.0f} m" if len(dist) else "far"
            exc = OffNetworkError(
                f"{point_name(what)} ({lat:.6f},{lon:.6f}) is {far} from the nearest street the "
                f"'{self.profile.name}' profile can use; the limit is {limit:.0f} m"
            )
            exc.details = {"point": what, "distance_m": round(float(dist[0]), 1) if len(dist) else None}
            raise exc
        line = self._lines[seg]
        along = line.project(pt)
        length = self._proj_len[seg]
        frac = float(along / length) if length > 0 else 0.0
        on = line.interpolate(along)
        slon, slat = self.network.unproject(on.x, on.y)
        return Snap(seg, min(max(frac, 0.0), 1.0), float(slon), float(slat), lon, lat, float(dist[0]))

    def piece_of(self, s: Snap) -> int | None:
        """The small strongly connected piece a snap lies on (an id), or None on the big network."""
        if self.seg_big[s.seg]:
            return None
        u, v = self.network.seg_u[s.seg], self.network.seg_v[s.seg]
        return int(self._piece[v if self._big_node[u] else u])  # the end off the big network

    @staticmethod
    def _open(seg: int, edge_cost: np.ndarray) -> bool:
        return bool(np.isfinite(edge_cost[2 * seg]) or np.isfinite(edge_cost[2 * seg + 1]))

    def _nearest_open(self, tree, ids, pt, limit, edge_cost):
        """Like ``query_nearest``, skipping segments ``edge_cost`` closes."""
        cand = tree.query(pt, predicate="dwithin", distance=limit)
        if len(cand) == 0:
            return cand, np.array([])
        d = shapely.distance(tree.geometries[cand], pt)
        for k in np.argsort(d, kind="stable"):
            if self._open(int(ids[cand[k]]), edge_cost):
                return cand[k : k + 1], d[k : k + 1]
        return cand[:0], d[:0]

    # ------------------------------------------------------------------ search

    def _out_seeds(self, s: Snap, cost: np.ndarray) -> list[tuple[int, float, Piece]]:
        seeds = []
        if np.isfinite(cost[2 * s.seg]):
            seeds.append((int(self.network.seg_v[s.seg]), cost[2 * s.seg] * (1 - s.frac), Piece(s.seg, s.frac, 1.0)))
        if np.isfinite(cost[2 * s.seg + 1]):
            seeds.append((int(self.network.seg_u[s.seg]), cost[2 * s.seg + 1] * s.frac, Piece(s.seg, s.frac, 0.0)))
        return seeds + self._end_seeds(s)

    def _in_seeds(self, s: Snap, cost: np.ndarray) -> list[tuple[int, float, Piece]]:
        seeds = []
        if np.isfinite(cost[2 * s.seg]):
            seeds.append((int(self.network.seg_u[s.seg]), cost[2 * s.seg] * s.frac, Piece(s.seg, 0.0, s.frac)))
        if np.isfinite(cost[2 * s.seg + 1]):
            seeds.append(
                (int(self.network.seg_v[s.seg]), cost[2 * s.seg + 1] * (1 - s.frac), Piece(s.seg, 1.0, s.frac))
            )
        return seeds + self._end_seeds(s)

    def _end_seeds(self, s: Snap) -> list[tuple[int, float, Piece]]:
        """A snap at a segment's end is at that junction, whatever the segment's oneway rules.

        Without this, a point on a junction that snaps onto a oneway leading into
        a dead end (the edge of an extract) finds no route although the junction
        connects everywhere.
        """
        if s.frac <= 0.0:
            return [(int(self.network.seg_u[s.seg]), 0.0, Piece(s.seg, 0.0, 0.0))]
        if s.frac >= 1.0:
            return [(int(self.network.seg_v[s.seg]), 0.0, Piece(s.seg, 1.0, 1.0))]
        return []

    def leg(self, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None) -> tuple[float, list[Piece]]:
        """Cheapest legal way from snap ``a`` to snap ``b``: (cost, pieces)."""
        cost = self.cost if edge_cost is None else edge_cost
        out, inn = self._out_seeds(a, cost), self._in_seeds(b, cost)
        best, pieces = math.inf, []
        direct = direct_piece(a, b, cost)  # both on one segment: maybe just ride along it
        if direct is not None:
            best, pieces = direct.value(cost), [direct]
        if out and inn:
            total, edges = self.node_path(
                [s[0] for s in out], [s[1] for s in out], [s[0] for s in inn], [s[1] for s in inn], edge_cost=cost
            )
            if total < best:
                if edges:
                    first, last = self.src[edges[0]], self.dst[edges[-1]]
                    start = min((s for s in out if s[0] == first), key=lambda s: s[1])
                    end = min((s for s in inn if s[0] == last), key=lambda s: s[1])
                else:  # the searches met at a node both points reach directly
                    pairs = [(o, i) for o in out for i in inn if o[0] == i[0]]
                    start, end = min(pairs, key=lambda p: p[0][1] + p[1][1])
                best = total
                pieces = [
                    start[2],
                    *(Piece(e // 2, 0.0, 1.0) if e % 2 == 0 else Piece(e // 2, 1.0, 0.0) for e in edges),
                    end[2],
                ]
        if not math.isfinite(best):
            raise NoRouteError(
                f"no legal route with the '{self.profile.name}' profile between "
                f"({a.input_lat:.6f},{a.input_lon:.6f}) and ({b.input_lat:.6f},{b.input_lon:.6f})"
            )
        return float(best), [p for p in pieces if p.share > 0] or pieces[:1]

    def node_path(self, src_nodes, src_costs, dst_nodes, dst_costs, *, edge_cost=None) -> tuple[float, list[int]]:
        """Cheapest path between seed node sets: (cost, directed edge ids); ``inf`` if none."""
        cost = self.cost if edge_cost is None else edge_cost
        best, meet, f_pred, b_pred = bidirectional(
            self.n,
            self.f_ptr,
            self.f_adj,
            self.f_edge,
            self.b_ptr,
            self.b_adj,
            self.b_edge,
            cost,
            np.asarray(src_nodes, np.int64),
            np.asarray(src_costs, np.float64),
            np.asarray(dst_nodes, np.int64),
            np.asarray(dst_costs, np.float64),
        )
        if meet < 0 or not math.isfinite(best):
            return math.inf, []
        edges: list[int] = []
        node = meet
        while f_pred[node] >= 0:
            e = int(f_pred[node])
            edges.append(e)
            node = self.src[e]
        edges.reverse()
        node = meet
        while b_pred[node] >= 0:
            e = int(b_pred[node])
            edges.append(e)
            node = self.dst[e]
        return float(best), edges

    def costs_from(self, seeds_nodes, seeds_costs, targets, *, reverse=False, edge_cost=None, limit=math.inf):
        """One-to-many (``reverse=True``: many-to-one) costs from seed nodes to ``targets``.

        Returns the cost array over all nodes and the predecessor edge array.
        """
        cost = self.cost if edge_cost is None else edge_cost
        ptr, adj, edge = (self.b_ptr, self.b_adj, self.b_edge) if reverse else (self.f_ptr, self.f_adj, self.f_edge)
        return one_to_many(
            self.n,
            ptr,
            adj,
            edge,
            cost,
            np.asarray(seeds_nodes, np.int64),
            np.asarray(seeds_costs, np.float64),
            np.asarray(targets, np.int64),
            float(limit),
        )


def _csr(n: int, a: np.ndarray, b: np.ndarray, ids: np.ndarray):
    order = np.argsort(a, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=ptr[1:])
    return ptr, b[order].astype(np.int64), ids[order].astype(np.int64)


# --------------------------------------------------------------------------- the route


def route_pieces(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    profile: str | Profile = "safe",
    edge_cost: np.ndarray | None = None,
    max_snap_m: float | None = None,
) -> tuple[Router, list[Snap], list[list[Piece]]]:
    """Snap ``points`` ((lat, lon), first=from, last=to, vias between) and route every leg."""
    if len(points) < 2:
        raise NoRouteError("a route needs at least a start and an end point")
    if len(points) - 2 > settings.max_via:
        raise TooBigError(f"at most {settings.max_via} via points, got {len(points) - 2}")
    router = network.router(get_profile(profile))
    names = ["from", *(f"via {i}" for i in range(1, len(points) - 1)), "to"]
    snaps = [
        router.snap(lat, lon, what=name, max_snap_m=max_snap_m, edge_cost=edge_cost)
        for (lat, lon), name in zip(points, names, strict=False)
    ]
    for _ in range(len(snaps)):
        legs: list[list[Piece]] = []
        try:
            for a, b in zip(snaps, snaps[1:], strict=False):
                check_budget("this route")  # routes.budget: the caller's time cap, between legs
                legs.append(router.leg(a, b, edge_cost=edge_cost)[1])
            break
        except NoRouteError:
            # the nearest street may lie on a small piece cut off from the other point (a footway
            # island, a car park): only now do the points on that piece move on to the big network
            i = len(legs)
            pieces = {router.piece_of(snaps[k]) for k in (i, i + 1)} - {None}
            if not pieces:
                raise
            before = list(snaps)
            for k, (lat, lon) in enumerate(points):
                if router.piece_of(snaps[k]) in pieces:
                    snaps[k] = router.snap(
                        lat, lon, what=names[k], max_snap_m=max_snap_m, edge_cost=edge_cost, avoid_small=True
                    )
            if snaps == before:  # nowhere better within reach: the trip truly has no route
                raise
    else:
        legs = []
        for a, b in zip(snaps, snaps[1:], strict=False):
            check_budget("this route")
            legs.append(router.leg(a, b, edge_cost=edge_cost)[1])
    return router, snaps, legs


def route(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    profile: str | Profile = "safe",
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    max_snap_m: float | None = None,
) -> dict[str, Any]:
    """Plan a route through ``points`` and return it as a GeoJSON Feature.

    Parameters
    ----------
    network
        From `routes.load_network`.
    points
        ``(lat, lon)`` pairs: start, any via points in order, end.
    profile
        A profile name from ``routes/data/profiles.toml`` (``safe``, ``fast``...).
    lang
        Language of the turn-by-turn text (``en`` or ``id``).
    edge_cost
        Optional per-directed-edge cost array replacing the profile's (closures).
    max_snap_m
        Farthest a point may lie from a street (default `routes.settings.max_snap_m`).

    Returns
    -------
    dict
        A GeoJSON Feature with a LineString and the route's properties.
    """
    router, snaps, legs = route_pieces(network, points, profile=profile, edge_cost=edge_cost, max_snap_m=max_snap_m)
    return feature_from_legs(router, snaps, legs, lang=lang, edge_cost=edge_cost)


def piece_coords(network: Network, piece: Piece) -> np.ndarray:
    """(lon, lat) coordinates of a piece, in travel order; (lon, lat, ele) if the network has heights."""
    span = slice(network.offsets[piece.seg], network.offsets[piece.seg + 1])
    if piece.share == 1.0:  # a whole segment: its own coordinates, exactly
        c = network.coords[span]
        if network.ele is not None:
            c = np.column_stack([c, network.ele[span]])
        return c[::-1] if piece.f1 < piece.f0 else c
    xy = network.xy[span]
    if network.ele is not None:  # heights ride along as a third column
        xy = np.column_stack([xy, network.ele[span]])
    lo, hi = sorted((piece.f0, piece.f1))
    seglen = np.hypot(*np.diff(xy[:, :2], axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    total = cum[-1]
    if total <= 0:
        out = xy[:1]
    else:
        a, b = lo * total, hi * total
        inner = xy[(cum > a) & (cum < b)]
        start = [np.interp(a, cum, col) for col in xy.T]
        end = [np.interp(b, cum, col) for col in xy.T]
        out = np.vstack([start, inner, end]) if len(inner) else np.array([start, end])
    if piece.f1 < piece.f0:
        out = out[::-1]
    lon, lat = network.unproject(out[:, 0], out[:, 1])
    return np.column_stack([lon, lat, *out.T[2:]])


def feature_from_legs(
    router: Router,
    snaps: list[Snap],
    legs: list[list[Piece]],
    *,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
) -> dict[str, Any]:
    """Assemble the GeoJSON Feature of a routed plan (``cost`` under ``edge_cost`` when given)."""
    net = router.network
    classes = net.classes
    coords: list[list[float]] = []
    highway_m: dict[str, float] = {}
    surface_m: dict[str, float] = {}
    totals = {"distance": 0.0, "duration": 0.0, "cost": 0.0, "infra": 0.0, "main": 0.0, "push": 0.0}
    leg_props, steps_in = [], []
    for li, pieces in enumerate(legs):
        leg_d = leg_t = 0.0
        for _k, p in enumerate(pieces):
            e = p.edge
            dist = float(net.seg_length[p.seg] * p.share)
            dur = p.value(router.duration)
            leg_d += dist
            leg_t += dur
            totals["cost"] += p.value(router.cost if edge_cost is None else edge_cost)
            tags, cls = net.tags[p.seg], classes[p.seg]
            hw = tags.get("highway", "unknown")
            highway_m[hw] = highway_m.get(hw, 0.0) + dist
            sf = tags.get("surface", "unknown")
            surface_m[sf] = surface_m.get(sf, 0.0) + dist
            pushed = router.access[e] == PUSH
            if pushed:
                totals["push"] += dist
            elif cls.infra:
                totals["infra"] += dist
            elif is_main_road(cls.cls):
                totals["main"] += dist
            pc = piece_coords(net, p)
            for c in pc.tolist():
                if not coords or abs(coords[-1][0] - c[0]) > 1e-9 or abs(coords[-1][1] - c[1]) > 1e-9:
                    coords.append(c)
            steps_in.append(
                {
                    "coords": pc[:, :2],
                    "tags": tags,
                    "cls": cls.cls,
                    "push": bool(pushed),
                    "distance": dist,
                    "duration": dur,
                    "leg": li,
                }
            )
        totals["distance"] += leg_d
        totals["duration"] += leg_t
        leg_props.append({"distance_m": round(leg_d, 1), "duration_s": round(leg_t, 1)})
    if len(coords) == 1:
        coords.append(list(coords[0]))
    roles = ["from", *["via"] * (len(snaps) - 2), "to"]
    waypoints = [
        {
            "role": r,
            "input": [s.input_lon, s.input_lat],
            "location": [round(s.lon, 7), round(s.lat, 7)],
            "distance_m": round(s.distance_m, 1),
            "snapped_m": round(s.distance_m, 1),
            "moved": bool(s.distance_m > settings.snap_note_m),
        }
        for r, s in zip(roles, snaps, strict=False)
    ]
    line = [[round(c[0], 7), round(c[1], 7)] for c in coords]
    hills = _hills(line, coords) if net.ele is not None else {}
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": {
            "profile": router.profile.name,
            "distance_m": round(totals["distance"], 1),
            "duration_s": round(totals["duration"], 1),
            "cost": round(totals["cost"], 1),
            "highway_m": {k: round(v, 1) for k, v in sorted(highway_m.items(), key=lambda kv: -kv[1])},
            "surface_m": {k: round(v, 1) for k, v in sorted(surface_m.items(), key=lambda kv: -kv[1])},
            **surface_properties(net, legs),  # paved, gravel, unpaved, unknown: routes.surfaces
            "cycle_infra_m": round(totals["infra"], 1),
            "main_road_m": round(totals["main"], 1),
            "push_m": round(totals["push"], 1),
            **hills,
            "legs": leg_props,
            "waypoints": waypoints,
            "instructions": build_instructions(steps_in, net, lang=lang, n_legs=len(legs)),
        },
    }


def _hills(line: list[list[float]], coords: list[list[float]]) -> dict[str, Any]:
    """Climbing properties of a route; puts the height on every position of ``line``."""
    from .elevation import route_elevation

    hills = route_elevation(coords)
    if hills is None:
        return {"ascent_m": None, "descent_m": None, "max_grade_pct": None, "elevation_profile": None}
    for pos, z in zip(line, hills.pop("ele"), strict=False):
        pos.append(round(float(z), 1))
    return hills
