"""Places from OpenStreetMap: which feature is a destination, of which category, and which is a bike-share station.

One vocabulary and one classifier, used by every layer: the network sources
(`OSM_TAGS`, which features are read at all), the tour planner
(`routes.tours`), the bike-share stations (`routes.stations`), and in the
web app the seeding of the destination database and the map.

- The vocabulary is ``routes/data/categories.toml`` (`load_categories`,
  `vocabulary`, `category_label`), read once.
- `classify` (and its short form `category_of`) gives the category of an OSM
  feature from its tags; `is_station` says whether it is a bike-share station.
- `destination_places` and `station_places` turn a network's points of
  interest (`routes.Network.pois`) into places, with duplicates merged
  (`dedupe_places`): OSM often maps one place twice, as a node and an area
  (Schloss Gutenberg in Liechtenstein), or under two tags (Wildschloss is a
  ``tourism=viewpoint`` node beside a ``historic=castle`` way).
  `destinations_of` and `stations_of` do it once per network.

A place is a plain dict: ``ref`` (``"node/123"``), ``osm_type``, ``osm_id``,
``lat``, ``lon``, ``tags`` (the merged tags of all its features), ``also``
(the refs of the features merged into it) and, for destinations,
``category``, ``key`` and ``value`` (the tag that decided the category).

Examples
--------
>>> category_of({"tourism": "museum"}), category_of({"historic": "castle", "tourism": "attraction"})
('museum', 'heritage')
>>> category_of({"amenity": "bicycle_rental"}) is None, is_station({"amenity": "bicycle_rental"})
(True, True)
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from . import settings
from .i18n import translate

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "OSM_TAGS",
    "SAME_NAME_M",
    "SAME_WIKIDATA_M",
    "SKIP_TOURISM",
    "STATION_TAGS",
    "Classification",
    "category_label",
    "category_of",
    "classify",
    "dedupe_places",
    "destination_places",
    "destinations_of",
    "is_station",
    "keep_poi",
    "load_categories",
    "place_description",
    "place_name",
    "place_names",
    "station_places",
    "stations_of",
    "vocabulary",
]

Place = dict[str, Any]

#: The OSM tags a network source reads as points of interest (`routes.Network.pois`):
#: tourist destinations and bike-share stations. A filter in the form pyrosm and OSMnx take.
OSM_TAGS: dict[str, Any] = {
    "tourism": True,
    "historic": True,
    "amenity": ["bicycle_rental"],
    "leisure": ["park", "nature_reserve", "garden", "beach_resort"],
    "natural": ["beach", "peak", "waterfall"],
}
#: ``tourism`` values that are lodging or services, not places to visit (kept when also ``historic``).
SKIP_TOURISM = frozenset(
    {
        "hotel",
        "hostel",
        "guest_house",
        "motel",
        "apartment",
        "chalet",
        "camp_pitch",
        "information",
        "caravan_site",
        "alpine_hut",
        "wilderness_hut",
        "yes",
    }
)
#: Tags that make a feature a bike-share station (never a destination).
STATION_TAGS: dict[str, frozenset[str]] = {"amenity": frozenset({"bicycle_rental"})}
#: Keys named as the deciding tag of a feature no rule matches (category "other").
_FALLBACK_KEYS = ("tourism", "historic", "leisure", "natural", "amenity", "shop")

#: Two features with the same name at most this far apart are one place mapped twice. A castle's
#: node and its area are tens of metres apart (Schloss Gutenberg: 35 m); namesakes are kilometres apart.
SAME_NAME_M = 250.0
#: Two features with the same Wikidata item at most this far apart are one place (the four
#: statues of Helsinki's "Lyhdynkantajat" are one artwork).
SAME_WIKIDATA_M = 1000.0


# --------------------------------------------------------------------------- the vocabulary


@lru_cache(maxsize=4)
def _read_categories(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    vocab = data.get("vocabulary")
    if not isinstance(vocab, list) or not vocab or not all(isinstance(c, str) for c in vocab):
        raise ValueError(f"{path}: 'vocabulary' must be a list of category names")
    if "other" not in vocab:
        raise ValueError(f"{path}: the vocabulary needs the category 'other' (features no rule matches)")
    if not isinstance(data.get("visit_min"), dict):
        raise ValueError(f"{path}: missing table [visit_min]")
    missing = [c for c in vocab if c not in data["visit_min"]]
    if missing:
        raise ValueError(f"{path}: categories without visit_min: {', '.join(missing)}")
    rules = []
    for rule in data.get("rule", []):
        cat = rule.get("category", "")
        if cat and cat not in vocab:
            raise ValueError(f"{path}: rule category {cat!r} is not in the vocabulary")
        values = [str(v).lower() for v in rule.get("values") or ["*"]]
        rules.append((str(rule["key"]), None if "*" in values else frozenset(values), cat))
    data["_rules"] = tuple(rules)
    return data


def load_categories() -> dict[str, Any]:
    """The category vocabulary, default visit minutes and OSM tag rules.

    Read (once) from ``categories.toml`` in `routes.settings.data_folder`:
    ``vocabulary`` (list), the ``visit_min`` table, and ``rule`` tables (``key``,
    ``values``, ``category``; the first rule that matches wins, category ``""``
    means "not a destination"). Labels are translations: `category_label`.
    """
    return _read_categories(str(settings.data_folder / "categories.toml"))


def vocabulary() -> tuple[str, ...]:
    """The destination categories, in the order the vocabulary lists them.

    Examples
    --------
    >>> vocabulary()[:3]
    ('nature', 'beach', 'culture')
    """
    return tuple(load_categories()["vocabulary"])


def category_label(category: str, lang: str = "en") -> str:
    """The category's label in ``lang`` (English when that language has none): the message
    ``cat_<category>`` of the catalogue (`routes.i18n`), the category's own name without one.

    Examples
    --------
    >>> category_label("heritage", "id")
    'Warisan sejarah'
    """
    text = translate("cat_" + category, lang)
    return category if text == "cat_" + category else text


# --------------------------------------------------------------------------- the classifier


class Classification(NamedTuple):
    """What an OSM feature is: its ``category``, and the tag (``key``, ``value``) that decided it."""

    category: str
    key: str
    value: str


def _value(tags: Mapping[str, str], key: str) -> str | None:
    """A tag's first value, lower case (``"Museum;Gallery"`` is ``"museum"``); None when absent or empty."""
    raw = tags.get(key)
    if not raw:
        return None
    return str(raw).split(";")[0].strip().lower() or None


