"""``bikemap basemap``: build the base map tiles of an OSM extract (tilemaker), once."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "basemap",
        help="build the offline base map (vector tiles) of an OSM file",
        description="Build the MBTiles base map of an .osm.pbf/.osm file with tilemaker into the cache "
        "(bikemap serve finds it there), or copy it to --out.",
    )
    p.add_argument("--source", default="demo", help="demo (default) or a .osm.pbf/.osm/.osm.bz2 file")
    p.add_argument("--cache-dir", default=None, help="folder of built files (default ~/.cache/bikemap)")
    p.add_argument("--out", metavar="FILE", help="also copy the MBTiles file here (BASEMAP=FILE serves it)")
    p.add_argument("--rebuild", action="store_true", help="build again even if the cache has it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import shutil
    import time

    from .basemap import basemap_info, build_basemap
    from .cli import check_writable

    if args.out:
        check_writable(args.out, "MBTiles file")
    t0 = time.perf_counter()
    path = build_basemap(args.source, cache_folder=args.cache_dir, rebuild=args.rebuild)
    info = basemap_info(path)
    if args.out:
        shutil.copyfile(path, args.out)
    print(
        f"{args.out or path}: {info.size / 1e6:.2f} MB, zoom {info.minzoom}-{info.maxzoom}, "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return 0
