"""The 50 XSS payloads of test_xss.py in road reports: stored exactly, shown escaped, never run in chromium.

Each payload is a report's description (posted by a visitor through Open311) and a
staff note (confirm, reject, merge, close), so it shows in the staff queue, in the
closure reason a confirmed report makes (closures page), in the Open311 answers
(JSON) and in the reporter's status answer.
"""

from __future__ import annotations

import threading

import pytest
from fixtures_db import add_user, make_staff_app
from test_xss import _OPEN_ALL, PAYLOADS, _assert_quiet, check_page

STREET = {"lat": "60.1672", "long": "24.9446"}


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_net):
    folder = tmp_path_factory.mktemp("reports_xss")
    app = make_staff_app(
        f"sqlite:///{folder / 'db.sqlite3'}",
        demo_net,
        REPORT_LIMIT_CLIENT="1000 per minute",
        REPORT_MEDIA_DIR=str(folder / "media"),
    )
    staff = {"Authorization": "Bearer " + add_user(app, "ada", "admin", "admin-pass")}
    c = app.test_client()
    made = []
    for i, p in enumerate(PAYLOADS):
        r = c.post("/open311/v2/requests.json", data={"service_code": "other", "description": p, **STREET})
        assert r.status_code == 201, (p, r.get_json())
        rid = r.get_json()[0]["service_request_id"]
        made.append((rid, r.get_json()[0]["status_url"]))
        action = ("confirm", "reject", "merge", "close", "open")[i % 5]
        body = {"note": p, "kind": "hazard", "into": int(made[0][0])}
        if action != "open" and not (action == "merge" and i == 0):
            r = c.post(f"/api/reports/{rid}/{action}", headers=staff, json=body)
            assert r.status_code == 200, (action, p, r.get_json())
    yield {"app": app, "staff": staff, "made": made}
    app.extensions["bikemap_db"].dispose()


def test_payloads_are_stored_exactly(site):
    c = site["app"].test_client()
    for p, (rid, status_url) in zip(PAYLOADS, site["made"], strict=True):
        mine = c.get(status_url).get_json()
        assert mine["description"] == p.strip()
        item = c.get(f"/api/reports/{rid}", headers=site["staff"]).get_json()
        assert item["description"] == p.strip()
    public = c.get("/open311/v2/requests.json").get_json()
    assert {x["description"] for x in public} >= {PAYLOADS[0].strip(), PAYLOADS[5].strip()}
    assert {x["status_notes"] for x in public} >= {PAYLOADS[0].strip()}


def _login(client) -> None:
    import re

    page = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post("/admin/login", data={"csrf_token": csrf, "name": "ada", "password": "admin-pass"}).status_code
        == 302
    )


def test_staff_pages_escape_every_payload(site):
    c = site["app"].test_client()
    _login(c)
    for url, least in (("/admin/reports", 50), ("/admin/reports?lang=id", 50), ("/admin/closures", 10)):
        page = c.get(url).get_data(as_text=True)
        assert check_page(page, url) >= least, url


@pytest.fixture(scope="module")
def browser_page(site, browser):
    from waitress.server import create_server

    server = create_server(site["app"], host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    page = ctx.new_page()
    page.base, page.dialogs, page.problems = f"http://127.0.0.1:{server.effective_port}", [], []
    page.on("dialog", lambda d: (page.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
    page.on(
        "console",
        lambda m: (
            (m.type == "error" or "Content Security Policy" in m.text) and page.problems.append(f"console: {m.text}")
        ),
    )
    yield page
    ctx.close()
    server.close()


def test_chromium_report_queue_runs_no_payload(site, browser_page):
    page = browser_page
    page.goto(page.base + "/admin/login")
    page.fill("#name", "ada")
    page.fill("#password", "admin-pass")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/admin/")
    for url in ("/admin/reports", "/admin/reports?lang=id"):
        page.goto(page.base + url)
        page.wait_for_selector(".leaflet-container")
        assert page.evaluate(_OPEN_ALL) >= 50  # every report's dot on the map opened
        for field in page.locator("input[type=text]").all()[:3]:
            field.focus()
        _assert_quiet(page, url)
    assert page.locator("#bm-reports").inner_text().count("<script>alert(1)</script>") >= 1
