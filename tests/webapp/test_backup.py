"""``bikemap db backup`` / ``bikemap db restore`` on SQLite and PostgreSQL, taken while writers run."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

BATCH = 7  # destinations per writer transaction


def _main(argv, capsys):
    from webapp.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _writer(db, stop: threading.Event, prefix: str, done: list) -> None:
    """Commit transactions of BATCH new destinations (plus history) until told to stop."""
    from webapp.storage.destinations import create_destination

    k = 0
    while not stop.is_set():
        with db.session() as s:
            for i in range(BATCH):
                create_destination(
                    s,
                    {"name": f"{prefix}{k}-{i}", "category": "park", "lon": 24.95, "lat": 60.17},
                    user="writer",
                    commit=False,
                )
            s.commit()
        done.append(k)
        k += 1


def _one_more_each(done: list[list[int]], seconds: float = 60) -> None:
    """Wait until every writer has committed a transaction begun after the backup ended (so not in it).

    The writers' counts are read after the backup; a writer's first count after that may be of a
    transaction committed before, the second is of one begun after (polled instead of a fixed sleep).
    """
    marks = [len(d) for d in done]
    deadline = time.monotonic() + seconds
    while any(len(d) < m + 2 for d, m in zip(done, marks, strict=True)):
        assert time.monotonic() < deadline, "a writer stopped"
        time.sleep(0.005)


def _batches(url: str) -> dict[str, int]:
    """Rows per writer transaction (name prefix) and the history rows of each."""
    from webapp.storage.engine import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.name, (SELECT count(*) FROM destination_history h WHERE h.destination_id = d.id) "
                    "FROM destinations d WHERE d.updated_by = 'writer'"
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[str, int] = {}
    for name, hist in rows:
        assert hist == 1, f"{name} has {hist} history rows"
        key = name.rsplit("-", 1)[0]
        out[key] = out.get(key, 0) + 1
    return out


def _sqlite_check(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_backup_during_writes_is_consistent_and_restores(migrated_db_url, tmp_path, capsys):
    from webapp.storage import open_database

    db_url = migrated_db_url
    db = open_database(db_url)
    stop = threading.Event()
    done: list[list[int]] = [[], [], []]
    writers = [threading.Thread(target=_writer, args=(db, stop, f"w{n}b", done[n])) for n in range(3)]
    for w in writers:
        w.start()
    try:
        while sum(map(len, done)) < 6:  # the backup starts while transactions are committing
            time.sleep(0.01)
        backup = tmp_path / ("backup.sqlite3" if db_url.startswith("sqlite") else "backup.dump")
        code, out, err = _main(["db", "backup", str(backup), "--db", db_url], capsys)
        assert code == 0, err
        assert "backed up" in out
        _one_more_each(done)  # more transactions after the backup
    finally:
        stop.set()
        for w in writers:
            w.join()
    committed = sum(map(len, done))
    live = _batches(db_url)
    assert sum(live.values()) == committed * BATCH

    if db_url.startswith("sqlite"):
        _sqlite_check(backup)
        restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        code, out, err = _main(["db", "restore", str(backup), "--db", restored_url], capsys)
        assert code == 0, err
        _sqlite_check(tmp_path / "restored.sqlite3")
    else:
        restored_url = db_url  # replace the live schema: refused without --force
        code, _, err = _main(["db", "restore", str(backup), "--db", db_url], capsys)
        assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
        assert _batches(db_url) == live
        code, out, err = _main(["db", "restore", str(backup), "--db", db_url, "--force"], capsys)
        assert code == 0, err
    db.dispose()
    restored = _batches(restored_url)
    # every transaction is in the backup whole or not at all, and the backup missed the later ones
    assert restored and set(restored.values()) == {BATCH}
    assert set(restored) < set(live)
    # the restored database works: the app opens it (migrations) and writes to it
    again = open_database(restored_url)
    _writer_once(again)
    again.dispose()


def _writer_once(db) -> None:
    stop = threading.Event()
    stop.set()
    from webapp.storage.destinations import create_destination

    with db.session() as s:
        row = create_destination(
            s, {"name": "after restore", "category": "park", "lon": 24.95, "lat": 60.17}, user="clerk"
        )
        assert row.id is not None


def test_sqlite_restore_replaces_a_live_database_atomically(tmp_path, capsys):
    """A restore with --force into a file an app has open: the app sees the backup's rows at once."""
    from webapp.storage import open_database
    from webapp.storage.destinations import create_destination

    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    db = open_database(url)
    with db.session() as s:
        create_destination(s, {"name": "kept", "category": "park", "lon": 24.95, "lat": 60.17}, user="writer")
    assert _main(["db", "backup", str(tmp_path / "one.sqlite3"), "--db", url], capsys)[0] == 0
    with db.session() as s:
        create_destination(s, {"name": "later", "category": "park", "lon": 24.95, "lat": 60.17}, user="writer")
    code, _, err = _main(["db", "restore", str(tmp_path / "one.sqlite3"), "--db", url], capsys)
    assert code == 2 and "--force" in err
    code, _, err = _main(["db", "restore", str(tmp_path / "one.sqlite3"), "--db", url, "--force"], capsys)
    assert code == 0, err
    with db.engine.connect() as conn:  # the open app's connections read the restored data
        names = [r[0] for r in conn.execute(text("SELECT name FROM destinations"))]
    assert names == ["kept"]
    db.dispose()
    _sqlite_check(tmp_path / "live.sqlite3")


