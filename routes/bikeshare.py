"""Dock-to-dock bike-share trips: walk to a station, ride, walk to the destination.

`bikeshare_route` picks the pickup and drop-off stations that make the whole
trip fastest, not merely the nearest ones: a station one street farther may
sit on a quicker ride. It needs few searches, all one-to-many on the warm
routers (`routes.routing.Router.costs_from`):

1. a walk search from the start to every candidate pickup station,
2. a reverse (many-to-one) walk search from the destination to every
   candidate drop-off station,
3. one ride search from each pickup candidate to every drop-off candidate.

Each search follows its profile's cost (the walk and the ride a person
would be given), and the duration of every path is summed along the search
tree, so the pair chosen is the fastest of the trips `routes.route` would
actually plan. The chosen legs are then planned with `routes.route`.

Examples
--------
>>> from routes import load_network                             # doctest: +SKIP
>>> from routes.bikeshare import bikeshare_route                # doctest: +SKIP
>>> f = bikeshare_route(load_network("paris.osm.pbf"), [(48.866, 2.363), (48.859, 2.352)])  # doctest: +SKIP
>>> [leg["mode"] for leg in f["properties"]["legs"]]           # doctest: +SKIP
['walk', 'bike', 'walk']
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._trees import end_seeds, seed_time, start_seeds, tree_costs
from .budget import check_budget
from .errors import FeedError, InvalidValueError, NoRouteError, OffNetworkError
from .geo import check_latlon
from .i18n import translate
from .network import haversine_m
from .profiles import get_profile
from .routing import Router, Snap, direct_piece, route

__all__ = ["bikeshare_route", "choose_stations"]

log = logging.getLogger(__name__)

#: Farthest (straight line, metres) a station may be from the start or the destination.
MAX_WALK_M = 1000.0
#: Candidate stations kept at each end (the nearest by walking time).
CANDIDATES = 8
#: Seconds to take a bike out of its dock, and again to put it back.
DOCK_S = 30.0


@dataclass(frozen=True)
class Choice:
    """The fastest station pair and the durations (s) of the trip's parts."""

    pickup: dict[str, Any]
    dropoff: dict[str, Any]
    walk_to_s: float
    ride_s: float
    walk_from_s: float
    total_s: float
    walk_only_s: float | None
    pairs_compared: int


# --------------------------------------------------------------------------- search trees


class _Tree:
    """One one-to-many search, with the cost and duration of the cheapest way to each target's ends.

    It runs on the graph `Router.leg` searches (turn restrictions included, `routes._trees`):
    forward from the point's start seeds to the targets' end seeds, or (``reverse``) backward
    from the point's end seeds to the targets' start seeds.
    """

    def __init__(
        self,
        router: Router,
        snap: Snap,
        targets: list[Snap],
        *,
        reverse: bool = False,
        edge_cost: np.ndarray | None = None,
    ):
        self.router, self.snap, self.reverse = router, snap, reverse
        self.cost = cost = router.cost if edge_cost is None else edge_cost
        seeds = end_seeds(router, snap, cost) if reverse else start_seeds(router, snap, cost)
        ends = start_seeds if reverse else end_seeds
        nodes = np.unique(np.asarray([n for t in targets for n, _, _ in ends(router, t, cost)], np.int64))
        self._at: dict[int, tuple[float, float]] = {}
        if seeds and len(nodes):
            check_budget("this bike-share trip")  # routes.budget: the caller's time cap, between searches
            timed = [(n, c, seed_time(router, c, p, cost)) for n, c, p in seeds]
            c, t = tree_costs(router, timed, nodes, reverse=reverse, edge_cost=cost)
            self._at = dict(zip(nodes.tolist(), zip(c.tolist(), t.tolist(), strict=True), strict=True))

    def to(self, other: Snap) -> tuple[float, float]:
        """(cost, duration) of the cheapest way between the search's point and ``other`` (one of the targets)."""
        r, cost = self.router, self.cost
        a, b = (other, self.snap) if self.reverse else (self.snap, other)
        best = (math.inf, math.inf)
        direct = direct_piece(a, b, cost)  # along one segment
        if direct is not None:
            best = (direct.value(cost), direct.value(r.duration))
        ends = start_seeds(r, other, cost) if self.reverse else end_seeds(r, other, cost)
        for node, c, piece in ends:
            at = self._at.get(node)
            if at is not None and at[0] + c < best[0]:
                best = (at[0] + c, at[1] + seed_time(r, c, piece, cost))
        return best


# --------------------------------------------------------------------------- choosing stations


