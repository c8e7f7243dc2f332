"""`routes.backends.valhalla`: Valhalla (in-process, pyvalhalla) as the routing engine, on Liechtenstein.

Valhalla's tiles are built once for this module into its own temporary folder (about two
seconds for Liechtenstein). pyvalhalla publishes wheels for Python 3.12+ only: without it
the Valhalla tests skip, and the test of the one-line error runs (it also runs here, with
the package hidden).
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from routes import BikemapError, settings
from routes.backends import check_engine, use_engine
from routes.closures import closure_edge_cost
from routes.errors import EngineUnavailableError
from routes.profiles import get_profile
from routes.routing import route, route_pieces

HAVE_VALHALLA = importlib.util.find_spec("valhalla") is not None
WHY = "pyvalhalla publishes wheels for Python 3.12+ only; make .venv with PYTHON=python3.12"
needs_valhalla = pytest.mark.skipif(not HAVE_VALHALLA, reason=WHY)

VADUZ = (47.1410, 9.5209)
SCHAAN = (47.1700, 9.5100)
VALLEY = (9.49, 47.05, 9.56, 47.25)  # W, S, E, N: Liechtenstein's valley, where random pairs are drawn


@pytest.fixture(scope="module")
def valhalla_net(liechtenstein_net, tmp_path_factory):
    """Liechtenstein routed by Valhalla (tiles built up front); bikemap's engine again afterwards."""
    if not HAVE_VALHALLA:
        pytest.skip(WHY)
    before = settings.engine
    folder = tmp_path_factory.mktemp("valhalla")
    backend = use_engine(liechtenstein_net, "valhalla", cache_folder=str(folder), profiles=["safe"])
    yield liechtenstein_net, backend
    settings.engine = before


def _route(net, points, profile, engine, edge_cost=None):
    was = settings.engine
    settings.engine = engine
    try:
        router, snaps, legs = route_pieces(net, points, profile=profile, edge_cost=edge_cost)
    finally:
        settings.engine = was
    cost = router.cost if edge_cost is None else edge_cost
    return sum(p.value(cost) for leg in legs for p in leg), legs, snaps


def _length(net, pieces):
    return sum(float(net.seg_length[p.seg]) * p.share for p in pieces)


@needs_valhalla
@pytest.mark.parametrize("profile", ["safe", "fast"])
def test_valhalla_legs_map_onto_the_network(valhalla_net, profile):
    """Random pairs: Valhalla's route comes back as bikemap pieces as long as Valhalla's own, rarely falling back."""
    net, backend = valhalla_net
    router = net.router(profile)
    rng = np.random.default_rng(19)
    w, s, e, n = VALLEY
    asked = mapped = 0
    ratios = []
    for _ in range(40):
        points = [(rng.uniform(s, n), rng.uniform(w, e)) for _ in range(2)]
        try:
            own, *_ = _route(net, points, profile, "bikemap")
        except BikemapError:
            continue
        fell, stitched = backend.fallbacks, backend.stitched
        theirs, legs, (a, b) = _route(net, points, profile, "valhalla")
        asked += 1
        assert theirs >= own - 1e-6 * own  # bikemap's search is exact for bikemap's costs: nothing is cheaper
        ratios.append(theirs / own)
        if backend.fallbacks > fell:
            continue  # Valhalla found no route, or one over a way bikemap's network lacks or forbids
        if backend.stitched > stitched:
            mapped += 1  # Valhalla's route, joined to a point on a way Valhalla does not ride (next test)
            continue
        if router.piece_of(a) is not None or router.piece_of(b) is not None:
            continue  # a point on a small piece cut off from the network: bikemap's search, by design
        leg = backend.actor().route(backend.request(router, a, b))["trip"]["legs"][0]
        valhalla_m = 1000 * leg["summary"]["length"]
        mapped += 1
        if backend.pieces(a, b, leg["shape"], valhalla_m, router.cost)[0] is None:
            continue  # Valhalla's first answer rode a way bikemap forbids: asked again without it (RETRIES)
        assert _length(net, legs[0]) == pytest.approx(valhalla_m, rel=0.01, abs=2.0)  # Valhalla's route, mapped
    assert asked >= 25
    assert mapped >= 0.85 * asked, f"only {mapped} of {asked} legs are Valhalla's"
    # Valhalla minimises its own costs, not bikemap's: dearer in bikemap's terms, but not by much
    assert 1.0 <= np.median(ratios) < 1.15, f"median {np.median(ratios):.3f}"


@needs_valhalla
def test_start_on_a_footway_is_stitched(demo_net, tmp_path):
    """A start bikemap places on a footway (pushed) Valhalla does not ride: Valhalla's route from the nearest
    street it rides, joined to the start by bikemap's search, instead of a whole leg searched by bikemap."""
    from routes.backends.valhalla import ValhallaBackend

    backend = ValhallaBackend(demo_net, folder=str(tmp_path))
    router = demo_net.router("safe")
    _, (a, b), _ = route_pieces(demo_net, [(60.1650, 24.9422), (60.1703, 24.9360)], profile="safe")  # bikemap's snaps
    assert demo_net.tags[a.seg]["highway"] == "footway"
    total, pieces = backend.leg(router, a, b)
    assert (backend.stitched, backend.fallbacks) == (1, 0)
    assert pieces[0].seg == a.seg and pieces[0].f0 == a.frac and pieces[-1].seg == b.seg and pieces[-1].f1 == b.frac
    for p, q in zip(pieces, pieces[1:], strict=False):  # one connected line: each piece ends where the next begins
        end = demo_net.seg_v[p.seg] if p.f1 == 1.0 else demo_net.seg_u[p.seg]
        start = demo_net.seg_u[q.seg] if q.f0 == 0.0 else demo_net.seg_v[q.seg]
        assert end == start
    own, _ = router.own_leg(a, b)
    assert own <= total < 1.5 * own


