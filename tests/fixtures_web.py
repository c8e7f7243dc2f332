"""Fixtures of the web app (app, client, runner), as in flaskr's tests/conftest.py.

The app serves the demo network (the session's `demo_net`, loaded once) with
no background tiles, so no test touches the internet. `live_server` runs the
production server (waitress) in a thread on 127.0.0.1 for browser tests.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request

import pytest


@pytest.fixture(scope="session")
def web_app(demo_net):
    """One app for the session (building the Folium map once is what takes time)."""
    from webapp import create_app

    return create_app({"TESTING": True, "NETWORK": demo_net, "TILES_URL": ""})


@pytest.fixture
def app(web_app):
    return web_app


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
    from waitress.server import create_server

    server = create_server(web_app, host="127.0.0.1", port=_free_port(), threads=4)
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
