"""The routers' strongly connected pieces and cost bounds, kept in the cache (`routes._pieces`), and the
place index's nearest-point scan: the same answers as SciPy's on real networks, without SciPy when serving."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from routes import _pieces as pieces
from routes import load_network, profile_names, settings
from routes.profiles import get_profile
from routes.routing import Router


def _scipy_labels(router: Router) -> np.ndarray:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    ok = np.flatnonzero(np.isfinite(router.cost))
    n = router.n
    graph = csr_matrix((np.ones(len(ok)), (router.src[ok], router.dst[ok])), shape=(n, n))
    return connected_components(graph, directed=True, connection="strong")[1]


@pytest.mark.parametrize("fixture", ["demo_net", "liechtenstein_net"])
def test_cached_pieces_and_bounds_are_scipys(request, fixture, monkeypatch):
    net = request.getfixturevalue(fixture)
    assert net.pieces is not None and len(net.meta["pieces"]) == len(net.pieces)
    fresh = load_network(net.meta["source"])  # read again: a new object, without the fixtures' routers
    assert fresh.meta.get("from_cache")
    calls = []
    monkeypatch.setattr(pieces, "_components", lambda *a: calls.append("components"))
    monkeypatch.setattr(pieces, "_bound", lambda *a: calls.append("bound"))
    routers = {name: fresh.router(name) for name in profile_names()}
    assert calls == []  # every profile found its pieces and bound in the cache
    monkeypatch.undo()
    for router in routers.values():
        assert np.array_equal(router._piece, _scipy_labels(router))
        expected = pieces._bound(router.n, router.src, router.dst, router.cost, router._hub)
        assert router._cost_bound() == expected
        assert router.metric().scale > 0


def test_a_changed_profile_computes_its_own(demo_net):
    safe = get_profile("safe")
    hw = dict(safe.highway)
    hw.pop("footway", None)  # footways closed: other usable streets, so other pieces
    hw.pop("path", None)
    router = demo_net.router(replace(safe, highway=hw))
    assert np.array_equal(router._piece, _scipy_labels(router))
    key = pieces._usable_key(demo_net, np.isfinite(router.cost))
    assert key not in demo_net.meta["pieces"]


def test_serving_from_the_cache_imports_no_scipy(liechtenstein_net):
    code = f"""
import sys
from routes import load_network, profile_names, route
net = load_network({liechtenstein_net.meta["source"]!r}, cache_folder={str(settings.cache_folder)!r})
assert net.meta["from_cache"]
for name in profile_names():
    net.router(name)
route(net, [(47.166, 9.51), (47.14, 9.52)])
from routes.geocode import PlaceIndex
assert not [m for m in sys.modules if m.split(".")[0] == "scipy"], "scipy imported"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_nearest_point_is_the_k_d_trees(liechtenstein_net):
    from scipy.spatial import cKDTree

    from routes._placerows import Nearest, _xy

    rng = np.random.default_rng(7)
    nodes = rng.choice(liechtenstein_net.n_nodes, 3000, replace=False)
    xy = _xy(liechtenstein_net.node_lat[nodes], liechtenstein_net.node_lon[nodes])
    near, tree = Nearest(xy), cKDTree(xy)
    w, s, e, n = liechtenstein_net.bounds
    for lat, lon in zip(rng.uniform(s, n, 500), rng.uniform(w, e, 500), strict=True):
        q = _xy([lat], [lon])[0]
        d, i = near.query(q)
        d_tree, i_tree = tree.query(q)
        assert d == pytest.approx(d_tree, rel=1e-12, abs=1e-9)
        assert i == i_tree or d == pytest.approx(float(np.hypot(*(xy[i_tree] - q))), rel=1e-12)
