"""Start-up (issue #13): every bad setting ends ``bikemap serve`` with one line naming it and exit code 2.

Each case replays a finding: tracebacks for a corrupt SQLite file (130 lines), a database
from a newer migration (89 lines of alembic), a missing column; tracebacks after
"serving" for ``BIKEMAP_GBFS_TIMEOUT=abc`` and non-numeric size limits; a server that
listened but answered 500 for a bad ``BIKEMAP_CSP`` or ``BIKEMAP_LANGUAGES``; and
``bikemap serve`` ignoring ``BIKEMAP_SOURCE``. Also: a database seeded for one area
refuses a network elsewhere.
"""

from __future__ import annotations

import sqlite3

import pytest

from webapp.cli import main


def _serve(monkeypatch, capsys, tmp_path, env: dict[str, str], *args: str) -> tuple[int, str]:
    for key in [k for k in __import__("os").environ if k.startswith("BIKEMAP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BIKEMAP_WARM_PROFILES", "false")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    code = main(["serve", "--port", "1", *args])  # never reached: the start stops before listening
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "env,named",
    [
        ({"BIKEMAP_GBFS_TIMEOUT": "abc"}, "GBFS_TIMEOUT"),
        ({"BIKEMAP_IMPORT_MAX_BYTES": "5MB"}, "IMPORT_MAX_BYTES"),
        ({"BIKEMAP_STAFF_MAX_BYTES": "-1"}, "STAFF_MAX_BYTES"),
        ({"BIKEMAP_IMPORT_MAX_ROWS": "many"}, "IMPORT_MAX_ROWS"),
        ({"BIKEMAP_CSP": "default-src 'self'; script-src 'nonce-{nonse}'"}, "CSP"),
        ({"BIKEMAP_CSP": "default-src {"}, "CSP"),
        ({"BIKEMAP_LANGUAGES": "en,xx"}, "LANGUAGES"),
        ({"BIKEMAP_LANGUAGES": "[]"}, "LANGUAGES"),
        ({"BIKEMAP_PROXY_FIX": "yes"}, "PROXY_FIX"),
        ({"BIKEMAP_LOGIN_LIMIT_ACCOUNT": "five"}, "LOGIN_LIMIT_ACCOUNT"),
        ({"BIKEMAP_REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ],
)
def test_bad_setting_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path, env, named):
    code, err = _serve(monkeypatch, capsys, tmp_path, env)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("bikemap: error: ") and f"BIKEMAP_{named}" in err, err
    assert "serving" not in err and "Traceback" not in err


def test_serve_honours_bikemap_source(monkeypatch, capsys, tmp_path):
    code, err = _serve(monkeypatch, capsys, tmp_path, {"BIKEMAP_SOURCE": str(tmp_path / "nowhere.osm.pbf")})
    assert code == 2 and "nowhere.osm.pbf" in err and err.count("\n") == 1
    # --source still wins over the variable
    code, err = _serve(
        monkeypatch, capsys, tmp_path, {"BIKEMAP_SOURCE": "demo"}, "--source", str(tmp_path / "other.osm.pbf")
    )
    assert code == 2 and "other.osm.pbf" in err


def _db_file(tmp_path, demo_net):
    """A database made by this bikemap for the demo network; returns its URL and path."""
    from webapp import create_app

    path = tmp_path / "db.sqlite3"
    app = create_app({"NETWORK": demo_net, "DATABASE_URL": f"sqlite:///{path}", "WARM_PROFILES": False})
    app.extensions["bikemap_db"].dispose()
    return f"sqlite:///{path}", path


def test_corrupt_sqlite_file(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "broken.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    code, err = _serve(monkeypatch, capsys, tmp_path, {}, "--source", "demo", "--db", f"sqlite:///{bad}")
    assert code == 2 and err.count("\n") == 1 and "DATABASE_URL" in err and "not a database" in err, err


def test_database_from_a_newer_migration(monkeypatch, capsys, tmp_path, demo_net):
    url, path = _db_file(tmp_path, demo_net)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    code, err = _serve(monkeypatch, capsys, tmp_path, {}, "--source", "demo", "--db", url)
    assert code == 2 and err.count("\n") == 1 and "0099" in err and "newer bikemap" in err, err


def test_database_with_a_missing_column(monkeypatch, capsys, tmp_path, demo_net):
    url, path = _db_file(tmp_path, demo_net)
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE destinations DROP COLUMN website")
    code, err = _serve(monkeypatch, capsys, tmp_path, {}, "--source", "demo", "--db", url)
    assert code == 2 and err.count("\n") == 1 and "'website'" in err and "destinations" in err, err


def test_database_of_another_area_is_refused(monkeypatch, capsys, tmp_path, demo_net, liechtenstein_net):
    """The finding: Liechtenstein was served with Paris's destinations from the same instance folder."""
    from webapp import create_app
    from webapp.errors import SettingError

    url, _ = _db_file(tmp_path, demo_net)  # seeded for Helsinki
    with pytest.raises(SettingError) as info:
        create_app({"NETWORK": liechtenstein_net, "DATABASE_URL": url, "WARM_PROFILES": False})
    message = str(info.value)
    assert "Helsinki" in message and "Liechtenstein" in message.title() and "--db" in message
    # the same area starts again
    app = create_app({"NETWORK": demo_net, "DATABASE_URL": url, "WARM_PROFILES": False})
    app.extensions["bikemap_db"].dispose()


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/task"), reason="counts threads in /proc (Linux)")
@pytest.mark.skipif((__import__("os").cpu_count() or 1) < 2, reason="OpenBLAS makes no pool on one core")
def test_the_bikemap_command_gives_blas_one_thread_unless_told():
    """NumPy's OpenBLAS pool cost a start 0.1-0.3 s of CPU (issue #19): the command sets one thread before
    NumPy is imported, and an OPENBLAS_NUM_THREADS already set is kept."""
    import os
    import subprocess
    import sys

    code = "import os, webapp.cli, numpy; print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.split() == ["1", "1"]
    told = {**env, "OPENBLAS_NUM_THREADS": "2"}
    assert subprocess.run(run, env=told, capture_output=True, text=True, check=True).stdout.split() == ["2", "2"]
