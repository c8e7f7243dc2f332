"""Road reports (issue 16): Open311 GeoReport v2 for visitors, the staff queue and its API, SQLite and PostgreSQL.

A report on a street of a route across Helsinki is posted, hidden until staff
confirm it, confirmed as a closure on the nearest street (the next /api/route
avoids that street), and closed with its closure. Merging, rejecting, version
guards, the reporter's status link, the email that is never public, and the
Open311 error shape are checked on the way.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from test_closures import _longest_segment, _route_segments

ROUTE = "/api/route?from=60.1699,24.9384&to=60.1618,24.9510"


def _report(client, **fields):
    return client.post("/open311/v2/requests.json", data={"service_code": "blocked", **fields})


def _on_route_point(net) -> tuple[float, float, int]:
    """(lat, lon) a few metres beside the middle of the longest street of the route, and that street."""
    seg = _longest_segment(net, _route_segments(net))
    c = net.segment_coords(seg)
    lon, lat = c[len(c) // 2] if len(c) > 2 else c.mean(axis=0)
    return float(lat) + 0.00003, float(lon), seg


def _route_near(net, feature, lon: float, lat: float) -> float:
    """Metres between the route's line and a point."""
    coords = np.asarray(feature["geometry"]["coordinates"], dtype=float)
    x, y = net.project(coords[:, 0], coords[:, 1])
    px, py = net.project(lon, lat)
    return shapely.LineString(np.column_stack([x, y])).distance(shapely.Point(float(px), float(py)))


@pytest.fixture
def media_dir(staff, tmp_path):
    staff.app.config["REPORT_MEDIA_DIR"] = str(tmp_path / "media")
    return tmp_path / "media"


