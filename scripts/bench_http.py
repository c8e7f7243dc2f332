"""Load test of the web app: route requests from concurrent clients against `bikemap serve`.

Starts the production server (``bikemap serve``, granian) on 127.0.0.1 as a
subprocess, waits until the network is loaded, then runs ``--clients`` threads
that each send ``GET /api/route`` requests (random pairs of junctions of the
network, fixed seed) over a keep-alive connection for ``--seconds``. Prints the
status counts, then p50/p95 latency and requests per second as its last line.

    python scripts/bench_http.py --source ../shared/data/liechtenstein-latest.osm.pbf --seconds 20
    python scripts/bench_http.py --source demo --page-weight
    python scripts/bench_http.py --source ../shared/data/liechtenstein-latest.osm.pbf \
        --clients 8,32,128 --seconds 60 --memory

``--clients`` takes one number or a list: the levels run one after the other
against the same server. ``--memory`` samples the resident memory (RSS, from
/proc) of the server processes (the parent and every worker) once a second
and reports its growth from the end of the warm-up to the end of the run;
the warm-up then also runs ``--warmup-seconds`` with the largest number of
clients, so that thread stacks, connection buffers and caches are in place
before the baseline is taken. A transport error (refused, reset, timed out)
or any 5xx counts as an error; the script exits 1 when there is one.

``--page-weight`` also sums the bytes of the map page and every same-origin
file it references (scripts, stylesheets, the images and web fonts those name,
and the destinations list the planner fetches).
"""

from __future__ import annotations

import argparse
import http.client
import os
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
        "webapp.cli",
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
    if getattr(args, "db", None):
        cmd += ["--db", args.db]
    if getattr(args, "connection_limit", None):
        cmd += ["--connection-limit", str(args.connection_limit)]
    # the server's log goes to a file: an unread pipe fills up and blocks the server
    log = tempfile.NamedTemporaryFile("w+", prefix="bench_http-", suffix=".log", delete=False)
    # ``args.root``: serve another checkout of bikemap (a "before" tree), with its own code first on the path
    root = Path(getattr(args, "root", None) or ROOT)
    env = {**os.environ, "PYTHONPATH": str(root)} if root != ROOT else None
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
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
                if ref.endswith(".woff2") and "fa-solid" not in ref:  # fonts no glyph on the page uses
                    continue
                get(posixpath.normpath(posixpath.join(posixpath.dirname(url), ref)))
    get("/api/destinations?lang=en")
    return sum(sizes.values()), sizes


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def server_rss(pid: int) -> dict[int, int]:
    """RSS (kB) of the server process and every process it forked (the workers)."""
    pids = [pid]
    for p in pids:
        pids.extend(c for c in _children(p) if c not in pids)
    return {p: _rss_kb(p) for p in pids}


