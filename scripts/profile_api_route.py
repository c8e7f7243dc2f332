#!/usr/bin/env python
"""Where the time of one ``GET /api/route`` goes, in the serving process (no HTTP server).

Builds the app as ``bikemap serve`` does (``create_app``, then its ``gc.freeze()``), picks
``--pairs`` random junction pairs of the largest piece that route (``--min-km``/``--max-km``
apart in a straight line; short trips show the fixed per-request costs), and calls the
WSGI app directly for each kind of request, the kinds taking turns pair by pair, ``--rounds``
times. Prints per kind the p50 of each request's CPU time (``time.thread_time``) and of each
pair's best round (a pause of a shared machine hits one round, not all), the body size,
then the same for the library's ``routes.route`` alone, the closures lookup, and an empty
view through the same app (Flask and every request hook). With ``--profile`` also the
functions of the first kind under cProfile (cumulative, ``--top`` lines).

    python scripts/profile_api_route.py --source ../shared/data/liechtenstein-latest.osm.pbf --max-km 5
    python scripts/profile_api_route.py --source ../shared/data/liechtenstein-latest.osm.pbf --profile

Kinds: ``full`` (the default request: full geometry and directions) and ``simplified``
(``overview=simplified&steps=false``, like OSRM's default request). With ``--plain`` only
``full`` (for a checkout that has no such options).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pairs_that_route(net, n: int, lo: float, hi: float, seed: int) -> list[tuple[tuple[float, float], ...]]:
    """``n`` (start, end) points: junctions ``lo``..``hi`` km apart with a route between them."""
    from routes import route
    from routes.errors import BikemapError

    router = net.router("safe")
    nodes = np.unique(router.src[np.isfinite(router.cost)])
    lat, lon = net.node_lat, net.node_lon
    rng = np.random.default_rng(seed)
    out: list[tuple[tuple[float, float], ...]] = []
    for _ in range(100 * n):
        if len(out) == n:
            break
        a, b = rng.choice(nodes, 2, replace=False)
        km = math.hypot((lon[a] - lon[b]) * 111.32 * math.cos(math.radians(lat[a])), (lat[a] - lat[b]) * 110.57)
        if lo <= km <= hi:
            pts = ((float(lat[a]), float(lon[a])), (float(lat[b]), float(lon[b])))
            try:
                route(net, list(pts))
            except BikemapError:
                continue
            out.append(pts)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--min-km", type=float, default=0.0)
    ap.add_argument("--max-km", type=float, default=1000.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--plain", action="store_true", help="only the default request (a checkout without options)")
    ap.add_argument("--profile", action="store_true", help="also cProfile the default request")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile_api_route-") as tmp:  # the network's cache and the database
        return _run(args, tmp)


def _run(args, tmp: str) -> int:
    from werkzeug.test import EnvironBuilder

    from routes import route
    from webapp import create_app
    from webapp.cli.serve import _freeze_heap

    app = create_app(
        config_overrides={
            "SOURCE": args.source,
            "CACHE_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "TILES_URL": "",
            "BASEMAP": "none",
        }
    )
    _freeze_heap()  # as `bikemap serve` does after loading: gc.freeze() and the young generation's threshold
    net = app.extensions["bikemap.network"]
    pts = pairs_that_route(net, args.pairs, args.min_km, args.max_km, args.seed)
    n = len(pts)
    queries = [f"from={a[0]:.6f},{a[1]:.6f}&to={b[0]:.6f},{b[1]:.6f}" for a, b in pts]
    kinds = {"full": ""} if args.plain else {"full": "", "simplified": "&overview=simplified&steps=false"}

    def environ(path: str, query: str) -> dict:
        return EnvironBuilder(path=path, query_string=query, headers={"Host": "127.0.0.1"}).get_environ()

    envs = {k: [environ("/api/route", q + extra) for q in queries] for k, extra in kinds.items()}

    def call(env: dict) -> int:
        status: list[str] = []
        body = app.wsgi_app(dict(env), lambda s, h, x=None: status.append(s))
        size = sum(len(chunk) for chunk in body)
        if hasattr(body, "close"):
            body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"profile_api_route: {status[0]}")
        return size

    def report(label: str, times: list[float], size: float | None = None) -> None:
        t = np.asarray(times).reshape(args.rounds, -1)
        extra = f", body p50 {size / 1000:.1f} kB" if size is not None else ""
        print(f"{label}: CPU p50 {np.median(t):.3f} ms, best round p50 {np.median(t.min(axis=0)):.3f} ms{extra}")

    for env in envs["full"][:10]:  # warm up
        call(env)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    sizes: dict[str, list[int]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for i in range(n):
            for k in kinds:
                t0 = time.thread_time()
                sizes[k].append(call(envs[k][i]))
                times[k].append((time.thread_time() - t0) * 1000)
    print(f"source={args.source} pairs={n} straight line {args.min_km:g}-{args.max_km:g} km, {args.rounds} rounds")
    for k, extra in kinds.items():
        report(f"GET /api/route?...{extra} ({k})", times[k], float(np.median(sizes[k])))

    lib = {k: [] for k in kinds}
    opts = {"full": {}, "simplified": {"overview": "simplified", "steps": False}}
    for _ in range(args.rounds):
        for a, b in pts:
            for k in kinds:
                t0 = time.thread_time()
                route(net, [a, b], **opts[k])
                lib[k].append((time.thread_time() - t0) * 1000)
    for k in kinds:
        report(f"routes.route alone ({k})", lib[k])

    from webapp.storage import get_session
    from webapp.storage.closures import closure_edge_cost_for

    with app.test_request_context("/api/route"):
        closures = []
        for _ in range(args.rounds * n):
            t0 = time.thread_time()
            closure_edge_cost_for(get_session(), net, "safe")  # a session object: older checkouts take only that
            closures.append((time.thread_time() - t0) * 1000)
    report("closures lookup (no closure active)", closures)

    app._got_first_request = False  # one more view, for this measurement only
    app.add_url_rule("/api/_empty", "profile_empty", lambda: app.response_class(b"{}", mimetype="application/json"))
    empty_env = environ("/api/_empty", queries[0])
    empty = []
    for _ in range(args.rounds * n):
        t0 = time.thread_time()
        call(empty_env)
        empty.append((time.thread_time() - t0) * 1000)
    report("an empty view through the app (Flask and the request hooks)", empty)

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for env in envs["full"]:
            call(env)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
