"""The destination database: migrations, SQLite settings, the user commands, opening hours."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import inspect, text

from webapp.storage.validation import check_opening_hours


def test_migrations_create_every_table(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from webapp.storage.engine import upgrade
    from webapp.storage.models import Base

    names = set(inspect(database.engine).get_table_names())
    assert {
        "users",
        "api_tokens",
        "destinations",
        "destination_history",
        "closures",
        "reports",
        "report_history",
        "alembic_version",
    } <= names
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []  # models == migrations
    upgrade(database.engine)  # running again changes nothing


def test_head_revision_is_the_migrations_head():
    """The start-up check without Alembic (`engine.HEAD_REVISION`) names the migrations folder's one head."""
    from alembic.script import ScriptDirectory

    from webapp.storage.engine import HEAD_REVISION, _alembic_config

    assert ScriptDirectory.from_config(_alembic_config()).get_heads() == [HEAD_REVISION]


def test_a_database_at_head_opens_without_alembic(tmp_path):
    from webapp.storage.engine import at_head, make_engine, open_database

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    open_database(url).dispose()  # created and migrated (Alembic)
    code = (
        "import sys; from webapp.storage.engine import open_database; "
        f"open_database({url!r}).dispose(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
    engine = make_engine(url)
    assert at_head(engine)
    with engine.begin() as conn:  # a database one migration behind is not at head: Alembic migrates it
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    assert not at_head(engine)
    engine.dispose()
    assert not at_head(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))


def test_sqlite_file_settings(tmp_path):
    from webapp.storage import open_database

    db = open_database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    db.dispose()


def test_first_start_creates_the_database_in_the_instance_folder(tmp_path, demo_net):
    from flask import Flask

    from webapp import network, storage

    app = Flask("bikemap_test", instance_path=str(tmp_path / "instance"))
    app.config.update(NETWORK=demo_net, SEED_DESTINATIONS=True, WARM_PROFILES=False)
    network.init_app(app)
    storage.init_app(app)
    path = tmp_path / "instance" / "bikemap.sqlite3"
    assert path.exists() and (tmp_path / "instance" / "secret_key").exists()
    count = sqlite3.connect(path).execute("select count(*) from destinations where source = 'osm'").fetchone()[0]
    assert count > 100  # seeded from the network's OSM features
    app.extensions["bikemap_db"].dispose()


def test_bad_database_url_is_one_clear_error():
    from webapp.errors import SettingError
    from webapp.storage import open_database

    with pytest.raises(SettingError, match="cannot"):
        open_database("nosuchdb://x")
    with pytest.raises(SettingError, match="cannot open database"):
        open_database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


# ----------------------------------------------------------------------------- bikemap user


