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
from routes.errors import InvalidValueError
from routes.tours import destinations_from_network, load_categories, plan_tour, tour_to_gpx

from .api import query
from .network import get_network
from .staff_api import closure_edge_cost_for

__all__ = ["bp", "tour_destinations"]

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
}


def _lang(q: dict[str, str]) -> str:
    lang = q.get("lang") or "en"
    if lang not in current_app.config["LANGUAGES"]:
        raise InvalidValueError(
            f"lang must be one of {', '.join(current_app.config['LANGUAGES'])}, got {lang[:20]!r}"
        )
    return lang


def _number(q: dict[str, str], key: str) -> float | None:
    text = (q.get(key) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidValueError(f"{key} must be a number, got {text[:30]!r}") from None


def tour_destinations(lang: str = "en") -> list[dict[str, Any]]:
    """The destinations tours may visit, as plain dicts for `routes.tours`."""
    db = current_app.extensions.get("bikemap_db")
    if db is not None:
        from sqlalchemy import func, select

        from .db import get_session
        from .models import Destination

        session = get_session()
        if session.scalar(select(func.count()).select_from(Destination)):
            rows = session.scalars(select(Destination).where(Destination.deleted.is_(False),
                                                             Destination.published.is_(True)))  # fmt: skip
            return [{
                "id": f"osm:{r.osm_id}" if r.osm_id else f"db:{r.id}",
                "name": (r.names or {}).get(lang) or r.name,
                "category": r.category, "lat": r.lat, "lon": r.lon,
                "visit_min": r.visit_minutes, "opening_hours": r.opening_hours or None,
                "description": r.description or None,
            } for r in rows]  # fmt: skip
    return destinations_from_network(get_network())


@bp.get("/tour/categories")
def api_tour_categories():
    q = query({"lang"})
    lang = _lang(q)
    cats = load_categories()
    labels = cats["label"].get(lang) or cats["label"]["en"]
    return jsonify(
        [
            {"id": c, "label": labels.get(c, c), "visit_min": cats["visit_min"][c]}
            for c in cats["vocabulary"]
        ]
    )


@bp.get("/tour/destinations")
def api_tour_destinations():
    q = query({"lang"})
    return jsonify(tour_destinations(_lang(q)))


@bp.get("/tour")
def api_tour():
    q = query(_PARAMS, required=("start",))
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    lang = _lang(q)
    profile = get_profile(q.get("profile") or "safe").name
    start = parse_latlon(q["start"], what="start")
    end = parse_latlon(q["end"], what="end") if q.get("end", "").strip() else None
    stops = [s for s in q["stops"].split(",") if s.strip()] if "stops" in q else None
    feature = plan_tour(
        get_network(), start, stops=stops, budget_min=_number(q, "budget_min"),
        distance_km=_number(q, "distance_km"), interests=q.get("interests") or None, end=end,
        profile=profile, destinations=tour_destinations(lang), start_time=q.get("start_time") or None, lang=lang,
        edge_cost=closure_edge_cost_for(get_network(), profile),  # closures: webapp.staff_api
    )  # fmt: skip
    if fmt == "gpx":
        return Response(tour_to_gpx(feature), mimetype="application/gpx+xml",
                        headers={"Content-Disposition": 'attachment; filename="bikemap-tour.gpx"'})  # fmt: skip
    resp = jsonify(feature)
    resp.mimetype = "application/geo+json"
    return resp