def _near(stations: list[dict], lat: float, lon: float, max_m: float) -> list[dict]:
    if not stations:
        return []
    lats = np.array([s["lat"] for s in stations])
    lons = np.array([s["lon"] for s in stations])
    d = haversine_m(lon, lat, lons, lats)
    return [stations[i] for i in np.argsort(d) if d[i] <= max_m]


def _snapped(router: Router, stations: list[dict], edge_cost: np.ndarray | None = None) -> list[tuple[dict, Snap]]:
    out = []
    for s in stations:
        try:
            out.append(
                (
                    s,
                    router.snap(
                        s["lat"], s["lon"], what=f"station {s['station_id']}", edge_cost=edge_cost, avoid_small=True
                    ),
                )
            )
        except OffNetworkError:
            log.info("bike-share station %s is off the network; skipped", s["station_id"])
    return out


def choose_stations(
    network,
    start: tuple[float, float],
    end: tuple[float, float],
    stations: list[dict[str, Any]],
    *,
    profile: str = "safe",
    walk_profile: str = "walk",
    max_walk_m: float = MAX_WALK_M,
    candidates: int = CANDIDATES,
    dock_s: float = DOCK_S,
    edge_cost: np.ndarray | None = None,
    walk_edge_cost: np.ndarray | None = None,
) -> Choice:
    """The pickup and drop-off stations that make the whole trip fastest.

    A station is a pickup candidate when ``can_rent`` is not false (``None``,
    unknown, is allowed: OpenStreetMap stations), a drop-off candidate when
    ``can_return`` is not false; both lie within ``max_walk_m`` (straight
    line) of their end, and the ``candidates`` quickest to walk are kept.
    ``edge_cost`` / ``walk_edge_cost`` replace the ride's / the walks' profile
    costs (closures, `routes.closures.closure_edge_cost`).
    """
    walk, bike = network.router(walk_profile), network.router(profile)
    wc = walk_edge_cost
    o = walk.snap(*start, what="from", edge_cost=wc, avoid_small=True)
    d = walk.snap(*end, what="to", edge_cost=wc, avoid_small=True)
    rent = _snapped(walk, _near([s for s in stations if s.get("can_rent") is not False], *start, max_walk_m), wc)
    give = _snapped(walk, _near([s for s in stations if s.get("can_return") is not False], *end, max_walk_m), wc)
    if not rent:
        raise NoRouteError(f"no bike-share station that can rent a bike within {max_walk_m:.0f} m of the start")
    if not give:
        raise NoRouteError(
            f"no bike-share station that can take a bike back within {max_walk_m:.0f} m of the destination"
        )
    out_tree = _Tree(walk, o, [sn for _, sn in rent] + [d], edge_cost=wc)
    in_tree = _Tree(walk, d, [sn for _, sn in give], reverse=True, edge_cost=wc)
    walk_only = out_tree.to(d)[1]
    # (station, its snap, walking seconds), the nearest first
    rent_walk = sorted(((s, sn, out_tree.to(sn)[1]) for s, sn in rent), key=lambda x: x[2])
    give_walk = sorted(((s, sn, in_tree.to(sn)[1]) for s, sn in give), key=lambda x: x[2])
    rent_walk = [x for x in rent_walk if math.isfinite(x[2])][:candidates]
    give_walk = [x for x in give_walk if math.isfinite(x[2])][:candidates]
    if not rent_walk:
        raise NoRouteError(
            "no bike-share station that can rent a bike can be reached on foot from the start "
            "(is it on a walkway cut off from the streets?)"
        )
    if not give_walk:
        raise NoRouteError(
            "the destination cannot be reached on foot from any bike-share station that can "
            "take a bike back (is it on a walkway cut off from the streets?)"
        )
    give_bike = _snapped(bike, [s for s, _, _ in give_walk], edge_cost)
    give_by_id = {s["station_id"]: (sn, w) for s, _, w in give_walk for s2, sn in give_bike if s2 is s}
    best: Choice | None = None
    compared = 0
    for a, a_bike in _snapped(bike, [s for s, _, _ in rent_walk], edge_cost):
        walk_to = next(w for s, _, w in rent_walk if s is a)
        tree = _Tree(bike, a_bike, [sn for sn, _ in give_by_id.values()], edge_cost=edge_cost)
        for b, _, _ in give_walk:
            if b["station_id"] == a["station_id"] or b["station_id"] not in give_by_id:
                continue
            b_bike, walk_from = give_by_id[b["station_id"]]
            ride = tree.to(b_bike)[1]
            compared += 1
            total = walk_to + dock_s + ride + dock_s + walk_from
            if math.isfinite(total) and (best is None or total < best.total_s):
                best = Choice(a, b, walk_to, ride, walk_from, total, None, 0)
    if best is None:
        raise NoRouteError("no bike ride connects a station near the start with a station near the destination")
    return Choice(
        best.pickup,
        best.dropoff,
        best.walk_to_s,
        best.ride_s,
        best.walk_from_s,
        best.total_s,
        walk_only if math.isfinite(walk_only) else None,
        compared,
    )


