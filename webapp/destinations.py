"""Tourist destinations and bike-share stations as GeoJSON, from the network's POIs.

Until staff edit destinations in a database, they come from the OSM features
the network source holds, classified by `routes.places` (the vocabulary the
tour planner and the database use; one place mapped twice is one feature).
Properties hold the raw text; whoever renders it as HTML escapes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from routes import Network
from routes.errors import InvalidValueError
from routes.places import destinations_of, place_description, place_name, stations_of

__all__ = [
    "destination_features",
    "feature_collection",
    "filter_features",
    "parse_bbox",
    "station_features",
]


def _point(place: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [place["lon"], place["lat"]]}


def destination_features(net: Network, *, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the network's tourist destinations.

    ``category`` is the vocabulary's (``routes/data/categories.toml``), ``kind``
    the OSM key that decided it (``historic``).
    """
    out = []
    for place in destinations_of(net):
        tags = place["tags"]
        props = {
            "id": place["ref"],
            "name": place_name(tags, lang),
            "kind": place["key"],
            "category": place["category"],
            "description": place_description(tags, lang),
            "website": tags.get("website") or tags.get("contact:website"),
            "wheelchair": tags.get("wheelchair"),
            "osm_type": place["osm_type"],
            "osm_id": place["osm_id"],
        }
        out.append({"type": "Feature", "id": props["id"], "geometry": _point(place), "properties": props})
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def station_features(net: Network, *, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the network's bike-share stations (`routes.places.stations_of`)."""
    out = []
    for place in stations_of(net):
        tags = place["tags"]
        props = {
            "id": place["ref"],
            "name": place_name(tags, lang),
            "ref": tags.get("ref"),
            "capacity": _int(tags.get("capacity")),
            "operator": tags.get("operator"),
            "network": tags.get("network"),
            "osm_type": place["osm_type"],
            "osm_id": place["osm_id"],
        }
        out.append({"type": "Feature", "id": props["id"], "geometry": _point(place), "properties": props})
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
