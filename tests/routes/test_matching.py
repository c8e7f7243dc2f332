"""Map matching (routes.matching): bikemap's own routes, blurred like a GPS track, come back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routes import route
from routes.errors import InvalidFileError, NoRouteError, OffNetworkError
from routes.matching import match_pieces, match_track, read_track
from routes.network import haversine_m
from routes.routing import route_pieces


def _pairs(net, n, seed):
    rng = np.random.default_rng(seed)
    while True:
        i, j = rng.integers(0, net.n_nodes, 2)
        a = (float(net.node_lat[i]), float(net.node_lon[i]))
        b = (float(net.node_lat[j]), float(net.node_lon[j]))
        if 1500 < haversine_m(a[1], a[0], b[1], b[0]) < 4000:
            yield a, b


def _gps(feature, rng, *, every_s=5.0, sigma_m=10.0):
    """Points every ``every_s`` seconds along the route at its mean speed, with Gaussian noise."""
    c = np.array(feature["geometry"]["coordinates"])[:, :2]
    step = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
    cum = np.concatenate([[0.0], np.cumsum(step)])
    p = feature["properties"]
    speed = p["distance_m"] / p["duration_s"]
    at = np.arange(0.0, cum[-1], speed * every_s)
    lon, lat = np.interp(at, cum, c[:, 0]), np.interp(at, cum, c[:, 1])
    k = 111_320.0
    lat = lat + rng.normal(0, sigma_m, len(at)) / k
    lon = lon + rng.normal(0, sigma_m, len(at)) / (k * np.cos(np.radians(lat)))
    return list(zip(lat.tolist(), lon.tolist(), strict=True)) + [(float(c[-1, 1]), float(c[-1, 0]))]


def _segments(router, pieces):
    out = {}
    for p in pieces:
        out[p.seg] = out.get(p.seg, 0.0) + float(router.network.seg_length[p.seg]) * p.share
    return out


def test_noisy_routes_match_back_to_their_streets(demo_net):
    rng = np.random.default_rng(15)
    got = total = 0.0
    done = 0
    for a, b in _pairs(demo_net, 20, 7):
        try:
            router, _, legs = route_pieces(demo_net, [a, b])
        except (NoRouteError, OffNetworkError):
            continue
        original = _segments(router, legs[0])
        track = _gps(route(demo_net, [a, b]), rng)
        _, _, pieces = match_pieces(demo_net, track)
        mine = _segments(router, pieces)
        got += sum(min(m, mine.get(s, 0.0)) for s, m in original.items())
        total += sum(original.values())
        done += 1
        if done == 20:
            break
    assert done == 20
    assert got / total >= 0.95, f"only {100 * got / total:.1f} % of the routes' length matched back"


GPX = (
    '<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
    "<trk><trkseg>{}</trkseg></trk></gpx>"
)


def _gpx(points):
    return GPX.format("".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lat, lon in points)).encode()


def test_read_track_gpx_and_geojson():
    pts = [(60.17, 24.94), (60.171, 24.941)]
    assert read_track(_gpx(pts)) == pts
    line = {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in pts]}
    assert read_track(json.dumps(line)) == pts
    assert read_track(json.dumps({"type": "Feature", "geometry": line, "properties": {}})) == pts


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"this is not xml", "not valid XML"),
        (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>', "DTD"),
        (b"<kml/>", "not GPX"),
        (GPX.format("").encode(), "no track"),
        (_gpx([(60.17, 24.94)]), "single point"),
        (b'{"type": "Point", "coordinates": [24.9, 60.1]}', "LineString"),
        (_gpx([(95.0, 24.94), (60.0, 24.0)]), "latitude"),
    ],
)
def test_bad_tracks_say_why(body, words):
    with pytest.raises(InvalidFileError, match=words):
        read_track(body)


def test_track_off_the_network_says_how_far(demo_net):
    with pytest.raises(OffNetworkError, match=r"entirely off the network: its nearest point is [\d.]+ km") as exc:
        match_track(demo_net, [(60.30, 25.20), (60.301, 25.201)])
    assert exc.value.details["distance_m"] > 10_000


def test_matched_track_is_a_route_with_directions(demo_net):
    f = route(demo_net, [(60.1699, 24.9384), (60.1618, 24.9510)])
    track = _gps(f, np.random.default_rng(1))
    m = match_track(demo_net, track)
    p = m["properties"]
    assert p["instructions"][0]["type"] == "depart" and p["instructions"][-1]["type"] == "arrive"
    assert p["distance_m"] == pytest.approx(f["properties"]["distance_m"], rel=0.25)
    assert sum(p["surface_classes_m"].values()) == pytest.approx(p["distance_m"], abs=1)
    assert p["matched_points"] >= 10 and p["track_points"] == len(track)


def test_matched_track_on_a_closed_street_says_so(demo_net):
    f = route(demo_net, [(60.1699, 24.9384), (60.1660, 24.9500)])
    track = [(c[1], c[0]) for c in f["geometry"]["coordinates"]]
    router, _, pieces = match_pieces(demo_net, track)
    closed = router.cost.copy()
    longest = max(pieces, key=lambda p: demo_net.seg_length[p.seg] * p.share)
    closed[2 * longest.seg : 2 * longest.seg + 2] = np.inf
    p = match_track(demo_net, track, edge_cost=closed)["properties"]
    assert p["closed_m"] >= demo_net.seg_length[longest.seg] * longest.share - 1
    assert p["warnings"] and "closed" in p["warnings"][0]
    assert match_track(demo_net, track, edge_cost=router.cost)["properties"]["closed_m"] == 0


def test_matching_keeps_to_the_time_budget(demo_net):
    from routes.budget import time_budget
    from routes.errors import TooExpensiveError

    f = route(demo_net, [(60.1699, 24.9384), (60.1660, 24.9500)])
    track = [(c[1], c[0]) for c in f["geometry"]["coordinates"]]
    with time_budget(0.0), pytest.raises(TooExpensiveError, match="matching this track"):
        match_track(demo_net, track)
