"""One client floods expensive requests; does a cheap request still answer quickly? (#13)

Starts ``bikemap serve`` (granian) on 127.0.0.1, then for ``--seconds``:

- ``--flood`` threads send legal expensive requests back to back: routes with ``--vias``
  via points (25, the most allowed) between random junctions, and tours;
- one thread sends cheap requests (a route between two junctions, no via) one after the other.

Prints the flood's status counts (503 Busy and 422 TooExpensive are the cost budget at work),
then the cheap requests' p50/p95/max latency as its last line. ``--cpu`` first measures, in this
process, the CPU time of the most expensive single requests (the 25-via route, a tour, the
budget's cap) with the Flask test client.

    python scripts/bench_flood.py --source demo --seconds 20
    python scripts/bench_flood.py --source ../shared/data/liechtenstein-latest.osm.pbf --seconds 30 --cpu
    python scripts/bench_flood.py --source demo --seconds 20 --no-budget   # the same without the budget
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from bench_http import client, free_port, start_server  # noqa: E402


def _points(net, rng: random.Random, n: int) -> list[str]:
    return [f"{net.node_lat[i]:.6f},{net.node_lon[i]:.6f}" for i in (rng.randrange(net.n_nodes) for _ in range(n))]


def expensive_queries(net, vias: int, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        p = _points(net, rng, vias + 2)
        if k % 4 == 3:  # every fourth: a tour of an hour from a random start
            out.append(f"/api/tour?start={p[0]}&budget_min=60&start_time=2026-06-02T10:00")
        else:
            out.append(f"/api/route?from={p[0]}&to={p[-1]}&via={';'.join(p[1:-1])}")
    return out


def cheap_queries(net, n: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)
    return [f"/api/route?from={a}&to={b}" for a, b in (_points(net, rng, 2) for _ in range(n))]


def cpu_of_worst_requests(args, net) -> None:
    """CPU seconds of single expensive requests, in this process (no server)."""
    from webapp import create_app

    app = create_app({"TESTING": True, "NETWORK": net, "TILES_URL": "", "WARM_PROFILES": True, "COST_TIME_S": 1e9})
    tc = app.test_client()
    queries = expensive_queries(net, args.vias, 8, args.seed)
    tc.get(queries[0])  # compile and warm
    worst = (0.0, "")
    for q in queries:
        t0 = time.process_time()
        status = tc.get(q).status_code
        cpu = time.process_time() - t0
        print(f"cpu {cpu * 1000:8.1f} ms  status {status}  {q[:70]}...")
        worst = max(worst, (cpu, q[:40]))
    print(f"worst single-request CPU time (no budget): {worst[0] * 1000:.0f} ms ({worst[1]}...)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--flood", type=int, default=32, help="parallel expensive clients (default 32)")
    ap.add_argument("--vias", type=int, default=25)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--startup-timeout", type=float, default=300.0)
    ap.add_argument("--cpu", action="store_true", help="first measure the CPU time of single expensive requests")
    ap.add_argument("--no-budget", action="store_true", help="serve without the cost budget (for comparison)")
    args = ap.parse_args(argv)
    if args.no_budget:  # read by the server through Flask's BIKEMAP_* settings
        os.environ.update(BIKEMAP_COST_SLOTS="1000", BIKEMAP_COST_QUEUE="1000", BIKEMAP_COST_TIME_S="1e9")

    from routes import load_network

    net = load_network(args.source, cache_folder=args.cache_dir)
    if args.cpu:
        cpu_of_worst_requests(args, net)
    port = free_port()
    proc = start_server(args, port)
    try:
        heavy, cheap = expensive_queries(net, args.vias, 200, args.seed), cheap_queries(net, 200, args.seed)
        # the cheap client alone first: the baseline
        base_codes, base_lat, lock = Counter(), [], threading.Lock()
        client(port, cheap, 0, time.monotonic() + min(5.0, args.seconds / 4), base_lat, base_codes, lock)
        flood_codes, cheap_codes, lat = Counter(), Counter(), []
        stop_at = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client, args=(port, heavy, i * 7, stop_at, [], flood_codes, lock))
            for i in range(args.flood)
        ]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the flood is on before the cheap client starts
        client(port, cheap, 0, stop_at, lat, cheap_codes, lock)
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(30)

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")

    print(f"flood ({args.flood} clients, {args.vias}-via routes and tours): {dict(flood_codes)}")
    print(f"cheap alone: {len(base_lat)} requests, p95 {pct(base_lat, 95) * 1000:.0f} ms")
    print(f"cheap under the flood: {dict(cheap_codes)}")
    print(
        f"cheap requests under the flood: n={len(lat)} p50 {pct(lat, 50) * 1000:.0f} ms "
        f"p95 {pct(lat, 95) * 1000:.0f} ms max {max(lat, default=float('nan')) * 1000:.0f} ms"
    )
    bad = cheap_codes.get("error", 0) + sum(v for k, v in cheap_codes.items() if isinstance(k, int) and k >= 500)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