def test_bad_files_and_options_are_one_line_errors(tmp_path, capsys):
    from webapp.storage import open_database

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    open_database(url).dispose()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    cases = [
        (["db", "restore", str(tmp_path / "missing.sqlite3"), "--db", url], "no such file"),
        (["db", "restore", str(junk), "--db", url, "--force"], "not an SQLite database"),
        (["db", "backup", str(junk), "--db", url], "--force"),
        (["db", "backup", str(tmp_path / "b.sqlite3"), "--db", "sqlite://"], "in-memory"),
        (["db", "backup", str(tmp_path / "b.sqlite3"), "--db", "nosuchdb://x"], "not supported"),
    ]
    # an SQLite file that is not a bikemap database
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    cases.append((["db", "restore", str(other), "--db", f"sqlite:///{tmp_path / 'new.sqlite3'}"], "not a bikemap"))
    for argv, message in cases:
        code, _, err = _main(argv, capsys)
        assert code == 2, argv
        assert message in err and err.startswith("bikemap: error:") and len(err.strip().splitlines()) == 1, err
    # a damaged copy is refused and the target is left as it was
    good = tmp_path / "good.sqlite3"
    assert _main(["db", "backup", str(good), "--db", url], capsys)[0] == 0
    data = bytearray(good.read_bytes())
    data[3000:4096] = b"\xff" * 1096  # scribble over the schema (end of the first page)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(bytes(data))
    before = (tmp_path / "x.sqlite3").read_bytes()
    code, _, err = _main(["db", "restore", str(damaged), "--db", url, "--force"], capsys)
    assert code == 2 and "damaged" in err
    assert (tmp_path / "x.sqlite3").read_bytes() == before


