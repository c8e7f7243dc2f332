"""Featured routes: ``/api/featured`` CRUD with each role, locking, public list, GPX, escaping.

Every test runs on SQLite and on PostgreSQL (``staff`` fixture of tests/fixtures_db.py). A database and an
app of their own took most of the short tests' time (on PostgreSQL a ``CREATE DATABASE`` each), so the
tests that store nothing (refused bodies, the OpenAPI document) share one staff app per database
(``shared_staff``), and so do the tests that look only at the routes they saved themselves
(``own_rows_staff``); the tests that read the whole list or change the app's settings get their own.
"""

from __future__ import annotations

import re
import threading

import pytest
from fixtures_db import staff_once
from lxml import etree

START = "60.1699,24.9384"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(staff):
    with staff.app.test_client() as c:
        yield c


def _module_staff(name: str, doc: str):
    """A module-scoped staff fixture ``name``: one app per database (`staff_once`)."""

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"], name=name)
    def staff_fixture(request, demo_net, tmp_path_factory):
        yield from staff_once(request.param, demo_net, tmp_path_factory.mktemp("featured"))

    staff_fixture.__doc__ = doc
    return staff_fixture


# the tests that store nothing (and check it), and those that look only at the routes they saved
shared_staff = _module_staff("shared_staff", "`staff` once per database: tests that store nothing")
own_rows_staff = _module_staff("own_rows_staff", "`staff` once per database: tests of their own routes")


@pytest.fixture
def shared_client(shared_staff):
    with shared_staff.app.test_client() as c:
        yield c


@pytest.fixture
def own_client(own_rows_staff):
    with own_rows_staff.app.test_client() as c:
        yield c


