"""``GET /api/tour`` and ``GET /api/tour/destinations`` on the demo network (and the staff database)."""

from __future__ import annotations

import pytest

START = "60.1699,24.9384"


@pytest.fixture
def museum_ids(app):
    with app.test_client() as c:
        dests = [
            {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
            for f in c.get("/api/tour/destinations").get_json()["features"]
        ]
    return [d["id"] for d in dests if d["category"] == "museum"]


def test_destinations_list(client):
    resp = client.get("/api/tour/destinations?lang=id")
    assert resp.status_code == 200
    fc = resp.get_json()  # the same GeoJSON shape as /api/destinations (before: a bare list)
    assert resp.mimetype == "application/geo+json" and fc["type"] == "FeatureCollection"
    assert len(fc["features"]) > 50
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Point" and f["id"] == f["properties"]["id"]
    assert {"id", "name", "category", "visit_min", "opening_hours", "osm_id"} <= set(f["properties"])


def test_best_order(client, museum_ids):
    ids = museum_ids[:4]
    resp = client.get(
        f"/api/tour?start={START}&stops={','.join(reversed(ids))}&profile=safe&start_time=2026-07-01T10:00"
    )
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    f = resp.get_json()
    p = f["properties"]
    assert f["geometry"]["type"] == "LineString"
    assert sorted(p["order"]) == sorted(ids) and p["method"] == "exact" and p["profile"] == "safe"
    assert [s["id"] for s in p["stops"]] == p["order"]
    assert all({"id", "name", "arrival_s", "visit_min"} <= set(s) for s in p["stops"])
    assert p["total_s"] > p["duration_s"] > 0 and p["distance_m"] > 0


def test_discovery_and_round_trip(client):
    resp = client.get(f"/api/tour?start={START}&budget_min=90&interests=museum:2,park&start_time=2026-07-01T10:00")
    assert resp.status_code == 200
    p = resp.get_json()["properties"]
    assert p["kind"] == "discovery" and p["stops"] and p["total_s"] <= 90 * 60
    resp = client.get(f"/api/tour?start={START}&distance_km=6")
    assert resp.status_code == 200
    p = resp.get_json()["properties"]
    assert p["kind"] == "round_trip" and abs(p["distance_m"] / 6000 - 1) <= 0.15


def test_gpx_download(client, museum_ids, gpx_schema):
    from lxml import etree

    resp = client.get(f"/api/tour?start={START}&stops={','.join(museum_ids[:3])}&format=gpx")
    assert resp.status_code == 200 and resp.mimetype == "application/gpx+xml"
    assert "attachment" in resp.headers["Content-Disposition"]
    doc = etree.fromstring(resp.data)
    gpx_schema.assertValid(doc)
    assert len(doc.findall("{http://www.topografix.com/GPX/1/1}wpt")) == 3


@pytest.mark.parametrize(
    "qs, status, code",
    [
        ("stops=osm:node/1", 400, "UnknownDestination"),
        ("budget_min=2", 400, "BudgetTooSmall"),
        ("budget_min=abc", 400, "InvalidValue"),
        ("budget_min=60&interests=castles", 400, "InvalidValue"),
        ("budget_min=60&stops=osm:node/1", 400, "InvalidValue"),
        ("", 400, "InvalidValue"),
        ("distance_km=0.1", 400, "InvalidValue"),
        ("distance_km=5&end=60.17,24.94", 400, "InvalidValue"),
        ("budget_min=60&format=kml", 400, "InvalidValue"),
        ("budget_min=60&profile=rocket", 400, "InvalidValue"),
        ("budget_min=60&colour=red", 400, "InvalidQuery"),
        ("budget_min=60&start_time=soon", 400, "InvalidValue"),
        ("budget_min=60&start_time=9999-12-31T23:00", 400, "InvalidValue"),
        ("budget_min=nan", 400, "InvalidValue"),
        ("budget_min=100000", 400, "InvalidValue"),
        ("distance_km=inf", 400, "InvalidValue"),
    ],
)
def test_errors(client, qs, status, code):
    resp = client.get(f"/api/tour?start={START}&{qs}")
    assert resp.status_code == status
    body = resp.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_errors_start(client, museum_ids):
    resp = client.get(f"/api/tour?stops={museum_ids[0]}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "InvalidQuery"
    resp = client.get(f"/api/tour?start=0,0&stops={museum_ids[0]}")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "NoSegment"
    many = ",".join(f"osm:node/{i}" for i in range(50))
    resp = client.get(f"/api/tour?start={START}&stops={many}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "TooBig"


def test_staff_database_destinations(demo_net):
    """With a database, tours use its published destinations (staff names, hours, visit minutes)."""
    from fixtures_db import make_staff_app

    app = make_staff_app("sqlite://", demo_net, SEED_DESTINATIONS=True)
    try:
        from sqlalchemy import select

        from webapp.storage.models import Destination

        with app.app_context():
            from webapp.storage import get_session

            session = get_session()
            rows = list(session.scalars(select(Destination).where(Destination.category == "museum")))
            rows[0].name, rows[0].visit_minutes = "Staff Museum", 45
            rows[1].published = False
            session.commit()
            first, hidden = str(rows[0].id), str(rows[1].id)  # the ids /api/destinations gives
        client = app.test_client()
        dests = {
            d["id"]: d
            for d in [
                {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
                for f in client.get("/api/tour/destinations").get_json()["features"]
            ]
        }
        assert dests[first]["name"] == "Staff Museum" and dests[first]["visit_min"] == 45
        assert hidden not in dests
        p = client.get(f"/api/tour?start={START}&stops={first}").get_json()["properties"]
        assert p["stops"][0]["name"] == "Staff Museum" and p["stops"][0]["visit_min"] == 45
        resp = client.get(f"/api/tour?start={START}&stops={hidden}")
        assert resp.get_json()["error"]["code"] == "UnknownDestination"
    finally:
        app.extensions["bikemap_db"].dispose()