def _run(argv, monkeypatch, capsys, stdin=""):
    from webapp.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_user_commands(db_url, monkeypatch, capsys, demo_net):
    code, out, _ = _run(
        ["user", "add", "clerk", "--role", "editor", "--db", db_url], monkeypatch, capsys, "s3cret-pass\ns3cret-pass\n"
    )
    assert code == 0 and "clerk" in out
    code, _, err = _run(
        ["user", "add", "other", "--role", "admin", "--db", db_url],
        monkeypatch,
        capsys,
        "one-pass1\ntwo-pass2\n",
    )
    assert code == 2 and err.startswith("bikemap: error:") and "differ" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(["user", "add", "clerk", "--role", "admin", "--db", db_url], monkeypatch, capsys, "x\nx\n")
    assert code == 2 and "exists" in err
    code, out, _ = _run(["user", "token", "clerk", "--db", db_url], monkeypatch, capsys)
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("bkm_")
    code, _, err = _run(["user", "token", "nobody", "--db", db_url], monkeypatch, capsys)
    assert code == 2 and "nobody" in err
    # the token works against the API of an app on the same database; the password logs in
    from fixtures_db import make_staff_app

    app = make_staff_app(db_url, demo_net)
    client = app.test_client()
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.95, 60.17]},
        "properties": {"name": "Senaatintori", "category": "heritage"},
    }
    resp = client.post("/api/destinations", json=feat, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201 and resp.get_json()["properties"]["updated_by"] == "clerk"
    # stored hashed: neither the token nor the password appears in the database
    db = app.extensions["bikemap_db"]
    with db.engine.connect() as conn:
        dump = " ".join(str(r) for t in ("users", "api_tokens") for r in conn.execute(text(f"select * from {t}")))
    assert token not in dump and "s3cret-pass" not in dump and "scrypt$" in dump
    # disabling revokes the token
    code, _, _ = _run(["user", "disable", "clerk", "--db", db_url], monkeypatch, capsys)
    assert code == 0
    assert client.post("/api/destinations", json=feat, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    db.dispose()


# ----------------------------------------------------------------------------- opening_hours

VALID = [
    "24/7",
    "Mo-Fr 08:00-18:00; Sa 10:00-14:00",
    "Mo,We,Fr 10:00-12:00,14:00-18:00",
    "Su,PH off",
    "Apr-Oct: Tu-Su 10:00-18:00",
    "sunrise-sunset",
    "10:00-18:00",
    "Mo-Fr 08:00-12:00, 13:00-17:00",
    "Mo-Sa 09:00+",
    "Fr-Sa 22:00-02:00",
    "Mo[1] 10:00-12:00",
    "Mo-Fr 09:00-17:00, Sa 10:00-12:00",
    "Dec 24-26 off",
    'Mo-Fr 10:00-18:00 "by appointment"',
    "Mo-Su 08:00-(sunset-01:00)",
    'Mo-Fr 09:00-17:00 || "on request"',
    "2026 Jun-Aug: Mo-Su 09:00-20:00",
    "Mo-Fr 09:00-17:00;",
]
INVALID = [
    "garbage",
    "Mon-Fri 9-5",
    "Mo-Fr 09:60-10:00",
    "<img src=x onerror=alert(1)>",
    ";",
    "open always",
    "Mo-Fr 9am-5pm",
    "Xx 10:00-12:00",
]


@pytest.mark.parametrize("value", VALID)
def test_opening_hours_valid(value):
    assert check_opening_hours(value) is None


@pytest.mark.parametrize("value", INVALID)
def test_opening_hours_invalid(value):
    msg = check_opening_hours(value)
    assert msg and "opening_hours" in msg and "Mo-Fr 09:00-17:00" in msg


# ----------------------------------------------------------------------------- seeding: one row per place


def test_seeding_liechtenstein_keeps_one_row_per_place(database, liechtenstein_net):
    """Issue #17: places OSM maps twice (node and area, or two tags) are seeded once, and a database
    seeded before de-duplication loses the extra rows, unless staff edited them."""
    from sqlalchemy import select

    from webapp.storage.destinations import seed_destinations, update_destination
    from webapp.storage.models import Destination, DestinationHistory

    twice = ["Schloss Gutenberg", "Wildschloss", "Naafkopf"]
    with database.session() as s:
        # as the seeding before de-duplication left it: one row per OSM feature
        old = {}
        for p in liechtenstein_net.pois:
            if p["tags"].get("name") in twice:
                ref = f"{p['osm_type']}/{p['osm_id']}"
                row = Destination(
                    name=p["tags"]["name"],
                    names={},
                    category="heritage",
                    description="",
                    lon=p["lon"],
                    lat=p["lat"],
                    published=True,
                    source="osm",
                    osm_id=ref,
                    version=1,
                    updated_by="osm",
                )
                s.add(row)
                old[ref] = row
        s.commit()
        assert len(old) == 6
        update_destination(s, old["node/866864012"].id, 1, {"description": "The summit cross"}, user="clerk")
        counts = seed_destinations(s, liechtenstein_net.pois)
        assert counts["merged"] == 2  # Gutenberg's way, Wildschloss's way; the edited Naafkopf stays
        live = [r.name for r in s.scalars(select(Destination).where(Destination.deleted.is_(False)))]
        assert live.count("Schloss Gutenberg") == live.count("Wildschloss") == 1
        assert live.count("Naafkopf") == 2
        actions = s.scalars(
            select(DestinationHistory.action).where(DestinationHistory.destination_id == old["way/121559548"].id)
        ).all()
        assert actions == ["merge"]
        assert seed_destinations(s, liechtenstein_net.pois)["merged"] == 0  # nothing left to merge


def test_seeding_a_new_database_from_liechtenstein(database, liechtenstein_net):
    from sqlalchemy import select

    from webapp.storage.destinations import seed_destinations
    from webapp.storage.models import Destination

    with database.session() as s:
        seed_destinations(s, liechtenstein_net.pois)
        names = [r.name for r in s.scalars(select(Destination))]
    for name in ("Schloss Gutenberg", "Wildschloss", "Naafkopf"):
        assert names.count(name) == 1, name
