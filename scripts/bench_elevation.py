"""Elevation figures on Andorra: DEM sampling speed, cost of hills in routing, climb figures.

    python scripts/bench_elevation.py [--data ../shared/data]

Prints timings (this machine, one run each after a warm-up) and the climb
figures of a few routes, with and without the 10 m hysteresis.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from routes import load_network, route, settings
from routes.elevation import add_elevation, climbs_along, open_dem
from routes.network import haversine_m

ROOT = Path(__file__).resolve().parent.parent
ROUTES = {
    "Andorra la Vella -> Pas de la Casa (over Port d'Envalira, 2,408 m)": [(42.5078, 1.5211), (42.5424, 1.7336)],
    "Sant Antoni (CG-3) -> Encamp": [(42.52961, 1.52055), (42.53506, 1.57697)],
    "Andorra la Vella -> Ordino": [(42.5078, 1.5211), (42.5556, 1.5331)],
}


def timed(fn, repeat=5):
    fn()
    t0 = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return (time.perf_counter() - t0) / repeat, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args()
    data = Path(args.data)
    settings.cache_folder = ROOT / ".cache" / "networks"
    pbf, hgt = data / "andorra.osm.pbf", data / "N42E001.hgt.zip"
    flat = load_network(pbf)
    print(f"network: {flat.n_nodes} junctions, {flat.n_segments} segments, {len(flat.coords)} geometry points")

    dem = open_dem(hgt)
    rng = np.random.default_rng(0)
    lon, lat = 1.4 + rng.random(100_000) * 0.4, 42.4 + rng.random(100_000) * 0.3
    s, _ = timed(lambda: dem.sample(lon, lat))
    print(f"DEM sample, 100,000 random points (zipped SRTM3 tile): {s * 1000:.0f} ms")

    s, net = timed(lambda: add_elevation(_copy(flat), dem), repeat=3)
    print(f"add_elevation (all junctions and geometry points): {s * 1000:.0f} ms")
    t0 = time.perf_counter()
    load_network(pbf, dem=hgt)
    print(f"load_network(..., dem=) from the cache: {(time.perf_counter() - t0) * 1000:.0f} ms")

    for name in ("safe", "fast", "ebike"):
        t0 = time.perf_counter()
        _copy(flat).router(name)
        plain = time.perf_counter() - t0
        hilly = _copy(net)
        t0 = time.perf_counter()
        hilly.router(name)
        print(
            f"router build '{name}': {plain * 1000:.0f} ms flat, {(time.perf_counter() - t0) * 1000:.0f} ms with hills"
        )

    for label, pts in ROUTES.items():
        print(f"\n{label}")
        for prof in ("safe", "fast", "ebike"):
            s, f = timed(lambda prof=prof, pts=pts: route(net, pts, profile=prof), repeat=3)
            p = f["properties"]
            c = np.array(f["geometry"]["coordinates"])
            d = np.concatenate([[0], np.cumsum(haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]))])
            dz = np.diff(c[:, 2])
            raw_up = dz[dz > 0].sum()
            h5 = climbs_along(np.array([0, len(c)]), d, c[:, 2], 5.0)[0][0]
            g = route(flat, pts, profile=prof)["properties"]
            print(
                f"  {prof:5s}: {p['distance_m'] / 1000:5.1f} km, {p['duration_s'] / 60:4.0f} min "
                f"(flat network: {g['distance_m'] / 1000:5.1f} km, {g['duration_s'] / 60:4.0f} min), "
                f"ascent {p['ascent_m']:5.0f} m (raw {raw_up:5.0f}, 5 m hysteresis {h5:5.0f}), "
                f"descent {p['descent_m']:5.0f} m, max grade {p['max_grade_pct']:.1f} %, "
                f"heights {c[:, 2].min():.0f}-{c[:, 2].max():.0f} m, route {s * 1000:.0f} ms"
            )


def _copy(net):
    import pickle

    return pickle.loads(pickle.dumps(net))


if __name__ == "__main__":
    main()
