"""Tours: the best order of chosen stops, a discovery tour in a time budget, a round trip.

A visitor rarely rides from A to B: they want to see several places and be
back at the bike-share dock before the rental runs out. Three planners share
one travel-time matrix (one-to-many searches on the real network and profile)
and one result, a GeoJSON Feature:

- `plan_order`: visit every chosen destination once, in the order that makes
  the ride shortest in time (exact up to `EXACT_MAX_STOPS`, iterated local
  search beyond).
- `plan_discovery`: choose and order the most interesting destinations that
  fit a budget of riding plus visiting, respecting opening hours at the
  planned arrival (an orienteering problem with time windows).
- `plan_round_trip`: a loop of about a given length through destinations,
  avoiding riding the same street twice.

Destinations are plain dicts (``id``, ``name``, ``category``, ``lat``,
``lon``, ``visit_min``, optional ``opening_hours``, ``description``, ``rank``)
so any layer can supply them; `destinations_from_network` makes them from the
OpenStreetMap features of a network (classified by `routes.places`).

Examples
--------
>>> from routes import load_network                                # doctest: +SKIP
>>> from routes.tours import plan_discovery                        # doctest: +SKIP
>>> net = load_network("demo")                                      # doctest: +SKIP
>>> tour = plan_discovery(net, (60.1699, 24.9384), 120, interests="museum:2,park")  # doctest: +SKIP
>>> tour["properties"]["order"]                                     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ._hours import open_windows
from ._once import compiled_once
from ._trees import end_seeds, seed_time, start_seeds, tree_costs
from ._tsp import held_karp as _held_karp
from ._tsp import order_heuristic as _order_heuristic
from ._tsp import orienteering as _orienteering
from ._tsp import schedule as _schedule
from .budget import check_budget
from .errors import (
    BikemapError,
    BudgetTooSmallError,
    InvalidValueError,
    NoRouteError,
    TooBigError,
    UnknownDestinationError,
)
from .geo import check_latlon
from .i18n import translate
from .network import Network, haversine_m
from .places import category_label, destinations_of, load_categories, place_description, place_name
from .profiles import get_profile
from .routing import Piece, Ride, Router, Snap, direct_piece, feature_from_legs, route_legs

# the compiled solvers, called from here: a process's first call compiles one, or loads what another process
# compiled, under a lock the machine's processes share (`routes._once`: about 40 s of compiling on a new install)
held_karp = compiled_once(_held_karp)
order_heuristic = compiled_once(_order_heuristic)
orienteering = compiled_once(_orienteering)
schedule = compiled_once(_schedule)

__all__ = [
    "EXACT_MAX_STOPS",
    "MAX_ORDER_STOPS",
    "default_start_time",
    "destinations_from_network",
    "network_timezone",
    "parse_interests",
    "plan_discovery",
    "plan_order",
    "plan_round_trip",
    "plan_tour",
    "tour_to_gpx",
    "tour_warnings",
    "travel_matrix",
]

#: Up to this many stops the best order is proven (Held-Karp); beyond, a heuristic.
EXACT_MAX_STOPS = 10
#: Most stops `plan_order` accepts.
MAX_ORDER_STOPS = 40
#: Most candidates a discovery tour considers (the most interesting nearest ones).
MAX_CANDIDATES = 100
#: A discovery tour's time when only the bike-share ticket's riding minutes are given (the page's default).
DEFAULT_BUDGET_MIN = 120.0
#: Longest budget of a discovery tour, and longest round trip.
MAX_BUDGET_MIN = 24 * 60
MAX_ROUND_TRIP_KM = 200.0
#: Search effort (fixed, so results are repeatable).
ORDER_RESTARTS, ORDER_KICKS = 6, 60
DISCOVERY_ITERATIONS = 150


# --------------------------------------------------------------------------- destinations


def destinations_from_network(net: Network) -> list[dict[str, Any]]:
    """Tourist destinations among the OSM features of a network, as plain dicts.

    The destinations of `routes.places.destinations_of` (one place mapped twice
    is one destination). Each has ``id`` (``osm:node/123``), ``name`` (the
    English name where tagged, else the local one, else the category),
    ``category``, ``lat``, ``lon``, ``visit_min`` (the category default),
    ``opening_hours`` (the OSM value or ``None``), ``description`` and ``rank``
    (an interest multiplier: 1.5 for features with a Wikipedia/Wikidata
    article, 0.5 without a name, else 1).
    """

    def build():
        cats = load_categories()
        out = []
        for p in destinations_of(net):
            tags, cat = p["tags"], p["category"]
            name = place_name(tags, "en")
            rank = 1.5 if ("wikipedia" in tags or "wikidata" in tags) else 1.0
            if not name:
                name, rank = category_label(cat, "en"), 0.5
            out.append(
                {
                    "id": f"osm:{p['ref']}",
                    "name": name,
                    "category": cat,
                    "lat": p["lat"],
                    "lon": p["lon"],
                    "visit_min": float(cats["visit_min"][cat]),
                    "opening_hours": tags.get("opening_hours"),
                    "description": place_description(tags, "en"),
                    "rank": rank,
                }
            )
        return out

    return [dict(d) for d in net._cached(f"tour_destinations.{id(net.pois)}", build)]


def _destination_index(destinations: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Check destination dicts and index them by id."""
    cats = load_categories()
    out: dict[str, dict[str, Any]] = {}
    for d in destinations:
        try:
            did = str(d["id"])
            lat, lon = check_latlon(float(d["lat"]), float(d["lon"]), what=f"destination {did}")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, BikemapError):
                raise
            raise InvalidValueError(f"a destination needs id, lat and lon: {str(dict(d))[:120]}") from None
        cat = d.get("category") or "other"
        if cat not in cats["vocabulary"]:
            cat = "other"
        visit = d.get("visit_min")
        visit = float(cats["visit_min"][cat]) if visit is None else float(visit)
        if not math.isfinite(visit) or visit < 0:
            raise InvalidValueError(f"destination {did} has a bad visit_min {d.get('visit_min')!r}")
        out[did] = {
            **d,
            "id": did,
            "lat": lat,
            "lon": lon,
            "category": cat,
            "visit_min": visit,
            "name": d.get("name") or category_label(cat, "en"),
            "rank": float(d.get("rank", 1.0) or 1.0),
        }
    return out