# --------------------------------------------------------------------------- the trip


def _stations_for(network, stations, snapshot, gbfs_url, client) -> tuple[list[dict], dict[str, Any]]:
    """Station dicts and what is known of their freshness."""
    from .gbfs import client_for
    from .stations import gbfs_stations, iso_time, osm_stations

    if stations is not None:
        return list(stations), {"live": any(s.get("source") == "gbfs" for s in stations), "stale": False}
    if client is None and gbfs_url:
        client = client_for(gbfs_url)
    if snapshot is None and client is not None:
        try:
            snapshot = client.snapshot()
        except FeedError as exc:
            osm = osm_stations(network)
            return osm, {"live": False, "stale": True, "stale_reason": str(exc)}
    if snapshot is not None:
        return gbfs_stations(snapshot), {
            "live": True,
            "stale": snapshot.stale,
            "stale_reason": snapshot.stale_reason,
            "last_updated": iso_time(snapshot.last_updated),
            "included_minutes": snapshot.included_minutes,
        }
    return osm_stations(network), {"live": False, "stale": False}


def _station_props(s: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in s.items() if k not in ("lat", "lon")} | {"location": [s["lon"], s["lat"]]}


def bikeshare_route(
    network,
    points: Sequence[tuple[float, float]],
    *,
    stations: list[dict[str, Any]] | None = None,
    snapshot=None,
    gbfs_url: str | None = None,
    client=None,
    profile: str = "safe",
    walk_profile: str = "walk",
    lang: str = "en",
    max_walk_m: float = MAX_WALK_M,
    candidates: int = CANDIDATES,
    dock_s: float = DOCK_S,
    included_minutes: float | None = None,
    edge_cost: np.ndarray | None = None,
    walk_edge_cost: np.ndarray | None = None,
) -> dict[str, Any]:
    """Plan a bike-share trip from ``points[0]`` to ``points[-1]`` as a GeoJSON Feature.

    Parameters
    ----------
    network
        From `routes.load_network`.
    points
        ``(lat, lon)`` of the start and the destination (no via points).
    stations, snapshot, gbfs_url, client
        Where the stations come from, first given first: station dicts (see
        `routes.stations`), a `routes.gbfs.Snapshot`, a GBFS feed URL or a
        `routes.gbfs.GbfsClient` (when the feed cannot be read at all,
        OpenStreetMap stations are used and the result says ``stale``).
        Default: the network's OpenStreetMap stations (no live availability).
    profile, walk_profile
        Cycling profile of the ride; profile of the walks.
    max_walk_m, candidates, dock_s
        See `choose_stations`; ``dock_s`` is counted twice in ``duration_s``.
    included_minutes
        Ride minutes the ticket includes; default: from the feed's pricing
        plans. A longer ride adds a warning.
    edge_cost, walk_edge_cost
        Per-directed-edge cost arrays replacing the ride's and the walks'
        profile costs (closures: `routes.closures.closure_edge_cost`), used to
        choose the stations and to route the legs.

    Returns
    -------
    dict
        A Feature: the whole LineString; properties ``mode`` ("bikeshare"),
        ``distance_m``, ``duration_s``, ``legs`` (``mode`` walk|bike,
        ``distance_m``, ``duration_s``, ``from_station``, ``to_station``,
        ``coordinates``, ``instructions``), ``stations`` (pickup, dropoff),
        ``warnings``, ``included_minutes``, ``walk_only_duration_s``, ``live``,
        ``stale``, ``instructions``.
    """
    if len(points) != 2:
        raise InvalidValueError(f"a bike-share trip takes a start and a destination, got {len(points)} points")
    start, end = (check_latlon(float(p[0]), float(p[1]), what=w) for p, w in zip(points, ("from", "to"), strict=False))
    get_profile(profile), get_profile(walk_profile)
    pool, fresh = _stations_for(network, stations, snapshot, gbfs_url, client)
    choice = choose_stations(
        network,
        start,
        end,
        pool,
        profile=profile,
        walk_profile=walk_profile,
        max_walk_m=max_walk_m,
        candidates=candidates,
        dock_s=dock_s,
        edge_cost=edge_cost,
        walk_edge_cost=walk_edge_cost,
    )
    a, b = choice.pickup, choice.dropoff
    pa, pb = (a["lat"], a["lon"]), (b["lat"], b["lon"])
    parts = [
        (
            "walk",
            route(network, [start, pa], profile=walk_profile, lang=lang, edge_cost=walk_edge_cost),
            None,
            a["station_id"],
        ),
        (
            "bike",
            route(network, [pa, pb], profile=profile, lang=lang, edge_cost=edge_cost),
            a["station_id"],
            b["station_id"],
        ),
        (
            "walk",
            route(network, [pb, end], profile=walk_profile, lang=lang, edge_cost=walk_edge_cost),
            b["station_id"],
            None,
        ),
    ]
    coords: list[list[float]] = []
    legs, instructions = [], []
    for mode, feat, frm, to in parts:
        p, line = feat["properties"], feat["geometry"]["coordinates"]
        legs.append(
            {
                "mode": mode,
                "profile": p["profile"],
                "distance_m": p["distance_m"],
                "duration_s": p["duration_s"],
                "from_station": frm,
                "to_station": to,
                "coordinates": line,
                "instructions": p["instructions"],
            }
        )
        coords.extend(line if not coords or line[0] != coords[-1] else line[1:])
        steps = [dict(i, mode=mode) for i in p["instructions"] if i.get("type") != "arrive" or to is None]
        if mode == "bike":
            steps.insert(
                0,
                {
                    "type": "pickup",
                    "modifier": "",
                    "text": translate("bs_step_pickup", lang, name=a["name"]),
                    "name": a["name"],
                    "distance_m": 0.0,
                    "duration_s": dock_s,
                    "location": line[0],
                    "mode": "bike",
                },
            )
            steps.append(
                {
                    "type": "dropoff",
                    "modifier": "",
                    "text": translate("bs_step_dropoff", lang, name=b["name"]),
                    "name": b["name"],
                    "distance_m": 0.0,
                    "duration_s": dock_s,
                    "location": line[-1],
                    "mode": "bike",
                }
            )
        instructions.extend(steps)
    ride_s = legs[1]["duration_s"]
    total_s = sum(leg["duration_s"] for leg in legs) + 2 * dock_s
    if included_minutes is None:
        included_minutes = fresh.get("included_minutes")
    warnings = []
    if included_minutes is not None and ride_s > included_minutes * 60:
        warnings.append(
            f"the ride takes about {math.ceil(ride_s / 60)} min, more than the {included_minutes:g} min "
            "the ticket includes: extra minutes are charged"
        )
    if fresh.get("stale"):
        warnings.append(f"station availability may be out of date ({fresh.get('stale_reason')})")
    elif not fresh.get("live"):
        warnings.append("no live availability: stations from OpenStreetMap may be empty or full")
    if choice.walk_only_s is not None and choice.walk_only_s <= total_s:
        warnings.append(f"walking all the way is as quick (about {math.ceil(choice.walk_only_s / 60)} min)")
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords if len(coords) > 1 else coords * 2},
        "properties": {
            "mode": "bikeshare",
            "profile": profile,
            "walk_profile": walk_profile,
            "distance_m": round(sum(leg["distance_m"] for leg in legs), 1),
            "duration_s": round(total_s, 1),
            "ride_duration_s": ride_s,
            "dock_s": dock_s,
            "legs": legs,
            "stations": {"pickup": _station_props(a), "dropoff": _station_props(b)},
            "pairs_compared": choice.pairs_compared,
            "walk_only_duration_s": None if choice.walk_only_s is None else round(choice.walk_only_s, 1),
            "included_minutes": included_minutes,
            "warnings": warnings,
            "live": fresh.get("live", False),
            "stale": fresh.get("stale", False),
            "stale_reason": fresh.get("stale_reason"),
            "last_updated": fresh.get("last_updated"),
            "waypoints": [
                {"role": "from", "location": [start[1], start[0]]},
                {
                    "role": "pickup",
                    "location": [a["lon"], a["lat"]],
                    "station_id": a["station_id"],
                    "name": translate("bs_step_pickup", lang, name=a["name"]),
                },
                {
                    "role": "dropoff",
                    "location": [b["lon"], b["lat"]],
                    "station_id": b["station_id"],
                    "name": translate("bs_step_dropoff", lang, name=b["name"]),
                },
                {"role": "to", "location": [end[1], end[0]]},
            ],
            "instructions": instructions,
        },
    }
