"""``bikemap serve``: run the web app on a production WSGI server (waitress).

The network is built or loaded from the cache once, before the server starts
listening. ``--debug`` runs Flask's development server (reloader off) instead.
"""

from __future__ import annotations

import argparse
import logging
import sys

from routes.cli import add_source_argument
from routes.errors import InvalidValueError

log = logging.getLogger(__name__)


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the web app (map and JSON API)",
                       description="Serve the bikemap web app: the route planner map and the JSON API.")  # fmt: skip
    add_source_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--threads", type=int, default=8, help="worker threads of the server (default 8)")
    p.add_argument("--tiles", default=None, metavar="URL|none",
                   help="background tile URL template ({z}/{x}/{y}), or none for a plain background")  # fmt: skip
    p.add_argument("--tiles-attribution", default=None, metavar="TEXT", help="attribution of the tiles")
    p.add_argument("--gbfs", default=None, metavar="URL", help="GBFS feed (gbfs.json) of the bike-share system: live stations")
    p.add_argument("--dem", metavar="PATH", help="elevation data (.hgt/.hgt.zip tiles, a folder of them, or GeoTIFF)")
    p.add_argument("--db", metavar="URL", help="destination database (SQLAlchemy URL; default: SQLite file in the instance folder)")
    p.add_argument("--debug", action="store_true", help="Flask development server with debug mode (never in production)")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace) -> dict:
    cfg = {"SOURCE": args.source}
    if args.cache_dir:
        cfg["CACHE_DIR"] = args.cache_dir
    if args.dem:
        cfg["DEM"] = args.dem
    if args.tiles is not None:
        cfg["TILES_URL"] = "" if args.tiles.lower() in ("", "none", "off") else args.tiles
    if args.tiles_attribution is not None:
        cfg["TILES_ATTRIBUTION"] = args.tiles_attribution
    if getattr(args, "db", None):
        cfg["DATABASE_URL"] = args.db
    if getattr(args, "gbfs", None):
        cfg["GBFS_URL"] = args.gbfs
    return cfg


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InvalidValueError(f"--port must be 1..65535, got {args.port}")
    if not 1 <= args.threads <= 256:
        raise InvalidValueError(f"--threads must be 1..256, got {args.threads}")
    from webapp import create_app

    app = create_app(config=_config(args))
    net = app.extensions["bikemap.network"]
    url = f"http://{args.host}:{args.port}/"
    print(f"bikemap: serving {net.name} ({net.n_segments} street segments) on {url}", file=sys.stderr, flush=True)
    try:
        if args.debug:
            app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        else:
            import waitress

            waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="bikemap")
    except OSError as exc:
        raise InvalidValueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
