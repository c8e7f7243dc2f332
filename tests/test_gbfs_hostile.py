"""Hostile GBFS feeds (#13): slow, deep, huge, mostly invalid, re-keyed, redirecting elsewhere.

A feed is outside our control: none of these may fail or hold a request that does not need it,
nor replace a good copy. Feeds are served on 127.0.0.1 by tests/gbfs_fixtures/feedserver.py or by
the trickling server below.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from gbfs_fixtures.feedserver import FeedServer
from test_bikeshare_planner import TRIPS, WHEN

from routes import gbfs
from routes.gbfs import GbfsClient

T0 = 1_700_000_000.0


class Clock:
    def __init__(self, t: float = T0 + 5):
        self.t = t

    def __call__(self) -> float:
        return self.t


class Trickle:
    """An HTTP server that answers every GET one byte every ``pause`` seconds (status line included)
    until ``release`` is set: the 1-byte-a-second feed of the issue."""

    def __init__(self, *, pause: float = 0.05, in_headers: bool = False):
        self.release = threading.Event()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests += 1
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                body = b"[" + b" " * 99998 + b"]"
                data = head + body if in_headers else body
                if not in_headers:
                    self.wfile.write(head)
                try:
                    for i in range(len(data)):
                        if server.release.is_set():
                            return
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:
                    return

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/gbfs.json"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def srv():
    with FeedServer() as server:
        yield server


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_trickling_feed_ends_at_the_deadline(in_headers):
    """1 byte at a time, before or after the headers: the refresh ends at its deadline, not at the last byte."""
    with Trickle(in_headers=in_headers) as feed:
        c = GbfsClient(feed.url, timeout=0.5)
        t = time.monotonic()
        with pytest.raises(gbfs.FeedError, match="did not answer within 0.5 s"):
            c.snapshot()
        elapsed = time.monotonic() - t
        # a 100 kB body at 20 bytes a second would take 80 minutes; the deadline ends it
        assert elapsed < 30, elapsed


def test_requests_never_wait_for_a_hanging_feed(paris_net):
    """The issue: before a first good read every waiting thread ran its own refresh; /api/profiles took 189 s.

    The feed below never finishes while the requests run; if any request waited for it, it
    could not complete before ``release`` is set.
    """
    from webapp import create_app

    with Trickle() as feed:
        app = create_app(
            {
                "TESTING": True,
                "NETWORK": paris_net,
                "TILES_URL": "",
                "WARM_PROFILES": False,
                "GBFS_URL": feed.url,
                "GBFS_TIMEOUT": 0.5,
            }
        )
        client = gbfs.client_for(feed.url)
        client.timeout = 3600.0  # from now on the feed would hold a waiting request for an hour
        client._next_due = 0.0
        results: list[tuple[str, int, bool]] = []

        def ask(path: str) -> None:
            resp = app.test_client().get(path)
            results.append((path, resp.status_code, bool(resp.get_json())))

        paths = ["/api/profiles", "/api/stations", "/api/stations", "/api/profiles"] * 3
        threads = [threading.Thread(target=ask, args=(p,)) for p in paths]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not feed.release.is_set() and len(results) == len(paths)  # all answered, feed still hanging
        assert all(code == 200 and ok for _p, code, ok in results), results
        stations = app.test_client().get("/api/stations").get_json()
        assert stations["live"] is False and "no live data" in stations["stale_reason"]
        assert feed.requests <= 2  # one refresh at a time (the start-up read and one background refresh)
        gbfs._clients.pop((feed.url, None), None)


def _good_then(srv, path, bad, *, clock=None):
    clock = clock or Clock()
    c = GbfsClient(srv.url("v2/gbfs.json"), timeout=2.0, clock=clock)
    good = c.snapshot()
    srv.set(path, bad)
    clock.t += 120
    return c, good, c.snapshot(), clock


def _status(srv, change) -> dict:
    doc = srv.load("v2/station_status.json")
    change(doc["data"]["stations"])
    return doc


@pytest.mark.parametrize(
    "name, body, reason",
    [
        ("deep JSON", b'{"data": ' + b"[" * 50000 + b"]" * 50000 + b"}", "nested too deeply"),
        ("400-digit counts", None, "only 0 of 4 entries are valid"),
        ("mostly invalid", None, "only 1 of 4 entries are valid"),
        ("re-keyed", None, "re-keyed"),
        ("emptied", None, "0 stations"),
    ],
)
def test_a_broken_feed_never_replaces_the_good_copy(srv, name, body, reason):
    def huge(stations):
        for s in stations:
            s["num_bikes_available"] = 10**400

    def mostly_invalid(stations):
        for s in stations[1:]:
            s["is_renting"] = "perhaps"

    def rekeyed(stations):
        for s in stations:
            s["station_id"] = "new-" + s["station_id"]

    def emptied(stations):
        stations.clear()

    changes = {"400-digit counts": huge, "mostly invalid": mostly_invalid, "re-keyed": rekeyed, "emptied": emptied}
    if body is None:
        body = _status(srv, changes[name])
    c, good, snap, clock = _good_then(srv, "v2/station_status.json", body)
    assert snap.stale and reason in snap.stale_reason, snap.stale_reason
    assert snap.stations == good.stations  # the good copy is served
    hits = srv.hits["v2/station_status.json"]
    for _ in range(5):  # and the broken feed is not fetched again on every request
        clock.t += 1
        c.snapshot()
    assert srv.hits["v2/station_status.json"] == hits


def test_broken_feeds_never_fail_web_requests(srv, paris_net):
    """Tours without bike share, stations and bike-share routes answer 200 with a hostile feed."""
    from webapp import create_app

    url = srv.url("v2/gbfs.json")
    gbfs._clients.pop((url, None), None)
    srv.set("v2/station_information.json", b'{"data": {"stations": ' + b"[" * 100000 + b"]" * 100000 + b"}}")
    srv.set("v2/station_status.json", _status(srv, lambda st: [s.update(num_bikes_available=10**400) for s in st]))
    app = create_app({"TESTING": True, "NETWORK": paris_net, "TILES_URL": "", "WARM_PROFILES": False, "GBFS_URL": url})
    api = app.test_client()
    resp = api.get("/api/stations")
    assert resp.status_code == 200 and resp.get_json()["live"] is False
    (a, b), (c, d) = TRIPS[0]
    resp = api.get("/api/route", query_string={"from": f"{a},{b}", "to": f"{c},{d}", "mode": "bikeshare"})
    assert resp.status_code == 200 and resp.get_json()["properties"]["stale"], resp.get_json()  # OSM stations
    resp = api.get("/api/tour", query_string={"start": f"{a},{b}", "budget_min": "60", "start_time": WHEN})
    assert resp.status_code == 200, resp.get_json()
    gbfs._clients.pop((url, None), None)


def test_redirects_to_another_host_are_not_followed(srv):
    with FeedServer() as other:
        hop = other.url("v2/station_status.json").replace("127.0.0.1", "localhost")
        c = GbfsClient(srv.url("v2/gbfs.json"), timeout=2.0)
        with _redirecting(srv, "v2/station_status.json", hop):
            with pytest.raises(gbfs.FeedError, match="redirects to another host"):
                c.snapshot()
        assert other.hits.get("v2/station_status.json") is None
    with _SameHostRedirect() as same:  # within the same host a redirect is followed
        with pytest.raises(gbfs.FeedError, match="not valid JSON"):  # it reached the target's body
            GbfsClient(same.url, timeout=2.0).snapshot()
        assert same.hits == ["/gbfs.json", "/moved.json"]


class _redirecting:
    """Make ``srv`` answer ``path`` with a 302 to ``target`` (FeedServer has no header overrides)."""

    def __init__(self, srv, path, target):
        self.srv, self.path, self.target = srv, path, target

    def __enter__(self):
        self.original = self.srv.httpd.RequestHandlerClass.do_GET
        path, target, original = self.path, self.target, self.original

        def do_get(handler):
            if handler.path.lstrip("/").split("?")[0] == path:
                handler.send_response(302)
                handler.send_header("Location", target)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            original(handler)

        self.srv.httpd.RequestHandlerClass.do_GET = do_get
        return self

    def __exit__(self, *exc):
        self.srv.httpd.RequestHandlerClass.do_GET = self.original


class _SameHostRedirect:
    """/gbfs.json redirects (302, same host) to /moved.json, which is not JSON."""

    def __init__(self):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits.append(self.path)
                if self.path == "/gbfs.json":
                    self.send_response(302)
                    self.send_header("Location", "/moved.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", "3")
                    self.end_headers()
                    self.wfile.write(b"no!")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/gbfs.json"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_localhost_resolves():
    """The cross-host redirect test names 127.0.0.1 as ``localhost``: another host name for the client."""
    assert socket.gethostbyname("localhost") == "127.0.0.1"
