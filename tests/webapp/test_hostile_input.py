"""Hostile input to every staff endpoint (JSON API and /admin forms), on SQLite and PostgreSQL: never a 5xx.

Issue #13: 23 of 215 hostile inputs answered 500 (400-digit integers, ``Infinity`` as an
import id, a restore version of 2**63, a line break in the publish form's ``back``), and a
lone surrogate in ``names.id`` was stored (201) and then broke every page showing it.

The corpus is sent into every field of a valid body, one field at a time, plus hostile ids
in URLs, hostile query strings and hostile whole bodies. ``pytest -s`` prints the count.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest
from fixtures_db import staff_once
from test_admin import csrf_of, login

#: Values sent as JSON (serialised with allow_nan: Infinity and NaN are what Python's reader accepts).
JSON_VALUES = [10**400, 2**63, float("inf"), float("nan"), "a\ud800", "\x00", "9" * 400, {}]

#: Values sent in form fields and query strings (already percent-encoded where marked with a bytes value).
FORM_VALUES: list[str | bytes] = [
    "9" * 400,
    str(2**63),
    "Infinity",
    "\x00",
    "/admin/\r\nX-Evil: 1",
    '{"type":"LineString","coordinates":[[1e999,60],[24.9,60.1]]}',
    b"%ED%A0%80",  # a lone surrogate encoded as (invalid) UTF-8
]

#: Whole request bodies.
RAW_BODIES = ["[" * 100000, '{"a":' * 5000 + "1" + "}" * 5000, "9" * 400, "", "Infinity"]

HUGE_IDS = ["9" * 400, str(2**63), str(2**64), "0", "18446744073709551616"]


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.failures: list[str] = []

    def check(self, resp, what: str) -> None:
        self.sent += 1
        if resp.status_code >= 500:
            self.failures.append(f"{resp.status_code} {what}: {resp.get_data(as_text=True)[:200]}")


def _leaves(value, path=(), depth=3):
    """Paths of the values in a JSON template (dict keys, a list's first item), ``depth`` levels down."""
    yield path
    if depth == 0:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k), depth - 1)
    elif isinstance(value, list) and value:
        yield from _leaves(value[0], (*path, 0), depth - 1)


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _json(value) -> str:
    return json.dumps(value, allow_nan=True)


def _point(name="Kauppatori", **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.9525, 60.1675]},
        "properties": {
            "name": name,
            "category": "market",
            "names": {"id": "Pasar", "de": "Markt"},
            "description": "d",
            "opening_hours": "Mo-Fr 08:00-18:00",
            "visit_minutes": 30,
            "website": "https://example.org/",
            "image_url": "https://example.org/a.jpg",
            "published": True,
            **props,
        },
    }


def _closure(net) -> dict:
    seg = max(
        range(net.n_segments),
        key=lambda s: net.seg_length[s] if net.tags[s].get("highway") == "residential" else 0,
    )
    return {
        "type": "Feature",
        "properties": {"kind": "closure", "reason": "works", "ends_at": "2099-01-31"},
        "geometry": {"type": "LineString", "coordinates": net.segment_coords(seg).tolist()},
    }


def _form_body(fields: dict[str, str | bytes]) -> str:
    return "&".join(f"{quote(k)}={v.decode() if isinstance(v, bytes) else quote(v)}" for k, v in fields.items())


def _send_json(client, tally, method, url, body_text, headers, what):
    resp = client.open(url, method=method, data=body_text, headers={**headers, "Content-Type": "application/json"})
    tally.check(resp, what)
    return resp


def _fuzz_json(client, tally, method, url, template, headers, *, depth=3, etag=None, keys=None):
    for path in list(_leaves(template, depth=depth)):
        if keys is not None and path[-1:] and path[-1] not in keys:
            continue
        for value in JSON_VALUES:
            extra = {"If-Match": etag} if etag else {}
            body = _json(_replaced(template, path, value))
            resp = _send_json(
                client, tally, method, url, body, {**headers, **extra}, f"{method} {url} {path}={value!r:.40}"
            )
            if etag and resp.status_code == 200:
                etag = resp.headers["ETag"]
    for raw in RAW_BODIES:
        _send_json(client, tally, method, url, raw, headers, f"{method} {url} body {raw[:30]!r}")


def _fuzz_form(client, tally, url, template: dict[str, str]):
    for key in template:
        for value in FORM_VALUES:
            fields: dict[str, str | bytes] = {**template, key: value}
            resp = client.post(url, data=_form_body(fields), content_type="application/x-www-form-urlencoded")
            tally.check(resp, f"POST {url} {key}={value!r:.40}")


