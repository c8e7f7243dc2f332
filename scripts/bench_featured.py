"""Figures of featured routes and of closures in tours and bike-share trips.

    python scripts/bench_featured.py [--source demo|FILE] [--db URL] [--routes 50]

Through the Flask test client (no HTTP server): saving a planned tour as a
featured route, the public list, one route as GeoJSON and as GPX, and
``/api/tour`` with and without an active closure. Prints one line per figure
(medians); nothing here is asserted by tests.
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
    ap.add_argument("--routes", type=int, default=50, help="featured routes stored before timing the list")
    args = ap.parse_args()

    from fixtures_db import add_user, make_staff_app

    from routes import load_network

    net = load_network(args.source)
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    app = make_staff_app(url, net, SEED_DESTINATIONS=True)
    auth = {"Authorization": f"Bearer {add_user(app, 'bench', 'editor', 'pw')}"}
    c = app.test_client()
    w, s, e, n = net.bounds
    start = f"{(s + n) / 2:.5f},{(w + e) / 2:.5f}"
    dests = [
        {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
        for f in c.get("/api/tour/destinations").get_json()["features"]
    ]
    ids = [d["id"] for d in dests[:40]]
    tour = None
    for k in range(0, len(ids) - 3, 4):  # the first group of 4 destinations a tour reaches
        resp = c.get(f"/api/tour?start={start}&stops={','.join(ids[k : k + 4])}")
        if resp.status_code == 200:
            tour = resp.get_json()
            break
    if tour is None:
        print("no tour could be planned from the network's centre", file=sys.stderr)
        return 2
    tour["properties"].update(name="Bench tour", names={"id": "Tur"}, published=True)
    body_kb = len(c.post("/api/featured", json=tour, headers=auth).get_data()) / 1024
    import json

    sent_kb = len(json.dumps(tour)) / 1024
    t_post = _median(lambda: c.post("/api/featured", json=tour, headers=auth))
    for _ in range(max(0, args.routes - 8)):
        c.post("/api/featured", json=tour, headers=auth)
    count = len(c.get("/api/featured").get_json()["features"])
    t_list = _median(lambda: c.get("/api/featured?lang=id"))
    list_kb = len(c.get("/api/featured?lang=id").get_data()) / 1024
    t_one = _median(lambda: c.get("/api/featured/1"))
    t_gpx = _median(lambda: c.get("/api/featured/1?format=gpx"))
    print(
        f"source={args.source} db={url.split(':')[0]} tour: {len(tour['geometry']['coordinates'])} points, "
        f"{len(tour['properties']['stops'])} stops"
    )
    print(
        f"POST /api/featured (a planned tour, {sent_kb:.0f} KB sent, {body_kb:.0f} KB stored answer): "
        f"{t_post * 1000:.1f} ms"
    )
    print(f"GET /api/featured ({count} routes, {list_kb:.0f} KB): {t_list * 1000:.1f} ms")
    print(f"GET /api/featured/1: {t_one * 1000:.1f} ms; ?format=gpx: {t_gpx * 1000:.1f} ms")

    tour_url = f"/api/tour?start={start}&stops={','.join(tour['properties']['order'])}"
    t_plain = _median(lambda: c.get(tour_url), 5)
    line = tour["geometry"]["coordinates"]
    mid = len(line) // 2
    closure = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line[mid - 1 : mid + 2]},
        "properties": {"kind": "closure", "reason": "bench"},
    }
    resp = c.post("/api/closures", json=closure, headers=auth)
    first = time.perf_counter()
    closed = c.get(tour_url)
    t_first = time.perf_counter() - first
    t_closed = _median(lambda: c.get(tour_url), 5)
    changed = closed.get_json()["geometry"]["coordinates"] != line if closed.status_code == 200 else None
    print(
        f"GET /api/tour ({len(tour['properties']['order'])} stops): {t_plain * 1000:.0f} ms without closures; "
        f"with 1 closure ({resp.status_code}): first request {t_first * 1000:.0f} ms, then {t_closed * 1000:.0f} ms; "
        f"tour changed: {changed}"
    )
    app.extensions["bikemap_db"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
