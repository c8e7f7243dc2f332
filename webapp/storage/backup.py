"""Backups of the destination database, and restoring one (``bikemap db``, `webapp.cli.db`).

SQLite: the backup is made with SQLite's online backup API
(`sqlite3.Connection.backup`, in one step, so it is one read transaction: a
snapshot in which every committed transaction is whole, while the app keeps
writing) into a temporary file next to ``FILE``, checked with
``PRAGMA integrity_check``, then renamed to ``FILE``. A restore checks the file
first (an SQLite database, ``integrity_check`` ok, bikemap's schema), then
copies it into the target with the same backup API in one step: that is one
write transaction of the target, so a crash leaves the old database, never
half of the new one, and a running app sees the new data on its next query.
A target that does not exist yet is written to a temporary file and renamed.

PostgreSQL: ``pg_dump --format=custom`` (one transaction snapshot) into a
temporary file, checked with ``pg_restore --list``, renamed to ``FILE``. When the
URL selects a schema (``options=-csearch_path=NAME``), only that schema is dumped.
A restore writes only into the schema its URL names (never the schema named inside
the dump, which may be live): pg_restore only decodes the dump's rows, bikemap's
migrations make the tables at the backup's schema version in the target, and the
rows are streamed in with ``COPY``, all in one transaction, so it is all or nothing.
The client tools are taken from PATH, else from ``/usr/lib/postgresql/*/bin``.

Both: a target holding rows is replaced only with ``--force``, and the row count of
every table is compared with the backup's before "restored" is printed.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from routes.errors import InvalidValueError

__all__ = ["backup", "restore"]


# ----------------------------------------------------------------------------- helpers


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidValueError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _temp_next_to(path: Path, suffix: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_sqlite_file(path: Path) -> None:
    """A clear error unless ``path`` is an intact SQLite file with bikemap's schema."""
    if not path.is_file():
        raise InvalidValueError(f"{path}: no such file")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise InvalidValueError(f"{path} is not an SQLite database (a bikemap SQLite backup is expected)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidValueError(f"{path}: cannot open it: {exc}") from None
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise InvalidValueError(f"{path} is damaged (integrity_check: {'; '.join(result[:3])})")
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise InvalidValueError(f"{path} is damaged (foreign_key_check found rows without their parent)")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InvalidValueError(f"{path} is damaged: {exc}") from None
    finally:
        conn.close()
    if not {"alembic_version", "destinations"} <= tables:
        raise InvalidValueError(f"{path} is an SQLite file but not a bikemap database (no destinations table)")


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's own tables left out)."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    # names from the file's own catalog, quoted as identifiers (no value reaches the SQL text)
    sql = "SELECT count(*) FROM {}"
    return {
        name: conn.execute(sql.format(_ident(name))).fetchone()[0] for name in names if not name.startswith("sqlite_")
    }


def _sqlite_has_data(path: Path) -> bool:
    """True when ``path`` holds rows (an empty, freshly migrated database does not count), or is not SQLite."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path, timeout=30)
    try:
        return any(n for name, n in _sqlite_counts(conn).items() if name != "alembic_version")
    except sqlite3.DatabaseError:
        return True  # something that is not ours: never clobber it silently
    finally:
        conn.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise InvalidValueError(f"{name} is not installed (apt-get install postgresql-client)")


def _pg_target(url) -> tuple[str, str | None]:
    """(libpq URI, schema of ``options=-csearch_path=NAME`` or None)."""
    schema = None
    options = url.query.get("options")
    if isinstance(options, tuple):
        options = " ".join(options)
    if options:
        for part in unquote(options).replace("-c ", "-c").split():
            if part.startswith("-csearch_path="):
                schema = part.split("=", 1)[1].split(",")[0].strip().strip('"') or None
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return libpq, schema


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise InvalidValueError(f"{what} failed: {detail[-1] if detail else f'exit code {proc.returncode}'}")
    return proc


# ----------------------------------------------------------------------------- backup


def backup(url, target: Path, *, force: bool = False) -> str:
    """Write a consistent copy of the database at ``url`` to ``target``; return a summary."""
    target = Path(target)
    if target.exists() and not force:
        raise InvalidValueError(f"{target} exists; use --force to replace it")
    if url.get_backend_name() == "sqlite":
        return _backup_sqlite(_sqlite_path(url), target)
    if url.get_backend_name() == "postgresql":
        return _backup_pg(url, target)
    raise InvalidValueError(f"backups of {url.get_backend_name()} databases are not supported (SQLite, PostgreSQL)")


def _backup_sqlite(source: Path, target: Path) -> str:
    if not source.is_file():
        raise InvalidValueError(f"{source}: no such database file")
    tmp = _temp_next_to(target, ".part")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # pages=-1: the whole database in one read transaction (a snapshot)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            ok = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            count = dst.execute("SELECT count(*) FROM destinations").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != ["ok"]:
            raise InvalidValueError(f"the copy failed its integrity check: {ok[:3]}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except sqlite3.Error as exc:
        raise InvalidValueError(f"cannot back up {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return f"backed up {source} ({count} destinations) to {target}"


def _backup_pg(url, target: Path) -> str:
    from .places import PLACE_TABLES

    libpq, schema = _pg_target(url)
    tmp = _temp_next_to(target, ".part")
    try:
        cmd = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp)]
        if schema:
            cmd += ["--schema", schema]
        for table in PLACE_TABLES:  # the place index: derived from the extract, rebuilt at start
            cmd += ["--exclude-table", f"{schema}.{table}" if schema else table]
        _run(cmd + ["--dbname", libpq], "pg_dump")
        _run([_pg_tool("pg_restore"), "--list", str(tmp)], "checking the dump (pg_restore --list)")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    where = f"schema {schema} of " if schema else ""
    return f"backed up {where}{url.render_as_string(hide_password=True)} to {target} (pg_dump custom format)"


# ----------------------------------------------------------------------------- restore


def restore(url, source: Path, *, force: bool = False) -> str:
    """Replace the database at ``url`` by the backup ``source`` (all or nothing)."""
    source = Path(source)
    if not source.is_file():
        raise InvalidValueError(f"{source}: no such file")
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(source, _sqlite_path(url), force=force)
    if url.get_backend_name() == "postgresql":
        return _restore_pg(source, url, force=force)
    raise InvalidValueError(f"restoring {url.get_backend_name()} databases is not supported (SQLite, PostgreSQL)")


def _restore_sqlite(source: Path, target: Path, *, force: bool) -> str:
    _check_sqlite_file(source)
    if _sqlite_has_data(target) and not force:
        raise InvalidValueError(f"{target} holds a database; use --force to replace it with {source}")
    tmp = _temp_next_to(target, ".restore")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            want = _sqlite_counts(src)
            src.backup(dst)
            count = dst.execute("SELECT count(*) FROM destinations").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if not target.exists() or target.stat().st_size == 0:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            for extra in ("-wal", "-shm", "-journal"):  # left by an earlier, removed file
                Path(f"{target}{extra}").unlink(missing_ok=True)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        else:
            # the target may be open in running servers: never swap the file under them
            # (their WAL would then belong to another file); copy into it in one transaction
            src = sqlite3.connect(tmp)
            dst = sqlite3.connect(target, timeout=60)
            try:
                dst.execute("PRAGMA busy_timeout=60000")
                src.backup(dst)
                ok = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            finally:
                dst.close()
                src.close()
            if ok != ["ok"]:
                raise InvalidValueError(f"{target} failed its integrity check after the restore: {ok[:3]}")
        check = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=60)
        try:
            got = _sqlite_counts(check)
        finally:
            check.close()
        if got != want:
            bad = sorted(t for t in set(want) | set(got) if got.get(t) != want.get(t))
            raise InvalidValueError(
                f"row counts of {target} differ from the backup after the restore: {', '.join(bad)}"
            )
    except sqlite3.Error as exc:
        raise InvalidValueError(f"cannot restore into {target}: {exc}; it is unchanged") from None
    finally:
        tmp.unlink(missing_ok=True)
    rows = sum(want.values())
    return f"restored {target} from {source} ({count} destinations; {rows} rows in {len(want)} tables, counts verified)"


def _pg_connect_error(url, exc: Exception) -> InvalidValueError:
    first = str(getattr(exc, "orig", exc)).strip().splitlines()
    return InvalidValueError(
        f"cannot connect to {url.render_as_string(hide_password=True)}: {first[0] if first else type(exc).__name__}"
    )


def _dump_contents(source: Path) -> tuple[str, set[str]]:
    """(the one schema the dump's tables live in, the names of its tables); a clear error otherwise."""
    listing = subprocess.run([_pg_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise InvalidValueError(f"{source} is not a pg_dump custom-format file (make one with 'bikemap db backup')")
    found: dict[str, set[str]] = {}
    for line in listing.stdout.splitlines():
        m = re.match(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", line + " ")
        if m:
            found.setdefault(m.group(1), set()).add(m.group(2))
    holding = [schema for schema, tables in found.items() if {"destinations", "alembic_version"} <= tables]
    if not holding:
        raise InvalidValueError(f"{source} is a PostgreSQL dump but not of a bikemap database (no destinations)")
    if len(found) > 1:
        raise InvalidValueError(f"{source} holds tables of several schemas ({', '.join(sorted(found))}); back up one")
    return holding[0], found[holding[0]]


_COPY = re.compile(rb'^COPY (?:"(?:[^"]|"")*"|[^".\s]+)\.("(?:[^"]|"")*"|[^\s(]+) (\([^\n]*\) )?FROM stdin;$')
_SETVAL = re.compile(rb"^SELECT pg_catalog\.setval\('((?:[^']|'')*)', (\d+), (true|false)\);$")


@dataclass
class _DumpData:
    """The rows of a dump: per table its COPY column list and its data lines (COPY text format)."""

    tables: dict[str, tuple[str, list[bytes]]]
    sequences: list[tuple[str, int, bool]]  # (sequence name without schema, value, is_called)

    def version(self) -> str:
        rows = self.tables.get("alembic_version", ("", []))[1]
        if len(rows) != 1:
            raise InvalidValueError("the backup has no single alembic_version row; it is not a bikemap backup")
        return rows[0].decode()


def _unqualify(name: str) -> str:
    """``schema.name`` (pg_dump's quoting) to ``name`` (still quoted as pg_dump quoted it)."""
    if name.startswith('"'):
        end = name.index('"', 1)
        while end + 1 < len(name) and name[end + 1] == '"':
            end = name.index('"', end + 2)
        return name[end + 2 :]
    return name.split(".", 1)[1]


def _read_dump_data(source: Path) -> _DumpData:
    """Every table's rows as pg_restore writes them (``COPY ... FROM stdin`` blocks), without touching a database."""
    proc = subprocess.run(
        [_pg_tool("pg_restore"), "--data-only", "--file", "-", str(source)], capture_output=True, check=False
    )
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InvalidValueError(f"cannot read {source}: {detail[-1] if detail else 'pg_restore failed'}")
    data = _DumpData({}, [])
    current: list[bytes] | None = None
    for line in proc.stdout.split(b"\n"):
        if current is not None:
            if line == b"\\.":
                current = None
            else:
                current.append(line)
            continue
        m = _COPY.match(line)
        if m:
            current = []
            data.tables[m.group(1).decode()] = ((m.group(2) or b"").decode().strip(), current)
            continue
        m = _SETVAL.match(line)
        if m:
            data.sequences.append(
                (_unqualify(m.group(1).decode().replace("''", "'")), int(m.group(2)), m.group(3) == b"true")
            )
    if current is not None:
        raise InvalidValueError(f"{source} is truncated (a table's data does not end)")
    return data


def _pg_engine(url):
    from sqlalchemy import create_engine

    return create_engine(url.set(drivername="postgresql+psycopg"))


def _pg_target_schema(conn, url) -> str:
    """The schema the URL writes into (first of its search_path; created when it does not exist yet)."""
    _libpq, named = _pg_target(url)
    current = conn.exec_driver_sql("SELECT current_schema()").scalar()
    if current is None:
        if not named:
            raise InvalidValueError("the database has no schema to restore into (search_path names none)")
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {_ident(named)}")
        current = named
    return str(current)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_row_counts(conn, schema: str, tables) -> dict[str, int]:
    """Rows per table of ``schema`` that exists (tables named as in pg_dump's output)."""
    counts = {}
    for table in tables:
        plain = table[1:-1].replace('""', '"') if table.startswith('"') else table
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %(s)s AND table_name = %(t)s",
            {"s": schema, "t": plain},
        ).first()
        if exists:
            # identifiers checked against the catalog just above and quoted: no value reaches the SQL text
            sql = "SELECT count(*) FROM {}.{}"
            counts[table] = conn.exec_driver_sql(sql.format(_ident(schema), _ident(plain))).scalar()
    return counts


def _restore_pg(source: Path, url, *, force: bool) -> str:
    """Copy the dump's rows into the schema the URL names, in one transaction, then check the row counts.

    ``pg_restore --clean`` would recreate the objects in the schema named *inside* the dump
    (the schema backed up, which may be another app's live data); pg_restore cannot rename a
    schema. So pg_restore only decodes the dump's data here; the target's tables are made by
    bikemap's own migrations at the backup's schema version, inside the target schema, and
    the rows are streamed in with ``COPY ... FROM STDIN``, all in one transaction.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    from .engine import MIGRATIONS, _migration_lock
    from .models import Base

    dump_schema, _tables = _dump_contents(source)
    data = _read_dump_data(source)
    version = data.version()
    engine = _pg_engine(url)
    try:
        try:
            conn = engine.connect()
        except Exception as exc:  # noqa: BLE001 - connection problems become one clear line
            raise _pg_connect_error(url, exc) from None
        with conn, conn.begin():
            _migration_lock(conn)  # no app instance migrates this database meanwhile
            schema = _pg_target_schema(conn, url)
            ours = set(data.tables) | {_ident(t) if not t.isidentifier() else t for t in Base.metadata.tables}
            held = {t: n for t, n in _pg_row_counts(conn, schema, ours).items() if n and t != "alembic_version"}
            if held and not force:
                raise InvalidValueError(
                    f"schema {schema} holds data ({sum(held.values())} rows); use --force to replace it with the backup"
                )
            for table in ours:
                plain = table[1:-1].replace('""', '"') if table.startswith('"') else table
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_ident(schema)}.{_ident(plain)} CASCADE")
            conn.exec_driver_sql(f"SET LOCAL search_path TO {_ident(schema)}")
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, version)
            except CommandError as exc:
                raise InvalidValueError(f"the backup's schema version {version} is unknown here: {exc}") from None
            raw = conn.connection.driver_connection
            for table, (columns, rows) in data.tables.items():
                if table == "alembic_version":
                    continue  # written by the migrations above
                with raw.cursor() as cur, cur.copy(f"COPY {_ident(schema)}.{table} {columns} FROM STDIN") as copy:
                    for row in rows:
                        copy.write(row + b"\n")
            for sequence, value, called in data.sequences:
                conn.exec_driver_sql(
                    "SELECT pg_catalog.setval(%(seq)s::regclass, %(v)s, %(c)s)",
                    {"seq": f"{_ident(schema)}.{sequence}", "v": value, "c": called},
                )
            got = _pg_row_counts(conn, schema, data.tables)
            want = {t: len(rows) for t, (_c, rows) in data.tables.items()}
            if got != want:
                bad = sorted(t for t in want if got.get(t) != want[t])
                raise InvalidValueError(f"row counts differ after the restore ({', '.join(bad)}); nothing was changed")
    except InvalidValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - the transaction rolled back; say why in one line
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise InvalidValueError(f"restore failed, nothing was changed: {first[0] if first else exc!r}") from None
    finally:
        engine.dispose()
    total = sum(want.values())
    return (
        f"restored schema {schema} of {url.render_as_string(hide_password=True)} from {source} "
        f"(backup of schema {dump_schema}; {total} rows in {len(want)} tables, counts verified)"
    )
