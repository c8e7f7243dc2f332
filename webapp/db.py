"""The destination database: engine, migrations, sessions, and every change to destinations.

Set up once per app in `init_app` (flaskr's ``db.py`` pattern): the URL comes
from ``app.config["DATABASE_URL"]`` (``BIKEMAP_DATABASE_URL``, ``--db URL``),
else an SQLite file in the instance folder, created on first start. The schema
is brought to the newest Alembic revision on every start.

All writes of destinations go through `create_destination`, `update_destination`,
`delete_destination` and `restore_destination`: each checks the values, writes a
history row, and uses ``UPDATE ... WHERE id = ? AND version = ?`` so that of two
editors saving from the same version exactly one wins.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from routes.errors import BikemapError, InvalidValueError
from routes.places import destination_places, place_names

from .models import (
    Closure,
    Destination,
    DestinationHistory,
    User,
    utcnow,
)
from .validation import check_opening_hours, clean_destination, clean_url

__all__ = [
    "Database",
    "NotFoundError",
    "StaleVersionError",
    "active_closures",
    "create_destination",
    "delete_destination",
    "get_db",
    "get_session",
    "init_app",
    "normalise_url",
    "open_database",
    "restore_destination",
    "seed_destinations",
    "update_destination",
]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class NotFoundError(BikemapError, LookupError):
    """No such destination, closure or user."""

    code = "NotFound"


class StaleVersionError(BikemapError, ValueError):
    """Someone saved the destination since the version the request was based on."""

    code = "PreconditionFailed"

    def __init__(self, message: str, current: Any = None):
        super().__init__(message)
        self.current = current


# ----------------------------------------------------------------------------- engine


def normalise_url(url: str) -> str:
    """Let plain ``postgresql://`` URLs use psycopg 3 (the driver bikemap depends on)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=FULL")  # a committed edit survives a power cut
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url in ("sqlite://", "sqlite:///:memory:"):  # one shared in-memory database (tests)
        from sqlalchemy.pool import StaticPool

        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        _migration_lock(connection)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


#: Key of the PostgreSQL advisory lock held while migrating (any constant; "bikemap" in ASCII).
MIGRATION_LOCK_KEY = 0x62696B656D6170


def _migration_lock(connection) -> None:
    """Serialise migrations of app instances starting at once on one database.

    The lock is held until the migration transaction ends; the next instance then
    finds the schema at head and does nothing. PostgreSQL: a transaction-level
    advisory lock. SQLite: ``BEGIN IMMEDIATE`` (the write lock; DDL is transactional).
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    elif connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Database:
    """An engine with its up-to-date schema and a session factory."""

    url: str
    engine: Engine
    session: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Connect to ``url`` (any SQLAlchemy URL), create or migrate the schema."""
    try:
        engine = make_engine(url)
    except Exception as exc:  # bad URL, missing driver
        raise InvalidValueError(f"cannot use database URL {url!r}: {exc}") from None
    try:
        upgrade(engine)
    except OperationalError as exc:
        raise InvalidValueError(f"cannot open database {engine.url!r}: {str(exc.orig).strip()}") from None
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def default_url(instance_path: str | Path) -> str:
    path = Path(instance_path) / "bikemap.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


# ----------------------------------------------------------------------------- Flask


def init_app(app) -> Database:
    """Open the app's database (creating/migrating it) and close sessions after requests.

    Also seeds destinations from the network's OSM features (``SEED_DESTINATIONS``,
    default on) and gives the app a persistent secret key (instance/secret_key)
    for the staff UI's session cookie when none is configured.
    """
    if "bikemap_db" in app.extensions:
        return app.extensions["bikemap_db"]
    url = app.config.get("DATABASE_URL")
    if not url:  # a test app without a database of its own gets a private in-memory one
        url = "sqlite://" if app.config.get("TESTING") else default_url(app.instance_path)
    db = open_database(url)
    app.extensions["bikemap_db"] = db
    app.teardown_appcontext(_close_session)
    if not app.secret_key:
        if app.config.get("TESTING"):
            import secrets

            app.secret_key = secrets.token_hex(32)
        else:
            app.secret_key = _instance_secret(Path(app.instance_path))
    net = app.extensions.get("bikemap.network") or app.config.get("NETWORK")
    if net is not None and app.config.get("SEED_DESTINATIONS", True):
        with db.session() as session:
            try:
                seed_destinations(session, net.pois)
            except IntegrityError:  # another process seeded the same rows at the same moment
                session.rollback()
                log.warning("destinations were being seeded by another process; skipped")
    return db


