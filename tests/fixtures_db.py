"""Fixtures of the destination database (SQLite and PostgreSQL).

``db_url`` runs a test once on an SQLite file and once on PostgreSQL (a schema
of its own, dropped afterwards; skipped with the reason when the server at
``BIKEMAP_TEST_PG``, default postgresql://postgres@127.0.0.1:5432/test, is
unreachable). ``staff_app`` is the web app on the demo network with that
database; ``staff`` adds an editor and an admin with API tokens.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

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
    conn = _pg_admin()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database URL: an SQLite file, or a fresh PostgreSQL schema."""
    yield from empty_database(request.param, tmp_path)


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
def staff_app(db_url, demo_net):
    app = make_staff_app(db_url, demo_net)
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


def add_user(app, name: str, role: str, password: str) -> str:
    """Create a user directly in the app's database; return a new API token."""
    from webapp.storage.models import ApiToken, User, hash_password, hash_token, new_token

    db = app.extensions["bikemap_db"]
    token = new_token()
    with db.session() as s:
        user = User(name=name, role=role, password_hash=hash_password(password), active=True)
        s.add(user)
        s.flush()
        s.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
        s.commit()
    return token


@pytest.fixture
def staff(staff_app):
    return Staff(
        staff_app,
        add_user(staff_app, "eddie", "editor", "editor-pass"),
        add_user(staff_app, "ada", "admin", "admin-pass"),
    )
