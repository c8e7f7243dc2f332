"""Several app instances on one database (as behind a load balancer), SQLite and PostgreSQL.

Two apps, each with its own engine and caches, each served by waitress on its
own port: the login rate limit (in Redis) counts attempts made on either; a destination
or closure saved through one shows at once on the other (API, map page,
routing); instances starting at once on an empty database migrate it once.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack

import pytest
from sqlalchemy import text
from test_closures import A, B, _closure, _line_of, _longest_segment, _route_segments
from test_concurrency import serve_app


class Browser:
    """urllib with one cookie jar (cookies are per host, so it is shared by both instances)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def open(
        self,
        url: str,
        data: dict | None = None,
        headers: dict | None = None,
        method: str | None = None,
        body: bytes | None = None,
    ) -> tuple[int, str]:
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def instances(migrated_db_url, demo_net):
    """Base URLs of two app instances on one database, with an editor (token) in it.

    The database is a copy of a migrated one: migrating an empty one is
    `test_instances_starting_at_once_migrate_once`'s subject.
    """
    import secrets

    from fixtures_db import add_user, make_staff_app

    # the login throttle is shared through Redis (a server runs on 127.0.0.1:6379 on every machine and in CI)
    limits = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": f"bikemap-test-{secrets.token_hex(6)}",
        "LOGIN_LIMIT_ACCOUNT": "5 per minute",
    }
    apps = [make_staff_app(migrated_db_url, demo_net, **limits), make_staff_app(migrated_db_url, demo_net, **limits)]
    token = add_user(apps[0], "eddie", "editor", "editor-pass")
    with ExitStack() as stack:
        ports = [stack.enter_context(serve_app(app, threads=4)) for app in apps]
        yield [f"http://127.0.0.1:{p}" for p in ports], token
    for app in apps:
        app.extensions["bikemap_db"].dispose()


def _login(browser: Browser, base: str, name: str, password: str) -> int:
    status, page = browser.open(base + "/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return browser.open(base + "/admin/login", {"name": name, "password": password, "csrf_token": csrf})[0]


def test_login_rate_limit_counts_failures_on_every_instance(instances):
    (a, b), _ = instances
    browser = Browser()
    for base in (a, a, a, b, b):  # five failures, spread over the two instances
        assert _login(browser, base, "eddie", "wrong-pass") == 401
    # the sixth attempt is refused by both, even with the right password
    assert _login(browser, a, "eddie", "editor-pass") == 429
    assert _login(browser, b, "eddie", "editor-pass") == 429
    # another name is not blocked
    assert _login(browser, b, "someone", "wrong-pass") == 401


def test_every_change_shows_on_every_instance_at_once(instances, demo_net):
    (a, b), token = instances
    browser = Browser()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # both instances have built (and cached) their map page and routed once
    q = f"/api/route?from={A[0]},{A[1]}&to={B[0]},{B[1]}"
    before = {base: json.loads(browser.open(base + q)[1])["geometry"] for base in (a, b)}
    assert before[a] == before[b]
    for base in (a, b):
        assert browser.open(base + "/")[0] == 200

    # a destination saved through A: B lists it and draws it on its map page
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.9525, 60.1675]},
        "properties": {"name": "Kauppahalli instance test", "category": "market", "published": True},
    }
    status, body = browser.open(a + "/api/destinations", headers=auth, method="POST", body=json.dumps(feat).encode())
    assert status == 201, body
    dest = json.loads(body)
    names = [f["properties"]["name"] for f in json.loads(browser.open(b + "/api/destinations")[1])["features"]]
    assert "Kauppahalli instance test" in names
    assert "Kauppahalli instance test" in _names_in_view(browser, b)
    # edited through B (with A's ETag): A's map shows the new name
    status, body = browser.open(
        b + f"/api/destinations/{dest['id']}",
        method="PATCH",
        headers={**auth, "If-Match": f'"{dest["id"]}.1"'},
        body=json.dumps({"name": "Vanha kauppahalli"}).encode(),
    )
    assert status == 200, body
    in_view = _names_in_view(browser, a)
    assert "Vanha kauppahalli" in in_view and "Kauppahalli instance test" not in in_view

    # a closure drawn through A: B routes around it at once and draws it
    seg = _longest_segment(demo_net, _route_segments(demo_net))
    closure = _closure(_line_of(demo_net, seg), ends_at="2099-12-31")
    status, body = browser.open(a + "/api/closures", headers=auth, method="POST", body=json.dumps(closure).encode())
    assert status == 201, body
    closure_id = json.loads(body)["id"]
    after_b = json.loads(browser.open(b + q)[1])["geometry"]
    assert after_b != before[b]
    assert "road works" in _map_script(browser, b)
    # removed through B: A routes the old way again
    assert browser.open(b + f"/api/closures/{closure_id}", headers=auth, method="DELETE")[0] == 204
    assert json.loads(browser.open(a + q)[1])["geometry"] == before[a]
    assert "road works" not in _map_script(browser, a)


def _names_in_view(browser, base: str) -> list[str]:
    """The destinations the map page shows around Helsinki's centre (it asks for them by box)."""
    body = browser.open(base + "/api/destinations?bbox=24.9,60.15,25.0,60.19")[1]
    return [f["properties"]["name"] for f in json.loads(body)["features"]]


def _map_script(browser, base: str) -> str:
    """The map page's Folium script (the closures are drawn by it)."""
    page = browser.open(base + "/")[1]
    return browser.open(base + re.search(r'<script src="(/map/[^"]+\.js)"', page).group(1))[1]


_STARTER = """
import sys
from webapp.storage import open_database
print("ready", flush=True)
sys.stdin.readline()
try:
    open_database(sys.argv[1]).dispose()
except Exception as exc:
    print("error", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", flush=True)
    sys.exit(1)
print("ok", flush=True)
"""


def test_instances_starting_at_once_migrate_once(db_url):
    """Four processes opening an empty database at the same moment: one migrates, none fails."""
    import subprocess
    import sys
    from pathlib import Path

    from webapp.storage import open_database

    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTER, db_url],
            cwd=root,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    try:
        for p in procs:  # every process has imported the app
            assert p.stdout.readline().strip() == "ready"
        for p in procs:  # go
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [o.strip().splitlines()[-1] for o in outputs] == ["ok"] * 4, outputs
    db = open_database(db_url)
    with db.engine.connect() as conn:
        assert len(conn.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
        assert conn.execute(text("SELECT count(*) FROM staff_sessions")).scalar() == 0
    db.dispose()