def _tour(client) -> dict:
    dests = [
        {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
        for f in client.get("/api/tour/destinations").get_json()["features"]
    ]
    ids = [d["id"] for d in dests if d["category"] == "museum"][:3]
    resp = client.get(f"/api/tour?start={START}&stops={','.join(ids)}&start_time=2026-07-01T10:00")
    assert resp.status_code == 200
    return resp.get_json()


def _featured(feature, **props) -> dict:
    f = dict(feature)
    f["properties"] = {
        **feature["properties"],
        "name": "Museum ride",
        "names": {"id": "Bersepeda ke museum"},
        "description": "Three museums by bike",
        "descriptions": {"id": "Tiga museum"},
        **props,
    }
    return f


def _create(client, staff, feature, **props):
    resp = client.post("/api/featured", json=_featured(feature, **props), headers=staff.headers("editor"))
    assert resp.status_code == 201, resp.get_json()
    return resp


def test_crud_with_each_role(client, staff):
    tour = _tour(client)
    body = _featured(tour)
    assert client.post("/api/featured", json=body).status_code == 401
    bad = client.post("/api/featured", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    resp = _create(client, staff, tour)
    f, etag = resp.get_json(), resp.headers["ETag"]
    fid = f["id"]
    assert etag == f'"{fid}.1"' and resp.headers["Location"] == f"/api/featured/{fid}"
    p = f["properties"]
    assert p["name"] == "Museum ride" and p["names"] == {"id": "Bersepeda ke museum"} and p["published"] is False
    assert p["kind"] == "order" and p["profile"] == "safe" and p["distance_m"] == tour["properties"]["distance_m"]
    assert [s["id"] for s in p["stops"]] == tour["properties"]["order"]
    assert f["geometry"]["coordinates"][0] == pytest.approx(tour["geometry"]["coordinates"][0])
    assert "instructions" not in p and "legs" not in p  # only the line, stops and summary are kept

    # unpublished: staff only
    assert client.get(f"/api/featured/{fid}").status_code == 404
    assert client.get("/api/featured").get_json()["features"] == []
    assert client.get(f"/api/featured/{fid}", headers=staff.headers("editor")).headers["ETag"] == etag
    listed = client.get("/api/featured?all=1", headers=staff.headers("editor")).get_json()["features"]
    assert [x["id"] for x in listed] == [fid]
    assert client.get("/api/featured?all=1").status_code == 401

    # editors publish (If-Match), 428 without it, 412 when stale
    path = f"/api/featured/{fid}"
    assert client.patch(path, json={"published": True}, headers=staff.headers("editor")).status_code == 428
    ok = client.patch(path, json={"published": True}, headers=staff.headers("editor", **{"If-Match": etag}))
    assert ok.status_code == 200 and ok.headers["ETag"] == f'"{fid}.2"'
    stale = client.patch(path, json={"name": "Other"}, headers=staff.headers("editor", **{"If-Match": etag}))
    assert stale.status_code == 412 and stale.headers["ETag"] == f'"{fid}.2"'
    assert client.get(path).get_json()["properties"]["name"] == "Museum ride"
    assert client.patch(path, json={"published": False}, headers={"If-Match": ok.headers["ETag"]}).status_code == 401

    # public: the published route in the page's language, without staff names
    pub = client.get("/api/featured?lang=id").get_json()["features"]
    assert len(pub) == 1 and pub[0]["geometry"] is None
    xs, ys = zip(*(c[:2] for c in tour["geometry"]["coordinates"]), strict=True)
    assert pub[0]["bbox"] == pytest.approx([min(xs), min(ys), max(xs), max(ys)], abs=1e-6)
    assert "bbox" not in pub[0]["properties"]
    assert pub[0]["properties"]["title"] == "Bersepeda ke museum" and pub[0]["properties"]["text"] == "Tiga museum"
    assert "updated_by" not in pub[0]["properties"]
    one = client.get(path)
    assert one.status_code == 200 and one.get_json()["geometry"]["type"] == "LineString"
    assert "updated_by" not in one.get_json()["properties"]

    # only admins delete
    etag = ok.headers["ETag"]
    assert client.delete(path, headers=staff.headers("editor", **{"If-Match": etag})).status_code == 403
    assert client.delete(path, headers=staff.headers("admin")).status_code == 428
    assert client.delete(path, headers=staff.headers("admin", **{"If-Match": f'"{fid}.1"'})).status_code == 412
    assert client.delete(path, headers=staff.headers("admin", **{"If-Match": etag})).status_code == 204
    assert client.get(path, headers=staff.headers("admin")).status_code == 404
    assert client.get("/api/featured").get_json()["features"] == []

    # history, and an admin restores
    changes = client.get(f"{path}/history", headers=staff.headers("editor")).get_json()["changes"]
    assert [(c["version"], c["action"], c["who"]) for c in changes] == [
        (1, "create", "eddie"),
        (2, "update", "eddie"),
        (3, "delete", "ada"),
    ]
    assert changes[1]["before"]["published"] is False and changes[1]["after"]["published"] is True
    assert client.get(f"{path}/history").status_code == 401
    assert client.post(f"{path}/restore", json={"version": 2}, headers=staff.headers("editor")).status_code == 403
    back = client.post(f"{path}/restore", json={"version": 2}, headers=staff.headers("admin"))
    assert back.status_code == 200 and back.get_json()["properties"]["version"] == 4
    assert [x["id"] for x in client.get("/api/featured").get_json()["features"]] == [fid]


def test_a_plain_route_and_edits(own_client, own_rows_staff):
    client, staff = own_client, own_rows_staff
    route = client.get("/api/route?from=60.1699,24.9384&to=60.1618,24.9510").get_json()
    f = _create(client, staff, route, published=True).get_json()
    assert f["properties"]["kind"] == "route" and [s["name"] for s in f["properties"]["stops"]] == ["from", "to"]
    path = f"/api/featured/{f['id']}"
    # a new line replaces the old one; names per language change on their own
    tour = _tour(client)
    resp = client.patch(
        path,
        json={
            "type": "Feature",
            "geometry": tour["geometry"],
            "properties": {"stops": tour["properties"]["stops"], "kind": "order", "names": {"id": "Rute baru"}},
        },
        headers=staff.headers("editor", **{"If-Match": f'"{f["id"]}.1"'}),
    )
    assert resp.status_code == 200, resp.get_json()
    p = resp.get_json()["properties"]
    assert p["name"] == "Museum ride" and p["names"] == {"id": "Rute baru"} and len(p["stops"]) == 3
    assert resp.get_json()["geometry"]["coordinates"][0] == pytest.approx(tour["geometry"]["coordinates"][0])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"names": "Rute"}, "names"),
        ({"published": "yes"}, "published"),
        ({"geometry": {"type": "Point", "coordinates": [24.9, 60.1]}}, "geometry"),
        ({"geometry": {"type": "LineString", "coordinates": [[24.9, 60.1]]}}, "geometry"),
        ({"geometry": {"type": "LineString", "coordinates": [[2.35, 48.86], [2.36, 48.87]]}}, "geometry"),
        ({"geometry": {"type": "LineString", "coordinates": [[24.9, "60.1"], [24.91, 60.1]]}}, "geometry"),
        ({"stops": [{"name": "no place"}]}, "stops"),
        ({"name": "Ride\x00"}, "name"),
        ({"descriptions": {"id": "a\x00b"}}, "descriptions.id"),
    ],
)
def test_bad_values_are_422(shared_client, shared_staff, change, field):
    client, staff = shared_client, shared_staff
    base = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[24.94, 60.17], [24.95, 60.16]]},
        "properties": {"name": "Ride"},
    }
    if "geometry" in change:
        base["geometry"] = change["geometry"]
    else:
        base["properties"].update(change)
    resp = client.post("/api/featured", json=base, headers=staff.headers("editor"))
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "InvalidFields" and field in err["fields"]
    assert client.get("/api/featured?all=1", headers=staff.headers("editor")).get_json()["features"] == []


