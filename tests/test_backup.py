"""``bikemap db backup`` / ``bikemap db restore`` on SQLite and PostgreSQL, taken while writers run."""

from __future__ import annotations

import threading
import time
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


def test_backup_during_writes_is_consistent_and_restores(db_url, tmp_path, capsys):
    from webapp.storage import open_database

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
        time.sleep(0.2)  # more transactions after the backup
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
