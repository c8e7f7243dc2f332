"""The Open311 GeoReport v2 shapes of road reports and report types, public and for staff.

Shared by the public endpoints (`webapp.views.open311`) and the staff queue
(`webapp.views.reports`), which never import each other. The email of a report
is only in `staff_item`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from .i18n import load_strings
from .storage.models import Report
from .storage.reports import PUBLIC_STATUSES, SERVICE_CODES

__all__ = ["OPEN311_STATUS", "open311_item", "service_name", "services", "staff_item", "when"]

#: Open311's own status (open/closed) of each of bikemap's.
OPEN311_STATUS = {"open": "open", "confirmed": "open", "rejected": "closed", "merged": "closed", "closed": "closed"}

_GROUP = {"dock": "bike share", "sign": "signs and crossings", "crossing": "signs and crossings"}
_KEYWORDS = {
    "pothole": "pothole, surface, crack, gravel",
    "flooding": "flood, water, puddle",
    "blocked": "blocked, obstacle, fallen tree, parked car",
    "construction": "works, construction, detour",
    "sign": "sign, signpost, marking",
    "crossing": "crossing, junction, traffic light",
    "dock": "dock, station, bike share",
    "other": "other",
}


def when(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def service_name(code: str, lang: str) -> str:
    return load_strings(lang).get(f"report_type_{code}") or load_strings("en").get(f"report_type_{code}", code)


def services(lang: str) -> list[dict[str, Any]]:
    """Open311 ``services.json``: the report types, named in ``lang``."""
    return [
        {
            "service_code": code,
            "service_name": service_name(code, lang),
            "description": service_name(code, lang),
            "metadata": False,
            "type": "realtime",
            "keywords": _KEYWORDS[code],
            "group": _GROUP.get(code, "road"),
        }
        for code in SERVICE_CODES
    ]


def _media_url(row: Report) -> str | None:
    return url_for("open311.media", name=row.media, _external=True) if row.media else None


def open311_item(row: Report, lang: str, *, media: bool | None = None) -> dict[str, Any]:
    """A report as Open311 answers it (no email); ``media``: whether to give its photo's URL (default: if public)."""
    show_media = row.status in PUBLIC_STATUSES if media is None else media
    return {
        "service_request_id": str(row.id),
        "status": OPEN311_STATUS.get(row.status, "open"),
        "status_notes": row.status_notes or "",
        "service_code": row.service_code,
        "service_name": service_name(row.service_code, lang),
        "description": row.description or "",
        "agency_responsible": "",
        "requested_datetime": when(row.requested_at),
        "updated_datetime": when(row.updated_at),
        "lat": row.lat,
        "long": row.lon,
        "media_url": _media_url(row) if show_media else None,
        "detailed_status": row.status,
        "kind": row.kind,
    }


def staff_item(row: Report, lang: str = "en") -> dict[str, Any]:
    """A report as staff see it: the Open311 fields, the email, links and bookkeeping."""
    return {
        **open311_item(row, lang, media=True),
        "id": row.id,
        "email": row.email,
        "merged_into": str(row.merged_into) if row.merged_into else None,
        "closure_id": row.closure_id,
        "version": row.version,
        "updated_by": row.updated_by,
    }
