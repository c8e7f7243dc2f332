"""Fixtures of the web app (app, client, runner), as in flaskr's tests/conftest.py.

Every test gets its own `app` (flaskr style): the demo network (the session's
`demo_net`, loaded once and shared read-only), no background tiles (no test touches
the internet), and its own SQLite database, a copy of one seeded once per session
(`seeded_db`), so a test may write and no other test sees it. `live_server` runs
waitress in a thread on 127.0.0.1 for browser tests; its app is the session's, for
pages only. `served_by_granian` serves an app as ``bikemap serve`` does (granian), in
a process forked from the test's.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.request
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest

#: The expensive requests' budget is wall-clock seconds (default 10): on a loaded machine (the suite runs a
#: process more than the cores) a tour's first search can pass it, a 422 that says nothing of the tour.
#: tests/webapp/test_cost.py tests the budget with its own values.
TEST_COST_TIME_S = 30


def _settings(demo_net, url: str, **more) -> dict:
    return {
        "TESTING": True,
        "NETWORK": demo_net,
        "TILES_URL": "",
        "DATABASE_URL": url,
        "COST_TIME_S": TEST_COST_TIME_S,
        **more,
    }


@pytest.fixture(scope="session")
def seeded_db(demo_net, tmp_path_factory) -> Path:
    """An SQLite file migrated and seeded with the demo network's destinations, made once."""
    from webapp import create_app

    path = tmp_path_factory.mktemp("seeded") / "bikemap.sqlite3"
    app = create_app(_settings(demo_net, f"sqlite:///{path}"))
    app.extensions["bikemap_db"].dispose()
    return path


@pytest.fixture
def app(demo_net, seeded_db, tmp_path):
    """A fresh app for this test, with its own copy of the seeded database."""
    app = app_on_copy(demo_net, seeded_db, tmp_path, WARM_PROFILES=False)
    yield app
    app.extensions["bikemap_db"].dispose()


@pytest.fixture(scope="session")
def web_app(demo_net, seeded_db, tmp_path_factory):
    """The app `live_server` serves to browser tests (they read pages; a test that writes uses `app`)."""
    # no built-in base map: chromium draws it in software GL on every page, a fifth of a browser test's CPU;
    # tests/webapp/test_basemap_browser.py serves an app with it (`serve_in_thread`)
    return app_on_copy(demo_net, seeded_db, tmp_path_factory.mktemp("live"), BASEMAP="none")


def app_on_copy(demo_net, seeded_db: Path, folder: Path, **more):
    """A test app of the demo network on a copy (in ``folder``) of the seeded database; ``more``: settings."""
    from webapp import create_app

    path = folder / "bikemap.sqlite3"
    shutil.copyfile(seeded_db, path)
    return create_app(_settings(demo_net, f"sqlite:///{path}", SEED_DESTINATIONS=False, **more))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(web_app):
    """Base URL of the app served by waitress on 127.0.0.1 in a background thread."""
    yield from serve_in_thread(web_app)


def serve_in_thread(app):
    """Yield the base URL of ``app`` served by waitress on 127.0.0.1 in a background thread, once it answers."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=4)
    port = server.effective_port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/api/profiles", timeout=2).read()
            break
        except OSError:
            time.sleep(0.05)
    yield url
    server.close()


@contextmanager
def served_by_granian(app, **options):
    """Yield the port of ``app`` served as ``bikemap serve`` serves it (`webapp.cli.serve.serve_granian`
    with ``options``), by a process forked from this one, once it accepts connections.

    The fork shares the app already made here (no second start of Python, no network loaded again);
    granian forks its worker from it. SIGTERM stops both at the end."""
    from webapp.cli.serve import serve_granian

    port = _free_port()
    with warnings.catch_warnings():  # other threads of the test process are not copied, and the child needs none
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the server: never back into pytest
        code = 1
        try:
            serve_granian(app, "127.0.0.1", port, **options)
            code = 0
        except BaseException:
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)
    try:
        deadline = time.monotonic() + 30
        while True:
            if os.waitpid(pid, os.WNOHANG)[0]:
                pid = 0
                raise RuntimeError("the granian server exited")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the granian server did not start") from None
                time.sleep(0.02)
        yield port
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while not os.waitpid(pid, os.WNOHANG)[0]:
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.02)


# ----------------------------------------------------------------------------- chromium

#: Debian's chromium (``apt-get install chromium``); Playwright never downloads a browser here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for every browser test (skips when chromium or Playwright is missing)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()