class MemorySampler(threading.Thread):
    """Samples `server_rss` every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.monotonic(), server_rss(self.pid)))
            self.halt.wait(self.interval)

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.samples.append((time.monotonic(), server_rss(self.pid)))


def run_level(port: int, queries: list[str], clients: int, seconds: float) -> tuple[list[float], Counter, float]:
    """``clients`` keep-alive clients for ``seconds``: latencies, status counts, elapsed seconds."""
    lat: list[float] = []
    status: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    t_start = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(port, queries, k * 250, stop_at, lat, status, lock))
        for k in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, status, time.perf_counter() - t_start


def _errors(status: Counter) -> int:
    return sum(v for k, v in status.items() if k == "error" or (isinstance(k, int) and k >= 500))


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", default="8", help="concurrent clients: a number or a list (8,32,128)")
    ap.add_argument("--threads", type=int, default=8, help="server threads per process")
    ap.add_argument("--workers", type=int, default=2, help="server processes (bikemap serve --workers)")
    ap.add_argument(
        "--connection-limit", type=int, default=None, help="bikemap serve --connection-limit (default: the server's)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=20, help="requests sent before timing")
    ap.add_argument(
        "--warmup-seconds",
        type=float,
        default=10.0,
        help="with --memory: seconds of load at the largest client count before the baseline",
    )
    ap.add_argument("--memory", action="store_true", help="sample the server processes' RSS and report growth")
    ap.add_argument("--startup-timeout", type=float, default=600.0)
    ap.add_argument("--page-weight", action="store_true", help="also measure the map page's weight")
    args = ap.parse_args(argv)
    try:
        levels = [int(c) for c in str(args.clients).split(",") if c.strip()]
    except ValueError:
        ap.error(f"--clients takes numbers separated by commas, got {args.clients!r}")
    if not levels or min(levels) < 1:
        ap.error("--clients must be at least 1")

    queries = route_queries(args.source, args.cache_dir, 2000, args.seed)
    port = free_port()
    t0 = time.perf_counter()
    proc = start_server(args, port)
    print(f"server ready in {time.perf_counter() - t0:.1f} s on port {port}", flush=True)
    results = []
    failed = False
    sampler = None
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
        if args.memory:
            _, wstatus, _ = run_level(port, queries, max(levels), args.warmup_seconds)
            print(
                f"warm-up: {max(levels)} clients for {args.warmup_seconds:.0f} s "
                f"({sum(wstatus.values())} requests, {_errors(wstatus)} errors)",
                flush=True,
            )
            sampler = MemorySampler(proc.pid)
            sampler.start()
        for clients in levels:
            load_before = _load()
            lat, status, elapsed = run_level(port, queries, clients, args.seconds)
            results.append((clients, lat, status, elapsed, load_before, _load()))
            if not lat:
                print(f"{clients} clients: no request completed")
                failed = True
                continue
            errors = _errors(status)
            failed = failed or errors > 0
            print("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(status.items(), key=str)))
            print(
                f"source {args.source}, {clients} clients, "
                f"{args.workers} server process(es) x {args.threads} threads, "
                f"{elapsed:.1f} s, load average {load_before} -> {_load()}"
            )
            print(
                f"p50 {1000 * percentile(lat, 50):.1f} ms  p95 {1000 * percentile(lat, 95):.1f} ms  "
                f"{len(lat) / elapsed:.1f} requests/s  ({len(lat)} requests, {errors} errors)",
                flush=True,
            )
        if sampler is not None:
            sampler.stop()
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        proc.terminate()
        proc.wait(timeout=30)
        if failed:
            print(f"server log: {proc.log_path}")
        else:
            Path(proc.log_path).unlink(missing_ok=True)
    if len(results) > 1:
        print("\n| clients | requests | errors | p50 ms | p95 ms | requests/s | load average (before -> after) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for clients, lat, status, elapsed, la0, la1 in results:
            if lat:
                print(
                    f"| {clients} | {len(lat)} | {_errors(status)} | {1000 * percentile(lat, 50):.1f} | "
                    f"{1000 * percentile(lat, 95):.1f} | {len(lat) / elapsed:.1f} | {la0} -> {la1} |"
                )
    if sampler is not None and len(sampler.samples) >= 2:
        first, last = sampler.samples[0][1], sampler.samples[-1][1]
        total0, total1 = sum(first.values()), sum(last.values())
        peak = max(sum(s.values()) for _, s in sampler.samples)
        growth = 100.0 * (total1 - total0) / total0 if total0 else float("nan")
        per = ", ".join(f"{p}: {first.get(p, 0) / 1024:.0f} -> {last.get(p, 0) / 1024:.0f} MB" for p in sorted(last))
        print(
            f"server RSS ({len(last)} processes, {len(sampler.samples)} samples): {total0 / 1024:.0f} MB after "
            f"warm-up -> {total1 / 1024:.0f} MB at the end (peak {peak / 1024:.0f} MB), "
            f"growth {growth:+.2f}%  [{per}]"
        )
    if not results or not any(r[1] for r in results):
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
