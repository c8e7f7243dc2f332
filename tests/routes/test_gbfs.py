"""The GBFS client against feeds (2.3 and 3.0, good and broken) served on 127.0.0.1."""

from __future__ import annotations

import logging
import threading

import pytest
from gbfs_fixtures.feedserver import FeedServer

from routes import gbfs
from routes.errors import FeedError
from routes.gbfs import GbfsClient, included_minutes

T0 = 1_700_000_000.0  # the fixtures' last_updated


class Clock:
    def __init__(self, t: float = T0 + 5):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def srv():
    with FeedServer() as server:
        yield server


def client(srv, version="v3", **kw) -> GbfsClient:
    kw.setdefault("timeout", 2.0)
    kw.setdefault("clock", Clock())
    return GbfsClient(srv.url(f"{version}/gbfs.json"), **kw)


# --------------------------------------------------------------------------- good feeds


def test_v23_feed(srv):
    snap = client(srv, "v2").snapshot()
    assert snap.version == "2.3" and snap.language == "en"
    assert snap.system["name"] == "Test Velo"
    by_id = {s.station_id: s for s in snap.stations}
    assert set(by_id) == {"s1", "s2", "s3", "s4"}
    s1 = by_id["s1"]
    assert (s1.name, s1.capacity, s1.num_bikes_available, s1.num_docks_available) == ("Republique", 40, 12, 28)
    assert s1.last_reported == 1699999990
    # rent needs is_renting and a bike; return needs is_returning and a free dock
    assert [by_id[i].can_rent for i in ("s1", "s2", "s3", "s4")] == [True, False, True, False]
    assert [by_id[i].can_return for i in ("s1", "s2", "s3", "s4")] == [True, True, False, False]
    assert [v.vehicle_id for v in snap.vehicles] == ["b1", "b2"]
    assert snap.vehicles[1].station_id == "s1" and snap.vehicles[1].lat is None
    assert {p.plan_id: p.included_minutes for p in snap.pricing_plans} == {"ride": 30, "day": 45}
    assert snap.included_minutes == 30  # the smallest: the safe side for a warning or a budget
    assert not snap.stale and snap.stale_reason is None and snap.problems == {}
    assert snap.last_updated == T0 and snap.last_good == T0 + 5


def test_v23_language_choice(srv):
    snap = client(srv, "v2", language="fr").snapshot()
    assert snap.language == "fr"
    assert len(snap.stations) == 4
    assert snap.pricing_plans == ()  # the "fr" feed set lists no pricing plans


def test_v30_feed(srv, caplog):
    caplog.set_level(logging.WARNING, logger="routes.gbfs")
    snap = client(srv, "v3").snapshot()
    assert snap.version == "3.0"
    by_id = {s.station_id: s for s in snap.stations}
    assert by_id["a"].name == "Town Hall"  # localized list: English when not asked otherwise
    assert by_id["a"].num_bikes_available == 7  # 3.0 num_vehicles_available
    assert by_id["b"].last_reported == T0 - 140  # "2023-11-14T23:11:00+01:00"
    assert by_id["b"].can_rent is False and by_id["b"].can_return is True  # not renting
    assert by_id["c"].is_virtual_station and by_id["c"].can_return  # no docks to fill
    assert snap.system["name"] == "Test Bici"
    assert snap.included_minutes == 20
    # a vehicle with a text latitude is skipped with a log line, the others kept
    assert [v.vehicle_id for v in snap.vehicles] == ["v1", "v2"]
    assert "vehicle_status: skipped 1 of 3" in caplog.text and "lat is str 'north'" in caplog.text


def test_v30_localized_names(srv):
    snap = client(srv, "v3", language="fr").snapshot()
    assert snap.station("a").name == "Hôtel de Ville"
    assert snap.station("c").name == "Riverside"  # no French text: the first one
    assert snap.system["name"] == "Vélo Test"


# --------------------------------------------------------------------------- ttl


def test_refresh_honours_ttl(srv):
    clock = Clock(T0 + 5)
    c = client(srv, "v3", clock=clock)
    c.snapshot()
    assert srv.hits["v3/station_status.json"] == 1 and srv.hits["v3/station_information.json"] == 1
    clock.t = T0 + 25  # station_status ttl is 30 s, station_information 60 s
    c.snapshot()
    assert srv.hits["v3/station_status.json"] == 1
    status = srv.load("v3/station_status.json")
    status["data"]["stations"][0]["num_vehicles_available"] = 3
    status["last_updated"] = T0 + 31
    srv.set("v3/station_status.json", status)
    clock.t = T0 + 31
    snap = c.snapshot()
    assert srv.hits["v3/station_status.json"] == 2 and srv.hits["v3/station_information.json"] == 1
    assert snap.station("a").num_bikes_available == 3 and snap.last_updated == T0 + 31
    clock.t = T0 + 61
    c.snapshot()
    assert srv.hits["v3/station_information.json"] == 2


