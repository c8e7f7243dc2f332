"""``bikemap stations`` (bike-share stations, live from GBFS) and ``bikemap bikeshare`` (dock-to-dock trips)."""

from __future__ import annotations

import argparse
import math

from .cli_common import add_source_argument, load_source, print_json
from .geo import parse_latlon
from .profiles import get_profile


def register(sub) -> None:
    p = sub.add_parser(
        "stations",
        help="list bike-share stations (live with --gbfs)",
        description="List bike-share stations: from the network source (OpenStreetMap "
        "amenity=bicycle_rental) or live from a GBFS feed.",
    )
    add_source_argument(p)
    p.add_argument("--gbfs", metavar="URL", help="the system's GBFS auto-discovery file (.../gbfs.json)")
    p.add_argument("--lang", default=None, help="preferred language of station names in the feed (e.g. fr)")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds per feed request (default 5)")
    p.add_argument("--json", action="store_true", help="print a GeoJSON FeatureCollection")
    p.set_defaults(func=run_stations)

    t = sub.add_parser(
        "bikeshare",
        help="plan a dock-to-dock bike-share trip",
        description="Walk to a station with a bike, ride to a station with a free dock near the "
        "destination, walk on: the stations that make the whole trip fastest.",
    )
    add_source_argument(t)
    t.add_argument("--from", dest="start", required=True, metavar="LAT,LON")
    t.add_argument("--to", dest="end", required=True, metavar="LAT,LON")
    t.add_argument("--gbfs", metavar="URL", help="GBFS feed for live availability (default: OpenStreetMap stations)")
    t.add_argument("--profile", default="safe", help="cycling profile of the ride (safe, fast, ...)")
    t.add_argument("--lang", default="en", choices=["en", "id"], help="language of the directions")
    t.add_argument("--max-walk", type=float, default=None, metavar="M", help="farthest station, metres (default 1000)")
    t.add_argument("--json", action="store_true", help="print the trip as a GeoJSON Feature")
    t.set_defaults(func=run_bikeshare)


def _client(args):
    from .gbfs import GbfsClient

    return GbfsClient(args.gbfs, language=getattr(args, "lang", None), timeout=args.timeout)


def run_stations(args: argparse.Namespace) -> int:
    from .stations import station_collection

    if args.gbfs:
        fc = station_collection(client=_client(args), fallback=False)
    else:
        fc = station_collection(load_source(args))
    if args.json:
        print_json(fc)
    else:
        print(table(fc))
    return 0


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(fc: dict) -> str:
    """A readable table of a station FeatureCollection."""
    feats = fc["features"]
    live = fc.get("live")
    head = f"{len(feats)} stations"
    if live:
        name = fc.get("system", {}).get("name")
        head += f" of {name}" if name else ""
        head += f", live data of {fc.get('last_updated') or 'unknown time'}"
        if fc.get("stale"):
            head += f" (STALE: {fc.get('stale_reason')}; last good read {fc.get('last_good')})"
        if fc.get("included_minutes"):
            head += f"; {fc['included_minutes']:g} min of riding included"
    else:
        head += " from OpenStreetMap (no live availability)"
    cols = ["station_id", "name", "capacity"]
    cols += (
        ["num_bikes_available", "num_docks_available", "can_rent", "can_return"] if live else ["network", "operator"]
    )
    titles = {
        "station_id": "id",
        "num_bikes_available": "bikes",
        "num_docks_available": "docks",
        "can_rent": "rent",
        "can_return": "return",
    }
    rows = [[titles.get(c, c) for c in cols]]
    rows += [[_cell(f["properties"].get(c))[:40] for c in cols] for f in feats]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = [head] + ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    return "\n".join(lines)


def run_bikeshare(args: argparse.Namespace) -> int:
    from .bikeshare import MAX_WALK_M, bikeshare_route
    from .gbfs import GbfsClient

    start, end = parse_latlon(args.start, what="--from"), parse_latlon(args.end, what="--to")
    get_profile(args.profile)
    # the user asked for live data: a feed that cannot be read is an error (exit 2)
    snapshot = GbfsClient(args.gbfs).snapshot() if args.gbfs else None
    net = load_source(args)
    feature = bikeshare_route(
        net,
        [start, end],
        snapshot=snapshot,
        profile=args.profile,
        lang=args.lang,
        max_walk_m=args.max_walk or MAX_WALK_M,
    )
    if args.json:
        print_json(feature)
    else:
        print(summary(feature))
    return 0


def summary(feature: dict) -> str:
    p = feature["properties"]
    st = p["stations"]
    lines = [f"{p['distance_m'] / 1000:.2f} km, about {math.ceil(p['duration_s'] / 60)} min door to door"]
    for leg in p["legs"]:
        what = {"walk": "walk", "bike": "ride"}[leg["mode"]]
        lines.append(f"  {what:5s} {leg['distance_m'] / 1000:5.2f} km  {math.ceil(leg['duration_s'] / 60):3d} min")
    lines.append(f"Take a bike at {st['pickup']['name']}, return it at {st['dropoff']['name']}")
    lines += [f"Warning: {w}" for w in p["warnings"]]
    lines.append("Directions:")
    lines += [f"{i:3d}. {ins['text']}" for i, ins in enumerate(p["instructions"], 1)]
    return "\n".join(lines)