def parse_interests(
    interests: str | Mapping[str, float] | Sequence[str] | None,
) -> dict[str, float]:
    """Interest weights per category from ``"museum:2,nature"`` (weight 1 when not given).

    No interests means every category with weight 1.

    Examples
    --------
    >>> parse_interests("museum:2,nature")
    {'museum': 2.0, 'nature': 1.0}
    """
    vocab = load_categories()["vocabulary"]
    if not interests:
        return {c: 1.0 for c in vocab}
    items: list[tuple[str, Any]]
    if isinstance(interests, str):
        items = []
        for part in (p.strip() for p in interests.split(",")):
            if not part:
                continue
            name, _, w = part.partition(":")
            items.append((name.strip(), w.strip() or "1"))
    elif isinstance(interests, Mapping):
        items = list(interests.items())
    else:
        items = [(str(c), 1) for c in interests]
    out: dict[str, float] = {}
    for name, w in items:
        if name not in vocab:
            raise InvalidValueError(f"unknown interest {name!r}; choose from {', '.join(vocab)}")
        try:
            weight = float(w)
        except (TypeError, ValueError):
            raise InvalidValueError(f"interest weight of {name!r} must be a number, got {w!r}") from None
        if not (math.isfinite(weight) and 0 <= weight <= 100):
            raise InvalidValueError(f"interest weight of {name!r} must be between 0 and 100, got {w!r}")
        out[name] = weight
    if not any(v > 0 for v in out.values()):
        raise InvalidValueError("at least one interest needs a weight above 0")
    return out


# --------------------------------------------------------------------------- time


def network_timezone(net: Network) -> ZoneInfo:
    """The time zone at the centre of the network (timezonefinder), UTC when unknown."""

    def build():
        try:
            from timezonefinder import TimezoneFinder

            lon, lat = net.origin
            name = TimezoneFinder().timezone_at(lng=lon, lat=lat)
        except Exception:  # package missing or point in no zone
            name = None
        return ZoneInfo(name or "UTC")

    return net._cached("timezone", build)


#: Without a start time a tour starts now, unless it is night: then at `DAY_START_HOUR` (the next morning).
DAY_START_HOUR, NIGHT_FROM_HOUR = 9, 20


def _now(tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.now(tz).replace(microsecond=0)


def default_start_time(tz: ZoneInfo, now: dt.datetime | None = None) -> tuple[dt.datetime, bool]:
    """When a tour with no start time starts: ``(time, moved)``.

    Now in the day; at night (from `NIGHT_FROM_HOUR` to `DAY_START_HOUR`, when
    hardly anything is open) the next `DAY_START_HOUR` o'clock, ``moved`` True.

    >>> tz = ZoneInfo("Europe/Vaduz")
    >>> default_start_time(tz, dt.datetime(2026, 6, 6, 1, 0, tzinfo=tz))[0].isoformat()
    '2026-06-06T09:00:00+02:00'
    >>> default_start_time(tz, dt.datetime(2026, 6, 6, 22, 30, tzinfo=tz))[0].isoformat()
    '2026-06-07T09:00:00+02:00'
    >>> default_start_time(tz, dt.datetime(2026, 6, 6, 14, 5, tzinfo=tz))
    (datetime.datetime(2026, 6, 6, 14, 5, tzinfo=zoneinfo.ZoneInfo(key='Europe/Vaduz')), False)
    """
    now = (now or _now(tz)).astimezone(tz)
    if DAY_START_HOUR <= now.hour < NIGHT_FROM_HOUR:
        return now, False
    day = now.date() if now.hour < DAY_START_HOUR else now.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(DAY_START_HOUR), tz), True


def _start_time(start_time: dt.datetime | str | None, tz: ZoneInfo) -> dt.datetime:
    """An aware start time: given (naive means the network's local time) or `default_start_time`."""
    if start_time is None or start_time == "":
        return default_start_time(tz)[0]
    if isinstance(start_time, str):
        text = start_time.strip()
        try:
            start_time = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValueError(f"start time must be ISO 8601 like 2026-07-01T09:30, got {text[:40]!r}") from None
    if not 1900 <= start_time.year <= 2200:
        raise InvalidValueError(f"start time must be between the years 1900 and 2200, got {start_time.year}")
    if start_time.tzinfo is None:
        return start_time.replace(tzinfo=tz)
    return start_time.astimezone(tz)


# --------------------------------------------------------------------------- travel times


