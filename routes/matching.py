"""GPS tracks in: map matching with a hidden Markov model (Newson and Krumm, 2009).

A rider's track (a friend's ride, an export from another app) becomes a bikemap
route with directions, way types, surfaces and climbs:

1. The track is read from GPX (parsed with defusedxml: no DTD, no entities, so no
   XXE or "billion laughs") or from a GeoJSON LineString (`read_track`).
2. Points closer than ``2 * sigma`` to the last one kept are dropped (as Newson and
   Krumm do: they add nothing but noise).
3. Each point's candidates are the streets the profile may use within ``radius`` metres,
   the point's projection on each (at most `MAX_CANDIDATES`). Emission: a Gaussian of
   the distance (``sigma``, GPS noise).
4. Transition between candidates of consecutive points: an exponential of the
   difference between the distance along the network (`Router.costs_from` on street
   lengths, legal directions only) and the straight-line distance (``beta``).
5. Viterbi gives the most likely sequence; a point no candidate of the previous one
   can reach is skipped as an outlier. The legs between chosen candidates are
   shortest paths by length, joined into one route (`routes.routing.feature_from_legs`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from .budget import check_budget
from .errors import InvalidFileError, NoRouteError, OffNetworkError, TooBigError
from .gpx import local_name, read_gpx
from .network import Network, haversine_m
from .profiles import Profile, get_profile
from .routing import Piece, Router, Snap, feature_from_legs, values_at

__all__ = ["MAX_CANDIDATES", "MAX_POINTS", "match_pieces", "match_track", "read_track"]

#: Most candidate streets per track point.
MAX_CANDIDATES = 10

#: Most points a track may have.
MAX_POINTS = 50_000

#: Consecutive points that may be skipped as outliers before the track counts as broken.
MAX_SKIPPED = 8


# --------------------------------------------------------------------------- reading


def read_track(body: bytes | str, *, content_type: str | None = None) -> list[tuple[float, float]]:
    """The (lat, lon) points of a GPX file's tracks (else its route) or of a GeoJSON LineString.

    Raises `routes.errors.InvalidFileError` for a body that is neither, declares a DTD or
    entities, holds no track or only one point.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    head = raw.lstrip()[:1]
    if head in (b"{", b"[") or (content_type or "").endswith("json"):
        points = _geojson_points(raw)
    else:
        points = _gpx_points(raw)
    if not points:
        raise InvalidFileError("the file holds no track: no <trkpt> or <rtept> points, or no LineString")
    if len(points) > MAX_POINTS:
        raise TooBigError(f"a track may have at most {MAX_POINTS} points, got {len(points)}")
    if len(points) < 2:
        raise InvalidFileError("the track has a single point: a track needs at least two")
    return points


def _geojson_points(raw: bytes) -> list[tuple[float, float]]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidFileError("the body is neither GPX nor GeoJSON (not valid JSON)") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") != "LineString" or not isinstance(doc.get("coordinates"), list):
        raise InvalidFileError("the GeoJSON must be a LineString (or a Feature of one)")
    out = []
    for c in doc["coordinates"]:
        if not (isinstance(c, list) and len(c) >= 2 and all(isinstance(v, (int, float)) for v in c[:2])):
            raise InvalidFileError("each position of the LineString must be [lon, lat]")
        out.append(_checked(float(c[1]), float(c[0])))
    return out


def _gpx_points(raw: bytes) -> list[tuple[float, float]]:
    root = read_gpx(raw)
    for name in ("trkpt", "rtept"):
        pts = [el for el in root.iter() if local_name(el.tag) == name]
        if pts:
            out = []
            for el in pts:
                try:
                    lat, lon = float(el.get("lat")), float(el.get("lon"))
                except (TypeError, ValueError):
                    raise InvalidFileError(f"a <{name}> has no valid lat and lon attributes") from None
                out.append(_checked(lat, lon))
            return out
    return []


def _checked(lat: float, lon: float) -> tuple[float, float]:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidFileError(f"a track point is not a latitude and longitude: ({lat}, {lon})")
    return lat, lon


# --------------------------------------------------------------------------- matching


def match_track(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    profile: str | Profile = "safe",
    lang: str = "en",
    edge_cost: np.ndarray | None = None,
    sigma: float = 10.0,
    beta: float = 5.0,
    radius: float = 50.0,
) -> dict[str, Any]:
    """Match a track of ``(lat, lon)`` points to the network: a route GeoJSON Feature.

    Parameters
    ----------
    network
        From `routes.load_network`.
    points
        The track, in order (from `read_track`).
    profile, lang
        As for `routes.route`: the streets the profile may use (in their legal directions), and
        the language of the directions.
    edge_cost
        Closures (`routes.closures`): the route is matched regardless (it was ridden), but the
        metres on closed streets are reported (``closed_m`` and a warning).
    sigma, beta, radius
        GPS noise in metres, the transition scale in metres, and how far a street may lie from a point.

    Returns
    -------
    dict
        A route Feature (see `routes.route`) with ``matched_points`` and ``track_points`` added.
    """
    router, chosen, pieces = match_pieces(network, points, profile=profile, sigma=sigma, beta=beta, radius=radius)
    feature = feature_from_legs(router, [chosen[0], chosen[-1]], [pieces], lang=lang)
    props = feature["properties"]
    props["track_points"] = len(points)
    props["matched_points"] = len(chosen)
    if edge_cost is not None:
        closed = sum(float(network.seg_length[p.seg]) * p.share for p in pieces if not np.isfinite(edge_cost[p.edge]))
        props["closed_m"] = round(closed, 1)
        if closed > 0:
            props["warnings"] = [f"the track rides {closed:.0f} m on streets that are closed now"]
    return feature


