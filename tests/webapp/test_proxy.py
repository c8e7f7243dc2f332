"""``BIKEMAP_PROXY_FIX=1`` under ``bikemap serve`` (granian, and waitress), through a real proxy hop.

The finding (issue #13): waitress removed the ``X-Forwarded-*`` headers before the app
saw them, so behind a TLS proxy there was no HSTS, no ``Secure`` cookie, and every
visitor counted as the proxy's address (anyone's bad passwords locked the account
for everyone). Here a tiny reverse proxy in the test forwards to the server started
as ``bikemap serve`` starts it (granian: `webapp.cli.serve.serve_granian`, which passes
every header on and leaves the trust to the app's ProxyFix; waitress: with
`webapp.cli.serve._proxy`), adding ``X-Forwarded-For`` (appending its peer, as nginx's
``$proxy_add_x_forwarded_for``), ``-Proto: https`` and ``-Host``. Clients connect from
different loopback addresses, and send ``X-Forwarded-For`` of their own.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
from contextlib import contextmanager

import pytest
from fixtures_db import add_user, make_staff_app
from fixtures_web import served_by_granian


class _Proxy(http.server.BaseHTTPRequestHandler):
    upstream: int = 0

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "x-forwarded-proto")}
        sent = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{sent}, {self.client_address[0]}" if sent else self.client_address[0]
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = "bikemap.example"
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=30)
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _upstream(app, server: str):
    """The app on ``server`` with `bikemap serve`'s settings: yields its port."""
    if server == "granian":
        with served_by_granian(app, threads=4) as port:
            yield port
        return
    from waitress.server import create_server

    from webapp.cli.serve import _proxy

    srv = create_server(app, host="127.0.0.1", port=0, threads=4, **_proxy(app))
    threading.Thread(target=srv.run, daemon=True).start()
    try:
        yield srv.effective_port
    finally:
        srv.close()


@contextmanager
def _serving(app, server: str):
    """The app on ``server`` and the proxy in front: yields the proxy's port."""
    with _upstream(app, server) as upstream:
        handler = type("Proxy", (_Proxy,), {"upstream": upstream})
        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            yield proxy.server_address[1]
        finally:
            proxy.shutdown()
            proxy.server_close()


def _request(port: int, source: str, method: str, path: str, **kw) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    conn.request(method, path, **kw)
    resp = conn.getresponse()
    resp.body = resp.read()  # type: ignore[attr-defined]
    conn.close()
    return resp


def _attempt(port: int, source: str, spoofed: str) -> int:
    """One sign-in with a wrong password from ``source`` that claims to be ``spoofed``."""
    page = _request(port, source, "GET", "/admin/login", headers={"X-Forwarded-For": spoofed})
    cookie = page.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page.body).group(1).decode()
    form = f"name=ada&password=wrong&csrf_token={csrf}".encode()
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": "https://bikemap.example/admin/login",
        "X-Forwarded-For": spoofed,
    }
    return _request(port, source, "POST", "/admin/login", body=form, headers=headers).status


@pytest.fixture(params=["granian", "waitress"])
def server(request) -> str:
    return request.param


@pytest.fixture
def proxied(tmp_path, demo_net):
    def make(proxies: int):
        app = make_staff_app(
            f"sqlite:///{tmp_path / f'proxy{proxies}.sqlite3'}",
            demo_net,
            PROXY_FIX=proxies,
            LOGIN_LIMIT_ADDRESS="2 per minute",
            LOGIN_LIMIT_ACCOUNT="100 per minute",
        )
        add_user(app, "ada", "admin", "admin-pass")
        return app

    return make


def test_behind_the_proxy_https_and_client_addresses_are_seen(proxied, server):
    app = proxied(1)
    with _serving(app, server) as port:
        resp = _request(port, "127.0.0.2", "GET", "/admin/login")
        assert resp.status == 200
        assert resp.getheader("Strict-Transport-Security") == "max-age=31536000"
        assert "Secure" in resp.getheader("Set-Cookie")
        # per address: 127.0.0.2 is stopped after two attempts whatever X-Forwarded-For it sends ...
        codes = [_attempt(port, "127.0.0.2", f"198.51.100.{i}") for i in range(3)]
        assert codes == [401, 401, 429]
        # ... while another visitor behind the same proxy is not
        assert _attempt(port, "127.0.0.3", "198.51.100.1") == 401
    app.extensions["bikemap_db"].dispose()


def test_without_proxy_fix_forwarded_headers_are_ignored(proxied, server):
    app = proxied(0)
    with _serving(app, server) as port:
        resp = _request(port, "127.0.0.2", "GET", "/admin/login")
        assert resp.getheader("Strict-Transport-Security") is None
        assert "Secure" not in resp.getheader("Set-Cookie")
        # every visitor is the proxy (127.0.0.1): one visitor's attempts stop the next
        assert [_attempt(port, "127.0.0.2", "x"), _attempt(port, "127.0.0.2", "x")] == [401, 401]
        assert _attempt(port, "127.0.0.3", "x") == 429
    app.extensions["bikemap_db"].dispose()
