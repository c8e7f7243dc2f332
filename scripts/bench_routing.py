#!/usr/bin/env python
"""Route random junction pairs with bikemap's engine, beside OSRM (CH) in the same run.

Steps, all on one network and one set of pairs (random junctions of the largest
strongly connected piece, fixed seed):

1. cold build from the source in a fresh process (time, peak RSS, node and
   segment counts), then a start from that cache with the routers of every
   profile ready (time);
2. the engine's search (`Router.node_path`: the customised contraction
   hierarchy) and the reference bidirectional Dijkstra on every pair: p50/p95,
   and whether both find the same cost;
3. with ``--osrm``: OSRM's ``osrm-routed`` (bicycle profile, CH; see
   ``scripts/osrm_setup.sh``) over HTTP on the same coordinates, one
   keep-alive client, both its default request (simplified overview, no steps)
   and one with the full geometry and steps, as ``/api/route`` answers by default;
   with ``--http`` bikemap's own ``GET /api/route`` (``bikemap serve``, one worker)
   the same way, both as the page asks it and as OSRM's default
   (``overview=simplified&steps=false``); with ``--before TREE`` also the
   ``/api/route`` of another checkout served beside it (before/after in one run).
   The kinds of request take turns pass by pass (``--passes``), and each
   server's CPU time per request is read from /proc;
4. with ``--memory``: the resident memory of ``bikemap serve`` with 1 and with
   4 workers after loading, after the map page and after 40 routes (RSS summed
   over the processes, and PSS, which counts each shared page once);
5. with ``--osmnx``: ``osmnx.routing.shortest_path`` on the same directed graph
   and weights (slow on big networks);
6. with ``--turns``: the cost of turn restrictions, in this one run: the same
   pairs searched (hierarchy and reference) and routed (``routes.route``, the
   whole request) with restrictions off and on, interleaved pair by pair,
   ``--rounds`` times; p50 of all times and p50 of each pair's best round
   (a pause of the shared machine hits one round, not all), and the ratios
   on/off (the summary line: of the best rounds).

Last line: ``p50_ms=... p95_ms=... reference_p50_ms=... speedup=...`` plus the
OSRM ratios when measured.

Usage: python scripts/bench_routing.py --source FILE [--pairs N] [--profile safe] [--seed 42]
       [--osrm] [--http [--before TREE]] [--passes 3] [--memory] [--osmnx] [--turns [--rounds 3]]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from routes import load_network, profile_names, route, settings  # noqa: E402
from routes.errors import BikemapError  # noqa: E402

_COLD_BUILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from routes import load_network
net = load_network(sys.argv[1], cache_folder=sys.argv[2], progress=lambda s: print(s, file=sys.stderr, flush=True))
print(json.dumps({"build_s": time.perf_counter() - t0, "nodes": net.n_nodes, "segments": net.n_segments,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_WARM_START = """
import json, sys, time
from routes import load_network, profile_names
t0 = time.perf_counter()
net = load_network(sys.argv[1], cache_folder=sys.argv[2])
for name in profile_names():
    net.router(name)
print(json.dumps({"warm_start_s": time.perf_counter() - t0}))
"""


def pct(values, q):
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _python(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_routing: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pick_pairs(router, n: int, seed: int) -> list[tuple[int, int]]:
    """``n`` pairs of distinct junctions of the largest strongly connected piece."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    ok = np.flatnonzero(np.isfinite(router.cost))
    g = csr_matrix((np.ones(len(ok)), (router.src[ok], router.dst[ok])), shape=(router.n, router.n))
    _, labels = connected_components(g, directed=True, connection="strong")
    nodes = np.flatnonzero(labels == np.bincount(labels).argmax())
    rng = np.random.default_rng(seed)
    return [tuple(int(v) for v in rng.choice(nodes, 2, replace=False)) for _ in range(n)]


