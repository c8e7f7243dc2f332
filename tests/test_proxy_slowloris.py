"""Slowloris (#13): idle connections that send a header line now and then stopped waitress accepting.

waitress cannot bound a client that trickles its headers (each byte resets ``channel_timeout``),
so production runs behind a buffering reverse proxy (docs/operations.md). This test
runs nginx with the documented settings in front of the app on 127.0.0.1, opens more slow
connections than waitress accepts, and checks that a normal request still answers; and,
as the control, that the same slow connections straight at waitress do block it.

Skipped with the reason when nginx is not installed (``apt-get install nginx-light``).
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import threading
import time

import pytest

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if shutil.which("/usr/sbin/nginx") else None)
SLOW = 40  # slow connections: twice waitress's connection limit below
LIMIT = 20


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


@pytest.fixture()
def waitress_app(demo_net):
    """The app under waitress with the settings of ``bikemap serve`` (a small connection limit)."""
    import waitress

    from webapp import create_app

    app = create_app({"TESTING": True, "NETWORK": demo_net, "TILES_URL": "", "WARM_PROFILES": False})
    port = _free_port()
    server = waitress.create_server(
        app, host="127.0.0.1", port=port, threads=4, connection_limit=LIMIT, channel_timeout=30, cleanup_interval=10
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield port
    server.close()


@pytest.fixture()
def nginx(tmp_path, waitress_app):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the proxy set-up is not tested")
    port = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(tmp_path, port, waitress_app))
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


def _slow_clients(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that started a request and then send one header byte at a time, slowly."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /api/profiles HTTP/1.1\r\nHost: x\r\nX-a: ")
        socks.append(s)
    return socks


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


def _under_slowloris(port: int, timeout: float):
    socks = _slow_clients(port, SLOW)
    stop = threading.Event()
    thread = threading.Thread(target=_trickle, args=(socks, stop), daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # the slow clients are in: waitress has taken what it accepts
        try:
            return _normal_request(port, timeout)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            return exc
    finally:
        stop.set()
        thread.join()
        for s in socks:
            s.close()


def test_a_buffering_proxy_keeps_the_app_answering_under_slowloris(nginx, waitress_app):
    assert _normal_request(nginx, 10) == 200
    assert _under_slowloris(nginx, 10) == 200  # nginx holds the slow ones; waitress never sees them


def test_without_the_proxy_slow_clients_block_waitress(waitress_app):
    """The control: the same slow clients straight at waitress (more than its connection limit)."""
    assert _normal_request(waitress_app, 10) == 200
    outcome = _under_slowloris(waitress_app, 3)
    assert not isinstance(outcome, int), outcome  # no answer: waitress stopped accepting
    time.sleep(0.5)
    assert _normal_request(waitress_app, 10) == 200  # and it recovers once they are gone