def test_report_is_private_until_confirmed_then_routes_avoid_it(staff, media_dir, demo_net):
    c = staff.app.test_client()
    lat, lon, seg = _on_route_point(demo_net)
    before = c.get(ROUTE).get_json()
    mid = demo_net.segment_coords(seg)[len(demo_net.segment_coords(seg)) // 2]
    assert _route_near(demo_net, before, *mid) < 2  # the route runs along the street

    r = _report(c, lat=str(lat), long=str(lon), description="fallen tree", email="rider@example.org")
    assert r.status_code == 201, r.get_json()
    [made] = r.get_json()
    rid, token = made["service_request_id"], made["token"]
    assert made["status_url"] == f"/open311/v2/status/{token}.json"

    # not confirmed: not public, no route change; the reporter sees it through the token
    assert c.get("/open311/v2/requests.json").get_json() == []
    assert c.get(f"/open311/v2/requests/{rid}.json").status_code == 404
    assert c.get(ROUTE).get_json()["properties"]["distance_m"] == before["properties"]["distance_m"]
    mine = c.get(made["status_url"]).get_json()
    assert (mine["service_request_id"], mine["detailed_status"], mine["status"]) == (rid, "open", "open")
    assert "email" not in mine and "rider@example.org" not in c.get(made["status_url"]).get_data(as_text=True)
    assert c.get("/open311/v2/status/rp_not-a-token.json").status_code == 404

    # staff see it, with the email; confirming needs a signed-in editor
    assert c.get("/api/reports").status_code == 401
    listed = c.get("/api/reports", headers=staff.headers("editor")).get_json()["reports"]
    assert [(x["id"], x["email"]) for x in listed] == [(int(rid), "rider@example.org")]
    r = c.post(f"/api/reports/{rid}/confirm", headers=staff.headers("editor"), json={"kind": "closure", "note": "ok"})
    assert r.status_code == 200, r.get_json()
    confirmed = r.get_json()
    assert confirmed["detailed_status"] == "confirmed" and confirmed["closure_id"] and r.headers["ETag"]

    # now public (without the email), and the next route avoids the street
    public = c.get("/open311/v2/requests.json").get_json()
    assert [p["service_request_id"] for p in public] == [rid]
    assert public[0]["status"] == "open" and public[0]["kind"] == "closure" and "email" not in public[0]
    for url in ("/open311/v2/requests.json", f"/open311/v2/requests/{rid}.json", made["status_url"]):
        assert "rider@example.org" not in c.get(url).get_data(as_text=True)
    after = c.get(ROUTE).get_json()
    assert _route_near(demo_net, after, *mid) > 5
    assert c.get(made["status_url"]).get_json()["detailed_status"] == "confirmed"
    closure = next(f for f in c.get("/api/closures").get_json()["features"] if f["id"] == confirmed["closure_id"])
    assert closure["properties"]["kind"] == "closure" and f"no. {rid}" in closure["properties"]["reason"]

    # ending the closure closes the report; the route is back
    assert c.delete(f"/api/closures/{confirmed['closure_id']}", headers=staff.headers("editor")).status_code == 204
    assert c.get(made["status_url"]).get_json()["detailed_status"] == "closed"
    assert c.get(ROUTE).get_json()["properties"]["distance_m"] == before["properties"]["distance_m"]
    history = c.get(f"/api/reports/{rid}/history", headers=staff.headers("editor")).get_json()["changes"]
    assert [(h["action"], h["who"]) for h in history] == [
        ("report", "visitor"),
        ("confirm", "eddie"),
        ("close", "eddie"),
    ]
    assert all("email" not in (h["after"] or {}) for h in history)


def test_merge_reject_close_and_guards(staff, media_dir):
    c = staff.app.test_client()
    ed = staff.headers("editor")
    ids = [_report(c, lat="60.1672", long="24.9446").get_json()[0]["service_request_id"] for _ in range(4)]
    first, dup, bad, gone = ids

    r = c.post(f"/api/reports/{first}/confirm", headers=ed, json={"kind": "hazard"})
    assert r.status_code == 200
    hazard = r.get_json()["closure_id"]
    r = c.post(f"/api/reports/{dup}/merge", headers=ed, json={"into": int(first), "note": "same tree"})
    assert r.status_code == 200 and r.get_json()["merged_into"] == first
    # merging into a merged report follows it to the report it was merged into
    r = c.post(f"/api/reports/{gone}/merge", headers=ed, json={"into": int(dup)})
    assert r.get_json()["merged_into"] == first
    assert c.post(f"/api/reports/{first}/merge", headers=ed, json={"into": 999999}).status_code == 409
    r = c.post(f"/api/reports/{bad}/merge", headers=ed, json={"into": int(bad)})
    assert r.status_code == 422 and "into" in r.get_json()["error"]["fields"]

    # rejecting needs a note; a stale If-Match changes nothing
    r = c.post(f"/api/reports/{bad}/reject", headers=ed, json={})
    assert r.status_code == 422 and "note" in r.get_json()["error"]["fields"]
    r = c.post(f"/api/reports/{bad}/reject", headers={**ed, "If-Match": f'"{bad}.7"'}, json={"note": "x"})
    assert r.status_code == 412
    r = c.post(f"/api/reports/{bad}/reject", headers={**ed, "If-Match": f'"{bad}.1"'}, json={"note": "no problem"})
    assert r.status_code == 200 and r.get_json()["status_notes"] == "no problem"
    assert c.post(f"/api/reports/{bad}/confirm", headers=ed, json={"kind": "closure"}).status_code == 409
    assert c.post(f"/api/reports/{bad}/confirm", headers=ed, json={"kind": "flood"}).status_code == 422
    assert c.post("/api/reports/424242/close", headers=ed, json={}).status_code == 404

    # closing the report ends its hazard; rejected and merged reports stay private
    assert c.post(f"/api/reports/{first}/close", headers=ed, json={"note": "cleared"}).status_code == 200
    assert hazard not in [f["id"] for f in c.get("/api/closures").get_json()["features"]]
    public = c.get("/open311/v2/requests.json").get_json()
    assert [(p["service_request_id"], p["status"], p["status_notes"]) for p in public] == [(first, "closed", "cleared")]
    assert c.get("/open311/v2/requests.json?status=open").get_json() == []
    assert len(c.get("/api/reports?status=merged", headers=ed).get_json()["reports"]) == 2
    assert c.get("/api/reports?status=nope", headers=ed).status_code == 400


def test_open311_services_and_errors(client):
    """The answers' shapes (the database does not matter: the seeded SQLite copy of every web test)."""
    c = client
    en = c.get("/open311/v2/services.json").get_json()
    ind = c.get("/open311/v2/services.json?lang=id").get_json()
    assert [s["service_code"] for s in en] == [
        "pothole", "flooding", "blocked", "construction", "sign", "crossing", "dock", "other",
    ]  # fmt: skip
    assert en[1]["service_name"] == "Flooding" and ind[1]["service_name"] == "Banjir"

    # outside the area: 422 naming it, in Open311's shape with bikemap's code
    r = c.post("/open311/v2/requests.json", json={"service_code": "flooding", "lat": -6.2, "long": 106.8})
    [err] = r.get_json()
    assert r.status_code == 422 and err["code"] == 422 and err["error_code"] == "OutsideArea"
    assert "Helsinki" in err["description"] and err["area"]["name"] in err["description"]
    r = _report(c, service_code="volcano", lat="x", long="24.9", email="not an email")
    [err] = r.get_json()
    assert r.status_code == 422 and set(err["fields"]) == {"service_code", "location", "email"}
    r = c.post("/open311/v2/requests.json", data="{", content_type="application/json")
    assert r.status_code == 400 and r.get_json()[0]["error_code"] == "InvalidJSON"
    r = c.get("/open311/v2/requests.json?colour=red")
    assert r.status_code == 400 and r.get_json()[0]["error_code"] == "InvalidQuery"
    assert c.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert c.get("/open311/v2/requests.json?jurisdiction_id=city.example").status_code == 200
    r = c.get("/open311/v2/requests.xml", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.get_json()[0]["code"] == 404  # JSON even for a browser
    assert c.get("/api/reports").get_json()["error"]["code"] == "Unauthorized"  # the staff API keeps its shape


def test_staff_page_confirms_with_one_click(staff, media_dir):
    c = staff.app.test_client()
    rid = _report(c, lat="60.1672", long="24.9446", description="deep puddle").get_json()[0]["service_request_id"]
    assert c.get("/admin/reports").status_code == 302  # to the login page
    page = c.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    c.post("/admin/login", data={"csrf_token": csrf, "name": "eddie", "password": "editor-pass"})
    for lang, word in (("en", "Confirm as closure"), ("id", "Konfirmasi sebagai penutupan")):
        page = c.get(f"/admin/reports?lang={lang}").get_data(as_text=True)
        assert word in page and "deep puddle" in page and f'id="report-{rid}"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert f'id="report-{rid}"' not in c.get("/admin/reports?status=closed").get_data(as_text=True)
    assert f'id="report-{rid}"' in c.get("/admin/reports?type=blocked&status=open").get_data(as_text=True)
    # without the form's CSRF token nothing happens
    assert c.post(f"/admin/reports/{rid}/confirm", data={"kind": "closure", "version": "1"}).status_code == 400
    r = c.post(
        f"/admin/reports/{rid}/confirm?status=open", data={"csrf_token": csrf, "kind": "closure", "version": "1"}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"status=open#report-{rid}")
    # the staff API with the session cookie needs the session's CSRF token, as the rest of the staff API
    other = _report(c, lat="60.1672", long="24.9446").get_json()[0]["service_request_id"]
    r = c.post(f"/api/reports/{other}/reject", json={"note": "x"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "CSRF"
    r = c.post(f"/api/reports/{other}/reject", json={"note": "x"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.get_json()["updated_by"] == "eddie"
    # the same click again (a stale page) changes nothing
    again = c.post(f"/admin/reports/{rid}/confirm", data={"csrf_token": csrf, "kind": "closure", "version": "1"})
    assert again.status_code == 409
    item = c.get(f"/api/reports/{rid}", headers=staff.headers("editor")).get_json()
    assert item["detailed_status"] == "confirmed" and item["updated_by"] == "eddie"
    assert len(c.get("/api/closures").get_json()["features"]) == 1
    # removing the closure on the closures page closes the report
    r = c.post(f"/admin/closures/{item['closure_id']}/remove", data={"csrf_token": csrf})
    assert r.status_code == 302
    assert c.get(f"/api/reports/{rid}", headers=staff.headers("editor")).get_json()["detailed_status"] == "closed"
