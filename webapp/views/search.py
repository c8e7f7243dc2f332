"""Blueprint ``search``: find places, streets, addresses and destinations; name a point (offline).

- ``GET /api/search?q=&near=LAT,LON&lang=``: up to ``limit`` (default 8, at most 20)
  matches as a GeoJSON FeatureCollection, best first (`routes.geocode.PlaceIndex.search`).
- ``GET /api/reverse?at=LAT,LON&lang=``: what is at a point, as one Feature whose
  ``label`` is "Bammiliweg 12, Vaduz", "Landstrasse, Vaduz" or "Vaduz"; ``null``
  geometry and label far from everything.

The index is built from the network's OSM file when the app starts, then read
from the cache beside the network (`routes.geocode.load_place_index`, SQLite/FTS5)
or, when the app's database is PostgreSQL, from that database
(`webapp.storage.places`: one copy for every instance). Destinations come from
the app's database, live: a destination a clerk adds, renames or unpublishes is
found (or no longer found) from the next query.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from routes import parse_latlon
from routes.errors import BikemapError, InvalidValueError
from routes.geocode import MAX_QUERY, PlaceIndex, index_key, index_words, load_place_index

from ..errors import InvalidQueryError
from ..openapi import ERROR_RESPONSES, LATLON
from ..storage import get_db, get_session, has_db
from ..storage.layer import layer_state, published_destinations

__all__ = ["bp", "get_place_index", "init_app"]

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__, url_prefix="/api")

_KEY = "bikemap.places"
GEOJSON = "application/geo+json"


def init_app(app: Flask) -> None:
    """Load (or build) the place index of the app's network.

    The SQLite/FTS5 file is opened at once (built on the first start, then cached).
    The PostgreSQL tables are filled at start when ``WARM_PROFILES`` is on (as
    `bikemap serve` runs), else on the first search: a test app or a staff tool
    that never searches never reads the extract for names.
    """
    net = app.extensions.get("bikemap.network")
    app.extensions[_KEY] = None
    if net is None:
        return
    recorded = (net.meta or {}).get("source")
    from_file = recorded and (net.meta or {}).get("kind") in ("pbf", "xml") and os.path.isfile(recorded)
    source = recorded if from_file else app.config.get("SOURCE")
    db = app.extensions.get("bikemap_db")

    def load() -> PlaceIndex | None:
        try:
            if db is not None and db.engine.dialect.name == "postgresql":
                from ..storage.places import open_pg_place_store

                key = index_key(net, source or "demo")
                index = PlaceIndex(open_pg_place_store(db.engine, net, source or "demo", key))
            else:
                index = load_place_index(net, source, cache_folder=app.config.get("CACHE_DIR"))
            return index.attach_network(net)
        except (BikemapError, OSError) as exc:
            print(f"bikemap: no place search: {exc}", file=sys.stderr)
            return None

    lazy = db is not None and db.engine.dialect.name == "postgresql" and not app.config.get("WARM_PROFILES")
    app.extensions[_KEY] = _Lazy(load) if lazy else load()


class _Lazy:
    """A place index made on first use (once, whichever request thread comes first)."""

    def __init__(self, load):
        self.load, self.lock, self.index = load, threading.Lock(), None

    def get(self) -> PlaceIndex | None:
        with self.lock:
            if self.load is not None:
                self.index, self.load = self.load(), None
            return self.index


def get_place_index() -> PlaceIndex | None:
    found = current_app.extensions.get(_KEY)
    return found.get() if isinstance(found, _Lazy) else found


def _args(allowed: set[str], required: tuple[str, ...] = ()) -> dict[str, str]:
    for key in request.args:
        if key not in allowed:
            raise InvalidQueryError(f"unknown query parameter {key!r}; expected {', '.join(sorted(allowed))}")
        if len(request.args.getlist(key)) > 1:
            raise InvalidQueryError(f"query parameter {key!r} given {len(request.args.getlist(key))} times")
    for key in required:
        if key not in request.args:
            raise InvalidQueryError(f"missing query parameter {key!r}")
    return dict(request.args)


def _lang(q: dict[str, str]) -> str:
    lang = q.get("lang") or "en"
    if lang not in current_app.config.get("LANGUAGES", ["en", "id"]):
        raise InvalidValueError(f"lang must be one of {', '.join(current_app.config['LANGUAGES'])}")
    return lang


def _index() -> PlaceIndex:
    idx = get_place_index()
    if idx is None:
        raise InvalidValueError("place search is not available for this network")
    return idx


def _feature(item: dict) -> dict:
    props = {k: v for k, v in item.items() if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
        "properties": props,
    }


_own: dict[tuple, list[tuple]] = {}


def _destinations(index: PlaceIndex, lang: str) -> list[tuple] | None:
    """The database's published destinations as `PlaceIndex.search` takes them (None: no database).

    Made once per state of the public layer (`layer_state`: any edit changes it) and language.
    """
    if not has_db():
        return None
    session = get_session()
    key = (id(get_db()), layer_state(session), lang)
    entries = _own.get(key)
    if entries is None:
        entries = []
        for d in published_destinations(session):
            names = d.names or {}
            where = index.place_of(d.lat, d.lon)
            label = d.name if not where or where == d.name else f"{d.name}, {where}"
            en, iid = names.get("en") or "", names.get("id") or ""
            words = index_words(d.name, en, iid, label, *names.values())
            entries.append((d.name, en, iid, label, d.lat, d.lon, words, {"id": str(d.id), "category": d.category}))
        _own.clear()  # one state at a time: the previous one is stale
        _own[key] = entries
    return entries


@bp.get("/search")
def api_search():
    q = _args({"q", "near", "lang", "limit"}, required=("q",))
    near = parse_latlon(q["near"], what="near") if q.get("near") else None
    try:
        limit = int(q.get("limit") or 8)
    except ValueError:
        raise InvalidValueError("limit must be a whole number from 1 to 20") from None
    if not 1 <= limit <= 20:
        raise InvalidValueError("limit must be a whole number from 1 to 20")
    lang = _lang(q)
    index = _index()
    hits = index.search(q["q"], near=near, lang=lang, limit=limit, destinations=_destinations(index, lang))
    resp = jsonify({"type": "FeatureCollection", "features": [_feature(h) for h in hits]})
    resp.mimetype = GEOJSON
    return resp


@bp.get("/reverse")
def api_reverse():
    q = _args({"at", "lang"}, required=("at",))
    lat, lon = parse_latlon(q["at"], what="at")
    _lang(q)
    found = _index().reverse(lat, lon)
    props = found or {"kind": None, "label": None}
    resp = jsonify({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
    resp.mimetype = GEOJSON
    return resp


# ----------------------------------------------------------------------------- OpenAPI

_SCHEMA_SEARCHRESULT = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"type": "object"},
        "properties": {
            "type": "object",
            "properties": {
                "kind": {
                    "type": "string",
                    "enum": [
                        "city",
                        "town",
                        "village",
                        "destination",
                        "suburb",
                        "quarter",
                        "neighbourhood",
                        "hamlet",
                        "street",
                        "address",
                    ],
                },
                "name": {"type": "string"},
                "label": {"type": "string", "example": "Landstrasse 117, Vaduz"},
                "distance_m": {"type": "integer", "description": "from near"},
                "id": {"type": "string", "description": "A destination's id (as /api/destinations gives it)"},
                "category": {"type": "string", "description": "A destination's category"},
            },
        },
    },
}
_SCHEMA_REVERSERESULT = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"type": "object"},
        "properties": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "nullable": True, "enum": ["address", "street", "place", None]},
                "label": {"type": "string", "nullable": True, "example": "Schulgass 5, Schaan"},
                "distance_m": {"type": "integer"},
            },
        },
    },
}
_LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "Language of names (name:en / name:id where the map has them)",
    "schema": {"type": "string", "enum": ["en", "id"], "default": "en"},
}
_SEARCH = {
    "get": {
        "summary": "Search places, streets, addresses and destinations of the map (prefix, accents and case ignored)",
        "operationId": "search",
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": "Words to find, each as the start of a word (empty, too long, control characters: 400)",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "example": "landstr 12"},
            },
            {
                "name": "near",
                "in": "query",
                "required": False,
                "description": "LAT,LON of the map view: nearer matches first",
                "schema": LATLON,
            },
            _LANG,
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Most results (1-20)",
                "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8},
            },
        ],
        "responses": {
            "200": {
                "description": "Matches, best first",
                "content": {
                    GEOJSON: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "type": {"type": "string", "enum": ["FeatureCollection"]},
                                "features": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
                            },
                        }
                    }
                },
            },
            **ERROR_RESPONSES,
        },
    }
}
_REVERSE = {
    "get": {
        "summary": "The name of a point: address, else street and place, else place",
        "operationId": "reverse",
        "parameters": [
            {"name": "at", "in": "query", "required": True, "description": "LAT,LON", "schema": LATLON},
            _LANG,
        ],
        "responses": {
            "200": {
                "description": "What is there (label null far from everything)",
                "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/ReverseResult"}}},
            },
            **ERROR_RESPONSES,
        },
    }
}

#: The paths (and the schemas they name) of this blueprint, for `webapp.openapi`.
OPENAPI_PATHS: dict[str, Any] = {"/api/search": _SEARCH, "/api/reverse": _REVERSE}
OPENAPI_SCHEMAS: dict[str, Any] = {"SearchResult": _SCHEMA_SEARCHRESULT, "ReverseResult": _SCHEMA_REVERSERESULT}