def test_ttl_zero_still_waits_the_minimum(srv):
    status = srv.load("v2/station_status.json")
    status["ttl"] = 0
    srv.set("v2/station_status.json", status)
    clock = Clock(T0 + 5)
    c = client(srv, "v2", clock=clock)
    c.snapshot()
    clock.t += gbfs.MIN_REFRESH_S - 1
    c.snapshot()
    assert srv.hits["v2/station_status.json"] == 1
    clock.t += 2
    c.snapshot()
    assert srv.hits["v2/station_status.json"] == 2


# --------------------------------------------------------------------------- broken feeds


def _go_stale(srv, clock, c, path, body, **kw):
    good = c.snapshot()
    srv.set(path, body, **kw)
    clock.t += 120
    return good, c.snapshot()


def test_malformed_json_keeps_last_good_copy(srv, caplog):
    clock = Clock()
    c = client(srv, "v3", clock=clock)
    good, snap = _go_stale(srv, clock, c, "v3/station_status.json", b'{"data": {"stations": [')
    assert snap.stale and "station_status" in snap.stale_reason and "not valid JSON" in snap.stale_reason
    assert snap.stations == good.stations and snap.last_good == good.last_good == T0 + 5
    assert "serving the last good copy" in caplog.text
    # a repaired feed is read again after the retry delay
    srv.clear("v3/station_status.json")
    clock.t += gbfs.RETRY_AFTER_S + 1
    assert not c.snapshot().stale


def test_retry_waits_after_a_failure(srv):
    clock = Clock()
    c = client(srv, "v3", clock=clock)
    _go_stale(srv, clock, c, "v3/station_status.json", b"not json")
    hits = srv.hits["v3/station_status.json"]
    clock.t += gbfs.RETRY_AFTER_S - 1
    c.snapshot()
    assert srv.hits["v3/station_status.json"] == hits


def test_http_error_is_stale(srv):
    clock = Clock()
    _, snap = _go_stale(srv, clock, client(srv, "v2", clock=clock), "v2/station_information.json", b"oops", status=500)
    assert snap.stale and "HTTP 500" in snap.stale_reason and len(snap.stations) == 4


def test_wrong_structure_is_stale(srv):
    clock = Clock()
    body = {"last_updated": T0, "ttl": 60, "version": "3.0", "data": {"stations": {"a": 1}}}
    _, snap = _go_stale(srv, clock, client(srv, "v3", clock=clock), "v3/station_status.json", body)
    assert snap.stale and "'data.stations' is dict" in snap.stale_reason


def test_slow_feed_times_out(srv):
    clock = Clock()
    c = client(srv, "v3", clock=clock, timeout=0.3)
    good, snap = _go_stale(srv, clock, c, "v3/station_status.json", b"{}", delay=2.0)
    assert snap.stale and "did not answer within 0.3 s" in snap.stale_reason
    assert snap.station("a").num_bikes_available == good.station("a").num_bikes_available


def test_slow_optional_feed_is_not_stale(srv):
    clock = Clock()
    c = client(srv, "v3", clock=clock, timeout=0.3)
    _, snap = _go_stale(srv, clock, c, "v3/system_pricing_plans.json", b"{}", delay=2.0)
    clock.t += 3600
    snap = c.snapshot()
    assert not snap.stale and "system_pricing_plans" in snap.problems
    assert snap.included_minutes == 20  # the last good plans are kept


def test_bad_stations_are_skipped(srv, caplog):
    info = srv.load("v2/station_information.json")
    del info["data"]["stations"][0]["lat"]  # missing field
    info["data"]["stations"][1]["lon"] = "2.36"  # wrong type
    info["data"]["stations"][2]["capacity"] = -3  # out of range
    info["data"]["stations"].append("not a station")
    srv.set("v2/station_information.json", info)
    status = srv.load("v2/station_status.json")
    del status["data"]["stations"][3]["is_renting"]
    srv.set("v2/station_status.json", status)
    snap = client(srv, "v2").snapshot()
    assert [s.station_id for s in snap.stations] == ["s4"]
    s4 = snap.stations[0]
    assert not s4.has_status and not s4.can_rent and not s4.can_return  # its status entry was bad
    assert not snap.stale
    text = caplog.text
    assert "station_information: skipped 4 of 5" in text
    assert "(s1): lat is missing" in text and "(s2): lon is str '2.36'" in text and "capacity -3" in text
    assert "station_status: skipped 1 of 4" in text and "is_renting is missing" in text