def is_station(tags: Mapping[str, str]) -> bool:
    """Whether an OSM feature is a bike-share station (``amenity=bicycle_rental``)."""
    return any(_value(tags, k) in values for k, values in STATION_TAGS.items())


def keep_poi(tags: Mapping[str, str]) -> bool:
    """Whether a network source keeps a feature read with `OSM_TAGS` (lodging and services are dropped)."""
    return not (tags.get("tourism") in SKIP_TOURISM and not tags.get("historic"))


def classify(tags: Mapping[str, str]) -> Classification | None:
    """The category of an OSM feature from its tags; ``None`` when it is not a destination.

    The first rule of the vocabulary whose key has a listed value wins; a
    feature no rule matches is ``other``. Stations are never destinations.

    Examples
    --------
    >>> classify({"tourism": "attraction", "historic": "castle"})
    Classification(category='heritage', key='historic', value='castle')
    >>> classify({"tourism": "something_new"}).category
    'other'
    """
    if is_station(tags):
        return None
    for key, values, category in load_categories()["_rules"]:
        value = _value(tags, key)
        if value is not None and (values is None or value in values):
            return Classification(category, key, value) if category else None
    key = next((k for k in _FALLBACK_KEYS if _value(tags, k)), "")
    return Classification("other", key, _value(tags, key) or "")


def category_of(tags: Mapping[str, str]) -> str | None:
    """`classify`'s category alone.

    Examples
    --------
    >>> category_of({"natural": "peak"}), category_of({"amenity": "parking"})
    ('nature', None)
    """
    c = classify(tags)
    return None if c is None else c.category


# --------------------------------------------------------------------------- names


def place_name(tags: Mapping[str, str], lang: str = "en") -> str | None:
    """The name in ``lang``, else the local name, else the English one; None without a name."""
    return tags.get(f"name:{lang}") or tags.get("name") or tags.get("name:en") or None


def place_names(tags: Mapping[str, str]) -> dict[str, str]:
    """The translated names (``name:de`` and the like) by language code.

    Examples
    --------
    >>> place_names({"name": "Vaduz", "name:de": "Vaduz", "name:etymology": "x"})
    {'de': 'Vaduz'}
    """
    return {k[5:]: v for k, v in tags.items() if k.startswith("name:") and len(k) <= 10 and v and "_" not in k}


def place_description(tags: Mapping[str, str], lang: str = "en") -> str | None:
    """The description in ``lang``, else the local or English one, else an inscription."""
    for key in (f"description:{lang}", "description", "description:en", "inscription"):
        if tags.get(key):
            return tags[key]
    return None


# --------------------------------------------------------------------------- places of a network


def _place(poi: Mapping[str, Any]) -> Place:
    osm_type = str(poi.get("osm_type") or "node")
    return {
        "ref": f"{osm_type}/{poi.get('osm_id')}",
        "osm_type": osm_type,
        "osm_id": poi.get("osm_id"),
        "lat": float(poi["lat"]),
        "lon": float(poi["lon"]),
        "tags": dict(poi.get("tags") or {}),
        "also": [],
    }