def match_pieces(
    network: Network,
    points: Sequence[tuple[float, float]],
    *,
    profile: str | Profile = "safe",
    sigma: float = 10.0,
    beta: float = 5.0,
    radius: float = 50.0,
    gamma: float = 2.0,
) -> tuple[Router, list[Snap], list[Piece]]:
    """The matching itself (see `match_track`): the router, the chosen positions, and the route's pieces."""
    router = network.router(get_profile(profile))
    pts = _thin(np.asarray(points, dtype=float), 2 * sigma)
    cands = _candidates(router, pts, radius)
    keep = [i for i, c in enumerate(cands) if c]
    if not keep:
        raise _off_network(router, pts, radius)
    length_cost = np.where(np.isfinite(router.cost), np.repeat(network.seg_length, 2), np.inf)
    prior = _way_prior(router, gamma)
    chosen = _viterbi(router, pts, cands, keep, length_cost, prior, sigma=sigma, beta=beta)
    pieces: list[Piece] = []
    for a, b in zip(chosen, chosen[1:], strict=False):
        try:
            pieces += router.leg(a, b, edge_cost=length_cost)[1]
        except NoRouteError:
            raise NoRouteError(
                f"the track cannot be followed on the streets the '{router.profile.name}' profile can use "
                f"near ({b.input_lat:.6f},{b.input_lon:.6f})"
            ) from None
    return router, chosen, [p for p in pieces if p.share > 0] or pieces[:1]


def _way_prior(router: Router, gamma: float) -> np.ndarray:
    """Per segment, the log-likelihood that a bike rides it: ``-gamma * ln(cost per metre / the best)``.

    Where a footway runs beside a cycle path a few metres away (Helsinki maps both), GPS noise
    cannot tell them apart; the profile's own preference (its cost per metre) does, as a rider
    on a bike is likelier on the cycle path.
    """
    per_m = np.fmin(router.cost[0::2], router.cost[1::2]) / np.maximum(router.network.seg_length, 0.1)
    finite = per_m[np.isfinite(per_m) & (per_m > 0)]
    base = float(np.percentile(finite, 5)) if len(finite) else 1.0
    return -gamma * np.log(np.clip(per_m / base, 1.0, 1e6))


def _thin(pts: np.ndarray, min_m: float) -> np.ndarray:
    """Drop points closer than ``min_m`` to the last point kept (the last point is always kept)."""
    keep = [0]
    for i in range(1, len(pts)):
        d = haversine_m(pts[keep[-1], 1], pts[keep[-1], 0], pts[i, 1], pts[i, 0])
        if d >= min_m:
            keep.append(i)
    if keep[-1] != len(pts) - 1:
        keep.append(len(pts) - 1)
    return pts[keep]


def _candidates(router: Router, pts: np.ndarray, radius: float) -> list[list[Snap]]:
    """Per point, the nearest position on each street within ``radius`` (nearest first)."""
    net = router.network
    x, y = net.project(pts[:, 1], pts[:, 0])
    geoms = shapely.points(np.asarray(x, float), np.asarray(y, float))
    where, segs = router._shared.tree.query(geoms, predicate="dwithin", distance=radius)
    usable = router._seg_ok[segs]  # streets the profile may use (one index serves every profile)
    where, segs = where[usable], segs[usable]
    lines = router._lines[segs]
    dist = shapely.distance(lines, geoms[where])
    along = shapely.line_locate_point(lines, geoms[where])
    on = shapely.line_interpolate_point(lines, along)
    lon, lat = net.unproject(shapely.get_x(on), shapely.get_y(on))
    length = router._proj_len[segs]
    frac = np.clip(np.divide(along, length, out=np.zeros_like(along), where=length > 0), 0.0, 1.0)
    out: list[list[Snap]] = [[] for _ in range(len(pts))]
    for k in np.lexsort((dist, where)):
        i = int(where[k])
        if len(out[i]) < MAX_CANDIDATES:
            out[i].append(
                Snap(
                    int(segs[k]),
                    float(frac[k]),
                    float(lon[k]),
                    float(lat[k]),
                    float(pts[i, 1]),
                    float(pts[i, 0]),
                    float(dist[k]),
                )
            )
    return out


