"""Blueprint ``tour``: ``GET /api/tour``, ``/api/tour/destinations`` and ``/api/tour/categories``.

Thin views over `routes.tours`. Destinations come from the database (published,
not deleted), with the ids ``/api/destinations`` gives; a database without any
destination (``SEED_DESTINATIONS`` off) falls back to the network's OSM features.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from routes import get_profile, parse_latlon
from routes.errors import FeedError, InvalidValueError
from routes.places import category_label, load_categories

from ..bikeshare import gbfs_client
from ..http import GPX, geojson, query, query_lang
from ..network import get_network
from ..openapi import BUSY, ERROR_RESPONSES, LANG, LATLON, TOO_MANY, collection, error_response, param
from ..storage import get_session
from ..storage.closures import closure_edge_cost_for
from ..storage.layer import tour_destinations as stored_destinations

__all__ = ["OPENAPI_PATHS", "bp", "included_minutes", "tour_destinations"]

bp = Blueprint("tour", __name__, url_prefix="/api")

_PARAMS = {
    "start",
    "stops",
    "budget_min",
    "distance_km",
    "interests",
    "end",
    "profile",
    "lang",
    "start_time",
    "format",
    "budget",
}

# ``budget=included``: documented here, next to the code that reads it
_BUDGET_DOC = {
    "name": "budget",
    "in": "query",
    "required": False,
    "description": "included: a discovery tour whose riding fits the minutes the bike-share ticket includes "
    "(the pricing plans of the app's GBFS feed), with the visits on top in budget_min (default 120); "
    "the default when a feed gives them and none of stops, budget_min, distance_km is set",
    "schema": {"type": "string", "enum": ["included"]},
}


def _number(q: dict[str, str], key: str) -> float | None:
    text = (q.get(key) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidValueError(f"{key} must be a number, got {text[:30]!r}") from None


def included_minutes() -> float | None:
    """Minutes the bike-share ticket includes, from the app's GBFS feed (None: no feed, or no such plan)."""
    client = gbfs_client()
    if client is None:
        return None
    try:
        return client.snapshot().included_minutes
    except FeedError:  # never read: tours are planned without it
        return None


def _budget(q: dict[str, str], included: float | None) -> tuple[float | None, float | None]:
    """``(budget_min, ride_budget_min)``: ``budget=included`` keeps the riding within the included minutes.

    The visits come on top (the bike docked meanwhile), in ``budget_min`` when given,
    else in `routes.tours.DEFAULT_BUDGET_MIN` (or the included minutes, if more).
    """
    budget_min = _number(q, "budget_min")
    word = (q.get("budget") or "").strip()
    if not word:
        return budget_min, None
    if word != "included":
        raise InvalidValueError(f"budget must be 'included' (give minutes as budget_min), got {word[:20]!r}")
    if included is None:
        raise InvalidValueError(
            "budget=included needs a bike-share feed whose pricing plans say how many "
            "minutes a ride includes; give budget_min instead"
        )
    from routes.tours import DEFAULT_BUDGET_MIN  # numba: imported by the first tour, not at start (issue #19)

    return (max(DEFAULT_BUDGET_MIN, included) if budget_min is None else budget_min), included


def tour_destinations(lang: str = "en") -> list[dict[str, Any]]:
    """The destinations tours may visit, as plain dicts for `routes.tours` (ids: database ids)."""
    from routes.tours import destinations_from_network

    return stored_destinations(get_session(), lang=lang) or destinations_from_network(get_network())


def _feature(d: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in d.items() if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "id": d["id"],
        "geometry": {"type": "Point", "coordinates": [d["lon"], d["lat"]]},
        "properties": props,
    }


@bp.get("/tour/categories")
def api_tour_categories():
    q = query({"lang"})
    lang = query_lang(q)
    cats = load_categories()
    return jsonify(
        [{"id": c, "label": category_label(c, lang), "visit_min": cats["visit_min"][c]} for c in cats["vocabulary"]]
    )


@bp.get("/tour/destinations")
def api_tour_destinations():
    q = query({"lang"})
    feats = [_feature(d) for d in tour_destinations(query_lang(q))]
    return geojson({"type": "FeatureCollection", "features": feats})


