"""Route quality: bikemap's ``safe`` and ``fast`` profiles side by side with OSRM.

    python scripts/bench_quality.py --source ../shared/data/paris_bss.osm.pbf --pairs 200
    python scripts/bench_quality.py --source ../shared/data/liechtenstein-latest.osm.pbf --engine osrm,valhalla

``--engine osrm`` adds rows ``safe@osrm`` and ``fast@osrm``: bikemap's profiles searched
by OSRM in-process (`routes.backends`), measured the same way; ``valhalla`` adds
``safe@valhalla``, ``fast@valhalla`` and ``valhalla`` (Valhalla's own bicycle costing, its
defaults), each mapped back onto bikemap's segments.

Picks random origin/destination pairs on the network (1 to 8 km apart where
the extract allows, shorter on small extracts), routes each with bikemap's
``safe`` and ``fast`` profiles and with OSRM's bicycle profile (``osrm-routed``
started on 127.0.0.1, see ``scripts/osrm_setup.sh``), and measures every route
with ONE classification of the OSM ways it uses:

- length against the shortest legal path (shortest by distance over the
  directed edges bikemap's legal rules allow, riding or pushing);
- share of distance on cycle infrastructure (cycleways, designated paths,
  roads with a cycle lane or track in the direction of travel), on quiet
  streets, on main roads (trunk to tertiary) without such infrastructure,
  pushed legally;
- share on illegal or doubtful ways: against a oneway without a bicycle
  exception, bicycle=no and other closed ways, footways without bicycle
  permission ridden (not pushed), motorways.

bikemap routes are measured segment by segment (each segment knows its OSM
tags, travel direction and whether it is pushed). OSRM routes are mapped onto
OSM ways through their ``annotations=nodes`` (OSM node ids): every pair of
consecutive nodes is looked up in the way node lists read from the same
``.osm.pbf`` with pyrosm, which gives the way's tags and the travel direction;
pushing is OSRM's own ``pushing bike`` step mode.

The last line is ``infra_ratio=... main_ratio=... illegal_pct=... length_p50=...``:
bikemap safe's infrastructure and main-road shares divided by OSRM's, and
safe's illegal share (percent) and median length ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routes import settings  # noqa: E402
from routes.errors import BikemapError  # noqa: E402
from routes.profiles import NO, PUSH, classify_segment, is_main_road  # noqa: E402

CATEGORIES = ("infra", "quiet", "main", "push")


# --------------------------------------------------------------------------- the metric


def travel_infra(tags: dict[str, str], forward: bool) -> bool:
    """Whether a way offers cycle infrastructure in the direction of travel.

    Cycleways and designated paths count both ways; on a road, a cycle lane or
    track counts where it runs the way one travels (`routes.profiles`'
    ``infra_fwd``/``infra_bwd``: right-hand traffic, ``opposite_*`` and
    ``cycleway:SIDE:oneway`` honoured). Shared lanes (sharrows, bus lanes open
    to bicycles) are paint on the carriageway, not infrastructure.

    >>> travel_infra({"highway": "primary", "cycleway:right": "lane"}, forward=False)
    False
    >>> travel_infra({"highway": "primary", "cycleway:left": "track"}, forward=False)
    True
    """
    c = classify_segment(tags)
    return (c.infra_fwd if forward else c.infra_bwd) in ("cycleway", "track", "lane")


def classify_stretch(tags: dict[str, str], *, forward: bool, pushed: bool) -> tuple[str, str]:
    """Category and illegality of riding (or pushing) along one OSM way.

    Parameters
    ----------
    tags
        The way's OSM tags.
    forward
        Whether the travel follows the way's node order.
    pushed
        Whether the bicycle is pushed (walked) there.

    Returns
    -------
    (category, illegal)
        ``category`` is ``infra``, ``quiet``, ``main`` or ``push``; ``illegal``
        is ``""`` for a legal stretch, else the reason: ``motorway``,
        ``oneway`` (against it), ``closed`` (bicycle=no, access=no...), each
        with `` (pushed)`` when walked, or ``footway ridden``.

    >>> classify_stretch({"highway": "footway"}, forward=True, pushed=False)
    ('push', 'footway ridden')
    >>> classify_stretch({"highway": "residential", "oneway": "yes"}, forward=False, pushed=False)
    ('quiet', 'oneway')
    """
    c = classify_segment(tags)
    access = c.fwd if forward else c.bwd
    hw = tags.get("highway", "")
    illegal = ""
    if hw in ("motorway", "motorway_link") or tags.get("motorroad") == "yes":
        illegal = "motorway"
    elif access == NO:
        illegal = "oneway" if max(c.fwd, c.bwd) != NO else "closed"
        if pushed:  # walking the bike there is still a doubtful use of the way
            illegal += " (pushed)"
    elif access == PUSH and not pushed:
        illegal = "footway ridden"
    if pushed or (access == PUSH and not illegal):
        category = "push"
    elif travel_infra(tags, forward):
        category = "infra"
    elif is_main_road(c.cls):
        category = "main"
    elif access == PUSH:  # ridden where it must be pushed: count it where it lies
        category = "push"
    else:
        category = "quiet"
    return category, illegal


@dataclass
class RouteStats:
    """Distance (m) of one route by category, by illegality reason, and unmapped."""

    length: float = 0.0
    by_category: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0.0))
    illegal: dict[str, float] = field(default_factory=dict)
    unmapped: float = 0.0

    def add(self, tags: dict[str, str] | None, dist: float, *, forward: bool, pushed: bool) -> None:
        self.length += dist
        if tags is None:
            self.unmapped += dist
            return
        category, why = classify_stretch(tags, forward=forward, pushed=pushed)
        self.by_category[category] += dist
        if why:
            self.illegal[why] = self.illegal.get(why, 0.0) + dist


class WayIndex:
    """Consecutive OSM node pairs of every way of a ``.osm.pbf``: (tags, forward).

    Built from pyrosm's ``get_network(network_type="all", nodes=True)``, whose
    edges are exactly the consecutive node pairs of each way, in way order,
    with the way's tags (kept to `routes.settings.way_tags`, as in the network).
    """

    def __init__(
        self,
        pairs: dict[tuple[int, int], tuple[int, bool]],
        tags: list[dict[str, str]],
        ways: dict[int, int],
        nodes: list[list[int]],
    ):
        self.pairs = pairs  # (node a, node b) -> (way row, a before b in the way)
        self.tags = tags  # per way row
        self.ways = ways  # OSM way id -> way row
        self.nodes = nodes  # per way row, its node ids in order

    @classmethod
    def from_pbf(cls, path: str | Path) -> WayIndex:
        import pyrosm

        _, edges = pyrosm.OSM(str(path)).get_network(network_type="all", nodes=True)
        columns = [c for c in settings.way_tags if c in edges.columns]
        extra = edges["tags"] if "tags" in edges.columns else [None] * len(edges)
        way_row: dict[int, int] = {}
        tags: list[dict[str, str]] = []
        pairs: dict[tuple[int, int], tuple[int, bool]] = {}
        nodes: list[list[int]] = []
        for row, more in zip(edges[["u", "v", "id", *columns]].itertuples(index=False), extra, strict=True):
            u, v, way = int(row[0]), int(row[1]), int(row[2])
            if way not in way_row:
                attrs = {c: x for c, x in zip(columns, row[3:], strict=True) if isinstance(x, str) and x}
                if isinstance(more, str) and more:
                    try:
                        for k, x in json.loads(more).items():
                            if k in settings.way_tags and k not in attrs and isinstance(x, str):
                                attrs[k] = x
                    except ValueError:
                        pass
                way_row[way] = len(tags)
                tags.append(attrs)
                nodes.append([u])
            i = way_row[way]
            if nodes[i][-1] != u:
                nodes[i].append(u)
            nodes[i].append(v)
            pairs.setdefault((u, v), (i, True))
            pairs.setdefault((v, u), (i, False))
        return cls(pairs, tags, way_row, nodes)

    def lookup(self, a: int, b: int) -> tuple[dict[str, str] | None, bool]:
        hit = self.pairs.get((a, b))
        return (None, True) if hit is None else (self.tags[hit[0]], hit[1])


def osrm_stats(leg_or_route: dict, ways: WayIndex) -> RouteStats:
    """Measure an OSRM route (``annotations=nodes,distance``, ``steps=true``)."""
    stats = RouteStats()
    for leg in leg_or_route.get("legs", [leg_or_route]):
        nodes = leg["annotation"]["nodes"]
        dists = leg["annotation"]["distance"]
        pushed = np.zeros(len(dists), dtype=bool)
        start = 0
        for step in leg.get("steps", []):
            n = max(len(step["geometry"]["coordinates"]) - 1, 0)
            if step.get("mode") == "pushing bike":
                pushed[start : start + n] = True
            start += n
        for i, dist in enumerate(dists):
            tags, forward = ways.lookup(int(nodes[i]), int(nodes[i + 1]))
            stats.add(tags, float(dist), forward=forward, pushed=bool(pushed[i]))
    return stats


def bikemap_stats(router, legs) -> RouteStats:
    """Measure a bikemap route given as `routes.routing.route_pieces` legs."""
    net = router.network
    stats = RouteStats()
    for pieces in legs:
        for p in pieces:
            dist = float(net.seg_length[p.seg] * p.share)
            stats.add(
                net.tags[p.seg],
                dist,
                forward=p.f1 >= p.f0,
                pushed=bool(router.access[p.edge] == PUSH),
            )
    return stats


# --------------------------------------------------------------------------- OSRM


class OsrmServer:
    """``osrm-routed`` for one extract, on a free port of 127.0.0.1."""

    def __init__(self, pbf: Path):
        setup = subprocess.run(
            ["bash", str(ROOT / "scripts" / "osrm_setup.sh"), str(pbf)],
            capture_output=True,
            text=True,
        )
        if setup.returncode != 0:
            raise SystemExit(f"OSRM setup failed: {setup.stderr.strip().splitlines()[-1:]}")
        bin_dir, base = setup.stdout.strip().splitlines()[-2:]
        binary = Path(bin_dir) / "osrm-routed"
        self.log = open(Path(base).parent / "routed.log", "wb")  # noqa: SIM115 (closed in close())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(binary), "-i", "127.0.0.1", "-p", str(self.port), "-a", "CH", "-t", "1", base],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                tail = (Path(base).parent / "routed.log").read_text(errors="replace")[-500:]
                raise SystemExit(f"osrm-routed stopped: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise SystemExit("osrm-routed did not start within 60 s")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def osrm_route(url: str, a: tuple[float, float], b: tuple[float, float]) -> dict | None:
    """OSRM's bicycle route between two (lat, lon) points, or None."""
    q = (
        f"{url}/route/v1/bicycle/{a[1]:.7f},{a[0]:.7f};{b[1]:.7f},{b[0]:.7f}"
        "?annotations=nodes,distance&overview=full&geometries=geojson&steps=true"
    )
    try:
        with urllib.request.urlopen(q, timeout=30) as r:
            body = json.load(r)
    except urllib.error.HTTPError as exc:  # 400 NoRoute / NoSegment
        body = json.loads(exc.read() or b"{}")
    if body.get("code") != "Ok" or not body.get("routes"):
        return None
    return body["routes"][0]


