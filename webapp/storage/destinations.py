"""Destinations: every change goes through here, and the seeding from OpenStreetMap.

`create_destination`, `update_destination`, `delete_destination` and
`restore_destination` each check the values (`webapp.storage.validation`) and
write through `DESTINATIONS`, the destinations' `webapp.storage.versioned.Versioned`:
a guarded update, a history row, a new version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import EDITABLE, Destination, DestinationHistory, categories, category_rules, utcnow
from .validation import check_opening_hours, clean_destination, clean_url
from .versioned import Versioned

__all__ = [
    "DESTINATIONS",
    "create_destination",
    "delete_destination",
    "get_destination",
    "history",
    "restore_destination",
    "seed_destinations",
    "staff_destinations",
    "update_destination",
]

log = logging.getLogger(__name__)

#: How destinations are versioned (a staff write marks the row staff-edited: seeding keeps it).
DESTINATIONS = Versioned(
    Destination,
    DestinationHistory,
    key="destination_id",
    noun="destination",
    editable=EDITABLE,
    on_write={"staff_edited": True},
)


def get_destination(session: Session, dest_id: int, *, include_deleted: bool = False) -> Destination:
    return DESTINATIONS.get(session, dest_id, include_deleted=include_deleted)


def staff_destinations(session: Session) -> list[Destination]:
    """Every destination that is not deleted, published or not, by id."""
    return list(session.scalars(select(Destination).where(Destination.deleted.is_(False)).order_by(Destination.id)))


def create_destination(
    session: Session, data: dict[str, Any], *, user: str, bounds=None, commit: bool = True
) -> Destination:
    """Check ``data`` and store a new staff destination (version 1)."""
    values = clean_destination(data, bounds=bounds)
    row = Destination(**values, source="staff", staff_edited=True)
    return DESTINATIONS.add(session, row, user=user, commit=commit)


def update_destination(
    session: Session,
    dest_id: int,
    expected_version: int,
    data: dict[str, Any],
    *,
    user: str,
    bounds=None,
    commit: bool = True,
) -> Destination:
    """Change fields of a destination saved at ``expected_version``; `StaleVersionError` otherwise."""
    row = get_destination(session, dest_id)
    DESTINATIONS.check(row, expected_version)  # before checking values: a stale form is told so first
    values = clean_destination(data, current=row.values(), bounds=bounds)
    return DESTINATIONS.update(session, row, expected_version, values, user=user, commit=commit)


def delete_destination(session: Session, dest_id: int, expected_version: int, *, user: str) -> Destination:
    """Remove a destination from every list (kept with its history, so it can be restored)."""
    return DESTINATIONS.remove(session, dest_id, expected_version, user=user)


def restore_destination(
    session: Session, dest_id: int, expected_version: int, to_version: int, *, user: str
) -> Destination:
    """Bring back the values a destination had at ``to_version`` (as a new version)."""
    return DESTINATIONS.restore(session, dest_id, expected_version, to_version, user=user)


def history(session: Session, dest_id: int) -> list[DestinationHistory]:
    return DESTINATIONS.history(session, dest_id)


# ----------------------------------------------------------------------------- seeding

#: Built-in OSM tag -> category rules, used when ``routes/data/categories.toml`` has none.
_SEED_RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("amenity", ("bicycle_rental",), ""),
    ("tourism", ("museum", "gallery"), "museum"),
    ("tourism", ("viewpoint",), "viewpoint"),
    ("natural", ("beach",), "beach"),
    ("historic", ("*",), "heritage"),
    ("leisure", ("park", "garden"), "park"),
    ("leisure", ("nature_reserve",), "nature"),
    ("natural", ("*",), "nature"),
    ("amenity", ("marketplace",), "market"),
    ("amenity", ("restaurant", "cafe", "food_court"), "food"),
    ("tourism", ("artwork", "attraction", "theme_park"), "culture"),
]


def poi_category(tags: dict[str, str]) -> str | None:
    """Category of an OSM feature by the vocabulary's rules; None: not a destination."""
    for key, values, cat in category_rules() or _SEED_RULES:
        if key in tags and ("*" in values or tags[key] in values):
            return cat or None
    return "other" if "other" in categories() else categories()[-1]


def destination_from_poi(poi: dict[str, Any]) -> dict[str, Any] | None:
    """Values of a destination seeded from an OSM feature (``Network.pois``), or None to skip it.

    Skipped: bike-share docks and features without a name.
    """
    tags = poi.get("tags") or {}
    name = (tags.get("name") or "").strip()
    category = poi_category(tags)
    if not name or category is None:
        return None
    if category not in categories():
        category = "other" if "other" in categories() else categories()[-1]
    oh = tags.get("opening_hours")
    website, _ = clean_url(tags.get("website") or tags.get("contact:website"))
    image, _ = clean_url(tags.get("image"))
    names = {k[5:]: v for k, v in tags.items() if k.startswith("name:") and len(k) <= 10 and v and "_" not in k}
    return {
        "name": name[:200],
        "names": names,
        "category": category,
        "description": (tags.get("description") or "")[:5000],
        "lon": float(poi["lon"]),
        "lat": float(poi["lat"]),
        "opening_hours": oh if oh and len(oh) <= 500 and check_opening_hours(oh) is None else None,
        "visit_minutes": None,
        "image_url": image,
        "website": website,
    }


def seed_destinations(session: Session, pois: Iterable[dict[str, Any]], *, user: str = "osm") -> dict[str, int]:
    """Add or refresh destinations from OpenStreetMap features, in one transaction.

    A new feature becomes a published ``source="osm"`` destination. A known one
    is refreshed from OSM unless staff changed (or deleted) it: a staff edit is
    never overwritten. Returns counts (created, updated, unchanged, kept_staff).
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_staff": 0}
    known = {r.osm_id: r for r in session.scalars(select(Destination).where(Destination.osm_id.is_not(None)))}
    seen: set[str] = set()
    now = utcnow()
    for poi in pois:
        values = destination_from_poi(poi)
        osm_id = f"{poi.get('osm_type', 'node')}/{poi.get('osm_id')}"
        if values is None or osm_id in seen:
            continue
        seen.add(osm_id)
        row = known.get(osm_id)
        if row is None:
            row = Destination(**values, published=True, source="osm", osm_id=osm_id)
            DESTINATIONS.add(session, row, user=user, action="seed", commit=False)
            counts["created"] += 1
        elif row.staff_edited or row.deleted:
            counts["kept_staff"] += 1
        else:
            before = row.values()
            if all(before.get(k) == v for k, v in values.items()):
                counts["unchanged"] += 1
                continue
            for k, v in values.items():
                setattr(row, k, v)
            row.version += 1
            row.updated_at, row.updated_by = now, user
            session.flush()
            DESTINATIONS.record(session, row, "seed", user, before)
            counts["updated"] += 1
    session.commit()
    log.info("seeded destinations: %s", counts)
    return counts
