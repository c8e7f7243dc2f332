#!/usr/bin/env python
"""Dense against sparse (versioned) labels for the one-to-many searches of a request (issue 19).

`Router.costs_from` answers either arrays over the whole network (``sparse=False``:
two ``np.full(n)`` per search, then a scatter) or only the nodes it reached
(``sparse=True``, versioned labels: nothing of the network's size per search). On
the same random starts, interleaved, this times both for the three shapes of search
a request makes:

- ``reach``: riding times from a point, limited to 30 minutes (`routes.reach`);
- ``tour row``: from a point to 10 random junctions, no limit (a row of a tour's or
  a bike-share trip's matrix, `routes._trees.tree_costs`);
- ``alternatives``: both trees of `routes.alternatives` (forward and reverse,
  limited to 1.3 times the pair's cost).

and, for the whole request, `routes.reach.reach` (30 minutes) and
`routes.tours.travel_matrix` of 10 points (p50 ms, no comparison: the old code is gone).

Usage: python scripts/bench_labels.py --source FILE [--starts 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routes import load_network  # noqa: E402
from routes.reach import reach  # noqa: E402
from routes.tours import travel_matrix  # noqa: E402


def _ms(values: list[float]) -> float:
    return float(np.median(values)) * 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--starts", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", default="safe")
    args = ap.parse_args(argv)
    net = load_network(args.source)
    router = net.router(args.profile)
    rng = np.random.default_rng(args.seed)
    big = np.flatnonzero(router._big_node)
    starts = rng.choice(big, args.starts)
    dur = np.where(np.isfinite(router.cost), router.duration, np.inf)
    shapes = {
        "reach": lambda s, sparse: router.costs_from([s], [0.0], [], edge_cost=dur, limit=1800.0, sparse=sparse),
        "tour row": lambda s, sparse: router.costs_from([s], [0.0], rng_targets[s], sparse=sparse),
        "alternatives": lambda s, sparse: [
            router.costs_from([s], [0.0], [], limit=alt_limit[s], sparse=sparse, reverse=rev) for rev in (False, True)
        ],
    }
    rng_targets = {int(s): rng.choice(big, 10) for s in starts}
    alt_limit = {}
    for s in starts:
        t = int(rng.choice(big))
        cost, _ = router.node_path([int(s)], [0.0], [t], [0.0])
        alt_limit[int(s)] = 1.3 * cost
    times: dict[tuple[str, bool], list[float]] = {(k, sp): [] for k in shapes for sp in (False, True)}
    for name, fn in shapes.items():
        fn(int(starts[0]), True)  # compile / warm up
        for i, s in enumerate(starts.tolist()):
            for sparse in (False, True) if i % 2 == 0 else (True, False):
                t0 = time.perf_counter()
                fn(s, sparse)
                times[name, sparse].append(time.perf_counter() - t0)
    print(f"source={args.source} nodes={net.n_nodes} starts={args.starts} profile={args.profile}")
    summary = []
    for name in shapes:
        dense, sparse = _ms(times[name, False]), _ms(times[name, True])
        print(f"  {name}: dense {dense:.3f} ms, sparse {sparse:.3f} ms (sparse/dense {sparse / dense:.2f})")
        summary.append(f"{name.replace(' ', '_')}_ratio={sparse / dense:.2f}")
    whole = []
    for s in starts[:10].tolist():
        t0 = time.perf_counter()
        reach(net, (float(net.node_lat[s]), float(net.node_lon[s])), minutes=[30], profile=args.profile)
        whole.append(time.perf_counter() - t0)
    snaps = [router.snap(float(net.node_lat[v]), float(net.node_lon[v])) for v in rng.choice(big, 10)]
    travel_matrix(router, snaps)
    tm = []
    for _ in range(5):
        t0 = time.perf_counter()
        travel_matrix(router, snaps)
        tm.append(time.perf_counter() - t0)
    print(f"  reach(30 min) p50 {_ms(whole):.1f} ms; travel_matrix(10 points) p50 {_ms(tm):.1f} ms")
    print(" ".join(summary) + f" reach30_p50_ms={_ms(whole):.1f} matrix10_p50_ms={_ms(tm):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
