"""The staff UI at /admin: log in, roles, CSRF, rate limiting, forms, escaping.

Tests that only read, or add destinations of their own and look only at those, share one staff app per
database (``shared_staff``); the ones that count what is stored, change users or passwords, or change the
app's settings get their own (``staff``, tests/fixtures_db.py).
"""

from __future__ import annotations

import json
import re

import pytest
from fixtures_db import staff_once

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name, password, *, status=302):
    page = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login", data={"name": name, "password": password, "csrf_token": csrf_of(page)})
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    return resp


def logged_in(staff, who):
    client = staff.app.test_client()
    login(client, {"editor": "eddie", "admin": "ada"}[who], f"{who}-pass")
    return client, csrf_of(client.get("/admin/").get_data(as_text=True))


def form(csrf, **values):
    base = {
        "csrf_token": csrf,
        "name": "Kauppatori",
        "category": "market",
        "lon": "24.9525",
        "lat": "60.1675",
        "description": "",
        "opening_hours": "",
        "visit_minutes": "",
        "website": "",
        "image_url": "",
        "published": "on",
    }
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


def new_id(resp) -> int:
    return int(re.search(r"/admin/destinations/(\d+)", resp.headers["Location"]).group(1))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_staff(request, demo_net, tmp_path_factory):
    """`staff` made once per database, for the tests that neither count rows nor change users or settings."""
    yield from staff_once(request.param, demo_net, tmp_path_factory.mktemp("admin"))


def test_anonymous_is_sent_to_login(shared_staff):
    staff = shared_staff
    client = staff.app.test_client()
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert client.post("/admin/destinations/new", data={"name": "x"}).status_code == 401
    assert client.get("/admin/login").status_code == 200


def test_login_rate_limited(staff):
    staff.app.config["LOGIN_LIMIT_ACCOUNT"] = "5 per minute"  # the default (the test apps are generous)
    client = staff.app.test_client()
    for _ in range(5):
        login(client, "eddie", "wrong-pass", status=401)
    # the sixth attempt within a minute is refused even with the right password
    resp = login(client, "eddie", "editor-pass", status=429)
    assert "wait" in resp.get_data(as_text=True).lower() or "admin_too_many_logins" in resp.get_data(as_text=True)
    # another user name from the same address is not blocked
    login(client, "ada", "admin-pass")


