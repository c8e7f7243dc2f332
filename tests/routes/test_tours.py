"""Tour planner: solvers against proven optima, opening hours, real tours, GPX, CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routes import BikemapError
from routes._hours import check_opening_hours, open_windows, parse_opening_hours
from routes._tsp import (
    brute_force_order,
    brute_force_orienteering,
    held_karp,
    order_heuristic,
    orienteering,
    schedule,
)
from routes.cli import main
from routes.errors import (
    BudgetTooSmallError,
    InvalidValueError,
    TooBigError,
    UnknownDestinationError,
)
from routes.places import category_label, category_of, load_categories
from routes.tours import (
    destinations_from_network,
    network_timezone,
    parse_interests,
    plan_discovery,
    plan_order,
    plan_round_trip,
    plan_tour,
    tour_to_gpx,
    travel_matrix,
)

HELSINKI = (60.1699, 24.9384)  # central railway station square, demo network
VADUZ = (47.1410, 9.5209)


def _random_matrix(rng, m, asym=0.3):
    xy = rng.random((m, 2)) * 3000
    base = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    return base * (1 + asym * rng.random((m, m)))  # one-way detours: asymmetric


# --------------------------------------------------------------------------- solvers


@pytest.mark.parametrize("seed", range(12))
def test_held_karp_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    T = _random_matrix(rng, n + 2)
    stops = np.arange(2, n + 2)
    for end in (0, 1):  # back to the start, or to a separate end
        cost, order = held_karp(T, 0, stops, end)
        best, _ = brute_force_order(T, 0, list(stops), end)
        assert cost == pytest.approx(best)
        assert sorted(order.tolist()) == stops.tolist()
        assert T[0, order[0]] + sum(T[a, b] for a, b in zip(order, order[1:], strict=False)) + T[
            order[-1], end
        ] == pytest.approx(best)


def test_heuristic_near_exact_optimum():
    rng = np.random.default_rng(42)
    worst = 0.0
    for trial in range(15):
        n = int(rng.integers(6, 12))
        T = _random_matrix(rng, n + 1)
        stops = np.arange(1, n + 1)
        exact, _ = held_karp(T, 0, stops, 0)
        cost, order = order_heuristic(T, 0, stops, 0, 6, 60, trial)
        assert sorted(order.tolist()) == stops.tolist()
        worst = max(worst, cost / exact - 1)
    assert worst <= 0.03


def test_schedule_waits_for_opening_and_rejects_closed():
    T = np.array([[0, 600.0], [600.0, 0]])
    visit = np.array([0, 1800.0])
    wn = np.array([-1, 1])
    wa = np.array([[0.0], [1200.0]])
    wb = np.array([[0.0], [3600.0]])
    # arrive at 600 s, wait until 1200, visit until 3000, ride back: 3600
    assert schedule(T, 0, np.array([1]), 0, visit, wn, wa, wb) == pytest.approx(3600)
    wb[1, 0] = 2500.0  # closes before the visit could end
    assert schedule(T, 0, np.array([1]), 0, visit, wn, wa, wb) == math.inf


@pytest.mark.parametrize("seed", range(10))
def test_orienteering_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    m = 8
    T = _random_matrix(rng, m) / 4
    prize = rng.integers(1, 4, m).astype(float)
    prize[:2] = 0
    visit = rng.choice([300.0, 600.0, 1200.0], m)
    visit[:2] = 0
    wn = np.full(m, -1, np.int64)
    wa, wb = np.zeros((m, 1)), np.zeros((m, 1))
    wn[2], wa[2, 0], wb[2, 0] = 1, 1500.0, 3000.0  # one place with opening hours
    budget = 3600.0
    cands = np.arange(2, m)
    p, t, route = orienteering(T, 0, cands, 1, prize, visit, wn, wa, wb, budget, 150, 0)
    best_p, _ = brute_force_orienteering(T, 0, list(cands), 1, prize, visit, wn, wa, wb, budget)
    assert schedule(T, 0, route, 1, visit, wn, wa, wb) == pytest.approx(t)
    assert t <= budget
    assert p == pytest.approx(sum(prize[c] for c in route))
    assert p >= 0.8 * best_p


def test_orienteering_optimal_on_most_instances():
    rng = np.random.default_rng(7)
    hits = 0
    for trial in range(12):
        m = 8
        T = _random_matrix(rng, m) / 4
        prize = rng.integers(1, 4, m).astype(float)
        visit = np.full(m, 600.0)
        wn = np.full(m, -1, np.int64)
        wa = wb = np.zeros((m, 1))
        cands = np.arange(1, m)
        p, _, _ = orienteering(T, 0, cands, 0, prize, visit, wn, wa, wb, 4000.0, 150, trial)
        best_p, _ = brute_force_orienteering(T, 0, list(cands), 0, prize, visit, wn, wa, wb, 4000.0)
        hits += p == pytest.approx(best_p)
    assert hits >= 10


# --------------------------------------------------------------------------- opening hours, categories


VADUZ_TZ = ZoneInfo("Europe/Vaduz")
MONDAY = dt.datetime(2026, 7, 6, tzinfo=VADUZ_TZ)  # a week without public holidays in Liechtenstein


def _week(value, start=MONDAY, coords=None):
    """Open spans per weekday (0 = Monday) as (open, close) minutes after that day's midnight."""
    spans = open_windows(value, start, 7 * 86400, coords=coords)
    if spans is None:
        return None
    days = [[] for _ in range(7)]
    for a, b in spans:
        d = int(a // 86400)
        days[d].append((round(a / 60) - d * 1440, round(b / 60) - d * 1440))
    return days


def test_opening_hours_common_forms():
    week = _week("Mo-Fr 09:00-17:00; Sa 10:00-14:00")
    assert week[0] == [(540, 1020)] and week[4] == [(540, 1020)]
    assert week[5] == [(600, 840)] and week[6] == []
    assert open_windows("24/7", MONDAY, 7 * 86400) == [(0.0, 7 * 86400.0)]
    assert open_windows("off", MONDAY, 7 * 86400) == []
    # later rules replace earlier ones on their days; split hours; two-day lists
    week = _week("Tu-Su 10:00-17:00; Th 10:00-20:00; PH off")
    assert week[0] == [] and week[3] == [(600, 1200)] and week[6] == [(600, 1020)]
    assert _week("Sa, Su 14:00-18:00")[6] == [(840, 1080)]
    assert _week("Mo-Fr 08:00-12:00,13:00-17:30")[2] == [(480, 720), (780, 1050)]
    assert _week("Fr 22:00-02:00")[4] == [(1320, 1560)]  # past midnight
    assert _week("Mo-Su 10:00-18:00")[6] == [(600, 1080)]
    assert _week("10:00-18:00")[2] == [(600, 1080)]
    assert _week("Mo-Fr 09:00-17:00;")[0] == [(540, 1020)]  # a trailing ";" is tolerated


def test_opening_hours_beyond_the_weekly_forms():
    """Month ranges, sunrise/sunset and nth weekdays are evaluated, no longer 'unknown'."""
    assert _week("Apr-Sep Mo-Fr 09:00-17:00")[0] == [(540, 1020)]
    november = dt.datetime(2026, 11, 2, tzinfo=VADUZ_TZ)
    assert open_windows("Apr-Sep Mo-Fr 09:00-17:00", november, 7 * 86400) == []
    # sunrise and sunset at the place: long days in Vaduz in July
    (sun,) = _week("sunrise-sunset", coords=(47.14, 9.52))[0]
    assert 5 * 60 <= sun[0] <= 6 * 60 and 21 * 60 <= sun[1] <= 22 * 60
    first_monday = dt.datetime(2026, 7, 6, tzinfo=VADUZ_TZ)  # the 1st Monday of July 2026 is the 6th
    assert open_windows("Mo[1] 10:00-12:00", first_monday, 86400) == [(36000.0, 43200.0)]
    assert open_windows("Mo[1] 10:00-12:00", first_monday + dt.timedelta(days=7), 86400) == []


def test_opening_hours_public_holidays_of_the_country():
    """PH rules follow the calendar of the country at the place's coordinates."""
    christmas_eve = dt.datetime(2026, 12, 24, 8, 0, tzinfo=VADUZ_TZ)  # Thursday; 25 and 26 are holidays
    value = "Mo-Sa 09:00-17:00; PH off"
    vaduz = open_windows(value, christmas_eve, 3 * 86400, coords=(47.14, 9.52))
    assert vaduz == [(3600.0, 9 * 3600.0)]  # open on the 24th only
    no_place = open_windows(value, christmas_eve, 3 * 86400)  # no country: no holidays
    assert len(no_place) == 3


@pytest.mark.parametrize("value", ["Mo-Fr 9-17", "yes", "", None, "Xx 10:00-12:00", "Mon-Fri 9-5", ";"])
def test_opening_hours_unknown_forms(value):
    assert parse_opening_hours(value) is None
    assert open_windows(value, MONDAY, 86400) is None


def test_open_windows_relative_to_start():
    start = dt.datetime(2026, 7, 4, 10, 0, tzinfo=VADUZ_TZ)  # a Saturday
    value = "Mo-Fr 09:00-17:00; Sa 14:00-18:00"
    assert open_windows(value, start, 6 * 3600) == [(4 * 3600.0, 6 * 3600.0)]
    assert open_windows(value, start, 3 * 3600) == []
    # across the DST change (29 March 2026, 02:00 -> 03:00): wall-clock opening stays 09:00
    start = dt.datetime(2026, 3, 28, 12, 0, tzinfo=VADUZ_TZ)
    spans = open_windows("Mo-Su 09:00-17:00", start, 2 * 86400)
    assert spans[1][0] == pytest.approx((12 + 9) * 3600 - 3600)


def test_check_opening_hours_messages():
    assert check_opening_hours("Mo-Fr 08:00-12:00,13:00-17:30; Sa 10:00-14:00; PH off") is None
    msg = check_opening_hours("Mo-Fr 09:60-10:00")
    assert "not valid OpenStreetMap opening_hours" in msg and "at character 10" in msg
    assert check_opening_hours("  ").startswith("is empty")


def test_categories_file_and_mapping():
    cats = load_categories()
    assert cats["vocabulary"] == [
        "nature",
        "beach",
        "culture",
        "heritage",
        "museum",
        "viewpoint",
        "park",
        "food",
        "market",
        "other",
    ]
    assert set(cats["visit_min"]) == set(cats["vocabulary"])
    for lang in ("en", "id"):  # every category has its label in the catalogue (routes/data/locale)
        assert all(category_label(c, lang) != c for c in cats["vocabulary"])
    assert category_of({"tourism": "museum"}) == "museum"
    assert category_of({"historic": "castle", "tourism": "attraction"}) == "heritage"
    assert category_of({"natural": "beach"}) == "beach"
    assert category_of({"leisure": "park"}) == "park"
    assert category_of({"tourism": "viewpoint"}) == "viewpoint"
    assert category_of({"amenity": "marketplace"}) == "market"
    assert category_of({"amenity": "bicycle_rental"}) is None
    assert category_of({"tourism": "something_new"}) == "other"


def test_parse_interests():
    assert parse_interests("museum:2,nature") == {"museum": 2.0, "nature": 1.0}
    assert parse_interests(["beach"]) == {"beach": 1.0}
    assert set(parse_interests(None)) == set(load_categories()["vocabulary"])
    for bad in ("castles", "museum:x", "museum:-1", "museum:0"):
        with pytest.raises(InvalidValueError):
            parse_interests(bad)


# --------------------------------------------------------------------------- real networks


def test_destinations_from_demo_network(demo_net):
    dests = destinations_from_network(demo_net)
    ids = [d["id"] for d in dests]
    assert len(ids) == len(set(ids)) > 50
    assert all(d["id"].startswith(("osm:node/", "osm:way/", "osm:relation/")) for d in dests)
    vocab = load_categories()["vocabulary"]
    assert all(d["category"] in vocab and d["visit_min"] > 0 and d["name"] for d in dests)
    assert not any(d["category"] is None for d in dests)
    # bike-share docks are not destinations
    docks = {
        f"osm:{p['osm_type']}/{p['osm_id']}"
        for p in demo_net.pois
        if p["tags"].get("amenity") == "bicycle_rental" and not p["tags"].get("tourism")
    }
    assert docks and not docks & set(ids)
    assert any(d["opening_hours"] for d in dests)


def test_travel_matrix_equals_routed_legs(liechtenstein_net):
    router = liechtenstein_net.router("safe")
    pts = [VADUZ, (47.1650, 9.5090), (47.1070, 9.5280), (47.2110, 9.5230)]
    snaps = [router.snap(*p) for p in pts]
    T, C = travel_matrix(router, snaps)
    for i, j in itertools.permutations(range(len(pts)), 2):
        cost, pieces = router.leg(snaps[i], snaps[j])
        assert C[i, j] == pytest.approx(cost, rel=1e-9)
        assert T[i, j] == pytest.approx(sum(router.duration[p.edge] * p.share for p in pieces), rel=1e-6)


def test_order_is_proven_best_on_demo(demo_net):
    dests = [d for d in destinations_from_network(demo_net) if d["category"] in ("museum", "park")][:6]
    ids = [d["id"] for d in dests]
    tour = plan_order(demo_net, HELSINKI, list(reversed(ids)), start_time="2026-07-01T10:00")
    p = tour["properties"]
    assert p["kind"] == "order" and p["method"] == "exact"
    assert sorted(p["order"]) == sorted(ids)
    # every permutation ridden through the same matrix is no faster
    router = demo_net.router("safe")
    snaps = [router.snap(*HELSINKI), *(router.snap(d["lat"], d["lon"]) for d in dests)]
    T, _ = travel_matrix(router, snaps)
    pos = {d: k for k, d in enumerate(ids, 1)}
    best, _ = brute_force_order(T, 0, list(range(1, len(snaps))), 0)
    mine = [pos[i] for i in p["order"]]
    assert T[0, mine[0]] + sum(T[a, b] for a, b in zip(mine, mine[1:], strict=False)) + T[mine[-1], 0] == pytest.approx(
        best
    )
    assert p["duration_s"] == pytest.approx(best, rel=1e-3)
    # the result: a line that starts and ends at the start, stops with arrival offsets
    coords = tour["geometry"]["coordinates"]
    assert tour["type"] == "Feature" and tour["geometry"]["type"] == "LineString" and len(coords) > 10
    assert coords[0] == pytest.approx(coords[-1], abs=1e-6)
    arrivals = [s["arrival_s"] for s in p["stops"]]
    assert arrivals == sorted(arrivals) and arrivals[0] > 0
    assert p["total_s"] == pytest.approx(p["duration_s"] + sum(s["visit_min"] * 60 for s in p["stops"]), abs=1)
    assert p["timezone"] == "Europe/Helsinki" and p["start_time"].startswith("2026-07-01T10:00:00+03:00")
    assert [w["role"] for w in p["waypoints"]] == ["start", *["stop"] * 6, "end"]


def test_many_stops_heuristic_within_3pct_of_exact(liechtenstein_net):
    dests = destinations_from_network(liechtenstein_net)
    router = liechtenstein_net.router("safe")
    usable = []
    for d in dests:
        try:
            router.snap(d["lat"], d["lon"])
        except BikemapError:
            continue
        usable.append(d)
    ids = [d["id"] for d in usable[:12]]
    tour = plan_order(liechtenstein_net, VADUZ, ids, end=(47.2303, 9.5300))
    p = tour["properties"]
    assert p["method"] == "heuristic" and sorted(p["order"]) == sorted(ids)
    snaps = [
        router.snap(*VADUZ),
        router.snap(47.2303, 9.5300),
        *(router.snap(d["lat"], d["lon"]) for d in usable[:12]),
    ]
    T, _ = travel_matrix(router, snaps)
    exact, _ = held_karp(T, 0, np.arange(2, 14), 1)
    assert p["duration_s"] <= exact * 1.03 + 1


def test_discovery_respects_budget_and_interests(liechtenstein_net):
    tour = plan_discovery(liechtenstein_net, VADUZ, 150, interests="museum:2,heritage", start_time="2026-07-01T09:00")
    p = tour["properties"]
    assert p["kind"] == "discovery" and len(p["stops"]) >= 2
    assert p["total_s"] <= 150 * 60
    assert {s["category"] for s in p["stops"]} <= {"museum", "heritage"}
    assert all(s["open"] is not False for s in p["stops"])
    assert p["total_s"] == pytest.approx(
        p["duration_s"] + sum(s["visit_min"] * 60 + s["wait_s"] for s in p["stops"]), abs=1
    )
    kinds = [s["type"] for s in p["timeline"]]
    assert kinds[0] == "ride" and kinds[-1] == "ride" and kinds.count("visit") == len(p["stops"])
    # a bigger budget never sees less
    more = plan_discovery(liechtenstein_net, VADUZ, 300, interests="museum:2,heritage", start_time="2026-07-01T09:00")
    prize = lambda f: sum(2 if s["category"] == "museum" else 1 for s in f["properties"]["stops"])  # noqa: E731
    assert prize(more) >= prize(tour) and more["properties"]["total_s"] <= 300 * 60


def _near_dests(net, hours_a, hours_b=None):
    """Two hand-made destinations near the Helsinki station (plain dicts, as the DB layer will pass)."""
    return [
        {
            "id": "test:a",
            "name": "Museum A",
            "category": "museum",
            "lat": 60.1718,
            "lon": 24.9415,
            "visit_min": 30,
            "opening_hours": hours_a,
        },
        {
            "id": "test:b",
            "name": "Park B",
            "category": "park",
            "lat": 60.1685,
            "lon": 24.9440,
            "visit_min": 20,
            "opening_hours": hours_b,
        },
    ]


def test_discovery_respects_opening_hours(demo_net):
    saturday_10 = "2026-07-04T10:00"
    # museum opens at 14:00 on Saturdays: not in a 90-minute tour
    dests = _near_dests(demo_net, "Mo-Fr 09:00-17:00; Sa 14:00-18:00")
    p = plan_discovery(demo_net, HELSINKI, 90, destinations=dests, start_time=saturday_10)["properties"]
    assert p["order"] == ["test:b"]
    # with a whole afternoon the tour waits for it to open
    p = plan_discovery(demo_net, HELSINKI, 6 * 60, destinations=dests, start_time=saturday_10)["properties"]
    assert "test:a" in p["order"]
    a = next(s for s in p["stops"] if s["id"] == "test:a")
    assert a["arrival_time"] >= "2026-07-04T14:00" and a["open"] is True and a["wait_s"] > 0
    assert p["total_s"] <= 6 * 3600
    # closed all day: never visited, even with time to spare
    dests = _near_dests(demo_net, "Su 10:00-18:00")
    p = plan_discovery(demo_net, HELSINKI, 6 * 60, destinations=dests, start_time=saturday_10)["properties"]
    assert p["order"] == ["test:b"]
    # unparseable hours are unknown: visited; sunrise-sunset in a Helsinki July: open
    for hours in ("Mo-Fr 9-17", "sunrise-sunset"):
        dests = _near_dests(demo_net, hours)
        p = plan_discovery(demo_net, HELSINKI, 120, destinations=dests, start_time=saturday_10)["properties"]
        assert set(p["order"]) == {"test:a", "test:b"}, hours


def test_discovery_skips_places_closed_on_a_public_holiday(demo_net):
    """1 May is a public holiday in Finland: "PH off" closes the museum then, not the day before."""
    dests = _near_dests(demo_net, "Mo-Su 10:00-18:00; PH off")
    p = plan_discovery(demo_net, HELSINKI, 120, destinations=dests, start_time="2026-05-01T10:00")["properties"]
    assert p["order"] == ["test:b"]
    p = plan_discovery(demo_net, HELSINKI, 120, destinations=dests, start_time="2026-04-30T10:00")["properties"]
    assert set(p["order"]) == {"test:a", "test:b"}


def test_discovery_budget_too_small(demo_net):
    with pytest.raises(BudgetTooSmallError, match="too small"):
        plan_discovery(demo_net, HELSINKI, 5, interests="museum")
    with pytest.raises(InvalidValueError):
        plan_discovery(demo_net, HELSINKI, -5)


def test_start_time_is_network_local(liechtenstein_net):
    assert str(network_timezone(liechtenstein_net)) == "Europe/Vaduz"
    p = plan_discovery(liechtenstein_net, VADUZ, 90, start_time="2026-01-15T09:30")["properties"]
    assert p["start_time"] == "2026-01-15T09:30:00+01:00"
    p = plan_discovery(liechtenstein_net, VADUZ, 90, start_time="2026-01-15T08:30:00+00:00")["properties"]
    assert p["start_time"] == "2026-01-15T09:30:00+01:00"
    with pytest.raises(InvalidValueError, match="ISO 8601"):
        plan_discovery(liechtenstein_net, VADUZ, 90, start_time="tomorrow")
    with pytest.raises(InvalidValueError, match="1900"):
        plan_discovery(liechtenstein_net, VADUZ, 90, start_time="0001-01-01T00:00")


@pytest.mark.parametrize("km", [8, 25])
def test_round_trip_length_and_few_repeats(liechtenstein_net, km):
    tour = plan_round_trip(liechtenstein_net, VADUZ, km)
    p = tour["properties"]
    assert abs(p["distance_m"] / (km * 1000) - 1) <= 0.15
    assert p["repeated_m"] <= 0.15 * p["distance_m"]
    coords = tour["geometry"]["coordinates"]
    assert coords[0] == pytest.approx(coords[-1], abs=1e-6)
    assert p["kind"] == "round_trip" and p["total_s"] == pytest.approx(p["duration_s"], abs=1)


def test_tour_errors(demo_net):
    ids = [d["id"] for d in destinations_from_network(demo_net)]
    with pytest.raises(UnknownDestinationError, match="osm:node/1"):
        plan_order(demo_net, HELSINKI, ["osm:node/1"])
    with pytest.raises(TooBigError):
        plan_order(demo_net, HELSINKI, ids[:41])
    with pytest.raises(InvalidValueError, match="twice"):
        plan_order(demo_net, HELSINKI, [ids[0], ids[0]])
    with pytest.raises(InvalidValueError, match="at least one"):
        plan_order(demo_net, HELSINKI, [])
    with pytest.raises(InvalidValueError, match="exactly one"):
        plan_tour(demo_net, HELSINKI, stops=ids[:2], budget_min=60)
    with pytest.raises(InvalidValueError, match="exactly one"):
        plan_tour(demo_net, HELSINKI)
    with pytest.raises(InvalidValueError, match="interests go with"):
        plan_tour(demo_net, HELSINKI, stops=ids[:2], interests="museum")
    with pytest.raises(InvalidValueError):
        plan_round_trip(demo_net, HELSINKI, 0.1)
    with pytest.raises(InvalidValueError):
        plan_order(demo_net, (95.0, 24.9), ids[:2])
    assert UnknownDestinationError.code == "UnknownDestination" and BudgetTooSmallError.code == "BudgetTooSmall"


def test_tour_gpx_is_valid_with_stops_in_order(demo_net, gpx_schema):
    from lxml import etree

    ids = [d["id"] for d in destinations_from_network(demo_net) if d["category"] == "museum"][:4]
    tour = plan_order(demo_net, HELSINKI, ids)
    text = tour_to_gpx(tour)
    doc = etree.fromstring(text.encode())
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    names = [w.findtext("g:name", namespaces=ns) for w in doc.findall("g:wpt", ns)]
    stops = tour["properties"]["stops"]
    assert names == [f"{i}. {s['name']}" for i, s in enumerate(stops, 1)]
    assert all(w.findtext("g:desc", namespaces=ns) for w in doc.findall("g:wpt", ns))
    assert len(doc.findall(".//g:trkpt", ns)) == len(tour["geometry"]["coordinates"])


# --------------------------------------------------------------------------- command line


def test_cli_tour(tmp_path, capsys, gpx_schema):
    from lxml import etree

    assert main(["destinations", "--source", "demo"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) > 50 and listing[0].startswith("osm:")
    ids = [line.split()[0] for line in listing if " museum " in line][:3]
    gpx = tmp_path / "tour.gpx"
    args = [
        "tour",
        "--source",
        "demo",
        "--start",
        "60.1699,24.9384",
        "--stops",
        ",".join(ids),
        "--json",
        "--gpx",
        str(gpx),
    ]
    assert main(args) == 0
    feature = json.loads(capsys.readouterr().out)
    assert sorted(feature["properties"]["order"]) == sorted(ids)
    gpx_schema.assertValid(etree.parse(str(gpx)))
    assert (
        main(
            [
                "tour",
                "--source",
                "demo",
                "--start",
                "60.1699,24.9384",
                "--budget-min",
                "60",
                "--interests",
                "museum:2,park",
                "--start-time",
                "2026-07-01T11:00",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("Discovery tour:") and "visit" in out and "ride" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--stops", "osm:node/1"], "unknown destination id"),
        (["--budget-min", "3"], "too small"),
        (["--budget-min", "60", "--interests", "castles"], "unknown interest"),
        ([], "one of --stops"),
        (["--distance-km", "5", "--end", "60.17,24.94"], "end is not allowed"),
    ],
)
def test_cli_tour_errors(capsys, extra, message):
    assert main(["tour", "--source", "demo", "--start", "60.1699,24.9384", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bikemap: error:") and message in err and "Traceback" not in err


# --------------------------------------------------------------------------- properties


_OH_PARTS = st.sampled_from(
    [
        "Mo",
        "Tu",
        "Sa",
        "Su",
        "-",
        ",",
        " ",
        ";",
        "09:00",
        "17:30",
        "24:00",
        "off",
        "PH",
        "24/7",
        "x",
        ":",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_OH_PARTS, max_size=12).map("".join)))
def test_opening_hours_never_crash(text):
    start = dt.datetime(2026, 7, 4, 10, 0, tzinfo=VADUZ_TZ)
    spans = open_windows(text, start, 3 * 86400, coords=(47.14, 9.52))
    assert (spans is None) == (check_opening_hours(text) is not None)
    if spans is not None:
        assert all(0 <= a < b <= 3 * 86400 for a, b in spans)
        assert all(b1 < a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))


def test_opening_hours_holiday_selectors_and_span_order():
    """PH/SH inside a day list do not drop the rule; spans written out of order all count."""
    assert _week("Mo-Su 09:00-18:00; PH,Su off")[6] == []
    week = _week("Mo-Fr 09:00-17:00; Sa 10:00-14:00; Su,PH off")
    assert week[6] == [] and week[5] == [(600, 840)]
    monday_7 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
    spans = open_windows("Mo-Su 14:00-18:00,08:00-12:00", monday_7, 86400)
    assert spans[:2] == [(3600.0, 18000.0), (25200.0, 39600.0)]
