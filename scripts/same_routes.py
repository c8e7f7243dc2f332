#!/usr/bin/env python
"""Route answers of this checkout and of another compared to the last bit, in one process.

The other checkout's ``routes`` package is copied into a temporary folder as ``routes_before``
and imported beside this one (as ``scripts/ab_route.py`` does). On each network (Liechtenstein,
and Andorra with heights when its elevation tile is there) it plans ``--trips`` trips with both
and compares the answers: every profile, with and without via points, with and without closed
streets (a per-edge cost with some edges shut), both languages, every ``overview`` with and
without ``steps``, points at junctions and up to about 30 m off them; also alternatives
(``routes.alternatives``). Two answers are the same when their ``repr`` is (every key in order,
every value of the same type and value: a float that differs in its last bit, or a NumPy number
where there was a Python one, is a difference) and their JSON bytes as ``/api/route`` writes them
(orjson) are; an error must be the same class with the same message.

    python scripts/same_routes.py --before /tmp/before --data ../shared/data

Prints the number of answers compared per network (and how many trips were the same error:
no route, a point off the network) and every difference; exit status 1 on any.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

_OPTIONS = [{"overview": o, "steps": s} for o in ("full", "simplified", "false") for s in (True, False)]


def _answer(fn):
    """``fn()``'s answer, or the error it raised as (class name, message)."""
    try:
        return fn()
    except Exception as exc:  # compared, not hidden: both trees must fail alike
        return ("error", type(exc).__name__, str(exc))


def _same(a, b) -> bool:
    if repr(a) != repr(b):
        return False
    if isinstance(a, tuple):  # an error
        return True
    opt = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    return orjson.dumps(a, option=opt) == orjson.dumps(b, option=opt)


def compare(name: str, net, net_b, new, old, trips: int, seed: int) -> int:
    """Trips on one network: the number of differences (each printed)."""
    rng = np.random.default_rng(seed)
    profiles = list(new.profile_names())
    lat, lon = net.node_lat, net.node_lon
    n_nodes = len(lat)
    bad = done = errors = 0
    closures = {}
    for p in profiles:  # a closure: a few hundred directed edges shut, as webapp.storage.closures makes them
        cost = net.router(p).cost.copy()
        shut = rng.choice(len(cost), size=min(300, len(cost) // 20), replace=False)
        cost[shut] = np.inf
        closures[p] = cost
    for t in range(trips):
        n_pts = 2 + int(rng.integers(0, 3)) if t % 3 == 0 else 2  # via points in a third of the trips
        idx = rng.integers(0, n_nodes, size=n_pts)
        off = (t % 2) * 3e-4  # half the trips start up to ~30 m off a junction
        pts = [
            (float(lat[i]) + float(rng.uniform(-off, off)), float(lon[i]) + float(rng.uniform(-off, off))) for i in idx
        ]
        profile = profiles[t % len(profiles)]
        lang = ("en", "id")[(t // 2) % 2]
        closed = t % 5 == 4
        opts = _OPTIONS[t % len(_OPTIONS)]
        kw = {"profile": profile, "lang": lang, **opts}
        a = _answer(
            lambda: new.route(net, pts, edge_cost=closures[profile] if closed else None, **kw)  # noqa: B023
        )
        b = _answer(
            lambda: old.route(net_b, pts, edge_cost=closures[profile] if closed else None, **kw)  # noqa: B023
        )
        done += 1
        errors += isinstance(a, tuple)
        if not _same(a, b):
            bad += 1
            print(f"{name}: trip {t} differs: {pts} {kw} closed={closed}")
            print(f"  after:  {repr(a)[:400]}")
            print(f"  before: {repr(b)[:400]}")
        if t % 10 == 0 and n_pts == 2:  # alternatives
            from routes.alternatives import route_alternatives as alt_new

            alt_old = importlib.import_module("routes_before.alternatives").route_alternatives
            a = _answer(lambda: alt_new(net, pts, n=2, profile=profile, lang=lang))  # noqa: B023
            b = _answer(lambda: alt_old(net_b, pts, n=2, profile=profile, lang=lang))  # noqa: B023
            done += 1
            if not _same(a, b):
                bad += 1
                print(f"{name}: alternatives of trip {t} differ: {pts} {profile} {lang}")
    print(f"{name}: {done} answers compared ({errors} of the trips the same error), {bad} different")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="the other checkout (a folder holding routes/)")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--trips", type=int, default=700, help="trips per network")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    if not (Path(args.before) / "routes" / "__init__.py").is_file():
        print(f"same_routes: {args.before} holds no routes/ package", file=sys.stderr)
        return 2
    data = Path(args.data)
    nets = [("liechtenstein", data / "liechtenstein-latest.osm.pbf", None)]
    if (data / "andorra.osm.pbf").is_file() and (data / "N42E001.hgt.zip").is_file():
        nets.append(("andorra (heights)", data / "andorra.osm.pbf", data / "N42E001.hgt.zip"))
    if not nets[0][1].is_file():
        print(f"same_routes: no {nets[0][1]}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="same_routes-") as tmp:
        shutil.copytree(Path(args.before) / "routes", Path(tmp) / "routes_before")
        sys.path.insert(0, tmp)
        import routes

        old = importlib.import_module("routes_before")
        bad = 0
        for name, pbf, dem in nets:
            extra = {"dem": dem} if dem else {}
            net = routes.load_network(pbf, cache_folder=f"{tmp}/after-{name[:5]}", **extra)
            net_b = old.load_network(pbf, cache_folder=f"{tmp}/before-{name[:5]}", **extra)
            bad += compare(name, net, net_b, routes, old, args.trips, args.seed)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
