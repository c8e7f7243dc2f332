"""``bikemap match FILE``: a GPS track (GPX or GeoJSON LineString) matched to the network."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import add_source_argument, check_writable, emit, load_source
from .errors import SourceError
from .profiles import get_profile

#: Largest track file read, in bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024


def register(sub) -> None:
    p = sub.add_parser(
        "match",
        help="match a GPS track to the network",
        description="Match a GPS track (GPX or a GeoJSON LineString) to the streets: a route with directions.",
    )
    add_source_argument(p)
    p.add_argument("file", metavar="FILE", help="a .gpx file, or a GeoJSON LineString (or Feature of one)")
    p.add_argument("--profile", default="safe", help="cycling profile (safe, fast, ...)")
    p.add_argument("--lang", default="en", choices=["en", "id"], help="language of the directions")
    p.add_argument("--json", action="store_true", help="print the matched route as a GeoJSON Feature")
    p.add_argument("--gpx", metavar="FILE", help="also write the matched route as a clean GPX 1.1 file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .cli_route import summary
    from .gpx import feature_to_gpx
    from .matching import match_track, read_track

    get_profile(args.profile)
    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SourceError(f"{args.file} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        body = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    points = read_track(body, content_type="application/json" if path.suffix.lower() in (".json", ".geojson") else None)
    if args.gpx:
        check_writable(args.gpx)
    feature = match_track(load_source(args), points, profile=args.profile, lang=args.lang)
    emit(
        feature, args, to_gpx=lambda f: feature_to_gpx(f, lang=args.lang), summary=lambda f: summary(f, lang=args.lang)
    )
    return 0
