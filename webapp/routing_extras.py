"""Blueprint ``routing_extras``: reachability and GPX tracks in; alternatives for ``/api/route``.

- ``GET /api/reach``: polygons of where a rider gets within some minutes (`routes.reach`);
- ``POST /api/match``: a GPS track (GPX or a GeoJSON LineString) matched to the network
  (`routes.matching`), answered as a route Feature or a clean GPX;
- `route_feature_with_alternatives`: what ``GET /api/route?alternatives=N`` answers
  (`routes.alternatives`), called from `webapp.api`.

Views stay thin; every failure is a `routes.errors.BikemapError` turned into JSON by `webapp.errors`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from routes import get_profile, parse_latlon
from routes.alternatives import MAX_ALTERNATIVES, route_alternatives
from routes.errors import InvalidValueError
from routes.reach import MAX_MINUTES, MAX_TIMES, parse_minutes, reach

from .network import get_network

__all__ = ["MATCH_MAX_BYTES", "bp", "parse_alternatives", "route_feature_with_alternatives"]

bp = Blueprint("routing_extras", __name__, url_prefix="/api")

#: Largest track body ``POST /api/match`` reads (config ``MATCH_MAX_BYTES`` overrides it).
MATCH_MAX_BYTES = 2 * 1024 * 1024

GEOJSON = "application/geo+json"


def _edge_cost(profile: str):
    from .staff_api import closure_edge_cost_for  # closures: webapp.staff_api

    return closure_edge_cost_for(get_network(), profile)


def _query(allowed: set[str], required: tuple[str, ...] = ()) -> dict[str, str]:
    from .api import query

    return query(allowed, required)


def _lang(q: dict[str, str]) -> str:
    from .api import query_lang

    return query_lang(q)


# ----------------------------------------------------------------------------- alternatives


def parse_alternatives(q: dict[str, str]) -> tuple[int, int]:
    """The checked ``alternatives`` (0..3) and ``pick`` (0..alternatives) query parameters."""
    out = []
    for key, top in (("alternatives", MAX_ALTERNATIVES), ("pick", MAX_ALTERNATIVES)):
        text = (q.get(key) or "0").strip()
        if not text.isdigit() or int(text) > top:
            raise InvalidValueError(f"{key} must be a whole number from 0 to {top}, got {text[:20]!r}")
        out.append(int(text))
    return out[0], out[1]


def route_feature_with_alternatives(start, end, *, n: int, pick: int, profile: str, lang: str) -> dict[str, Any]:
    """The route Feature numbered ``pick`` (0: the best) with the others in ``properties.alternatives``."""
    routes = route_alternatives(
        get_network(), [start, end], n=n, profile=profile, lang=lang, edge_cost=_edge_cost(profile)
    )
    if pick >= len(routes):
        raise InvalidValueError(f"pick must be below the number of routes found ({len(routes)}), got {pick}")
    chosen = routes[pick]
    chosen["properties"]["alternatives"] = [f for k, f in enumerate(routes) if k != pick]
    return chosen


# ----------------------------------------------------------------------------- reachability


@bp.get("/reach")
def api_reach():
    q = _query({"from", "minutes", "profile"}, required=("from",))
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

    q = _query({"profile", "lang", "format"})
    lang = _lang(q)
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


def _openapi() -> None:
    """Add this blueprint's paths and /api/route's alternatives to the app's OpenAPI document.

    At import, as the other blueprints do, so the documentation site's copy (scripts/docs_hooks.py,
    which imports the blueprints without making an app) has them too.
    """
    from .openapi import LANG, LATLON, PATHS, SCHEMAS, _param, error_response

    route_params = PATHS["/api/route"]["get"]["parameters"]
    if not any(p["name"] == "alternatives" for p in route_params):
        route_params += [
            _param(
                "alternatives",
                f"Also find up to N (0 to {MAX_ALTERNATIVES}) meaningfully different routes, listed in "
                "properties.alternatives: each costs at most 1.3 times the best, shares at most 60 % of its "
                "length with every other, and is locally optimal (no via points)",
                {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES, "default": 0},
            ),
            _param(
                "pick",
                "With alternatives: which route is answered (0: the best; the others are listed); "
                "used with format=gpx to download an alternative",
                {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES, "default": 0},
            ),
        ]
    props = SCHEMAS["Route"]["properties"]["properties"]["properties"]
    props.setdefault(
        "surface_classes_m",
        {
            "type": "object",
            "description": "metres paved, gravel, unpaved and unknown (routes.surfaces)",
            "properties": {k: {"type": "number"} for k in ("paved", "gravel", "unpaved", "unknown")},
        },
    )
    props.setdefault(
        "longest_unpaved_m", {"type": "number", "description": "longest run of gravel or unpaved in a row"}
    )
    props.setdefault(
        "alternatives",
        {
            "type": "array",
            "description": "with alternatives=N: the other routes (Route Features, no alternatives of their own)",
            "items": {"type": "object"},
        },
    )
    props.setdefault("alternative", {"type": "integer", "description": "with alternatives=N: this route's number"})
    props.setdefault("shared_pct", {"type": "number", "description": "share of length in common with the best route"})
    waypoint = props["waypoints"]["items"]["properties"]
    waypoint.setdefault("snapped_m", {"type": "number", "description": "metres from the point to its street"})
    waypoint.setdefault(
        "moved", {"type": "boolean", "description": "the point moved more than 50 m to a street that leads on"}
    )
    err = SCHEMAS["Error"]["properties"]["error"]
    err["properties"].setdefault(
        "point", {"type": "string", "description": "NoSegment: which point (from, to, via N) is off the streets"}
    )
    err["properties"].setdefault(
        "distance_m", {"type": "number", "nullable": True, "description": "NoSegment: how far it is, in metres"}
    )
    codes = err["properties"]["code"]["enum"]
    for code in ("InvalidFile", "RequestEntityTooLarge"):
        if code not in codes:
            codes.append(code)
    SCHEMAS.setdefault(
        "Reach",
        {
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
        },
    )
    unreachable = error_response("The start is too far from any street", ["NoSegment"])
    PATHS["/api/reach"] = {
        "get": {
            "summary": "Where a rider gets within some minutes (isochrones, following the streets and closures)",
            "operationId": "reach",
            "parameters": [
                _param("from", "Start point LAT,LON", LATLON, required=True),
                _param(
                    "minutes",
                    f"Comma-separated riding times in minutes (at most {MAX_TIMES}, each at most "
                    f"{MAX_MINUTES:.0f}), or 'ticket': the minutes a bike-share ticket includes (needs a GBFS feed)",
                    {"type": "string", "default": "10,20,30", "example": "10,20,30"},
                ),
                _param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
            ],
            "responses": {
                "200": {
                    "description": "Polygons, one per time",
                    "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/Reach"}}},
                },
                "422": unreachable,
            },
        }
    }
    PATHS["/api/match"] = {
        "post": {
            "summary": "Match a GPS track (GPX, or a GeoJSON LineString) to the network: a route with directions",
            "operationId": "matchTrack",
            "parameters": [
                _param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
                LANG,
                _param(
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
                "503": error_response(
                    "Busy with other long computations; try again after Retry-After seconds", ["Busy"]
                ),
            },
        }
    }


_openapi()
