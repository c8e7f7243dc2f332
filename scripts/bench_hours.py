"""Benchmark opening hours: opening-hours-py (routes/_hours.py) against the hand-written parser it replaced.

    python scripts/bench_hours.py                        # demo, Liechtenstein, Andorra, Paris (those present)
    python scripts/bench_hours.py --source demo --tours 20

The workload is the tour planner's. Every ``opening_hours`` value tagged in the
networks' points of interest is evaluated the way `routes.tours` does: the
open windows over a discovery budget (3 h) and over the week after a stop
(7 days), from a start every 3 hours over two weeks around Christmas (public
holidays). Printed per implementation: microseconds per evaluation, cold
(parsed afresh each time) and warm (the parsed value cached, as in a running
server), then how often the two agree where the old parser understood the
value, and how many values it could not read. Last, whole discovery tours
(`plan_discovery`, 100 candidates, on the demo network) with each evaluator
plugged in, and the ratio; the figures are from one run, so the ratios hold
even on a busy machine.

The old parser is read from git history (``OLD_REVISION``), not kept in the package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routes import _hours, load_network, tours  # noqa: E402
from routes.tours import network_timezone, plan_discovery  # noqa: E402

#: The last commit with the hand-written parser (routes/_hours.py).
OLD_REVISION = "25b7782"
SHARED = ROOT.parent / "shared" / "data"
SOURCES = ["demo", "liechtenstein-latest.osm.pbf", "andorra.osm.pbf", "paris_bss.osm.pbf"]


def old_hours() -> types.ModuleType:
    """The hand-written parser as it was at `OLD_REVISION`."""
    try:
        code = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_REVISION}:routes/_hours.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"bench_hours: cannot read the old parser from git ({OLD_REVISION}): {exc}")
    mod = types.ModuleType("old_hours")
    exec(compile(code, "old_hours.py", "exec"), mod.__dict__)
    return mod


def old_open_windows(old: types.ModuleType):
    """The old evaluation behind the new signature (what routes.tours called, per destination)."""

    def open_windows(value, start, horizon_s, *, coords=None):
        week = old.parse_opening_hours(value)
        return None if week is None else old.open_windows(week, start, horizon_s)

    return open_windows


def workload(sources: list[str]) -> list[tuple[str, tuple[float, float], ZoneInfo]]:
    items = []
    for src in sources:
        path = src if src == "demo" else str(SHARED / src)
        if src != "demo" and not Path(path).exists():
            print(f"# {src}: not found in {SHARED}, skipped")
            continue
        net = load_network(path)
        tz = network_timezone(net)
        for p in net.pois:
            if p["tags"].get("opening_hours"):
                items.append((p["tags"]["opening_hours"], (p["lat"], p["lon"]), tz))
    return items


def starts(tz: ZoneInfo) -> list[dt.datetime]:
    first = dt.datetime(2026, 12, 17, 0, 0, tzinfo=tz)
    return [first + dt.timedelta(hours=3 * k) for k in range(14 * 8)]


def time_evaluations(open_windows, items, *, cold: bool, clear=None) -> tuple[float, int]:
    n, t = 0, 0.0
    for value, coords, tz in items:
        for s in starts(tz):
            for horizon in (3 * 3600, 7 * 86400):
                if cold and clear is not None:
                    clear()
                t0 = time.perf_counter()
                open_windows(value, s, horizon, coords=coords)
                t += time.perf_counter() - t0
                n += 1
    return 1e6 * t / max(n, 1), n


def compare(old_ow, items) -> None:
    """Old against new windows over a week; a difference that goes away without the place's
    coordinates (no holiday calendar) is a public holiday the old parser ignored."""
    same = holiday = other = old_unknown = new_unknown = n = 0
    examples, unreadable = [], set()
    for value, coords, tz in sorted(set(items), key=lambda x: (x[0], x[1])):
        for s in starts(tz):
            n += 1
            a = old_ow(value, s, 7 * 86400)
            b = _hours.open_windows(value, s, 7 * 86400, coords=coords)
            old_unknown += a is None
            new_unknown += b is None
            if a is None or b is None:
                unreadable.add(value if a is None else f"{value} (new)")
                continue
            if a == b:
                same += 1
            elif a == _hours.open_windows(value, s, 7 * 86400):
                holiday += 1
            else:
                other += 1
                if len(examples) < 4 and value not in [e[0] for e in examples]:
                    examples.append((value, s.isoformat()))
    total = same + holiday + other
    print(
        f"agreement over a week: {same}/{total} equal ({100 * same / max(total, 1):.1f}%), "
        f"{holiday} differ by public holidays only, {other} otherwise; "
        f"unknown (treated as always open) old={old_unknown} new={new_unknown} of {n}"
    )
    for value in sorted(unreadable):
        print(f"  unknown: {value!r}")
    for value, when in examples:
        print(f"  differs: {value!r} from {when}")


def _timed(open_windows):
    spent = [0.0]

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return open_windows(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    return timed, spent


def bench_tours(old_ow, runs: int) -> None:
    """Whole discovery tours on a day without public holidays (so both plan the same tour)."""
    net = load_network("demo")
    start, when = (60.1699, 24.9384), "2026-07-04T10:00"
    plan_discovery(net, start, 180, start_time=when)  # warm up: matrix code compiled, destinations built
    times: dict[str, list[float]] = {"old": [], "new": []}
    inside: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(runs):  # alternate, so both see the same load on a shared machine
        for name, ow in (("old", old_ow), ("new", _hours.open_windows)):
            tours.open_windows, spent = _timed(ow)  # the evaluator the planner calls
            t0 = time.perf_counter()
            plan_discovery(net, start, 180, start_time=when)
            times[name].append(time.perf_counter() - t0)
            inside[name].append(spent[0])
    tours.open_windows = _hours.open_windows
    out = {name: statistics.median(v) * 1000 for name, v in times.items()}
    hours = {name: statistics.median(v) * 1000 for name, v in inside.items()}
    print(
        f"discovery tour (demo, 180 min, {runs} runs, median): old={out['old']:.1f} ms new={out['new']:.1f} ms "
        f"ratio new/old={out['new'] / out['old']:.2f}; of which opening hours: old={hours['old']:.2f} ms "
        f"new={hours['new']:.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", action="append", help="a network source (repeatable); default: the four extracts")
    ap.add_argument("--tours", type=int, default=10, help="discovery tours timed per evaluator (0: none)")
    args = ap.parse_args(argv)
    old = old_hours()
    old_ow = old_open_windows(old)
    items = workload(args.source or SOURCES)
    print(f"{len(items)} tagged values, {len({v for v, _, _ in items})} distinct")
    old_us, n = time_evaluations(old_ow, items, cold=True)
    new_cold, _ = time_evaluations(_hours.open_windows, items, cold=True, clear=_hours._parse.cache_clear)
    new_warm, _ = time_evaluations(_hours.open_windows, items, cold=False)
    print(
        f"per evaluation ({n}): old={old_us:.1f} us  new cold={new_cold:.1f} us  new warm={new_warm:.1f} us  "
        f"ratio new/old cold={new_cold / old_us:.1f} warm={new_warm / old_us:.1f}"
    )
    compare(old_ow, items)
    if args.tours:
        bench_tours(old_ow, args.tours)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
