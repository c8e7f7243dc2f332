"""Bike-share trips and GBFS reading: speed, and what choosing the fastest stations gains.

    python scripts/bench_bikeshare.py --source ../shared/data/paris_bss.osm.pbf --trips 100

For random start/destination pairs 600 m to 3 km apart (straight line) on the
network, with its OpenStreetMap stations:

- time of `routes.bikeshare.choose_stations` (the searches that pick the
  pair) and of the whole `bikeshare_route` (with the three legs' Features);
- door-to-door time of the chosen pair against the nearest-station pair
  (nearest station to the start, nearest other station to the destination,
  straight line), both planned leg by leg with `routes.route`.

Then the time to read and merge a GBFS 3.0 system of ``--feed-stations``
stations served on 127.0.0.1 (a cold snapshot: discovery, station
information and status).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routes import load_network, route  # noqa: E402
from routes.bikeshare import DOCK_S, bikeshare_route, choose_stations  # noqa: E402
from routes.errors import BikemapError  # noqa: E402
from routes.gbfs import GbfsClient  # noqa: E402
from routes.network import haversine_m  # noqa: E402
from routes.stations import osm_stations  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def trip_s(net, start, end, a, b, profile):
    pa, pb = (a["lat"], a["lon"]), (b["lat"], b["lon"])
    legs = [
        route(net, [start, pa], profile="walk"),
        route(net, [pa, pb], profile=profile),
        route(net, [pb, end], profile="walk"),
    ]
    return sum(f["properties"]["duration_s"] for f in legs) + 2 * DOCK_S


def bench_trips(net, n, profile, seed):
    stations = osm_stations(net)
    print(f"network {net.name}: {net.n_segments} segments, {len(stations)} OSM bike-share stations")
    net.router("walk"), net.router(profile)
    w, s, e, nn = net.bounds
    rng = random.Random(seed)
    choose_ms, full_ms, gains, differ, failed = [], [], [], 0, 0
    bikeshare_route(net, [((s + nn) / 2, (w + e) / 2), (s + (nn - s) * 0.3, w + (e - w) * 0.3)], stations=stations)
    done = 0
    while done < n:
        a = (rng.uniform(s, nn), rng.uniform(w, e))
        b = (rng.uniform(s, nn), rng.uniform(w, e))
        if not 600 <= haversine_m(a[1], a[0], b[1], b[0]) <= 3000:
            continue
        done += 1
        try:
            t0 = time.perf_counter()
            choice = choose_stations(net, a, b, stations, profile=profile)
            t1 = time.perf_counter()
            bikeshare_route(net, [a, b], stations=stations, profile=profile)
            t2 = time.perf_counter()
            na = min(stations, key=lambda x: haversine_m(a[1], a[0], x["lon"], x["lat"]))
            nb = min((x for x in stations if x is not na), key=lambda x: haversine_m(b[1], b[0], x["lon"], x["lat"]))
            nearest = trip_s(net, a, b, na, nb, profile)
        except BikemapError:
            failed += 1
            continue
        choose_ms.append(1000 * (t1 - t0))
        full_ms.append(1000 * (t2 - t1))
        gains.append(nearest - choice.total_s)
        differ += (choice.pickup is not na) or (choice.dropoff is not nb)
    k = len(gains)
    print(f"trips planned: {k} of {n} ({failed} without a usable station within walking distance)")
    print(f"choose_stations: p50 {pct(choose_ms, 50):.1f} ms, p95 {pct(choose_ms, 95):.1f} ms")
    print(f"bikeshare_route (with the legs' Features): p50 {pct(full_ms, 50):.1f} ms, p95 {pct(full_ms, 95):.1f} ms")
    print(f"chosen pair differs from the nearest pair: {differ} of {k} ({100 * differ / max(k, 1):.0f}%)")
    print(
        f"time saved against the nearest pair: mean {statistics.mean(gains):.0f} s, "
        f"p90 {pct(gains, 90):.0f} s, max {max(gains):.0f} s, min {min(gains):.1f} s "
        f"(never negative: {min(gains) >= -0.5})"
    )


def bench_feed(n_stations, seed):
    rng = random.Random(seed)
    head = {"last_updated": "2026-06-01T12:00:00Z", "ttl": 60, "version": "3.0"}
    info = [
        {
            "station_id": f"st{i}",
            "name": [{"text": f"Station {i}", "language": "en"}],
            "lat": 48.8 + rng.random() * 0.1,
            "lon": 2.3 + rng.random() * 0.1,
            "capacity": 30,
        }
        for i in range(n_stations)
    ]
    status = [
        {
            "station_id": f"st{i}",
            "num_vehicles_available": rng.randint(0, 30),
            "num_docks_available": rng.randint(0, 30),
            "is_installed": True,
            "is_renting": True,
            "is_returning": True,
            "last_reported": "2026-06-01T11:59:00Z",
        }
        for i in range(n_stations)
    ]
    bodies = {}

    class H(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = bodies.get(self.path.strip("/"), b"{}")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    bodies["gbfs.json"] = json.dumps(
        {
            **head,
            "data": {
                "feeds": [
                    {"name": "station_information", "url": f"{base}/info"},
                    {"name": "station_status", "url": f"{base}/status"},
                ]
            },
        }
    ).encode()
    bodies["info"] = json.dumps({**head, "data": {"stations": info}}).encode()
    bodies["status"] = json.dumps({**head, "data": {"stations": status}}).encode()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        snap = GbfsClient(f"{base}/gbfs.json").snapshot()
        times.append(1000 * (time.perf_counter() - t0))
    httpd.shutdown()
    size = (len(bodies["info"]) + len(bodies["status"])) / 1e6
    print(
        f"GBFS 3.0, {len(snap.stations)} stations ({size:.1f} MB): "
        f"cold snapshot median {statistics.median(times):.0f} ms"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--trips", type=int, default=100)
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--feed-stations", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    bench_trips(load_network(args.source), args.trips, args.profile, args.seed)
    bench_feed(args.feed_stations, args.seed)


if __name__ == "__main__":
    main()