def _instance_secret(folder: Path) -> str:
    import secrets

    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def get_db() -> Database:
    from flask import current_app

    return current_app.extensions["bikemap_db"]


def get_session() -> Session:
    """The request's session (opened on first use, closed at teardown)."""
    from flask import g

    if "db_session" not in g:
        g.db_session = get_db().session()
    return g.db_session


def _close_session(_exc=None) -> None:
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# ----------------------------------------------------------------------------- destinations


def _history(session: Session, row: Destination, action: str, user: str, before: dict | None) -> None:
    session.add(
        DestinationHistory(
            destination_id=row.id,
            version=row.version,
            action=action,
            changed_by=user,
            changed_at=row.updated_at,
            before=_jsonable(before),
            after=_jsonable(row.values()),
        )
    )


def _jsonable(values: dict | None) -> dict | None:
    return None if values is None else {k: v for k, v in values.items()}


def get_destination(session: Session, dest_id: int, *, include_deleted: bool = False) -> Destination:
    row = session.get(Destination, dest_id, populate_existing=True)
    if row is None or (row.deleted and not include_deleted):
        raise NotFoundError(f"no destination with id {dest_id}")
    return row


def create_destination(
    session: Session, data: dict[str, Any], *, user: str, bounds=None, commit: bool = True
) -> Destination:
    """Check ``data`` and store a new staff destination (version 1)."""
    values = clean_destination(data, bounds=bounds)
    row = Destination(**values, source="staff", staff_edited=True, version=1, updated_at=utcnow(), updated_by=user)
    session.add(row)
    session.flush()
    _history(session, row, "create", user, None)
    if commit:
        session.commit()
    return row


