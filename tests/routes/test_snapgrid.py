"""The snapping index as plain arrays (`routes._snapgrid`) finds what shapely's STRtree found."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import shapely
from conftest import shared_file

from routes._snapgrid import build_grid, grid_of, locate_on_segment, nearest_distance, nearest_segment


def _shapely_nearest(lines, tree, points, limit, allowed):
    """Per point, the allowed segment nearest within ``limit`` (ties: lowest id), with GEOS: the old way."""
    where, segs = tree.query(points, predicate="dwithin", distance=limit)
    dist = shapely.distance(lines[segs], points[where])
    out = np.full(len(points), -1)
    best = np.full(len(points), math.inf)
    for k in np.lexsort((segs, dist, where)):  # by point, then distance, then segment id
        p = where[k]
        if out[p] < 0 and allowed[segs[k]]:
            out[p], best[p] = segs[k], dist[k]
    return out, best


def _points(net, n, seed):
    """Random points over the network and a margin around it, and some at junctions (ties between segments)."""
    rng = np.random.default_rng(seed)
    x, y = net.xy[:, 0], net.xy[:, 1]
    pad = 300.0
    px = rng.uniform(x.min() - pad, x.max() + pad, n)
    py = rng.uniform(y.min() - pad, y.max() + pad, n)
    ends = net.offsets[rng.integers(0, net.n_segments, n // 4)]
    px = np.concatenate([px, x[ends], x[ends] + rng.normal(0, 3, len(ends))])
    py = np.concatenate([py, y[ends], y[ends] + rng.normal(0, 3, len(ends))])
    return px, py


@pytest.mark.parametrize("cached", [True, False])
def test_nearest_segment_is_shapelys(liechtenstein_net, cached):
    net = liechtenstein_net
    if not cached:  # a network made by hand: the grid is made in memory
        net = copy.copy(net)
        net.snap_starts = net.snap_pieces = None
        net._derived = {}
    grid = grid_of(net) if cached else build_grid(net)
    assert grid is not None
    lines = shapely.linestrings(net.xy, indices=np.repeat(np.arange(net.n_segments), np.diff(net.offsets)))
    tree = shapely.STRtree(lines)
    px, py = _points(net, 1000, seed=7)
    points = shapely.points(px, py)
    rng = np.random.default_rng(3)
    for limit, allowed in [
        (500.0, np.ones(net.n_segments, bool)),
        (120.0, np.ones(net.n_segments, bool)),
        (500.0, rng.random(net.n_segments) < 0.3),  # most segments refused: the search must widen
    ]:
        want, want_d = _shapely_nearest(lines, tree, points, limit, allowed)
        got = [
            nearest_segment(net, grid, float(a), float(b), limit, lambda s, ok=allowed: ok[s])
            for a, b in zip(px, py, strict=True)
        ]
        assert [g[0] for g in got] == want.tolist()
        assert [g[1] for g in got] == want_d.tolist()  # the same floating-point distances
        assert (want >= 0).sum() > len(px) // 3  # the comparison is not only about misses


def test_nearest_distance_far_outside(liechtenstein_net):
    net = liechtenstein_net
    grid = grid_of(net)
    lines = shapely.linestrings(net.xy, indices=np.repeat(np.arange(net.n_segments), np.diff(net.offsets)))
    tree = shapely.STRtree(lines)
    rng = np.random.default_rng(11)
    for x, y in rng.uniform(-80_000, 80_000, (40, 2)):
        _, d = tree.query_nearest(shapely.Point(x, y), return_distance=True)
        assert nearest_distance(net, grid, float(x), float(y)) == float(d[0])


def test_the_cached_grid_is_the_one_the_build_makes(liechtenstein_net):
    from routes import load_network

    net = load_network(shared_file("liechtenstein-latest.osm.pbf"))  # the fixture's build wrote the cache
    assert net.meta["from_cache"]
    cached = grid_of(net)
    assert cached is not None and isinstance(cached.pieces.base, np.memmap)  # shared by every process
    fresh = build_grid(net)
    assert cached.meta() == fresh.meta()
    assert np.array_equal(cached.starts, fresh.starts) and np.array_equal(cached.pieces, fresh.pieces)


def test_snap_matches_the_old_shapely_snap(liechtenstein_net):
    """The whole `Router.snap` (segment, fraction, point) against shapely's project/interpolate on all lines:
    random points, points exactly at junctions and bends, and points a few metres off them."""
    router = liechtenstein_net.router("safe")
    net = liechtenstein_net
    lines = router._shared.lines  # the shapely lines, made on demand
    rng = np.random.default_rng(5)
    w, s, e, n = net.bounds
    at = rng.integers(0, len(net.coords), 300)
    lats = np.concatenate([rng.uniform(s, n, 300), net.coords[at, 1], net.coords[at, 1] + rng.normal(0, 5e-5, 300)])
    lons = np.concatenate([rng.uniform(w, e, 300), net.coords[at, 0], net.coords[at, 0] + rng.normal(0, 5e-5, 300)])
    for lat, lon in zip(lats, lons, strict=True):
        try:
            snap = router.snap(float(lat), float(lon), max_snap_m=400)
        except ValueError:
            continue
        x, y = net.project(lon, lat)
        pt = shapely.Point(float(x), float(y))
        line = lines[snap.seg]
        along = line.project(pt)
        assert snap.frac == min(max(float(along / line.length), 0.0), 1.0)
        on = line.interpolate(along)
        assert (snap.lon, snap.lat) == tuple(float(v) for v in net.unproject(on.x, on.y))


def test_street_names_found_on_the_grid_are_the_kd_trees(liechtenstein_net):
    """`PlaceIndex._street_at` (grid) names a point as a k-d tree of every named street point did."""
    from scipy.spatial import cKDTree

    from routes._placerows import _xy
    from routes.geocode import STREET_REACH_M, PlaceIndex

    net = liechtenstein_net
    named = [s for s, t in enumerate(net.tags) if t.get("name")]
    points = np.concatenate([np.arange(net.offsets[s], net.offsets[s + 1]) for s in named])
    names = np.repeat([net.tags[s]["name"] for s in named], np.diff(net.offsets)[named])
    tree = cKDTree(_xy(net.coords[points, 1], net.coords[points, 0]))
    index = PlaceIndex.__new__(PlaceIndex).attach_network(net)  # only the street part is asked here
    rng = np.random.default_rng(2)
    ends = rng.integers(0, len(net.coords), 300)
    lats = np.concatenate([rng.uniform(47.05, 47.27, 700), net.coords[ends, 1] + rng.normal(0, 2e-4, 300)])
    lons = np.concatenate([rng.uniform(9.47, 9.64, 700), net.coords[ends, 0] + rng.normal(0, 3e-4, 300)])
    found = 0
    for lat, lon in zip(lats, lons, strict=True):
        d, i = tree.query(_xy([lat], [lon])[0], k=8)
        nearest = {str(names[j]) for j, dj in zip(i, d, strict=True) if dj - d[0] < 1e-9}  # equally near: any
        got = index._street_at(float(lat), float(lon))
        assert got in nearest if d[0] <= STREET_REACH_M else got == ""
        found += bool(got)
    assert found > 200


def test_locate_on_segment_is_geos(liechtenstein_net):
    """`locate_on_segment` answers what shapely's project, length and interpolate answer, to the last bit,
    on segments of many points, at their points, on them and off them."""
    net = liechtenstein_net
    rng = np.random.default_rng(8)
    long = np.flatnonzero(np.diff(net.offsets) >= 4)
    segs = np.concatenate([rng.integers(0, net.n_segments, 150), rng.choice(long, 150)])
    checked = 0
    for seg in segs.tolist():
        xy = net.segment_xy(seg)
        line = shapely.LineString(xy)
        k = int(rng.integers(0, len(xy)))
        t = float(rng.random())
        on = xy[max(k - 1, 0)] * t + xy[k] * (1 - t)
        for x, y in [xy[k], on, on + rng.normal(0, 20, 2), xy[0] - 30.0, xy[-1] + 30.0]:
            along = line.project(shapely.Point(x, y))
            frac, px, py = locate_on_segment(net, seg, float(x), float(y))
            assert frac == (along / line.length if line.length > 0 else 0.0)
            point = line.interpolate(along)
            assert (px, py) == (point.x, point.y)
            checked += 1
    assert checked == 5 * len(segs)


def test_the_loop_and_the_arrays_choose_alike(liechtenstein_net, monkeypatch):
    """Candidates measured in the Python loop and as arrays give the same segment and the same distance."""
    from routes import _snapgrid

    net = liechtenstein_net
    grid = grid_of(net)
    px, py = _points(net, 300, seed=4)
    allowed = np.random.default_rng(1).random(net.n_segments) < 0.5
    answers = []
    for loop_max in (0, 10**9):
        monkeypatch.setattr(_snapgrid, "LOOP_MAX", loop_max)
        pick = lambda s: allowed[s]  # noqa: E731
        points = zip(px.tolist(), py.tolist(), strict=True)
        answers.append([nearest_segment(net, grid, a, b, 300.0, pick) for a, b in points])
    assert answers[0] == answers[1]
    assert sum(seg >= 0 for seg, _ in answers[0]) > 100