def travel_matrix(router: Router, snaps: Sequence[Snap], *, edge_cost: np.ndarray | None = None):
    """Riding times and costs between snapped points: ``(T, C)``, ``inf`` where unreachable.

    One one-to-many search per point (on the profile's cost, the way the rider
    will actually go), with the riding time summed along each cheapest path. The
    searches run on the graph the legs are searched on, turn restrictions
    included (`routes._trees`), so ``C[i, j]`` is what the leg from ``i`` to ``j``
    costs.
    """
    cost = router.cost if edge_cost is None else edge_cost
    dur = router.duration
    m = len(snaps)
    T = np.full((m, m), np.inf)
    C = np.full((m, m), np.inf)
    ins = [end_seeds(router, s, cost) for s in snaps]
    in_nodes = np.unique(np.array([n for seeds in ins for n, _, _ in seeds] or [0], np.int64))
    for i, a in enumerate(snaps):
        check_budget("this tour")  # routes.budget: the caller's time cap, between rows
        T[i, i] = C[i, i] = 0.0
        out = start_seeds(router, a, cost)
        if not out:
            continue
        node_c, node_t = tree_costs(router, [(n, c, p.value(dur)) for n, c, p in out], in_nodes, edge_cost=cost)
        at = dict(zip(in_nodes.tolist(), zip(node_c.tolist(), node_t.tolist(), strict=True), strict=True))
        for j, b in enumerate(snaps):
            if i == j:
                continue
            best_c, best_t = np.inf, np.inf
            direct = direct_piece(a, b, cost)  # along the one segment
            if direct is not None:
                best_c, best_t = direct.value(cost), direct.value(dur)
            for n, c, piece in ins[j]:
                cc = at[n][0] + c
                if cc < best_c:
                    best_c, best_t = cc, at[n][1] + seed_time(router, c, piece, cost)
            C[i, j], T[i, j] = best_c, best_t
    return T, C


# --------------------------------------------------------------------------- planners


def _snap_point(router: Router, point, what: str, edge_cost: np.ndarray | None = None) -> Snap:
    lat, lon = check_latlon(float(point[0]), float(point[1]), what=what)
    return router.snap(lat, lon, what=what, edge_cost=edge_cost, avoid_small=True)


def plan_order(
    net: Network,
    start: tuple[float, float],
    stops: Sequence[str],
    *,
    end: tuple[float, float] | None = None,
    profile: str = "safe",
    destinations: Iterable[Mapping[str, Any]] | None = None,
    start_time: dt.datetime | str | None = None,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
) -> dict[str, Any]:
    """Visit every stop once in the order that makes the ride shortest in time.

    Parameters
    ----------
    net
        From `routes.load_network`.
    start, end
        ``(lat, lon)``; without ``end`` the tour comes back to ``start``.
    stops
        Destination ids (from ``destinations``, default `destinations_from_network`).
    profile
        Cycling profile name.
    start_time
        When the ride starts (naive: the network's local time; default now);
        used for the arrival clock times and the opening hours shown per stop.
    edge_cost
        Optional per-directed-edge cost array replacing the profile's (closures,
        see `routes.closures.closure_edge_cost`): used for snapping, the travel
        times and the legs.

    Returns
    -------
    dict
        A GeoJSON Feature (see `plan_tour`); ``properties.method`` says
        ``exact`` (proven best, up to `EXACT_MAX_STOPS` stops) or ``heuristic``.
    """
    index = _destination_index(destinations if destinations is not None else destinations_from_network(net))
    ids = [str(s).strip() for s in stops if str(s).strip()]
    if not ids:
        raise InvalidValueError("a tour needs at least one stop")
    if len(ids) > MAX_ORDER_STOPS:
        raise TooBigError(f"at most {MAX_ORDER_STOPS} stops in one tour, got {len(ids)}")
    seen = set()
    for i in ids:
        if i not in index:
            raise UnknownDestinationError(f"unknown destination id {i!r}")
        if i in seen:
            raise InvalidValueError(f"destination {i!r} is listed twice")
        seen.add(i)
    get_profile(profile)
    router = net.router(profile)
    dests = [index[i] for i in ids]
    snaps = [_snap_point(router, start, "start", edge_cost)]
    if end is not None:
        snaps.append(_snap_point(router, end, "end", edge_cost))
    first = len(snaps)
    snaps += [_snap_point(router, (d["lat"], d["lon"]), f"destination {d['id']}", edge_cost) for d in dests]
    e = 1 if end is not None else 0
    T, _ = travel_matrix(router, snaps, edge_cost=edge_cost)
    for k, d in enumerate(dests, first):
        if not (np.isfinite(T[0, k]) and np.isfinite(T[k, e])):
            raise NoRouteError(
                f"no legal route with the '{router.profile.name}' profile to and from {d['name']} ({d['id']})"
            )
    idx = np.arange(first, len(snaps), dtype=np.int64)
    if len(ids) <= EXACT_MAX_STOPS:
        _, order = held_karp(T, 0, idx, e)
        method = "exact"
    else:
        _, order = order_heuristic(T, 0, idx, e, ORDER_RESTARTS, ORDER_KICKS, 0)
        method = "heuristic"
    seq = [int(k) for k in order]
    tz = network_timezone(net)
    t0 = _start_time(start_time, tz)
    return _tour_feature(
        router,
        snaps,
        seq,
        e,
        [dests[k - first] for k in seq],
        kind="order",
        method=method,
        start_time=t0,
        lang=lang,
        windows=False,
        edge_cost=edge_cost,
    )


