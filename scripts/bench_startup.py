"""Start-up figures a user feels: a cold network build, a cached CLI route, a server that answers.

    python scripts/bench_startup.py --source ../shared/data/liechtenstein-latest.osm.pbf --runs 5

Each figure times the whole ``bikemap`` process, as a user starts it, and prints the median,
minimum and maximum over the runs:

- cold build: ``bikemap route`` with an empty cache folder (reads the extract, builds the network);
- cached route: ``bikemap route`` again with the network in the cache (the target is under 2 s);
- server ready: from starting ``bikemap serve`` until ``GET /`` answers 200 (network from the cache,
  a new database each run);
- restart, API / page: ``bikemap serve`` started again on a database it has already made (how a
  server restarts), until ``GET /api/profiles`` answers (the routers of every profile are made
  before it listens) and until ``GET /`` then answers (the map page is made by the first visit).

``--tiles none`` passes ``--tiles none`` to ``bikemap serve`` (no built-in base map, which a
first start would otherwise build with tilemaker); ``--server`` its server (granian or waitress).
The server's CPU is summed over its processes (granian's worker too).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIKEMAP = [sys.executable, "-m", "webapp.cli"]


def _route(source: str, cache: str, points: tuple[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [*BIKEMAP, "route", "--quiet", "--source", source, "--cache-dir", cache]
        + ["--from", points[0], "--to", points[1]],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    return time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process and its children have used so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(_cpu_s(c) for c in children)


def _server_ready(
    source: str, cache: str, db: str, tiles: str | None = None, server: str | None = None
) -> tuple[float, float, float]:
    """Seconds from starting ``bikemap serve`` until ``GET /api/profiles`` answers 200 (wall and the server's
    CPU), then until ``GET /`` does (wall)."""
    port = _free_port()
    env = {**os.environ, "BIKEMAP_DATABASE_URL": f"sqlite:///{db}"}
    cmd = [*BIKEMAP, "serve", "--quiet", "--source", source, "--cache-dir", cache, "--port", str(port)]
    if tiles is not None:
        cmd += ["--tiles", tiles]
    if server is not None:
        cmd += ["--server", server]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        times, cpu = [], float("nan")
        for path in ("/api/profiles", "/"):
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"bikemap serve exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
                        if r.status == 200:
                            times.append(time.perf_counter() - t0)
                            if path != "/":
                                cpu = _cpu_s(proc.pid)
                            break
                except OSError:
                    time.sleep(0.05)
        return times[0], cpu, times[1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _show(name: str, times: list[float]) -> None:
    print(
        f"{name:<14} median {statistics.median(times):6.2f} s   min {min(times):6.2f} s   max {max(times):6.2f} s"
        f"   ({len(times)} runs)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "liechtenstein-latest.osm.pbf"))
    ap.add_argument("--from", dest="start", default="47.1410,9.5209")
    ap.add_argument("--to", dest="end", default="47.1660,9.5100")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=2)
    ap.add_argument("--tiles", default=None, help="passed to bikemap serve (none: no built-in base map)")
    ap.add_argument("--cache-dir", default=None, help="a cache folder holding the built network (with --cold-runs 0)")
    ap.add_argument("--server", default=None, help="passed to bikemap serve (granian or waitress)")
    args = ap.parse_args()
    if Path(args.source).exists():  # a path, made absolute: `bikemap route` runs in the temporary folder
        args.source = str(Path(args.source).resolve())
    points = (args.start, args.end)
    with tempfile.TemporaryDirectory() as tmp:
        cold = []
        for i in range(args.cold_runs):
            cold.append(_route(args.source, str(Path(tmp, f"cold{i}")), points))
        warm_cache = args.cache_dir or str(Path(tmp, "cold0"))
        cached = [_route(args.source, warm_cache, points) for _ in range(args.runs)]
        ready = [
            _server_ready(args.source, warm_cache, str(Path(tmp, f"db{i}.sqlite3")), args.tiles, args.server)[2]
            for i in range(args.runs)
        ]
        again = [
            _server_ready(args.source, warm_cache, str(Path(tmp, "db0.sqlite3")), args.tiles, args.server)
            for _ in range(args.runs)
        ]
    print(f"source {Path(args.source).name}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if cold:
        _show("cold build", cold)
    _show("cached route", cached)
    _show("server ready", ready)
    _show("restart, API", [a for a, _, _ in again])
    _show("  its CPU", [c for _, c, _ in again])
    _show("restart, page", [p for _, _, p in again])


if __name__ == "__main__":
    main()
