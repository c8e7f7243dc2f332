"""The staff JSON API: roles, optimistic locking, history, import/export, escaping of stored text."""

from __future__ import annotations

import json
import re
import threading

XSS = "<img src=x onerror=alert(1)>"


def feature(name="Kauppatori", lon=24.9525, lat=60.1675, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "category": "market", **props},
    }


def create(client, staff, who="editor", **kw):
    resp = client.post("/api/destinations", json=feature(**kw), headers=staff.headers(who))
    assert resp.status_code == 201, resp.get_json()
    return resp


def test_roles_on_create_edit_delete(staff):
    client = staff.app.test_client()
    body = feature()
    assert client.post("/api/destinations", json=body).status_code == 401
    bad = client.post("/api/destinations", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "Unauthorized"
    resp = create(
        client,
        staff,
        opening_hours="Mo-Sa 08:00-18:00",
        visit_minutes=30,
        website="https://example.org/",
    )
    feat, etag = resp.get_json(), resp.headers["ETag"]
    assert feat["properties"]["version"] == 1 and isinstance(feat["id"], int)
    assert feat["properties"]["opening_hours"] == "Mo-Sa 08:00-18:00"
    url = f"/api/destinations/{feat['id']}"
    got = client.get(url)
    assert got.status_code == 200 and got.headers["ETag"] == etag
    # move it (editor), anonymous cannot
    move = {
        "geometry": {"type": "Point", "coordinates": [24.953, 60.168]},
        "type": "Feature",
        "properties": {},
    }
    assert client.patch(url, json=move, headers={"If-Match": etag}).status_code == 401
    resp = client.patch(url, json=move, headers=staff.headers("editor", **{"If-Match": etag}))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["geometry"]["coordinates"] == [24.953, 60.168]
    assert resp.headers["ETag"] != etag and resp.get_json()["properties"]["version"] == 2
    etag2 = resp.headers["ETag"]
    # delete: editors may not (403), admins may
    resp = client.delete(url, headers=staff.headers("editor", **{"If-Match": etag2}))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "Forbidden"
    assert client.delete(url, headers=staff.headers("admin")).status_code == 428
    assert client.delete(url, headers=staff.headers("admin", **{"If-Match": etag})).status_code == 412
    assert client.delete(url, headers=staff.headers("admin", **{"If-Match": etag2})).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(url, headers=staff.headers("admin")).status_code == 404


def test_patch_preconditions(staff):
    client = staff.app.test_client()
    resp = create(client, staff)
    url, etag = f"/api/destinations/{resp.get_json()['id']}", resp.headers["ETag"]
    change = {"description": "Market square by the harbour"}
    missing = client.patch(url, json=change, headers=staff.headers("editor"))
    assert missing.status_code == 428 and missing.get_json()["error"]["code"] == "PreconditionRequired"
    ok = client.patch(url, json=change, headers=staff.headers("editor", **{"If-Match": etag}))
    assert ok.status_code == 200
    stale = client.patch(url, json={"description": "lost"}, headers=staff.headers("admin", **{"If-Match": etag}))
    assert stale.status_code == 412 and stale.get_json()["error"]["code"] == "PreconditionFailed"
    now = client.get(url).get_json()
    assert now["properties"]["description"] == "Market square by the harbour"
    assert now["properties"]["version"] == 2


def test_two_editors_from_the_same_version_exactly_one_wins(staff):
    client = staff.app.test_client()
    resp = create(client, staff)
    url, etag = f"/api/destinations/{resp.get_json()['id']}", resp.headers["ETag"]
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
    codes = sorted(code for code, _ in results)
    assert codes == [200, 412, 412, 412], results
    winner = next(text for code, text in results if code == 200)
    now = client.get(url).get_json()["properties"]
    assert now["description"] == winner and now["version"] == 2
    hist = client.get(url + "/history", headers=staff.headers("editor")).get_json()["changes"]
    assert [h["action"] for h in hist] == ["create", "update"]


def test_validation_messages(staff):
    client = staff.app.test_client()
    bad = feature(
        name=" ",
        lon=2.35,
        lat=48.85,
        category="castle",
        website="javascript:alert(1)",
        image_url="ftp://x/y.png",
        opening_hours="every day 9 to 5",
        visit_minutes=-3,
    )
    resp = client.post("/api/destinations", json=bad, headers=staff.headers("editor"))
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {
        "name",
        "location",
        "category",
        "website",
        "image_url",
        "opening_hours",
        "visit_minutes",
    }
    assert "outside the area" in fields["location"]
    assert "http" in fields["website"]
    assert "opening_hours" in fields["opening_hours"]
    resp = client.post("/api/destinations", data="not json", headers=staff.headers("editor"))
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "InvalidJSON"
    resp = client.post("/api/destinations", json=feature(colour="red"), headers=staff.headers("editor"))
    assert resp.status_code == 422 and "colour" in resp.get_json()["error"]["fields"]


def test_unpublished_hidden_from_public(staff):
    client = staff.app.test_client()
    resp = create(client, staff, published=False)
    url = f"/api/destinations/{resp.get_json()['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=staff.headers("editor")).status_code == 200
    public = client.get("/api/destinations").get_json()["features"]
    assert all(f["properties"]["name"] != "Kauppatori" for f in public)
    etag = resp.headers["ETag"]
    client.patch(url, json={"published": True}, headers=staff.headers("editor", **{"If-Match": etag}))
    assert client.get(url).status_code == 200


def test_text_stored_exactly(staff):
    client = staff.app.test_client()
    resp = create(client, staff, name=XSS, description=XSS, names={"id": XSS})
    got = client.get(f"/api/destinations/{resp.get_json()['id']}").get_json()["properties"]
    assert got["name"] == XSS and got["description"] == XSS and got["names"] == {"id": XSS}


def test_history_and_restore(staff):
    client = staff.app.test_client()
    resp = create(client, staff, description="first")
    dest_id, etag = resp.get_json()["id"], resp.headers["ETag"]
    url = f"/api/destinations/{dest_id}"
    etag = client.patch(
        url, json={"description": "second"}, headers=staff.headers("editor", **{"If-Match": etag})
    ).headers["ETag"]
    assert client.get(url + "/history").status_code == 401
    changes = client.get(url + "/history", headers=staff.headers("editor")).get_json()["changes"]
    assert [(c["version"], c["who"], c["after"]["description"]) for c in changes] == [
        (1, "eddie", "first"),
        (2, "eddie", "second"),
    ]
    assert changes[1]["before"]["description"] == "first"
    body = {"version": 1}
    assert (
        client.post(url + "/restore", json=body, headers=staff.headers("editor", **{"If-Match": etag})).status_code
        == 403
    )
    resp = client.post(url + "/restore", json=body, headers=staff.headers("admin", **{"If-Match": etag}))
    assert resp.status_code == 200 and resp.get_json()["properties"]["description"] == "first"
    assert resp.get_json()["properties"]["version"] == 3
    # a deleted destination comes back by restoring a version
    etag = resp.headers["ETag"]
    assert client.delete(url, headers=staff.headers("admin", **{"If-Match": etag})).status_code == 204
    resp = client.post(url + "/restore", json={"version": 2}, headers=staff.headers("admin"))
    assert resp.status_code == 200 and resp.get_json()["properties"]["description"] == "second"
    assert client.get(url).status_code == 200


def _export(client, staff, fmt):
    return client.get(f"/api/destinations/export?format={fmt}", headers=staff.headers("editor"))


def test_import_geojson_all_or_nothing(staff):
    client = staff.app.test_client()
    first = create(client, staff).get_json()
    good = feature(name="Vanha kauppahalli", category="food")
    bad1 = feature(name="", category="food")
    bad2 = feature(name="Far away", lon=2.35, lat=48.85)
    edit = {**first, "properties": {**first["properties"], "description": "edited by import"}}
    doc = {"type": "FeatureCollection", "features": [good, bad1, edit, bad2]}
    before = _export(client, staff, "geojson").get_data()
    resp = client.post("/api/destinations/import", json=doc, headers=staff.headers("editor"))
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert [r["row"] for r in err["rows"]] == [2, 4]
    assert "name" in err["rows"][0]["fields"] and "location" in err["rows"][1]["fields"]
    assert _export(client, staff, "geojson").get_data() == before  # nothing changed
    doc["features"] = [good, edit]
    resp = client.post("/api/destinations/import", json=doc, headers=staff.headers("editor"))
    assert resp.status_code == 200 and resp.get_json() == {"created": 1, "updated": 1, "rows": 2}
    # the same file again: the edit row's version is stale now
    resp = client.post("/api/destinations/import", json=doc, headers=staff.headers("editor"))
    assert resp.status_code == 422 and resp.get_json()["error"]["rows"][0]["row"] == 2
    assert client.post("/api/destinations/import", json=doc).status_code == 401


def test_import_csv_and_export_round_trip(staff):
    client = staff.app.test_client()
    create(client, staff, name=XSS, names={"id": "Pasar"})
    csv_text = _export(client, staff, "csv").get_data(as_text=True)
    assert XSS in csv_text and "name:id" in csv_text.splitlines()[0]
    lines = csv_text.lstrip("\ufeff").splitlines()
    header = lines[0].split(",")
    new_row = {c: "" for c in header}
    new_row.update(name="Esplanadi", category="park", lon="24.948", lat="60.1677", published="true")
    bad_row = dict(new_row, name="Nowhere", category="sea")
    rows = [",".join(new_row[c] for c in header), ",".join(bad_row[c] for c in header)]
    upload = "\n".join([lines[0], *rows]) + "\n"
    resp = client.post(
        "/api/destinations/import?format=csv",
        data=upload.encode(),
        headers=staff.headers("editor", **{"Content-Type": "text/csv"}),
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["rows"] == [
        {
            "row": 3,
            "fields": {"category": resp.get_json()["error"]["rows"][0]["fields"]["category"]},
        }
    ]
    resp = client.post(
        "/api/destinations/import?format=csv",
        data=("\n".join([lines[0], rows[0]]) + "\n").encode(),
        headers=staff.headers("editor", **{"Content-Type": "text/csv"}),
    )
    assert resp.status_code == 200 and resp.get_json()["created"] == 1
    geo = json.loads(_export(client, staff, "geojson").get_data())
    assert sorted(f["properties"]["name"] for f in geo["features"]) == sorted([XSS, "Esplanadi"])


def test_import_size_limit(staff):
    staff.app.config["IMPORT_MAX_BYTES"] = 1000
    client = staff.app.test_client()
    doc = {"type": "FeatureCollection", "features": [feature(name=f"Place {i}") for i in range(50)]}
    resp = client.post("/api/destinations/import", json=doc, headers=staff.headers("editor"))
    assert resp.status_code == 413 and "error" in resp.get_json()
    assert json.loads(_export(client, staff, "geojson").get_data())["features"] == []


def test_public_map_shows_published_layer_and_closures(staff, demo_net):
    client = staff.app.test_client()
    resp = create(client, staff, name=XSS, description=XSS)
    hidden = create(client, staff, name="Secret garden", published=False)
    seg = max(
        range(demo_net.n_segments),
        key=lambda s: demo_net.seg_length[s] if demo_net.tags[s].get("highway") == "residential" else 0,
    )
    closure = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": demo_net.segment_coords(seg).tolist()},
        "properties": {"kind": "closure", "reason": "Bridge works " + XSS},
    }
    assert client.post("/api/closures", json=closure, headers=staff.headers("editor")).status_code == 201
    page = client.get("/").get_data(as_text=True)
    # the page carries no destinations (they load by viewport, issue #19); its map script has the closures
    script = client.get(re.search(r'<script src="(/map/[^"]+\.js)"', page).group(1)).get_data(as_text=True)
    # escaped for HTML (then JSON-escaped inside the map's data: & -> \u0026)
    escaped = ("&lt;img src=x onerror=alert(1)&gt;", "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;")
    assert XSS not in page + script and sum(script.count(e) for e in escaped) >= 1  # the closure's popup
    assert "Bridge works" in script
    # the public list, as the page asks for it (by box): raw text in JSON, unpublished left out
    box = {"bbox": "24.5,59.9,25.5,60.5"}
    names = [f["properties"]["name"] for f in client.get("/api/destinations", query_string=box).get_json()["features"]]
    assert XSS in names and "Secret garden" not in names
    # an edit shows at once
    url, etag = f"/api/destinations/{hidden.get_json()['id']}", hidden.headers["ETag"]
    client.patch(url, json={"published": True}, headers=staff.headers("editor", **{"If-Match": etag}))
    names = [f["properties"]["name"] for f in client.get("/api/destinations", query_string=box).get_json()["features"]]
    assert "Secret garden" in names
    assert resp.status_code == 201


def test_seeding_never_overwrites_staff_edits(database, demo_net):
    from sqlalchemy import select

    from webapp.storage.destinations import seed_destinations, update_destination
    from webapp.storage.models import Destination

    with database.session() as s:
        first = seed_destinations(s, demo_net.pois)
        assert first["created"] > 100 and first["updated"] == 0
        rows = list(s.scalars(select(Destination).order_by(Destination.id)))
        assert all(r.source == "osm" and r.osm_id and r.published for r in rows)
        staff_row, osm_row = rows[0], rows[1]
        update_destination(s, staff_row.id, 1, {"description": "Checked by the tourism office"}, user="clerk")
        # OSM changes: both rows differ from what was seeded
        pois = []
        for p in demo_net.pois:
            p = {**p, "tags": dict(p["tags"])}
            ref = f"{p['osm_type']}/{p['osm_id']}"
            if ref in (staff_row.osm_id, osm_row.osm_id):  # two names: one name would make them one place
                p["tags"]["name"] = "Renamed in OSM" if ref == osm_row.osm_id else "Also renamed in OSM"
            pois.append(p)
        again = seed_destinations(s, pois)
        assert again == {
            "created": 0,
            "updated": 1,
            "unchanged": first["created"] - 2,
            "kept_staff": 1,
            "merged": 0,
        }
        s.expire_all()
        assert s.get(Destination, staff_row.id).name != "Also renamed in OSM"
        assert s.get(Destination, staff_row.id).description == "Checked by the tourism office"
        assert s.get(Destination, osm_row.id).name == "Renamed in OSM"
        assert s.get(Destination, osm_row.id).version == 2


def test_public_get_hides_staff_names_and_big_bodies_are_refused(staff):
    client = staff.app.test_client()
    resp = create(client, staff)
    url = f"/api/destinations/{resp.get_json()['id']}"
    assert "updated_by" not in client.get(url).get_json()["properties"]
    assert client.get(url, headers=staff.headers("editor")).get_json()["properties"]["updated_by"] == "eddie"
    big = feature(description="x" * 300_000)
    resp = client.post("/api/destinations", json=big, headers=staff.headers("editor"))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"]
