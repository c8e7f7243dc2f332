"""Route planning on a `Network`: snapping, search, and the GeoJSON result.

Examples
--------
>>> from routes import load_network, route                     # doctest: +SKIP
>>> net = load_network("demo")                                  # doctest: +SKIP
>>> feature = route(net, [(60.1699, 24.9384), (60.1618, 24.9510)])  # doctest: +SKIP
>>> feature["properties"]["distance_m"]                         # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import shapely

from . import settings
from ._csr import csr, edge_ends, index_type
from ._pieces import SMALL_COMPONENT, big_pieces, cost_bound, strong_pieces
from ._snapgrid import locate_on_segment, nearest_distance, nearest_segment, network_grid
from ._turns import Ride, TurnGraph
from .budget import check_budget
from .errors import InvalidValueError, NoRouteError, OffNetworkError, TooBigError
from .geo import check_latlon
from .instructions import Stretches, build_instructions
from .network import Network
from .profiles import PUSH, Profile, get_profile, is_main_road, pushed_turn_cost, pushed_turn_seconds
from .restrictions import turn_bans
from .surfaces import SURFACE_CLASSES, surface_class, surface_summary

if TYPE_CHECKING:
    from ._search import TreeWorkspace, Workspace

__all__ = ["SMALL_COMPONENT", "Piece", "Ride", "Router", "Snap", "route", "route_legs", "route_pieces"]


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


class Piece(NamedTuple):
    """A stretch of one segment from fraction ``f0`` to ``f1`` (``f0 > f1``: against the way).

    A named tuple: a route makes one per street it rides, and a tuple is made in half
    the time of a frozen dataclass.
    """

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


_WAYS = ((0.0, 1.0), (1.0, 0.0))  # a whole segment along its way (even edge ids), against it (odd)


def whole_pieces(edges: Sequence[int]) -> list[Piece]:
    """The pieces riding directed ``edges`` whole, in order (tuples made directly: a route has one per street)."""
    new = tuple.__new__
    return [new(Piece, (e >> 1, *_WAYS[e & 1])) for e in edges]


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


class _Shared:
    """What every profile's router of one network shares: the directed graph, the geometry and its index.

    Built once per network (and process); a profile only adds its costs and a few
    per-segment flags. Unusable edges stay in the adjacency with an infinite cost,
    which the searches never relax.
    """

    def __init__(self, network: Network):
        n = network.n_nodes
        self.src, self.dst = edge_ends(network)  # 32-bit ids where they fit (issue #19)
        # snapping: the cache's memory-mapped grid (routes._snapgrid), made now for a network built by hand
        self.grid = network_grid(network)
        self._network = network
        self.n = n
        self._hierarchy: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The plain graph's forward and backward CSR: (f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge).

        Made on first use: where turns are restricted the searches between points walk the split
        graph (`routes._turns`), and only one-to-many searches (tours, alternatives, reach) walk
        this one, so a server that answers routes never makes it (issue #19).
        """
        adj = getattr(self, "_adjacency", None)
        if adj is None:
            with self._lock:
                adj = getattr(self, "_adjacency", None)
                if adj is None:
                    src, dst = self.src, self.dst
                    every = np.arange(len(src), dtype=index_type(len(src)))
                    adj = self._adjacency = (*csr(self.n, src, dst, every), *csr(self.n, dst, src, every))
        return adj

    @property
    def lines(self) -> np.ndarray:
        """Every segment as a shapely LineString in local metres (map matching and reach areas only).

        Made on first use, not at start: snapping uses the grid, and these objects are
        about 80 MB of a 100k-junction network's memory with their tree (issue #19).
        """
        return self._geometry()[0]

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree of `lines` (map matching), made on first use."""
        return self._geometry()[1]

    @property
    def proj_len(self) -> np.ndarray:
        """Length of every segment in local metres (of `lines`)."""
        return self._geometry()[2]

    def _geometry(self) -> tuple[np.ndarray, shapely.STRtree, np.ndarray]:
        geometry = getattr(self, "_lines_tree", None)
        if geometry is None:
            with self._lock:
                geometry = getattr(self, "_lines_tree", None)
                if geometry is None:
                    net = self._network
                    index = np.repeat(np.arange(net.n_segments), np.diff(net.offsets))
                    lines = shapely.linestrings(net.xy, indices=index)
                    geometry = self._lines_tree = (lines, shapely.STRtree(lines), shapely.length(lines))
        return geometry

    def segment_table(self) -> _SegmentTable:
        """Per segment: highway and surface codes, cycle infrastructure and main-road flags (for route summaries)."""
        table = getattr(self, "_table", None)
        if table is None:
            with self._lock:
                table = getattr(self, "_table", None)
                if table is None:
                    table = self._table = _SegmentTable(self._network)
        return table

    def workspace(self, n: int | None = None) -> Workspace:
        """This thread's labels for the reference search on ``n`` nodes (allocated once per thread and size)."""
        n = self.n if n is None else n
        ws = getattr(self._local, f"ws{n}", None)
        if ws is None:
            from ._search import Workspace  # numba: imported by the first reference search, not by a CLI route

            ws = Workspace(n)
            setattr(self._local, f"ws{n}", ws)
        return ws

    def tree_workspace(self, n: int | None = None) -> TreeWorkspace:
        """This thread's labels for one-to-many searches on ``n`` nodes (allocated once per thread and size)."""
        n = self.n if n is None else n
        ws = getattr(self._local, f"tree{n}", None)
        if ws is None:
            from ._search import TreeWorkspace

            ws = TreeWorkspace(n)
            setattr(self._local, f"tree{n}", ws)
        return ws

    def node_order(self) -> np.ndarray:
        """The junctions' contraction order (the network's cached one, or computed now)."""
        net = self._network
        order = net.node_order
        if order is None or len(order) != net.n_nodes:
            from ._cch import compute_order

            order = compute_order(net.n_nodes, self.src, self.dst, net.node_lat, net.node_lon)
            net.node_order = order
        return order

    def hierarchy(self, turns: TurnGraph | None = None) -> Any:
        """The network's CCH (from the cached node order when the network has one); ``turns``: on that graph."""
        key = "_hierarchy" if turns is None else "_turn_hierarchy"
        if getattr(self, key, None) is None:
            with self._lock:
                if getattr(self, key, None) is None:
                    from ._cch import Hierarchy

                    order = self.node_order()
                    if turns is None:
                        setattr(self, key, Hierarchy(order, self.src, self.dst))
                    else:
                        setattr(self, key, Hierarchy(turns.order, turns.arc_src, turns.arc_dst))
        return getattr(self, key)

    def turn_graph(self) -> TurnGraph | None:
        """The graph with the restricted junctions split (`routes._turns`), or None where nothing is banned."""
        if not hasattr(self, "_turns"):
            with self._lock:
                if not hasattr(self, "_turns"):
                    bans = turn_bans(self._network)
                    self._turns = TurnGraph(self.n, self.src, self.dst, bans, self.node_order()) if len(bans) else None
        return self._turns