def test_bad_requests(own_client, own_rows_staff):
    client, staff = own_client, own_rows_staff
    assert client.post("/api/featured", data="nope", headers=staff.headers("editor")).status_code == 400
    assert client.get("/api/featured/999").status_code == 404
    assert client.get("/api/featured?lang=xx").status_code == 400
    assert client.get("/api/featured?bogus=1").status_code == 400
    f = _create(client, staff, _tour(client), published=True).get_json()
    assert client.get(f"/api/featured/{f['id']}?format=kml").status_code == 400
    etag = {"If-Match": '"999.1"'}
    assert client.patch(f"/api/featured/{f['id']}", json={}, headers=staff.headers("editor", **etag)).status_code == 412


def test_gpx_is_valid_with_stops_as_waypoints(own_client, own_rows_staff, gpx_schema):
    client, staff = own_client, own_rows_staff
    tour = _tour(client)
    f = _create(client, staff, tour, published=True).get_json()
    resp = client.get(f"/api/featured/{f['id']}?format=gpx&lang=id")
    assert resp.status_code == 200 and resp.mimetype == "application/gpx+xml"
    assert "attachment" in resp.headers["Content-Disposition"]
    doc = etree.fromstring(resp.data)
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert doc.findtext("g:metadata/g:name", namespaces=ns) == "Bersepeda ke museum"
    wpts = doc.findall("g:wpt", ns)
    assert [w.findtext("g:name", namespaces=ns) for w in wpts] == [
        f"{i}. {s['name']}" for i, s in enumerate(tour["properties"]["stops"], 1)
    ]
    first = tour["properties"]["stops"][0]
    assert float(wpts[0].get("lat")) == pytest.approx(first["lat"], abs=1e-6)
    assert len(doc.findall("g:trk/g:trkseg/g:trkpt", ns)) == len(tour["geometry"]["coordinates"])
    # unpublished ones: staff only
    client.patch(
        f"/api/featured/{f['id']}",
        json={"published": False},
        headers=staff.headers("editor", **{"If-Match": f'"{f["id"]}.1"'}),
    )
    assert client.get(f"/api/featured/{f['id']}?format=gpx").status_code == 404
    assert client.get(f"/api/featured/{f['id']}?format=gpx", headers=staff.headers("editor")).status_code == 200


