"""The web app on Valhalla (`routes.backends.valhalla`): /api/route and a staff closure sent as exclude_polygons."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from test_closures import _closure, _line_of, _longest_segment

from routes import settings
from routes.closures import closure_edge_cost
from routes.routing import route_pieces

# Kaisaniemi to Kamppi: streets Valhalla rides too (test_closures' A starts on a footway in a tunnel,
# which Valhalla does not let a bicycle use, so bikemap's engine answers that leg; docs/backends.md)
A, B = (60.1769, 24.9424), (60.1713, 24.9379)

needs_valhalla = pytest.mark.skipif(
    importlib.util.find_spec("valhalla") is None,
    reason="pyvalhalla publishes wheels for Python 3.12+ only; make .venv with PYTHON=python3.12",
)


@needs_valhalla
def test_route_and_closure_through_valhalla(staff, demo_net, monkeypatch):
    """/api/route answers through Valhalla; a closure staff add reaches it per request (no rebuild)."""
    from routes.backends import backend_for

    monkeypatch.setattr(settings, "engine", "bikemap")
    client = staff.app.test_client()
    q = f"/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}&profile=safe"
    own = client.get(q).get_json()
    monkeypatch.setattr(settings, "engine", "valhalla")
    got = client.get(q)
    assert got.status_code == 200, got.get_json()
    backend = backend_for(demo_net)
    fallbacks = backend.fallbacks  # type: ignore[union-attr]
    assert fallbacks == 0  # Valhalla's own route, mapped onto the network
    props = got.get_json()["properties"]
    assert props["cost"] >= own["properties"]["cost"] * (1 - 1e-6)  # bikemap's own search is the cheapest
    assert [i["type"] for i in props["instructions"]][-1] == "arrive"

    _, _, legs = route_pieces(demo_net, [A, B], profile="safe")
    seg = _longest_segment(demo_net, [p.seg for p in legs[0] if p.share == 1.0])
    resp = client.post("/api/closures", json=_closure(_line_of(demo_net, seg)), headers=staff.headers("editor"))
    assert resp.status_code == 201, resp.get_json()
    after = client.get(q)
    assert after.status_code == 200
    assert after.get_json()["geometry"]["coordinates"] != got.get_json()["geometry"]["coordinates"]
    assert backend.fallbacks == fallbacks  # type: ignore[union-attr]
    assert np.isfinite(after.get_json()["properties"]["cost"])
    cost = closure_edge_cost(demo_net.router("safe"), [{"kind": "closure", "geometry": _line_of(demo_net, seg)}])
    _, _, legs = route_pieces(demo_net, [A, B], profile="safe", edge_cost=cost)  # what the app asked Valhalla
    assert seg not in {p.seg for p in legs[0]} and backend.fallbacks == fallbacks  # type: ignore[union-attr]