def _table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every bikemap table, sorted (the content of a database, for comparisons)."""
    from webapp.storage.engine import normalise_url
    from webapp.storage.models import Base

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return {
                name: sorted(tuple(map(repr, r)) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
                for name in sorted(Base.metadata.tables)
            }
    finally:
        engine.dispose()


def _second_pg_database():
    """A throwaway PostgreSQL database beside the test one: (URL, drop function)."""
    import uuid

    from fixtures_db import PG_URL, _pg_admin

    admin = _pg_admin()
    name = f"bikemap_restore_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    base = PG_URL.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{base}/{name}", drop


def test_pg_restore_into_another_schema_and_database_leaves_the_source_alone(tmp_path, capsys):
    """#13: restoring a backup of schema A into schema B wiped A; it must write only into B."""
    from fixtures_db import empty_database

    from webapp.storage import open_database

    src_gen, new_gen = (
        empty_database("postgresql", tmp_path, "bm_src"),
        empty_database("postgresql", tmp_path, "bm_new"),
    )
    src_url, new_url = next(src_gen), next(new_gen)
    other_url, drop_other = _second_pg_database()
    try:
        db = open_database(src_url)
        stop = threading.Event()
        done: list[list[int]] = [[], []]
        writers = [threading.Thread(target=_writer, args=(db, stop, f"s{n}b", done[n])) for n in range(2)]
        for w in writers:
            w.start()
        try:
            while sum(map(len, done)) < 4:
                time.sleep(0.01)
            code, out, err = _main(["db", "backup", str(tmp_path / "src.dump"), "--db", src_url], capsys)
            assert code == 0, err
            _one_more_each(done)  # more transactions after the backup
        finally:
            stop.set()
            for w in writers:
                w.join()
        source_before = _table_rows(src_url)
        assert len(source_before["destinations"]) == sum(map(len, done)) * BATCH

        # an empty schema of the same database, and a database of its own (public schema)
        for target in (new_url, other_url):
            code, out, err = _main(["db", "restore", str(tmp_path / "src.dump"), "--db", target], capsys)
            assert code == 0, err
            assert _table_rows(src_url) == source_before  # the source is untouched
            assert "restored" in out and "counts verified" in out
        in_schema, in_database = _table_rows(new_url), _table_rows(other_url)
        assert in_schema == in_database
        # the target equals the backup: whole transactions only, each row as in the source
        batches = _batches(new_url)
        assert batches and set(batches.values()) == {BATCH}
        assert len(in_schema["destinations"]) < len(source_before["destinations"])
        for table, rows in in_schema.items():
            assert set(rows) <= set(source_before[table]), table

        # a target holding rows is refused without --force, and left as it was
        db.dispose()
        open_database(new_url).dispose()  # the restored schema opens (migrates to head) and is usable
        code, _, err = _main(["db", "restore", str(tmp_path / "src.dump"), "--db", new_url], capsys)
        assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
        assert _table_rows(new_url) == in_schema
        code, out, err = _main(["db", "restore", str(tmp_path / "src.dump"), "--db", new_url, "--force"], capsys)
        assert code == 0, err
        assert _table_rows(new_url) == in_schema
        again = open_database(new_url)
        _writer_once(again)  # sequences were carried over: new ids do not collide
        again.dispose()
        assert _table_rows(src_url) == source_before
    finally:
        drop_other()
        for gen in (src_gen, new_gen):
            gen.close()


def test_sqlite_restore_refuses_a_target_with_rows_and_verifies_counts(tmp_path, capsys):
    from webapp.storage import open_database
    from webapp.storage.destinations import create_destination

    src, dst = f"sqlite:///{tmp_path / 'src.sqlite3'}", f"sqlite:///{tmp_path / 'dst.sqlite3'}"
    db = open_database(src)
    with db.session() as s:
        for i in range(5):
            create_destination(s, {"name": f"d{i}", "category": "park", "lon": 24.95, "lat": 60.17}, user="writer")
    db.dispose()
    open_database(dst).dispose()  # an empty, migrated target is not "data": no --force needed
    assert _main(["db", "backup", str(tmp_path / "b.sqlite3"), "--db", src], capsys)[0] == 0
    code, out, err = _main(["db", "restore", str(tmp_path / "b.sqlite3"), "--db", dst], capsys)
    assert code == 0, err
    assert "counts verified" in out
    assert _table_rows(dst) == _table_rows(src)
    code, _, err = _main(["db", "restore", str(tmp_path / "b.sqlite3"), "--db", dst], capsys)
    assert code == 2 and "--force" in err


def test_pg_backup_leaves_out_the_place_index(tmp_path, capsys):
    """The place index tables (derived from the extract) stay out of a backup, so a restore never trips on them."""
    from fixtures_db import empty_database
    from sqlalchemy import inspect

    from webapp.storage import open_database
    from webapp.storage.places import _meta, place_index

    src_gen, new_gen = (
        empty_database("postgresql", tmp_path, "bm_psrc"),
        empty_database("postgresql", tmp_path, "bm_pn"),
    )
    src_url, new_url = next(src_gen), next(new_gen)
    try:
        db = open_database(src_url)
        _meta.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(place_index.insert().values(key="k", items=0, built_at=datetime.now(UTC)))
        db.dispose()
        code, _out, err = _main(["db", "backup", str(tmp_path / "p.dump"), "--db", src_url], capsys)
        assert code == 0, err
        code, out, err = _main(["db", "restore", str(tmp_path / "p.dump"), "--db", new_url], capsys)
        assert code == 0 and "restored" in out, err
        restored = open_database(new_url)
        assert "place_index" not in inspect(restored.engine).get_table_names()
        restored.dispose()
    finally:
        for gen in (src_gen, new_gen):
            next(gen, None)