def plan_discovery(
    net: Network,
    start: tuple[float, float],
    budget_min: float,
    *,
    interests: str | Mapping[str, float] | Sequence[str] | None = None,
    end: tuple[float, float] | None = None,
    profile: str = "safe",
    destinations: Iterable[Mapping[str, Any]] | None = None,
    start_time: dt.datetime | str | None = None,
    max_candidates: int = MAX_CANDIDATES,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    ride_budget_min: float | None = None,
) -> dict[str, Any]:
    """Choose and order the most interesting destinations that fit a time budget.

    A destination's interest is its category's weight in ``interests`` times
    its ``rank``. The budget counts riding, visiting (``visit_min``) and any
    wait for a place to open; a destination with known opening hours is only
    visited when the whole visit fits an opening at the planned arrival.
    ``ride_budget_min`` limits the riding alone (the minutes a bike-share
    ticket includes; the bike is docked during visits). ``edge_cost``: as in
    `plan_order` (closures).

    When ``interests`` are given, every interest with a weight above 0 gets
    at least one stop when one fits; the result's ``unserved`` lists the
    interests that got none, each with a ``reason`` (``none``: no such place
    within reach; ``closed``: closed for the whole tour; ``too_far``: the
    nearest needs more minutes than the budget or the riding allowed;
    ``crowded``: it fits alone but not with the other stops) and a ``text``
    in ``lang``.

    Raises
    ------
    BudgetTooSmallError
        Not even the nearest interesting destination fits the budget.
    """
    try:
        budget = float(budget_min)
    except (TypeError, ValueError):
        raise InvalidValueError(f"budget must be a number of minutes, got {budget_min!r}") from None
    if not (math.isfinite(budget) and 0 < budget <= MAX_BUDGET_MIN):
        raise InvalidValueError(f"budget must be between 1 and {MAX_BUDGET_MIN} minutes, got {budget_min!r}")
    ride_s = math.inf
    if ride_budget_min is not None:
        ride_s = float(ride_budget_min) * 60
        if not (math.isfinite(ride_s) and ride_s > 0):
            raise InvalidValueError(f"riding budget must be above 0 minutes, got {ride_budget_min!r}")
    weights = parse_interests(interests)
    asked = [c for c, w in weights.items() if w > 0] if interests else []
    index = _destination_index(destinations if destinations is not None else destinations_from_network(net))
    get_profile(profile)
    router = net.router(profile)
    budget_s = budget * 60
    start = check_latlon(float(start[0]), float(start[1]), what="start")
    end_pt = start if end is None else check_latlon(float(end[0]), float(end[1]), what="end")
    # candidates the budget could reach at all (straight line at a brisk 30 km/h), best first
    reach_m = budget_s * 30 / 3.6
    pool = []
    for d in index.values():
        prize = weights.get(d["category"], 0.0) * d["rank"]
        if prize <= 0:
            continue
        crow = float(
            haversine_m(start[1], start[0], d["lon"], d["lat"]) + haversine_m(d["lon"], d["lat"], end_pt[1], end_pt[0])
        )
        if crow <= reach_m:
            pool.append((-prize, crow, d["id"], d, prize))
    pool.sort(key=lambda x: x[:3])
    snaps = [_snap_point(router, start, "start", edge_cost)]
    if end is not None:
        snaps.append(_snap_point(router, end_pt, "end", edge_cost))
    e = 1 if end is not None else 0
    first = len(snaps)
    dests: list[dict] = []
    prizes: list[float] = []
    for *_, d, prize in pool:
        if len(dests) >= max_candidates:
            break
        try:
            snaps.append(router.snap(d["lat"], d["lon"], what=d["id"], edge_cost=edge_cost, avoid_small=True))
        except BikemapError:  # a peak far from any street: not a cycling destination
            continue
        dests.append(d)
        prizes.append(prize)
    if not dests:
        raise BudgetTooSmallError(translate("tourplan_nothing_near", lang, budget=f"{budget:.0f}"))
    tz = network_timezone(net)
    t0 = _start_time(start_time, tz)
    T, _ = travel_matrix(router, snaps, edge_cost=edge_cost)
    m = len(snaps)
    prize = np.zeros(m)
    prize[first:] = prizes
    visit = np.zeros(m)
    visit[first:] = [d["visit_min"] * 60 for d in dests]
    wn, wa, wb = _windows(dests, first, m, t0, budget_s)
    reachable = np.isfinite(T[0, first:]) & np.isfinite(T[first:, e])
    cands = np.arange(first, m, dtype=np.int64)[reachable]
    if len(cands) == 0:
        raise BudgetTooSmallError("no destination matching the interests can be reached from the start")
    solve = (T, 0, cands, e, prize, visit, wn, wa, wb, budget_s, DISCOVERY_ITERATIONS, 0, ride_s)
    _, _, route = orienteering(*solve)
    if len(route) == 0:
        raise BudgetTooSmallError(_nothing_fits(T, cands, e, visit, budget, ride_s, end is None, lang))
    cat_of = {k: dests[k - first]["category"] for k in range(first, m)}
    route = _cover_interests(solve, route, asked, cat_of, prize)
    seq = [int(k) for k in route]
    feature = _tour_feature(
        router,
        snaps,
        seq,
        e,
        [dests[k - first] for k in seq],
        kind="discovery",
        method="heuristic",
        start_time=t0,
        lang=lang,
        windows=True,
        edge_cost=edge_cost,
    )
    p = feature["properties"]
    p["budget_min"] = budget
    p["ride_budget_min"] = None if ride_budget_min is None else float(ride_budget_min)
    p["interests"] = weights
    p["candidates"] = int(len(cands))
    served = {d["category"] for d in dests if d["id"] in set(p["order"])}
    p["unserved"] = [
        _unserved(c, [k for k in cands if cat_of[int(k)] == c], solve, dests, first, lang)
        for c in asked
        if c not in served
    ]
    return feature


