"""Benchmark the tour planner: speed of the best order and of a discovery tour, and quality.

    python scripts/bench_tours.py --source ../shared/data/liechtenstein-latest.osm.pbf

Prints, per line: the network, the candidates used, the time of a 25-stop best
order (`plan_order`, whole request: matrix, solver, routed legs, Feature), the
time of a discovery tour over 100 candidates (`plan_discovery`), and the
quality of the heuristics against proven optima on small instances taken from
the real travel-time matrix: the best order (heuristic vs Held-Karp) and the
discovery tour (prize vs brute force over every ordered subset). The last line
holds every figure, ending with ``gap_pct=...``, the worst gap of the two.

Where the source has fewer OSM destinations than needed, random points on the
network (seeded, so runs are repeatable) are added as candidates, and the
script says how many.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routes import load_network  # noqa: E402
from routes._tsp import brute_force_orienteering, held_karp, order_heuristic, orienteering  # noqa: E402
from routes.errors import BikemapError  # noqa: E402
from routes.tours import (  # noqa: E402
    DISCOVERY_ITERATIONS,
    ORDER_KICKS,
    ORDER_RESTARTS,
    destinations_from_network,
    plan_discovery,
    plan_order,
    travel_matrix,
)


def candidates(net, router, start, n: int, rng) -> tuple[list[dict], int]:
    """``n`` destinations that snap: OSM ones first, then random network points."""
    out = []
    for d in destinations_from_network(net):
        try:
            router.snap(d["lat"], d["lon"])
        except BikemapError:
            continue
        d["opening_hours"] = None  # speed is what is measured; hours are tested in tests/
        out.append(d)
    osm = len(out[:n])
    out = out[:n]
    cats = ["culture", "heritage", "park", "viewpoint", "food"]
    segs = router._ids_big
    while len(out) < n:
        s = int(rng.choice(segs))
        lon, lat = net.segment_coords(s).mean(axis=0)
        out.append(
            {
                "id": f"random:{len(out)}",
                "name": f"Random point {len(out)}",
                "category": cats[len(out) % 5],
                "lat": float(lat),
                "lon": float(lon),
                "visit_min": 15.0,
            }
        )
    return out, osm


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--start", default=None, help="LAT,LON (default: the first destination's street)")
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--instances", type=int, default=30, help="small instances for the gap")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    net = load_network(args.source)
    router = net.router(args.profile)
    print(
        f"network {net.name}: {net.n_nodes} junctions, {net.n_segments} segments, "
        f"loaded and router built in {time.perf_counter() - t0:.2f} s"
    )
    cands, osm = candidates(net, router, None, 100, rng)
    if args.start:
        start = tuple(float(v) for v in args.start.split(","))
    else:  # the street nearest the middle of the network
        lon, lat = net.origin
        s = router.snap(lat, lon, max_snap_m=5000)
        start = (s.lat, s.lon)
    print(
        f"candidates: {osm} OSM destinations + {100 - osm} random network points; start {start[0]:.5f},{start[1]:.5f}"
    )

    # warm-up (numba compiled code is cached on disk, but the first call still loads it)
    plan_order(net, start, [c["id"] for c in cands[:12]], destinations=cands, profile=args.profile)
    plan_discovery(net, start, 60, destinations=cands[:20], profile=args.profile, start_time="2026-07-01T09:00")

    ids25 = [c["id"] for c in cands[:25]]
    t_order = timed(lambda: plan_order(net, start, ids25, destinations=cands, profile=args.profile), args.repeat)
    tour = plan_order(net, start, ids25, destinations=cands, profile=args.profile)
    print(
        f"25-stop order: {t_order:.3f} s (median of {args.repeat}), "
        f"ride {tour['properties']['duration_s'] / 60:.0f} min, "
        f"{tour['properties']['distance_m'] / 1000:.1f} km"
    )

    def disc():
        return plan_discovery(net, start, 240, destinations=cands, profile=args.profile, start_time="2026-07-01T09:00")

    t_disc = timed(disc, args.repeat)
    d = disc()["properties"]
    print(
        f"discovery over {d['candidates']} candidates, 240 min: {t_disc:.3f} s (median of {args.repeat}), "
        f"{len(d['stops'])} stops, total {d['total_s'] / 60:.0f} min"
    )

    # quality on small instances of the real matrix
    snaps = [router.snap(*start), *(router.snap(c["lat"], c["lon"]) for c in cands)]
    T, _ = travel_matrix(router, snaps)
    ok = np.flatnonzero(np.isfinite(T[0]) & np.isfinite(T[:, 0]))
    ok = ok[ok > 0]
    gap_order = 0.0
    for k in range(args.instances):
        n = int(rng.integers(8, 12))
        stops = rng.choice(ok, n, replace=False).astype(np.int64)
        exact, _ = held_karp(T, 0, stops, 0)
        heur, _ = order_heuristic(T, 0, stops, 0, ORDER_RESTARTS, ORDER_KICKS, k)
        gap_order = max(gap_order, 100 * (heur / exact - 1))
    print(f"order gap to Held-Karp optimum over {args.instances} instances of 8-11 stops: worst {gap_order:.2f}%")
    gap_known = 0.0
    for k in range(5):  # 25 stops: no proof, compare with a ten times longer search
        stops = rng.choice(ok, 25, replace=False).astype(np.int64)
        heur, _ = order_heuristic(T, 0, stops, 0, ORDER_RESTARTS, ORDER_KICKS, k)
        known, _ = order_heuristic(T, 0, stops, 0, 6 * ORDER_RESTARTS, 10 * ORDER_KICKS, 1000 + k)
        gap_known = max(gap_known, 100 * (heur / min(known, heur) - 1))
    print(f"25-stop order gap to the best known (a 60 times longer search), 5 instances: worst {gap_known:.2f}%")
    gap_disc = 0.0
    m = T.shape[0]
    visit = np.array([0.0] + [c["visit_min"] * 60 for c in cands])
    wn = np.full(m, -1, np.int64)
    wa = wb = np.zeros((m, 1))
    for k in range(args.instances):
        sub = rng.choice(ok, 7, replace=False).astype(np.int64)
        prize = np.zeros(m)
        prize[sub] = rng.integers(1, 4, 7)
        budget = float(rng.uniform(0.3, 0.8) * (T[0, sub].sum() + T[sub, 0].sum() + visit[sub].sum()) / 2)
        p, _, _ = orienteering(T, 0, sub, 0, prize, visit, wn, wa, wb, budget, DISCOVERY_ITERATIONS, k)
        best, _ = brute_force_orienteering(T, 0, list(sub), 0, prize, visit, wn, wa, wb, budget)
        if best > 0:
            gap_disc = max(gap_disc, 100 * (1 - p / best))
    print(
        f"discovery prize gap to brute-force optimum over {args.instances} instances of 7 candidates: "
        f"worst {gap_disc:.2f}%"
    )
    print(
        f"order25_s={t_order:.3f} discovery100_s={t_disc:.3f} order_gap_pct={gap_order:.2f} "
        f"order25_gap_known_pct={gap_known:.2f} "
        f"discovery_gap_pct={gap_disc:.2f} gap_pct={max(gap_order, gap_disc, gap_known):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
