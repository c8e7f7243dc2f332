"""Road reports from the public: stored versioned, reviewed by staff, linked to closures.

A visitor's report (`submit_report`) is ``open`` until staff act on it:

- `confirm_report` makes a closure or hazard on the street nearest the report (the
  closure overlay of `webapp.storage.closures`, so routing obeys it from the next
  request) and links the report to it;
- `merge_report` marks a duplicate of another report;
- `reject_report` refuses it with a note;
- `close_report` closes it, and ends its closure; ending the closure closes the
  report (`close_reports_of_closure`, called by `webapp.storage.closures.end_closure`).

Every change is a new version with a history row (`webapp.storage.versioned`), as for
destinations and closures. Only ``confirmed`` and ``closed`` reports are public.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConflictError, InvalidFieldsError, NotFoundError
from .closures import CLOSURES
from .models import Closure, Report, ReportHistory, hash_token, utcnow
from .versioned import Versioned

__all__ = [
    "PUBLIC_STATUSES",
    "REPORTS",
    "SERVICE_CODES",
    "VISITOR",
    "close_report",
    "close_reports_of_closure",
    "confirm_report",
    "find_by_token",
    "list_reports",
    "merge_report",
    "public_report",
    "reject_report",
    "street_geometry",
    "submit_report",
]

#: The report types (Open311 ``service_code``); their names are the UI strings ``report_type_<code>``.
SERVICE_CODES = ("pothole", "flooding", "blocked", "construction", "sign", "crossing", "dock", "other")

#: Statuses anyone may see; the others are staff-only.
PUBLIC_STATUSES = ("confirmed", "closed")

#: Who a visitor's change is recorded as in the history.
VISITOR = "visitor"

#: How far (metres) from a report "the nearest street" may be when staff confirm it.
SNAP_M = 150.0

REPORTS = Versioned(
    Report,
    ReportHistory,
    key="report_id",
    noun="report",
    editable=("status", "status_notes", "kind", "merged_into", "closure_id"),
)


def new_report_token() -> str:
    """The secret of a reporter's status link (only its sha256 is stored)."""
    return "rp_" + secrets.token_urlsafe(24)


def submit_report(session: Session, values: dict[str, Any]) -> tuple[Report, str]:
    """Store a visitor's checked report as version 1; return it and the token of its status link."""
    token = new_report_token()
    row = Report(
        **values, status="open", status_notes="", token_hash=hash_token(token), requested_at=utcnow(), deleted=False
    )
    REPORTS.add(session, row, user=VISITOR, action="report")
    return row, token


def find_by_token(session: Session, token: str) -> Report:
    row = None
    if 3 < len(token) <= 100:
        row = session.scalars(select(Report).where(Report.token_hash == hash_token(token))).first()
    if row is None or row.deleted:
        raise NotFoundError("no report has this link")
    return row


def public_report(session: Session, report_id: int) -> Report:
    """A report anyone may see (confirmed or closed); else `NotFoundError`, as for one that does not exist."""
    row = session.get(Report, report_id)
    if row is None or row.deleted or row.status not in PUBLIC_STATUSES:
        raise NotFoundError(f"no public report with id {report_id}")
    return row