def _guarded_update(
    session: Session, row: Destination, expected: int, values: dict[str, Any], *, user: str, action: str
) -> Destination:
    before = row.values()
    now = utcnow()
    result = session.execute(
        update(Destination)
        .where(Destination.id == row.id, Destination.version == expected)
        .values(**values, version=expected + 1, updated_at=now, updated_by=user, staff_edited=True)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        session.rollback()
        current = session.get(Destination, row.id, populate_existing=True)
        raise StaleVersionError(_stale_message(current), current)
    session.refresh(row)
    _history(session, row, action, user, before)
    return row


def _stale_message(current: Destination | None) -> str:
    if current is None:
        return "the destination no longer exists"
    who = f" by {current.updated_by}" if current.updated_by else ""
    return (
        f"someone else saved this destination{who} meanwhile (it is now version {current.version}); "
        "reload it and make your change again"
    )


def _check_version(row: Destination, expected: int) -> None:
    if row.version != expected:
        raise StaleVersionError(_stale_message(row), row)


def update_destination(
    session: Session,
    dest_id: int,
    expected_version: int,
    data: dict[str, Any],
    *,
    user: str,
    bounds=None,
    commit: bool = True,
) -> Destination:
    """Change fields of a destination saved at ``expected_version``; `StaleVersionError` otherwise."""
    row = get_destination(session, dest_id)
    _check_version(row, expected_version)
    values = clean_destination(data, current=row.values(), bounds=bounds)
    row = _guarded_update(session, row, expected_version, values, user=user, action="update")
    if commit:
        session.commit()
    return row


def delete_destination(session: Session, dest_id: int, expected_version: int, *, user: str) -> Destination:
    """Remove a destination from every list (kept with its history, so it can be restored)."""
    row = get_destination(session, dest_id)
    _check_version(row, expected_version)
    row = _guarded_update(session, row, expected_version, {"deleted": True}, user=user, action="delete")
    session.commit()
    return row


def restore_destination(
    session: Session, dest_id: int, expected_version: int, to_version: int, *, user: str
) -> Destination:
    """Bring back the values a destination had at ``to_version`` (as a new version)."""
    row = get_destination(session, dest_id, include_deleted=True)
    _check_version(row, expected_version)
    snap = session.scalars(
        select(DestinationHistory).where(
            DestinationHistory.destination_id == dest_id, DestinationHistory.version == to_version
        )
    ).first()
    if snap is None or not snap.after or snap.after.get("deleted"):
        raise NotFoundError(f"destination {dest_id} has no version {to_version} to restore")
    values: dict[str, Any] = {
        k: snap.after[k]
        for k in (
            "name",
            "names",
            "category",
            "description",
            "lon",
            "lat",
            "opening_hours",
            "visit_minutes",
            "image_url",
            "website",
            "published",
        )
        if k in snap.after
    }
    values["deleted"] = False
    row = _guarded_update(session, row, expected_version, values, user=user, action="restore")
    session.commit()
    return row


def history(session: Session, dest_id: int) -> list[DestinationHistory]:
    return list(
        session.scalars(
            select(DestinationHistory)
            .where(DestinationHistory.destination_id == dest_id)
            .order_by(DestinationHistory.version)
        )
    )


# ----------------------------------------------------------------------------- seeding


def destination_from_place(place: dict[str, Any]) -> dict[str, Any] | None:
    """Values of a destination seeded from an OSM place (`routes.places.destination_places`), or None.

    Skipped: places without a name.
    """
    tags = place["tags"]
    name = (tags.get("name") or "").strip()
    if not name:
        return None
    oh = tags.get("opening_hours")
    website, _ = clean_url(tags.get("website") or tags.get("contact:website"))
    image, _ = clean_url(tags.get("image"))
    return {
        "name": name[:200],
        "names": place_names(tags),
        "category": place["category"],
        "description": (tags.get("description") or "")[:5000],
        "lon": place["lon"],
        "lat": place["lat"],
        "opening_hours": oh if oh and len(oh) <= 500 and check_opening_hours(oh) is None else None,
        "visit_minutes": None,
        "image_url": image,
        "website": website,
    }


def seed_destinations(session: Session, pois: Iterable[dict[str, Any]], *, user: str = "osm") -> dict[str, int]:
    """Add or refresh destinations from OpenStreetMap features, in one transaction.

    The features are classified and de-duplicated by `routes.places` (a place
    mapped as a node and an area is one destination). A new place becomes a
    published ``source="osm"`` destination. A known one is refreshed from OSM
    unless staff changed (or deleted) it: a staff edit is never overwritten.
    A row seeded earlier for a feature now merged into another place is
    deleted (kept with its history) unless staff changed it. Returns counts
    (created, updated, unchanged, kept_staff, merged).
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_staff": 0, "merged": 0}
    known = {r.osm_id: r for r in session.scalars(select(Destination).where(Destination.osm_id.is_not(None)))}
    now = utcnow()
    for place in destination_places(pois):
        values = destination_from_place(place)
        if values is None:
            continue
        osm_id = place["ref"]
        row = known.get(osm_id)
        if row is None:
            row = Destination(
                **values, published=True, source="osm", osm_id=osm_id, version=1, updated_at=now, updated_by=user
            )
            session.add(row)
            session.flush()
            _history(session, row, "seed", user, None)
            counts["created"] += 1
        elif row.staff_edited or row.deleted:
            counts["kept_staff"] += 1
        else:
            before = row.values()
            if all(before.get(k) == v for k, v in values.items()):
                counts["unchanged"] += 1
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.version += 1
                row.updated_at, row.updated_by = now, user
                session.flush()
                _history(session, row, "seed", user, before)
                counts["updated"] += 1
        for dup in (known.get(ref) for ref in place["also"]):
            if dup is not None and not (dup.staff_edited or dup.deleted):
                before = dup.values()
                dup.deleted, dup.version = True, dup.version + 1
                dup.updated_at, dup.updated_by = now, user
                session.flush()
                _history(session, dup, "merge", user, before)
                counts["merged"] += 1
    session.commit()
    log.info("seeded destinations: %s", counts)
    return counts


# ----------------------------------------------------------------------------- other queries


def active_closures(session: Session) -> list[Closure]:
    now = utcnow()
    return list(
        session.scalars(
            select(Closure)
            .where(Closure.removed.is_(False), (Closure.ends_at.is_(None)) | (Closure.ends_at > now))
            .order_by(Closure.id)
        )
    )


def find_user(session: Session, name: str) -> User:
    if "\x00" in name:  # no user has one, and PostgreSQL refuses NUL in a query's text
        raise NotFoundError(f"no user named {name!r}")
    user = session.scalars(select(User).where(func.lower(User.name) == name.lower())).first()
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user
