#!/usr/bin/env python
"""``routes.route`` and ``Router.snap`` of this checkout and of another, side by side in one process.

The other checkout's ``routes`` package is copied into a temporary folder as ``routes_before``
and imported beside this one (its imports are relative), so both run on the same machine
load, call after call: for each of ``--pairs`` random junction pairs of the largest piece
(``--min-km``..``--max-km`` apart in a straight line), this checkout's call then the other's,
``--rounds`` times. Prints the p50 over pairs of each pair's best round (a pause of a shared
machine hits one round, not all), for the full answer, ``overview=simplified&steps=false``,
and snapping one point (the start, and a point up to about 30 m off it), with after ÷ before.

    python scripts/ab_route.py --source ../shared/data/liechtenstein-latest.osm.pbf --before /tmp/web2-main
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def best_p50(calls_after, calls_before, rounds: int) -> tuple[float, float]:
    """p50 over items of each item's best round (ms): (after, before), the two called in turn."""
    n = len(calls_after)
    after, before = np.full((rounds, n), np.inf), np.full((rounds, n), np.inf)
    for r in range(rounds):
        for i in range(n):
            t0 = time.perf_counter()
            calls_after[i]()
            after[r, i] = time.perf_counter() - t0
            t0 = time.perf_counter()
            calls_before[i]()
            before[r, i] = time.perf_counter() - t0
    return float(np.median(after.min(axis=0))) * 1e3, float(np.median(before.min(axis=0))) * 1e3


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--before", required=True, help="the other checkout (a folder holding routes/)")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--min-km", type=float, default=1.0)
    ap.add_argument("--max-km", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    if not (Path(args.before) / "routes" / "__init__.py").is_file():
        print(f"ab_route: {args.before} holds no routes/ package", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ab_route-") as tmp:
        shutil.copytree(Path(args.before) / "routes", Path(tmp) / "routes_before")
        sys.path.insert(0, tmp)
        from routes.errors import BikemapError

        try:
            return _run(args, tmp)
        except BikemapError as exc:  # a source that cannot be read: one line, no traceback
            print(f"ab_route: {exc}", file=sys.stderr)
            return 2


def _run(args, tmp: str) -> int:
    from profile_api_route import pairs_that_route

    import routes

    old = importlib.import_module("routes_before")
    net = routes.load_network(args.source, cache_folder=f"{tmp}/cache-after")
    net_b = old.load_network(args.source, cache_folder=f"{tmp}/cache-before")
    pts = pairs_that_route(net, args.pairs, args.min_km, args.max_km, args.seed)
    print(
        f"source={args.source} pairs={len(pts)} straight line {args.min_km:g}-{args.max_km:g} km, {args.rounds} rounds"
    )
    print(f"after: {ROOT}, before: {args.before} (copied as routes_before)")
    kinds = {"full": {}, "overview=simplified&steps=false": {"overview": "simplified", "steps": False}}
    for label, opts in kinds.items():
        a = [lambda p=p, o=opts: routes.route(net, list(p), **o) for p in pts]
        b = [lambda p=p, o=opts: old.route(net_b, list(p), **o) for p in pts]
        for f in a[:10] + b[:10]:  # warm up
            f()
        ta, tb = best_p50(a, b, args.rounds)
        print(f"routes.route ({label}): p50 after {ta:.3f} ms, before {tb:.3f} ms, after/before {ta / tb:.2f}")
    rng = np.random.default_rng(args.seed)
    off = [(s[0] + rng.uniform(-3e-4, 3e-4), s[1] + rng.uniform(-3e-4, 3e-4)) for s, _ in pts]
    r, r_b = net.router("safe"), net_b.router("safe")
    for label, points in (("at a junction", [s for s, _ in pts]), ("up to ~30 m off it", off)):
        ta, tb = best_p50(
            [lambda p=p: r.snap(*p) for p in points], [lambda p=p: r_b.snap(*p) for p in points], args.rounds
        )
        print(f"Router.snap ({label}): p50 after {ta:.3f} ms, before {tb:.3f} ms, after/before {ta / tb:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
