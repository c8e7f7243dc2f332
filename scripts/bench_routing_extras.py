#!/usr/bin/env python
"""Time the routing extras of issue 15 on one network.

- alternatives: for N random pairs (2 to 15 km apart), the time of `routes.route` (one
  route) and of `routes.alternatives.route_alternatives` with 3 alternatives, both from
  coordinates to the finished GeoJSON Feature(s); ratio of the medians, and how many
  alternatives were found;
- reach: `routes.reach.reach` for 30 minutes (and for 10,20,30) from N random points;
  p50 and p95 in ms.

Last line: ``alt_ratio=... reach30_p95_ms=... reach102030_p95_ms=...``

Usage: python scripts/bench_routing_extras.py --source FILE [--pairs 50] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from routes import load_network, route
from routes.alternatives import route_alternatives
from routes.errors import BikemapError
from routes.network import haversine_m
from routes.reach import reach


def _pct(values, q) -> float:
    return float(np.percentile(np.asarray(values), q)) * 1000 if values else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    try:
        net = load_network(args.source)
    except BikemapError as exc:
        print(f"bench_routing_extras: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    net.router(args.profile)
    pts = [(float(net.node_lat[i]), float(net.node_lon[i])) for i in rng.integers(0, net.n_nodes, 20 * args.pairs)]
    pairs = [
        (a, b) for a, b in zip(pts[0::2], pts[1::2], strict=True) if 2000 < haversine_m(a[1], a[0], b[1], b[0]) < 15000
    ][: args.pairs]
    route(net, list(pairs[0]), profile=args.profile)  # compile the searches
    route_alternatives(net, list(pairs[0]), profile=args.profile)
    one, three, found = [], [], []
    for a, b in pairs:
        try:
            t0 = time.perf_counter()
            route(net, [a, b], profile=args.profile)
            t1 = time.perf_counter()
            feats = route_alternatives(net, [a, b], n=3, profile=args.profile)
            t2 = time.perf_counter()
        except BikemapError:
            continue
        one.append(t1 - t0)
        three.append(t2 - t1)
        found.append(len(feats) - 1)
    ratio = np.median(three) / np.median(one)
    print(f"{net.name}: {len(one)} pairs, one route p50 {_pct(one, 50):.1f} ms p95 {_pct(one, 95):.1f} ms")
    print(f"  3 alternatives p50 {_pct(three, 50):.1f} ms p95 {_pct(three, 95):.1f} ms; ratio of medians {ratio:.2f}")
    print(
        f"  alternatives found: mean {np.mean(found):.2f}, {np.bincount(found, minlength=4).tolist()} pairs with 0..3"
    )
    starts = pts[: args.pairs]
    reach(net, starts[0], minutes=[30], profile=args.profile)
    r30, r123 = [], []
    for s in starts:
        try:
            t0 = time.perf_counter()
            reach(net, s, minutes=[30], profile=args.profile)
            t1 = time.perf_counter()
            reach(net, s, minutes=[10, 20, 30], profile=args.profile)
            t2 = time.perf_counter()
        except BikemapError:
            continue
        r30.append(t1 - t0)
        r123.append(t2 - t1)
    print(f"  reach 30 min: p50 {_pct(r30, 50):.1f} ms p95 {_pct(r30, 95):.1f} ms ({len(r30)} starts)")
    print(f"  reach 10,20,30 min: p50 {_pct(r123, 50):.1f} ms p95 {_pct(r123, 95):.1f} ms")
    print(f"alt_ratio={ratio:.2f} reach30_p95_ms={_pct(r30, 95):.1f} reach102030_p95_ms={_pct(r123, 95):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
