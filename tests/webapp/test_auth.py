"""Sign-in and sessions (issue #13): each test replays a finding of the outside attack.

- a cookie replayed after logout, a password change, a role change or a disable/enable no longer works;
- API tokens are named, listed, revocable one by one, expire, and die with a password change;
- the login limit holds per address, per account and globally, and holds under parallel attempts;
- an unknown user costs what a wrong password costs (one password check each);
- the limits live in Redis when ``REDIS_URL`` is set (two app instances count together).
"""

from __future__ import annotations

import re
import secrets
import threading
from datetime import timedelta

import pytest
from fixtures_db import add_user, make_staff_app


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, name="ada", password="admin-pass", **kw):
    page = client.get("/admin/login", **kw).get_data(as_text=True)
    return client.post("/admin/login", data={"name": name, "password": password, "csrf_token": _csrf(page)}, **kw)


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A new browser that only has the stolen cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


@pytest.fixture
def app(tmp_path, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path / 'auth.sqlite3'}", demo_net)
    add_user(app, "ada", "admin", "admin-pass")
    add_user(app, "eddie", "editor", "editor-pass")
    yield app
    app.extensions["bikemap_db"].dispose()


def _session_works(app, cookie: str) -> bool:
    return _replay(app, cookie).get("/admin/").status_code == 200


