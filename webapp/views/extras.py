"""Blueprint ``routing_extras``: reachability, and GPS tracks matched to the network.

- ``GET /api/reach``: polygons of where a rider gets within some minutes (`routes.reach`);
- ``POST /api/match``: a GPS track (GPX or a GeoJSON LineString) matched to the network
  (`routes.matching`), answered as a route Feature or a clean GPX;
(``GET /api/route?alternatives=N`` is `webapp.views.route`'s.)

Views stay thin; every failure is a `routes.errors.BikemapError` turned into JSON by `webapp.errors`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from routes import get_profile, parse_latlon
from routes.errors import InvalidValueError
from routes.reach import MAX_MINUTES, MAX_TIMES, parse_minutes, reach

from ..http import query, query_lang
from ..network import get_network
from ..openapi import BUSY, LANG, LATLON, TOO_MANY, error_response, param
from ..storage import get_session
from ..storage.closures import closure_edge_cost_for

__all__ = ["MATCH_MAX_BYTES", "OPENAPI_PATHS", "OPENAPI_SCHEMAS", "bp"]

bp = Blueprint("routing_extras", __name__, url_prefix="/api")

#: Largest track body ``POST /api/match`` reads (config ``MATCH_MAX_BYTES`` overrides it).
MATCH_MAX_BYTES = 2 * 1024 * 1024

GEOJSON = "application/geo+json"


def _edge_cost(profile: str):
    return closure_edge_cost_for(get_session, get_network(), profile)  # closures: webapp.storage.closures


# ----------------------------------------------------------------------------- alternatives


# ----------------------------------------------------------------------------- reachability


@bp.get("/reach")
def api_reach():
    q = query({"from", "minutes", "profile"}, required=("from",))
    start = parse_latlon(q["from"], what="from")
    profile = get_profile(q.get("profile") or "safe").name
    text = q.get("minutes") or "10,20,30"
    if text.strip() == "ticket":  # a bike-share ticket's included minutes (live GBFS feed)
        minutes = [_ticket_minutes()]
    else:
        minutes = parse_minutes(text)
    fc = reach(get_network(), start, minutes=minutes, profile=profile, edge_cost=_edge_cost(profile))
    resp = jsonify(fc)
    resp.mimetype = GEOJSON
    return resp


def _ticket_minutes() -> float:
    from routes.gbfs import ride_budget_minutes

    value = ride_budget_minutes(current_app.config.get("GBFS_URL"))
    if not value:
        raise InvalidValueError("minutes=ticket needs a bike-share feed whose tickets include some minutes")
    return float(min(value, MAX_MINUTES))


# ----------------------------------------------------------------------------- map matching


@bp.post("/match")
def api_match():
    from routes.gpx import feature_to_gpx
    from routes.matching import match_track, read_track

    q = query({"profile", "lang", "format"})
    lang = query_lang(q)
    profile = get_profile(q.get("profile") or "safe").name
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    limit = int(current_app.config.get("MATCH_MAX_BYTES") or MATCH_MAX_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the track is larger than {limit // 1024} KiB")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge(f"the track is larger than {limit // 1024} KiB")
    points = read_track(body, content_type=request.mimetype)
    feature = match_track(get_network(), points, profile=profile, lang=lang, edge_cost=_edge_cost(profile))
    if fmt == "gpx":
        return Response(
            feature_to_gpx(feature, lang=lang),
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": 'attachment; filename="bikemap-matched.gpx"'},
        )
    resp = jsonify(feature)
    resp.mimetype = GEOJSON
    return resp


# ----------------------------------------------------------------------------- OpenAPI


# ----------------------------------------------------------------------------- OpenAPI

_REACH_SCHEMA = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection: one Polygon or MultiPolygon per time, smallest first",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "start": {"type": "array", "items": {"type": "number"}, "description": "the snapped start"},
        "profile": {"type": "string"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": {"type": "object"},
                    "properties": {
                        "type": "object",
                        "properties": {"minutes": {"type": "number"}, "area_km2": {"type": "number"}},
                    },
                },
            },
        },
    },
}
unreachable = error_response("The start is too far from any street", ["NoSegment"])
_REACH = {
    "get": {
        "summary": "Where a rider gets within some minutes (isochrones, following the streets and closures)",
        "operationId": "reach",
        "parameters": [
            param("from", "Start point LAT,LON", LATLON, required=True),
            param(
                "minutes",
                f"Comma-separated riding times in minutes (at most {MAX_TIMES}, each at most "
                f"{MAX_MINUTES:.0f}), or 'ticket': the minutes a bike-share ticket includes (needs a GBFS feed)",
                {"type": "string", "default": "10,20,30", "example": "10,20,30"},
            ),
            param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
        ],
        "responses": {
            "200": {
                "description": "Polygons, one per time",
                "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/Reach"}}},
            },
            "422": unreachable,
            "429": TOO_MANY,
            "503": BUSY,
        },
    }
}
_MATCH = {
    "post": {
        "summary": "Match a GPS track (GPX, or a GeoJSON LineString) to the network: a route with directions",
        "operationId": "matchTrack",
        "parameters": [
            param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
            LANG,
            param(
                "format",
                "geojson (default) or gpx (the matched route as a clean GPX 1.1 download)",
                {"type": "string", "enum": ["geojson", "json", "gpx"], "default": "geojson"},
            ),
        ],
        "requestBody": {
            "required": True,
            "description": f"A GPX file (its track or route points) or a GeoJSON LineString (or a Feature "
            f"of one); at most {MATCH_MAX_BYTES // (1024 * 1024)} MiB",
            "content": {
                "application/gpx+xml": {"schema": {"type": "string"}},
                GEOJSON: {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        "responses": {
            "200": {
                "description": "The matched route (format=gpx: a GPX 1.1 attachment)",
                "content": {
                    GEOJSON: {"schema": {"$ref": "#/components/schemas/Route"}},
                    "application/gpx+xml": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "400": error_response(
                "Not XML, a DTD or entities, no track, a single point, or a bad query",
                ["InvalidFile", "InvalidQuery", "InvalidValue"],
            ),
            "413": error_response("The track is larger than the limit", ["RequestEntityTooLarge"]),
            "422": error_response(
                "The track is entirely off the network (the message says how far), cannot be followed, "
                "or needs more work than one request may use",
                ["NoSegment", "NoRoute", "TooExpensive"],
            ),
            "429": TOO_MANY,
            "503": BUSY,
        },
    }
}

OPENAPI_PATHS: dict[str, Any] = {"/api/reach": _REACH, "/api/match": _MATCH}
OPENAPI_SCHEMAS: dict[str, Any] = {"Reach": _REACH_SCHEMA}
