"""``bikemap serve``: the production server in a subprocess, and its option errors."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from routes import settings
from webapp.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {proc.stderr.read()}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("server did not start")


@pytest.mark.parametrize(
    "server, workers, stop",
    [("granian", 1, signal.SIGTERM), ("granian", 2, signal.SIGINT), ("waitress", 2, signal.SIGTERM)],
)
def test_serve_runs_the_server(demo_net, server, workers, stop):
    """``bikemap serve`` answers, with ``Server: bikemap``, and stops cleanly (exit 0) on SIGTERM or SIGINT."""
    port = _port()
    cmd = [
        sys.executable,
        "-m",
        "webapp.cli",
        "serve",
        "--source",
        "demo",
        "--cache-dir",
        str(settings.cache_folder),
        "--port",
        str(port),
        "--threads",
        "2",
        "--workers",
        str(workers),
        "--tiles",
        "none",
        "--server",
        server,
        "--graceful-timeout",
        "1",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stuck = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/api/profiles", proc)
        with urllib.request.urlopen(base + "/api/route?from=60.1716,24.9410&to=60.1660,24.9500") as r:
            assert r.headers.get_all("Server") == ["bikemap"]  # not granian's, nor the development server's
            assert json.loads(r.read())["properties"]["distance_m"] > 500
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/api/route?from=1,2")
        assert err.value.code == 400
        assert json.loads(err.value.read())["error"]["code"] == "InvalidQuery"
        page = urllib.request.urlopen(base + "/").read().decode()
        assert '<html lang="en">' in page and "L.tileLayer" not in page
        if Path("/proc/self/task").is_dir():  # Linux
            children = [c for t in Path(f"/proc/{proc.pid}/task").glob("*/children") for c in t.read_text().split()]
            assert len(children) == (0 if workers == 1 else workers)  # granian's one worker runs in the process
        # a request whose body never comes: the stop waits --graceful-timeout for it, not for ever
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.sendall(
            b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na="
        )
        time.sleep(0.3)  # in the app, reading the body
    finally:
        proc.send_signal(stop)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if stuck is not None:
            stuck.close()
    err = proc.stderr.read()
    assert "serving Helsinki (demo)" in err and "Traceback" not in err
    assert proc.returncode == 0, err
    if (server, workers) == ("granian", 1):  # its worker is a thread of the process: ended with the process
        assert "stopped with requests still running after 1 s" in err


def test_freezing_the_heap_raises_the_young_generations_threshold():
    """`bikemap serve` freezes what it loaded and lets a route's few thousand live objects pass without a collection."""
    import gc

    from webapp.cli.serve import GC_YOUNG, _freeze_heap

    before = gc.get_threshold()
    try:
        _freeze_heap()
        assert gc.get_threshold() == (GC_YOUNG, *before[1:])
        assert GC_YOUNG > 2_000 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize(
    "args, text",
    [
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--threads", "0"], "--threads"),
        (["--channel-timeout", "0"], "--channel-timeout"),
        (["--graceful-timeout", "0"], "--graceful-timeout"),
        (["--workers", "2", "--debug"], "--workers"),
        (["--source", "/no/such/file.osm.pbf"], "not found"),
    ],
)
def test_serve_bad_options(args, text, capsys):
    assert cli_main(["serve", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bikemap: error:") and text in err and "\n" not in err


def test_serve_unknown_server(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["serve", "--server", "gunicorn"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bikemap: error:") and "--server" in err and "\n" not in err


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_serve_port_in_use(capsys, server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli_main(["serve", "--source", "demo", "--port", str(port), "--workers", "2", "--server", server]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_serve_refuses_a_port_a_granian_server_listens_on(capsys):
    """granian binds with SO_REUSEPORT: a second ``bikemap serve`` on its port must still fail, not share it."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli_main(["serve", "--source", "demo", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bikemap: error: cannot listen") and "\n" not in err


def test_a_granian_worker_opens_database_connections_of_its_own(tmp_path, demo_net):
    """A granian worker is a fork of the process that made the app: its pool starts empty, and the
    inherited one is left to the parent, not closed (`webapp.cli.serve._own_connections`)."""
    from fixtures_db import make_staff_app

    from webapp.cli.serve import _own_connections

    app = make_staff_app(f"sqlite:///{tmp_path / 'w.sqlite3'}", demo_net)
    engine = app.extensions["bikemap_db"].engine
    with engine.connect() as conn:
        inherited = conn.connection.dbapi_connection
    _own_connections(app)
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is not inherited
    inherited.execute("select 1")  # still open
    engine.dispose()


def test_granian_sees_the_app_with_its_server_header_and_without_the_environment(monkeypatch):
    """granian copies the server's environment into every request's environ: what would read as a request
    header (``HTTP_*``) or a CGI variable is taken out unless the request set it; ``Server: bikemap``."""
    from webapp.cli.serve import _Served

    monkeypatch.setenv("HTTP_X_FROM_ENV", "env")
    monkeypatch.setenv("CONTENT_TYPE", "text/env")
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    served = _Served(app)
    answers = []
    environ = {"HTTP_X_FROM_ENV": "env", "CONTENT_TYPE": "text/env", "HTTP_HOST": "x", "PATH": "/bin"}
    assert served(environ, lambda status, headers, exc_info=None: answers.append(headers)) == [b"ok"]
    assert "HTTP_X_FROM_ENV" not in seen and "CONTENT_TYPE" not in seen and seen["HTTP_HOST"] == "x"
    assert answers == [[("Content-Type", "text/plain"), ("Server", "bikemap")]]
    served({"HTTP_X_FROM_ENV": "sent", "HTTP_HOST": "x"}, lambda *a: None)
    assert seen["HTTP_X_FROM_ENV"] == "sent"  # a header the request carries stays