def _cover_interests(solve: tuple, route: np.ndarray, asked: list[str], cat_of: dict[int, str], prize) -> np.ndarray:
    """Give every asked-for interest a stop where one fits: its best stop that fits alone is made a must.

    The solver maximises the summed interest, so many short visits of one kind can
    crowd out the one long visit of another ("Museum + Heritage" and no museum).
    """
    T, s, cands, e, _, visit, wn, wa, wb, budget_s, *_rest, ride_s = solve
    served = {cat_of[int(k)] for k in route}
    must = []
    for c in asked:
        if c in served:
            continue
        best, best_score = -1, -1.0
        for k in cands:
            if cat_of[int(k)] != c:
                continue
            t = schedule(T, s, np.array([k], np.int64), e, visit, wn, wa, wb, ride_s)
            if t <= budget_s and prize[k] / (t + 1.0) > best_score:
                best, best_score = int(k), prize[k] / (t + 1.0)
        if best >= 0:
            must.append(best)
    if not must:
        return route
    boosted = prize.copy()
    boosted[must] += prize.sum() + 1.0  # worth more than everything else together
    _, _, forced = orienteering(T, s, cands, e, boosted, *solve[5:])
    return forced if len(forced) else route


def _unserved(category: str, ks: list, solve: tuple, dests: list[dict], first: int, lang: str) -> dict[str, Any]:
    """Why an asked-for interest got no stop: none near, closed, too far, or crowded out."""
    T, s, _, e, _, visit, wn, wa, wb, budget_s, *_rest, ride_s = solve
    label = category_label(category, lang)
    out: dict[str, Any] = {"category": category}
    no_windows = np.full(len(wn), -1, np.int64)
    alone = [(schedule(T, s, np.array([k], np.int64), e, visit, wn, wa, wb, ride_s), int(k)) for k in ks]
    free = [(schedule(T, s, np.array([k], np.int64), e, visit, no_windows, wa, wb, ride_s), int(k)) for k in ks]
    if not ks:
        out["reason"] = "none"
    elif any(t <= budget_s for t, _ in alone):
        out["reason"] = "crowded"
    elif any(t <= budget_s for t, _ in free):
        out["reason"] = "closed"
        out["name"] = dests[min(free)[1] - first]["name"]
    else:
        out["reason"] = "too_far"
        t, k = min((T[s, k] + visit[k] + T[k, e], int(k)) for k in ks)
        ride = T[s, k] + T[k, e]
        out["name"] = dests[k - first]["name"]
        out["need_min"] = math.ceil(t / 60)
        out["ride_min"] = math.ceil(ride / 60)
        if math.isfinite(ride_s) and ride > ride_s and t <= budget_s:
            out["reason"] = "too_far_ride"
    out["text"] = _say(
        lang,
        "unserved_" + out["reason"],
        label=label,
        name=out.get("name", ""),
        need=out.get("need_min", 0),
        ride=out.get("ride_min", 0),
        budget=f"{budget_s / 60:.0f}",
        inc=f"{ride_s / 60:.0f}" if math.isfinite(ride_s) else "",
    )
    return out


def _nothing_fits(T, cands, e: int, visit, budget: float, ride_s: float, back: bool, lang: str) -> str:
    """Why a discovery tour has no stop at all: closed, too much riding, or too little time."""
    ride = {int(c): T[0, c] + T[c, e] for c in cands}
    need = {int(c): ride[int(c)] + visit[c] for c in cands}
    way = translate("tourplan_there_and_back", lang) if back else translate("tourplan_on_the_way", lang)
    if any(ride[c] <= ride_s and need[c] <= budget * 60 for c in ride):  # it is the opening hours
        return translate("tourplan_nothing_open", lang, budget=f"{budget:.0f}")
    if math.isfinite(ride_s) and min(ride.values()) > ride_s:
        return translate(
            "tourplan_nothing_fits_ride",
            lang,
            inc=f"{ride_s / 60:.0f}",
            ride=math.ceil(min(ride.values()) / 60),
            way=way,
        )
    near = [need[c] for c in ride if ride[c] <= ride_s] or list(need.values())
    return translate("tourplan_nothing_fits", lang, budget=f"{budget:.0f}", need=math.ceil(min(near) / 60), way=way)


def _say(lang: str, key: str, **values: Any) -> str:
    """A message whose id is built (``"unserved_" + reason``): each is listed in `routes.i18n.BUILT_IDS`."""
    return translate("tourplan_" + key, lang, **values)


def _windows(dests, first: int, m: int, t0: dt.datetime, horizon_s: float):
    """Opening windows (seconds after the start) as padded arrays for the solver."""
    wn = np.full(m, -1, np.int64)
    lists: dict[int, list] = {}
    for k, d in enumerate(dests, first):
        spans = open_windows(d.get("opening_hours"), t0, horizon_s, coords=(d["lat"], d["lon"]))
        if spans is not None:
            lists[k] = spans
            wn[k] = len(spans)
    width = max([len(v) for v in lists.values()] + [1])
    wa = np.zeros((m, width))
    wb = np.zeros((m, width))
    for k, spans in lists.items():
        for w, (a, b) in enumerate(spans):
            wa[k, w], wb[k, w] = a, b
    return wn, wa, wb