def _off_network(router: Router, pts: np.ndarray, radius: float) -> OffNetworkError:
    net = router.network
    x, y = net.project(pts[:, 1], pts[:, 0])
    geoms = shapely.points(np.asarray(x, float), np.asarray(y, float))
    _, dist = router._shared.tree.query_nearest(geoms, return_distance=True, all_matches=False)
    near = float(np.min(dist)) if len(dist) else math.inf
    far = f"{near / 1000:.1f} km" if near >= 1000 else f"{near:.0f} m"
    exc = OffNetworkError(
        f"the track is entirely off the network: its nearest point is {far} from the streets "
        f"(a street the '{router.profile.name}' profile can use must be within {radius:.0f} m)",
        point="track",
    )
    exc.details = {"distance_m": round(near, 1) if math.isfinite(near) else None}
    return exc


def _network_m(router: Router, a: Snap, targets: list[Snap], cost: np.ndarray, limit: float) -> np.ndarray:
    """Metres along the network (legal directions) from ``a`` to each of ``targets`` (inf: farther than ``limit``)."""
    net = router.network
    seeds = []
    if np.isfinite(cost[2 * a.seg]):
        seeds.append((int(net.seg_v[a.seg]), cost[2 * a.seg] * (1 - a.frac)))
    if np.isfinite(cost[2 * a.seg + 1]):
        seeds.append((int(net.seg_u[a.seg]), cost[2 * a.seg + 1] * a.frac))
    nodes = [int(n) for b in targets for n in (net.seg_u[b.seg], net.seg_v[b.seg])]
    dist: dict[int, float] = {}
    if seeds:  # only the nodes the search reached (a search per track point: nothing of the network's size)
        reached, costs, _ = router.costs_from(
            [s[0] for s in seeds], [s[1] for s in seeds], nodes, edge_cost=cost, limit=limit, sparse=True
        )
        dist = dict(zip(nodes, values_at(reached, costs, nodes, np.inf).tolist(), strict=True))
    out = np.full(len(targets), np.inf)
    for j, b in enumerate(targets):
        best = math.inf
        if b.seg == a.seg:  # along the same street, if that direction is legal
            e = 2 * a.seg + (0 if b.frac >= a.frac else 1)
            if np.isfinite(cost[e]):
                best = cost[e] * abs(b.frac - a.frac)
        if seeds:
            u, v = int(net.seg_u[b.seg]), int(net.seg_v[b.seg])
            if np.isfinite(cost[2 * b.seg]):
                best = min(best, dist[u] + cost[2 * b.seg] * b.frac)
            if np.isfinite(cost[2 * b.seg + 1]):
                best = min(best, dist[v] + cost[2 * b.seg + 1] * (1 - b.frac))
        out[j] = best
    return out


def _viterbi(router, pts, cands, keep, cost, prior, *, sigma: float, beta: float) -> list[Snap]:
    """The most likely candidate of each point kept, in track order.

    A point no candidate of the previous one can reach is skipped as an outlier; after
    `MAX_SKIPPED` such points in a row the chain breaks (Newson and Krumm's "HMM break": a
    wrong street took over, or the rider left the streets the profile may use) and a new
    chain starts there. The chains are joined by shortest paths afterwards.
    """

    def emission(cs: list[Snap]) -> np.ndarray:
        return np.array([-0.5 * (c.distance_m / sigma) ** 2 + prior[c.seg] for c in cs])

    chosen: list[Snap] = []
    prev, score, prev_pt = cands[keep[0]], emission(cands[keep[0]]), pts[keep[0]]
    back: list[tuple[list[Snap], np.ndarray]] = []  # per step: the previous candidates, best previous index
    skipped = 0
    for i in keep[1:]:
        check_budget("matching this track")  # routes.budget: the caller's time cap, between points
        cur = cands[i]
        straight = float(haversine_m(prev_pt[1], prev_pt[0], pts[i, 1], pts[i, 0]))
        limit = 2 * straight + 4 * sigma + 50
        trans = np.stack([_network_m(router, a, cur, cost, limit) for a in prev])  # prev x cur metres
        logp = score[:, None] - np.abs(trans - straight) / beta
        best_prev = np.argmax(logp, axis=0)
        new = logp[best_prev, np.arange(len(cur))] + emission(cur)
        if np.isfinite(new).any():
            skipped = 0
            back.append((prev, best_prev))
            prev, score, prev_pt = cur, new, pts[i]
            continue
        skipped += 1  # nothing reaches this point: an outlier, or a break
        if skipped <= MAX_SKIPPED:
            continue
        chosen += _backtrack(prev, score, back)
        prev, score, prev_pt, back, skipped = cur, emission(cur), pts[i], [], 0
    chosen += _backtrack(prev, score, back)
    if len(chosen) < 2:
        chosen.append(chosen[0])
    return chosen


def _backtrack(last: list[Snap], score: np.ndarray, back: list[tuple[list[Snap], np.ndarray]]) -> list[Snap]:
    k = int(np.argmax(score))
    chosen = [last[k]]
    for cands_before, best_prev in reversed(back):
        k = int(best_prev[k])
        chosen.append(cands_before[k])
    chosen.reverse()
    return chosen
