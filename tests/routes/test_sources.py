"""Network sources: demo, .osm.pbf, OSM XML, place:/bbox: (against a local server), cache."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse

import numpy as np
import pytest

from routes import load_network, route, settings
from routes.errors import SourceError
from routes.sources import resolve_source
from tests.conftest import shared_file

osmium = pytest.importorskip("osmium")


def test_demo_network_is_helsinki(demo_net):
    w, s, e, n = demo_net.bounds
    assert 24.8 < w < e < 25.1 and 60.1 < s < n < 60.3
    assert demo_net.n_segments > 1000
    # the tags cycling needs are kept
    keys = set().union(*demo_net.tags)
    for k in ("highway", "cycleway", "bicycle", "oneway", "surface", "name", "maxspeed", "lanes", "lit"):
        assert k in keys
    assert demo_net.pois, "tourist destinations and stations come with the network"


def test_pbf_liechtenstein(liechtenstein_net):
    w, s, e, n = liechtenstein_net.bounds
    assert 9.4 < w < e < 9.7 and 47.0 < s < n < 47.3
    assert {"cycleway", "residential", "primary"} <= {t.get("highway") for t in liechtenstein_net.tags}


def _pbf_to(tmp_path, name):
    out = tmp_path / name
    with osmium.SimpleWriter(str(out)) as w:
        for obj in osmium.FileProcessor(str(shared_file("paris_bss.osm.pbf"))):
            w.add(obj)
    return out


@pytest.mark.parametrize("name", ["paris.osm", "paris.osm.bz2"])
def test_xml_sources_match_pbf(tmp_path, paris_net, name):
    xml = _pbf_to(tmp_path, name)
    net = load_network(xml, cache_folder=tmp_path / "cache")
    assert abs(net.n_segments - paris_net.n_segments) <= 0.02 * paris_net.n_segments
    assert abs(sum(net.seg_length) - sum(paris_net.seg_length)) <= 0.02 * sum(paris_net.seg_length)
    a, b = (48.8600, 2.3550), (48.8680, 2.3750)
    d1 = route(net, [a, b])["properties"]["distance_m"]
    d2 = route(paris_net, [a, b])["properties"]["distance_m"]
    assert d1 == pytest.approx(d2, rel=0.02)


def test_cache_second_start_is_fast_and_keyed_by_content(tmp_path):
    src = tmp_path / "paris.osm.pbf"
    src.write_bytes(shared_file("paris_bss.osm.pbf").read_bytes())
    first = load_network(src, cache_folder=tmp_path / "c")
    assert first.meta["from_cache"] is False
    second = load_network(src, cache_folder=tmp_path / "c")
    assert second.meta["from_cache"] is True
    assert second.n_segments == first.n_segments
    assert len(list((tmp_path / "c").glob("network-*/rest.pkl"))) == 1
    # different content, different cache entry
    src.write_bytes(shared_file("paris_bss.osm.pbf").read_bytes() + b"\0")
    changed = load_network(src, cache_folder=tmp_path / "c")
    assert changed.meta["from_cache"] is False
    assert len(list((tmp_path / "c").glob("network-*/rest.pkl"))) == 2
    # a damaged cache is rebuilt, not fatal
    cached = next((tmp_path / "c").glob("network-*/rest.pkl"))
    cached.write_bytes(b"garbage")
    src.write_bytes(shared_file("paris_bss.osm.pbf").read_bytes())
    again = load_network(src, cache_folder=tmp_path / "c")
    assert again.n_segments == first.n_segments


@pytest.mark.parametrize(
    "source, message",
    [
        ("/no/such/file.osm.pbf", "not found"),
        ("place:", "needs a place name"),
        ("bbox:1,2,3", "WEST,SOUTH,EAST,NORTH"),
        ("bbox:10,50,9,51", "WEST<EAST"),
        ("bbox:nan,1,2,3", "finite"),
    ],
)
def test_bad_sources(source, message):
    with pytest.raises(SourceError, match=message):
        resolve_source(source)


def test_corrupt_and_unknown_files(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf file")
    with pytest.raises(SourceError, match="not a valid .osm.pbf"):
        load_network(bad, cache_folder=tmp_path)
    xml = tmp_path / "bad.osm"
    xml.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(SourceError, match="not valid OSM XML"):
        load_network(xml, cache_folder=tmp_path)
    other = tmp_path / "map.txt"
    other.write_text("hello")
    with pytest.raises(SourceError, match="unknown source type"):
        load_network(other, cache_folder=tmp_path)


# --------------------------------------------------------------------------- online paths


def _overpass_elements():
    """Paris extract as an Overpass API JSON response (real OSM data)."""
    elements = []
    for o in osmium.FileProcessor(str(shared_file("paris_bss.osm.pbf"))).with_locations():
        tags = {t.k: t.v for t in o.tags}
        if o.is_node():
            elements.append({"type": "node", "id": o.id, "lat": o.location.lat, "lon": o.location.lon, "tags": tags})
        elif o.is_way():
            elements.append({"type": "way", "id": o.id, "nodes": [n.ref for n in o.nodes], "tags": tags})
    # Overpass answers with every node its ways use; the clipped file lacks some
    have = {e["id"] for e in elements if e["type"] == "node"}
    for e in elements:
        if e["type"] == "way":
            e["nodes"] = [n for n in e["nodes"] if n in have]
    elements = [e for e in elements if e["type"] == "node" or len(e["nodes"]) >= 2]
    return {"version": 0.6, "generator": "test", "elements": elements}


class _FakeOSM(http.server.BaseHTTPRequestHandler):
    overpass = None
    bbox = (2.35, 48.857, 2.381, 48.870)
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def _send(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # Nominatim
        self.requests.append(self.path)
        w, s, e, n = self.bbox
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        self._send(
            [
                {
                    "place_id": 1,
                    "osm_type": "relation",
                    "osm_id": 7444,
                    "lat": str((s + n) / 2),
                    "lon": str((w + e) / 2),
                    "boundingbox": [str(s), str(n), str(w), str(e)],
                    "display_name": "Paris, France",
                    "class": "boundary",
                    "type": "administrative",
                    "importance": 0.9,
                    "geojson": {"type": "Polygon", "coordinates": [ring]},
                }
            ]
        )

    def do_POST(self):  # Overpass
        length = int(self.headers.get("Content-Length", 0))
        self.requests.append(urllib.parse.unquote_plus(self.rfile.read(length).decode()))
        self._send(self.overpass)


@pytest.fixture()
def fake_osm(monkeypatch):
    _FakeOSM.overpass = _overpass_elements()
    _FakeOSM.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeOSM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(settings, "overpass_url", base + "/api")
    monkeypatch.setattr(settings, "nominatim_url", base + "/")
    monkeypatch.setattr(settings, "overpass_rate_limit", False)
    yield _FakeOSM
    server.shutdown()


def test_place_source_fetches_from_overpass(fake_osm, tmp_path):
    net = load_network("place:Paris, France", cache_folder=tmp_path)
    assert net.n_segments > 100
    assert any("highway" in r for r in fake_osm.requests), "the Overpass query asks for highways"
    assert any("Paris" in r for r in fake_osm.requests), "Nominatim was asked for the place"
    f = route(net, [(48.8600, 2.3550), (48.8680, 2.3750)])
    assert f["properties"]["distance_m"] > 500
    # second start: from the cache, no request
    fake_osm.requests.clear()
    again = load_network("place:Paris, France", cache_folder=tmp_path)
    assert again.meta["from_cache"] and not fake_osm.requests


def test_bbox_source_fetches_from_overpass(fake_osm, tmp_path):
    net = load_network("bbox:2.35,48.857,2.381,48.870", cache_folder=tmp_path)
    assert net.n_segments > 100
    assert any("48.857" in r for r in fake_osm.requests)


def test_offline_fails_with_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(settings, "nominatim_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(settings, "overpass_rate_limit", False)
    monkeypatch.setattr(settings, "requests_timeout", 2)
    for src in ("place:Banyuwangi, Indonesia", "bbox:114.3,-8.3,114.4,-8.2"):
        t0 = time.monotonic()
        with pytest.raises(SourceError) as err:
            load_network(src, cache_folder=tmp_path)
        assert "cannot fetch" in str(err.value) and "\n" not in str(err.value)
        assert time.monotonic() - t0 < 60


def test_build_reports_progress_and_cache_is_memory_mapped(tmp_path):
    import mmap

    src = tmp_path / "andorra.osm.pbf"
    src.write_bytes(shared_file("andorra.osm.pbf").read_bytes())
    stages: list[str] = []
    built = load_network(src, cache_folder=tmp_path / "c", progress=stages.append)
    assert [s.split()[0] for s in stages] == [
        "reading",
        "simplifying",
        "ordering",
        "indexing",
        "finding",
        "writing",
        "done:",
    ]
    assert built.node_order is not None and sorted(built.node_order.tolist()) == list(range(built.n_nodes))
    again = load_network(src, cache_folder=tmp_path / "c", progress=stages.append)
    assert again.meta["from_cache"] and len(stages) == 7  # nothing built, nothing reported
    for name in ("coords", "seg_u", "node_order", "snap_starts", "snap_pieces", "pieces"):
        arr = getattr(again, name)
        owner = arr
        while owner is not None and not isinstance(owner, mmap.mmap):
            owner = owner.base
        assert owner is not None and not arr.flags.writeable, name
        assert np.array_equal(arr, getattr(built, name))
    assert again.tags == built.tags and again.pois == built.pois
