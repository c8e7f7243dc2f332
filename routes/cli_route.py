"""``bikemap route``: plan a route on the command line."""

from __future__ import annotations

import argparse
import copy

from .cli import add_source_argument, check_writable, clock, emit, load_source
from .geo import parse_latlon
from .profiles import get_profile


def register(sub) -> None:
    p = sub.add_parser("route", help="plan a cycling route", description="Plan a cycling route between points.")
    add_source_argument(p)
    p.add_argument("--from", dest="start", required=True, metavar="LAT,LON")
    p.add_argument("--to", dest="end", required=True, metavar="LAT,LON")
    p.add_argument("--via", action="append", default=[], metavar="LAT,LON", help="a via point (repeatable, in order)")
    p.add_argument("--profile", default="safe", help="cycling profile (safe, fast, ...)")
    p.add_argument("--lang", default="en", choices=["en", "id"], help="language of the directions")
    p.add_argument(
        "--max-snap",
        type=float,
        default=None,
        metavar="M",
        help="farthest a point may be from a street, in metres (default 500)",
    )
    p.add_argument("--json", action="store_true", help="print the route as a GeoJSON Feature")
    p.add_argument("--gpx", metavar="FILE", help="also write the route as GPX 1.1")
    p.add_argument("--dem", metavar="PATH", help="elevation data (.hgt/.hgt.zip tiles, a folder of them, or GeoTIFF)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .gpx import feature_to_gpx
    from .routing import route
    from .sources import load_network

    points = [parse_latlon(args.start, what="--from")]
    points += [parse_latlon(v, what=f"--via {i + 1}") for i, v in enumerate(args.via)]
    points.append(parse_latlon(args.end, what="--to"))
    get_profile(args.profile)  # fail on a bad name before loading the network
    if args.gpx:
        check_writable(args.gpx)
    net = load_source(args) if not args.dem else load_network(args.source, cache_folder=args.cache_dir, dem=args.dem)
    feature = route(net, points, profile=args.profile, lang=args.lang, max_snap_m=args.max_snap)
    # the summary and the GPX name the points by what is there; --json stays the API's Feature
    named = _name_points(copy.deepcopy(feature), net, args.source, args.cache_dir)
    emit(
        feature if args.json else named,
        args,
        to_gpx=lambda _f: feature_to_gpx(named, lang=args.lang),
        summary=summary,
    )
    return 0


def _name_points(feature: dict, net, source, cache_dir) -> dict:
    """Name the route's points by what is there ("Schulgass 5, Schaan"); without names on failure."""
    import logging

    from .errors import BikemapError
    from .geocode import load_place_index, name_waypoints

    try:
        name_waypoints(feature, load_place_index(net, source, cache_folder=cache_dir).attach_network(net))
    except (BikemapError, OSError, ImportError) as exc:
        logging.getLogger(__name__).warning("points left unnamed: %s", exc)
    return feature


def summary(feature: dict) -> str:
    """A readable summary of a route Feature."""
    p = feature["properties"]
    total = p["distance_m"] or 1.0
    lines = [f"{p['distance_m'] / 1000:.2f} km, about {clock(p['duration_s'])} by bike ({p['profile']} profile)"]
    names = [w.get("name") for w in p.get("waypoints", [])]
    if any(names):
        lines.append(" -> ".join(n or "?" for n in names))
    lines.append("Way types: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in p["highway_m"].items()))
    lines.append(
        f"On cycle paths or lanes: {100 * p['cycle_infra_m'] / total:.0f}%, "
        f"busy roads without them: {100 * p['main_road_m'] / total:.0f}%"
    )
    if p.get("ascent_m") is not None:
        lines.append(
            f"Climb: {p['ascent_m']:.0f} m up, {p['descent_m']:.0f} m down, steepest {p['max_grade_pct']:.0f} %"
        )
    lines.append("Directions:")
    for i, ins in enumerate(p["instructions"], 1):
        dist = f" ({ins['distance_m']:.0f} m)" if ins["distance_m"] else ""
        lines.append(f"{i:3d}. {ins['text']}{dist}")
    return "\n".join(lines)