def http_p50(base: str, paths: list[str]) -> tuple[list[float], int]:
    """Latencies (ms) of ``GET`` on each path over one keep-alive connection, and the non-200 count."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    for p in paths[:5]:  # warm up
        conn.request("GET", p)
        conn.getresponse().read()
    out, bad = [], 0
    for p in paths:
        t0 = time.perf_counter()
        conn.request("GET", p)
        resp = conn.getresponse()
        resp.read()
        out.append((time.perf_counter() - t0) * 1000)
        bad += resp.status != 200
    conn.close()
    return out, bad


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a server process and its workers.

    Per request, this is the work a server does, whatever else the machine runs: on a
    shared, loaded machine the wall-clock latency of a process that needs several time
    slices per request grows with the load, and the ratio of two servers' latencies with it.
    """
    from bench_http import server_rss

    ticks = 0
    for p in server_rss(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def serve(source: str, cache: str, workers: int, *, root: str | None = None):
    """``bikemap serve`` (scripts/bench_http.py's start-up), ready to answer; ``root``: another checkout's."""
    from bench_http import free_port, start_server

    port = free_port()
    opts = argparse.Namespace(
        root=root,
        source=str(Path(source).resolve()) if Path(source).exists() else source,
        port=port,
        threads=8,
        workers=workers,
        cache_dir=cache,
        startup_timeout=600.0,
        db=f"sqlite:///{cache}/bench.sqlite3",  # its own database: the instance one may hold another network
    )
    return start_server(opts, port), f"http://127.0.0.1:{port}"


def memory(pid: int) -> tuple[float, float]:
    """RSS and PSS (MB) summed over the server process and its workers."""
    from bench_http import server_rss

    pids = list(server_rss(pid))
    rss = pss = 0
    for p in pids:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--osrm", action="store_true", help="also time osrm-routed (CH) over HTTP")
    ap.add_argument("--http", action="store_true", help="also time bikemap's GET /api/route over HTTP")
    ap.add_argument("--memory", action="store_true", help="RSS/PSS of bikemap serve with 1 and 4 workers")
    ap.add_argument("--osmnx", action="store_true", help="also time osmnx.routing.shortest_path")
    ap.add_argument("--turns", action="store_true", help="time searches and routes with turn restrictions off and on")
    ap.add_argument("--rounds", type=int, default=3, help="rounds over the pairs for --turns")
    ap.add_argument("--passes", type=int, default=3, help="passes over the pairs of each HTTP request kind")
    ap.add_argument(
        "--before",
        metavar="TREE",
        help="with --http: also serve another checkout of bikemap (e.g. `git worktree add /tmp/before main`) "
        "and time its /api/route beside this one",
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as cache:
        try:
            cold = _python(_COLD_BUILD, args.source, cache)
            warm = _python(_WARM_START, args.source, cache)
            net = load_network(args.source, cache_folder=cache)
            router = net.router(args.profile)
        except BikemapError as exc:
            print(f"bench_routing: error: {exc}", file=sys.stderr)
            return 2
        print(f"source={args.source} nodes={cold['nodes']} segments={cold['segments']} profile={args.profile}")
        print(
            f"build_s={cold['build_s']:.1f} build_peak_rss_mb={cold['peak_rss_mb']:.0f} "
            f"warm_start_all_profiles_s={warm['warm_start_s']:.2f} ({len(profile_names())} profiles)"
        )
        pairs = pick_pairs(router, args.pairs, args.seed)
        router.node_path([pairs[0][0]], [0.0], [pairs[0][1]], [0.0], method="reference")  # compile / warm up
        ours, ref_ms, mismatches = [], [], 0
        for a, b in pairs:
            t0 = time.perf_counter()
            cost, _ = router.node_path([a], [0.0], [b], [0.0])
            ours.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ref, _ = router.node_path([a], [0.0], [b], [0.0], method="reference")
            ref_ms.append((time.perf_counter() - t0) * 1000)
            if not math.isclose(cost, ref, rel_tol=1e-6, abs_tol=1e-6):
                mismatches += 1
        lat, lon = net.node_lat, net.node_lon
        crow = [
            float(
                np.hypot(
                    (lon[a] - lon[b]) * 111.32 * math.cos(math.radians(lat[a])),
                    (lat[a] - lat[b]) * 110.57,
                )
            )
            for a, b in pairs
        ]
        print(f"pairs={len(pairs)} median_straight_line_km={np.median(crow):.1f} same_cost={len(pairs) - mismatches}")
        print(
            f"engine search: hierarchy p50={pct(ours, 50):.3f} p95={pct(ours, 95):.3f} ms; "
            f"reference p50={pct(ref_ms, 50):.3f} p95={pct(ref_ms, 95):.3f} ms"
        )
        summary = (
            f"p50_ms={pct(ours, 50):.3f} p95_ms={pct(ours, 95):.3f} reference_p50_ms={pct(ref_ms, 50):.3f} "
            f"speedup={pct(ref_ms, 50) / pct(ours, 50):.1f}"
        )
        coords = [((lat[a], lon[a]), (lat[b], lon[b])) for a, b in pairs]
        if args.osrm or args.http:
            summary += http_comparison(args, cache, coords)
        if args.memory:
            for workers in (1, 4):
                proc, base = serve(args.source, cache, workers)
                try:
                    loaded, _ = memory(proc.pid)
                    http_p50(base, ["/"])  # the map page (asked twice: the warm-up and the timed request)
                    page, _ = memory(proc.pid)
                    http_p50(
                        base,
                        [f"/api/route?from={a[0]:.6f},{a[1]:.6f}&to={b[0]:.6f},{b[1]:.6f}" for a, b in coords[:40]],
                    )
                    rss, pss = memory(proc.pid)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                print(
                    f"bikemap serve --workers {workers}: RSS sum after loading {loaded:.0f} MB, "
                    f"after the map page {page:.0f} MB, after 40 routes {rss:.0f} MB (PSS sum {pss:.0f} MB)"
                )
                summary += f" rss_w{workers}_mb={rss:.0f}"
        if args.osmnx:
            summary += f" osmnx_p50_ms={osmnx_p50(router, pairs):.3f}"
        if args.turns:
            summary += turns_ratio(net, args.profile, pairs, args.rounds)
    print(summary)
    return 1 if mismatches else 0


def http_comparison(args, cache: str, coords) -> str:
    """OSRM and bikemap over HTTP on the same pairs, every kind of request interleaved pass by pass.

    The requests (each its own p50 and server CPU per request):

    - OSRM's default request (simplified overview, no steps) and OSRM asked for the full
      geometry and steps;
    - bikemap's ``/api/route`` as the page asks it (full geometry and directions) and as OSRM's
      default (``overview=simplified&steps=false``);
    - with ``--before TREE``: the default ``/api/route`` of another checkout (the code before a
      change), served beside this one, so a before/after pair shares the machine's load.

    Passes of the kinds take turns (``--passes`` rounds), so a busy moment of the shared machine
    falls on all of them rather than on one.
    """
    kinds: list[tuple[str, str, list[str], int]] = []  # (name, base URL, paths, server pid)
    stop = []
    try:
        if args.osrm:
            from bench_quality import OsrmServer

            server = OsrmServer(Path(args.source))
            stop.append(server.close)
            osrm_loaded, _ = memory(server.proc.pid)
            plain = [f"/route/v1/bicycle/{a[1]:.6f},{a[0]:.6f};{b[1]:.6f},{b[0]:.6f}" for a, b in coords]
            full = [p + "?overview=full&geometries=geojson&steps=true" for p in plain]
            kinds += [("osrm", server.url, plain, server.proc.pid), ("osrm_full", server.url, full, server.proc.pid)]
        if args.http:
            paths = [f"/api/route?from={a[0]:.6f},{a[1]:.6f}&to={b[0]:.6f},{b[1]:.6f}" for a, b in coords]
            proc, base = serve(args.source, cache, 1)
            stop.append(lambda p=proc: (p.terminate(), p.wait(timeout=30)))
            kinds += [
                ("api", base, paths, proc.pid),
                ("api_simple", base, [p + "&overview=simplified&steps=false" for p in paths], proc.pid),
            ]
            if args.before:
                before_cache = Path(cache) / "before"
                before_cache.mkdir(exist_ok=True)
                proc_b, base_b = serve(args.source, str(before_cache), 1, root=args.before)
                stop.append(lambda p=proc_b: (p.terminate(), p.wait(timeout=30)))
                kinds.append(("before", base_b, paths, proc_b.pid))
        times: dict[str, list[float]] = {k[0]: [] for k in kinds}
        cpu: dict[str, float] = dict.fromkeys(times, 0.0)
        bad: dict[str, int] = dict.fromkeys(times, 0)
        for _ in range(args.passes):  # a connection per pass: osrm-routed closes one after 512 requests
            for name, base, paths, pid in kinds:
                c0 = cpu_s(pid)
                t, b = http_p50(base, paths)
                cpu[name] += cpu_s(pid) - c0
                times[name] += t
                bad[name] += b
        if args.osrm:
            osrm_rss, _ = memory(server.proc.pid)
    finally:
        for close in reversed(stop):
            close()
    per_request = {k[0]: cpu[k[0]] * 1000 / ((len(k[2]) + min(5, len(k[2]))) * args.passes) for k in kinds}
    p50 = {name: pct(t, 50) for name, t in times.items()}
    line = {
        name: f"p50={p50[name]:.2f} p95={pct(t, 95):.2f} ms, server CPU {per_request[name]:.2f} ms per request"
        for name, t in times.items()
    }
    out = ""
    if args.osrm:
        print(f"OSRM CH over HTTP, default request (simplified overview, no steps): {line['osrm']}")
        print(f"OSRM CH over HTTP, full geometry and steps (what /api/route sends by default): {line['osrm_full']}")
        print(
            f"  not found by OSRM: {bad['osrm']}; osrm-routed RSS after loading {osrm_loaded:.0f} MB, "
            f"after the requests {osrm_rss:.0f} MB"
        )
        out += f" osrm_http_p50_ms={p50['osrm']:.3f} osrm_full_p50_ms={p50['osrm_full']:.3f} osrm_rss_mb={osrm_rss:.0f}"
    if args.http:
        print(f"bikemap GET /api/route (full geometry and directions): {line['api']} ({bad['api']} not 200)")
        print(
            f"bikemap GET /api/route?overview=simplified&steps=false (like OSRM's default): {line['api_simple']} "
            f"({bad['api_simple']} not 200)"
        )
        out += f" api_route_p50_ms={p50['api']:.2f} api_route_cpu_ms={per_request['api']:.2f}"
        out += f" api_simple_p50_ms={p50['api_simple']:.2f} api_simple_cpu_ms={per_request['api_simple']:.2f}"
        if args.before:
            print(f"before ({args.before}) GET /api/route: {line['before']} ({bad['before']} not 200)")
            out += f" before_p50_ms={p50['before']:.2f} before_cpu_ms={per_request['before']:.2f}"
        if args.osrm:
            pairs = [("api", "osrm_full", "full vs full"), ("api_simple", "osrm", "simplified, no steps vs default")]
            if args.before:
                pairs.append(("before", "osrm_full", "before: full vs full"))
            for ours, theirs, label in pairs:
                print(
                    f"  {label}: p50 {p50[ours] / p50[theirs]:.2f}x OSRM's, "
                    f"server CPU {per_request[ours] / per_request[theirs]:.2f}x"
                )
            out += (
                f" api_vs_osrm_full={p50['api'] / p50['osrm_full']:.2f}"
                f" cpu_vs_osrm_full={per_request['api'] / per_request['osrm_full']:.2f}"
                f" api_simple_vs_osrm={p50['api_simple'] / p50['osrm']:.2f}"
                f" cpu_simple_vs_osrm={per_request['api_simple'] / per_request['osrm']:.2f}"
                f" api_vs_osrm={p50['api'] / p50['osrm']:.2f}"
            )
    return out


def turns_ratio(net, profile: str, pairs, rounds: int) -> str:
    """p50 of searches and whole routes with turn restrictions off and on (interleaved), and the ratios."""
    routers = {}
    for on in (False, True):
        settings.turn_restrictions = on
        routers[on] = net.router(profile)
    settings.turn_restrictions = True
    turns = routers[True].turns
    split = 0 if turns is None else turns.n - turns.n_junctions
    times: dict[tuple[bool, str], list[float]] = {(on, k): [] for on in (False, True) for k in ("cch", "ref", "route")}
    lat, lon = net.node_lat, net.node_lon
    for k in range(rounds):
        for a, b in pairs:
            for on in (False, True) if k % 2 == 0 else (True, False):  # neither always goes first
                settings.turn_restrictions = on
                r = routers[on]
                t0 = time.perf_counter()
                r.node_path([a], [0.0], [b], [0.0])
                t1 = time.perf_counter()
                r.node_path([a], [0.0], [b], [0.0], method="reference")
                t2 = time.perf_counter()
                try:
                    route(net, [(lat[a], lon[a]), (lat[b], lon[b])], profile=profile)
                except BikemapError:
                    pass
                t3 = time.perf_counter()
                times[on, "cch"].append((t1 - t0) * 1000)
                times[on, "ref"].append((t2 - t1) * 1000)
                times[on, "route"].append((t3 - t2) * 1000)
    settings.turn_restrictions = True
    p = {key: pct(v, 50) for key, v in times.items()}
    # each pair's fastest of the rounds: a pause of the shared machine hits one round, not all of them
    best = {key: pct(np.asarray(v).reshape(rounds, -1).min(axis=0).tolist(), 50) for key, v in times.items()}
    print(f"turn restrictions: {split} junction copies; ms off -> on (ratio): p50 of all | p50 of each pair's best")
    for k, label in (("cch", "hierarchy search"), ("ref", "reference search"), ("route", "route()")):
        print(
            f"  {label}: {p[False, k]:.3f} -> {p[True, k]:.3f} ({p[True, k] / p[False, k]:.3f}) | "
            f"{best[False, k]:.3f} -> {best[True, k]:.3f} ({best[True, k] / best[False, k]:.3f})"
        )
    p = best
    return (
        f" turns_cch_ratio={p[True, 'cch'] / p[False, 'cch']:.3f}"
        f" turns_ref_ratio={p[True, 'ref'] / p[False, 'ref']:.3f}"
        f" turns_route_ratio={p[True, 'route'] / p[False, 'route']:.3f}"
    )


def osmnx_p50(router, pairs) -> float:
    import networkx as nx
    import osmnx as ox

    net = router.network
    G = nx.MultiDiGraph()
    G.add_nodes_from(
        (i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(zip(net.node_lon, net.node_lat, strict=True))
    )
    usable = np.flatnonzero(np.isfinite(router.cost))
    G.add_edges_from((int(router.src[e]), int(router.dst[e]), {"cost": float(router.cost[e])}) for e in usable)
    times = []
    for a, b in pairs:
        t0 = time.perf_counter()
        ox.routing.shortest_path(G, a, b, weight="cost")
        times.append((time.perf_counter() - t0) * 1000)
    return pct(times, 50)


if __name__ == "__main__":
    sys.exit(main())
