"""``bikemap route``: plan a route on the command line."""

from __future__ import annotations

import argparse

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
    p.add_argument(
        "--alternatives",
        type=int,
        default=0,
        metavar="N",
        help="also find up to N (at most 3) meaningfully different routes (no via points)",
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
    if args.alternatives:
        from .alternatives import route_alternatives

        best, *others = route_alternatives(
            net, points, n=args.alternatives, profile=args.profile, lang=args.lang, max_snap_m=args.max_snap
        )
        best["properties"]["alternatives"] = others
        emit(best, args, to_gpx=lambda f: feature_to_gpx(f, lang=args.lang), summary=summary)
        return 0
    feature = route(net, points, profile=args.profile, lang=args.lang, max_snap_m=args.max_snap)
    emit(feature, args, to_gpx=lambda f: feature_to_gpx(f, lang=args.lang), summary=summary)
    return 0


_ROLE = {"from": "start", "to": "destination", "via": "via point"}


def summary(feature: dict) -> str:
    """A readable summary of a route Feature."""
    p = feature["properties"]
    total = p["distance_m"] or 1.0
    lines = [f"{p['distance_m'] / 1000:.2f} km, about {clock(p['duration_s'])} by bike ({p['profile']} profile)"]
    lines.append("Way types: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in p["highway_m"].items()))
    lines.append(
        f"On cycle paths or lanes: {100 * p['cycle_infra_m'] / total:.0f}%, "
        f"busy roads without them: {100 * p['main_road_m'] / total:.0f}%"
    )
    if "surface_classes_m" in p:
        sc = p["surface_classes_m"]
        lines.append(
            "Surfaces: "
            + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in sc.items() if v > 0)
            + f"; longest unpaved stretch {p['longest_unpaved_m'] / 1000:.1f} km"
        )
    if p.get("ascent_m") is not None:
        lines.append(
            f"Climb: {p['ascent_m']:.0f} m up, {p['descent_m']:.0f} m down, steepest {p['max_grade_pct']:.0f} %"
        )
    for w in p.get("waypoints", []):
        if w.get("moved"):
            lines.append(
                f"Note: the {_ROLE.get(w['role'], w['role'])} is {w['snapped_m']:.0f} m from the street it starts on"
            )
    for alt in p.get("alternatives", []):
        a = alt["properties"]
        lines.append(
            f"Alternative {a['alternative']}: {a['distance_m'] / 1000:.2f} km, about {clock(a['duration_s'])} "
            f"({a['shared_pct']:.0f}% shared with the best route)"
        )
    lines.append("Directions:")
    for i, ins in enumerate(p["instructions"], 1):
        dist = f" ({ins['distance_m']:.0f} m)" if ins["distance_m"] else ""
        lines.append(f"{i:3d}. {ins['text']}{dist}")
    return "\n".join(lines)
