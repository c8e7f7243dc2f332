"""GPX export: schema-valid GPX 1.1, names that survive a round trip."""

from __future__ import annotations

import math

import gpxpy
import pytest
from lxml import etree

from routes import route
from routes.errors import InvalidValueError
from routes.gpx import feature_to_gpx, route_to_gpx

NASTY = """Café <b>"Tom's"</b> & Jerry's \u2014 ok"""


def _valid(schema, text):
    doc = etree.fromstring(text.encode())
    schema.assertValid(doc)
    return doc


def test_route_gpx_validates(demo_net, gpx_schema):
    f = route(demo_net, [(60.1699, 24.9384), (60.1650, 24.9400), (60.1618, 24.9510)])
    text = feature_to_gpx(f)
    doc = _valid(gpx_schema, text)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(doc.findall("g:trk", ns)) == 1
    assert len(doc.findall("g:trk/g:trkseg", ns)) == 1
    pts = doc.findall("g:trk/g:trkseg/g:trkpt", ns)
    assert len(pts) == len(f["geometry"]["coordinates"])
    assert [w.findtext("g:name", namespaces=ns) for w in doc.findall("g:wpt", ns)] == ["Start", "Via 1", "End"]
    assert doc.find("g:metadata/g:name", ns).text
    assert doc.find("g:metadata/g:time", ns).text.endswith("Z")
    assert doc.get("creator") == "bikemap"


def test_names_round_trip(gpx_schema):
    text = route_to_gpx(
        [[24.9, 60.1], [24.91, 60.11]],
        [{"lon": 24.9, "lat": 60.1, "name": NASTY, "description": NASTY}],
        name=NASTY,
        description=NASTY,
    )
    _valid(gpx_schema, text)
    back = gpxpy.parse(text)
    assert back.name == NASTY
    assert back.waypoints[0].name == NASTY and back.waypoints[0].description == NASTY
    assert back.tracks[0].name == NASTY


def test_control_characters_are_dropped(gpx_schema):
    text = route_to_gpx([[1, 2], [1.1, 2.1]], [{"lon": 1, "lat": 2, "name": "a\x00b\x1fc"}], name="x\x0by")
    _valid(gpx_schema, text)
    assert gpxpy.parse(text).waypoints[0].name == "abc"


def test_longitude_180_is_written_as_minus_180(gpx_schema):
    text = route_to_gpx([[180.0, 0.0], [179.9, 0.1]])
    _valid(gpx_schema, text)


@pytest.mark.parametrize("bad", [[math.nan, 1.0], [1.0, math.inf], [200.0, 1.0], [1.0, -91.0]])
def test_invalid_points_are_refused(bad):
    with pytest.raises(InvalidValueError):
        route_to_gpx([bad, [1.0, 1.0]])


def test_gpx_in_indonesian(demo_net, gpx_schema):
    f = route(demo_net, [(60.1699, 24.9384), (60.1650, 24.9400), (60.1618, 24.9510)], lang="id")
    text = feature_to_gpx(f, lang="id")
    doc = _valid(gpx_schema, text)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert [w.findtext("g:name", namespaces=ns) for w in doc.findall("g:wpt", ns)] == ["Awal", "Singgah 1", "Tujuan"]
    assert doc.find("g:metadata/g:name", ns).text.startswith("Rute bikemap safe")
