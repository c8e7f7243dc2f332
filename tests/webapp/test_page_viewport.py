"""The map page costs what the visitor sees (issue #19).

- ``GET /`` carries no network, destination or station: it is the same size for the demo
  network and for Liechtenstein (twice the segments), and holds no line geometry;
- it is compressed once: a second view sends the same gzip'd bytes without compressing
  again, and the browser's ``If-None-Match`` gets 304;
- ``GET /api/network?bbox=&zoom=`` (the overlay without vector tiles) draws the segments
  in a box, leaves out the minor classes when a box holds too many, and answers a bad
  box with 400 and JSON; so do the destinations and stations by ``bbox``;
- the page loads the clustering library and the scripts that load points and overlay by view.
"""

from __future__ import annotations

import gzip
import re

import pytest

from webapp import create_app

CENTRE = "24.935,60.165,24.950,60.172"  # Helsinki centre (the demo network)


def _page_and_script(client) -> tuple[str, str]:
    page = client.get("/?lang=en").get_data(as_text=True)
    script = client.get(re.search(r'<script src="(/map/[^"]+\.js)"', page).group(1)).get_data(as_text=True)
    return page, script


def test_page_does_not_grow_with_the_network(demo_net, liechtenstein_net):
    sizes = {}
    for net in (demo_net, liechtenstein_net):
        app = create_app({"TESTING": True, "NETWORK": net, "TILES_URL": "", "BASEMAP": "none", "WARM_PROFILES": False})
        page, script = _page_and_script(app.test_client())
        assert "MultiLineString" not in page + script and "bm-popup" not in page + script
        sizes[net.name] = len(page) + len(script)
    assert liechtenstein_net.n_segments > 1.5 * demo_net.n_segments
    small, large = sizes.values()
    assert abs(large - small) < 5_000, sizes  # the name, the bounds and the outline differ
    assert max(sizes.values()) < 300_000, sizes


def test_page_compressed_once_with_an_etag(client, monkeypatch):
    first = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.headers["ETag"]
    assert "nonce=" not in gzip.decompress(first.data).decode()  # nothing in it changes per request
    calls = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"] and not calls
    cached = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304 and not cached.data
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers and gzip.decompress(first.data) == plain.data
    assert plain.headers["ETag"] != first.headers["ETag"]


def test_network_in_a_box(client, demo_net):
    body = client.get(f"/api/network?bbox={CENTRE}&zoom=16").get_json()
    assert body["partial"] is False
    classes = {f["properties"]["class"] for f in body["features"]}
    assert {"cycleway", "quiet", "main"} <= classes
    w, s, e, n = (float(v) for v in CENTRE.split(","))
    pts = [p for f in body["features"] for line in f["geometry"]["coordinates"] for p in line]
    inside = sum(w <= x <= e and s <= y <= n for x, y in pts)
    assert inside > 0.5 * len(pts)  # segments that cross the edge reach a little beyond it
    whole = client.get("/api/network?bbox={},{},{},{}&zoom=16".format(*demo_net.bounds)).get_data()
    assert len(client.get("/api/network?bbox=24.940,60.166,24.946,60.170&zoom=16").get_data()) < len(whole) / 3
    assert client.get("/api/network?bbox=0,0,1,1").get_json()["features"] == []


def test_segments_in_a_box_are_the_strtrees(app, demo_net):
    """The overlay's boxes array picks exactly the segments an STRtree of the lines picked."""
    import numpy as np
    import shapely

    from webapp.views import overlay

    with app.app_context():
        boxes, _ = overlay._index(demo_net)
    counts = np.diff(demo_net.offsets)
    lines = shapely.linestrings(demo_net.coords, indices=np.repeat(np.arange(demo_net.n_segments), counts))
    tree = shapely.STRtree(lines)
    rng = np.random.default_rng(4)
    w0, s0, e0, n0 = demo_net.bounds
    for _ in range(200):
        w, e = np.sort(rng.uniform(w0 - 0.01, e0 + 0.01, 2))
        s, n = np.sort(rng.uniform(s0 - 0.01, n0 + 0.01, 2))
        got = np.flatnonzero((boxes[0] <= e) & (boxes[2] >= w) & (boxes[1] <= n) & (boxes[3] >= s))
        assert got.tolist() == np.sort(tree.query(shapely.box(w, s, e, n))).tolist()


def test_network_box_with_too_many_segments_keeps_the_main_classes(client, demo_net, monkeypatch):
    from webapp.views import overlay

    monkeypatch.setattr(overlay, "MAX_VIEW_SEGMENTS", 800)
    body = client.get("/api/network?bbox={},{},{},{}&zoom=12".format(*demo_net.bounds)).get_json()
    assert body["partial"] is True
    assert {f["properties"]["class"] for f in body["features"]} <= {"cycleway", "main", "quiet"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/network",
        "/api/network?bbox=a,b,c,d",
        "/api/network?bbox=25,60,24,61",
        "/api/network?bbox=24,60,25,61&zoom=40",
        "/api/network?bbox=24,60,25,61&zoom=x",
        "/api/destinations?bbox=1,2,3",
        "/api/stations?bbox=0,95,1,96",
    ],
)
def test_bad_box_is_400_json(client, url):
    r = client.get(url)
    assert r.status_code == 400 and r.is_json and r.get_json()["error"]["code"] in ("InvalidValue", "InvalidQuery")


def test_points_by_box(client):
    every = client.get("/api/destinations").get_json()["features"]
    some = client.get(f"/api/destinations?bbox={CENTRE}").get_json()["features"]
    assert 0 < len(some) < len(every)
    stations = client.get(f"/api/stations?bbox={CENTRE}").get_json()["features"]
    assert len(stations) < len(client.get("/api/stations").get_json()["features"])


def test_page_loads_points_clustered_and_overlay_by_view(client):
    page, _ = _page_and_script(client)
    for src in ("vendor/markercluster/leaflet.markercluster.js", "js/points.js", "js/overlay.js"):
        assert f'src="/static/{src}"' in page
        assert client.get(f"/static/{src}").status_code == 200
    assert 'href="/static/vendor/markercluster/MarkerCluster.css"' in page
    assert "L.markerClusterGroup" in client.get("/static/js/points.js").get_data(as_text=True)
