"""Place search and reverse naming speed (routes.geocode) on real extracts.

    python scripts/bench_search.py ../shared/data/liechtenstein-latest.osm.pbf ../shared/scale/scale_200k.osm.pbf

For each source: loads the network (cache), builds the place index (timed, into
a temporary folder), then runs ``--queries`` searches (fixed seed) made from
the index's own names: prefixes of 1 to 8 letters of one or two words, and
"street number" for addresses, each near a random point of the extract; and as
many reverse lookups at random points. Prints p50/p95/max in milliseconds.
The target is a p95 under 20 ms.

``--postgresql URL`` runs the same queries again on the web app's PostgreSQL
place index (`webapp.storage.places`), built in a schema of its own that is
dropped afterwards::

    python scripts/bench_search.py ../shared/data/liechtenstein-latest.osm.pbf \
        --postgresql postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def _queries(path: Path, n: int, rng: random.Random) -> list[str]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM item")]
    out = []
    for _ in range(n):
        words = rng.choice(names).split()
        if len(words) > 1 and rng.random() < 0.5:
            out.append(" ".join(w[: rng.randint(2, 8)] for w in words[:2]))
        else:
            out.append(words[0][: rng.randint(1, 8)])
    return out


def _stats(times: list[float]) -> str:
    ms = np.asarray(times) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms, max {ms.max():.1f} ms"


@contextmanager
def _pg_schema(url: str):
    """A PostgreSQL URL whose search path is a new schema (dropped on exit)."""
    import psycopg

    schema = f"bench_places_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _time(idx, queries, points) -> float:
    idx.search("warm up", near=points[0])
    times, empty = [], 0
    for q, near in zip(queries, points, strict=True):
        t = time.perf_counter()
        hits = idx.search(q, near=near)
        times.append(time.perf_counter() - t)
        empty += not hits
    print(f"  search  ({len(queries)} queries, {empty} without a hit): {_stats(times)}")
    rtimes = []
    for lat, lon in points:
        t = time.perf_counter()
        idx.reverse(lat, lon)
        rtimes.append(time.perf_counter() - t)
    print(f"  reverse ({len(points)} points): {_stats(rtimes)}")
    return float(np.percentile(np.asarray(times) * 1000, 95))


def bench(source: str, n: int, pg_url: str | None) -> float:
    from routes import load_network
    from routes.geocode import PlaceIndex, build_place_index, index_key

    net = load_network(source)
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = build_place_index(net, source, Path(tmp) / "places.sqlite")
        build_s = time.perf_counter() - t0
        idx = PlaceIndex(path).attach_network(net)
        print(
            f"{Path(source).name}: {len(idx)} names, index built in {build_s:.1f} s, {path.stat().st_size / 1e6:.1f} MB"
        )
        w, s, e, nn = net.bounds
        points = [(rng.uniform(s, nn), rng.uniform(w, e)) for _ in range(n)]
        queries = _queries(path, n, rng)
        worst = _time(idx, queries, points)
    if pg_url:
        from webapp.storage.engine import make_engine
        from webapp.storage.places import open_pg_place_store

        with _pg_schema(pg_url) as url:
            engine = make_engine(url)
            t0 = time.perf_counter()
            store = open_pg_place_store(engine, net, source, index_key(net, source))
            print(f"  PostgreSQL: index built in {time.perf_counter() - t0:.1f} s")
            worst = max(worst, _time(PlaceIndex(store).attach_network(net), queries, points))
            engine.dispose()
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="+")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--postgresql", metavar="URL", help="also on the web app's PostgreSQL place index")
    args = ap.parse_args()
    worst = max(bench(s, args.queries, args.postgresql) for s in args.sources)
    print(f"worst search p95: {worst:.2f} ms (target 20 ms)")
    return 0 if worst < 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
