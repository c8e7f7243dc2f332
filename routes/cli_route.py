"""``bikemap route``: plan a route on the command line."""

from __future__ import annotations

import argparse
import copy

from .cli_common import add_source_argument, check_writable, clock, emit, load_source
from .geo import parse_latlon
from .i18n import translate
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
        emit(
            best, args, to_gpx=lambda f: feature_to_gpx(f, lang=args.lang), summary=lambda f: summary(f, lang=args.lang)
        )
        return 0
    feature = route(net, points, profile=args.profile, lang=args.lang, max_snap_m=args.max_snap)
    # the summary and the GPX name the points by what is there; --json stays the API's Feature
    named = _name_points(copy.deepcopy(feature), net, args.source, args.cache_dir)
    emit(
        feature if args.json else named,
        args,
        to_gpx=lambda _f: feature_to_gpx(named, lang=args.lang),
        summary=lambda f: summary(f, lang=args.lang),
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


def summary(feature: dict, *, lang: str = "en") -> str:
    """A readable summary of a route Feature, in ``lang`` (en, id)."""
    p = feature["properties"]
    total = p["distance_m"] or 1.0
    km = f"{p['distance_m'] / 1000:.2f}"
    lines = [
        translate(
            "cli_route_head",
            lang,
            km=km if lang != "id" else km.replace(".", ","),
            time=clock(p["duration_s"], lang),
            profile=p["profile"],
        )
    ]
    ways = (f"{_word('hw_' + k, lang, k)} {100 * v / total:.0f}%" for k, v in p["highway_m"].items())
    names = [pt.get("name") for pt in p.get("waypoints", [])]
    if any(names):
        lines.append(" -> ".join(n or "?" for n in names))
    lines.append(translate("cli_route_ways", lang) + ": " + ", ".join(ways))
    infra, main = f"{100 * p['cycle_infra_m'] / total:.0f}", f"{100 * p['main_road_m'] / total:.0f}"
    lines.append(translate("cli_route_infra", lang, infra=infra, main=main))
    if "surface_classes_m" in p:
        shares = ", ".join(
            f"{_word('cli_route_classes_' + k, lang, k)} {100 * v / total:.0f}%"
            for k, v in p["surface_classes_m"].items()
            if v > 0
        )
        unpaved = f"{p['longest_unpaved_m'] / 1000:.1f}"
        unpaved = unpaved if lang != "id" else unpaved.replace(".", ",")
        lines.append(translate("cli_route_surfaces", lang, shares=shares, km=unpaved))
    if p.get("ascent_m") is not None:
        lines.append(
            translate(
                "cli_route_climb",
                lang,
                up=f"{p['ascent_m']:.0f}",
                down=f"{p['descent_m']:.0f}",
                grade=f"{p['max_grade_pct']:.0f}",
            )
        )
    for wp in p.get("waypoints", []):
        if wp.get("moved"):
            point = _word("cli_route_points_" + wp["role"], lang, wp["role"])
            lines.append(translate("cli_route_moved", lang, point=point, m=f"{wp['snapped_m']:.0f}"))
    for alt in p.get("alternatives", []):
        a = alt["properties"]
        km = f"{a['distance_m'] / 1000:.2f}"
        lines.append(
            translate(
                "cli_route_alt",
                lang,
                n=a["alternative"],
                km=km if lang != "id" else km.replace(".", ","),
                time=clock(a["duration_s"], lang),
                shared=f"{a['shared_pct']:.0f}",
            )
        )
    lines.append(translate("cli_route_directions", lang))
    for i, ins in enumerate(p["instructions"], 1):
        dist = f" ({ins['distance_m']:.0f} m)" if ins["distance_m"] else ""
        lines.append(f"{i:3d}. {ins['text']}{dist}")
    return "\n".join(lines)


def _word(key: str, lang: str, default: str) -> str:
    """The message ``key`` (built from a class or a role: `routes.i18n.BUILT_IDS`), or ``default`` without one."""
    text = translate(key, lang)
    return default if text == key else text
