"""Destinations: every change goes through here, and the seeding from OpenStreetMap.

`create_destination`, `update_destination`, `delete_destination` and
`restore_destination` each check the values (`webapp.storage.validation`) and
write through `DESTINATIONS`, the destinations' `webapp.storage.versioned.Versioned`:
a guarded update, a history row, a new version.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import routes
from routes import settings
from routes._digest import files_digest, value_digest
from routes.places import destination_places, place_names

from .models import EDITABLE, Destination, DestinationHistory, Meta, utcnow
from .validation import check_opening_hours, clean_destination, clean_url
from .versioned import Versioned

__all__ = [
    "DESTINATIONS",
    "create_destination",
    "delete_destination",
    "deleted_destinations",
    "get_destination",
    "history",
    "restore_destination",
    "seed_destinations",
    "seed_if_changed",
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


def deleted_destinations(session: Session) -> list[tuple[Destination, int | None]]:
    """Every deleted destination, newest deletion first, with the version a restore brings back."""
    rows = list(
        session.scalars(
            select(Destination).where(Destination.deleted.is_(True)).order_by(Destination.updated_at.desc())
        )
    )
    live = DESTINATIONS.live_versions(session, [r.id for r in rows])
    return [(r, live.get(r.id)) for r in rows]


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


def destination_from_place(place: dict[str, Any]) -> dict[str, Any] | None:
    """Values of a destination seeded from an OSM place (`routes.places.destination_places`), or None.

    Skipped: places without a name.
    """
    tags = place["tags"]
    name = (tags.get("name") or "").strip()
    if not name:
        return None
    oh = tags.get("opening_hours")
    website, _ = clean_url(tags.get("website") or tags.get("contact:website"))
    image, _ = clean_url(tags.get("image"))
    return {
        "name": name[:200],
        "names": place_names(tags),
        "category": place["category"],
        "description": (tags.get("description") or "")[:5000],
        "lon": place["lon"],
        "lat": place["lat"],
        "opening_hours": oh if oh and len(oh) <= 500 and check_opening_hours(oh) is None else None,
        "visit_minutes": None,
        "image_url": image,
        "website": website,
    }


def seed_destinations(session: Session, pois: Iterable[dict[str, Any]], *, user: str = "osm") -> dict[str, int]:
    """Add or refresh destinations from OpenStreetMap features, in one transaction.

    The features are classified and de-duplicated by `routes.places` (a place
    mapped as a node and an area is one destination). A new place becomes a
    published ``source="osm"`` destination. A known one is refreshed from OSM
    unless staff changed (or deleted) it: a staff edit is never overwritten.
    A row seeded earlier for a feature now merged into another place is
    deleted (kept with its history) unless staff changed it. Returns counts
    (created, updated, unchanged, kept_staff, merged).
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_staff": 0, "merged": 0}
    known = {r.osm_id: r for r in session.scalars(select(Destination).where(Destination.osm_id.is_not(None)))}
    now = utcnow()
    for place in destination_places(pois):
        values = destination_from_place(place)
        if values is None:
            continue
        osm_id = place["ref"]
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
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.version += 1
                row.updated_at, row.updated_by = now, user
                session.flush()
                DESTINATIONS.record(session, row, "seed", user, before)
                counts["updated"] += 1
        for dup in (known.get(ref) for ref in place["also"]):
            if dup is not None and not (dup.staff_edited or dup.deleted):
                before = dup.values()
                dup.deleted, dup.version = True, dup.version + 1
                dup.updated_at, dup.updated_by = now, user
                session.flush()
                DESTINATIONS.record(session, dup, "merge", user, before)
                counts["merged"] += 1
    session.commit()
    log.info("seeded destinations: %s", counts)
    return counts


#: The `Meta` row of what the destinations were last seeded from (`seed_if_changed`).
SEED_KEY = "seed"


def seed_input(pois: list[dict[str, Any]]) -> str:
    """A digest of everything seeding reads but the database: the OSM features, and the code and tables
    that make destinations of them (the ``routes`` package with its data, and this storage package)."""
    code = files_digest(Path(routes.__file__).parent, Path(settings.data_folder)) + files_digest(Path(__file__).parent)
    return hashlib.sha256(f"{code}|{value_digest(pois)}".encode()).hexdigest()


def _osm_rows(session: Session) -> list[int]:
    """How many rows came from OSM, the sum of their versions and their largest id: a staff edit, a row
    removed by hand or a restored backup changes one of them."""
    counts = session.execute(
        select(
            func.count(), func.coalesce(func.sum(Destination.version), 0), func.coalesce(func.max(Destination.id), 0)
        ).where(Destination.osm_id.is_not(None))
    ).one()
    return [int(v) for v in counts]


def seed_if_changed(session: Session, pois: Iterable[dict[str, Any]], *, user: str = "osm") -> dict[str, int] | None:
    """`seed_destinations`, unless it would find what it found the last time: returns its counts, or None.

    Seeding again from the same features into the same rows changes nothing (a staff edit is
    never overwritten either way), but reads every feature and every seeded row: half a second
    of every ``bikemap serve`` start on ``scale_200k`` (issue #19). So the database keeps what it
    was last seeded from (`seed_input`) and the state of its OSM rows (`_osm_rows`) after it; a
    start where both are the same skips the seed. Anything else seeds: other features, other
    code or tables, or OSM rows that changed since (edited, removed).
    """
    pois = list(pois)
    wanted = {"input": seed_input(pois), "rows": None}
    kept = session.get(Meta, SEED_KEY)
    if kept is not None and kept.value == {**wanted, "rows": _osm_rows(session)}:
        log.info("destinations: seeded from these features already, nothing changed since; not seeded again")
        return None
    counts = seed_destinations(session, pois, user=user)
    session.merge(Meta(key=SEED_KEY, value={**wanted, "rows": _osm_rows(session)}))
    session.commit()
    return counts
