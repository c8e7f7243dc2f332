"""Tourist destinations and bike-share stations as GeoJSON, from the network's POIs.

Until staff edit destinations in a database, they come from the OSM features
the network source holds (`routes.Network.pois`): ``tourism``, ``historic``,
``leisure`` and ``natural`` features are destinations, ``amenity=bicycle_rental``
features are stations. Properties hold the raw text; whoever renders it as
HTML escapes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from routes import Network
from routes.errors import InvalidValueError

__all__ = [
    "CATEGORY_KEYS",
    "destination_features",
    "feature_collection",
    "filter_features",
    "parse_bbox",
    "poi_category",
    "station_features",
]

#: Tag keys that make a feature a destination, in order of precedence.
CATEGORY_KEYS = ("tourism", "historic", "leisure", "natural")
_GENERIC = {"yes", "attraction"}


def poi_category(tags: dict[str, str]) -> tuple[str, str] | None:
    """(kind, category) of a POI's tags, e.g. ("tourism", "museum"), or None.

    A specific value wins over a generic one (``tourism=attraction`` with
    ``historic=castle`` is a castle).

    >>> poi_category({"tourism": "attraction", "historic": "castle"})
    ('historic', 'castle')
    """
    found = [(k, tags[k].split(";")[0].strip().lower()) for k in CATEGORY_KEYS if tags.get(k)]
    if not found:
        return None
    for kind, value in found:
        if value not in _GENERIC:
            return kind, value
    return found[0]


def _name(tags: dict[str, str], lang: str) -> str | None:
    return tags.get(f"name:{lang}") or tags.get("name") or tags.get("name:en") or None


def _description(tags: dict[str, str], lang: str) -> str | None:
    for key in (f"description:{lang}", "description", "description:en", "inscription"):
        if tags.get(key):
            return tags[key]
    return None


def _point(poi: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [poi["lon"], poi["lat"]]}


def destination_features(net: Network, *, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the network's tourist destinations."""
    out = []
    for poi in net.pois:
        tags = poi["tags"]
        if tags.get("amenity") == "bicycle_rental":
            continue
        cat = poi_category(tags)
        if cat is None:
            continue
        props = {
            "id": f"{poi['osm_type']}/{poi['osm_id']}",
            "name": _name(tags, lang),
            "kind": cat[0],
            "category": cat[1],
            "description": _description(tags, lang),
            "website": tags.get("website") or tags.get("contact:website"),
            "wheelchair": tags.get("wheelchair"),
            "osm_type": poi["osm_type"],
            "osm_id": poi["osm_id"],
        }
        out.append({"type": "Feature", "id": props["id"], "geometry": _point(poi), "properties": props})
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def station_features(net: Network, *, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the network's bike-share stations (``amenity=bicycle_rental``)."""
    out = []
    for poi in net.pois:
        tags = poi["tags"]
        if tags.get("amenity") != "bicycle_rental":
            continue
        props = {
            "id": f"{poi['osm_type']}/{poi['osm_id']}",
            "name": _name(tags, lang),
            "ref": tags.get("ref"),
            "capacity": _int(tags.get("capacity")),
            "operator": tags.get("operator"),
            "network": tags.get("network"),
            "osm_type": poi["osm_type"],
            "osm_id": poi["osm_id"],
        }
        out.append({"type": "Feature", "id": props["id"], "geometry": _point(poi), "properties": props})
    return out


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` into floats, or raise `InvalidValueError`."""
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InvalidValueError(f"bbox must be WEST,SOUTH,EAST,NORTH in degrees, got {text[:80]!r}") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InvalidValueError("bbox values must be finite numbers")
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise InvalidValueError(f"bbox {text[:80]!r} must have WEST<=EAST within ±180 and SOUTH<=NORTH within ±90")
    return w, s, e, n


def filter_features(
    features: Iterable[dict[str, Any]],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    categories: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Features inside ``bbox`` whose category or kind is in ``categories``."""
    out = []
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        if bbox and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
            continue
        p = f["properties"]
        if categories and p.get("category") not in categories and p.get("kind") not in categories:
            continue
        out.append(f)
    return out


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}
