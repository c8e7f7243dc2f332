"""Security headers on every response, session cookies behind TLS, and bandit.

Every GET route of the app (pages, admin pages logged in, JSON API, static
files, error answers 401/404/405/413/500) is requested; each answer must carry
a Content-Security-Policy whose script-src has no 'unsafe-inline' (and the
page's inline scripts the nonce it names), ``X-Content-Type-Options: nosniff``,
a ``Referrer-Policy``, and ``X-Frame-Options`` with CSP ``frame-ancestors``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_db import add_user, make_staff_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sec_app(tmp_path_factory, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path_factory.mktemp('sec') / 'db.sqlite3'}", demo_net, SEED_DESTINATIONS=True)
    app.config["ADMIN_TOKEN"] = add_user(app, "ada", "admin", "admin-pass")

    @app.get("/__boom")  # an unexpected bug: the 500 answer carries the headers too
    def _boom():
        raise RuntimeError("boom")

    yield app
    app.extensions["bikemap_db"].dispose()


def login(client, name="ada", password="admin-pass", **kw):
    page = client.get("/admin/login", **kw).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/admin/login", data={"csrf_token": csrf, "name": name, "password": password}, **kw)


def check_headers(resp, what: str) -> None:
    h = resp.headers
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), what
    assert h.get("X-Frame-Options") in ("SAMEORIGIN", "DENY"), what
    csp = h.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
    assert directives.get("frame-ancestors") in (["'self'"], ["'none'"]), what
    assert directives.get("object-src") == ["'none'"], what
    if resp.mimetype == "text/html":
        nonces = [s[len("'nonce-") : -1] for s in scripts if s.startswith("'nonce-")]
        page = resp.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            if "src=" in tag or 'type="application/json"' in tag:
                continue
            m = re.search(r'nonce="([^"]+)"', tag)
            assert m and m.group(1) in nonces, f"{what}: inline script without the page's nonce: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", re.sub(r"<script\b.*?</script>", "", page, flags=re.S)), (
            f"{what}: an inline event handler attribute (the CSP would block it)"
        )


def _get_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        urls.append(re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule))
    return sorted(set(urls))


def test_every_get_route_has_the_headers(sec_app):
    client = sec_app.test_client()
    assert login(client).status_code == 302
    urls = _get_urls(sec_app)
    assert {"/", "/admin/", "/admin/login", "/api/route", "/api/tour", "/api/featured"} <= set(urls)
    checked = 0
    for url in urls:
        for c in (client, sec_app.test_client()):  # logged in (admin), anonymous
            resp = c.get(url)
            check_headers(resp, f"GET {url} -> {resp.status_code}")
            checked += 1
    assert checked >= 2 * 20


@pytest.mark.parametrize(
    "method,url,expect",
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/admin/destinations/999999", 404),
        ("POST", "/api/route", 405),
        ("GET", "/__boom", 500),
        ("POST", "/api/destinations", 401),
        ("GET", "/api/route?from=x", 400),
        ("GET", "/static/js/bikemap.js", 200),
        ("GET", "/static/favicon.svg", 200),
        ("GET", "/api/openapi.json", 200),
        ("GET", "/?lang=id", 200),
        ("GET", "/admin/login?lang=id", 200),
    ],
)
def test_error_pages_and_files_have_the_headers(sec_app, method, url, expect):
    client = sec_app.test_client()
    if url.startswith("/admin/destinations"):
        login(client)
    resp = client.open(url, method=method)
    assert resp.status_code == expect
    check_headers(resp, f"{method} {url}")
    if expect >= 400:
        assert "Traceback" not in resp.get_data(as_text=True)


def test_too_large_answer_has_the_headers(sec_app):
    resp = sec_app.test_client().post(
        "/api/destinations/import",
        data=b" " * (5 * 1024 * 1024 + 1),
        headers={"Authorization": f"Bearer {sec_app.config['ADMIN_TOKEN']}"},
    )
    assert resp.status_code == 413
    check_headers(resp, "413")


def test_every_admin_page_has_the_headers(sec_app):
    client = sec_app.test_client()
    login(client)
    pages = [
        "/admin/",
        "/admin/?q=a",
        "/admin/destinations/new",
        "/admin/destinations/1",
        "/admin/destinations/1/history",
        "/admin/closures",
        "/admin/users",
        "/admin/?lang=id",
    ]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        check_headers(resp, url)
    csrf = client.get("/api/featured/session").get_json()["csrf"]
    for url, data in [
        ("/admin/destinations/new", {"name": ""}),
        ("/admin/closures", {"reason": ""}),
        ("/admin/users", {"action": "add", "name": ""}),
        ("/admin/import", {}),
    ]:
        resp = client.post(url, data={"csrf_token": csrf, **data})
        assert resp.status_code in (400, 422), (url, resp.status_code)
        check_headers(resp, f"POST {url}")
    bad_csrf = client.post("/admin/destinations/new", data={"csrf_token": "wrong"})
    assert bad_csrf.status_code == 400
    check_headers(bad_csrf, "CSRF failure page")


# ----------------------------------------------------------------------------- cookies


def _session_cookie(resp) -> str:
    cookies = [v for k, v in resp.headers.items() if k.lower() == "set-cookie" and v.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def _flags(cookie: str) -> set[str]:
    out = set()
    for part in cookie.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        out.add(f"samesite={value.lower()}" if key.lower() == "samesite" else key.lower())
    return out


def test_session_cookie_over_http(sec_app):
    resp = login(sec_app.test_client())
    flags = _flags(_session_cookie(resp))
    assert {"httponly", "samesite=lax"} <= flags and "secure" not in flags


def test_session_cookie_over_https(sec_app):
    # over https Flask-WTF also checks that the form came from this site (Referer, as browsers send it)
    referer = {"Referer": "https://bikemap.example/admin/login"}
    resp = login(sec_app.test_client(), base_url="https://bikemap.example", headers=referer)
    flags = _flags(_session_cookie(resp))
    assert {"httponly", "samesite=lax", "secure"} <= flags


def test_hsts_only_over_https(sec_app):
    secure = sec_app.test_client().get("/api/profiles", base_url="https://bikemap.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in sec_app.test_client().get("/api/profiles").headers
    assert "geolocation=(self)" in secure.headers["Permissions-Policy"]


def test_forwarded_proto_is_trusted_only_with_proxy_fix(tmp_path, demo_net):
    """Behind a TLS proxy (PROXY_FIX = 1) X-Forwarded-Proto: https makes the cookie Secure; without
    the setting the header is ignored (anyone can send it)."""
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "bikemap.example",
        "Referer": "https://bikemap.example/admin/login",  # over https Flask-WTF checks the form's origin
    }
    for proxies, secure in ((0, False), (1, True)):
        app = make_staff_app(f"sqlite:///{tmp_path / f'p{proxies}.sqlite3'}", demo_net, PROXY_FIX=proxies)
        add_user(app, "ada", "admin", "admin-pass")
        client = app.test_client()
        csrf_t = re.search(
            r'name="csrf_token" value="([^"]+)"', client.get("/admin/login", headers=forwarded).get_data(as_text=True)
        ).group(1)
        resp = client.post(
            "/admin/login", headers=forwarded, data={"csrf_token": csrf_t, "name": "ada", "password": "admin-pass"}
        )
        assert resp.status_code == 302
        assert ("secure" in _flags(_session_cookie(resp))) is secure
        app.extensions["bikemap_db"].dispose()


def test_proxy_fix_sets_the_client_address(tmp_path, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", demo_net, PROXY_FIX=1)
    seen = {}

    @app.get("/__who")
    def _who():
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure, host=request.host)
        return "ok"

    app.test_client().get(
        "/__who",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "bikemap.example"},
    )
    assert seen == {"addr": "203.0.113.9", "secure": True, "host": "bikemap.example"}
    app.extensions["bikemap_db"].dispose()


# ----------------------------------------------------------------------------- bandit


def test_bandit_is_clean():
    """``bandit -r routes webapp -q -ll``: no finding of medium or high severity.

    (Low-severity findings are the subprocess calls of ``bikemap db`` with list
    arguments, no shell.) A ``# nosec`` needs a comment saying why.
    """
    # bandit is run once, as ``python -m bandit`` below: asking ``python -m bandit --version`` first cost a second
    if importlib.util.find_spec("bandit") is None:
        pytest.skip("bandit is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "routes", "webapp", "-q", "-ll", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No issues identified" in proc.stdout or not proc.stdout.strip()
    for path in list((ROOT / "routes").rglob("*.py")) + list((ROOT / "webapp").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "# nosec" in line:
                before = lines[i - 1].strip() if i else ""
                reason = (before[1:] if before.startswith("#") else "") + line.split("# nosec", 1)[1]
                assert len(re.findall(r"[A-Za-z]{2,}", reason)) >= 5, f"{path.name}:{i + 1}: '# nosec' without a reason"


# ----------------------------------------------------------------------------- NUL in staff input


def test_nul_characters_in_staff_input_never_fail(staff):
    """A NUL in a user name, form field or API text is refused (PostgreSQL cannot hold one: it
    answered 500 there before); runs on SQLite and PostgreSQL."""
    client = staff.app.test_client()
    csrf_t = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    bad = client.post("/admin/login", data={"csrf_token": csrf_t, "name": "a\x00da", "password": "x"})
    assert bad.status_code == 401
    assert login(client, "ada", "admin-pass").status_code == 302
    csrf = client.get("/api/featured/session").get_json()["csrf"]
    for action in ("add", "disable", "role"):
        form = {
            "csrf_token": csrf,
            "action": action,
            "name": "x\x00y",
            "password": "12345678",
            "password2": "12345678",
            "role": "editor",
        }
        resp = client.post("/admin/users", data=form)
        assert resp.status_code == 422, action
    resp = client.post(
        "/admin/destinations/new",
        data={"csrf_token": csrf, "name": "a\x00", "category": "museum", "lon": "24.94", "lat": "60.17"},
    )
    assert resp.status_code == 422
    body = {"name": "ok", "description": "a\x00b", "category": "museum", "lon": 24.94, "lat": 60.17}
    api = client.post("/api/destinations", headers=staff.headers("editor"), json=body)
    assert api.status_code == 422
    assert api.get_json()["error"]["fields"] == {"description": "must not contain NUL characters"}


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "https://evil.example/",
        "/\\/evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_the_site(sec_app, target):
    client = sec_app.test_client()
    csrf_t = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    form = {"csrf_token": csrf_t, "name": "ada", "password": "admin-pass", "next": target}
    resp = client.post("/admin/login", data=form)
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/"
    page = sec_app.test_client().get("/admin/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil.example" not in page and "javascript:" not in page
