"""Routing backends side by side: bikemap's own engine and OSRM or Valhalla in-process (`routes.backends`).

    python scripts/bench_backends.py --source ../shared/data/liechtenstein-latest.osm.pbf --pairs 200
    python scripts/bench_backends.py --source ../shared/data/liechtenstein-latest.osm.pbf --pairs 200 --engine valhalla

Builds the engine's data for the ``safe`` profile into a fresh folder (timed; OSRM:
extract, partition, customise, and the first reading of the extract's ways; Valhalla:
its tiles), then routes the same random pairs (`bench_quality.pick_pairs`: 1 to 8 km
apart) with both engines, twice (the first pass touches every page of the data), and
prints per-route time p50/p95, how many answers cost the same (in bikemap's costs),
how many legs fell back to bikemap's engine, and the time of the first route under a
new closure (OSRM: one MLD re-customisation; Valhalla: ``exclude_polygons``) and of
the next one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from routes import BikemapError, settings  # noqa: E402


def _timed(net, pairs, profile: str, engine: str) -> tuple[list[float], list[float | None]]:
    from routes.routing import route_pieces

    settings.engine = engine
    times, costs = [], []
    for a, b in pairs:
        t = time.perf_counter()
        try:
            router, _, legs = route_pieces(net, [a, b], profile=profile)
            costs.append(sum(p.value(router.cost) for p in legs[0]))
        except BikemapError:
            costs.append(None)
        times.append(time.perf_counter() - t)
    settings.engine = "bikemap"
    return times, costs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True, help=".osm.pbf file")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="safe")
    ap.add_argument("--engine", default="osrm", help="the other engine: osrm (default) or valhalla")
    ap.add_argument("--cache-dir", default=None, help="folder of built networks (default .cache/networks)")
    args = ap.parse_args(argv)
    from bench_quality import pick_pairs

    from routes import load_network
    from routes.backends import check_engine, use_engine
    from routes.closures import closure_edge_cost
    from routes.errors import InvalidValueError
    from routes.routing import route_pieces

    try:
        if args.engine == "bikemap":
            raise InvalidValueError("--engine: name another engine than bikemap (osrm or valhalla)")
        check_engine(args.engine)
    except BikemapError as exc:
        print(f"bench_backends: {exc}", file=sys.stderr)
        return 2
    settings.cache_folder = Path(args.cache_dir) if args.cache_dir else ROOT / ".cache" / "networks"
    net = load_network(args.source)
    router = net.router(args.profile)
    pairs, lo, hi = pick_pairs(net, router, args.pairs, args.seed)
    print(f"source {net.name}: {net.n_nodes} junctions, {net.n_segments} segments; {len(pairs)} pairs")
    print(f"pairs {lo:.0f}-{hi:.0f} m apart, seed {args.seed}")
    engine = args.engine
    with tempfile.TemporaryDirectory(prefix=f"bikemap-{engine}-") as folder:
        t = time.perf_counter()
        backend = use_engine(net, engine, cache_folder=folder, profiles=[args.profile])
        what = "ways, extract, partition, customise" if engine == "osrm" else "valhalla_build_tiles"
        print(f"{engine} data for '{args.profile}' ({what}): {time.perf_counter() - t:.1f} s")
        settings.engine = "bikemap"
        # a first pass touches every page of both engines' data (OSRM memory-maps its files): reported,
        # then a second pass is the warm figure
        for name in ("bikemap", engine):
            ts, _ = _timed(net, pairs, args.profile, name)
            p50, p95 = np.percentile(np.array(ts) * 1000, [50, 95])
            print(f"{name:8} first pass  route p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        own_t, own_c = _timed(net, pairs, args.profile, "bikemap")
        other_t, other_c = _timed(net, pairs, args.profile, engine)
        for name, ts in (("bikemap", own_t), (engine, other_t)):
            p50, p95 = np.percentile(np.array(ts) * 1000, [50, 95])
            print(f"{name:8} warm        route p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        both = [(a, b) for a, b in zip(own_c, other_c, strict=True) if a is not None and b is not None]
        same = sum(abs(a - b) <= 1e-3 * max(a, 1.0) for a, b in both)
        worse = [b / a - 1 for a, b in both if b > a * (1 + 1e-3)]
        print(
            f"same cost {same}/{len(both)}; dearer {len(worse)} (p50 +{np.median(worse) if worse else 0:.1%}, "
            f"max +{max(worse, default=0):.1%}); "
            f"fallbacks {backend.fallbacks}; stitched {getattr(backend, 'stitched', 0)}"  # type: ignore[union-attr]
        )
        # one closure: the middle whole segment of the first pair's route
        _, _, legs = route_pieces(net, list(pairs[0]), profile=args.profile)
        whole = [p for p in legs[0] if p.share == 1.0]
        seg = whole[len(whole) // 2].seg
        line = net.coords[net.offsets[seg] : net.offsets[seg + 1]].tolist()
        cost = closure_edge_cost(router, [{"kind": "closure", "geometry": {"type": "LineString", "coordinates": line}}])
        settings.engine = engine
        for what in ("first route under a new closure", "next route under it"):
            t = time.perf_counter()
            route_pieces(net, list(pairs[0]), profile=args.profile, edge_cost=cost)
            print(f"{what}: {1000 * (time.perf_counter() - t):.0f} ms")
        settings.engine = "bikemap"
    return 0


if __name__ == "__main__":
    sys.exit(main())