def plan_round_trip(
    net: Network,
    start: tuple[float, float],
    distance_km: float,
    *,
    profile: str = "safe",
    destinations: Iterable[Mapping[str, Any]] | None = None,
    start_time: dt.datetime | str | None = None,
    directions: int = 8,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
) -> dict[str, Any]:
    """A loop from ``start`` of about ``distance_km``, through destinations where it can.

    Three waypoints on a circle through the start (moved onto a destination
    when one is near), routed one after the other with the edges already
    ridden made five times dearer, so the loop does not ride a street twice
    where it can avoid it; the circle is scaled until the length is within 5%
    of the target (or the best try is kept). Several directions are tried;
    the loop with the fewest repeated metres and quietest streets (profile
    cost per second) that is within 15% of the length wins. ``edge_cost``: as
    in `plan_order` (closures).
    """
    try:
        target_km = float(distance_km)
    except (TypeError, ValueError):
        raise InvalidValueError(f"distance must be a number of kilometres, got {distance_km!r}") from None
    if not (math.isfinite(target_km) and 0.5 <= target_km <= MAX_ROUND_TRIP_KM):
        raise InvalidValueError(
            f"round trip distance must be between 0.5 and {MAX_ROUND_TRIP_KM:.0f} km, got {distance_km!r}"
        )
    index = _destination_index(destinations if destinations is not None else destinations_from_network(net))
    get_profile(profile)
    router = net.router(profile)
    start = check_latlon(float(start[0]), float(start[1]), what="start")
    s0 = router.snap(*start, what="start", edge_cost=edge_cost, avoid_small=True)
    target = target_km * 1000
    x0, y0 = net.project_point(s0.lon, s0.lat)
    dlist = list(index.values())
    dxy = np.array([net.project(d["lon"], d["lat"]) for d in dlist], float).reshape(-1, 2)
    best = None
    for k in range(directions):
        theta = 2 * math.pi * k / directions
        r = target / (2 * math.pi) / 1.3  # streets are ~30% longer than the circle
        tried, below, above = None, None, None
        for _ in range(6):
            plan = _loop(router, net, s0, (x0, y0), r, theta, dlist, dxy, edge_cost)
            if plan is None:
                break
            if tried is None or abs(plan["length"] - target) < abs(tried["length"] - target):
                tried = plan
            ratio = target / max(plan["length"], 1.0)
            if abs(ratio - 1) <= 0.05:
                break
            if ratio > 1:
                below = r if below is None else max(below, r)
            else:
                above = r if above is None else min(above, r)
            # scale the circle; once the target is bracketed, bisect (length is not monotone in r)
            r = math.sqrt(below * above) if below and above else r * ratio**0.8
        if tried is None:
            continue
        err = abs(tried["length"] / target - 1)
        n_dest = sum(d is not None for d in tried["stops"])
        score = (
            err > 0.15,
            tried["reused"] / tried["length"] + 0.1 * tried["quiet"] - 0.05 * n_dest + err,
        )
        if best is None or score < best[0]:
            best = (score, tried)
    if best is None:
        raise NoRouteError(f"no loop of {target_km:g} km with the '{router.profile.name}' profile starts here")
    plan = best[1]
    tz = network_timezone(net)
    t0 = _start_time(start_time, tz)
    snaps = [s0, *plan["snaps"], s0]
    order = list(range(1, len(snaps) - 1))
    stop_dests = [dict(d, visit_min=0.0) if d is not None else None for d in plan["stops"]]
    feature = _tour_feature(
        router,
        snaps,
        order,
        len(snaps) - 1,
        stop_dests,
        kind="round_trip",
        method="heuristic",
        start_time=t0,
        lang=lang,
        windows=False,
        legs=plan["legs"],
    )
    p = feature["properties"]
    p["target_km"] = target_km
    p["repeated_m"] = round(plan["reused"], 1)
    return feature


def _loop(
    router: Router,
    net: Network,
    s0: Snap,
    xy0,
    r: float,
    theta: float,
    dlist,
    dxy,
    edge_cost: np.ndarray | None = None,
) -> dict | None:
    """Route one loop: start, three points around a circle of radius ``r``, start."""
    cx, cy = xy0[0] + r * math.cos(theta), xy0[1] + r * math.sin(theta)
    snaps: list[Snap] = []
    stops: list[dict | None] = []
    for q in (1, 2, 3):
        phi = theta + math.pi + q * math.pi / 2
        px, py = cx + r * math.cos(phi), cy + r * math.sin(phi)
        snap, dest = None, None
        if len(dxy):  # the most interesting destination near the point, if a street reaches it
            dd = np.hypot(dxy[:, 0] - px, dxy[:, 1] - py)
            near = [j for j in np.argsort(dd)[:8] if dd[j] <= 0.35 * r]
            near.sort(key=lambda j: (-dlist[j]["rank"], dd[j]))
            for j in near:
                if any(s is not None and s["id"] == dlist[j]["id"] for s in stops):
                    continue
                try:
                    snap = router.snap(
                        dlist[j]["lat"], dlist[j]["lon"], max_snap_m=250.0, edge_cost=edge_cost, avoid_small=True
                    )
                except BikemapError:
                    continue
                dest = dlist[j]
                break
        if snap is None:
            lon, lat = net.unproject(px, py)
            try:
                snap = router.snap(
                    float(lat),
                    float(lon),
                    what="loop point",
                    max_snap_m=max(500.0, 0.3 * r),
                    edge_cost=edge_cost,
                    avoid_small=True,
                )
            except BikemapError:
                continue
        snaps.append(snap)
        stops.append(dest)
    if not snaps:
        return None
    base = router.cost if edge_cost is None else edge_cost
    cost = base.copy()
    legs, seq = [], [s0, *snaps, s0]
    used: dict[int, float] = {}
    state: Ride | None = None  # where the leg before left the rider: restrictions hold across the stops
    for a, b in zip(seq, seq[1:], strict=False):
        try:
            _, pieces = router.leg(a, b, edge_cost=cost, ride=state)
        except BikemapError:
            return None
        legs.append(pieces)
        state = router.ride_after(pieces, state)
        for p in pieces:
            cost[2 * p.seg] *= 5.0
            cost[2 * p.seg + 1] *= 5.0
            used[p.seg] = used.get(p.seg, 0.0) + p.share
    length = sum(net.seg_length[p.seg] * p.share for pieces in legs for p in pieces)
    reused = sum(net.seg_length[s] * (v - 1) for s, v in used.items() if v > 1.0 + 1e-6)
    ride = sum(p.value(router.duration) for pieces in legs for p in pieces)
    pcost = sum(p.value(base) for pieces in legs for p in pieces)
    return {
        "snaps": snaps,
        "stops": stops,
        "legs": legs,
        "length": float(length),
        "reused": float(reused),
        "quiet": float(pcost / max(ride, 1.0)),
    }


