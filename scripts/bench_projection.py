"""Accuracy and cost of the network's local projection (`routes.network.Network.project`).

    python scripts/bench_projection.py --source ../shared/data/liechtenstein-latest.osm.pbf

Draws random point pairs inside the network's bounds (seed 1): pairs 1 km and 5 km apart, and
pairs anywhere in the bounds. Compares their distance in the local projection with the WGS84
geodesic distance (pyproj's ``Geod``) and prints the error; then times a projection and its
inverse, and checks that the inverse is exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routes import load_network  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--pairs", type=int, default=20000)
    args = ap.parse_args()
    if args.pairs < 1:
        print("bench_projection: error: --pairs must be at least 1", file=sys.stderr)
        return 2
    net = load_network(args.source)
    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(1)
    w, s, e, n = net.bounds
    lon1, lat1 = rng.uniform(w, e, args.pairs), rng.uniform(s, n, args.pairs)
    worst = 0.0
    for dist in (1000.0, 5000.0, None):
        if dist is None:
            lon2, lat2 = rng.uniform(w, e, args.pairs), rng.uniform(s, n, args.pairs)
        else:
            az = rng.uniform(0, 360, args.pairs)
            lon2, lat2, _ = geod.fwd(lon1, lat1, az, np.full(args.pairs, dist))
        x1, y1 = net.project(lon1, lat1)
        x2, y2 = net.project(lon2, lat2)
        _, _, true = geod.inv(lon1, lat1, lon2, lat2)
        err = np.abs(np.hypot(x2 - x1, y2 - y1) - true)
        rel = float((err / np.maximum(true, 1.0)).max())
        worst = max(worst, rel)
        label = f"{dist / 1000:.0f} km pairs" if dist else f"pairs anywhere (up to {true.max() / 1000:.1f} km)"
        print(f"{label}: error p50 {np.median(err):.2f} m, p99 {np.percentile(err, 99):.2f} m, max {err.max():.2f} m")
    t0 = time.perf_counter()
    for _ in range(10):
        back = net.unproject(*net.project(lon1, lat1))
    ns = (time.perf_counter() - t0) / 10 / args.pairs * 1e9
    exact = bool(np.array_equal(back[0], lon1) and np.array_equal(back[1], lat1))
    print(f"max_rel_error_pct={100 * worst:.2f} project_and_back_ns_per_point={ns:.1f} inverse_exact={exact}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
