"""The web app on another routing engine (`routes.backends`): the ENGINE setting, /api/route and staff closures."""

from __future__ import annotations

import importlib.util

import pytest
from fixtures_web import _settings
from test_closures import A, B, _closure, _line_of, _longest_segment, _route_segments

from routes import settings

HAVE_OSRM = importlib.util.find_spec("osrm") is not None
needs_osrm = pytest.mark.skipif(
    not HAVE_OSRM, reason="osrm-bindings publishes wheels for Python 3.12+ only; make .venv with PYTHON=python3.12"
)


def test_bad_engine_setting_stops_the_start(demo_net, tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.errors import SettingError

    monkeypatch.setattr(settings, "engine", settings.engine)
    with pytest.raises(SettingError, match="setting BIKEMAP_ENGINE: unknown engine 'valhala'"):
        create_app(_settings(demo_net, f"sqlite:///{tmp_path}/b.sqlite3", ENGINE="valhala", WARM_PROFILES=False))


@needs_osrm
def test_route_and_closure_through_osrm(staff, demo_net, monkeypatch):
    """/api/route answers through OSRM as through bikemap's engine, and a closure staff add re-customises it."""
    from routes.backends import backend_for

    monkeypatch.setattr(settings, "engine", "bikemap")
    client = staff.app.test_client()
    q = f"/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}&profile=safe"
    own = client.get(q).get_json()
    monkeypatch.setattr(settings, "engine", "osrm")
    got = client.get(q)
    assert got.status_code == 200
    fallbacks = backend_for(demo_net).fallbacks  # type: ignore[union-attr]
    props = got.get_json()["properties"]
    assert props["cost"] == pytest.approx(own["properties"]["cost"], rel=1e-3)
    assert [i["type"] for i in props["instructions"]][-1] == "arrive"

    seg = _longest_segment(demo_net, _route_segments(demo_net))
    resp = client.post("/api/closures", json=_closure(_line_of(demo_net, seg)), headers=staff.headers("editor"))
    assert resp.status_code == 201, resp.get_json()
    after = client.get(q).get_json()
    assert after["geometry"]["coordinates"] != got.get_json()["geometry"]["coordinates"]
    assert backend_for(demo_net).fallbacks == fallbacks  # type: ignore[union-attr]
    monkeypatch.setattr(settings, "engine", "bikemap")
    assert after["properties"]["cost"] == pytest.approx(client.get(q).get_json()["properties"]["cost"], rel=1e-3)
