"""`routes.backends`: OSRM (in-process, osrm-bindings) as the routing engine, on Liechtenstein.

The OSRM data of the ``safe`` profile is built once per session into the test cache
(extract, partition, customise: a few seconds on Liechtenstein). osrm-bindings has wheels
for Python 3.12+ only: on 3.11 the OSRM tests skip, and the tests of the one-line error
run instead.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from routes import BikemapError, settings
from routes.backends import check_engine, use_engine
from routes.closures import closure_edge_cost
from routes.errors import EngineUnavailableError, InvalidValueError
from routes.routing import route, route_pieces

HAVE_OSRM = importlib.util.find_spec("osrm") is not None
needs_osrm = pytest.mark.skipif(
    not HAVE_OSRM, reason="osrm-bindings publishes wheels for Python 3.12+ only; make .venv with PYTHON=python3.12"
)

VADUZ = (47.1410, 9.5209)
SCHAAN = (47.1700, 9.5100)
# a box over Liechtenstein's valley (W, S, E, N), where random pairs are drawn
VALLEY = (9.49, 47.05, 9.56, 47.25)


@pytest.fixture(scope="module")
def osrm_net(liechtenstein_net):
    """Liechtenstein routed by OSRM (``safe`` built up front); bikemap's engine again afterwards."""
    if not HAVE_OSRM:
        pytest.skip("osrm-bindings publishes wheels for Python 3.12+ only; make .venv with PYTHON=python3.12")
    before = settings.engine
    backend = use_engine(liechtenstein_net, "osrm", profiles=["safe"])
    yield liechtenstein_net, backend
    settings.engine = before


def _cost(net, points, profile, engine, edge_cost=None):
    was = settings.engine
    settings.engine = engine
    try:
        router, _, legs = route_pieces(net, points, profile=profile, edge_cost=edge_cost)
    finally:
        settings.engine = was
    cost = router.cost if edge_cost is None else edge_cost
    return sum(p.value(cost) for leg in legs for p in leg), legs


@needs_osrm
def test_osrm_routes_as_bikemap_does(osrm_net):
    """On random pairs, OSRM's legs cost what bikemap's own search finds (same profile costs, mapped back)."""
    net, backend = osrm_net
    rng = np.random.default_rng(19)
    w, s, e, n = VALLEY
    same = asked = 0
    before = backend.fallbacks
    for _ in range(50):
        points = [(rng.uniform(s, n), rng.uniform(w, e)) for _ in range(2)]
        try:
            own, _ = _cost(net, points, "safe", "bikemap")
        except BikemapError:
            continue
        theirs, _ = _cost(net, points, "safe", "osrm")
        asked += 1
        same += abs(theirs - own) <= 1e-3 * max(own, 1.0)
        assert theirs >= own - 1e-6 * max(own, 1.0)  # bikemap's search is exact: nothing is cheaper
    assert asked >= 30  # the rest lie on no street the profile may use, for both engines
    assert same >= 0.9 * asked, f"{same} of {asked} pairs cost the same"
    assert backend.fallbacks - before <= 0.1 * asked


@needs_osrm
def test_hills_reach_osrm(monkeypatch):
    """With heights, every segment goes to OSRM at its own grade-dependent cost: the same routes as bikemap's."""
    from conftest import shared_file

    from routes import load_network

    net = load_network(shared_file("andorra.osm.pbf"), dem=shared_file("N42E001.hgt.zip"))
    monkeypatch.setattr(settings, "engine", settings.engine)
    use_engine(net, "osrm")
    rng = np.random.default_rng(7)
    asked = same = 0
    for _ in range(12):
        points = [(rng.uniform(42.50, 42.56), rng.uniform(1.50, 1.58)) for _ in range(2)]
        try:
            own, _ = _cost(net, points, "safe", "bikemap")
        except BikemapError:
            continue
        theirs, _ = _cost(net, points, "safe", "osrm")
        asked += 1
        same += abs(theirs - own) <= 1e-3 * own
    assert asked >= 8 and same >= asked - 1, f"{same} of {asked}"