def test_xss_is_stored_exactly_and_escaped(client, staff, gpx_schema):
    tour = _tour(client)
    f = _create(
        client, staff, tour, name=XSS, description=XSS, names={"id": XSS}, descriptions={"id": XSS}, published=True
    ).get_json()
    assert f["properties"]["name"] == XSS and f["properties"]["names"]["id"] == XSS
    listed = client.get("/api/featured?lang=id").get_json()["features"][0]["properties"]
    assert listed["title"] == XSS and listed["text"] == XSS
    gpx = client.get(f"/api/featured/{f['id']}?format=gpx")
    text = gpx.get_data(as_text=True)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    gpx_schema.assertValid(etree.fromstring(gpx.data))
    # the map page does not put the names in its HTML: featured.js sets them with textContent
    page = client.get("/").get_data(as_text=True)
    assert XSS not in page and "featured.js" in page
    js = client.get("/static/js/featured.js").get_data(as_text=True)
    assert "innerHTML" not in js and "textContent" in js


def test_session_save_needs_csrf(own_client):
    from test_admin import csrf_of

    client = own_client

    assert client.get("/api/featured/session").get_json() == {"staff": False}
    page = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"name": "eddie", "password": "editor-pass", "csrf_token": csrf_of(page)})
    me = client.get("/api/featured/session").get_json()
    assert me["staff"] is True and me["role"] == "editor" and re.fullmatch(r"[\w.-]{20,}", me["csrf"])
    body = _featured(_tour(client))
    assert client.post("/api/featured", json=body).status_code == 403
    assert client.post("/api/featured", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    resp = client.post("/api/featured", json=body, headers={"X-CSRF-Token": me["csrf"]})
    assert resp.status_code == 201 and resp.get_json()["properties"]["name"] == "Museum ride"


def test_openapi_lists_the_featured_paths(shared_client):
    client = shared_client
    doc = client.get("/api/openapi.json").get_json()
    assert {"get", "post"} <= set(doc["paths"]["/api/featured"])
    assert {"get", "patch", "delete"} <= set(doc["paths"]["/api/featured/{featured_id}"])
    validator = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator is not installed")
    validator.validate(doc)


def test_too_large_body_is_413(client, staff):
    staff.app.config["FEATURED_MAX_BYTES"] = 10_000
    line = [[24.94 + i * 1e-5, 60.17] for i in range(2000)]
    body = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line}, "properties": {"name": "Big"}}
    resp = client.post("/api/featured", json=body, headers=staff.headers("editor"))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "RequestEntityTooLarge"
    assert client.get("/api/featured?all=1", headers=staff.headers("editor")).get_json()["features"] == []


def test_two_editors_from_the_same_version_exactly_one_wins(own_client, own_rows_staff):
    client, staff = own_client, own_rows_staff
    resp = _create(client, staff, _tour(client))
    url, etag = f"/api/featured/{resp.get_json()['id']}", resp.headers["ETag"]
    barrier = threading.Barrier(4)
    results = []

    def save(who, text):
        c = staff.app.test_client()
        barrier.wait()
        r = c.patch(url, json={"description": text}, headers=staff.headers(who, **{"If-Match": etag}))
        results.append((r.status_code, text))

    threads = [
        threading.Thread(target=save, args=(w, f"{w}-{i}"))
        for i, w in enumerate(["editor", "admin", "editor", "admin"])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200, 412, 412, 412], results
    winner = next(text for code, text in results if code == 200)
    now = client.get(url, headers=staff.headers("editor")).get_json()["properties"]
    assert now["description"] == winner and now["version"] == 2
    hist = client.get(url + "/history", headers=staff.headers("editor")).get_json()["changes"]
    assert [h["action"] for h in hist] == ["create", "update"]
