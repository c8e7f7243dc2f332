"""Blueprint ``tour_api``: ``GET /api/tour``, ``/api/tour/destinations`` and ``/api/tour/categories``.

Thin views over `routes.tours`. Destinations come from the staff-edited
database when the app has one with rows in it (published, not deleted; ids
``osm:node/123`` for rows seeded from OpenStreetMap, ``db:42`` for staff-made
ones), else from the network's OpenStreetMap features.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from routes import get_profile, parse_latlon
from routes.errors import FeedError, InvalidValueError
from routes.places import load_categories
from routes.tours import DEFAULT_BUDGET_MIN, destinations_from_network, plan_tour, tour_to_gpx

from .api import query, query_lang
from .network import get_network
from .openapi import PATHS
from .staff_api import closure_edge_cost_for
from .stations_api import gbfs_client

__all__ = ["bp", "included_minutes", "tour_destinations"]

bp = Blueprint("tour_api", __name__, url_prefix="/api")

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
if not any(p["name"] == "budget" for p in PATHS["/api/tour"]["get"]["parameters"]):
    PATHS["/api/tour"]["get"]["parameters"].append(_BUDGET_DOC)


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
    return (max(DEFAULT_BUDGET_MIN, included) if budget_min is None else budget_min), included


def tour_destinations(lang: str = "en") -> list[dict[str, Any]]:
    """The destinations tours may visit, as plain dicts for `routes.tours`."""
    db = current_app.extensions.get("bikemap_db")
    if db is not None:
        from sqlalchemy import func, select

        from .db import get_session
        from .models import Destination

        session = get_session()
        if session.scalar(select(func.count()).select_from(Destination)):
            rows = session.scalars(
                select(Destination).where(Destination.deleted.is_(False), Destination.published.is_(True))
            )
            return [
                {
                    "id": f"osm:{r.osm_id}" if r.osm_id else f"db:{r.id}",
                    "name": (r.names or {}).get(lang) or r.name,
                    "category": r.category,
                    "lat": r.lat,
                    "lon": r.lon,
                    "visit_min": r.visit_minutes,
                    "opening_hours": r.opening_hours or None,
                    "description": r.description or None,
                }
                for r in rows
            ]
    return destinations_from_network(get_network())


@bp.get("/tour/categories")
def api_tour_categories():
    q = query({"lang"})
    lang = query_lang(q)
    cats = load_categories()
    labels = cats["label"].get(lang) or cats["label"]["en"]
    return jsonify(
        [{"id": c, "label": labels.get(c, c), "visit_min": cats["visit_min"][c]} for c in cats["vocabulary"]]
    )


@bp.get("/tour/destinations")
def api_tour_destinations():
    q = query({"lang"})
    return jsonify(tour_destinations(query_lang(q)))


@bp.get("/tour")
def api_tour():
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
        edge_cost=closure_edge_cost_for(get_network(), profile),  # closures: webapp.staff_api
        included_minutes=included,
    )
    if fmt == "gpx":
        return Response(
            tour_to_gpx(feature),
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": 'attachment; filename="bikemap-tour.gpx"'},
        )
    resp = jsonify(feature)
    resp.mimetype = "application/geo+json"
    return resp