@needs_valhalla
def test_closure_becomes_exclude_polygons(valhalla_net):
    """A closed street goes to Valhalla as a polygon on the request; its route goes around, no tiles rebuilt."""
    net, backend = valhalla_net
    _, legs, _ = _route(net, [VADUZ, SCHAAN], "safe", "valhalla")
    whole = [p for p in legs[0] if p.share == 1.0]
    closed = whole[len(whole) // 2].seg
    line = net.coords[net.offsets[closed] : net.offsets[closed + 1]].tolist()
    router = net.router("safe")
    cost = closure_edge_cost(router, [{"kind": "closure", "geometry": {"type": "LineString", "coordinates": line}}])
    assert cost is not None and np.isinf(cost[2 * closed])
    tiles = (backend.folder() / "tiles.tar").stat().st_mtime_ns
    rings = backend.closure_polygons(router, cost)
    assert 1 <= len(rings) <= int(np.isinf(cost).sum()) // 2 and all(r[0] == r[-1] and len(r) == 5 for r in rings)
    before = backend.fallbacks
    detour, legs2, _ = _route(net, [VADUZ, SCHAAN], "safe", "valhalla", edge_cost=cost)
    assert backend.fallbacks == before  # Valhalla answered, bikemap's engine did not
    assert closed not in {p.seg for p in legs2[0]}
    assert all(np.isfinite(cost[p.edge]) for p in legs2[0] if p.share > 0)
    assert np.isfinite(detour)
    assert (backend.folder() / "tiles.tar").stat().st_mtime_ns == tiles


@needs_valhalla
def test_directions_and_gpx_on_valhalla(valhalla_net, gpx_schema):
    """Directions, GPX and the route's length are built on Valhalla's legs as on bikemap's."""
    from lxml import etree

    from routes.gpx import feature_to_gpx

    net, backend = valhalla_net
    settings.engine = "valhalla"
    try:
        feature = route(net, [VADUZ, SCHAAN], profile="safe")
    finally:
        settings.engine = "bikemap"
    p = feature["properties"]
    router = net.router("safe")
    a, b = router.snap(*VADUZ), router.snap(*SCHAAN)
    valhalla_m = 1000 * backend.actor().route(backend.request(router, a, b))["trip"]["summary"]["length"]
    assert p["distance_m"] == pytest.approx(valhalla_m, rel=0.01, abs=2.0)
    assert len(p["instructions"]) >= 3 and p["instructions"][-1]["type"] == "arrive"
    assert len(feature["geometry"]["coordinates"]) > 10
    gpx_schema.assertValid(etree.fromstring(feature_to_gpx(feature).encode()))


@needs_valhalla
def test_tiles_are_built_once_per_extract(valhalla_net, tmp_path):
    """A second backend on the same folder finds the tiles by the extract's content; another folder has none."""
    from routes.backends.valhalla import ValhallaBackend

    net, backend = valhalla_net
    again = ValhallaBackend(net, folder=str(backend.root.parent))
    assert again.folder() == backend.folder() and again.prepare() == backend.prepare()
    assert not ValhallaBackend(net, folder=str(tmp_path)).folder().exists()


def test_costing_comes_from_the_profiles():
    """Each profile's tables give Valhalla's costing numbers: safe shuns main roads and gravel, fast does not."""
    from routes.backends.valhalla import costing_for

    safe = costing_for(get_profile("safe"))
    fast = costing_for(get_profile("fast"))
    walk = costing_for(get_profile("walk"))
    assert safe[0] == fast[0] == "bicycle" and walk[0] == "pedestrian"
    assert safe[1]["use_roads"] < 0.1 < fast[1]["use_roads"] == 1.0
    assert safe[1]["avoid_bad_surfaces"] > fast[1]["avoid_bad_surfaces"] == 0.0
    assert safe[1]["cycling_speed"] == get_profile("safe").highway["residential"][0]
    assert safe[1]["use_hills"] < fast[1]["use_hills"] < 1.0
    for _, options in (safe, fast, walk):
        assert all(0.0 <= v <= 1.0 for k, v in options.items() if k.startswith(("use_", "avoid_")))


def test_valhalla_without_its_package_is_one_line(capsys, monkeypatch):
    """Where pyvalhalla is missing (Python 3.11: no wheel) ``--engine valhalla`` says why in one line, exit code 2.

    Run everywhere: the package is hidden from the import system when it is installed.
    """
    from routes.cli import main

    monkeypatch.setitem(sys.modules, "valhalla", None)  # `import valhalla` now raises ImportError
    with pytest.raises(EngineUnavailableError, match="needs the Python package pyvalhalla"):
        check_engine("valhalla")
    assert main(["route", "--engine", "valhalla", "--from", "60.17,24.94", "--to", "60.16,24.95"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pyvalhalla" in err and "PYTHON=python3.12" in err
