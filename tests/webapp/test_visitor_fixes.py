"""What a visitor tripped over (issue #17), replayed on the API, the library and the command line.

- a tour in the bike share's free minutes rides within them, the visits on top, and says what does not fit;
- a discovery tour serves every ticked interest that fits, weighs them, and says why one got no stop;
- a tour planned at night starts the next morning, and says so;
- "a point is too far" names the point; directions have no steps of a few metres;
- the command's summaries in Indonesian; one word for main roads.

The browser side is in ``test_visitor_browser.py`` (and the bike-share and elevation browser tests).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from test_bikeshare_planner import START, WHEN, _tour, feed_client, paris_stations  # noqa: F401 (fixtures)

import routes.tours as tours
from routes import route
from routes._tsp import brute_force_orienteering, orienteering
from routes.cli import main
from routes.i18n import catalogue
from routes.tours import destinations_from_network, plan_tour

SATURDAY, MONDAY = "2026-06-06T10:00", "2026-06-08T10:00"
HELSINKI_A, HELSINKI_B = "60.1699,24.9384", "60.1618,24.9510"


# --------------------------------------------------------------------------- the bike share's free minutes


def test_free_minutes_bound_the_riding_and_the_visits_come_on_top(feed_client):  # noqa: F811
    client = feed_client(20)
    resp = _tour(client, budget="included", budget_min="120")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    p = resp.get_json()["properties"]
    assert p["stops"] and p["ride_budget_min"] == 20 and p["budget_min"] == 120
    assert p["duration_s"] <= 20 * 60 < p["total_s"] <= 120 * 60  # visits longer than the ticket: planned anyway
    assert p["warnings"][0].startswith("With visits the tour takes about")  # and said plainly
    # the same minutes as the whole budget, the old way, fit nothing with a museum's hour
    assert _tour(client, budget_min="20").get_json()["error"]["code"] == "BudgetTooSmall"


def test_free_minutes_too_few_say_what_riding_the_nearest_place_needs(feed_client):  # noqa: F811
    resp = _tour(feed_client(1), budget="included", budget_min="120", lang="id")
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["code"] == "BudgetTooSmall"
    assert "1 menit bersepeda yang termasuk dalam tiket" in err["message"], err["message"]


def test_riding_budget_in_the_solver_is_exact_on_small_instances():
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = 7
        xy = rng.uniform(0, 3000, (m, 2))  # places on a plane, riding at 5 m/s: times obey the triangle inequality
        T = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 5
        visit = rng.uniform(0, 1800, m)
        visit[0] = 0
        prize = rng.uniform(1, 5, m)
        wn, wa, wb = np.full(m, -1, np.int64), np.zeros((m, 1)), np.zeros((m, 1))
        cands = np.arange(1, m, dtype=np.int64)
        ride = float(rng.uniform(600, 2400))
        best_p, _ = brute_force_orienteering(T, 0, cands, 0, prize, visit, wn, wa, wb, 7200.0, ride)
        got_p, _, r = orienteering(T, 0, cands, 0, prize, visit, wn, wa, wb, 7200.0, 150, 0, ride)
        legs = [0, *r.tolist(), 0]
        assert sum(T[a, b] for a, b in zip(legs, legs[1:], strict=False)) <= ride + 1e-6
        assert got_p == pytest.approx(best_p)


# --------------------------------------------------------------------------- interests


@pytest.fixture(scope="module")
def vaduz(liechtenstein_net):
    ds = destinations_from_network(liechtenstein_net)
    museum = next(d for d in ds if "Landesmuseum" in d["name"])
    return liechtenstein_net, ds, (museum["lat"], museum["lon"])


def test_museum_and_heritage_from_the_landesmuseum_visits_a_museum(vaduz):
    net, ds, start = vaduz
    p = plan_tour(net, start, budget_min=180, interests="museum,heritage", start_time=SATURDAY)["properties"]
    cats = [s["category"] for s in p["stops"]]
    assert "museum" in cats and "heritage" in cats, p["stops"]
    assert p["unserved"] == [] and p["total_s"] <= 180 * 60


def test_interest_weights(vaduz):
    net, ds, start = vaduz
    p = plan_tour(net, start, budget_min=180, interests="museum:3,heritage", start_time=SATURDAY)["properties"]
    assert p["interests"] == {"museum": 3.0, "heritage": 1.0}
    cats = [s["category"] for s in p["stops"]]
    assert cats.count("museum") >= 2, cats  # worth three heritage sites each


def test_an_interest_that_cannot_be_served_says_why(vaduz):
    net, ds, start = vaduz
    # only the museums with opening hours (all closed on Mondays), on a Monday
    dests = [d for d in ds if d["category"] != "museum" or d["opening_hours"]]
    p = plan_tour(net, start, budget_min=120, interests="museum,heritage", start_time=MONDAY, destinations=dests)[
        "properties"
    ]
    assert [s["category"] for s in p["stops"]] and {s["category"] for s in p["stops"]} == {"heritage"}
    (why,) = p["unserved"]
    assert why["category"] == "museum" and why["reason"] == "closed"
    assert "closed while the tour passes" in p["warnings"][-1]
    # a beach is more than an hour away from Vaduz
    p = plan_tour(net, start, budget_min=60, interests="heritage,beach", start_time=SATURDAY, lang="id")["properties"]
    (why,) = p["unserved"]
    assert why["reason"] == "too_far" and why["need_min"] > 60 and "terlalu jauh" in why["text"]


# --------------------------------------------------------------------------- start time


def test_a_tour_planned_at_night_starts_the_next_morning(vaduz, monkeypatch):
    net, ds, start = vaduz
    tz = tours.network_timezone(net)
    monkeypatch.setattr(tours, "_now", lambda _tz: dt.datetime(2026, 6, 5, 23, 40, tzinfo=tz))
    p = plan_tour(net, start, budget_min=90, interests="heritage")["properties"]
    assert p["start_time"] == "2026-06-06T09:00:00+02:00" and p["start_time_moved"] is True
    assert p["warnings"][0].startswith("It is night now") and "tomorrow at 09:00" in p["warnings"][0]
    assert all(s["arrival_time"] >= "2026-06-06T09:00" for s in p["stops"])
    monkeypatch.setattr(tours, "_now", lambda _tz: dt.datetime(2026, 6, 6, 1, 10, tzinfo=tz))
    p = plan_tour(net, start, budget_min=90, interests="heritage", lang="id")["properties"]
    assert p["start_time"].startswith("2026-06-06T09:00") and "pagi ini pukul 09:00" in p["warnings"][0]
    # a time given, or the day: as asked
    p = plan_tour(net, start, budget_min=90, interests="heritage", start_time="2026-06-06T01:00")["properties"]
    assert p["start_time"].startswith("2026-06-06T01:00") and p["start_time_moved"] is False
    monkeypatch.setattr(tours, "_now", lambda _tz: dt.datetime(2026, 6, 6, 14, 5, tzinfo=tz))
    assert plan_tour(net, start, budget_min=90)["properties"]["start_time"].startswith("2026-06-06T14:05")


# --------------------------------------------------------------------------- errors and directions


@pytest.mark.parametrize(
    "query, point, words",
    [
        ({"from": HELSINKI_A, "to": "60.30,25.20"}, "to", "the destination"),
        ({"from": "60.30,25.20", "to": HELSINKI_B}, "from", "the start"),
        ({"from": HELSINKI_A, "via": "60.165,24.945;60.30,25.20", "to": HELSINKI_B}, "via 2", "via point 2"),
    ],
)
def test_the_point_too_far_is_named(client, query, point, words):
    """The error names the point for the page (``point``) and in words for a person (the message)."""
    resp = client.get("/api/route", query_string=query)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "NoSegment" and err["point"] == point
    assert err["message"].startswith(f"{words} (60.300000,25.200000) is ") and err["distance_m"] > 500


def test_directions_have_no_steps_of_a_few_metres(liechtenstein_net):
    net = liechtenstein_net
    rng = np.random.default_rng(1)
    idx = rng.integers(0, net.n_nodes, 60)
    pts = [(float(net.node_lat[i]), float(net.node_lon[i])) for i in idx]
    checked = 0
    for a, b in zip(pts[::2], pts[1::2], strict=False):
        try:
            p = route(net, [a, b])["properties"]
        except Exception:  # an island of the network
            continue
        ins = p["instructions"]
        steps = [i for i in ins if i["type"] in ("depart", "turn")]
        if len(steps) > 1:
            checked += 1
            assert min(i["distance_m"] for i in steps) >= 15, [(i["text"], i["distance_m"]) for i in steps]
        assert sum(i["distance_m"] for i in ins) == pytest.approx(p["distance_m"], abs=1.0)  # nothing lost
        assert all(i["type"] != "turn" or i["modifier"] for i in ins)
    assert checked >= 20


# --------------------------------------------------------------------------- small fixes


def test_cli_summaries_in_indonesian(capsys):
    assert main(["route", "--from", HELSINKI_A, "--to", HELSINKI_B, "--lang", "id"]) == 0
    out = capsys.readouterr().out
    assert "bersepeda" in out and "Jenis jalan:" in out and "Petunjuk arah:" in out
    assert "by bike" not in out and "Directions:" not in out and "Way types" not in out
    args = ["tour", "--start", HELSINKI_A, "--budget-min", "60", "--start-time", "2026-07-01T10:00", "--lang", "id"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Tur penjelajahan:") and "kunjungi" in out and "tiba 10:" in out
    assert "visit" not in out and "arrive" not in out
    assert main(args[:-2]) == 0 and capsys.readouterr().out.startswith("Discovery tour:")


def test_one_word_for_main_roads():
    for lang, word in (("en", "main road"), ("id", "jalan utama")):
        strings = catalogue(lang)
        assert not [v for v in strings.values() if "major" in v.lower()]
        names = [strings[f"hw_{k}"].lower() for k in ("tertiary", "secondary", "primary")]
        assert all(word in n for n in names) and len(set(names)) == 3, names
