"""Figures of the destination layer: seeding, closures as routing costs, optimistic-locking saves.

    python scripts/bench_staff.py [--source demo|FILE] [--db URL]

Prints one line per figure. Times are wall-clock on this machine (medians of
repeats where it says so); nothing here is asserted by tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _median(fn, n=7):
    """Median seconds of ``n`` single runs of ``fn``."""
    return statistics.median(timeit.repeat(fn, number=1, repeat=n))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default="demo")
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = ap.parse_args()

    import numpy as np

    from routes import load_network
    from routes.closures import closure_edge_cost
    from webapp.storage import open_database
    from webapp.storage.destinations import seed_destinations

    net = load_network(args.source)
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db = open_database(url)
    print(
        f"network {net.name}: {net.n_segments} segments, {len(net.pois)} OSM features; "
        f"database {db.engine.url.drivername}"
    )

    with db.session() as s:
        t0 = time.perf_counter()
        counts = seed_destinations(s, net.pois)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        seed_destinations(s, net.pois)
        again = time.perf_counter() - t0
    print(f"seed: {counts['created']} destinations in {first * 1000:.0f} ms; re-seed (no change) {again * 1000:.0f} ms")

    router = net.router("safe")
    rng = np.random.default_rng(1)
    segs = rng.choice(np.flatnonzero(np.isfinite(router.cost[0::2])), 50, replace=False)
    closures = [
        {
            "kind": "closure" if i % 2 else "hazard",
            "geometry": {"type": "LineString", "coordinates": net.segment_coords(int(s)).tolist()},
        }
        for i, s in enumerate(segs)
    ]
    closure_edge_cost(router, closures[:1])  # builds the segment index once per network
    for n in (1, 10, 50):
        t = _median(lambda n=n: closure_edge_cost(router, closures[:n]))
        print(
            f"edge_cost with {n} closures/hazards: {t * 1000:.1f} ms (median of 7; cached per set of active closures)"
        )

    from fixtures_db import add_user, make_staff_app

    app = make_staff_app(url, net)
    token = add_user(app, f"bench{int(time.time())}", "editor", "bench-pass")
    client = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(net.origin)},
        "properties": {"name": "Bench", "category": "other"},
    }
    r = client.post("/api/destinations", json=feat, headers=h)
    etag, dest = r.headers["ETag"], r.get_json()["id"]
    n = 200
    t0 = time.perf_counter()
    for i in range(n):
        r = client.patch(f"/api/destinations/{dest}", json={"description": f"v{i}"}, headers={**h, "If-Match": etag})
        etag = r.headers["ETag"]
    dt = time.perf_counter() - t0
    print(f"PATCH with If-Match (update + history row, committed): {n / dt:.0f} saves/s, {dt / n * 1000:.1f} ms each")
    with app.test_request_context():
        from webapp.storage import get_session
        from webapp.storage.closures import closure_edge_cost_for

        t = _median(lambda: closure_edge_cost_for(get_session(), net, "safe"), n=50)
    print(f"closures lookup per route request (no active closure): {t * 1000:.2f} ms (median of 50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
