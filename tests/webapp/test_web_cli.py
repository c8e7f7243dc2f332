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


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_waitress(demo_net, workers):
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
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/api/profiles", proc)
        with urllib.request.urlopen(base + "/api/route?from=60.1716,24.9410&to=60.1660,24.9500") as r:
            assert r.headers["Server"] == "bikemap"  # waitress (ident), not the development server
            assert json.loads(r.read())["properties"]["distance_m"] > 500
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/api/route?from=1,2")
        assert err.value.code == 400
        assert json.loads(err.value.read())["error"]["code"] == "InvalidQuery"
        page = urllib.request.urlopen(base + "/").read().decode()
        assert '<html lang="en">' in page and "L.tileLayer" not in page
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "serving Helsinki (demo)" in proc.stderr.read()


@pytest.mark.parametrize(
    "args, text",
    [
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--threads", "0"], "--threads"),
        (["--workers", "2", "--debug"], "--workers"),
        (["--source", "/no/such/file.osm.pbf"], "not found"),
    ],
)
def test_serve_bad_options(args, text, capsys):
    assert cli_main(["serve", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bikemap: error:") and text in err and "\n" not in err


def test_serve_port_in_use(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli_main(["serve", "--source", "demo", "--port", str(port), "--workers", "2"]) == 2
    assert "cannot listen" in capsys.readouterr().err


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
