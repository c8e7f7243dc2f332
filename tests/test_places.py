"""routes.places: the one vocabulary and classifier of OSM destinations and stations, and de-duplication."""

from __future__ import annotations

import pytest

from routes.places import (
    SAME_NAME_M,
    category_label,
    category_of,
    classify,
    dedupe_places,
    destination_places,
    destinations_of,
    is_station,
    load_categories,
    station_places,
    stations_of,
    vocabulary,
)

#: Places Liechtenstein's OSM data maps twice (issue #17): a castle's node and its area, two peak
#: nodes on the border, a viewpoint node beside the castle ruin's way, two ways of one ruin.
LIECHTENSTEIN_TWICE = ["Schloss Gutenberg", "Wildschloss", "Naafkopf", "Burgruinie Unterer Schellenberg"]


def _place(ref, lat, lon, **tags):
    osm_type, osm_id = ref.split("/")
    return {"ref": ref, "osm_type": osm_type, "osm_id": int(osm_id), "lat": lat, "lon": lon, "tags": tags, "also": []}


# --------------------------------------------------------------------------- vocabulary and classifier


def test_one_vocabulary_read_once():
    assert load_categories() is load_categories()  # cached: the file is read once
    assert vocabulary()[-1] == "other" and "heritage" in vocabulary()
    assert category_label("heritage") == "Heritage" and category_label("heritage", "id") == "Warisan sejarah"
    assert category_label("heritage", "xx") == "Heritage"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"tourism": "museum"}, ("museum", "tourism", "museum")),
        ({"historic": "castle", "tourism": "attraction"}, ("heritage", "historic", "castle")),
        ({"tourism": "Museum;Gallery"}, ("museum", "tourism", "museum")),  # first of a list, any case
        ({"natural": "peak"}, ("nature", "natural", "peak")),
        ({"leisure": "park"}, ("park", "leisure", "park")),
        ({"tourism": "something_new"}, ("other", "tourism", "something_new")),
        ({"amenity": "bicycle_rental", "tourism": "attraction"}, None),  # a station is never a destination
        ({"amenity": "parking", "tourism": "viewpoint"}, None),  # rule with category "" comes first
    ],
)
def test_classify(tags, expected):
    c = classify(tags)
    assert (None if c is None else tuple(c)) == expected
    assert category_of(tags) == (None if expected is None else expected[0])


def test_is_station():
    assert is_station({"amenity": "bicycle_rental"}) and not is_station({"amenity": "bicycle_parking"})


# --------------------------------------------------------------------------- duplicates (pure)


def test_dedupe_by_identity_name_and_wikidata():
    places = [
        _place("node/1", 47.0651, 9.5007, name="Schloss Gutenberg", historic="castle"),
        _place("node/1", 47.0651, 9.5007, name="Schloss Gutenberg", historic="castle"),  # the same feature twice
        _place("node/5", 47.2000, 9.5000, name="Kapelle", historic="wayside_shrine"),
        _place("way/2", 47.0654, 9.5005, name="schloss  gutenberg", historic="castle", wikidata="Q1", website="w"),
        _place("node/6", 47.2200, 9.5000, name="Kapelle", historic="wayside_shrine"),  # a namesake 2 km away
        _place("node/7", 47.0700, 9.5005, tourism="artwork", wikidata="Q1"),  # same item, 600 m away
        _place("node/8", 47.0800, 9.5005, tourism="artwork", wikidata="Q1"),  # same item, 1.6 km away
    ]
    out = dedupe_places(places)
    assert [p["ref"] for p in out] == ["node/1", "node/5", "node/6", "node/8"]
    castle = out[0]
    assert castle["also"] == ["node/7", "way/2"]  # the node stands for the place; the area's tags join it
    assert castle["tags"]["website"] == "w" and castle["tags"]["name"] == "Schloss Gutenberg"
    assert castle["lat"] == 47.0651
    # without names only identity and wikidata count; stations are deduplicated by identity only
    assert len(dedupe_places(places, by_name=False)) == 5


def test_dedupe_name_distance_threshold():
    near = SAME_NAME_M * 0.9 / 111_195  # degrees of latitude
    far = SAME_NAME_M * 1.1 / 111_195
    a = _place("node/1", 47.0, 9.5, name="Ruine")
    assert len(dedupe_places([a, _place("node/2", 47.0 + near, 9.5, name="Ruine")])) == 1
    assert len(dedupe_places([a, _place("node/2", 47.0 + far, 9.5, name="Ruine")])) == 2


def test_destination_places_classify_and_skip_stations():
    pois = [
        {"osm_type": "node", "osm_id": 1, "lat": 47.1, "lon": 9.5, "tags": {"amenity": "bicycle_rental"}},
        {"osm_type": "way", "osm_id": 2, "lat": 47.1, "lon": 9.5, "tags": {"historic": "ruins", "name": "R"}},
    ]
    (place,) = destination_places(pois)
    assert (place["ref"], place["category"], place["key"], place["value"]) == ("way/2", "heritage", "historic", "ruins")
    assert [s["ref"] for s in station_places(pois)] == ["node/1"]


# --------------------------------------------------------------------------- real data


def test_liechtenstein_places_mapped_twice_appear_once(liechtenstein_net):
    from routes.tours import destinations_from_network

    def count(names):
        return {n: names.count(n) for n in LIECHTENSTEIN_TWICE}

    raw = [p["tags"].get("name") for p in liechtenstein_net.pois]
    assert all(v >= 2 for v in count(raw).values())  # the extract does have them twice
    places = destinations_of(liechtenstein_net)
    assert all(v == 1 for v in count([p["tags"].get("name") for p in places]).values())
    assert all(v == 1 for v in count([d["name"] for d in destinations_from_network(liechtenstein_net)]).values())
    by_name = {p["tags"].get("name"): p for p in places}
    gutenberg = by_name["Schloss Gutenberg"]
    assert gutenberg["ref"] == "node/50075428" and gutenberg["also"] == ["way/121559548"]
    assert gutenberg["category"] == "heritage"
    assert by_name["Wildschloss"]["also"] == ["way/220957383"]
    # no distinct place was merged away: every named destination's name is still there
    named = {p["tags"]["name"] for p in liechtenstein_net.pois if p["tags"].get("name") and category_of(p["tags"])}
    assert named == {p["tags"].get("name") for p in places} - {None}
    assert len(places) == len({p["ref"] for p in places})


def test_stations_are_one_extraction(paris_net):
    from routes.stations import osm_stations

    refs = [p["ref"] for p in stations_of(paris_net)]
    assert len(refs) == len(set(refs)) > 10
    assert [s["station_id"] for s in osm_stations(paris_net)] == refs
    assert not {p["ref"] for p in destinations_of(paris_net)} & set(refs)
