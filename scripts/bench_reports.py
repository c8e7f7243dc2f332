"""Road reports and routing speed: /api/route p95 before and after 100 reports are posted and confirmed.

Starts ``bikemap serve`` (as `bench_http`, whose server, queries and client loop it
reuses) on a fresh SQLite database, measures ``GET /api/route`` between random
junctions with ``--clients`` keep-alive clients for ``--seconds``, then posts
``--reports`` reports through Open311 (random junctions of the network, a fixed
seed) and confirms each through the staff API (every other one as a closure, the
rest as hazards: each becomes a closure or hazard on the nearest street), and
measures again. Last, it closes every report (their closures end) and measures a
third time, so the figure with reports sits between two without.

    python scripts/bench_reports.py --source ../shared/data/liechtenstein-latest.osm.pbf
    python scripts/bench_reports.py --source demo --seconds 10

Prints the p50/p95 of each phase, the posting and confirming times, and as its
last line the p95 with reports against the mean p95 without (the issue asks for
at most +10 %).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import _load, free_port, percentile, route_queries, run_level, start_server  # noqa: E402


def _request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json", **(headers or {})} if data else dict(headers or {})
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    out = resp.status, resp.read()
    conn.close()
    return out


def _staff_token(db_url: str) -> str:
    from webapp.storage import open_database
    from webapp.storage.users import add_token, create_user

    db = open_database(db_url)
    with db.session() as s:
        token = add_token(s, create_user(s, "bench", "editor", "bench-password"))
    db.dispose()
    return token


def _phase(name: str, port: int, queries: list[str], args) -> float:
    lat, status, elapsed = run_level(port, queries, args.clients, args.seconds)
    p50, p95 = percentile(lat, 50) * 1000, percentile(lat, 95) * 1000
    print(
        f"{name:<22} {len(lat):6d} requests  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"{len(lat) / elapsed:6.1f}/s  statuses {dict(status)}  load {_load()}",
        flush=True,
    )
    return p95


def _report_points(source: str, cache_dir: str | None, n: int, seed: int) -> list[tuple[float, float]]:
    from routes import load_network

    net = load_network(source, cache_folder=cache_dir)
    rng = random.Random(seed + 1)
    return [(float(net.node_lat[k]), float(net.node_lon[k])) for k in (rng.randrange(net.n_nodes) for _ in range(n))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--reports", type=int, default=100)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--startup-timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="bench_reports-")
    db_url = f"sqlite:///{folder}/bikemap.sqlite3"
    token = _staff_token(db_url)
    os.environ.update(
        BIKEMAP_DATABASE_URL=db_url,
        BIKEMAP_REPORT_LIMIT_CLIENT="100000 per minute",
        BIKEMAP_REPORT_MEDIA_DIR=f"{folder}/media",
    )
    queries = route_queries(args.source, args.cache_dir, 2000, args.seed)
    points = _report_points(args.source, args.cache_dir, args.reports, args.seed)
    port = free_port()
    proc = start_server(args, port)
    staff = {"Authorization": f"Bearer {token}"}
    try:
        run_level(port, queries, args.clients, 3.0)  # warm-up
        before = _phase("without reports", port, queries, args)

        ids, post_ms, confirm_ms, refused = [], [], [], 0
        for i, (lat, lon) in enumerate(points):
            t0 = time.perf_counter()
            status, body = _request(
                port, "POST", "/open311/v2/requests.json", {"service_code": "blocked", "lat": lat, "long": lon}
            )
            post_ms.append((time.perf_counter() - t0) * 1000)
            if status != 201:
                raise SystemExit(f"posting a report answered {status}: {body[:300]!r}")
            rid = json.loads(body)[0]["service_request_id"]
            t0 = time.perf_counter()
            kind = "closure" if i % 2 == 0 else "hazard"
            status, body = _request(port, "POST", f"/api/reports/{rid}/confirm", {"kind": kind}, staff)
            confirm_ms.append((time.perf_counter() - t0) * 1000)
            if status == 200:
                ids.append(rid)
            else:  # no street within reach of the point (possible on a junction off the cycling network)
                refused += 1
        print(
            f"posted {len(points)} reports: median {percentile(post_ms, 50):.1f} ms; confirmed {len(ids)} "
            f"(refused {refused}): median {percentile(confirm_ms, 50):.1f} ms",
            flush=True,
        )
        run_level(port, queries, args.clients, 3.0)  # the closures' edge costs are built on first use
        during = _phase("with confirmed reports", port, queries, args)

        for rid in ids:
            _request(port, "POST", f"/api/reports/{rid}/close", {}, staff)
        run_level(port, queries, args.clients, 3.0)
        after = _phase("reports closed", port, queries, args)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    plain = (before + after) / 2
    print(
        f"{args.source}: /api/route p95 {during:.1f} ms with {len(ids)} confirmed reports vs {plain:.1f} ms without "
        f"({(during / plain - 1) * 100:+.1f} %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