@bp.get("/tour")
def api_tour():
    from routes.tours import plan_tour, tour_to_gpx

    q = query(_PARAMS, required=("start",))
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    lang = query_lang(q)
    profile = get_profile(q.get("profile") or "safe").name
    start = parse_latlon(q["start"], what="start")
    end = parse_latlon(q["end"], what="end") if q.get("end", "").strip() else None
    stops = [s for s in q["stops"].split(",") if s.strip()] if "stops" in q else None
    included = included_minutes()  # bike share: the default budget, and warnings (routes.tours.tour_warnings)
    budget_min, ride_budget_min = _budget(q, included)
    feature = plan_tour(
        get_network(),
        start,
        stops=stops,
        budget_min=budget_min,
        ride_budget_min=ride_budget_min,
        distance_km=_number(q, "distance_km"),
        interests=q.get("interests") or None,
        end=end,
        profile=profile,
        destinations=tour_destinations(lang),
        start_time=q.get("start_time") or None,
        lang=lang,
        edge_cost=closure_edge_cost_for(get_session, get_network(), profile),  # closures
        included_minutes=included,
    )
    if fmt == "gpx":
        return Response(
            tour_to_gpx(feature),
            mimetype=GPX,
            headers={"Content-Disposition": 'attachment; filename="bikemap-tour.gpx"'},
        )
    return geojson(feature)


_TOUR_ERRORS = {
    **ERROR_RESPONSES,
    "400": error_response(
        "Bad query, unknown destination id, or a budget too small for any stop",
        ["InvalidQuery", "InvalidValue", "TooBig", "UnknownDestination", "BudgetTooSmall"],
    ),
    "422": error_response(
        "A point is too far from any street, no route joins the stops, or the tour needs more work than one "
        "request may use (webapp.cost)",
        ["NoSegment", "NoRoute", "TooExpensive"],
    ),
    "429": TOO_MANY,
    "503": BUSY,
}

_TOUR = {
    "get": {
        "summary": "Plan a round tour (or one to an end point) through tourist destinations",
        "operationId": "tour",
        "parameters": [
            param("start", "Start point LAT,LON", LATLON, required=True),
            param("end", "End point LAT,LON (default: back to the start)", LATLON),
            param(
                "stops",
                "Comma-separated destination ids (from /api/tour/destinations) to visit in the best order",
                {"type": "string"},
            ),
            param(
                "budget_min",
                "Time budget in minutes (riding and visits): the best set of destinations that fits",
                {"type": "number"},
            ),
            param("distance_km", "Length of a loop to ride (without stops)", {"type": "number"}),
            param("interests", "Weights per category, e.g. museum:2,park:1", {"type": "string"}),
            param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
            LANG,
            param("start_time", "Local start time YYYY-MM-DDTHH:MM (opening hours are checked)", {"type": "string"}),
            param(
                "format",
                "geojson (default) or gpx",
                {"type": "string", "enum": ["geojson", "json", "gpx"], "default": "geojson"},
            ),
        ],
        "responses": {
            "200": {
                "description": "The tour (format=gpx: a GPX 1.1 attachment)",
                "content": {
                    "application/geo+json": {"schema": {"$ref": "#/components/schemas/Tour"}},
                    "application/gpx+xml": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            **_TOUR_ERRORS,
        },
    }
}
_TOUR_DESTINATIONS = {
    "get": {
        "summary": "Destinations a tour may visit (published ones)",
        "operationId": "tourDestinations",
        "parameters": [LANG],
        "responses": {
            "200": {
                "description": "Destinations",
                "content": {"application/geo+json": {"schema": collection("#/components/schemas/Destination")}},
            },
            **ERROR_RESPONSES,
        },
    }
}
_TOUR_CATEGORIES = {
    "get": {
        "summary": "Destination categories with their labels and usual visit times",
        "operationId": "tourCategories",
        "parameters": [LANG],
        "responses": {
            "200": {
                "description": "Categories",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "label"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "label": {"type": "string"},
                                    "visit_min": {"type": "number", "nullable": True},
                                },
                            },
                        }
                    }
                },
            },
            **ERROR_RESPONSES,
        },
    }
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/tour": {"get": {**_TOUR["get"], "parameters": [*_TOUR["get"]["parameters"], _BUDGET_DOC]}},
    "/api/tour/destinations": _TOUR_DESTINATIONS,
    "/api/tour/categories": _TOUR_CATEGORIES,
}
