"""The JSON API: routes (GeoJSON and GPX), destinations, stations, OpenAPI, every error case."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from lxml import etree

from routes.errors import NoRouteError, OffNetworkError, SourceError
from webapp import create_app
from webapp.cli import main as cli_main

# two points in central Helsinki (the demo network) and a stop between them
A, B, V = "60.1716,24.9410", "60.1660,24.9500", "60.1690,24.9450"


def _error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    # NoSegment also says which point and how far (#17, #15)
    extra = {"point", "distance_m"} if code == "NoSegment" else set()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {"code", "message", *extra}
    assert body["error"]["code"] == code
    assert "Traceback" not in body["error"]["message"]
    return body["error"]["message"]


def test_route_is_the_cli_feature(client, capsys):
    r = client.get(f"/api/route?from={A}&to={B}&via={V}&profile=safe")
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    feature = r.get_json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    p = feature["properties"]
    assert p["distance_m"] > 500 and p["duration_s"] > 0 and len(p["legs"]) == 2
    assert [w["role"] for w in p["waypoints"]] == ["from", "via", "to"]
    assert p["instructions"]
    assert cli_main(["route", "--source", "demo", "--from", A, "--to", B, "--via", V, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == feature


def test_route_in_indonesian(client):
    en = client.get(f"/api/route?from={A}&to={B}").get_json()["properties"]["instructions"]
    id_ = client.get(f"/api/route?from={A}&to={B}&lang=id").get_json()["properties"]["instructions"]
    assert len(en) == len(id_) and en[0]["text"] != id_[0]["text"]


def test_route_profiles_differ(client):
    safe = client.get(f"/api/route?from={A}&to={B}&profile=safe").get_json()["properties"]
    walk = client.get(f"/api/route?from={A}&to={B}&profile=walk").get_json()["properties"]
    assert safe["profile"] == "safe" and walk["profile"] == "walk"
    assert walk["duration_s"] > safe["duration_s"]


def test_route_repeated_via_and_semicolons(client):
    one = client.get(f"/api/route?from={A}&to={B}&via={V};60.1670,24.9480").get_json()
    two = client.get(f"/api/route?from={A}&to={B}&via={V}&via=60.1670,24.9480").get_json()
    assert one == two and len(one["properties"]["legs"]) == 3


def test_route_gpx_download(client, gpx_schema):
    r = client.get(f"/api/route?from={A}&to={B}&via={V}&format=gpx")
    assert r.status_code == 200
    assert r.mimetype == "application/gpx+xml"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert ".gpx" in r.headers["Content-Disposition"]
    doc = etree.fromstring(r.data)
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(doc.findall(".//g:trkpt", ns)) > 10


@pytest.mark.parametrize(
    "query, code",
    [
        ("", "InvalidQuery"),
        (f"from={A}", "InvalidQuery"),
        (f"to={B}", "InvalidQuery"),
        (f"from=&to={B}", "InvalidQuery"),
        (f"from={A}&to={B}&color=red", "InvalidQuery"),
        (f"from={A}&from={A}&to={B}", "InvalidQuery"),
        (f"from=abc&to={B}", "InvalidValue"),
        (f"from={A}&to=91,10", "InvalidValue"),
        (f"from={A}&to=10,181", "InvalidValue"),
        (f"from=nan,nan&to={B}", "InvalidValue"),
        (f"from=1,2,3&to={B}", "InvalidValue"),
        (f"from={A}&to={B}&via=1;x", "InvalidValue"),
        (f"from={A}&to={B}&profile=rocket", "InvalidValue"),
        (f"from={A}&to={B}&lang=fr", "InvalidValue"),
        (f"from={A}&to={B}&format=kml", "InvalidValue"),
        (f"from={A}&to={B}&via=" + ";".join([V] * 26), "TooBig"),
        (f"from={A}&to={B}&via=" + ";".join(["x"] * 5000), "TooBig"),
    ],
)
def test_route_bad_query(client, query, code):
    _error(client.get("/api/route?" + query), 400, code)


def test_route_25_vias_is_fine(client):
    vias = ";".join([V] * 25)
    r = client.get(f"/api/route?from={A}&to={B}&via={vias}")
    assert r.status_code == 200
    assert len(r.get_json()["properties"]["legs"]) == 26


def test_route_point_off_network(client):
    r = client.get(f"/api/route?from=0,0&to={B}")
    msg = _error(r, 422, "NoSegment")
    assert msg.startswith("the start ") and r.get_json()["error"]["point"] == "from"  # which point (#17)
    r = client.get(f"/api/route?from={A}&to={B}&via=61.5,25.5")
    assert _error(r, 422, "NoSegment").startswith("via point 1 (61.500000,25.500000) is ")
    assert r.get_json()["error"]["point"] == "via 1" and r.get_json()["error"]["distance_m"] > 100_000


def test_route_no_route_status(demo_net):
    # every real pair on the demo network is connected (snapping avoids islands), so the
    # engine's NoRouteError is raised here by a view of this test's own app
    app = create_app({"TESTING": True, "NETWORK": demo_net, "TILES_URL": "", "WARM_PROFILES": False})

    @app.get("/_raise/<kind>")
    def _raise(kind):
        raise {
            "route": NoRouteError("no legal route"),
            "snap": OffNetworkError("too far"),
            "source": SourceError("bad source"),
            "bug": RuntimeError("secret /etc/passwd"),
        }[kind]

    c = app.test_client()
    _error(c.get("/_raise/route"), 422, "NoRoute")
    _error(c.get("/_raise/snap"), 422, "NoSegment")
    _error(c.get("/_raise/source"), 400, "SourceError")
    r = c.get("/_raise/bug")  # a bug: 500 without any detail
    assert r.status_code == 500 and "passwd" not in r.get_data(as_text=True)
    assert r.get_json()["error"]["code"] == "InternalError"


def test_method_not_allowed(client):
    r = client.post(f"/api/route?from={A}&to={B}")
    _error(r, 405, "MethodNotAllowed")
    assert "GET" in r.headers["Allow"]


def test_unknown_api_path(client):
    _error(client.get("/api/nothing"), 404, "NotFound")


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["from", "to", "via", "profile", "lang", "format", "mode", "x"]),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from([A, B, V, "0,0", "1e400,5", "-0,-0", "60.17,24.94", "bikeshare", "gpx"]),
        ),
        max_size=6,
    )
)
def test_route_never_fails_badly(client, params):
    r = client.get("/api/route", query_string=params)
    assert r.status_code in (200, 400, 422)
    if r.status_code != 200:
        assert r.get_json()["error"]["code"] in {
            "InvalidQuery",
            "InvalidValue",
            "NoSegment",
            "NoRoute",
            "TooBig",
        }


def test_destinations(client, demo_net):
    r = client.get("/api/destinations")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = r.get_json()
    assert fc["type"] == "FeatureCollection"
    feats = fc["features"]
    assert len(feats) > 100  # the demo's artworks, memorials, museums, parks...
    assert all(f["geometry"]["type"] == "Point" for f in feats)
    assert all(f["properties"]["category"] for f in feats)
    names = {f["properties"]["name"] for f in feats}
    assert "Ateneum" in names or any("museum" in (n or "").lower() for n in names)
    station_ids = {f["properties"]["id"] for f in client.get("/api/stations").get_json()["features"]}
    assert not station_ids & {f["properties"]["id"] for f in feats}  # docks are not destinations
    counts = Counter(f["properties"]["category"] for f in feats)
    (first, n1), (second, n2) = counts.most_common(2)
    one = client.get(f"/api/destinations?category={first}").get_json()["features"]
    assert len(one) == n1 and all(f["properties"]["category"] == first for f in one)
    two = client.get(f"/api/destinations?category={first},{second}").get_json()["features"]
    assert len(two) == n1 + n2
    assert client.get("/api/destinations?category=no-such-category").get_json()["features"] == []


def test_destinations_bbox(client, demo_net):
    w, s, e, n = demo_net.bounds
    half = f"{w},{s},{(w + e) / 2},{n}"
    feats = client.get(f"/api/destinations?bbox={half}").get_json()["features"]
    allf = client.get("/api/destinations").get_json()["features"]
    assert 0 < len(feats) < len(allf)
    assert all(f["geometry"]["coordinates"][0] <= (w + e) / 2 for f in feats)
    assert client.get("/api/destinations?bbox=0,0,1,1").get_json()["features"] == []


@pytest.mark.parametrize(
    "path, code",
    [
        ("/api/destinations?bbox=1,2,3", "InvalidValue"),
        ("/api/destinations?bbox=5,0,1,1", "InvalidValue"),
        ("/api/destinations?bbox=a,b,c,d", "InvalidValue"),
        ("/api/destinations?bbox=0,0,inf,1", "InvalidValue"),
        ("/api/destinations?lang=de", "InvalidValue"),
        ("/api/destinations?q=museum", "InvalidQuery"),
        ("/api/stations?category=x", "InvalidQuery"),
        ("/api/stations?bbox=0,0,0", "InvalidValue"),
        ("/api/openapi.json?x=1", "InvalidQuery"),
    ],
)
def test_collection_errors(client, path, code):
    _error(client.get(path), 400, code)


def test_stations(client):
    fc = client.get("/api/stations").get_json()
    assert len(fc["features"]) == 15
    assert all(f["properties"]["id"].startswith(("node/", "way/")) for f in fc["features"])
    assert any(f["properties"]["name"] for f in fc["features"])


def test_profiles(client):
    names = [p["name"] for p in client.get("/api/profiles").get_json()]
    assert {"safe", "fast", "walk"} <= set(names)


def test_openapi_document(client, app):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    # the endpoints of the api blueprint (other blueprints document theirs in webapp.openapi.PATHS)
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert api_rules <= set(doc["paths"])
    route = doc["paths"]["/api/route"]["get"]
    assert {p["name"] for p in route["parameters"]} == {
        "from",
        "to",
        "via",
        "profile",
        "lang",
        "format",
        "mode",
        "names",
        "alternatives",  # webapp.routing_extras
        "pick",
        "overview",  # as OSRM's
        "steps",
    }
    assert {"200", "400", "422"} <= set(route["responses"])
    assert "safe" in next(p for p in route["parameters"] if p["name"] == "profile")["schema"]["enum"]
    err = doc["components"]["schemas"]["Error"]
    assert set(err["properties"]["error"]["required"]) == {"code", "message"}
    # every $ref resolves
    text = json.dumps(doc)
    for ref in set(__import__("re").findall(r'"\$ref": "#/components/schemas/(\w+)"', text)):
        assert ref in doc["components"]["schemas"]


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["/", "/api/destinations", "/api/stations", "/api/profiles"]),
    st.dictionaries(
        st.sampled_from(["lang", "bbox", "category", "from", "q"]),
        st.one_of(st.text(max_size=30), st.sampled_from(["id", "en", "0,0,1,1", "1,2,3,4", "nan,0,1,1"])),
        max_size=4,
    ),
    st.sampled_from(["", "id", "en-US,en;q=0.5", "*", "x;q=abc"]),
)
def test_pages_and_collections_never_fail_badly(client, path, params, accept_language):
    r = client.get(path, query_string=params, headers={"Accept-Language": accept_language})
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert r.get_json()["error"]["code"] in {"InvalidQuery", "InvalidValue"}


def test_openapi_document_is_valid_openapi(client):
    validator = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator is not installed")
    validator.validate(client.get("/api/openapi.json").get_json())


def test_route_names_name_the_gpx_waypoints(client, gpx_schema):
    from lxml import etree

    nasty = "Café <b>&</b> \"'"
    r = client.get(
        "/api/route",
        query_string={"from": "60.1699,24.9384", "to": "60.1618,24.9510", "format": "gpx", "names": f"|{nasty}"},
    )
    assert r.status_code == 200
    doc = etree.fromstring(r.data)
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert [w.findtext("g:name", namespaces=ns) for w in doc.findall("g:wpt", ns)] == ["Start", nasty]
    bad = client.get("/api/route?from=60.1699,24.9384&to=60.1618,24.9510&names=a|b|c")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "InvalidValue"