def destination_places(pois: Iterable[Mapping[str, Any]]) -> list[Place]:
    """The destinations among OSM features (``Network.pois``), classified, duplicates merged."""
    out = []
    for poi in pois:
        place = _place(poi)
        c = classify(place["tags"])
        if c is None:
            continue
        place.update(category=c.category, key=c.key, value=c.value)
        out.append(place)
    return dedupe_places(out)


def station_places(pois: Iterable[Mapping[str, Any]]) -> list[Place]:
    """The bike-share stations among OSM features, once each (by OSM identity only:
    neighbouring docks of one operator may share a name)."""
    return dedupe_places([_place(p) for p in pois if is_station(p.get("tags") or {})], by_name=False)


def _pois_key(net: Network, what: str) -> str:
    # keyed by the POI list too: ``dataclasses.replace(net, pois=...)`` shares the derived-value cache
    return f"places.{what}.{id(net.pois)}"


def destinations_of(net: Network) -> list[Place]:
    """`destination_places` of a network, worked out once per network (do not modify the dicts)."""
    return list(net._cached(_pois_key(net, "destinations"), lambda: destination_places(net.pois)))


def stations_of(net: Network) -> list[Place]:
    """`station_places` of a network, worked out once per network (do not modify the dicts)."""
    return list(net._cached(_pois_key(net, "stations"), lambda: station_places(net.pois)))


# --------------------------------------------------------------------------- duplicates


def _distance_m(a: Place, b: Place) -> float:
    """Great-circle distance between two places (haversine, metres)."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dl = math.radians(b["lon"] - a["lon"])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _name_key(tags: Mapping[str, str]) -> str | None:
    name = tags.get("name")
    return " ".join(name.casefold().split()) if name else None


_TYPE_RANK = {"node": 0, "way": 1, "relation": 2}


def _preference(p: Place) -> tuple:
    """Which feature of a place mapped twice stands for it: a node (an entrance, a summit: a point
    someone placed) before an area's inner point, then the one with more tags, then the oldest id."""
    return (_TYPE_RANK.get(p["osm_type"], 3), -len(p["tags"]), str(p["osm_id"]))


def dedupe_places(places: Sequence[Place], *, by_name: bool = True) -> list[Place]:
    """Merge the features that are one place.

    Two features are one place when they have the same OSM identity (``ref``),
    the same ``wikidata`` item within `SAME_WIKIDATA_M`, or (with ``by_name``)
    the same name (ignoring case and spacing) within `SAME_NAME_M`. Each group
    keeps its preferred feature (a node before an area, then the one with more
    tags) with its position and category; tags it lacks are taken from the
    others, and their refs are listed in ``also``. Places keep the order in
    which their first feature came.

    Examples
    --------
    >>> a = {"ref": "node/1", "osm_type": "node", "osm_id": 1, "lat": 47.0651, "lon": 9.5007,
    ...      "tags": {"name": "Schloss Gutenberg", "historic": "castle"}, "also": []}
    >>> b = {"ref": "way/2", "osm_type": "way", "osm_id": 2, "lat": 47.0654, "lon": 9.5005,
    ...      "tags": {"name": "Schloss Gutenberg", "historic": "castle", "wikidata": "Q668969"}, "also": []}
    >>> [(p["ref"], p["also"], p["tags"]["wikidata"]) for p in dedupe_places([b, a])]
    [('node/1', ['way/2'], 'Q668969')]
    """
    n = len(places)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    groups: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(places):
        keys = [("ref", p["ref"])]
        if p["tags"].get("wikidata"):
            keys.append(("wikidata", p["tags"]["wikidata"]))
        if by_name and (name := _name_key(p["tags"])):
            keys.append(("name", name))
        for key in keys:
            groups.setdefault(key, []).append(i)
    limit = {"ref": math.inf, "wikidata": SAME_WIKIDATA_M, "name": SAME_NAME_M}
    for (kind, _), members in groups.items():
        # sweep by latitude: a common name ("Wegkreuz") may have thousands of features in a region
        members.sort(key=lambda i: places[i]["lat"])
        window = limit[kind] / 111_000.0  # metres to degrees of latitude (a bound, never too small)
        for x, i in enumerate(members):
            for y in range(x + 1, len(members)):
                j = members[y]
                if places[j]["lat"] - places[i]["lat"] > window:
                    break
                if find(i) != find(j) and _distance_m(places[i], places[j]) <= limit[kind]:
                    parent[find(j)] = find(i)
    clusters: dict[int, list[int]] = {}
    for i in range(n):
        clusters.setdefault(find(i), []).append(i)
    out = []
    for members in sorted(clusters.values(), key=min):
        ranked = sorted((places[i] for i in members), key=_preference)
        best = ranked[0]
        if len(ranked) == 1:
            out.append(best)
            continue
        tags: dict[str, str] = {}
        for p in reversed(ranked):  # the preferred feature's own tags win
            tags.update(p["tags"])
        also = sorted({r for p in ranked for r in (p["ref"], *p.get("also", ())) if r != best["ref"]})
        out.append({**best, "tags": tags, "also": also})
    return out