def list_reports(
    session: Session,
    *,
    statuses: tuple[str, ...] | None = None,
    codes: tuple[str, ...] | None = None,
    ids: tuple[int, ...] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[Report]:
    """Reports newest first, filtered (every argument optional)."""
    stmt = select(Report).where(Report.deleted.is_(False))
    if statuses:
        stmt = stmt.where(Report.status.in_(statuses))
    if codes:
        stmt = stmt.where(Report.service_code.in_(codes))
    if ids:
        stmt = stmt.where(Report.id.in_(ids))
    if start is not None:
        stmt = stmt.where(Report.requested_at >= start)
    if end is not None:
        stmt = stmt.where(Report.requested_at <= end)
    return list(session.scalars(stmt.order_by(Report.requested_at.desc(), Report.id.desc()).limit(limit)))


# ----------------------------------------------------------------------------- staff actions


def _open_one(session: Session, report_id: int, expected: int | None, allowed: tuple[str, ...], verb: str) -> Report:
    row = REPORTS.get(session, report_id)
    if expected is not None:
        REPORTS.check(row, expected)
    if row.status not in allowed:
        raise ConflictError(
            f"report {report_id} is {row.status}; only a report that is {' or '.join(allowed)} can be {verb}"
        )
    return row


def _note(note: Any, *, required: bool = False) -> str:
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > 1000 or "\x00" in note:
        raise InvalidFieldsError({"note": "must be text of at most 1000 characters"})
    if required and not note.strip():
        raise InvalidFieldsError({"note": "say why (the reporter sees this note)"})
    return note.strip()


def street_geometry(net, lat: float, lon: float) -> dict[str, Any]:
    """The GeoJSON LineString of the street segment nearest (lat, lon), within `SNAP_M`.

    The closure then covers that one street between its junctions, as one drawn by staff would.
    `InvalidFieldsError` when no street is near.
    """
    from routes.closures import segments_of_geometry

    segs = segments_of_geometry(net, {"type": "Point", "coordinates": [lon, lat]}, tolerance_m=SNAP_M)
    if not segs:
        raise InvalidFieldsError({"location": f"no street lies within {SNAP_M:.0f} m of the report"})
    coords = [[round(float(x), 7), round(float(y), 7)] for x, y in net.segment_coords(segs[0])[:, :2]]
    if len(coords) > 500:  # a closure holds at most 500 points: keep both ends and an even spread
        step = -(-len(coords) // 499)
        coords = coords[:-1:step] + [coords[-1]]
    return {"type": "LineString", "coordinates": coords}


def confirm_report(
    session: Session,
    net,
    report_id: int,
    *,
    kind: str,
    reason: str,
    note: Any = "",
    user: str,
    expected: int | None = None,
) -> Report:
    """Confirm an open report as a ``hazard`` or ``closure`` on the nearest street (one transaction)."""
    if kind not in ("hazard", "closure"):
        raise InvalidFieldsError({"kind": "must be 'closure' (road closed) or 'hazard' (road dangerous)"})
    text = _note(note)
    row = _open_one(session, report_id, expected, ("open",), "confirmed")
    closure = Closure(
        kind=kind, reason=reason[:500], geometry=street_geometry(net, row.lat, row.lon), ends_at=None,
        created_by=user, created_at=utcnow(),
    )  # fmt: skip
    CLOSURES.add(session, closure, user=user, commit=False)
    values = {"status": "confirmed", "kind": kind, "closure_id": closure.id, "status_notes": text}
    return REPORTS.update(session, row, row.version, values, user=user, action="confirm")


def merge_report(
    session: Session, report_id: int, into: Any, *, note: Any = "", user: str, expected: int | None = None
) -> Report:
    """Mark an open report a duplicate of report ``into`` (followed to the report it was merged into)."""
    if isinstance(into, bool) or not isinstance(into, int) or not 0 < into < 2**62:
        raise InvalidFieldsError({"into": "the number of the report this one duplicates"})
    text = _note(note)
    row = _open_one(session, report_id, expected, ("open",), "merged")
    target = session.get(Report, into)
    seen = {report_id}
    while target is not None and target.status == "merged" and target.merged_into and target.id not in seen:
        seen.add(target.id)
        target = session.get(Report, target.merged_into)
    if target is None or target.deleted or target.id in seen:
        raise InvalidFieldsError({"into": f"no other report with id {into} to merge into"})
    values = {"status": "merged", "merged_into": target.id, "status_notes": text}
    return REPORTS.update(session, row, row.version, values, user=user, action="merge")


def reject_report(session: Session, report_id: int, *, note: Any, user: str, expected: int | None = None) -> Report:
    text = _note(note, required=True)
    row = _open_one(session, report_id, expected, ("open",), "rejected")
    return REPORTS.update(
        session, row, row.version, {"status": "rejected", "status_notes": text}, user=user, action="reject"
    )


def close_report(session: Session, report_id: int, *, note: Any = "", user: str, expected: int | None = None) -> Report:
    """Close a report (the problem is over); a confirmed one's closure ends with it."""
    text = _note(note)
    row = _open_one(session, report_id, expected, ("open", "confirmed"), "closed")
    if row.closure_id is not None:
        closure = session.get(Closure, row.closure_id)
        if closure is not None and not closure.removed:
            CLOSURES.update(
                session, closure, closure.version, {"removed": True}, user=user, action="delete", commit=False
            )
    values = {"status": "closed", "status_notes": text or row.status_notes}
    return REPORTS.update(session, row, row.version, values, user=user, action="close")


def close_reports_of_closure(session: Session, closure_id: int, *, user: str) -> list[Report]:
    """Close the confirmed reports linked to a closure that has just ended (committed)."""
    rows = list(session.scalars(select(Report).where(Report.closure_id == closure_id, Report.status == "confirmed")))
    for row in rows:
        REPORTS.update(session, row, row.version, {"status": "closed"}, user=user, action="close", commit=False)
    if rows:
        session.commit()
    return rows