# --------------------------------------------------------------------------- the run


def legal_distance_cost(router) -> np.ndarray:
    """Per directed edge: its length where bikemap's rules allow it, else inf."""
    length = np.repeat(router.network.seg_length, 2).astype(np.float64)
    return np.where(router.access > 0, length, np.inf)


def pick_pairs(
    net, router, n: int, seed: int
) -> tuple[list[tuple[tuple[float, float], tuple[float, float]]], float, float]:
    """``n`` random junction pairs of the legal network's largest strong component."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    from routes.network import haversine_m

    ok = np.flatnonzero(router.access > 0)
    src, dst = router.src[ok], router.dst[ok]
    graph = csr_matrix((np.ones(len(ok)), (src, dst)), shape=(net.n_nodes, net.n_nodes))
    _, labels = connected_components(graph, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    # junctions a bicycle may ride through (not only push), in the big component
    ride = router.access == 2
    ridable = np.zeros(net.n_nodes, bool)
    ridable[router.src[ride]] = True
    nodes = np.flatnonzero((labels == biggest) & ridable)
    w, s, e, nn = net.bounds
    diag = float(haversine_m(w, s, e, nn))
    lo, hi = min(1000.0, 0.15 * diag), min(8000.0, 0.6 * diag)
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(200 * n):
        if len(pairs) == n:
            break
        a, b = rng.choice(nodes, 2, replace=False)
        d = float(haversine_m(net.node_lon[a], net.node_lat[a], net.node_lon[b], net.node_lat[b]))
        if lo <= d <= hi:
            pairs.append(
                (
                    (float(net.node_lat[a]), float(net.node_lon[a])),
                    (float(net.node_lat[b]), float(net.node_lon[b])),
                )
            )
    return pairs, lo, hi


@dataclass
class Totals:
    found: int = 0
    ratios: list[float] = field(default_factory=list)
    stats: list[RouteStats] = field(default_factory=list)

    def shares(self) -> dict[str, float]:
        total = sum(s.length for s in self.stats) or 1.0
        out = {c: sum(s.by_category[c] for s in self.stats) / total for c in CATEGORIES}
        out["illegal"] = sum(sum(s.illegal.values()) for s in self.stats) / total
        out["unmapped"] = sum(s.unmapped for s in self.stats) / total
        return out

    def reasons(self) -> dict[str, float]:
        total = sum(s.length for s in self.stats) or 1.0
        out: dict[str, float] = {}
        for s in self.stats:
            for k, v in s.illegal.items():
                out[k] = out.get(k, 0.0) + v / total
        return out


def use_profiles(path: str | Path) -> None:
    """Route with the profiles of another TOML file (to try numbers without editing data/)."""
    import shutil
    import tempfile

    from routes.profiles import load_profiles

    folder = Path(tempfile.mkdtemp(prefix="bikemap-profiles-"))
    for f in settings.data_folder.iterdir():
        if f.name != "profiles.toml":
            (folder / f.name).symlink_to(f.resolve())
    shutil.copy(path, folder / "profiles.toml")
    settings.data_folder = folder
    load_profiles.cache_clear()


def _engine_rows(engines: list[str]) -> dict[str, tuple[str, str, tuple | None]]:
    """Rows routed by other engines: name -> (bikemap profile, engine, costing override or None)."""
    rows: dict[str, tuple[str, str, tuple | None]] = {}
    for e in engines:
        rows.update({f"{p}@{e}": (p, e, None) for p in ("safe", "fast")})
    if "valhalla" in engines:  # Valhalla's own bicycle costing, mapped back onto fast's (legal) segments
        rows["valhalla"] = ("fast", "valhalla", ("bicycle", {}))
    return rows


def run(
    source: str, pairs_n: int, seed: int, osrm_url: str | None, *, engines: list[str] = (), bicycle: bool = True
) -> dict[str, Totals]:
    from routes import load_network
    from routes.routing import route_pieces

    settings.cache_folder = Path(ROOT / ".cache" / "networks")
    t0 = time.perf_counter()
    net = load_network(source)
    safe = net.router("safe")
    cost = legal_distance_cost(safe)
    pairs, lo, hi = pick_pairs(net, safe, pairs_n, seed)
    print(
        f"source {net.name}: {net.n_segments} segments; {len(pairs)} pairs "
        f"{lo / 1000:.2f}-{hi / 1000:.2f} km apart, seed {seed}"
    )
    server = None if osrm_url or not bicycle else OsrmServer(Path(source))
    url = osrm_url or (server.url if server else "")
    ways = WayIndex.from_pbf(source)
    # "safe@osrm": bikemap's profile searched by another engine (routes.backends, --engine)
    from routes.backends import backend_for

    backend = _engine_rows(list(engines))
    names = ("safe", "fast", *backend, *(("osrm",) if bicycle else ()))
    results: dict[str, list] = {k: [] for k in names}
    shortest: list[float | None] = []
    try:
        for a, b in pairs:
            try:
                _, _, legs = route_pieces(net, [a, b], profile="safe", edge_cost=cost)
                shortest.append(sum(float(net.seg_length[p.seg] * p.share) for p in legs[0]))
            except BikemapError:
                shortest.append(None)
            for profile in ("safe", "fast"):
                try:
                    router, _, legs = route_pieces(net, [a, b], profile=profile)
                    results[profile].append(bikemap_stats(router, legs))
                except BikemapError:
                    results[profile].append(None)
            for name, (profile, engine, costing) in backend.items():
                if costing:
                    backend_for(net, engine).costing[profile] = costing  # type: ignore[union-attr]
                try:
                    settings.engine = engine
                    router, _, legs = route_pieces(net, [a, b], profile=profile)
                    results[name].append(bikemap_stats(router, legs))
                except BikemapError:
                    results[name].append(None)
                finally:
                    settings.engine = "bikemap"
                    if costing:
                        backend_for(net, engine).costing.pop(profile, None)  # type: ignore[union-attr]
            if bicycle:
                got = osrm_route(url, a, b)
                results["osrm"].append(osrm_stats(got, ways) if got else None)
    finally:
        if server:
            server.close()
    # shares and length ratios over the pairs every router found (same trips)
    common = [i for i in range(len(pairs)) if shortest[i] and all(results[k][i] for k in names)]
    totals = {}
    for k in names:
        t = Totals(found=sum(r is not None for r in results[k]))
        for i in common:
            t.stats.append(results[k][i])
            t.ratios.append(results[k][i].length / shortest[i])
        totals[k] = t
    ref = "osrm" if bicycle else names[-1]
    missed = sum(1 for i in range(len(pairs)) if results[ref][i] and not results["safe"][i])
    print(
        f"{len(common)} pairs routed by all {len(names)}; safe missed {missed} pair(s) {ref} routed; "
        f"{time.perf_counter() - t0:.0f} s"
    )
    for engine in engines:
        other = backend_for(net, engine)
        print(
            f"legs searched by bikemap's engine instead of {engine}: {other.fallbacks}"  # type: ignore[union-attr]
            f"; joined to their points by it: {getattr(other, 'stitched', 0)}"
        )
    return totals


def _ratio(a: float, b: float) -> float:
    """a / b; nan where neither has any (no cycle infrastructure at all), inf where only b is 0."""
    if b > 0:
        return a / b
    return math.nan if a == 0 else math.inf


def report(totals: dict[str, Totals], n_pairs: int) -> None:
    head = (
        f"{'router':13} {'found':>7} {'len p50':>8} {'len p95':>8} {'infra':>7} {'quiet':>7} "
        f"{'main':>7} {'push':>7} {'illegal':>8} {'unmapped':>9}"
    )
    print(head)
    for k, t in totals.items():
        s = t.shares()
        p50, p95 = np.percentile(t.ratios, [50, 95]) if t.ratios else (math.nan, math.nan)
        print(
            f"{k:13} {t.found:>3}/{n_pairs:<3} {p50:8.3f} {p95:8.3f} "
            f"{s['infra']:7.1%} {s['quiet']:7.1%} "
            f"{s['main']:7.1%} {s['push']:7.1%} {s['illegal']:8.2%} {s['unmapped']:9.2%}"
        )
    for k, t in totals.items():
        reasons = t.reasons()
        if reasons:
            print(f"illegal/doubtful on {k}: " + ", ".join(f"{r} {v:.2%}" for r, v in sorted(reasons.items())))
    if "osrm" not in totals:
        return
    safe, osrm = totals["safe"].shares(), totals["osrm"].shares()
    p50 = float(np.median(totals["safe"].ratios)) if totals["safe"].ratios else math.nan
    print(
        f"infra_ratio={_ratio(safe['infra'], osrm['infra']):.2f} "
        f"main_ratio={_ratio(safe['main'], osrm['main']):.2f} "
        f"illegal_pct={100 * safe['illegal']:.2f} length_p50={p50:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True, help=".osm.pbf file (OSRM needs the file)")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--osrm-url", help="use a running osrm-routed (bicycle profile, same file) instead")
    ap.add_argument("--profiles", help="a profiles TOML file to use instead of routes/data/profiles.toml")
    ap.add_argument("--engine", default="bikemap", help="also route with these engines (osrm, valhalla; commas)")
    ap.add_argument("--no-bicycle", action="store_true", help="leave out OSRM's own bicycle profile (osrm-routed)")
    args = ap.parse_args(argv)
    if not Path(args.source).is_file() or not args.source.endswith(".osm.pbf"):
        print(
            f"bench_quality: --source must be an .osm.pbf file, got {args.source!r}",
            file=sys.stderr,
        )
        return 2
    if args.pairs < 1:
        print("bench_quality: --pairs must be at least 1", file=sys.stderr)
        return 2
    if args.profiles:
        if not Path(args.profiles).is_file():
            print(f"bench_quality: no such profiles file: {args.profiles}", file=sys.stderr)
            return 2
        use_profiles(args.profiles)
    engines = [e for e in args.engine.split(",") if e != "bikemap"]
    from routes.backends import check_engine

    try:
        for engine in engines:
            check_engine(engine)
    except BikemapError as exc:
        print(f"bench_quality: {exc}", file=sys.stderr)
        return 2
    totals = run(args.source, args.pairs, args.seed, args.osrm_url, engines=engines, bicycle=not args.no_bicycle)
    report(totals, args.pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
