"""``bikemap reach``: where a rider gets within some minutes (isochrones)."""

from __future__ import annotations

import argparse

from .cli_common import add_source_argument, load_source, print_json
from .geo import parse_latlon
from .profiles import get_profile


def register(sub) -> None:
    p = sub.add_parser(
        "reach",
        help="where a rider gets within some minutes",
        description="Polygons of where a rider gets within each time, following the streets.",
    )
    add_source_argument(p)
    p.add_argument("--from", dest="start", required=True, metavar="LAT,LON")
    p.add_argument("--minutes", default="10,20,30", metavar="M,M,...", help="riding times (default 10,20,30)")
    p.add_argument("--profile", default="safe", help="cycling profile (safe, fast, ...)")
    p.add_argument("--json", action="store_true", help="print the polygons as a GeoJSON FeatureCollection")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .reach import parse_minutes, reach

    start = parse_latlon(args.start, what="--from")
    minutes = parse_minutes(args.minutes, what="--minutes")
    get_profile(args.profile)
    fc = reach(load_source(args), start, minutes=minutes, profile=args.profile)
    if args.json:
        print_json(fc)
    else:
        for f in fc["features"]:
            p = f["properties"]
            print(f"{p['minutes']:g} min: {p['area_km2']:.1f} km² ({fc['profile']} profile)")
    return 0
