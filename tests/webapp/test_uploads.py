"""Uploads: body limits (also chunked, through granian and waitress), row limits, GPX import and XML attacks.

Limits: ``IMPORT_MAX_BYTES`` (5 MB) for ``POST /api/destinations/import`` and
``/admin/import``, ``STAFF_MAX_BYTES`` (256 KB) for the other staff API bodies,
``FEATURED_MAX_BYTES`` (4 MB) for featured routes, ``ADMIN_MAX_BYTES`` (1 MB)
for admin forms; ``IMPORT_MAX_ROWS`` (10,000) rows per import.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time

import pytest
from fixtures_db import add_user, make_staff_app

MB = 1024 * 1024
IMPORT_LIMIT = 5 * MB
STAFF_LIMIT = 256 * 1024
FEATURED_LIMIT = 4 * MB
INSIDE = (24.9384, 60.1699)  # lon, lat in the demo network (Helsinki)


@pytest.fixture(scope="module")
def up(tmp_path_factory, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path_factory.mktemp('up') / 'db.sqlite3'}", demo_net)
    app.config["EDITOR"] = {"Authorization": "Bearer " + add_user(app, "eddie", "editor", "editor-pass")}
    yield app
    app.extensions["bikemap_db"].dispose()


@pytest.fixture
def client(up):
    return up.test_client()


def _count(app) -> int:
    from sqlalchemy import func, select

    from webapp.storage.models import Destination

    with app.extensions["bikemap_db"].session() as s:
        return s.scalar(select(func.count()).select_from(Destination))


def _json_of_size(size: int) -> bytes:
    """A GeoJSON FeatureCollection of exactly ``size`` bytes (padded with spaces, valid JSON)."""
    body = b'{"type": "FeatureCollection", "features": []}'
    return body + b" " * (size - len(body))


# ----------------------------------------------------------------------------- byte limits


def test_import_limit_exact_and_one_byte_over(up, client):
    ok = client.post(
        "/api/destinations/import",
        data=_json_of_size(IMPORT_LIMIT),
        headers=up.config["EDITOR"],
        content_type="application/geo+json",
    )
    assert ok.status_code == 200, ok.get_json()
    over = client.post(
        "/api/destinations/import",
        data=_json_of_size(IMPORT_LIMIT + 1),
        headers=up.config["EDITOR"],
        content_type="application/geo+json",
    )
    assert over.status_code == 413
    assert over.get_json()["error"]["code"] == "RequestEntityTooLarge"


def test_multipart_upload_over_the_limit(up, client):
    data = {"file": (io.BytesIO(_json_of_size(IMPORT_LIMIT)), "big.geojson")}  # + multipart framing > limit
    over = client.post("/api/destinations/import", data=data, headers=up.config["EDITOR"])
    assert over.status_code == 413 and over.get_json()["error"]["code"] == "RequestEntityTooLarge"


@pytest.mark.parametrize(
    "path,limit",
    [("/api/destinations", STAFF_LIMIT), ("/api/closures", STAFF_LIMIT), ("/api/featured", FEATURED_LIMIT)],
)
def test_staff_bodies_one_byte_over(up, client, path, limit):
    at = client.post(
        path, data=b"{}" + b" " * (limit - 2), headers=up.config["EDITOR"], content_type="application/json"
    )
    assert at.status_code in (400, 422), at.get_json()  # read and refused for its content, not its size
    over = client.post(
        path, data=b"{}" + b" " * (limit - 1), headers=up.config["EDITOR"], content_type="application/json"
    )
    assert over.status_code == 413 and over.get_json()["error"]["code"] == "RequestEntityTooLarge"


def test_admin_import_is_limited_before_the_form_is_parsed(up, client):
    csrf_t = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    login = client.post("/admin/login", data={"csrf_token": csrf_t, "name": "eddie", "password": "editor-pass"})
    assert login.status_code == 302
    csrf = client.get("/api/featured/session").get_json()["csrf"]
    before = _count(up)
    resp = client.post(
        "/admin/import", data={"csrf_token": csrf, "file": (io.BytesIO(b"x" * (IMPORT_LIMIT + 1)), "a.csv")}
    )
    assert resp.status_code == 413 and b"larger than" in resp.data and resp.mimetype == "text/html"
    form = client.post("/admin/closures", data={"csrf_token": csrf, "reason": "x" * (1 * MB + 1)})
    assert form.status_code == 413
    assert _count(up) == before


def test_a_streamed_body_without_length_is_cut_at_the_limit(up, client):
    """A server that passes a chunked body on as a stream (``wsgi.input_terminated``, e.g.
    werkzeug's or gunicorn's): the app stops reading one byte past the limit."""

    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, b):
            n = len(b)
            b[:n] = b" " * n
            self.read_bytes += n
            return n

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    stream = Endless()
    headers = {**up.config["EDITOR"], "Transfer-Encoding": "chunked", "Content-Type": "application/geo+json"}
    environ = EnvironBuilder(path="/api/destinations/import", method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BufferedReader(stream)
    environ["wsgi.input_terminated"] = True
    _, status, _ = run_wsgi_app(up.wsgi_app, environ, buffered=True)
    assert status.startswith("413")
    assert stream.read_bytes <= IMPORT_LIMIT + 2 * 64 * 1024  # read no further than the limit (and a buffer)


# ----------------------------------------------------------------------------- granian and waitress over a socket


@pytest.fixture(scope="module", params=["granian", "waitress"])
def server(request, up):
    """The port of ``up`` served by granian (as ``bikemap serve``: the body streams to the app, which
    stops it at its limit) or waitress (which reads a chunked body whole before the app sees it)."""
    if request.param == "granian":
        from fixtures_web import served_by_granian

        with served_by_granian(up, threads=2) as port:
            yield port
        return
    from waitress.server import create_server

    srv = create_server(up, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=srv.run, daemon=True).start()
    yield srv.effective_port
    srv.close()


def _raw_request(port: int, head: str, chunks, timeout: float = 30.0) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the server may answer and close early
            pass
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                part = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            data += part
            if b"\r\n\r\n" in data:
                head_part, _, body = data.partition(b"\r\n\r\n")
                length = [line for line in head_part.split(b"\r\n") if line.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def _chunked(total: int, piece: int = 64 * 1024, first: bytes = b'{"type": "FeatureCollection", "features": []}'):
    sent = 0
    while sent < total:
        block = (first if sent == 0 else b"") + b" " * (min(piece, total - sent) - (len(first) if sent == 0 else 0))
        sent += len(block)
        yield f"{len(block):x}\r\n".encode() + block + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.parametrize("path,limit", [("/api/destinations/import", IMPORT_LIMIT), ("/api/destinations", STAFF_LIMIT)])
def test_chunked_upload_through_the_server(up, server, path, limit):
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {up.config['EDITOR']['Authorization']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    status, body = _raw_request(server, head, _chunked(limit + 1))
    assert status == 413, body[:300]
    assert json.loads(body)["error"]["code"] == "RequestEntityTooLarge"
    status, body = _raw_request(server, head, _chunked(limit))
    assert status != 413 and status < 500, body[:300]
    sized = head.replace("Transfer-Encoding: chunked", f"Content-Length: {limit + 1}")
    status, body = _raw_request(server, sized, [b"{" + b" " * limit])  # the length alone says too large
    assert status == 413, body[:300]


# ----------------------------------------------------------------------------- rows


def _features(n: int) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(INSIDE)},
                "properties": {"name": f"Place {i}", "category": "park"},
            }
            for i in range(n)
        ],
    }


def test_more_than_10000_rows_are_refused(up, client):
    before = _count(up)
    resp = client.post("/api/destinations/import", json=_features(10_001), headers=up.config["EDITOR"])
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "TooManyRows"
    csv_text = "name,category,lon,lat\n" + "".join(f"P{i},park,{INSIDE[0]},{INSIDE[1]}\n" for i in range(10_001))
    resp = client.post("/api/destinations/import?format=csv", data=csv_text.encode(), headers=up.config["EDITOR"])
    assert resp.status_code == 413
    wpts = "".join(f'<wpt lat="{INSIDE[1]}" lon="{INSIDE[0]}"><name>W{i}</name></wpt>' for i in range(10_001))
    gpx = f'<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="t">{wpts}</gpx>'
    resp = client.post("/api/destinations/import?format=gpx", data=gpx.encode(), headers=up.config["EDITOR"])
    assert resp.status_code == 413
    assert _count(up) == before


def test_row_limit_boundary(up, client):
    up.config["IMPORT_MAX_ROWS"] = 30
    try:
        before = _count(up)
        assert (
            client.post("/api/destinations/import", json=_features(31), headers=up.config["EDITOR"]).status_code == 413
        )
        ok = client.post("/api/destinations/import", json=_features(30), headers=up.config["EDITOR"])
        assert ok.status_code == 200 and ok.get_json()["created"] == 30
        assert _count(up) == before + 30
    finally:
        up.config["IMPORT_MAX_ROWS"] = 10_000


# ----------------------------------------------------------------------------- GPX


GPX_OK = """<?xml version="1.0" encoding="UTF-8"?>
<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="OsmAnd">
  <metadata><name>Tourism office points</name></metadata>
  <wpt lat="60.1699" lon="24.9384"><name>Café &lt;Ursula&gt; &amp; "friends"</name><desc>Sea view</desc>
    <link href="https://example.org/ursula"><text>web</text></link><type>Food</type></wpt>
  <wpt lat="60.1686" lon="24.9412"><name>Old church</name><cmt>Tower open in summer</cmt><type>Flag, Blue</type></wpt>
  <trk><name>not imported</name><trkseg><trkpt lat="60.17" lon="24.94"/></trkseg></trk>