def test_booleans_as_integers(srv):
    status = srv.load("v2/station_status.json")
    for s in status["data"]["stations"]:
        s["is_renting"], s["is_returning"], s["is_installed"] = 1, 0, 1
    srv.set("v2/station_status.json", status)
    snap = client(srv, "v2").snapshot()
    assert snap.station("s1").can_rent and not snap.station("s1").can_return


# --------------------------------------------------------------------------- never read


def test_unreachable_feed_raises_one_clear_error():
    with FeedServer() as server:
        url = server.url("v3/gbfs.json")
    c = GbfsClient(url, timeout=1)
    with pytest.raises(FeedError, match="GBFS feed unavailable: cannot reach .*connection refused"):
        c.snapshot()


def test_discovery_without_station_feeds(srv):
    doc = srv.load("v3/gbfs.json")
    doc["data"]["feeds"] = [f for f in doc["data"]["feeds"] if f["name"] != "station_status"]
    srv.set("v3/gbfs.json", doc)
    with pytest.raises(FeedError, match="lists no station_status feed"):
        client(srv, "v3").snapshot()


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"version": "2.3", "data": {"en": {"feeds": 5}}}', b"\xff\xfe"])
def test_broken_discovery(srv, body):
    srv.set("v2/gbfs.json", body)
    with pytest.raises(FeedError):
        client(srv, "v2").snapshot()


def test_bad_url():
    with pytest.raises(FeedError, match="must start with http"):
        GbfsClient("file:///etc/passwd")


# --------------------------------------------------------------------------- threads


def test_threads_share_one_refresh(srv):
    c = client(srv, "v3", clock=Clock())
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(len(c.snapshot().stations))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [3] * 160
    assert srv.hits["v3/gbfs.json"] == 1 and srv.hits["v3/station_status.json"] == 1


def test_client_for_is_shared():
    assert gbfs.client_for("https://example.org/gbfs.json") is gbfs.client_for("https://example.org/gbfs.json")


# --------------------------------------------------------------------------- pricing


def test_included_minutes_from_plans():
    plan = gbfs._plan_included_minutes
    assert (
        plan({"per_min_pricing": [{"start": 0, "rate": 0.0, "interval": 30}, {"start": 30, "rate": 1, "interval": 30}]})
        == 30
    )
    assert plan({"per_min_pricing": [{"start": 0, "rate": 0.15, "interval": 1}]}) == 0
    assert plan({"price": 2.0}) is None  # flat price: no limit
    assert plan({"included_minutes": 45}) == 45
    plans = [gbfs.PricingPlan("a", "A", "EUR", 1.0, 0.0), gbfs.PricingPlan("b", "B", "EUR", 1.0, 45.0)]
    assert included_minutes(plans) == 45  # "0 included" is not a budget
    assert included_minutes([]) is None


def test_ride_budget_minutes(srv):
    assert gbfs.ride_budget_minutes(srv.url("v2/gbfs.json")) == 30
    assert gbfs.ride_budget_minutes(None) is None
    with FeedServer() as other:
        gone = other.url("v2/gbfs.json")
    assert gbfs.ride_budget_minutes(gone) is None


def test_failed_discovery_alone_is_not_stale(srv):
    clock = Clock()
    c = client(srv, "v2", clock=clock)
    c.snapshot()
    srv.set("v2/gbfs.json", b"", status=503)
    clock.t += 120
    snap = c.snapshot()
    assert not snap.stale and "HTTP 503" in snap.problems["gbfs"]
    assert srv.hits["v2/station_status.json"] == 2  # the feeds it listed are still read


def test_millisecond_timestamps_are_read_as_seconds(srv):
    """Some feeds send last_reported in milliseconds; the stations still come out, with a real time."""
    from routes.stations import station_collection

    status = srv.load("v2/station_status.json")
    for st in status["data"]["stations"]:
        st["last_reported"] = int(st["last_reported"]) * 1000
    srv.set("v2/station_status.json", status)
    c = client(srv, "v2")
    by_id = {s.station_id: s for s in c.snapshot().stations}
    assert by_id["s1"].last_reported == 1699999990
    fc = station_collection(client=c)
    times = [f["properties"]["last_reported"] for f in fc["features"] if f["properties"].get("last_reported")]
    assert times and all(t.startswith("2023-") for t in times)
