"""Whether the database may have changed since a thread last looked, without a query.

A request that depends on a few rows (the active closures) need not read them again when
nothing was written since. For an SQLite file, each serving thread keeps a read-only
connection of its own and asks it ``PRAGMA data_version``: a number SQLite changes whenever
another connection (of this process or of another instance on the same file) commits, read
from the shared memory of the WAL in a few microseconds. Other databases (PostgreSQL, an
in-memory SQLite) give no such number: `DataVersion.token` is None there and callers read
the rows as before.

The numbers of two connections cannot be compared, so a token names its connection, and
callers keep what they remember per thread (`DataVersion.memo`).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

__all__ = ["DataVersion"]

_serials = itertools.count(1)


class DataVersion:
    """``token()``: changes whenever anyone commits to the database; None where it cannot tell."""

    def __init__(self, engine: Engine):
        db = engine.url.database if engine.dialect.name == "sqlite" else None
        self._uri = None
        if db and db != ":memory:" and not db.startswith("file:"):
            self._uri = f"file:{quote(str(Path(db).resolve()))}?mode=ro"
        self._local = threading.local()

    def token(self) -> tuple[int, int] | None:
        """(connection serial, data version) for this thread, or None."""
        if self._uri is None:
            return None
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():  # a worker forked after the parent used it: its own
            try:
                conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            except sqlite3.Error:
                return None
            local.conn, local.pid, local.serial, local.memo = conn, os.getpid(), next(_serials), {}
        try:
            return local.serial, conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:  # the file went away (a restore): a new connection next time
            local.conn = None
            return None

    def memo(self) -> dict[str, Any]:
        """A dictionary private to this thread and its connection, for what callers remember with a token."""
        memo = getattr(self._local, "memo", None)
        if memo is None:
            memo = self._local.memo = {}
        return memo
