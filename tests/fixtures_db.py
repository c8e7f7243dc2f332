"""Fixtures of the destination database (SQLite and PostgreSQL).

``db_url`` runs a test once on an SQLite file and once on PostgreSQL (a schema
of its own, dropped afterwards; skipped with the reason when the server at
``BIKEMAP_TEST_PG``, default postgresql://postgres@127.0.0.1:5432/test, is
unreachable). ``staff_app`` is the web app on the demo network with a database of
its own at the newest schema (``migrated_db_url``); ``staff`` adds an editor and an
admin with API tokens.

``migrated_db_url`` copies a database that each test process migrated once (an
SQLite file copied with SQLite's backup API; a PostgreSQL database made with
``CREATE DATABASE ... TEMPLATE``) instead of running the migrations for every test:
they took a quarter of a second a database, a minute of the suite's time. The
migrations themselves are tested on empty databases (``db_url``, test_db.py,
test_instances.py) and by the template's own first upgrade.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PG_URL = os.environ.get("BIKEMAP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin():
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]')")
    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {str(exc).strip().splitlines()[0]}")


def empty_database(kind: str, folder, prefix: str = "bikemap_test"):
    """Yield the URL of an empty database: an SQLite file in ``folder``, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bikemap.sqlite3'}"
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in PG_URL else "?"
    yield from _pg_scratch(
        f'CREATE SCHEMA "{schema}"', f"{PG_URL}{sep}options=-csearch_path%3D{schema}", f'DROP SCHEMA "{schema}" CASCADE'
    )


def _pg_scratch(create: str, url: str, drop: str):
    """Run ``create`` on the test server, yield ``url`` (what it made), then run ``drop``."""
    conn = _pg_admin()
    conn.execute(create)
    try:
        yield url
    finally:
        conn.execute(drop)
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database URL: an SQLite file, or a fresh PostgreSQL schema."""
    yield from empty_database(request.param, tmp_path)


#: this process's migrated templates: "sqlite" -> a file, "postgresql" -> a database name
_TEMPLATES: dict[str, str] = {}


def _pg_database_url(name: str) -> str:
    """`PG_URL` naming the database ``name`` on the same server."""
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _template(kind: str) -> str:
    from webapp.storage import open_database

    if kind not in _TEMPLATES:
        if kind == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="bikemap-template-"))
            name = str(folder / "template.sqlite3")
            open_database(f"sqlite:///{name}").dispose()
        else:
            name = f"bikemap_template_{uuid.uuid4().hex[:12]}"
            conn = _pg_admin()
            conn.execute(f'CREATE DATABASE "{name}"')
            conn.close()
            atexit.register(_drop_pg_database, name)
            open_database(_pg_database_url(name)).dispose()
        _TEMPLATES[kind] = name
    return _TEMPLATES[kind]


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_database(kind: str, folder):
    """Yield the URL of a database at the newest schema holding no rows (a copy of this process's template)."""
    template = _template(kind)
    if kind == "sqlite":
        path = folder / "bikemap.sqlite3"
        with sqlite3.connect(template) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        yield f"sqlite:///{path}"
        return
    name = f"bikemap_test_{uuid.uuid4().hex[:12]}"
    yield from _pg_scratch(
        f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        _pg_database_url(name),
        f'DROP DATABASE "{name}" WITH (FORCE)',
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_db_url(request, tmp_path):
    """A database URL at the newest schema with no rows: an SQLite file, or a PostgreSQL database of its own."""
    yield from migrated_database(request.param, tmp_path)


@pytest.fixture
def database(db_url):
    """An opened, migrated `webapp.storage.Database`."""
    from webapp.storage import open_database

    db = open_database(db_url)
    yield db
    db.dispose()


def make_staff_app(db_url, net, **config):
    from webapp import create_app

    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "NETWORK": net,
        "DATABASE_URL": db_url,
        "WARM_PROFILES": False,
        "TILES_URL": "",
        "SEED_DESTINATIONS": False,
        "COST_TIME_S": 30,  # wall-clock: see fixtures_web.TEST_COST_TIME_S
        # tests sign in often from one address: the throttle's own tests set their limits
        "LOGIN_LIMIT_ADDRESS": "1000 per minute",
        "LOGIN_LIMIT_ACCOUNT": "1000 per minute",
        "LOGIN_LIMIT_GLOBAL": "10000 per minute",
        **config,
    }
    return create_app(settings)


@pytest.fixture
def staff_app(migrated_db_url, demo_net):
    app = make_staff_app(migrated_db_url, demo_net)
    yield app
    app.extensions["bikemap_db"].dispose()


@dataclass
class Staff:
    """An app with one editor and one admin (passwords "editor-pass"/"admin-pass")."""

    app: object
    editor_token: str
    admin_token: str

    def headers(self, who: str, **more) -> dict[str, str]:
        token = {"editor": self.editor_token, "admin": self.admin_token}[who]
        return {"Authorization": f"Bearer {token}", **more}


def staff_once(kind: str, net, folder):
    """Yield a `Staff` on a fresh copy of the migrated database ``kind``, for a module-scoped fixture (one app
    shared by the tests that store nothing, or look only at what they stored); closes it afterwards."""
    gen = migrated_database(kind, folder)
    app = make_staff_app(next(gen), net)
    yield Staff(app, add_user(app, "eddie", "editor", "editor-pass"), add_user(app, "ada", "admin", "admin-pass"))
    app.extensions["bikemap_db"].dispose()
    gen.close()


def add_user(app, name: str, role: str, password: str) -> str:
    """Create a user directly in the app's database; return a new API token."""
    from webapp.storage.models import hash_password

    return add_users(app.extensions["bikemap_db"], [name], role, hash_password(password))[0]


def add_users(db, names: list[str], role: str, password_hash: str) -> list[str]:
    """Create users directly in the database ``db``, all with one password hash; return a new API token each."""
    from webapp.storage.models import ApiToken, User, hash_token, new_token

    tokens = [new_token() for _ in names]
    with db.session() as s:
        for name, token in zip(names, tokens, strict=True):
            user = User(name=name, role=role, password_hash=password_hash, active=True)
            s.add(user)
            s.flush()
            s.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
        s.commit()
    return tokens


@pytest.fixture
def staff(staff_app):
    return Staff(
        staff_app,
        add_user(staff_app, "eddie", "editor", "editor-pass"),
        add_user(staff_app, "ada", "admin", "admin-pass"),
    )