class _SegmentTable:
    def __init__(self, network: Network):
        classes = network.classes
        hw: dict[str, int] = {}
        sf: dict[str, int] = {}
        groups, which, first = network.tag_groups  # one row per distinct tag dict (its class comes with it)
        rows: list[tuple[int, int, bool, bool, int]] = []
        for tags, s in zip(groups, first.tolist(), strict=True):
            cls = classes[s]
            h = hw.setdefault(tags.get("highway", "unknown"), len(hw))
            f = sf.setdefault(tags.get("surface", "unknown"), len(sf))
            rows.append((h, f, bool(cls.infra), is_main_road(cls.cls), SURFACE_CLASSES.index(surface_class(tags))))
        # small codes: one per distinct highway or surface tag (2 bytes a segment instead of 8, issue #19)
        distinct = np.array(rows, dtype=np.int64).reshape(-1, 5).astype(np.int16 if len(rows) < 2**15 else np.int32)
        self.highway, self.surface = distinct[which, 0], distinct[which, 1]
        self.infra, self.main = distinct[which, 2].astype(bool), distinct[which, 3].astype(bool)
        self.surface_class = distinct[which, 4]  # position in routes.surfaces.SURFACE_CLASSES
        self.highway_names = list(hw)
        self.surface_names = list(sf)


def shared_structures(network: Network) -> _Shared:
    """The profile-independent routing structures of ``network`` (built once, then reused)."""
    return network._cached("routing", lambda: _Shared(network))


