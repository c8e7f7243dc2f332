"""Slowloris (#13): idle connections that send a header line now and then stopped waitress accepting.

granian (``bikemap serve``'s server) closes a connection whose request head has not all
arrived within ``--channel-timeout`` seconds, however it trickles, and one that sends
nothing: here more such clients than it accepts do not keep a normal request from an
answer. What it cannot bound is a slowly sent body: the app's thread that reads it waits
(the control below), and waitress cannot bound a client that trickles its headers (each
byte resets ``channel_timeout``; the other control). So production runs behind a
buffering reverse proxy (docs/operations.md): nginx with the documented settings in front
of granian on 127.0.0.1 keeps the app answering under both.

The nginx test is skipped with the reason when nginx is not installed (``apt-get install nginx-light``).
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import threading
import time

import pytest
from fixtures_web import served_by_granian

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if shutil.which("/usr/sbin/nginx") else None)
SLOW = 40  # slow connections: twice the servers' connection limit below
LIMIT = 20
THREADS = 2  # granian's threads for the app: as many slow bodies hold them all


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(prefix, listen: int, upstream: int) -> str:
    """The documented proxy settings (docs/operations.md), with test paths."""
    return f"""
worker_processes 1;
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 30s;
    keepalive_timeout 30s;
    client_max_body_size 12m;
    limit_conn_zone $binary_remote_addr zone=per_ip:10m;
    server {{
        listen 127.0.0.1:{listen};
        limit_conn per_ip 200;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_read_timeout 60s;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def _app(demo_net):
    from webapp import create_app

    return create_app({"TESTING": True, "NETWORK": demo_net, "TILES_URL": "", "WARM_PROFILES": False})


@pytest.fixture()
def granian_app(demo_net):
    """The app under granian as ``bikemap serve`` runs it, with a small connection limit and a 1 s head timeout."""
    with served_by_granian(_app(demo_net), threads=THREADS, connection_limit=LIMIT, header_timeout=1) as port:
        yield port


@pytest.fixture()
def waitress_app(demo_net):
    """The app under waitress with the settings of ``bikemap serve --server waitress`` (a small connection limit)."""
    import waitress

    app = _app(demo_net)
    port = _free_port()
    server = waitress.create_server(
        app, host="127.0.0.1", port=port, threads=4, connection_limit=LIMIT, channel_timeout=30, cleanup_interval=10
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield port
    server.close()


@pytest.fixture()
def nginx(tmp_path, granian_app):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the proxy set-up is not tested")
    port = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(tmp_path, port, granian_app))
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.skip(f"nginx does not start here: {proc.stderr.read().decode()[-300:]}")
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(10)


def _slow_clients(port: int, n: int, start: bytes = b"GET /api/profiles HTTP/1.1\r\nHost: x\r\nX-a: ") -> list:
    """``n`` connections that sent ``start`` (by default the start of a request's head) and then send one byte
    at a time, slowly; ``b""``: connections that send nothing at all."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if start:
            s.sendall(start)
        socks.append(s)
    return socks


#: The head of a request whose body then comes a byte at a time (the app reads it: a sign-in form).
SLOW_BODY = (
    b"POST /admin/login HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname="
)


def _trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    while not stop.wait(0.5):
        for s in socks:
            try:
                s.send(b"a")
            except OSError:
                pass


def _normal_request(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/profiles")
        return conn.getresponse().status
    finally:
        conn.close()


def _under_slowloris(port: int, timeout: float, socks: list | None = None, settle: float = 1.0):
    socks = _slow_clients(port, SLOW) if socks is None else socks
    stop = threading.Event()
    thread = threading.Thread(target=_trickle, args=(socks, stop), daemon=True)
    thread.start()
    try:
        time.sleep(settle)  # the slow clients are in: the server has taken what it accepts
        try:
            return _normal_request(port, timeout)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            return exc
    finally:
        stop.set()
        thread.join()
        for s in socks:
            s.close()


def test_granian_closes_slow_and_silent_clients(granian_app):
    """As many clients as granian accepts, half trickling their heads, half silent: all closed after the
    head timeout (1 s here), and a normal request, the one too many, answers."""
    socks = _slow_clients(granian_app, LIMIT // 2) + _slow_clients(granian_app, LIMIT // 2, b"")
    assert _under_slowloris(granian_app, 5, socks, settle=0.3) == 200


def test_a_slow_body_holds_a_granian_thread(granian_app):
    """The control: as many bodies trickled straight at granian as it has threads for the app, and a
    normal request waits (granian has no timeout for a body); it answers once they are gone."""
    outcome = _under_slowloris(granian_app, 0.7, _slow_clients(granian_app, THREADS, SLOW_BODY), settle=0.3)
    assert not isinstance(outcome, int), outcome
    assert _normal_request(granian_app, 10) == 200


def test_a_buffering_proxy_keeps_the_app_answering_under_slowloris(nginx, granian_app):
    assert _normal_request(nginx, 10) == 200
    # nginx holds the slow heads and bodies; granian never sees them
    assert _under_slowloris(nginx, 10, _slow_clients(nginx, SLOW) + _slow_clients(nginx, SLOW, SLOW_BODY)) == 200


def test_without_the_proxy_slow_clients_block_waitress(waitress_app):
    """The control: the same slow clients straight at waitress (more than its connection limit)."""
    assert _normal_request(waitress_app, 10) == 200
    outcome = _under_slowloris(waitress_app, 1.5, settle=0.5)
    assert not isinstance(outcome, int), outcome  # no answer: waitress stopped accepting
    time.sleep(0.5)
    assert _normal_request(waitress_app, 10) == 200  # and it recovers once they are gone
