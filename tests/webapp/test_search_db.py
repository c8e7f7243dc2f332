"""Search with the app's database: live destinations (SQLite and PostgreSQL), and the place index in PostgreSQL."""

from __future__ import annotations

import pytest

from routes.geocode import PlaceIndex, index_key, load_place_index
from tests.fixtures_db import empty_database

KAUPPATORI = (60.1675, 24.9525)


def _feature(name, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [KAUPPATORI[1], KAUPPATORI[0]]},
        "properties": {"name": name, "category": "market", **props},
    }


def _search(client, q):
    resp = client.get("/api/search", query_string={"q": q, "near": "60.1675,24.9525"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["features"]


def test_staff_edits_are_found_at_once(staff):
    """A destination a clerk adds is found; renamed, only by its new name; deleted, no longer (both databases)."""
    client = staff.app.test_client()
    assert not _search(client, "zwolfapostel")
    made = client.post("/api/destinations", json=_feature("Zwölfapostelhaus"), headers=staff.headers("editor"))
    assert made.status_code == 201
    hits = _search(client, "zwolfapostel")  # without the umlaut, a prefix
    assert [h["properties"]["kind"] for h in hits] == ["destination"]
    assert hits[0]["properties"]["id"] == str(made.get_json()["id"])
    assert hits[0]["properties"]["name"] == "Zwölfapostelhaus"
    url = f"/api/destinations/{made.get_json()['id']}"
    renamed = client.patch(
        url,
        json={"name": "Kauppahalli Vanha", "names": {"id": "Pasar Tua"}},
        headers=staff.headers("editor", **{"If-Match": made.headers["ETag"]}),
    )
    assert renamed.status_code == 200
    assert not _search(client, "zwolfapostel")
    assert _search(client, "kauppahalli vanha")[0]["properties"]["id"] == str(made.get_json()["id"])
    indonesian = client.get("/api/search", query_string={"q": "pasar tua", "lang": "id"}).get_json()["features"]
    assert indonesian[0]["properties"]["name"] == "Pasar Tua"
    gone = client.delete(url, headers=staff.headers("admin", **{"If-Match": renamed.headers["ETag"]}))
    assert gone.status_code == 204
    assert not _search(client, "kauppahalli vanha")


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory):
    gen = empty_database("postgresql", tmp_path_factory.mktemp("pg"), prefix="bikemap_places")
    yield next(gen)
    next(gen, None)


@pytest.fixture(scope="module")
def sqlite_index(liechtenstein_net):
    return load_place_index(liechtenstein_net).attach_network(liechtenstein_net)


def test_postgresql_index_answers_as_the_sqlite_one(pg_url, liechtenstein_net, sqlite_index):
    """The same rows in PostgreSQL (full-text, prefix) rank the same as in the SQLite/FTS5 file; built once."""
    from sqlalchemy import select

    from webapp.storage.engine import make_engine
    from webapp.storage.places import PgPlaceStore, open_pg_place_store, place_index

    source = liechtenstein_net.meta["source"]
    engine = make_engine(pg_url)
    try:
        key = index_key(liechtenstein_net, source)
        pg = PlaceIndex(open_pg_place_store(engine, liechtenstein_net, source, key)).attach_network(liechtenstein_net)
        assert len(pg) == len(sqlite_index) > 1000
        near = (47.1410, 9.5215)
        for q in ("vaduz", "schulgass 5", "KIRCHSTR", "romer", "landstrasse 1", "s"):
            want = [(h["kind"], h["label"]) for h in sqlite_index.search(q, near=near)]
            got = [(h["kind"], h["label"]) for h in pg.search(q, near=near)]
            assert got == want, q
        assert pg.search("schulgass 5", near=near)[0]["label"] == "Schulgass 5, Schaan"
        assert pg.reverse(47.1410, 9.5215) == sqlite_index.reverse(47.1410, 9.5215)
        with engine.connect() as conn:
            built = conn.execute(select(place_index.c.built_at)).scalar_one()
        again = open_pg_place_store(engine, liechtenstein_net, source, key)  # a second instance: reads, no build
        assert isinstance(again, PgPlaceStore)
        with engine.connect() as conn:
            assert conn.execute(select(place_index.c.built_at)).scalar_one() == built
    finally:
        engine.dispose()


def test_app_on_postgresql_searches_there(pg_url, liechtenstein_net):
    from tests.fixtures_db import make_staff_app
    from webapp.storage.places import PgPlaceStore

    app = make_staff_app(pg_url, liechtenstein_net, BASEMAP="none")
    try:
        hits = app.test_client().get("/api/search", query_string={"q": "schulgass 5"}).get_json()["features"]
        assert hits[0]["properties"]["label"] == "Schulgass 5, Schaan"
        with app.app_context():
            from webapp.views.search import get_place_index

            assert isinstance(get_place_index().store, PgPlaceStore)
    finally:
        app.extensions["bikemap_db"].dispose()