def test_no_hostile_input_answers_5xx(staff, demo_net):
    tally = Tally()
    api = staff.app.test_client()
    editor, admin = staff.headers("editor"), staff.headers("admin")

    # something of each kind to aim at
    resp = api.post("/api/destinations", json=_point(), headers=editor)
    assert resp.status_code == 201
    dest = resp.get_json()["id"]
    assert api.post("/api/closures", json=_closure(demo_net), headers=editor).status_code == 201
    closure_id = api.get("/api/closures").get_json()["features"][0]["id"]
    dests = api.get("/api/tour/destinations").get_json()["features"]
    ids = [d["id"] for d in dests][:2]
    tour = api.get(f"/api/tour?start=60.1699,24.9384&stops={','.join(ids)}").get_json()
    tour["properties"].update(name="Ride", names={"id": "Naik"}, description="x", descriptions={"id": "y"})
    resp = api.post("/api/featured", json=tour, headers=editor)
    assert resp.status_code == 201, resp.get_json()
    featured = resp.get_json()["id"]

    # JSON API bodies, one field at a time
    _fuzz_json(api, tally, "POST", "/api/destinations", _point(), editor)
    etag = api.get(f"/api/destinations/{dest}", headers=editor).headers["ETag"]
    _fuzz_json(api, tally, "PATCH", f"/api/destinations/{dest}", _point(), editor, etag=etag)
    _fuzz_json(api, tally, "POST", f"/api/destinations/{dest}/restore", {"version": 1}, admin)
    imp = {"type": "FeatureCollection", "features": [{**_point(), "id": dest}, _point("Other")]}
    imp["features"][0]["properties"]["version"] = 1
    _fuzz_json(api, tally, "POST", "/api/destinations/import", imp, editor, depth=4)
    _fuzz_json(api, tally, "POST", "/api/closures", _closure(demo_net), editor)
    small_tour = {"type": tour["type"], "geometry": tour["geometry"], "properties": tour["properties"]}
    featured_keys = {"geometry", "properties", "type", "coordinates", "name", "names", "description", "kind", "profile"}
    _fuzz_json(api, tally, "POST", "/api/featured", small_tour, editor, depth=2, keys=featured_keys)
    etag = api.get(f"/api/featured/{featured}", headers=editor).headers["ETag"]
    _fuzz_json(api, tally, "PATCH", f"/api/featured/{featured}", {"published": True, "name": "n"}, editor, etag=etag)
    _fuzz_json(api, tally, "POST", f"/api/featured/{featured}/restore", {"version": 1}, admin)

    # CSV import: every cell
    header = ["id", "version", "name", "category", "lon", "lat", "visit_minutes", "published", "name:de"]
    good = [str(dest), "", "Tori", "market", "24.9525", "60.1675", "30", "true", "Markt"]
    for col in range(len(header)):
        for value in FORM_VALUES:
            row = list(good)
            row[col] = value.decode() if isinstance(value, bytes) else value
            buf = io.StringIO()
            csv.writer(buf).writerows([header, row])
            resp = api.post(
                "/api/destinations/import?format=csv",
                data=buf.getvalue().encode("utf-8", "surrogatepass"),
                headers={**editor, "Content-Type": "text/csv"},
            )
            tally.check(resp, f"CSV import {header[col]}={value!r:.40}")

    # ids in URLs and query strings
    for rule in staff.app.url_map.iter_rules():
        if not rule.endpoint.startswith(("staff_api.", "admin.", "featured.")) or "<" not in rule.rule:
            continue
        for bad in HUGE_IDS:
            url = rule.rule.split("<", 1)[0] + bad + rule.rule.split(">", 1)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                tally.check(api.open(url, method=method, json={"version": 1}, headers=admin), f"{method} {url[:60]}")
    for url in ("/api/destinations/export?format=", "/api/featured?all=", "/api/closures?x=", "/api/featured?lang="):
        for value in FORM_VALUES:
            q = value.decode() if isinstance(value, bytes) else quote(value)
            tally.check(api.get(url + q, headers=editor), f"GET {url}{value!r:.40}")

    # the /admin forms (a logged-in admin; the users form last, it may demote its own user)
    client = staff.app.test_client()
    login(client, "ada", "admin-pass")
    csrf = csrf_of(client.get("/admin/").get_data(as_text=True))
    version = lambda: str(api.get(f"/api/destinations/{dest}", headers=editor).get_json()["properties"]["version"])  # noqa: E731
    edit = {
        "csrf_token": csrf,
        "name": "Tori",
        "name_id": "Pasar",
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
    _fuzz_form(client, tally, "/admin/destinations/new", edit)
    _fuzz_form(client, tally, f"/admin/destinations/{dest}", {**edit, "version": version()})
    _fuzz_form(
        client,
        tally,
        f"/admin/destinations/{dest}/publish",
        {"csrf_token": csrf, "version": version(), "published": "1", "back": "/admin/"},
    )
    _fuzz_form(
        client,
        tally,
        f"/admin/destinations/{dest}/restore",
        {"csrf_token": csrf, "version": version(), "to_version": "1"},
    )
    _fuzz_form(
        client,
        tally,
        "/admin/closures",
        {
            "csrf_token": csrf,
            "kind": "closure",
            "reason": "r",
            "ends_at": "2099-01-31",
            "geometry": json.dumps(_closure(demo_net)["geometry"]),
        },
    )
    _fuzz_form(client, tally, f"/admin/closures/{closure_id}/remove", {"csrf_token": csrf})
    for q in FORM_VALUES:
        tally.check(
            client.get("/admin/?q=" + (q.decode() if isinstance(q, bytes) else quote(q))), f"GET /admin/?q={q!r:.40}"
        )
    _fuzz_form(client, tally, f"/admin/destinations/{dest}/delete", {"csrf_token": csrf, "version": version()})
    _fuzz_form(
        client,
        tally,
        "/admin/users",
        {
            "csrf_token": csrf,
            "action": "create",
            "name": "zed",
            "password": "long-enough-pass",
            "password2": "long-enough-pass",
            "role": "editor",
        },
    )
    _fuzz_form(staff.app.test_client(), tally, "/admin/login", {"csrf_token": csrf, "name": "ada", "password": "x"})

    # what was stored is still readable everywhere (no surrogate got in)
    for url in (
        "/api/destinations/export?format=csv",
        "/api/destinations/export?format=geojson",
        "/api/featured?all=1",
    ):
        tally.check(api.get(url, headers=editor), f"GET {url}")
    backend = staff.app.config["DATABASE_URL"].split(":")[0]
    print(f"\nhostile requests on {backend}: {tally.sent}, 5xx: {len(tally.failures)}")
    assert not tally.failures, "\n".join(tally.failures[:30])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_staff(request, demo_net, tmp_path_factory):
    """`staff` made once per database, for tests that store nothing (and check that they did not)."""
    yield from staff_once(request.param, demo_net, tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("where", ["name", "names"])
def test_a_lone_surrogate_is_refused_at_the_door(shared_staff, where):
    """#13: ``names.id = "\\ud800"`` was stored (201) and broke the export, the public page and the edit page."""
    staff = shared_staff
    api = staff.app.test_client()
    body = _point(**({"name": "x\ud800"} if where == "name" else {"names": {"id": "\ud800"}}))
    resp = api.post(
        "/api/destinations", data=_json(body), headers={**staff.headers("editor"), "Content-Type": "application/json"}
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "InvalidText" and "surrogate" in resp.get_json()["error"]["message"]
    assert (
        api.get("/api/destinations/export?format=geojson", headers=staff.headers("editor")).get_json()["features"] == []
    )


def test_csv_export_neutralises_formulas_and_round_trips(staff):
    api = staff.app.test_client()
    nasty = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "'=quoted", "plain"]
    for i, name in enumerate(nasty):
        body = _point(name=name, names={"de": nasty[(i + 1) % len(nasty)]}, description=nasty[(i + 2) % len(nasty)])
        assert api.post("/api/destinations", json=body, headers=staff.headers("editor")).status_code == 201
    text = api.get("/api/destinations/export?format=csv", headers=staff.headers("editor")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows[1:]:
        for cell in row:
            assert (
                not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell.lstrip("-").replace(".", "").isdigit()
            ), cell
    assert {r[rows[0].index("name")] for r in rows[1:]} == {
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "Tab",  # stored stripped
        "CR",
        "''=quoted",
        "plain",
    }
    # importing the export back changes nothing (the quote is dropped again)
    before = api.get("/api/destinations/export?format=geojson", headers=staff.headers("editor")).get_json()
    resp = api.post(
        "/api/destinations/import?format=csv",
        data=text.encode(),
        headers=staff.headers("editor", **{"Content-Type": "text/csv"}),
    )
    assert resp.status_code == 200, resp.get_json()
    after = api.get("/api/destinations/export?format=geojson", headers=staff.headers("editor")).get_json()
    strip = lambda fc: sorted(  # noqa: E731
        (f["properties"]["name"], f["properties"]["names"].get("de"), f["properties"]["description"])
        for f in fc["features"]
    )
    assert strip(after) == strip(before)
