"""Offline place search and reverse naming (routes.geocode, /api/search, /api/reverse) on real extracts."""

from __future__ import annotations

import pytest

from routes.errors import InvalidValueError
from routes.geocode import load_place_index, normalize

VADUZ = (47.1410, 9.5215)


@pytest.fixture(scope="module")
def li_index(liechtenstein_net):
    return load_place_index(liechtenstein_net).attach_network(liechtenstein_net)


@pytest.fixture(scope="module")
def li_client(liechtenstein_net):
    from webapp import create_app

    app = create_app({"TESTING": True, "NETWORK": liechtenstein_net, "WARM_PROFILES": False, "BASEMAP": "none"})
    return app.test_client()


def test_normalize_drops_accents_and_case():
    assert normalize("Zürich ÉCOLE") == "zurich ecole"


def test_prefix_accent_and_case_tolerant(li_index):
    kinds = {h["kind"] for h in li_index.search("KIRCHSTR", near=VADUZ)}
    assert "street" in kinds
    # "Römerstrasse" without the umlaut, and a word's start only
    assert any(h["name"].startswith("Römer") for h in li_index.search("romer", near=VADUZ))
    assert not li_index.search("irchstrasse", near=VADUZ)  # the middle of a word is no prefix


def test_ranked_by_kind_then_distance(li_index):
    hits = li_index.search("vaduz", near=VADUZ)
    assert hits[0]["kind"] == "village" and hits[0]["name"] == "Vaduz"  # the place before what lies in it
    near_schaan = li_index.search("kirchstrasse", near=(47.165, 9.509))
    near_vaduz = li_index.search("kirchstrasse", near=VADUZ)
    assert near_schaan[0]["label"].endswith("Schaan") and near_vaduz[0]["label"].endswith("Vaduz")
    assert near_vaduz[0]["distance_m"] < 1000


def test_address_search_and_reverse(li_index):
    hit = li_index.search("schulgass 5", near=VADUZ)[0]
    assert hit["kind"] == "address" and hit["label"] == "Schulgass 5, Schaan"
    assert li_index.reverse(hit["lat"] + 0.0001, hit["lon"])["label"] == "Schulgass 5, Schaan"
    on_street = li_index.reverse(47.1410, 9.5215)  # on a street, no address within 40 m
    assert on_street["kind"] in ("street", "address") and on_street["label"].endswith(", Vaduz")
    assert li_index.reverse(10.0, 10.0) is None  # far from everything


@pytest.mark.parametrize("q", ["", "   ", "a" * 101, "ab\x01cd", "\x7f"])
def test_bad_queries_are_refused(li_index, q):
    with pytest.raises(InvalidValueError):
        li_index.search(q)


def test_api_search_and_reverse(li_client):
    r = li_client.get("/api/search?q=landstr&near=47.141,9.5215&lang=id")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    first = r.get_json()["features"][0]
    assert first["properties"]["label"] == "Landstrasse, Vaduz" and first["properties"]["kind"] == "street"
    r = li_client.get("/api/reverse?at=47.16566,9.50986")
    assert r.get_json()["properties"]["label"] == "Schulgass 5, Schaan"
    far = li_client.get("/api/reverse?at=10,10").get_json()
    assert far["properties"]["label"] is None


@pytest.mark.parametrize(
    "url,code",
    [
        ("/api/search", "InvalidQuery"),
        ("/api/search?q=", "InvalidValue"),
        ("/api/search?q=" + "x" * 101, "InvalidValue"),
        ("/api/search?q=%00", "InvalidValue"),
        ("/api/search?q=a&q=b", "InvalidQuery"),
        ("/api/search?q=a&near=99,9", "InvalidValue"),
        ("/api/search?q=a&limit=0", "InvalidValue"),
        ("/api/search?q=a&lang=fr", "InvalidValue"),
        ("/api/reverse", "InvalidQuery"),
        ("/api/reverse?at=x", "InvalidValue"),
    ],
)
def test_api_bad_requests_are_400_json(li_client, url, code):
    r = li_client.get(url)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == code


def test_openapi_documents_search_and_reverse(li_client):
    from openapi_spec_validator import validate

    doc = li_client.get("/api/openapi.json").get_json()
    validate(doc)
    assert {"/api/search", "/api/reverse"} <= set(doc["paths"])


def test_demo_index_finds_helsinki_streets(client):
    hits = client.get("/api/search?q=aleksanterin&near=60.17,24.94").get_json()["features"]
    assert hits and hits[0]["properties"]["label"].startswith("Aleksanterinkatu")


def test_cli_names_points_in_the_summary_and_the_gpx(liechtenstein_net, tmp_path, capsys):
    from routes.cli import main
    from tests.conftest import shared_file

    src = str(shared_file("liechtenstein-latest.osm.pbf"))
    gpx = tmp_path / "r.gpx"
    assert (
        main(["route", "--source", src, "--from", "47.16566,9.50986", "--to", "47.1410,9.5215", "--gpx", str(gpx)]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "Schulgass 5, Schaan -> Altenbach, Vaduz"
    assert "<name>Schulgass 5, Schaan</name>" in gpx.read_text()
    assert main(["place", "--source", src, "--at", "47.16566,9.50986"]) == 0
    assert capsys.readouterr().out.strip() == "Schulgass 5, Schaan"
    assert main(["place", "--source", src, "bad\x01"]) == 2
    assert capsys.readouterr().err.strip() == "bikemap: error: q must not contain control characters"