# --------------------------------------------------------------------------- the result


def _tour_feature(
    router: Router,
    snaps: list[Snap],
    seq: list[int],
    e: int,
    dests: list,
    *,
    kind: str,
    method: str,
    start_time: dt.datetime,
    lang: str,
    windows: bool,
    legs: list[list[Piece]] | None = None,
    edge_cost: np.ndarray | None = None,
) -> dict:
    """Route the legs of ``start -> seq... -> end`` and build the tour Feature."""
    path = [snaps[0], *(snaps[k] for k in seq), snaps[e]]
    if legs is None:
        legs = route_legs(router, path, edge_cost=edge_cost)
    feature = feature_from_legs(router, path, legs, lang=lang, edge_cost=edge_cost)
    p = feature["properties"]
    t = 0.0
    stops_out, timeline = [], []
    for i, d in enumerate(dests):
        ride = p["legs"][i]["duration_s"]
        timeline.append({"type": "ride", "duration_s": round(ride, 1), "distance_m": p["legs"][i]["distance_m"]})
        t += ride
        if d is None:  # a round-trip turning point with no destination
            continue
        visit_s = d["visit_min"] * 60
        wait, is_open = 0.0, None
        spans = None
        if visit_s > 0:
            spans = open_windows(d.get("opening_hours"), start_time, t + 86400 * 7, coords=(d["lat"], d["lon"]))
        if spans is not None:
            fit = next(((a, b) for a, b in spans if max(t, a) + visit_s <= b), None)
            if windows and fit is not None:
                wait = max(0.0, fit[0] - t)
            is_open = any(a <= t + wait and t + wait + visit_s <= b for a, b in spans)
        if wait > 0:
            timeline.append({"type": "wait", "id": d["id"], "name": d["name"], "duration_s": round(wait, 1)})
        t += wait
        arrival = t
        if visit_s > 0:
            timeline.append({"type": "visit", "id": d["id"], "name": d["name"], "duration_s": round(visit_s, 1)})
        t += visit_s
        stops_out.append(
            {
                "id": d["id"],
                "name": d["name"],
                "category": d.get("category", "other"),
                "lat": d["lat"],
                "lon": d["lon"],
                "arrival_s": round(arrival, 1),
                "arrival_time": (start_time + dt.timedelta(seconds=round(arrival))).isoformat(),
                "wait_s": round(wait, 1),
                "visit_min": d["visit_min"],
                "opening_hours": d.get("opening_hours"),
                "open": is_open,
                "description": d.get("description"),
            }
        )
    last = p["legs"][-1]
    timeline.append({"type": "ride", "duration_s": last["duration_s"], "distance_m": last["distance_m"]})
    t += last["duration_s"]
    roles = ["start", *["stop"] * (len(path) - 2), "end"]
    for w, role in zip(p["waypoints"], roles, strict=False):
        w["role"] = role
    p.update(
        {
            "kind": kind,
            "method": method,
            "order": [s["id"] for s in stops_out],
            "stops": stops_out,
            "total_s": round(t, 1),
            "timeline": timeline,
            "start_time": start_time.isoformat(),
            "timezone": str(start_time.tzinfo),
        }
    )
    return feature


def tour_to_gpx(feature: dict[str, Any], *, name: str | None = None) -> str:
    """GPX 1.1 of a tour: the line, and one ``<wpt>`` per destination in visit order."""
    from .gpx import route_to_gpx

    p = feature["properties"]
    wpts = []
    for i, s in enumerate(p.get("stops", []), 1):
        bits = [s.get("category", "").capitalize()]
        if s.get("visit_min"):
            bits.append(f"visit {s['visit_min']:.0f} min")
        bits.append(f"arrive {_clock(s['arrival_s'])} after the start")
        if s.get("opening_hours"):
            bits.append(f"open {s['opening_hours']}")
        if s.get("description"):
            bits.append(str(s["description"]))
        wpts.append(
            {
                "lon": s["lon"],
                "lat": s["lat"],
                "name": f"{i}. {s['name']}",
                "description": ". ".join(bits),
            }
        )
    km = p.get("distance_m", 0) / 1000
    title = name or f"bikemap {p.get('kind', 'tour').replace('_', ' ')}, {km:.1f} km, {len(wpts)} stops"
    riding, total = _clock(p.get("duration_s", 0)), _clock(p.get("total_s", 0))
    desc = f"Riding {riding}, total with visits {total} ({p.get('profile')} profile)"
    return route_to_gpx(feature["geometry"]["coordinates"], wpts, name=title, description=desc)