class Router:
    """The compact, warm form of a network for one profile.

    Forward and backward adjacency arrays (CSR) over directed edges, the
    geometry and its spatial index for snapping (all four shared by every
    profile of the network, see `shared_structures`), and this profile's cost
    and duration of every directed edge. Built once per network and profile,
    then shared by every request (it is read-only; per-request cost changes are
    passed as a separate array, see ``edge_cost`` in `route_pieces`).

    Searches run on the profile's customised contraction hierarchy
    (`routes._cch`) and fall back to the reference bidirectional Dijkstra
    (`routes._search`) when per-request costs lower an edge or the route found
    rides an edge they raise.
    """

    def __init__(self, network: Network, profile: Profile):
        from .profiles import class_speeds, edge_costs_indexed

        self.network = network
        self.profile = profile
        distinct, idx = network.class_index
        speeds = class_speeds(distinct, profile)
        _, self.cost, self.access = edge_costs_indexed(distinct, idx, network.seg_length, profile, speeds=speeds)
        # durations: made whole on first use (tours, reach, other engines), per route edge until then (issue #19)
        self._speeds = speeds[0]
        self._duration: np.ndarray | None = None
        n = network.n_nodes
        self.n = n
        shared = self._shared = shared_structures(network)
        self.src, self.dst = shared.src, shared.dst
        # strongly connected components: prefer snapping onto the big ones (the cache's, see `add_router_facts`)
        labels = strong_pieces(network, self.src, self.dst, np.isfinite(self.cost))
        big_node, self._hub = big_pieces(labels)
        seg_ok = np.isfinite(self.cost[0::2]) | np.isfinite(self.cost[1::2])
        # both ends on the big piece: a oneway stub hanging off it (entered only from a dead end) is not
        seg_big = seg_ok & big_node[network.seg_u] & big_node[network.seg_v]
        self._seg_ok, self._seg_big = seg_ok, seg_big
        self.seg_big = seg_big
        self._piece = labels  # per node, its strongly connected piece
        self._big_node = big_node
        self._metric: Any = None
        self._metric_of: np.ndarray | None = None  # the cost array the metric was customised on
        self._arc_costs: tuple[np.ndarray, np.ndarray] | None = None
        self._arc_costs_other: tuple[weakref.ref, np.ndarray] | None = None
        self._g: Any = None  # the searched graph's arrays (`_graph`)
        # the graph split at restricted junctions: every profile searches it (one hierarchy per network),
        # and only bicycles' banned turns cost more (pushed) or are closed; walking makes every turn
        self.turns = shared.turn_graph() if settings.turn_restrictions else None
        self._turn_extra = None
        if self.turns is not None:
            bound = profile.mode == "bicycle"
            push = pushed_turn_cost(profile) if bound else 0.0
            self._turn_extra = self.turns.extra(push, bound=bound)  # nosec B610: this is TurnGraph.extra, not Django's QuerySet.extra
        self._lock = threading.Lock()
        self._raises: dict[int, tuple[weakref.ref, bool]] = {}
        shared.segment_table()  # built once per network, here rather than in the first request

    @property
    def duration(self) -> np.ndarray:
        """Riding time in seconds of every directed edge (`routes.profiles.edge_costs`; inf where not usable)."""
        if self._duration is None:
            self._duration = self.durations(np.arange(len(self.cost)))
        return self._duration

    @duration.setter
    def duration(self, value: np.ndarray) -> None:
        self._duration = value

    def durations(self, edges: np.ndarray) -> np.ndarray:
        """`duration` of some directed edges, without making the whole array (a route's few hundred)."""
        if self._duration is not None:
            return self._duration[edges]
        from .profiles import edge_durations

        return edge_durations(edges, self.network.class_index[1], self.network.seg_length, self._speeds)

    # the plain graph's CSR, shared by every profile (`_Shared.adjacency`, made on first use)
    f_ptr = property(lambda self: self._shared.adjacency()[0])
    f_adj = property(lambda self: self._shared.adjacency()[1])
    f_edge = property(lambda self: self._shared.adjacency()[2])
    b_ptr = property(lambda self: self._shared.adjacency()[3])
    b_adj = property(lambda self: self._shared.adjacency()[4])
    b_edge = property(lambda self: self._shared.adjacency()[5])

    @property
    def _lines(self) -> np.ndarray:
        return self._shared.lines

    @property
    def _proj_len(self) -> np.ndarray:
        return self._shared.proj_len

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
        net = self.network
        x, y = net.project_point(lon, lat)
        for mask in (self._seg_big, self._seg_ok) if avoid_small else (self._seg_ok,):
            seg, dist = self._nearest(x, y, mask, limit, edge_cost)
            if seg >= 0:
                break
        else:
            _, far_m = self._nearest(x, y, self._seg_ok, 20 * limit, None)
            if far_m == math.inf:  # farther still: how far the nearest street of any kind is
                far_m = nearest_distance(self.network, self._shared.grid, x, y)
            far = f"{far_m:.0f} m" if far_m < math.inf else "far"
            exc = OffNetworkError(
                f"{point_name(what)} ({lat:.6f},{lon:.6f}) is {far} from the nearest street the "
                f"'{self.profile.name}' profile can use; the limit is {limit:.0f} m",
                point=what,
            )
            exc.details = {"distance_m": round(far_m, 1) if far_m < math.inf else None}  # how far (the page)
            raise exc
        # the point on the chosen segment: GEOS's project and interpolate on its line, exactly as
        # shapely answered when every line was kept (routes._snapgrid.locate_on_segment)
        frac, sx, sy = locate_on_segment(net, seg, x, y)
        slon, slat = net.unproject_point(sx, sy)
        return Snap(seg, min(max(frac, 0.0), 1.0), slon, slat, lon, lat, float(dist))

    def piece_of(self, s: Snap) -> int | None:
        """The small strongly connected piece a snap lies on (an id), or None on the big network."""
        if self.seg_big[s.seg]:
            return None
        u, v = self.network.seg_u[s.seg], self.network.seg_v[s.seg]
        return int(self._piece[v if self._big_node[u] else u])  # the end off the big network

    def _nearest(
        self, x: float, y: float, mask: np.ndarray, limit: float, edge_cost: np.ndarray | None
    ) -> tuple[int, float]:
        """Nearest segment within ``limit`` that ``mask`` allows and ``edge_cost`` leaves open: (seg, m), or (-1, inf).

        One spatial index (`routes._snapgrid`) serves every profile; equal distances go to
        the lowest segment id.
        """

        def allowed(seg: np.ndarray) -> np.ndarray:
            ok = mask[seg]
            if edge_cost is not None:
                ok &= np.isfinite(edge_cost[2 * seg]) | np.isfinite(edge_cost[2 * seg + 1])
            return ok

        return nearest_segment(self.network, self._shared.grid, x, y, limit, allowed)

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

    def leg(
        self, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None, ride: Ride | None = None
    ) -> tuple[float, list[Piece]]:
        """Cheapest legal way from snap ``a`` to snap ``b``: (cost, pieces).

        ``ride``: where the leg before left the rider (`ride_after`), so the turn restrictions
        hold across a via point; None: the ride starts at ``a``.

        With another engine (`routes.settings.engine`, `routes.backends`) the search is
        that engine's, for the profile's costs and for costs closures and hazards raise;
        other cost arrays (map matching's lengths) are always searched here.
        """
        if settings.engine != "bikemap" and (edge_cost is None or self._raises_only(edge_cost)):
            from .backends import backend_for

            backend = backend_for(self.network)
            if backend is not None:
                return backend.leg(self, a, b, edge_cost=edge_cost)
        return self.own_leg(a, b, edge_cost=edge_cost, ride=ride)

    def own_leg(
        self, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None, ride: Ride | None = None
    ) -> tuple[float, list[Piece]]:
        """`leg` searched by bikemap's own engine (CCH, or the reference search), whatever the setting."""
        cost = self.cost if edge_cost is None else edge_cost
        out, inn = self._out_seeds(a, cost), self._in_seeds(b, cost)
        if self.turns is not None:  # seeds on the graph with the restricted junctions split
            out, inn = self._turn_seeds_out(out, ride), self._turn_seeds_in(inn)
        best, pieces = math.inf, []
        direct = direct_piece(a, b, cost)  # both on one segment: maybe just ride along it
        if direct is not None:
            best, pieces = self._direct_cost(direct, out, cost, ride), [direct]
        if out and inn:
            total, arcs, edges = self._arc_path(
                np.asarray([s[0] for s in out], np.int64),
                np.asarray([s[1] for s in out], np.float64),
                np.asarray([s[0] for s in inn], np.int64),
                np.asarray([s[1] for s in inn], np.float64),
                cost,
                "auto",
            )
            if total < best:
                g = self._ends()
                if arcs:
                    first, last = g[1][arcs[0]], g[2][arcs[-1]]
                    start = min((s for s in out if s[0] == first), key=lambda s: s[1])
                    end = min((s for s in inn if s[0] == last), key=lambda s: s[1])
                else:  # the searches met at a node both points reach directly
                    pairs = [(o, i) for o in out for i in inn if o[0] == i[0]]
                    start, end = min(pairs, key=lambda p: p[0][1] + p[1][1])
                best = total
                pieces = [start[2], *whole_pieces(edges), end[2]]
        if not math.isfinite(best):
            raise NoRouteError(
                f"no legal route with the '{self.profile.name}' profile between "
                f"({a.input_lat:.6f},{a.input_lon:.6f}) and ({b.input_lat:.6f},{b.input_lon:.6f})"
            )
        if len(pieces) > 1:  # whole pieces between the ends; an empty end (a point on a junction) is dropped
            kept = pieces[int(pieces[0].share == 0) : len(pieces) - int(pieces[-1].share == 0)]
        else:
            kept = [p for p in pieces if p.share > 0]
        return float(best), kept or pieces[:1]

    def _turn_seeds_out(
        self, seeds: list[tuple[int, float, Piece]], ride: Ride | None = None
    ) -> list[tuple[int, float, Piece]]:
        """Start seeds: riding a piece of a street up to its end arrives where that street arrives.

        After a leg that left the rider in ``ride``: riding on along the same street arrives where
        that leg's last piece leads; at a junction, the rider stands at the node the leg reached
        (a copy, with its history), and a first piece leaving it turns from there (a banned turn
        adds its push, or is not made); turning round inside a street starts a new history.
        """
        turns, extra = self.turns, self._turn_extra
        assert turns is not None and extra is not None
        if ride is None:
            return [(turns.entry(p.edge) if p.share > 0 else n, c, p) for n, c, p in seeds]
        out: list[tuple[int, float, Piece]] = []
        for n, c, p in seeds:
            if p.share == 0:
                here = -1 if ride.mid else turns.head(ride.node, ride.edge)
                out.append((here if here >= 0 and int(turns.junction[here]) == n else n, c, p))
                continue
            tail, paid = turns.tail(ride, p.edge)
            node, add = turns.leave(tail, p.edge, extra)
            if paid:
                add = 0.0  # on along the street the last leg turned onto: that turn is paid
            if math.isfinite(add):
                out.append((node, c + add, p))
        return out

    def ride_after(self, pieces: Sequence[Piece], ride: Ride | None = None) -> Ride | None:
        """Where riding ``pieces`` (a leg found by `leg` from ``ride``) leaves the rider (None: no split graph)."""
        if self.turns is None:
            return None
        ridden: list[tuple[int, float]] = []  # the last depth + 2 at most: `TurnGraph.ride_after` reads no more
        for p in reversed(pieces):
            if p.share > 0:
                ridden.append((p.edge, p.f1))
                if len(ridden) > self.turns.depth + 1:
                    break
        return self.turns.ride_after(ridden[::-1], ride)

    def _direct_cost(self, direct: Piece, out: list[tuple[int, float, Piece]], cost: np.ndarray, ride) -> float:
        """The cost of riding ``direct`` (one segment) from the start: inf where its turn is banned."""
        if ride is None or self.turns is None or direct.share == 0:
            return direct.value(cost)
        for _, c, p in out:
            if p.share > 0 and p.edge == direct.edge:
                return direct.value(cost) + max(0.0, c - p.value(cost))  # with the seed's pushed turn
        return math.inf  # the turn onto it is banned (its seed was dropped)

    def _turn_seeds_in(self, seeds: list[tuple[int, float, Piece]]) -> list[tuple[int, float, Piece]]:
        """End seeds: a last piece may be entered from every node that may turn onto it (a pushed turn adds)."""
        turns, extra = self.turns, self._turn_extra
        assert turns is not None and extra is not None
        out: list[tuple[int, float, Piece]] = []
        for n, c, p in seeds:
            if p.share > 0:
                out.extend((node, c + add, p) for node, add in turns.departures(p.edge, extra))
            else:  # ends at a junction: arriving there by any street counts
                out.append((n, c, p))
                out.extend((copy, c, p) for copy in turns.copies(n))
        return out

    def node_path(
        self, src_nodes, src_costs, dst_nodes, dst_costs, *, edge_cost=None, method: str = "auto"
    ) -> tuple[float, list[int]]:
        """Cheapest path between seed junction sets: (cost, directed edge ids); ``inf`` if none.

        The path obeys the turn restrictions (`routes._turns`; a source junction may be left
        by any street, a target reached by any); its cost includes what pushed turns add
        (`turn_penalty`). ``method="auto"`` answers on the profile's contraction hierarchy
        when it can prove the answer optimal under ``edge_cost`` and runs the reference
        search otherwise; ``"reference"`` always runs the reference bidirectional Dijkstra
        (the tests compare the two).
        """
        cost = self.cost if edge_cost is None else edge_cost
        src_nodes = np.asarray(src_nodes, np.int64)
        src_costs = np.asarray(src_costs, np.float64)
        dst_nodes = np.asarray(dst_nodes, np.int64)
        dst_costs = np.asarray(dst_costs, np.float64)
        if method not in ("auto", "reference"):
            raise InvalidValueError(f"unknown search method {method!r} (auto or reference)")
        turns = self.turns
        if turns is not None and (len(dst_nodes) != 1 or int(dst_nodes[0]) in turns.split):
            dst_nodes, dst_costs = turns.arrivals(dst_nodes, dst_costs)
        total, _, edges = self._arc_path(src_nodes, src_costs, dst_nodes, dst_costs, cost, method)
        return total, edges

    def _graph(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, Any]:
        """The searched graph: (n, arc tails, arc heads, forward CSR, backward CSR), split where turns are banned."""
        g = self._g
        if g is None:
            t = self.turns
            if t is None:
                f, b = (self.f_ptr, self.f_adj, self.f_edge), (self.b_ptr, self.b_adj, self.b_edge)
                g = (self.n, self.src, self.dst, *f, *b)
            else:
                g = (t.n, t.arc_src, t.arc_dst, t.f_ptr, t.f_adj, t.f_edge, t.b_ptr, t.b_adj, t.b_edge)
            self._g = g
        return g

    def _ends(self) -> tuple[int, np.ndarray, np.ndarray]:
        """The searched graph's node count, arc tails and arc heads (without its CSR, which `_graph` makes)."""
        t = self.turns
        return (self.n, self.src, self.dst) if t is None else (t.n, t.arc_src, t.arc_dst)

    def _edges(self, arcs: list[int]) -> list[int]:
        """The directed edges the arcs of a searched path ride (the same ids without turn restrictions)."""
        if self.turns is None or not arcs:
            return arcs
        return self.turns.arc_edge[np.asarray(arcs, np.int64)].tolist()

    def turn_penalty(self, edges: Sequence[int]) -> float:
        """What the turns along consecutive directed ``edges`` add: pushed banned turns (inf: a turn not allowed)."""
        if self.turns is None or self._turn_extra is None:
            return 0.0
        return self.turns.penalty(np.asarray(edges, np.int64), self._turn_extra)

    def _arc_path(self, src_nodes, src_costs, dst_nodes, dst_costs, cost, method) -> tuple[float, list[int], list[int]]:
        """Cheapest path on the searched graph: (cost, its arcs, the directed edges they ride)."""
        if method == "auto" and len(src_nodes) and len(dst_nodes) and (cost is self.cost or self._raises_only(cost)):
            found = self._hierarchy_path(src_nodes, src_costs, dst_nodes, dst_costs, cost)
            if found is not None:
                return found
        total, arcs = self._reference_path(src_nodes, src_costs, dst_nodes, dst_costs, cost)
        return total, arcs, self._edges(arcs)

    def _hierarchy_path(
        self, src_nodes, src_costs, dst_nodes, dst_costs, cost
    ) -> tuple[float, list[int], list[int]] | None:
        """The CCH answer on the profile's own costs, or None when ``cost`` raises an edge it rides.

        Closures and hazards only raise costs, so a path that rides no raised
        edge costs the same under ``cost`` as under the profile's metric, and no
        other path got cheaper: it is still the cheapest.
        """
        first, arcs = self.metric().path(src_nodes, src_costs, dst_nodes, dst_costs)
        if first < 0:
            return math.inf, [], []  # unreachable on the profile's costs, so on any raised ones too
        _, tails, heads = self._ends()
        edges = arcs
        if arcs:
            arr = np.asarray(arcs, np.int64)
            ride = float(self._arc_cost(self.cost)[arr].sum())  # with what pushed turns add
            # arcs of the split graph are its directed edges, but for those leaving a junction's copy
            copied = self.turns is not None and int(arr.max()) >= self.turns.n_edges
            ridden = self.turns.arc_edge[arr] if copied else arr  # type: ignore[union-attr]
            if cost is not self.cost and np.any(cost[ridden] != self.cost[ridden]):
                return None
            first, last = int(tails[arr[0]]), int(heads[arr[-1]])
            if copied:
                edges = ridden.tolist()
        else:
            ride, last = 0.0, first
        head = src_costs[src_nodes == first].min(initial=math.inf)
        tail = dst_costs[dst_nodes == last].min(initial=math.inf)
        total = float(head + ride + tail)
        return (total, arcs, edges) if math.isfinite(total) else (math.inf, [], [])

    def _reference_path(self, src_nodes, src_costs, dst_nodes, dst_costs, cost) -> tuple[float, list[int]]:
        n, tails, heads, f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge = self._graph()
        ws = self._shared.workspace(n)
        from ._search import bidirectional_once

        best, meet = bidirectional_once(
            f_ptr,
            f_adj,
            f_edge,
            b_ptr,
            b_adj,
            b_edge,
            self._arc_cost(cost),
            src_nodes,
            src_costs,
            dst_nodes,
            dst_costs,
            ws.df,
            ws.db,
            ws.f_pred,
            ws.b_pred,
            ws.vf,
            ws.vb,
            ws.next_version(),
        )
        if meet < 0 or not math.isfinite(best):
            return math.inf, []
        f_pred, b_pred = ws.f_pred, ws.b_pred
        arcs: list[int] = []
        node = meet
        while f_pred[node] >= 0:
            e = int(f_pred[node])
            arcs.append(e)
            node = tails[e]
        arcs.reverse()
        node = meet
        while b_pred[node] >= 0:
            e = int(b_pred[node])
            arcs.append(e)
            node = heads[e]
        return float(best), arcs

    def _arc_cost(self, cost: np.ndarray) -> np.ndarray:
        """Per arc of the searched graph, its cost under the per-edge ``cost`` (kept for the profile's own)."""
        if self.turns is None or self._turn_extra is None:
            return cost
        kept = self._arc_costs
        if kept is not None and kept[0] is cost:
            return kept[1]
        other = self._arc_costs_other  # a per-request array (closures) is searched again and again
        if other is not None and other[0]() is cost:
            return other[1]
        arc_cost = self.turns.arc_cost(cost, self._turn_extra)
        if cost is self.cost:
            self._arc_costs = (cost, arc_cost)
        else:
            self._arc_costs_other = (weakref.ref(cost), arc_cost)
        return arc_cost

    def _raises_only(self, cost: np.ndarray) -> bool:
        """Whether ``cost`` is nowhere below the profile's costs (checked once per array, then remembered).

        Per-request cost arrays (closures, hazards) are built once per set of
        closures and then only read, so the answer is kept while the array lives.
        """
        key = id(cost)
        known = self._raises.get(key)
        if known is not None and known[0]() is cost:
            return known[1]
        ok = bool(cost.shape == self.cost.shape and np.all(cost >= self.cost))
        with self._lock:
            self._raises = {k: v for k, v in self._raises.items() if v[0]() is not None}
            self._raises[key] = (weakref.ref(cost), ok)
        return ok

    def metric(self) -> Any:
        """This profile's customised contraction hierarchy (built on first use; again if ``cost`` was replaced)."""
        m = self._metric
        if m is None or self._metric_of is not self.cost:
            with self._lock:
                m = self._metric
                if m is None or self._metric_of is not self.cost:
                    base = self.cost
                    hierarchy = self._shared.hierarchy(self.turns)
                    arc = self._arc_cost(base)
                    if arc is not base:  # the split graph's arc costs start with every edge's: one array for both
                        base = self.cost = arc[: len(base)]
                        self._arc_costs = (base, arc)
                    m = hierarchy.customise(arc, self._cost_bound())
                    self._metric, self._metric_of = m, base
        return m

    def _cost_bound(self) -> float:
        """An upper bound on the cost of any cheapest path in the largest piece (`cost_bound`)."""
        return cost_bound(self.network, self.src, self.dst, self.cost, self._hub)

    @property
    def _ids_big(self) -> np.ndarray:
        """The segments of the big strongly connected pieces (ids)."""
        return np.flatnonzero(self._seg_big)

    def costs_from(
        self, seeds_nodes, seeds_costs, targets, *, reverse=False, edge_cost=None, limit=math.inf, sparse=True
    ):
        """One-to-many (``reverse=True``: many-to-one) costs from seed nodes to ``targets``, on the plain graph.

        Returns ``(nodes, cost, pred)`` of only the nodes the search reached, so a search
        costs what it settles, not the size of the network (the labels are this thread's,
        versioned: nothing is allocated per search). With ``sparse=False``: the cost array
        over all nodes and the predecessor edge array (-1 at seeds and unreached nodes), for
        a caller that reads them whole (`routes.alternatives`). Searches between snapped
        points that must follow turn restrictions use `routes._trees` instead.
        """
        cost = self.cost if edge_cost is None else edge_cost
        ptr, adj, edge = (self.b_ptr, self.b_adj, self.b_edge) if reverse else (self.f_ptr, self.f_adj, self.f_edge)
        ws = self._shared.tree_workspace()
        nodes = ws.search(ptr, adj, edge, cost, seeds_nodes, seeds_costs, targets, limit)
        if sparse:
            return nodes, ws.dist[nodes], ws.pred[nodes]
        dist = np.full(self.n, np.inf)
        pred = np.full(self.n, -1, np.int64)
        dist[nodes], pred[nodes] = ws.dist[nodes], ws.pred[nodes]
        return dist, pred


