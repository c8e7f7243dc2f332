"""The public layer: what visitors see of the database (published destinations, active closures).

A destination's id is its database id everywhere: the map, ``/api/destinations``,
``/api/tour`` (stops, ``/api/tour/destinations``), GPX and share links. A row
seeded from OpenStreetMap keeps its OSM reference in the ``osm_id`` property.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .closures import active_closures
from .models import Destination

__all__ = ["layer_state", "published_destinations", "published_features", "tour_destinations"]


def published_destinations(session: Session) -> list[Destination]:
    return list(
        session.scalars(
            select(Destination)
            .where(Destination.published.is_(True), Destination.deleted.is_(False))
            .order_by(Destination.id)
        )
    )


def published_features(session: Session, *, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the published destinations, names in ``lang`` (no staff bookkeeping)."""
    out = []
    for r in published_destinations(session):
        f = r.to_feature()
        f["id"] = str(r.id)
        p = f["properties"]
        p["id"] = f["id"]
        p["name"] = (r.names or {}).get(lang) or r.name
        for k in ("published", "updated_by", "source"):
            p.pop(k, None)
        out.append(f)
    return out


def tour_destinations(session: Session, *, lang: str = "en") -> list[dict[str, Any]]:
    """The published destinations as the plain dicts `routes.tours` plans with (ids: database ids)."""
    return [
        {
            "id": str(r.id),
            "osm_id": r.osm_id,
            "name": (r.names or {}).get(lang) or r.name,
            "category": r.category,
            "lat": r.lat,
            "lon": r.lon,
            "visit_min": r.visit_minutes,
            "opening_hours": r.opening_hours or None,
            "description": r.description or None,
        }
        for r in published_destinations(session)
    ]


def layer_state(session: Session) -> tuple:
    """A value that changes whenever the public layer does (any destination saved, closures on/off).

    The public map is rendered once per state: a staff edit or a closure shows on
    the next page load, in every process serving the same database.
    """
    count, last, versions = session.execute(
        select(func.count(), func.max(Destination.updated_at), func.sum(Destination.version))
    ).one()
    return (count, str(last), versions, tuple((c.id, c.version) for c in active_closures(session)))
