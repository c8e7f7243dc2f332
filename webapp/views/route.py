"""Blueprint ``route``: ``GET /api/route`` (a cycling or bike-share route) and ``GET /api/profiles``.

Views stay thin: they check the query, call `routes`, and return JSON. Every
error is a `routes.errors.BikemapError` that `webapp.errors` answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from routes import get_profile, parse_latlon, parse_points, profile_names, route, settings
from routes.alternatives import MAX_ALTERNATIVES, route_alternatives
from routes.errors import InvalidValueError, TooBigError
from routes.routing import OVERVIEWS

from ..bikeshare import bikeshare_feature
from ..http import GPX, geojson, query, query_lang
from ..i18n import gettext
from ..network import get_network
from ..openapi import BUSY, ERROR_RESPONSES, LANG, LATLON, TOO_MANY, error_response, param
from ..storage import get_session
from ..storage.closures import closure_edge_cost_for

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("route", __name__, url_prefix="/api")


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
        get_network(),
        [start, end],
        n=n,
        profile=profile,
        lang=lang,
        edge_cost=closure_edge_cost_for(get_session, get_network(), profile),
    )
    if pick >= len(routes):
        raise InvalidValueError(f"pick must be below the number of routes found ({len(routes)}), got {pick}")
    chosen = routes[pick]
    chosen["properties"]["alternatives"] = [f for k, f in enumerate(routes) if k != pick]
    return chosen


def parse_overview_steps(q: dict[str, str], fmt: str) -> tuple[str, bool]:
    """The checked ``overview`` (full, simplified, false) and ``steps`` (true, false) query parameters.

    OSRM's names and meanings; the defaults (full, true) are what the page draws and the GPX holds.
    """
    overview = (q.get("overview") or "full").strip()
    if overview not in OVERVIEWS:
        raise InvalidValueError(f"overview must be one of {', '.join(OVERVIEWS)}, got {overview[:20]!r}")
    steps = (q.get("steps") or "true").strip()
    if steps not in ("true", "false"):
        raise InvalidValueError(f"steps must be true or false, got {steps[:20]!r}")
    if fmt == "gpx" and overview == "false":
        raise InvalidValueError("a GPX file holds the route's line: overview=false cannot be a GPX download")
    return overview, steps == "true"


@bp.get("/route")
def api_route():
    q = query(
        {
            "from",
            "to",
            "via",
            "profile",
            "lang",
            "format",
            "mode",
            "names",
            "alternatives",
            "pick",
            "overview",
            "steps",
        },
        required=("from", "to"),
    )
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    overview, steps = parse_overview_steps(q, fmt)
    lang = query_lang(q)
    profile = get_profile(q.get("profile") or "safe").name
    start = parse_latlon(q["from"], what="from")
    end = parse_latlon(q["to"], what="to")
    parts = [p for p in q.get("via", "").split(";") if p.strip()]
    if len(parts) > settings.max_via:  # refuse before parsing or snapping anything
        raise TooBigError(f"at most {settings.max_via} via points, got {len(parts)}")
    vias = parse_points(";".join(parts), what="via")
    net = get_network()
    n_alt, pick = parse_alternatives(q)
    if (overview, steps) != ("full", True) and ((q.get("mode") or "bike") != "bike" or n_alt or pick):
        raise InvalidValueError("overview and steps are for a route of your own bike (mode=bike) without alternatives")
    if (q.get("mode") or "bike") != "bike":  # mode=bikeshare: webapp.bikeshare
        if n_alt or pick:
            raise InvalidValueError("alternatives are for the own bike (mode=bike), not a bike-share trip")
        feature = bikeshare_feature(net, start, end, mode=q["mode"], vias=vias, profile=profile, lang=lang)
    elif n_alt or pick:  # alternatives: routes.alternatives
        if vias:
            raise InvalidValueError("alternative routes go from a start to a destination: via points are not allowed")
        feature = route_feature_with_alternatives(start, end, n=max(n_alt, pick), pick=pick, profile=profile, lang=lang)
    else:
        cost = closure_edge_cost_for(get_session, net, profile)  # closures: webapp.storage.closures
        feature = route(
            net, [start, *vias, end], profile=profile, lang=lang, edge_cost=cost, overview=overview, steps=steps
        )
    if q.get("names") and (q.get("mode") or "bike") == "bike":
        _name_waypoints(feature, q["names"])
    if fmt == "gpx":
        from routes.gpx import feature_to_gpx  # gpxpy: imported by the first download, not at start (issue #19)

        body = feature_to_gpx(feature, name=_gpx_name(feature, lang), lang=lang)
        return Response(
            body,
            mimetype=GPX,
            headers={"Content-Disposition": 'attachment; filename="bikemap-route.gpx"'},
        )
    return geojson(feature)


def _name_waypoints(feature: dict, text: str) -> None:
    """Give the route's waypoints the names the planner knows ("Amos Anderson Art Museum")."""
    names = text.split("|")
    waypoints = feature["properties"]["waypoints"]
    if len(names) != len(waypoints):
        raise InvalidValueError(
            f"names must have one entry per point ({len(waypoints)}), separated by '|'; got {len(names)}"
        )
    for w, name in zip(waypoints, names, strict=False):
        name = name.strip()
        if len(name) > 200 or "\x00" in name:
            raise InvalidValueError("each name must be at most 200 characters of text")
        if name:
            w["name"] = name