def _clock(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def plan_tour(
    net: Network,
    start: tuple[float, float],
    *,
    stops: Sequence[str] | None = None,
    budget_min: float | None = None,
    distance_km: float | None = None,
    interests: str | Mapping[str, float] | Sequence[str] | None = None,
    end: tuple[float, float] | None = None,
    profile: str = "safe",
    destinations: Iterable[Mapping[str, Any]] | None = None,
    start_time: dt.datetime | str | None = None,
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    included_minutes: float | None = None,
    ride_budget_min: float | None = None,
) -> dict[str, Any]:
    """Plan the tour asked for by exactly one of ``stops``, ``budget_min`` or ``distance_km``.

    The result is a GeoJSON Feature: the whole line, and the properties of
    `routes.route` plus ``kind``, ``method``, ``order`` (destination ids in
    visit order), ``stops`` (id, name, category, lat, lon, ``arrival_s`` after
    the start, ``arrival_time``, ``wait_s``, ``visit_min``, ``open``),
    ``duration_s`` (riding), ``total_s`` (riding, waiting and visiting),
    ``timeline`` (ride / wait / visit steps), ``start_time`` and ``timezone``.
    ``edge_cost`` (optional, per directed edge, e.g. `routes.closures.closure_edge_cost`)
    replaces the profile's cost: closed streets are avoided, hazards penalised.

    ``included_minutes``: the minutes a bike-share ticket includes (e.g.
    `routes.gbfs.ride_budget_minutes`). With none of the three asked for, the
    tour is a discovery tour whose riding fits those minutes (the bike docked
    during visits) in `DEFAULT_BUDGET_MIN` (or the included minutes, if more)
    with its visits; the result gets ``included_minutes`` and ``warnings``
    (`tour_warnings`: riding, or the whole tour, longer than that; then why an
    asked-for interest got no stop, see `plan_discovery`).
    ``ride_budget_min``: a discovery tour's most minutes of riding.
    """
    if included_minutes is not None:
        try:
            included_minutes = float(included_minutes)
        except (TypeError, ValueError):
            raise InvalidValueError(f"included_minutes must be a number, got {included_minutes!r}") from None
        if not (math.isfinite(included_minutes) and included_minutes > 0):
            raise InvalidValueError(f"included_minutes must be above 0, got {included_minutes!r}")
        if stops is None and budget_min is None and distance_km is None:
            budget_min = max(DEFAULT_BUDGET_MIN, included_minutes)
            ride_budget_min = included_minutes
    if ride_budget_min is not None and budget_min is None:
        raise InvalidValueError("a riding budget goes with budget_min (a discovery tour)")
    moved, tz = False, network_timezone(net)
    if start_time is None or start_time == "":
        start_time, moved = default_start_time(tz)
    feature = _plan_tour(
        net,
        start,
        stops=stops,
        budget_min=budget_min,
        distance_km=distance_km,
        interests=interests,
        end=end,
        profile=profile,
        destinations=destinations,
        start_time=start_time,
        lang=lang,
        edge_cost=edge_cost,
        ride_budget_min=ride_budget_min,
    )
    p = feature["properties"]
    p["included_minutes"] = included_minutes
    p["warnings"] = tour_warnings(p, included_minutes, lang=lang) + [u["text"] for u in p.get("unserved", [])]
    p["start_time_moved"] = moved
    if moved:  # said first: every time in the plan follows from it
        when = dt.datetime.fromisoformat(p["start_time"])
        day = "today" if when.date() == _now(tz).date() else "tomorrow"
        p["warnings"].insert(0, _say(lang, "night_" + day, clock=when.strftime("%H:%M")))
    return feature


def tour_warnings(props: Mapping[str, Any], included_minutes: float | None, *, lang: str = "en") -> list[str]:
    """Plain-language warnings when a tour outlasts the minutes a bike-share ticket includes.

    ``props`` are a tour Feature's properties (``duration_s`` riding,
    ``total_s`` with visits and waits). Riding longer than ``included_minutes``
    is charged in any case; a whole tour longer than them only when the bike
    is kept during the visits.

    Examples
    --------
    >>> tour_warnings({"duration_s": 2400, "total_s": 2400}, 30)
    ['Riding takes about 40 min, more than the 30 min the bike-share ticket includes: extra minutes are charged.']
    >>> tour_warnings({"duration_s": 600, "total_s": 1200}, 30)
    []
    """
    if not included_minutes:
        return []
    limit_s = included_minutes * 60
    ride_s, total_s = float(props.get("duration_s") or 0), float(props.get("total_s") or 0)
    if ride_s > limit_s:
        return [
            translate("tourplan_warn_ride", lang, ride=_minutes_over(ride_s, included_minutes), inc=included_minutes)
        ]
    if total_s > limit_s:
        return [
            translate("tourplan_warn_total", lang, total=_minutes_over(total_s, included_minutes), inc=included_minutes)
        ]
    return []


def _minutes_over(seconds: float, limit_min: float) -> int:
    """Whole minutes as the map shows them (rounded half up), but never "about 30 min, more than 30 min"."""
    m = int(seconds / 60 + 0.5)
    return m if m > limit_min else math.ceil(seconds / 60)


def _plan_tour(
    net,
    start,
    *,
    stops,
    budget_min,
    distance_km,
    interests,
    end,
    profile,
    destinations,
    start_time,
    lang,
    edge_cost,
    ride_budget_min=None,
) -> dict[str, Any]:
    modes = [
        n for n, v in (("stops", stops), ("budget_min", budget_min), ("distance_km", distance_km)) if v is not None
    ]
    if len(modes) != 1:
        raise InvalidValueError(
            "give exactly one of stops, budget_min or distance_km" + (f" (got {', '.join(modes)})" if modes else "")
        )
    if interests and budget_min is None:
        raise InvalidValueError("interests go with budget_min (a discovery tour)")
    if stops is not None:
        return plan_order(
            net,
            start,
            stops,
            end=end,
            profile=profile,
            destinations=destinations,
            start_time=start_time,
            lang=lang,
            edge_cost=edge_cost,
        )
    if budget_min is not None:
        return plan_discovery(
            net,
            start,
            budget_min,
            interests=interests,
            end=end,
            profile=profile,
            destinations=destinations,
            start_time=start_time,
            lang=lang,
            edge_cost=edge_cost,
            ride_budget_min=ride_budget_min,
        )
    if end is not None:
        raise InvalidValueError("a round trip starts and ends at the start; end is not allowed with distance_km")
    return plan_round_trip(
        net,
        start,
        distance_km,
        profile=profile,
        destinations=destinations,
        start_time=start_time,
        lang=lang,
        edge_cost=edge_cost,
    )
