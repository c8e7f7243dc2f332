"""GPX waypoints as destination import rows (``POST /api/destinations/import?format=gpx``).

A tourism office often has its points of interest as a GPX file (a Garmin or
OsmAnd export, a route planner's waypoints). Each ``<wpt>`` becomes one row of
the staff import (`webapp.storage.transfer.import_destinations`: checked completely, then all
rows or none stored):

- ``<name>`` -> name (required), ``<desc>`` (else ``<cmt>``) -> description,
- ``<link href>`` -> website, ``<type>`` -> category when it is one of the
  vocabulary's (``museum``, ``park``...), else ``other``,
- ``lat``/``lon`` attributes -> the point (inside the map's area).

The file is parsed with defusedxml and ``forbid_dtd=True``: a GPX never needs
a DTD, so XML entity attacks (an external entity reading a local file, the
"billion laughs" expansion) are refused before anything is expanded, with a
400 ``InvalidFile`` error. The standard library's parsers would expand
internal entities, hence defusedxml.
"""

from __future__ import annotations

from typing import Any

from routes import errors as routes_errors
from routes.gpx import local_name as _local
from routes.gpx import read_gpx

from ..errors import InvalidFileError
from .models import categories

__all__ = ["gpx_rows"]


def _child_text(el, name: str) -> str | None:
    for child in el:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def _waypoint(el) -> dict[str, Any]:
    props: dict[str, Any] = {"name": _child_text(el, "name") or ""}
    desc = _child_text(el, "desc") or _child_text(el, "cmt")
    if desc:
        props["description"] = desc
    for child in el:
        if _local(child.tag) == "link" and child.get("href"):
            props["website"] = child.get("href").strip()
            break
    kind = (_child_text(el, "type") or "").strip().lower()
    props["category"] = kind if kind in categories() else "other"
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [el.get("lon"), el.get("lat")]},
    }


def gpx_rows(raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number, GeoJSON-like Feature) of every ``<wpt>`` of a GPX file, numbered from 1.

    Raises `InvalidFileError` for a file that is not XML, not GPX, or declares a DTD or entities.
    """
    try:
        root = read_gpx(raw)
    except routes_errors.InvalidFileError as exc:  # the staff API's own error class, the same message
        raise InvalidFileError(str(exc)) from None
    return [(i, _waypoint(el)) for i, el in enumerate((c for c in root if _local(c.tag) == "wpt"), start=1)]
