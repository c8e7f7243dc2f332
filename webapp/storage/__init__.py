"""Storage of the web app: the database of destinations, closures, featured routes and staff.

- `engine`: connection, migrations and the start-up checks of the database;
- `models`: the tables;
- `versioned`: the one helper of optimistic locking, history, restore and ETags;
- `destinations`, `closures`, `featured`: each kind of record;
- `layer`: what visitors see (published destinations, active closures);
- `transfer`: import and export of destinations;
- `users`: staff accounts, API tokens and signed-in sessions.

`init_app` opens the app's database once (flaskr's ``db.init_app``): the URL is
``DATABASE_URL``, else an SQLite file in the instance folder (a private
in-memory database for a test app). It also records the area the database
serves and refuses a network elsewhere.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import SettingError
from .destinations import seed_if_changed
from .engine import Database, default_url, open_database
from .models import Meta

__all__ = ["Database", "get_db", "get_session", "has_db", "init_app", "open_database"]

log = logging.getLogger(__name__)

_KEY = "bikemap_db"


def init_app(app: Flask) -> Database:
    """Open the app's database (creating/migrating it) and close sessions after requests.

    Also seeds destinations from the network's OSM features (``SEED_DESTINATIONS``;
    not again while neither they nor the seeded rows changed, `seed_if_changed`)
    and gives the app a persistent secret key (instance/secret_key) when none is set.
    """
    url = app.config.get("DATABASE_URL")
    if not url:  # a test app without a database of its own gets a private in-memory one
        url = "sqlite://" if app.config.get("TESTING") else default_url(app.instance_path)
    try:
        db = open_database(url)
    except SettingError as exc:
        raise SettingError(f"setting DATABASE_URL (--db): {exc}") from None
    app.extensions[_KEY] = db
    app.teardown_appcontext(_close_session)
    if not app.secret_key:
        app.secret_key = secrets.token_hex(32) if app.config.get("TESTING") else _instance_secret(app.instance_path)
    net = app.extensions.get("bikemap.network")
    if net is not None:
        with db.session() as session:
            check_area(session, net, db.url)
            if app.config.get("SEED_DESTINATIONS"):
                try:
                    seed_if_changed(session, net.pois)  # skipped when nothing it reads changed
                except IntegrityError:  # another process seeded the same rows at the same moment
                    session.rollback()
                    log.warning("destinations were being seeded by another process; skipped")
    return db


def _area_text(b) -> str:
    return f"{b[0]:.4f},{b[1]:.4f},{b[2]:.4f},{b[3]:.4f}"


def check_area(session: Session, net, url: str) -> None:
    """Record the network's bounds on first use; refuse a network that does not overlap them."""
    bounds = [float(v) for v in net.bounds]
    row = session.get(Meta, "area")
    if row is None:
        session.add(Meta(key="area", value={"bounds": bounds, "name": net.name}))
        try:
            session.commit()
        except IntegrityError:  # another process recorded it at the same moment
            session.rollback()
        return
    w, s, e, n = row.value["bounds"]
    if bounds[0] > e or bounds[2] < w or bounds[1] > n or bounds[3] < s:
        safe = url.split("@")[-1][:120]
        raise SettingError(
            f"the database {safe} holds {row.value.get('name', 'another area')} ({_area_text((w, s, e, n))}), "
            f"not {net.name} ({_area_text(bounds)}); give this network its own database with --db URL"
        )


def _instance_secret(folder: str | Path) -> str:
    path = Path(folder) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another instance made it meanwhile
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def has_db() -> bool:
    return _KEY in current_app.extensions


def get_db() -> Database:
    return current_app.extensions[_KEY]


def get_session() -> Session:
    """The request's session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
