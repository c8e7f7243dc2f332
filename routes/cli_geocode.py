"""``bikemap place``: search the extract's places, streets and addresses, or name a point (offline)."""

from __future__ import annotations

import argparse

from .cli import add_source_argument, load_source, print_json
from .geo import parse_latlon


def register(sub) -> None:
    p = sub.add_parser(
        "place",
        help="find a place, street or address, or name a point",
        description="Search the network's OSM file for places, streets, addresses and destinations "
        "(every word as a prefix, accents and case ignored), or name the point given with --at.",
    )
    add_source_argument(p)
    p.add_argument("query", nargs="?", help="words to find, e.g. 'landstr 12'")
    p.add_argument("--near", metavar="LAT,LON", help="rank matches near this point first")
    p.add_argument("--at", metavar="LAT,LON", help="name this point instead of searching")
    p.add_argument("--lang", default="en", choices=["en", "id"], help="language of names")
    p.add_argument("--limit", type=int, default=10, help="most matches (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .errors import InvalidValueError
    from .geocode import check_query, load_place_index

    if (args.query is None) == (args.at is None):
        raise InvalidValueError("give either words to find or --at LAT,LON")
    at = parse_latlon(args.at, what="--at") if args.at else None
    near = parse_latlon(args.near, what="--near") if args.near else None
    if args.query is not None:
        check_query(args.query)
    net = load_source(args)
    index = load_place_index(net, args.source, cache_folder=args.cache_dir).attach_network(net)
    if at is not None:
        found = index.reverse(*at)
        if args.json:
            print_json(found)
        else:
            print(found["label"] if found else f"{at[0]:.6f},{at[1]:.6f} (nothing named near)")
        return 0
    hits = index.search(args.query, near=near, lang=args.lang, limit=max(1, min(args.limit, 50)))
    if args.json:
        print_json(hits)
    else:
        for h in hits:
            print(f"{h['label']}  [{h['kind']}]  {h['lat']:.6f},{h['lon']:.6f}")
    return 0