def test_replayed_cookie_after_logout_is_anonymous(app):
    client = app.test_client()
    assert _login(client).status_code == 302
    stolen = _cookie(client)
    assert _session_works(app, stolen)
    csrf = _csrf(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 302
    attacker = _replay(app, stolen)
    assert attacker.get("/admin/").status_code == 302  # to the login page
    # the finding: a replayed cookie created an admin account after logout
    form = {"action": "add", "name": "mallory", "role": "admin", "password": "x" * 12, "password2": "x" * 12}
    resp = attacker.post("/admin/users", data={**form, "csrf_token": csrf})
    assert resp.status_code == 401
    with app.app_context():
        from webapp.storage import get_session
        from webapp.storage.users import find_user

        with pytest.raises(LookupError):
            find_user(get_session(), "mallory")


@pytest.mark.parametrize("change", ["password", "role", "disable_enable"])
def test_account_changes_end_every_session(app, change):
    from webapp.storage.users import find_user, set_active, set_password, set_role

    client = app.test_client()
    assert _login(client, "eddie", "editor-pass").status_code == 302
    stolen = _cookie(client)
    assert _session_works(app, stolen)
    with app.extensions["bikemap_db"].session() as s:
        user = find_user(s, "eddie")
        if change == "password":
            set_password(s, user, "a-new-password", by="test")
        elif change == "role":
            set_role(s, user, "admin", by="test")
        else:  # the finding: an old cookie worked again after disable and re-enable
            set_active(s, user, False, by="test")
            set_active(s, user, True, by="test")
    assert not _session_works(app, stolen)
    assert client.get("/admin/").status_code == 302


def test_tokens_are_named_listed_revoked_one_by_one_and_expire(app, capsys):
    from webapp.cli import main
    from webapp.storage.models import ApiToken, utcnow

    url = app.config["DATABASE_URL"]
    tokens = []
    for label in ("import script", "phone"):
        assert main(["user", "token", "eddie", "--label", label, "--expires-days", "30", "--db", url]) == 0
        tokens.append(capsys.readouterr().out.strip().splitlines()[-1])
    client = app.test_client()

    def works(token: str) -> bool:
        return client.get("/api/destinations/export", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert all(works(t) for t in tokens)
    assert main(["user", "tokens", "eddie", "--db", url]) == 0
    listing = capsys.readouterr().out
    assert "import script" in listing and "phone" in listing
    first_id = int(next(line for line in listing.splitlines() if "import script" in line).split("\t")[0])
    assert main(["user", "revoke", "eddie", str(first_id), "--db", url]) == 0
    assert not works(tokens[0]) and works(tokens[1])  # one by one
    with app.extensions["bikemap_db"].session() as s:  # expiry
        for row in s.query(ApiToken):
            row.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    resp = client.get("/api/destinations/export", headers={"Authorization": f"Bearer {tokens[1]}"})
    assert resp.status_code == 401 and "expired" in resp.get_json()["error"]["message"]
    assert main(["user", "revoke", "eddie", "999", "--db", url]) == 2


def test_password_change_revokes_api_tokens(app, monkeypatch, capsys):
    """The finding: API tokens survived a password change."""
    import io

    from webapp.cli import main

    url = app.config["DATABASE_URL"]
    assert main(["user", "token", "eddie", "--db", url]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/destinations/export", headers=headers).status_code == 200
    monkeypatch.setattr("sys.stdin", io.StringIO("new-password-1\nnew-password-1\n"))
    assert main(["user", "password", "eddie", "--db", url]) == 0
    assert client.get("/api/destinations/export", headers=headers).status_code == 401


def _limited_app(tmp_path, demo_net, **limits):
    app = make_staff_app(f"sqlite:///{tmp_path / 'limits.sqlite3'}", demo_net, **limits)
    add_user(app, "ada", "admin", "admin-pass")
    return app


def test_login_limit_per_address_across_names(tmp_path, demo_net):
    """The finding: a new user name on every attempt was never limited."""
    app = _limited_app(tmp_path, demo_net, LOGIN_LIMIT_ADDRESS="3 per minute")
    client = app.test_client()
    codes = [_login(client, f"nobody{i}", "x").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    other = app.test_client()  # another address still gets in
    assert _login(other, environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 302
    app.extensions["bikemap_db"].dispose()


def test_login_limit_per_account_across_addresses(tmp_path, demo_net):
    """The finding: 200 guesses from 40 loopback addresses logged in as admin."""
    app = _limited_app(tmp_path, demo_net, LOGIN_LIMIT_ACCOUNT="4 per minute")
    client = app.test_client()
    codes = [
        _login(client, "ada", "guess", environ_base={"REMOTE_ADDR": f"127.0.0.{i + 1}"}).status_code for i in range(6)
    ]
    assert codes == [401, 401, 401, 401, 429, 429]
    # even the right password from a fresh address waits for the window
    assert _login(client, environ_base={"REMOTE_ADDR": "127.0.0.99"}).status_code == 429
    app.extensions["bikemap_db"].dispose()


def test_login_limit_global(tmp_path, demo_net):
    app = _limited_app(tmp_path, demo_net, LOGIN_LIMIT_GLOBAL="5 per minute")
    client = app.test_client()
    codes = [
        _login(client, f"n{i}", "x", environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"}).status_code for i in range(7)
    ]
    assert codes.count(401) == 5 and codes[-2:] == [429, 429]
    app.extensions["bikemap_db"].dispose()


def test_parallel_attempts_get_no_more_checks_than_the_limit(tmp_path, demo_net, monkeypatch):
    """The finding: 40 parallel attempts got 9 password checks where the limit was 5."""
    import webapp.auth

    app = _limited_app(tmp_path, demo_net, LOGIN_LIMIT_ACCOUNT="5 per minute")
    checks = []
    real = webapp.auth.verify_password
    monkeypatch.setattr(webapp.auth, "verify_password", lambda p, h: checks.append(1) or real(p, h))
    pages = []
    for _ in range(40):
        c = app.test_client()
        pages.append((c, _csrf(c.get("/admin/login").get_data(as_text=True))))
    go = threading.Barrier(40)
    codes = []

    def attempt(c, csrf):
        go.wait()
        data = {"name": "ada", "password": "guess", "csrf_token": csrf}
        codes.append(c.post("/admin/login", data=data).status_code)

    threads = [threading.Thread(target=attempt, args=p) for p in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == 5 and sorted(codes) == [401] * 5 + [429] * 35
    app.extensions["bikemap_db"].dispose()


def test_unknown_user_costs_one_password_check_like_a_wrong_password(app, monkeypatch):
    """The finding: an unknown name took 176 ms against 78-100 ms (two scrypt runs against one)."""
    import hashlib

    calls = []
    real = hashlib.scrypt
    client = app.test_client()
    _login(client, "ada", "wrong")  # the dummy hash is made once, at the first attempt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    for name in ("ada", "no-such-user"):
        calls.clear()
        assert _login(app.test_client(), name, "wrong").status_code == 401
        assert len(calls) == 1, name


def test_limits_are_shared_through_redis(tmp_path, demo_net):
    """With REDIS_URL two app instances count the same attempts (a Redis server runs on 127.0.0.1:6379)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"bikemap-test-{secrets.token_hex(6)}"
    settings = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_LIMIT_ACCOUNT": "3 per minute",
    }
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one = make_staff_app(url, demo_net, **settings)
    add_user(one, "ada", "admin", "admin-pass")
    two = make_staff_app(url, demo_net, **settings)
    assert [_login(one.test_client(), "ada", "x").status_code for _ in range(2)] == [401, 401]
    assert [_login(two.test_client(), "ada", "x").status_code for _ in range(2)] == [401, 429]
    for app in (one, two):
        app.extensions["bikemap_db"].dispose()


def _limiter_hooks(app) -> list:
    from webapp.auth import get_limiter

    with app.app_context():
        limiter = get_limiter()
    return [f for f in app.before_request_funcs.get(None, []) if getattr(f, "__self__", None) is limiter]


def test_limiter_checks_requests_only_when_a_limit_applies_to_every_request(tmp_path, demo_net):
    """Without a default limit the per-request check is dropped (the throttles still count, above);
    an operator's ``RATELIMIT_DEFAULT`` keeps it, and it answers 429."""
    plain = make_staff_app(f"sqlite:///{tmp_path / 'plain.sqlite3'}", demo_net)
    assert _limiter_hooks(plain) == []
    limited = make_staff_app(f"sqlite:///{tmp_path / 'limited.sqlite3'}", demo_net, RATELIMIT_DEFAULT="2 per minute")
    assert len(_limiter_hooks(limited)) == 1
    client = limited.test_client()
    codes = [client.get("/api/profiles").status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429, codes


def test_password_hash_cost():
    """A new process hashes at scrypt's real cost (n = 2**14, r = 8): the suite's cheaper hashes
    (tests/conftest.py) are its own."""
    import subprocess
    import sys

    code = "from webapp.storage.models import hash_password; print(hash_password('x'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    algo, n, r, p, salt, digest = out.strip().split("$")
    assert (algo, n, r, p) == ("scrypt", "16384", "8", "1") and len(salt) == 32 and len(digest) == 64