</gpx>"""


def _export(client, up) -> list[dict]:
    return client.get("/api/destinations/export", headers=up.config["EDITOR"]).get_json()["features"]


def test_gpx_waypoints_become_destinations(up, client):
    resp = client.post("/api/destinations/import?format=gpx", data=GPX_OK.encode(), headers=up.config["EDITOR"])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"created": 2, "updated": 0, "rows": 2}
    by_name = {f["properties"]["name"]: f for f in _export(client, up)}
    cafe = by_name['Café <Ursula> & "friends"']["properties"]
    assert (
        cafe["category"] == "food"
        and cafe["description"] == "Sea view"
        and cafe["website"] == "https://example.org/ursula"
    )
    church = by_name["Old church"]
    assert church["properties"]["category"] == "other" and church["properties"]["description"] == "Tower open in summer"
    assert church["geometry"]["coordinates"] == [24.9412, 60.1686]
    # an upload named .gpx, as the admin page sends it, is recognised without ?format=
    data = {"file": (io.BytesIO(GPX_OK.replace("Old church", "Old church 2").encode()), "points.gpx")}
    assert client.post("/api/destinations/import", data=data, headers=up.config["EDITOR"]).status_code == 200


def test_gpx_bad_rows_change_nothing(up, client):
    before = _count(up)
    bad = GPX_OK.replace("<name>Old church</name>", "").replace('lat="60.1699"', 'lat="10.0"')
    resp = client.post("/api/destinations/import?format=gpx", data=bad.encode(), headers=up.config["EDITOR"])
    assert resp.status_code == 422
    rows = {r["row"]: r["fields"] for r in resp.get_json()["error"]["rows"]}
    assert set(rows) == {1, 2} and "location" in rows[1] and "name" in rows[2]
    assert _count(up) == before


SECRET = "bikemap-secret-7f3a9"


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("xxe") / "secret.txt"
    path.write_text(SECRET)
    return path


def _attacks(secret_file) -> dict[str, str]:
    uri = secret_file.as_uri()
    wpt = '<wpt lat="60.1699" lon="24.9384"><name>{}</name></wpt>'
    gpx = '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="x">' + wpt + "</gpx>"
    laughs = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return {
        "xxe_file": f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "{uri}">]>' + gpx.format("&x;"),
        "xxe_parameter_entity": f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY % p SYSTEM "{uri}"> %p;]>'
        + gpx.format("p"),
        "billion_laughs": f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY lol0 "lol">{laughs}]>' + gpx.format("&lol9;"),
        "quadratic_blowup": '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "'
        + "a" * 50_000
        + '">]>'
        + gpx.format("&a;" * 2000),
        "external_dtd": f'<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "{uri}">' + gpx.format("x"),
    }


@pytest.mark.parametrize(
    "attack", ["xxe_file", "xxe_parameter_entity", "billion_laughs", "quadratic_blowup", "external_dtd"]
)
def test_xml_entity_attacks_get_400(up, client, secret_file, attack):
    before = _count(up)
    body = _attacks(secret_file)[attack].encode()
    for kw in ({"data": body, "query_string": {"format": "gpx"}}, {"data": {"file": (io.BytesIO(body), "attack.gpx")}}):
        resp = client.post("/api/destinations/import", headers=up.config["EDITOR"], **kw)
        assert resp.status_code == 400 and resp.mimetype == "application/json"
        assert resp.get_json()["error"]["code"] == "InvalidFile"
        assert SECRET not in resp.get_data(as_text=True) and "lol" not in resp.get_data(as_text=True)
    assert _count(up) == before
    assert SECRET not in json.dumps(_export(client, up))


@pytest.mark.parametrize(
    "body", [b"", b"not xml", b"<gpx><wpt", b'<kml xmlns="http://www.opengis.net/kml/2.2"/>', b"\xff\xfe<\x00g\x00"]
)
def test_not_gpx_gets_400(up, client, body):
    resp = client.post("/api/destinations/import?format=gpx", data=body, headers=up.config["EDITOR"])
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "InvalidFile"


# ----------------------------------------------------------------------------- JSON nested too deeply

DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB: under every limit, far past Python's recursion limit


@pytest.mark.parametrize(
    "path",
    [
        "/api/destinations",
        "/api/closures",
        "/api/featured",
        "/api/destinations/import",
        "/api/destinations/1/restore",
        "/api/featured/1/restore",
    ],
)
def test_deeply_nested_json_is_a_bad_request(up, client, path):
    resp = client.post(path, data=DEEP, headers=up.config["EDITOR"], content_type="application/json")
    assert resp.status_code in (400, 403), resp.get_data(as_text=True)[:200]  # restore: admins only
    assert resp.get_json()["error"]["code"] in ("InvalidJSON", "InvalidFile", "Forbidden")
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    resp = client.post(path, data=deep_object, headers=up.config["EDITOR"], content_type="application/json")
    assert 400 <= resp.status_code < 500


def test_deeply_nested_closure_geometry_in_the_admin_form(up, client):
    csrf_t = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True)).group(1)
    client.post("/admin/login", data={"csrf_token": csrf_t, "name": "eddie", "password": "editor-pass"})
    csrf = client.get("/api/featured/session").get_json()["csrf"]
    deep = "[" * 20_000 + "]" * 20_000  # 120 KB as a form field (werkzeug keeps 500 KB of form fields)
    resp = client.post("/admin/closures", data={"csrf_token": csrf, "reason": "x", "geometry": deep})
    assert resp.status_code == 422
