"""Base map benchmarks: tile-building time and size, and the map page's first-view weight.

    python scripts/bench_basemap.py build ../shared/data/liechtenstein-latest.osm.pbf ../shared/scale/scale_200k.osm.pbf
    python scripts/bench_basemap.py overlay demo ../shared/data/liechtenstein-latest.osm.pbf \
        ../shared/scale/scale_200k.osm.pbf
    python scripts/bench_basemap.py weight --source demo

``build`` builds the MBTiles base map of each source with tilemaker into a
temporary folder (never the cache) and prints the wall time, the CPU time of
tilemaker, the file size and the number of tiles.

``overlay`` builds the cycling network's own tiles (`routes.overlay`) of each
source's network (loaded from the cache) into a temporary folder and prints the
same figures, and the largest tile.

``weight`` starts the app (waitress, in this process) on the source, opens the
map page in Debian's chromium at 1280 x 800 and at 375 x 740, waits until
MapLibre has drawn every visible tile and the destinations and stations of the
view are loaded, and sums the bytes on the wire of everything the first view
loads: the page, scripts, styles, fonts, the destinations and stations in view,
MapLibre's worker, the base map tiles, the network's own tiles and the glyphs
(Playwright's request sizes: headers and body as sent, gzip where the server compressed).
It prints ``GET /`` alone too (budget 300 kB, issue #19). The budget of the first
view is 1.5 MB; the script exits 1 above either.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

BUDGET = 1_500_000
PAGE_BUDGET = 300_000


def build(sources: list[str]) -> None:
    import sqlite3

    from routes.basemap import basemap_info, build_basemap

    for source in sources:
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            path = build_basemap(source, cache_folder=tmp)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            info = basemap_info(path)
            with sqlite3.connect(path) as db:
                tiles = db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0]
            name = Path(source).name
            print(
                f"{name}: {wall:.1f} s wall, {cpu:.1f} s CPU (tilemaker and pyosmium), "
                f"{info.size / 1e6:.2f} MB, {tiles} tiles, zoom {info.minzoom}-{info.maxzoom}"
            )


def overlay(sources: list[str]) -> None:
    import sqlite3

    from routes import load_network
    from routes.overlay import build_network_tiles

    for source in sources:
        net = load_network(source)
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            path = build_network_tiles(net, cache_folder=tmp)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            with sqlite3.connect(path) as db:
                tiles, largest = db.execute("SELECT COUNT(*), MAX(LENGTH(tile_data)) FROM tiles").fetchone()
            print(
                f"{Path(str(source)).name}: {net.n_segments} segments, {wall:.1f} s wall, {cpu:.1f} s CPU (tilemaker), "
                f"{path.stat().st_size / 1e6:.2f} MB, {tiles} tiles, largest {largest / 1e3:.0f} kB (gzip)"
            )


def weight(source: str) -> int:
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from webapp import create_app

    t0 = time.perf_counter()
    db = Path(tempfile.mkdtemp(prefix="bench-basemap-")) / "bikemap.sqlite3"  # a database of this network's own
    app = create_app({"SOURCE": source, "WARM_PROFILES": False, "DATABASE_URL": f"sqlite:///{db}"})
    print(f"{Path(str(source)).name}: app ready in {time.perf_counter() - t0:.1f} s")
    network_key = getattr(app.extensions.get("bikemap.network_tiles"), "key", None)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    page_bytes = _page_bytes(url)
    print(f"GET /: {page_bytes} bytes on the wire with gzip (budget {PAGE_BUDGET})")
    worst = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for width, height in ((1280, 800), (375, 740)):
            ctx = browser.new_context(viewport={"width": width, "height": height})
            page = ctx.new_page()
            sizes: dict[str, int] = {}

            def finished(request, sizes=sizes):
                got = request.sizes()
                sizes[request.url] = sizes.get(request.url, 0) + got["responseBodySize"] + got["responseHeadersSize"]

            page.on("requestfinished", finished)  # the worker's requests (tiles) too
            page.goto(url)
            for _ in range(300):
                done = page.evaluate(
                    "() => !!(window.bikemap && (!window.bikemap.basemap || (m => m && m.loaded() && "
                    "m.areTilesLoaded())(window.bikemap.basemap.getMaplibreMap())))"
                )
                if done:
                    break
                page.wait_for_timeout(100)
            page.evaluate("() => window.bikemap.points && window.bikemap.points.loaded()")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            total = sum(sizes.values())
            kinds: dict[str, int] = {}
            for u, n in sizes.items():
                kind = _kind(u, network_key)
                kinds[kind] = kinds.get(kind, 0) + n
            print(
                f"{width}x{height}: {total} bytes ({total / 1e6:.2f} MB) in {len(sizes)} requests; "
                f"page {kinds.get('page', 0)}, base map tiles {kinds.get('tiles', 0)}, "
                f"network tiles {kinds.get('network', 0)}, points {kinds.get('points', 0)}, "
                f"glyphs {kinds.get('glyphs', 0)}, the rest {kinds.get('other', 0)}"
            )
            worst = max(worst, total)
            ctx.close()
        browser.close()
    server.close()
    print(f"first view, largest: {worst / 1e6:.2f} MB (budget {BUDGET / 1e6:.1f} MB)")
    return 0 if worst <= BUDGET and page_bytes <= PAGE_BUDGET else 1


def _page_bytes(url: str) -> int:
    """Bytes of ``GET /`` as sent to a browser that accepts gzip (headers and body)."""
    import urllib.request

    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", "Accept-Language": "en"})  # noqa: S310
    with urllib.request.urlopen(req) as resp:  # noqa: S310  (our own server on 127.0.0.1)
        body = resp.read()
        head = sum(len(k) + len(v) + 4 for k, v in resp.headers.items())
    return len(body) + head


def _kind(url: str, network_key: str | None) -> str:
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    if path in ("", "/"):
        return "page"
    if "/basemap/tiles/" in url:
        return "network" if network_key and f"/basemap/tiles/{network_key}/" in url else "tiles"
    if "/basemap/glyphs/" in url:
        return "glyphs"
    if "/api/destinations" in url or "/api/stations" in url:
        return "points"
    return "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="time and size of the tile build")
    b.add_argument("sources", nargs="+")
    o = sub.add_parser("overlay", help="time and size of the network's own tiles")
    o.add_argument("sources", nargs="+")
    w = sub.add_parser("weight", help="bytes of the first view of the map page")
    w.add_argument("--source", default="demo")
    args = ap.parse_args()
    if args.cmd == "build":
        build(args.sources)
        return 0
    if args.cmd == "overlay":
        overlay(args.sources)
        return 0
    return weight(args.source)


if __name__ == "__main__":
    sys.exit(main())
