"""The per-client limit of road reports: a flood is cut at the limit, nothing stored is lost, instances share it.

The count lives in the login throttle's storage (Flask-Limiter's; Redis when
``REDIS_URL`` is set), so two app instances behind one address count together.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from fixtures_db import add_user, make_staff_app

REPORT = {"service_code": "flooding", "lat": "60.1672", "long": "24.9446", "description": "water"}


def _count(app, token: str) -> int:
    c = app.test_client()
    return len(c.get("/api/reports", headers={"Authorization": f"Bearer {token}"}).get_json()["reports"])


def test_a_flood_from_one_client_is_cut_at_the_limit(app, tmp_path):
    app.config.update(REPORT_LIMIT_CLIENT="10 per minute", REPORT_MEDIA_DIR=str(tmp_path / "media"))
    token = add_user(app, "eddie", "editor", "editor-pass")
    c = app.test_client()
    answers = [c.post("/open311/v2/requests.json", data=REPORT) for _ in range(1000)]
    statuses = [r.status_code for r in answers]
    assert statuses[:10] == [201] * 10 and statuses[10:] == [429] * 990
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert refused.get_json()[0]["error_code"] == "TooManyRequests"
    # nothing accepted is lost: every report is stored and its status link works
    assert _count(app, token) == 10
    for r in answers[:10]:
        assert c.get(r.get_json()[0]["status_url"]).get_json()["detailed_status"] == "open"
    # another address still reports; the staff queue still answers
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post("/open311/v2/requests.json", data=REPORT).status_code == 201
    assert c.get("/open311/v2/requests.json").status_code == 200
    assert _count(app, token) == 11


def test_two_instances_share_the_limit_through_redis(tmp_path, demo_net):
    limits = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": f"bikemap-test-{secrets.token_hex(6)}",
        "REPORT_LIMIT_CLIENT": "6 per minute",
        "REPORT_MEDIA_DIR": str(tmp_path / "media"),
    }
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    apps = [make_staff_app(url, demo_net, **limits), make_staff_app(url, demo_net, **limits)]
    try:
        token = add_user(apps[0], "eddie", "editor", "editor-pass")

        def post(i: int) -> int:  # 40 at once, half to each instance, from one address
            return apps[i % 2].test_client().post("/open311/v2/requests.json", data=REPORT).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, range(40)))
        assert sorted(statuses) == [201] * 6 + [429] * 34
        assert _count(apps[0], token) == _count(apps[1], token) == 6
    finally:
        for app in apps:
            app.extensions["bikemap_db"].dispose()
