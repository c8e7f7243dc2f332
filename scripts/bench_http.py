"""Load test of the web app: route requests from concurrent clients against `bikemap serve`.

Starts the production server (waitress, ``bikemap serve``) on 127.0.0.1 as a
subprocess, waits until the network is loaded, then runs ``--clients`` threads
that each send ``GET /api/route`` requests (random pairs of junctions of the
network, fixed seed) over a keep-alive connection for ``--seconds``. Prints the
status counts, then p50/p95 latency and requests per second as its last line.

    python scripts/bench_http.py --source ../shared/data/liechtenstein-latest.osm.pbf --seconds 20
    python scripts/bench_http.py --source demo --page-weight

``--page-weight`` also sums the bytes of the map page and every same-origin
file it references (scripts, stylesheets, the images and web fonts those name,
and the destinations list the planner fetches).
"""

from __future__ import annotations

import argparse
import http.client
import posixpath
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, port: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "routes.cli",
        "serve",
        "--source",
        args.source,
        "--port",
        str(port),
        "--threads",
        str(args.threads),
        "--workers",
        str(args.workers),
        "--tiles",
        "none",
    ]
    if args.cache_dir:
        cmd += ["--cache-dir", args.cache_dir]
    # the server's log goes to a file: an unread pipe fills up and blocks the server
    log = tempfile.NamedTemporaryFile("w+", prefix="bench_http-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    proc.log_path = log.name
    deadline = time.monotonic() + args.startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {Path(log.name).read_text().strip()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/profiles")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start in time")


def route_queries(source: str, cache_dir: str | None, n: int, seed: int) -> list[str]:
    """``n`` route queries between random junctions of the network (fixed seed)."""
    from routes import load_network

    net = load_network(source, cache_folder=cache_dir)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randrange(net.n_nodes), rng.randrange(net.n_nodes)
        out.append(
            f"/api/route?from={net.node_lat[a]:.6f},{net.node_lon[a]:.6f}"
            f"&to={net.node_lat[b]:.6f},{net.node_lon[b]:.6f}"
        )
    return out


def client(
    port: int,
    queries: list[str],
    start: int,
    stop_at: float,
    lat: list[float],
    status: Counter,
    lock,
):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = start
    mine, codes = [], Counter()
    while time.monotonic() < stop_at:
        q = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", q)
            resp = conn.getresponse()
            resp.read()
            codes[resp.status] += 1
        except (OSError, http.client.HTTPException):
            codes["error"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        mine.append(time.perf_counter() - t0)
    conn.close()
    with lock:
        lat.extend(mine)
        status.update(codes)


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def page_weight(port: int, path: str = "/") -> tuple[int, dict[str, int]]:
    sizes: dict[str, int] = {}

    def get(url: str) -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", url)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise SystemExit(f"{url}: HTTP {resp.status}")
        sizes[url] = len(data)
        return data

    html = get(path).decode()
    for url in re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(/[^"]+)"', html):
        data = get(url)
        if url.endswith(".css"):
            for ref in re.findall(r"""url\(["']?([^)"']+)["']?\)""", data.decode()):
                if ref.startswith(("data:", "#", "http")) or "@2x" in ref or ref.endswith(".ttf"):
                    continue
                if (
                    ref.endswith(".woff2") and "fa-solid" not in ref
                ):  # fonts no glyph on the page uses
                    continue
                get(posixpath.normpath(posixpath.join(posixpath.dirname(url), ref)))
    get("/api/destinations?lang=en")
    return sum(sizes.values()), sizes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--threads", type=int, default=8, help="server threads per process")
    ap.add_argument(
        "--workers", type=int, default=2, help="server processes (bikemap serve --workers)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=20, help="requests sent before timing")
    ap.add_argument("--startup-timeout", type=float, default=600.0)
    ap.add_argument("--page-weight", action="store_true", help="also measure the map page's weight")
    args = ap.parse_args(argv)

    status: Counter = Counter()
    queries = route_queries(args.source, args.cache_dir, 2000, args.seed)
    port = free_port()
    t0 = time.perf_counter()
    proc = start_server(args, port)
    print(f"server ready in {time.perf_counter() - t0:.1f} s on port {port}", flush=True)
    try:
        if args.page_weight:
            total, sizes = page_weight(port)
            for url, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
                print(f"{n:>9} {url}")
            print(
                f"map page weight: {total} bytes ({total / 1e6:.2f} MB) in {len(sizes)} files",
                flush=True,
            )
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for q in queries[-args.warmup :]:
            warm.request("GET", q)
            warm.getresponse().read()
        warm.close()
        lat: list[float] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds
        t_start = time.perf_counter()
        threads = [
            threading.Thread(
                target=client, args=(port, queries, k * 250, stop_at, lat, status, lock)
            )
            for k in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t_start
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if status.get("error"):
            print(f"server log: {proc.log_path}")
        else:
            Path(proc.log_path).unlink(missing_ok=True)
    if not lat:
        print("no request completed")
        return 1
    print("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(status.items(), key=str)))
    print(
        f"source {args.source}, {args.clients} clients, "
        f"{args.workers} server process(es) x {args.threads} threads, "
        f"{elapsed:.1f} s"
    )
    print(
        f"p50 {1000 * percentile(lat, 50):.1f} ms  p95 {1000 * percentile(lat, 95):.1f} ms  "
        f"{len(lat) / elapsed:.1f} requests/s  ({len(lat)} requests)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