def values_at(nodes: np.ndarray, values: np.ndarray, want, missing) -> np.ndarray:
    """The value of each of ``want`` in a sparse answer (``nodes``, ``values``: `Router.costs_from`'s ``sparse=True``).

    ``missing`` where a node is not among ``nodes`` (not reached). Sorts only the reached nodes.
    """
    want = np.asarray(want, np.int64)
    out = np.full(len(want), missing, dtype=values.dtype)
    if len(nodes) and len(want):
        order = np.argsort(nodes, kind="stable")
        at = np.minimum(np.searchsorted(nodes[order], want), len(nodes) - 1)
        hit = nodes[order[at]] == want
        out[hit] = values[order[at[hit]]]
    return out


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
            legs = route_legs(router, snaps, edge_cost=edge_cost)
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
        legs = route_legs(router, snaps, edge_cost=edge_cost)
    return router, snaps, legs


def route_legs(router: Router, snaps: Sequence[Snap], *, edge_cost: np.ndarray | None = None) -> list[list[Piece]]:
    """The pieces of every leg between consecutive ``snaps``, each leg starting where the one before left
    the rider (`Router.ride_after`): the turn restrictions hold across via points.

    Each leg is still the cheapest from that start, not the cheapest for the legs after it.
    """
    legs: list[list[Piece]] = []
    ride: Ride | None = None
    for a, b in zip(snaps, snaps[1:], strict=False):
        check_budget("this route")  # routes.budget: the caller's time cap, between legs
        pieces = router.leg(a, b, edge_cost=edge_cost, ride=ride)[1]
        legs.append(pieces)
        if len(legs) < len(snaps) - 1:  # a leg follows
            ride = router.ride_after(pieces, ride)
    return legs


