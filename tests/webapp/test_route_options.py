"""``GET /api/route`` as OSRM's options (overview, steps) and its per-request work (closures, session).

The request path keeps nothing per request it can remember: the active closures are
read again only when the database changed (SQLite's ``data_version``) or one of them ends.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import event
from test_closures import A, B, _line_of, _longest_segment, _route_segments

Q = f"/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}"


def test_defaults_are_the_full_line_and_directions(client):
    full = client.get(Q).get_json()
    same = client.get(Q + "&overview=full&steps=true").get_json()
    assert full == same
    assert full["properties"]["instructions"] and len(full["geometry"]["coordinates"]) > 20


def test_simplified_line_keeps_route_positions_and_ends(client):
    full = client.get(Q).get_json()
    resp = client.get(Q + "&overview=simplified&steps=false")
    assert resp.status_code == 200
    simple = resp.get_json()
    line, kept = full["geometry"]["coordinates"], simple["geometry"]["coordinates"]
    assert 2 <= len(kept) < len(line) / 2
    assert kept[0] == line[0] and kept[-1] == line[-1]
    it = iter(line)  # every kept position is one of the route's, in order
    assert all(any(p == q for q in it) for p in kept)
    assert "instructions" not in simple["properties"]
    for key in ("distance_m", "duration_s", "cost", "surface_m", "waypoints", "legs"):
        assert simple["properties"][key] == full["properties"][key]


def test_overview_false_has_no_geometry(client):
    body = client.get(Q + "&overview=false").get_json()
    assert body["geometry"] is None and body["properties"]["instructions"]


@pytest.mark.parametrize(
    "extra, word",
    [
        ("&overview=yes", "overview"),
        ("&steps=1", "steps"),
        ("&overview=false&format=gpx", "GPX"),
        ("&steps=false&alternatives=2", "alternatives"),
        ("&overview=simplified&mode=bikeshare", "mode=bike"),
    ],
)
def test_bad_options_are_400_with_a_reason(client, extra, word):
    resp = client.get(Q + extra)
    assert resp.status_code == 400
    assert word in resp.get_json()["error"]["message"]


def test_simplified_gpx_download(client):
    resp = client.get(Q + "&overview=simplified&format=gpx")
    assert resp.status_code == 200 and resp.data.count(b"<trkpt") >= 2


def _statements(app):
    """SQL statements the app's engine runs (a list that grows)."""
    seen: list[str] = []
    event.listen(app.extensions["bikemap_db"].engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_unchanged_database_is_not_asked_again(client, app):
    client.get(Q)
    seen = _statements(app)
    assert client.get(Q).status_code == 200
    assert seen == []  # the closures were read by the first request; nothing changed since
    assert "set-cookie" not in {k.lower() for k in client.get(Q).headers.keys()}


def test_closure_written_by_another_connection_counts_at_once(client, app, demo_net):
    """As another instance on the same SQLite file would write it: no app code runs on this side."""
    before = client.get(Q).get_json()["geometry"]
    seg = _longest_segment(demo_net, _route_segments(demo_net))
    path = app.extensions["bikemap_db"].engine.url.database
    other = sqlite3.connect(path)
    with other:
        other.execute(
            "INSERT INTO closures (kind, reason, geometry, created_by, created_at, removed, version, updated_at, "
            "updated_by) VALUES ('closure', 'works', ?, 'other', '2026-01-01 00:00:00.000000', 0, 1, "
            "'2026-01-01 00:00:00.000000', 'other')",
            (json.dumps(_line_of(demo_net, seg)),),
        )
    other.close()
    assert client.get(Q).get_json()["geometry"] != before


def test_a_closure_stops_counting_when_it_ends_without_any_write(client, app, demo_net, monkeypatch):
    from webapp.storage import closures
    from webapp.storage.models import Closure, utcnow

    seg = _longest_segment(demo_net, _route_segments(demo_net))
    with app.extensions["bikemap_db"].session() as s:
        s.add(
            Closure(
                kind="closure",
                reason="an hour",
                geometry=_line_of(demo_net, seg),
                ends_at=utcnow() + timedelta(hours=1),
            )
        )
        s.commit()
    before = client.get(Q).get_json()["geometry"]
    seen = _statements(app)
    assert client.get(Q).get_json()["geometry"] == before and seen == []
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(closures, "utcnow", lambda: later)
    with app.test_request_context():
        assert closures.closure_edge_cost_for(lambda: app.extensions["bikemap_db"].session(), demo_net, "safe") is None
    assert client.get(Q).get_json()["geometry"] != before
    assert np.isfinite(client.get(Q).get_json()["properties"]["cost"])