def test_csrf_required(shared_staff):
    staff = shared_staff
    client, csrf = logged_in(staff, "editor")
    assert client.post("/admin/destinations/new", data=form("forged")).status_code == 400
    assert client.post("/admin/destinations/new", data=form(csrf)).status_code == 302
    # a session-authenticated API write needs the token in a header too
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.95, 60.17]},
        "properties": {"name": "A", "category": "park"},
    }
    assert client.post("/api/destinations", json=feat).status_code == 403
    assert client.post("/api/destinations", json=feat, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_editor_crud_through_the_ui(staff):
    client, csrf = logged_in(staff, "editor")
    resp = client.post("/admin/destinations/new", data=form(csrf, name=XSS, description=XSS))
    assert resp.status_code == 302
    dest_id = new_id(resp)
    page = client.get(f"/admin/destinations/{dest_id}").get_data(as_text=True)
    assert XSS not in page and XSS_ESCAPED in page
    listing = client.get("/admin/").get_data(as_text=True)
    assert XSS not in listing and XSS_ESCAPED in listing
    # the map data block is JSON with <, > escaped, so it cannot end the script element
    data = re.search(r'id="bm-map-data">(.*?)</script>', listing, re.S).group(1)
    assert "<" not in data and json.loads(data)["features"][0]["properties"]["name"] == XSS
    # the API stores the text exactly
    assert client.get(f"/api/destinations/{dest_id}").get_json()["properties"]["name"] == XSS
    # edit (move the point) with the version the form was loaded at
    resp = client.post(
        f"/admin/destinations/{dest_id}",
        data=form(csrf, name="Kauppatori", version="1", lon="24.953"),
    )
    assert resp.status_code == 302
    assert client.get(f"/api/destinations/{dest_id}").get_json()["geometry"]["coordinates"] == [
        24.953,
        60.1675,
    ]
    # saving again from version 1 is stale: 409 and nothing changes
    resp = client.post(f"/admin/destinations/{dest_id}", data=form(csrf, name="Lost", version="1"))
    assert resp.status_code == 409
    assert client.get(f"/api/destinations/{dest_id}").get_json()["properties"]["name"] == "Kauppatori"
    # validation messages, the typed values kept
    resp = client.post(
        f"/admin/destinations/{dest_id}",
        data=form(csrf, name="", version="2", website="javascript:x", category="castle", lat="48.85", lon="2.35"),
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for text in ("a name is required", "http:// or https://", "choose one of", "outside the area"):
        assert text in body
    # unpublish from the list: the public no longer sees it
    resp = client.post(
        f"/admin/destinations/{dest_id}/publish",
        data={"csrf_token": csrf, "version": "2", "published": "0"},
    )
    assert resp.status_code == 302
    assert staff.app.test_client().get(f"/api/destinations/{dest_id}").status_code == 404
    # editors cannot delete
    assert (
        client.post(f"/admin/destinations/{dest_id}/delete", data={"csrf_token": csrf, "version": "3"}).status_code
        == 403
    )
    history = client.get(f"/admin/destinations/{dest_id}/history").get_data(as_text=True)
    assert XSS_ESCAPED in history and XSS not in history


def test_admin_deletes_restores_and_manages_users(staff):
    client, csrf = logged_in(staff, "admin")
    dest_id = new_id(client.post("/admin/destinations/new", data=form(csrf)))
    assert (
        client.post(f"/admin/destinations/{dest_id}/delete", data={"csrf_token": csrf, "version": "1"}).status_code
        == 302
    )
    assert client.get(f"/api/destinations/{dest_id}").status_code == 404
    resp = client.post(
        f"/admin/destinations/{dest_id}/restore", data={"csrf_token": csrf, "version": "2", "to_version": "1"}
    )
    assert resp.status_code == 302 and client.get(f"/api/destinations/{dest_id}").status_code == 200
    # users: add, wrong second password, editors are refused
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "action": "add",
            "name": "clerk",
            "role": "editor",
            "password": "long-enough",
            "password2": "long-enough",
        },
    )
    assert resp.status_code == 302  # to the new account's page, which says it was added
    assert "Added editor clerk." in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "action": "add",
            "name": "clerk2",
            "role": "editor",
            "password": "long-enough",
            "password2": "different",
        },
    )
    assert resp.status_code == 422
    other = staff.app.test_client()
    login(other, "clerk", "long-enough")
    assert other.get("/admin/users").status_code == 403
    assert other.get("/admin/").status_code == 200
    # disabling a user ends their session
    clerk_id = int(
        re.search(
            r'data-name="clerk">.*?/admin/users/(\d+)', client.get("/admin/users").get_data(as_text=True), re.S
        ).group(1)
    )
    client.post(f"/admin/users/{clerk_id}/active", data={"csrf_token": csrf, "active": "0"})
    assert other.get("/admin/").status_code == 302


def test_closures_through_the_ui(staff, demo_net):
    client, csrf = logged_in(staff, "editor")
    seg = max(
        range(demo_net.n_segments),
        key=lambda s: demo_net.seg_length[s] if demo_net.tags[s].get("highway") == "residential" else 0,
    )
    line = {"type": "LineString", "coordinates": demo_net.segment_coords(seg).tolist()}
    resp = client.post(
        "/admin/closures",
        data={
            "csrf_token": csrf,
            "kind": "closure",
            "reason": XSS,
            "ends_at": "2099-01-31",
            "geometry": json.dumps(line),
        },
    )
    assert resp.status_code == 302
    page = client.get("/admin/closures").get_data(as_text=True)
    assert XSS_ESCAPED in page and XSS not in page
    public = staff.app.test_client().get("/api/closures").get_json()["features"]
    assert len(public) == 1 and public[0]["properties"]["reason"] == XSS
    resp = client.post("/admin/closures", data={"csrf_token": csrf, "kind": "closure", "reason": "", "geometry": ""})
    assert resp.status_code == 422
    closure_id = public[0]["id"]
    assert client.post(f"/admin/closures/{closure_id}/remove", data={"csrf_token": csrf}).status_code == 302
    assert staff.app.test_client().get("/api/closures").get_json()["features"] == []


