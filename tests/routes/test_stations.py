"""Bike-share stations from OpenStreetMap and GBFS, and ``bikemap stations``."""

from __future__ import annotations

import json

import pytest
from gbfs_fixtures.feedserver import FeedServer

from routes.cli import main
from routes.errors import FeedError
from routes.gbfs import GbfsClient
from routes.stations import osm_stations, station_collection


@pytest.fixture()
def srv():
    with FeedServer() as server:
        yield server


def test_osm_stations_of_paris(paris_net):
    stations = osm_stations(paris_net)
    assert len(stations) == 46
    assert len({s["station_id"] for s in stations}) == 46
    temple = next(s for s in stations if s["station_id"] == "node/439852117")
    assert temple["name"] == "Temple · Jean-Pierre Timbaud"
    assert (temple["capacity"], temple["network"], temple["operator"], temple["ref"]) == (
        36,
        "Vélib'",
        "Smovengo",
        "11040",
    )
    assert temple["can_rent"] is None  # unknown without a live feed
    w, s, e, n = paris_net.bounds
    assert all(w - 0.01 < x["lon"] < e + 0.01 and s - 0.01 < x["lat"] < n + 0.01 for x in stations)
    # a station without a name gets its operator's number
    assert any(x["name"].startswith("Station ") for x in stations)


def test_collection_from_osm(paris_net):
    fc = station_collection(paris_net)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 46
    assert fc["live"] is False and fc["stale"] is False
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Point" and len(f["geometry"]["coordinates"]) == 2
    assert {"station_id", "name", "capacity"} <= set(f["properties"])


def test_collection_from_gbfs(srv):
    fc = station_collection(client=GbfsClient(srv.url("v3/gbfs.json")))
    assert fc["live"] and not fc["stale"] and fc["gbfs_version"] == "3.0"
    props = {f["properties"]["station_id"]: f["properties"] for f in fc["features"]}
    a = props["a"]
    for key in (
        "station_id",
        "name",
        "capacity",
        "num_bikes_available",
        "num_docks_available",
        "is_renting",
        "is_returning",
        "last_reported",
    ):
        assert key in a
    assert a["last_reported"] == "2023-11-14T22:12:00Z" and a["num_bikes_available"] == 7
    assert props["b"]["can_rent"] is False
    assert fc["included_minutes"] == 20 and fc["free_vehicles"] == 1
    assert fc["last_updated"] == "2023-11-14T22:13:20Z"
    json.dumps(fc)  # plain JSON


def test_collection_falls_back_to_osm(paris_net):
    with FeedServer() as server:
        url = server.url("v3/gbfs.json")
    fc = station_collection(paris_net, client=GbfsClient(url, timeout=1))
    assert len(fc["features"]) == 46 and fc["stale"] and "connection refused" in fc["stale_reason"]
    with pytest.raises(FeedError):
        station_collection(paris_net, client=GbfsClient(url, timeout=1), fallback=False)


# --------------------------------------------------------------------------- the command


def test_cli_stations_osm_json(capsys, shared_data):
    assert main(["stations", "--source", str(shared_data / "paris_bss.osm.pbf"), "--json"]) == 0
    fc = json.loads(capsys.readouterr().out)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 46


def test_cli_stations_gbfs_json(capsys, srv):
    assert main(["stations", "--gbfs", srv.url("v2/gbfs.json"), "--json"]) == 0
    fc = json.loads(capsys.readouterr().out)
    props = [f["properties"] for f in fc["features"]]
    assert [p["station_id"] for p in props] == ["s1", "s2", "s3", "s4"]
    assert props[0]["num_docks_available"] == 28 and props[3]["is_renting"] is False


def test_cli_stations_table(capsys, srv):
    assert main(["stations", "--gbfs", srv.url("v3/gbfs.json"), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("3 stations of Vélo Test, live data of 2023-11-14T22:13:20Z")
    assert "Hôtel de Ville" in out and "bikes" in out


@pytest.mark.parametrize("trouble", ["unreachable", "malformed", "slow"])
def test_cli_unreadable_feed_exits_2(capsys, srv, trouble):
    if trouble == "unreachable":
        with FeedServer() as other:
            url = other.url("v3/gbfs.json")
        args = ["--gbfs", url]
    else:
        srv.set("v3/station_status.json", b"{oops", delay=2.0 if trouble == "slow" else 0)
        args = ["--gbfs", srv.url("v3/gbfs.json"), "--timeout", "0.3"]
    assert main(["stations", *args, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("bikemap: error: GBFS feed unavailable")