def _gpx_name(feature: dict, lang: str) -> str | None:
    """A bike-share trip's GPX title with its legs ("walk 2 min, ride 4 min, walk 4 min"); None: the default."""
    p = feature["properties"]
    if p.get("mode") != "bikeshare":
        return None
    title, walk, ride = gettext("gpx_bs_title", lang), gettext("gpx_bs_walk", lang), gettext("gpx_bs_ride", lang)
    legs = ", ".join(
        f"{walk if leg['mode'] == 'walk' else ride} {max(1, round(leg['duration_s'] / 60))} min" for leg in p["legs"]
    )
    km = f"{p['distance_m'] / 1000:.1f}".replace(".", "," if lang == "id" else ".")
    return f"{title}, {km} km ({legs})"


@bp.get("/profiles")
def api_profiles():
    query(set())
    return jsonify(
        [{"name": n, "mode": get_profile(n).mode, "description": get_profile(n).description} for n in profile_names()]
    )


OPENAPI_PATHS: dict[str, Any] = {
    "/api/route": {
        "get": {
            "summary": "Plan a cycling route",
            "description": "Bicycle routes obey the turn restrictions of the OSM data (type=restriction "
            "relations over a via node, restriction:bicycle, except=bicycle); a banned turn is made on foot, "
            "pushing, only where the profile pushes and pedestrians may use both streets. No parameter: "
            "always on (docs: engine, Turn restrictions).",
            "operationId": "route",
            "parameters": [
                param("from", "Start point LAT,LON", LATLON, required=True),
                param("to", "End point LAT,LON", LATLON, required=True),
                param(
                    "via",
                    f"Via points in order, LAT,LON;LAT,LON;... (at most {settings.max_via}; "
                    "the parameter may also be repeated)",
                    {"type": "string"},
                ),
                param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
                LANG,
                param(
                    "format",
                    "geojson (default) or gpx (a GPX 1.1 download)",
                    {"type": "string", "enum": ["geojson", "json", "gpx"], "default": "geojson"},
                ),
                param(
                    "mode",
                    "bike (default) or bikeshare: walk to a station with a bike, ride to one "
                    "with a free dock, walk on (no via points); properties.legs list the walk "
                    "and bike legs",
                    {"type": "string", "enum": ["bike", "bikeshare"], "default": "bike"},
                ),
                param(
                    "names",
                    "Names of the points, in order from, vias, to, separated by '|' (empty: unnamed); "
                    "they name the waypoints of the Feature and the GPX",
                    {"type": "string", "maxLength": 5400},
                ),
                param(
                    "alternatives",
                    f"Also find up to N (0 to {MAX_ALTERNATIVES}) meaningfully different routes, listed in "
                    "properties.alternatives: each costs at most 1.3 times the best, shares at most 60 % of its "
                    "length with every other, and is locally optimal (no via points)",
                    {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES, "default": 0},
                ),
                param(
                    "overview",
                    "The line answered, as OSRM's option: full (default, every position of the streets), "
                    "simplified (Douglas-Peucker to a pixel of a map showing the whole route, about a "
                    "thousandth of its extent) or false (geometry null). Only for mode=bike without "
                    "alternatives; a GPX download cannot be overview=false",
                    {"type": "string", "enum": list(OVERVIEWS), "default": "full"},
                ),
                param(
                    "steps",
                    "true (default): turn-by-turn properties.instructions; false: none (as OSRM's steps=false). "
                    "Only for mode=bike without alternatives",
                    {"type": "string", "enum": ["true", "false"], "default": "true"},
                ),
                param(
                    "pick",
                    "With alternatives: which route is answered (0: the best; the others are listed); "
                    "used with format=gpx to download an alternative",
                    {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES, "default": 0},
                ),
            ],
            "responses": {
                "200": {
                    "description": "The route (format=gpx: a GPX 1.1 attachment)",
                    "content": {
                        "application/geo+json": {"schema": {"$ref": "#/components/schemas/Route"}},
                        "application/gpx+xml": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                **ERROR_RESPONSES,
                "422": error_response(
                    "A point is too far from any street, no legal route joins the points, or the route "
                    "needs more work than one request may use (webapp.cost)",
                    ["NoSegment", "NoRoute", "TooExpensive"],
                ),
                "429": TOO_MANY,
                "503": BUSY,
            },
        }
    },
    "/api/profiles": {
        "get": {
            "summary": "Cycling profiles",
            "operationId": "profiles",
            "responses": {
                "200": {
                    "description": "Profiles",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Profile"},
                            }
                        }
                    },
                },
                **ERROR_RESPONSES,
            },
        }
    },
}