def test_admin_maps_draw_the_network(shared_staff, demo_net):
    staff = shared_staff
    """Every staff map gets the public map's street classes (drawn with or without tiles)."""
    from webapp.mapview import NETWORK_STYLES, network_layers

    assert staff.app.test_client().get("/admin/network.json").status_code == 302  # log in first
    client, _csrf = logged_in(staff, "editor")
    for path in ("/admin/", "/admin/destinations/new", "/admin/closures"):
        page = client.get(path).get_data(as_text=True)
        cfg = json.loads(re.search(r'id="bm-map-config">(.*?)</script>', page).group(1))
        assert cfg["network_url"] == "/admin/network.json", path
    resp = client.get("/admin/network.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    fc = resp.get_json()
    assert fc["styles"] == NETWORK_STYLES
    expected = network_layers(demo_net)
    assert [f["properties"]["class"] for f in fc["features"]] == list(expected)
    assert {"cycleway", "quiet"} <= set(expected)
    for f in fc["features"]:
        assert f["geometry"] == expected[f["properties"]["class"]]["geometry"]
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    w, s, e, n = demo_net.bounds
    assert w - 1e-4 <= lon <= e + 1e-4 and s - 1e-4 <= lat <= n + 1e-4
    assert client.get("/admin/network.json").get_data() == resp.get_data()  # cached


def test_import_page_reports_rows(staff):
    client, csrf = logged_in(staff, "editor")
    csv_text = "name,category,lon,lat\nGood,park,24.95,60.17\nBad,sea,24.95,60.17\n"
    import io

    resp = client.post(
        "/admin/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(csv_text.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<td>3</td>" in body
    assert client.get("/api/destinations/export?format=geojson", headers={}).status_code == 200
    assert json.loads(client.get("/api/destinations/export?format=geojson").get_data())["features"] == []


def test_new_password_ends_sessions(staff, monkeypatch, capsys):
    import io
    import sys

    from webapp.cli import main

    client, _ = logged_in(staff, "editor")
    assert client.get("/admin/").status_code == 200
    monkeypatch.setattr(sys, "stdin", io.StringIO("fresh-pass1\nfresh-pass1\n"))
    url = staff.app.config["DATABASE_URL"]
    assert main(["user", "password", "eddie", "--db", url]) == 0
    assert client.get("/admin/").status_code == 302  # logged out
    login(staff.app.test_client(), "eddie", "fresh-pass1")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_admin_page_fully_translated(shared_staff, lang):
    staff = shared_staff
    client, csrf = logged_in(staff, "admin")
    dest_id = new_id(client.post("/admin/destinations/new", data=form(csrf)))
    pages = [
        "/admin/",
        "/admin/destinations/new",
        f"/admin/destinations/{dest_id}",
        f"/admin/destinations/{dest_id}/history",
        "/admin/closures",
        "/admin/users",
        "/admin/users/1",
        "/admin/?show=deleted",
    ]
    for path in pages:
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert not re.findall(r"\badmin_[a-z_]+", html), path
    bad = client.post(f"/admin/destinations/{dest_id}?lang={lang}", data=form(csrf, name="", version="1"))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert ("nama wajib diisi" if lang == "id" else "a name is required") in text


class _FormFields(__import__("html.parser").parser.HTMLParser):
    """What a browser submits from the edit form: every named input, textarea and selected option."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self.fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "input" and a.get("name") and "checked" in a:
            self.fields[a["name"]] = "on"
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea or ""] = ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def test_saving_the_edit_form_keeps_names_it_does_not_show(shared_staff):
    staff = shared_staff
    """#13: a destination with names in de/fr/id/it, saved unchanged from /admin, kept only id."""
    api = staff.app.test_client()
    feat = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.95, 60.17]},
        "properties": {
            "name": "Tori",
            "category": "park",
            "names": {"de": "Markt", "fr": "Marché", "id": "Pasar", "it": "Mercato"},
            "image_url": "https://example.org/a.jpg",
        },
    }
    resp = api.post("/api/destinations", json=feat, headers=staff.headers("editor"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    dest_id = resp.get_json()["id"]
    client, _csrf = logged_in(staff, "editor")
    page = client.get(f"/admin/destinations/{dest_id}").get_data(as_text=True)
    parser = _FormFields()
    parser.feed(page.split('id="bm-edit"', 1)[1].split("</form>", 1)[0])
    assert "name_id" in parser.fields and "name_de" not in parser.fields  # the form shows en/id only
    resp = client.post(f"/admin/destinations/{dest_id}", data=parser.fields)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    props = api.get(f"/api/destinations/{dest_id}", headers=staff.headers("editor")).get_json()["properties"]
    assert props["names"] == {"de": "Markt", "fr": "Marché", "id": "Pasar", "it": "Mercato"}
    assert props["image_url"] == "https://example.org/a.jpg"
    # a name the form shows can still be cleared, and the others stay
    fields = dict(parser.fields, name_id="", version=str(props["version"]))
    assert client.post(f"/admin/destinations/{dest_id}", data=fields).status_code == 302
    props = api.get(f"/api/destinations/{dest_id}", headers=staff.headers("editor")).get_json()["properties"]
    assert props["names"] == {"de": "Markt", "fr": "Marché", "it": "Mercato"}