@needs_osrm
def test_closure_is_honoured_by_osrm(osrm_net):
    """A closed street is re-customised into OSRM's metric: the route avoids it, at bikemap's detour cost."""
    net, backend = osrm_net
    _, legs = _cost(net, [VADUZ, SCHAAN], "safe", "osrm")
    pieces = [p for p in legs[0] if p.share == 1.0]
    closed = pieces[len(pieces) // 2].seg
    line = net.coords[net.offsets[closed] : net.offsets[closed + 1]].tolist()
    router = net.router("safe")
    cost = closure_edge_cost(router, [{"kind": "closure", "geometry": {"type": "LineString", "coordinates": line}}])
    assert cost is not None and np.isinf(cost[2 * closed])
    before = backend.fallbacks
    detour, legs2 = _cost(net, [VADUZ, SCHAAN], "safe", "osrm", edge_cost=cost)
    assert backend.fallbacks == before  # OSRM answered, bikemap's engine did not
    assert all(np.isfinite(cost[p.edge]) for p in legs2[0] if p.share > 0)
    assert closed not in {p.seg for p in legs2[0]}
    own, _ = _cost(net, [VADUZ, SCHAAN], "safe", "bikemap", edge_cost=cost)
    assert detour == pytest.approx(own, rel=1e-3)


@needs_osrm
def test_directions_gpx_and_tour_on_osrm(osrm_net, gpx_schema):
    """Directions and GPX are built on OSRM's legs as on bikemap's; a tour's legs too."""
    from lxml import etree

    from routes.gpx import feature_to_gpx
    from routes.tours import destinations_from_network, plan_order

    net, _ = osrm_net
    feature = route(net, [VADUZ, SCHAAN], profile="safe")
    settings.engine = "bikemap"
    own = route(net, [VADUZ, SCHAAN], profile="safe")
    settings.engine = "osrm"
    p = feature["properties"]
    assert p["distance_m"] == pytest.approx(own["properties"]["distance_m"], rel=1e-3)
    assert p["instructions"] and p["instructions"][-1]["type"] == own["properties"]["instructions"][-1]["type"]
    gpx_schema.assertValid(etree.fromstring(feature_to_gpx(feature).encode()))

    router = net.router("safe")
    dests = []
    for d in destinations_from_network(net):
        try:
            router.snap(d["lat"], d["lon"])
        except BikemapError:
            continue
        dests.append(d)
    ids = [d["id"] for d in dests[:3]]
    tour = plan_order(net, VADUZ, ids, end=(47.2303, 9.5300))
    assert [s["id"] for s in tour["properties"]["stops"]] and len(tour["properties"]["legs"]) == len(ids) + 1
    settings.engine = "bikemap"
    own_tour = plan_order(net, VADUZ, ids, end=(47.2303, 9.5300))
    settings.engine = "osrm"
    assert tour["properties"]["duration_s"] == pytest.approx(own_tour["properties"]["duration_s"], rel=0.02)


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("osrm", marks=needs_osrm),
        pytest.param(
            "valhalla",
            marks=pytest.mark.skipif(importlib.util.find_spec("valhalla") is None, reason="pyvalhalla: Python 3.12+"),
        ),
    ],
)
def test_cli_route_with_an_engine(engine, capsys, gpx_schema, tmp_path, shared_data):
    """``bikemap route --engine osrm|valhalla`` rides and writes a valid GPX."""
    from lxml import etree

    from routes.cli import main

    gpx = tmp_path / "r.gpx"
    source = str(shared_data / "liechtenstein-latest.osm.pbf")
    was = settings.engine
    try:
        args = ["--source", source, "--engine", engine, "--from", "47.1410,9.5209", "--to", "47.1700,9.5100"]
        code = main(["route", *args, "--gpx", str(gpx), "-q"])
    finally:
        settings.engine = was
    assert code == 0
    assert "km" in capsys.readouterr().out
    gpx_schema.assertValid(etree.parse(str(gpx)))


def test_unknown_engine_is_one_line(capsys):
    from routes.cli import main

    with pytest.raises(InvalidValueError, match="unknown engine 'graphhopper'; choose one of: bikemap, osrm, valhalla"):
        check_engine("graphhopper")
    assert main(["route", "--engine", "graphhopper", "--from", "60.17,24.94", "--to", "60.16,24.95"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown engine 'graphhopper'" in err


@pytest.mark.skipif(HAVE_OSRM, reason="osrm-bindings is installed here (Python 3.12+)")
def test_osrm_without_its_package_is_one_line(capsys):
    """On Python 3.11 (no osrm-bindings wheel) ``--engine osrm`` says why in one line, exit code 2."""
    from routes.cli import main

    with pytest.raises(EngineUnavailableError, match="needs the Python package osrm-bindings"):
        check_engine("osrm")
    assert main(["route", "--engine", "osrm", "--from", "60.17,24.94", "--to", "60.16,24.95"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PYTHON=python3.12" in err
