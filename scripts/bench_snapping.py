#!/usr/bin/env python
"""How far route ends move from the requested points: the old snapping rule against the new.

Old rule (before issue 15): every point goes to the nearest street of the big network (up to
500 m away), passing over small strongly connected pieces. New rule (`routes.route`): the
nearest usable street; the big network only when the small piece cannot reach the other point.
For N random pairs of points within ~50 m of random junctions (seed 42), prints how many
routes start or end more than 25 m farther from the requested point than its nearest usable
street, the largest such extra move, and the errors (no route, off the network), under each rule.

Usage: python scripts/bench_snapping.py --source FILE [--pairs 200]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from routes import load_network
from routes.errors import BikemapError
from routes.routing import route_pieces


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    net = load_network(args.source)
    router = net.router(args.profile)
    rng = np.random.default_rng(args.seed)
    idx = rng.integers(0, net.n_nodes, 2 * args.pairs)
    jitter = rng.uniform(-0.0004, 0.0004, (2 * args.pairs, 2))
    pts = [(float(net.node_lat[i] + d[0]), float(net.node_lon[i] + d[1])) for i, d in zip(idx, jitter, strict=True)]
    pairs = list(zip(pts[0::2], pts[1::2], strict=True))
    nearest = {}
    for p in pts:
        try:
            nearest[p] = router.snap(*p).distance_m
        except BikemapError:
            nearest[p] = float("nan")
    for name in ("old", "new"):
        far = 0
        worst = 0.0
        failed: dict[str, int] = {}
        for a, b in pairs:
            try:
                if name == "old":
                    snaps = [router.snap(*p, avoid_small=True) for p in (a, b)]
                    router.leg(snaps[0], snaps[1])
                else:
                    _, snaps, _ = route_pieces(net, [a, b], profile=args.profile)
            except BikemapError as exc:
                failed[exc.code] = failed.get(exc.code, 0) + 1
                continue
            moved = max(s.distance_m - nearest[p] for s, p in zip(snaps, (a, b), strict=True))
            far += moved > 25
            worst = max(worst, moved)
        print(
            f"{name}: {far} of {len(pairs)} routes start or end > 25 m farther than the nearest usable street "
            f"(largest extra {worst:.0f} m); errors {failed or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
