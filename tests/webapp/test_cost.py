"""The cost budget of expensive requests (#13: 32 parallel 25-via routes made a trivial request wait 21-37 s).

``webapp.cost`` lets one expensive request run per process (and one wait), answers the rest
503 at once, and stops one that runs past its time budget with a 422; ``routes.budget`` is
the engine's side of the time budget.
"""

from __future__ import annotations

import pytest

from routes.budget import check_budget, time_budget
from routes.errors import TooExpensiveError

A, B = "60.1716,24.9410", "60.1660,24.9500"
VIAS = ";".join(["60.1690,24.9450", "60.1670,24.9480", "60.1700,24.9420", "60.1680,24.9460", "60.1665,24.9470"])


def _app(demo_net, **config):
    from webapp import create_app

    return create_app({"TESTING": True, "NETWORK": demo_net, "TILES_URL": "", "WARM_PROFILES": False, **config})


def test_the_engine_checks_the_budget_between_steps():
    check_budget()  # no budget open: scripts and the CLI run as long as they need
    with time_budget(60):
        check_budget()
    with time_budget(-1), pytest.raises(TooExpensiveError, match="needs more than the -1 s of work"):
        check_budget("this route")


def test_a_request_past_its_time_budget_is_a_clear_422(demo_net):
    client = _app(demo_net, COST_TIME_S=0).test_client()  # spent before the first leg (a negative setting is refused)
    resp = client.get(f"/api/route?from={A}&to={B}&via={VIAS}")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "TooExpensive" and "fewer via points" in err["message"]
    assert client.get(f"/api/route?from={A}&to={B}").status_code == 200  # a cheap route has no budget
    resp = client.get("/api/tour", query_string={"start": A, "budget_min": "60"})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "TooExpensive"


def test_expensive_requests_beyond_the_slots_are_refused_at_once(demo_net):
    app = _app(demo_net, COST_SLOTS=1, COST_QUEUE=0)
    client = app.test_client()
    gate = app.extensions["bikemap.cost_gate"]
    assert gate.enter()  # another expensive request is running
    try:
        resp = client.get(f"/api/route?from={A}&to={B}&via={VIAS}")
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
        assert resp.get_json()["error"]["code"] == "Busy"
        assert client.get(f"/api/route?from={A}&to={B}").status_code == 200  # cheap ones are never queued
        assert client.get("/api/profiles").status_code == 200
    finally:
        gate.leave()
    assert client.get(f"/api/route?from={A}&to={B}&via={VIAS}").status_code == 200
    # the slot was given back after each request, errors included
    assert gate.enter()
    gate.leave()


def test_one_client_gets_its_share_of_expensive_requests_then_429(demo_net):
    """#13: one client may not start expensive work without end; others and cheap requests go on."""
    client = _app(demo_net, COST_LIMIT_CLIENT="3 per minute").test_client()
    expensive = f"/api/route?from={A}&to={B}&via={VIAS}"
    for _ in range(3):
        assert client.get(expensive).status_code == 200
    resp = client.get(expensive)
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "TooManyRequests"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    assert client.get("/api/tour", query_string={"start": A, "budget_min": "60"}).status_code == 429
    assert client.get(f"/api/route?from={A}&to={B}").status_code == 200  # cheap requests are not counted
    other = client.get(expensive, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # another address has its own share


def test_instances_share_the_client_limit_through_redis(demo_net):
    """With REDIS_URL, two app instances count one client's expensive requests together."""
    import uuid

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    shared = {"REDIS_URL": url, "RATELIMIT_KEY_PREFIX": f"bikemap-test-{uuid.uuid4().hex[:8]}"}
    one = _app(demo_net, COST_LIMIT_CLIENT="2 per minute", **shared).test_client()
    two = _app(demo_net, COST_LIMIT_CLIENT="2 per minute", **shared).test_client()
    expensive = f"/api/route?from={A}&to={B}&via={VIAS}"
    assert one.get(expensive).status_code == 200
    assert two.get(expensive).status_code == 200
    assert one.get(expensive).status_code == 429
    assert two.get(expensive).status_code == 429
