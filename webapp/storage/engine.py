"""The database: engine, migrations, and the checks made before the app serves anything.

`open_database` connects to a SQLAlchemy URL, brings the schema to the newest
Alembic revision (``storage/migrations``) under a lock, then checks that every
table and column the models use exists. Anything that stops it (a bad URL, a
file that is not SQLite, a database written by a newer bikemap, a missing
column) is one `webapp.errors.SettingError` line naming the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import SettingError
from .changes import DataVersion
from .models import Base

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS",
    "Database",
    "at_head",
    "default_url",
    "make_engine",
    "normalise_url",
    "open_database",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: The newest revision in ``migrations/versions`` (tests/webapp/test_db.py checks it against Alembic's
#: own head). A database already at it opens without importing Alembic, which costs every server
#: process about 10-37 MB and 0.3 s of start-up for a check that almost always finds nothing to do
#: (issue #19). Add a migration: set this to its revision.
HEAD_REVISION = "0006"

#: Key of the PostgreSQL advisory lock held while migrating (any constant; "bikemap" in ASCII).
MIGRATION_LOCK_KEY = 0x62696B656D6170


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


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def at_head(engine: Engine) -> bool:
    """Whether the database's ``alembic_version`` is exactly `HEAD_REVISION` (read without Alembic).

    Any doubt (no such table, not a database, several heads) answers False, and
    `upgrade` then takes Alembic's own path, which migrates or explains.
    """
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except (DBAPIError, SQLAlchemyError):
        return False
    return list(rows) == [HEAD_REVISION]


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (``alembic upgrade head``); nothing to do at `HEAD_REVISION`."""
    if at_head(engine):
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    known = {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}
    with engine.begin() as connection:
        _migration_lock(connection)
        _refuse_newer(connection, known)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def _refuse_newer(connection, known: set[str]) -> None:
    from alembic.runtime.migration import MigrationContext

    current = MigrationContext.configure(connection).get_current_heads()
    newer = [rev for rev in current if rev not in known]
    if newer:
        raise SettingError(
            f"the database is at migration {newer[0]!r}, written by a newer bikemap than this one "
            f"(which knows up to {max(known)}); upgrade bikemap or use another --db"
        )


def _migration_lock(connection) -> None:
    """Serialise migrations of app instances starting at once on one database.

    PostgreSQL: a transaction-level advisory lock. SQLite: ``BEGIN IMMEDIATE``
    (the write lock; DDL is transactional).
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    elif connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_schema(engine: Engine) -> None:
    """Every table and column of the models exists (a hand-edited or half-restored database does not start)."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            raise SettingError(
                f"the database has no table {table.name!r}; restore it from a backup or use another --db"
            )
        have = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c.name for c in table.columns if c.name not in have]
        if missing:
            raise SettingError(
                f"the database's table {table.name!r} has no column {missing[0]!r}; "
                "restore it from a backup or use another --db"
            )


@dataclass
class Database:
    """An engine with its up-to-date schema and a session factory."""

    url: str
    engine: Engine
    session: sessionmaker[Session]
    #: Whether anyone committed since a thread last looked (`webapp.storage.changes`).
    changes: DataVersion = field(init=False)

    def __post_init__(self) -> None:
        self.changes = DataVersion(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def open_database(url: str) -> Database:
    """Connect to ``url`` (any SQLAlchemy URL), create or migrate the schema, check it."""
    try:
        engine = make_engine(url)
    except Exception as exc:  # bad URL, missing driver
        raise SettingError(f"cannot use database URL {url[:200]!r}: {exc}") from None
    try:
        upgrade(engine)
        check_schema(engine)
    except SettingError:
        engine.dispose()
        raise
    except (DBAPIError, SQLAlchemyError) as exc:  # not a database, unreachable server, no permission
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SettingError(f"cannot open database {_safe_url(engine)!r}: {reason}") from None
    except Exception as exc:  # alembic's own failures (a broken version table...)
        engine.dispose()
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SettingError(f"cannot migrate database {_safe_url(engine)!r}: {reason}") from None
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def default_url(instance_path: str | Path) -> str:
    path = Path(instance_path) / "bikemap.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
