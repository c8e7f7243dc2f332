"""The place index in PostgreSQL: full-text search of places, streets and addresses for every instance.

On SQLite (the default) the place index is an SQLite/FTS5 file beside the
network cache (`routes.geocode.load_place_index`). When the app's database is
PostgreSQL, the same rows (`routes.geocode.place_rows`) live in two tables of
that database, so that every app instance reads one copy and none keeps a file
of its own:

- ``place_item``: one row per entry, with ``words`` (the normalised names) and a
  GIN index on its stored ``to_tsvector('simple', words)``. A query's words are matched as
  prefixes (``'bammili':* & '12':*``). Accents and case are removed in Python on
  both sides (`routes.geocode.normalize`), so the ``simple`` configuration needs
  neither the ``unaccent`` extension nor a language's stemmer.
- ``place_index``: which index the rows are (`routes.geocode.index_key`: the
  build's version, the OSM file, the network), and how many.

These tables hold derived data, rebuilt from the extract: they are made here
(``CREATE TABLE IF NOT EXISTS``), not by the migrations, and ``bikemap db
backup`` leaves them out. The first instance to start on a new network builds
them under an advisory lock; the others wait, then read.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Computed,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Engine

from routes.geocode import Match, place_rows

__all__ = ["PgPlaceStore", "PLACE_TABLES", "open_pg_place_store"]

log = logging.getLogger(__name__)

#: The advisory lock key of the build (any constant the migrations' lock does not use).
BUILD_LOCK_KEY = 0x62696B65_706C6163  # "bikeplac"

_meta = MetaData()
place_index = Table(
    "place_index",
    _meta,
    Column("key", String(64), primary_key=True),
    Column("items", Integer, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
)
place_item = Table(
    "place_item",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("name_id", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("words", Text, nullable=False),
    # stored, not an expression index: a generic plan of the prepared query never re-parses every row's words
    Column("tsv", TSVECTOR, Computed("to_tsvector('simple', words)", persisted=True)),
    Index("place_item_kind", "kind"),
    Index("place_item_tsv", "tsv", postgresql_using="gin"),
)
#: The tables' names (left out of backups: derived data).
PLACE_TABLES = ("place_index", "place_item")
_COLUMNS = ("id", "kind", "rank", "name", "name_en", "name_id", "label", "lat", "lon", "words")


class PgPlaceStore:
    """A `routes.geocode.PlaceStore` on the ``place_item`` table."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._local = threading.local()

    def items(self, kinds: tuple[str, ...]) -> list[tuple[int, str, str, str, float, float]]:
        c = place_item.c
        query = select(c.id, c.kind, c.name, c.label, c.lat, c.lon).where(c.kind.in_(kinds))
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(place_item)).scalar_one())

    def _conn(self):
        """This thread's own connection (autocommit, reads only): one round trip per query, none for the pool."""
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            conn = self._local.conn = psycopg.connect(url, autocommit=True)
        return conn

    def match(self, m: Match) -> list[tuple]:
        import psycopg

        lat0, lon0 = m.near if m.near is not None else (0.0, 0.0)
        params: dict[str, Any] = {
            # the words are letters, digits and "_" only (\w+ of the normalised query): quoted, each a prefix
            "q": " & ".join(f"'{w}':*" for w in m.words),
            "near": m.near is not None,
            "lat0": lat0,
            "lon0": lon0,
            "k": math.cos(math.radians(lat0)),
            "kpk": m.km_per_kind,
            "cap": m.cap,
            "limit": m.limit,
        }
        try:
            return self._conn().execute(_MATCH, params).fetchall()
        except psycopg.OperationalError:  # the server restarted or dropped the connection: once more, anew
            self._local.conn = None
            return self._conn().execute(_MATCH, params).fetchall()


_MATCH = """
    SELECT kind, name, name_en, name_id, label, lat, lon,
           rank + CASE WHEN %(near)s THEN sqrt((lat - %(lat0)s) ^ 2 + ((lon - %(lon0)s) * %(k)s) ^ 2) * 111.0 / %(kpk)s
                       ELSE 0 END AS score
    FROM place_item
    WHERE id IN (SELECT id FROM place_item WHERE tsv @@ to_tsquery('simple', %(q)s) LIMIT %(cap)s)
    ORDER BY score, length(name) LIMIT %(limit)s
"""


def _ensure_tables(engine: Engine) -> None:
    """Make the tables; made again when an older bikemap made them with other columns (derived data: no migration)."""
    have = inspect(engine)
    if have.has_table("place_item") and {c["name"] for c in have.get_columns("place_item")} != set(place_item.c.keys()):
        _meta.drop_all(engine)
    _meta.create_all(engine, checkfirst=True)


def _current_key(conn) -> str | None:
    return conn.execute(select(place_index.c.key)).scalar()


def open_pg_place_store(engine: Engine, net, source, key: str) -> PgPlaceStore:
    """The PostgreSQL place store of ``net``, built from its OSM file first when the tables hold another index."""
    _ensure_tables(engine)
    with engine.connect() as conn:
        if _current_key(conn) == key:
            return PgPlaceStore(engine)
    t0 = time.perf_counter()
    rows = place_rows(net, source)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({BUILD_LOCK_KEY})")
        if _current_key(conn) != key:  # another instance may have built it while this one read the extract
            conn.execute(place_item.delete())
            conn.execute(place_index.delete())
            raw = conn.connection.driver_connection
            assert raw is not None  # a live psycopg connection inside engine.begin()
            with raw.cursor() as cur, cur.copy(f"COPY place_item ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for i, row in enumerate(rows, start=1):
                    copy.write_row((i, *row))
            conn.execute(place_index.insert().values(key=key, items=len(rows), built_at=datetime.now(UTC)))
            log.info("place index in PostgreSQL: %d names (%.1f s)", len(rows), time.perf_counter() - t0)
    return PgPlaceStore(engine)