def route(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    profile: str | Profile = "safe",
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    max_snap_m: float | None = None,
    overview: str = "full",
    steps: bool = True,
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
    overview
        The line drawn (as OSRM's option of that name): ``full`` (every position of the
        streets), ``simplified`` (`simplify_line`: what a map showing the whole route draws)
        or ``false`` (no geometry; the Feature's ``geometry`` is null).
    steps
        With False, no turn-by-turn ``instructions`` (as OSRM's ``steps=false``).

    Returns
    -------
    dict
        A GeoJSON Feature with a LineString and the route's properties.
    """
    router, snaps, legs = route_pieces(network, points, profile=profile, edge_cost=edge_cost, max_snap_m=max_snap_m)
    return feature_from_legs(router, snaps, legs, lang=lang, edge_cost=edge_cost, overview=overview, steps=steps)


def piece_coords(network: Network, piece: Piece) -> np.ndarray:
    """(lon, lat) coordinates of a piece, in travel order; (lon, lat, ele) if the network has heights.

    A part of a segment is cut where its length along the projected line (`Network.project`'s
    metres, the pieces' lengths by ``np.hypot``) reaches the piece's fractions, interpolated as
    ``np.interp`` does (`_interp`). A route cuts two such pieces per leg, each of a segment's few
    points: past the lengths (one array call each step), the arithmetic runs on Python floats,
    the same operations in the same order as the arrays did, and one array is made at the end.
    """
    lo, hi = int(network.offsets[piece.seg]), int(network.offsets[piece.seg + 1])
    if piece.share == 1.0:  # a whole segment: its own coordinates, exactly
        c = network.coords[lo:hi]
        if network.ele is not None:
            c = np.column_stack([c, network.ele[lo:hi]])
        return c[::-1] if piece.f1 < piece.f0 else c
    origin, scale = _projection(network)
    xy = (network.coords[lo:hi] - origin) * scale  # `Network.project`'s arithmetic, both columns at once
    step = xy[1:] - xy[:-1]
    cols = xy.T.tolist()
    if network.ele is not None:  # heights ride along as a third column
        cols.append(network.ele[lo:hi].tolist())
    cum = [0.0, *accumulate(np.hypot(step[:, 0], step[:, 1]).tolist())]  # np.cumsum's order
    total = cum[-1]
    lo_f, hi_f = sorted((piece.f0, piece.f1))
    if total <= 0:
        rows = [[col[0] for col in cols]]
    else:
        a, b = lo_f * total, hi_f * total
        i, j = bisect.bisect_right(cum, a), bisect.bisect_left(cum, b)  # the points with a < cum < b
        rows = [
            [_interp(a, cum, col) for col in cols],
            *([col[k] for col in cols] for k in range(i, j)),
            [_interp(b, cum, col) for col in cols],
        ]
    if piece.f1 < piece.f0:
        rows.reverse()
    (x0, y0), (kx, ky) = origin.tolist(), scale.tolist()
    for row in rows:  # `Network.unproject`'s arithmetic
        row[0] = row[0] / kx + x0
        row[1] = row[1] / ky + y0
    return np.array(rows, np.float64)


def _interp(x: float, xp: list[float], fp: list[float]) -> float:
    """``np.interp(x, xp, fp)`` of one ``x`` in ``[xp[0], xp[-1]]`` (``xp`` ascending), to the last bit.

    NumPy's own steps (``arr_interp``): the last ``j`` with ``xp[j] <= x``; ``fp[j]`` at a point
    itself; else the slope times the way from ``xp[j]``, from ``xp[j + 1]`` if that is NaN.
    """
    j = bisect.bisect_right(xp, x) - 1
    if j == len(xp) - 1 or xp[j] == x:  # at the last point, or at a point
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    out = slope * (x - xp[j]) + fp[j]
    if math.isnan(out):
        out = slope * (x - xp[j + 1]) + fp[j + 1]
        if math.isnan(out) and fp[j] == fp[j + 1]:
            out = fp[j]
    return out


def _projection(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """`Network.project`'s origin and metres per degree as (lon, lat) arrays, to project rows of `coords` at once."""
    return network._cached("projection_rows", lambda: (np.array(network.origin), np.array(network._scale)))


def feature_from_legs(
    router: Router,
    snaps: list[Snap],
    legs: list[list[Piece]],
    *,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    overview: str = "full",
    steps: bool = True,
) -> dict[str, Any]:
    """Assemble the GeoJSON Feature of a routed plan (``cost`` under ``edge_cost`` when given).

    ``overview`` and ``steps`` as in `route`.

    Per piece only a few attribute reads run in Python; the coordinates of the
    whole route are gathered, de-duplicated and rounded as arrays (a long route
    has thousands of them).
    """
    if overview not in OVERVIEWS:
        raise InvalidValueError(f"overview must be one of {', '.join(OVERVIEWS)}, got {str(overview)[:20]!r}")
    net = router.network
    table = router._shared.segment_table()
    cost_of = router.cost if edge_cost is None else edge_cost
    flat = [p for pieces in legs for p in pieces]
    if len(legs) == 1:  # most plans: no via point
        leg_of = np.zeros(len(flat), np.int64)
    else:
        leg_of = np.repeat(np.arange(len(legs)), [len(pieces) for pieces in legs])
    segs, f0s, f1s = zip(*flat, strict=True) if flat else ((), (), ())  # pieces are tuples: one pass in C
    seg, f0, f1 = np.array(segs, np.int64), np.array(f0s, np.float64), np.array(f1s, np.float64)
    edge = 2 * seg + (f1 < f0)
    share = np.abs(f1 - f0)
    some = share > 0  # an empty piece is worth 0, whichever way its segment may be ridden
    every = bool(some.all())  # no empty piece (most routes): no mask to apply
    dist = net.seg_length[seg] * share
    # not every edge's duration: those of the route
    dur = router.durations(edge) * share if every else _share_of(router.durations(edge[some]), share, some)
    pushed = router.access[edge] == PUSH
    ridden = ~pushed
    on_infra = table.infra[seg]
    infra = ridden & on_infra
    main = ridden & ~on_infra & table.main[seg]
    push_turn = np.zeros(len(flat), bool)
    turn_cost = 0.0
    n_turns = 0
    if router.turns is not None and router._turn_extra is not None:  # banned turns made on foot
        at, arc = router.turns.route_turns(edge, f1, share)
        if len(at):  # (most routes make none)
            extra = router._turn_extra[arc]  # inf: a turn not even pushed (only a matched track makes one)
            made = np.isfinite(extra)
            turn_cost = float(extra[made].sum())
            if router.profile.mode == "bicycle":  # the instruction says so, and the push takes its time
                push_turn[at] = True
                on_foot = at[made & (extra > 0)]
                np.add.at(dur, on_foot, pushed_turn_seconds(router.profile))
                n_turns = int(np.count_nonzero(push_turn))
    leg_d = np.bincount(leg_of, weights=dist, minlength=len(legs))
    leg_t = np.bincount(leg_of, weights=dur, minlength=len(legs))
    totals = {
        "distance": float(leg_d.sum()),
        "duration": float(leg_t.sum()),
        "cost": float((cost_of[edge] * share if every else _share_of(cost_of[edge[some]], share, some)).sum())
        + turn_cost,
        "infra": float(dist[infra].sum()),
        "main": float(dist[main].sum()),
        "push": float(dist[pushed].sum()),
    }
    # NumPy's rounding of NumPy floats, as round(np.float64, 1) does, for every leg at once
    leg_props = [{"distance_m": d, "duration_s": t} for d, t in zip(leg_d.round(1), leg_t.round(1), strict=True)]
    allc, start, count = _route_coords(net, flat, seg, f0, f1)
    piece_c = allc  # the pieces' own positions (`allc` loses the ones they share below)
    if len(allc) > 1:  # drop a position equal to the one before it (pieces share their ends)
        step = allc[1:, :2] - allc[:-1, :2]
        np.abs(step, out=step)
        moved = np.empty(len(allc), bool)
        moved[0] = True
        np.logical_or(step[:, 0] > 1e-9, step[:, 1] > 1e-9, out=moved[1:])  # either coordinate moved
        allc = allc[moved]
    if len(allc) == 1:
        allc = np.vstack([allc, allc])
    keep = simplify_line(allc[:, :2]) if overview == "simplified" else None  # indices of the positions drawn
    line = _round7((allc if keep is None else allc[keep])[:, :2]).tolist()
    if line:  # the ends exactly as the waypoints' locations are rounded
        for k, (lon, lat) in zip((0, -1), allc[[0, -1], :2].tolist(), strict=True):
            line[k] = [round(lon, 7), round(lat, 7)]
    highway_m = _metres_by(table.highway, table.highway_names, seg, dist)
    surface_m = _metres_by(table.surface, table.surface_names, seg, dist)
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
    hills = _hills(line, allc.tolist(), keep) if net.ele is not None else {}
    props: dict[str, Any] = {
        "profile": router.profile.name,
        "distance_m": round(totals["distance"], 1),
        "duration_s": round(totals["duration"], 1),
        "cost": round(totals["cost"], 1),
        "highway_m": highway_m,
        "surface_m": surface_m,
        **surface_summary(table.surface_class[seg], dist),  # paved, gravel, unpaved, unknown: routes.surfaces
        "cycle_infra_m": round(totals["infra"], 1),
        "main_road_m": round(totals["main"], 1),
        "push_m": round(totals["push"], 1),
        "pushed_turns": n_turns,
        **hills,
        "legs": leg_props,
        "waypoints": waypoints,
    }
    if steps:
        stretches = _stretches(net, seg, leg_of, dist, dur, pushed, push_turn, piece_c, start, count)
        props["instructions"] = build_instructions(stretches, net, lang=lang, n_legs=len(legs))
    geometry = None if overview == "false" else {"type": "LineString", "coordinates": line}
    return {"type": "Feature", "geometry": geometry, "properties": props}


#: The ``overview`` options of `route` (OSRM's names).
OVERVIEWS = ("full", "simplified", "false")

#: A simplified line is drawn to within this share of the route's extent: a pixel when the whole route
#: fills a map 1,000 pixels across, which is what a map fitted to the route shows (Leaflet itself drops
#: detail under a pixel at the zoom drawn).
SIMPLIFY_SHARE = 1 / 1000


def simplify_line(lonlat: np.ndarray, *, share: float = SIMPLIFY_SHARE, min_m: float = 1.0) -> np.ndarray:
    """Indices of the positions a Douglas-Peucker simplification keeps (always the first and the last).

    The tolerance is ``share`` of the line's extent (the longer side of its box, in metres),
    at least ``min_m``. Positions are projected on a local equirectangular plane, which at
    route sizes is exact to well under the tolerance. GEOS does the simplification (shapely's
    `simplify`); the positions' indices ride along as their third coordinate, so the kept
    positions are exactly the route's.

    >>> simplify_line(np.array([[0.0, 0.0], [0.00001, 0.000001], [0.01, 0.0]])).tolist()
    [0, 2]
    """
    n = len(lonlat)
    if n <= 2:
        return np.arange(n)
    lat0 = math.radians(float(lonlat[:, 1].mean()))
    x = lonlat[:, 0] * (111_320.0 * math.cos(lat0))
    y = lonlat[:, 1] * 110_574.0
    tol = max(min_m, share * max(float(np.ptp(x)), float(np.ptp(y))))
    line = shapely.linestrings(x, y, np.arange(n, dtype=np.float64))
    kept = shapely.get_coordinates(shapely.simplify(line, tol, preserve_topology=False), include_z=True)
    if len(kept) < 2:  # nothing left (a loop back onto its start): the ends
        return np.array([0, n - 1])
    return kept[:, 2].astype(np.int64)


def _round7(lonlat: np.ndarray) -> np.ndarray:
    """``np.round(lonlat, 7)`` in a new array, its three steps (times 1e7, ``rint``, divided by 1e7) in place."""
    out = lonlat * 1e7
    np.rint(out, out=out)
    out /= 1e7
    return out


def _share_of(values: np.ndarray, share: np.ndarray, some: np.ndarray) -> np.ndarray:
    """`Piece.value` of every piece at once, from ``values``, the per-edge values of the pieces ``some`` (the
    non-empty ones): 0 for an empty piece, even on an edge that may not be ridden."""
    out = np.zeros(len(share))
    out[some] = values * share[some]
    return out


def _metres_by(code: np.ndarray, names: list[str], seg: np.ndarray, dist: np.ndarray) -> dict[str, float]:
    """Metres per value (highway, surface), longest first; ties in order of first appearance."""
    codes = code[seg]
    metres = np.bincount(codes, weights=dist, minlength=len(names)).tolist()
    seen = dict.fromkeys(codes.tolist())  # in order of first appearance (a route has tens of pieces, not thousands)
    order = sorted(seen, key=lambda c: -metres[c])
    return {names[c]: round(metres[c], 1) for c in order}


def _route_coords(net: Network, flat: list[Piece], seg, f0, f1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of every piece in travel order, one block per piece: (positions, block starts, block sizes).

    Whole segments (all but the ends of each leg) are gathered from the network's
    arrays in one indexing, their rows listed piece by piece in Python (a route has
    tens of pieces: cheaper than the array calls that would work the list out);
    partial ones are cut by `piece_coords` and put in their place.
    """
    src: list[int] = []  # per position, the network's row it is taken from (a placeholder in a cut piece)
    counts: list[int] = []
    partial: list[tuple[int, np.ndarray]] = []  # (first position, positions) of the cut pieces
    for p, lo, hi in zip(flat, net.offsets[seg].tolist(), net.offsets[seg + 1].tolist(), strict=True):
        a, b = p[1], p[2]
        if a == 0.0 and b == 1.0:  # along the whole segment
            src += range(lo, hi)
            counts.append(hi - lo)
        elif a == 1.0 and b == 0.0:  # against it
            src += range(hi - 1, lo - 1, -1)
            counts.append(hi - lo)
        else:
            pc = piece_coords(net, p)
            partial.append((len(src), pc))
            src += [lo] * len(pc)
            counts.append(len(pc))
    count = np.array(counts, np.int64)
    start = np.zeros(len(flat), np.int64)
    np.cumsum(count[:-1], out=start[1:])
    rows = np.array(src, np.int64)
    if net.ele is not None:
        out = np.empty((len(rows), 3))
        out[:, :2] = net.coords[rows]
        out[:, 2] = net.ele[rows]
    else:
        out = net.coords[rows].astype(np.float64, copy=False)  # float64 whatever the network keeps: pieces cut in it
    for at, pc in partial:
        out[at : at + len(pc)] = pc
    return out, start, count


def _stretches(net, seg, leg_of, dist, dur, pushed, push_turn, allc, start, count) -> Stretches:
    """The pieces as `build_instructions` groups them, with their end bearings worked out as arrays.

    The bearing of every step of the route's positions at once, then each piece's first
    (``start``) and last (``start + count - 2``); a piece of fewer than two positions gets
    a meaningless one, which `build_instructions` never reads.
    """
    step = np.zeros(len(allc))
    if len(allc) > 1:
        step[:-1] = _bearings(allc[:-1], allc[1:])
    return Stretches(
        seg=seg,
        leg=leg_of,
        push=pushed,
        push_turn=push_turn,
        distance=dist,
        duration=dur,
        head=step[start],
        tail=step[start + count - 2],
        coords=allc,
        start=start,
        count=count,
        tags=net.tags,
        classes=net.classes,
    )


def _bearings(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Compass bearings in degrees from positions ``a`` to ``b`` (rows of lon, lat), as `instructions` measures them."""
    dx = (b[:, 0] - a[:, 0]) * np.cos(np.radians((a[:, 1] + b[:, 1]) / 2))
    return np.degrees(np.arctan2(dx, b[:, 1] - a[:, 1])) % 360


def _hills(line: list[list[float]], coords: list[list[float]], keep: np.ndarray | None = None) -> dict[str, Any]:
    """Climbing properties of a route; puts the height on every position of ``line``.

    ``line`` holds the positions of ``coords`` numbered ``keep`` (all when None).
    """
    from .elevation import route_elevation

    hills = route_elevation(coords)
    if hills is None:
        return {"ascent_m": None, "descent_m": None, "max_grade_pct": None, "elevation_profile": None}
    ele = hills.pop("ele")
    for pos, z in zip(line, ele if keep is None else [ele[k] for k in keep.tolist()], strict=False):
        pos.append(round(float(z), 1))
    return hills
