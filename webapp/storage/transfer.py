"""Import and export of destinations: GeoJSON, CSV (the export's columns) and GPX waypoints.

An import is all rows or nothing: every row is checked first, and every bad
row is reported by number (`webapp.errors.InvalidRowsError`); only then are
the rows written, in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlalchemy.orm import Session

from routes.errors import InvalidValueError

from ..csvsafe import neutralise, unneutralise
from ..errors import (
    ConflictError,
    InvalidFieldsError,
    InvalidFileError,
    InvalidRowsError,
    NotFoundError,
    StaleVersionError,
    TooManyRowsError,
)
from ..inputguard import INT_MAX, problem
from .destinations import create_destination, get_destination, staff_destinations, update_destination
from .models import EDITABLE
from .validation import clean_destination

__all__ = ["EXPORT_COLUMNS", "export_destinations", "feature_values", "import_destinations", "import_format"]

#: Properties a Feature may carry that are bookkeeping (read-only, ignored on write).
_READ_ONLY = {"id", "version", "source", "osm_id", "updated_at", "updated_by"}

EXPORT_COLUMNS = [
    "id",
    "version",
    "name",
    "category",
    "description",
    "lon",
    "lat",
    "opening_hours",
    "visit_minutes",
    "image_url",
    "website",
    "published",
    "source",
    "osm_id",
]


def export_destinations(session: Session, fmt: str) -> tuple[str, str, str]:
    """(body, mimetype, file extension) of every destination that is not deleted."""
    rows = staff_destinations(session)
    if fmt == "csv":
        langs = sorted({lang for r in rows for lang in (r.names or {})})
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS + [f"name:{lang}" for lang in langs])
        for r in rows:
            vals = r.values()
            line = [r.id if c == "id" else vals.get(c) for c in EXPORT_COLUMNS]
            line = ["true" if v is True else "false" if v is False else "" if v is None else v for v in line]
            w.writerow([neutralise(v) for v in line + [(r.names or {}).get(lang, "") for lang in langs]])
        return "\ufeff" + buf.getvalue(), "text/csv", "csv"
    if fmt in ("geojson", "json"):
        body = json.dumps({"type": "FeatureCollection", "features": [r.to_feature() for r in rows]}, ensure_ascii=False)
        return body, "application/geo+json", "geojson"
    raise InvalidValueError(f"format must be geojson or csv, got {fmt[:20]!r}")


def import_format(asked: str | None, filename: str, mimetype: str) -> str:
    """The import's format: ``asked``, else from the file name or Content-Type, else geojson."""
    fmt = asked or (
        "csv"
        if filename.lower().endswith(".csv") or mimetype == "text/csv"
        else "gpx"
        if filename.lower().endswith(".gpx") or mimetype == "application/gpx+xml"
        else "geojson"
    )
    if fmt not in ("csv", "geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson, csv or gpx, got {fmt[:20]!r}")
    return fmt


def feature_values(data: dict[str, Any]) -> dict[str, Any]:
    """Fields to set from a GeoJSON Feature (or a flat object of properties)."""
    if data.get("type") == "Feature":
        props = data.get("properties") or {}
        geom = data.get("geometry")
        if not isinstance(props, dict):
            raise InvalidFieldsError({"properties": "must be an object"})
    else:
        props, geom = {k: v for k, v in data.items() if k != "type"}, None
    unknown = sorted(set(props) - set(EDITABLE) - _READ_ONLY)
    if unknown:
        raise InvalidFieldsError({k: "is not a destination property" for k in unknown})
    out = {k: v for k, v in props.items() if k in EDITABLE}
    if geom is not None:
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if not isinstance(geom, dict) or geom.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            raise InvalidFieldsError({"location": "the geometry must be a GeoJSON Point [longitude, latitude]"})
        out["lon"], out["lat"] = coords[0], coords[1]
    return out


def _import_rows(raw: bytes, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number, GeoJSON-like Feature) pairs of an import file."""
    if fmt == "gpx":  # waypoints, parsed with defusedxml: webapp.gpx_import
        from .gpx_import import gpx_rows

        return gpx_rows(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidFileError("the file must be UTF-8 text") from None
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        known = set(EXPORT_COLUMNS)
        bad = [c for c in header if c not in known and not re.fullmatch(r"name:[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?", c)]
        if bad or "name" not in header:
            msg = f"unknown columns {', '.join(bad)}" if bad else "a 'name' column is needed"
            raise InvalidRowsError(msg, rows=[{"row": 1, "fields": {"header": msg}}])
        out = []
        for i, rec in enumerate(reader, start=2):
            if None in rec:
                out.append((i, {"_error": {"row": "has more cells than the header"}}))
                continue
            rec = {k: unneutralise(v) if isinstance(v, str) else v for k, v in rec.items()}
            props: dict[str, Any] = {k: v for k, v in rec.items() if k in EDITABLE and k not in ("lon", "lat", "names")}
            names = {k[5:]: v for k, v in rec.items() if k.startswith("name:") and v}
            if names:
                props["names"] = names
            feat: dict[str, Any] = {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [rec.get("lon"), rec.get("lat")]},
            }
            if (rec.get("id") or "").strip():
                feat["id"] = rec["id"].strip()
            if (rec.get("version") or "").strip():
                feat["properties"]["version"] = rec["version"].strip()
            out.append((i, feat))
        return out
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise InvalidFileError(f"the file is not JSON: {exc}") from None
    feats = doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None
    if not isinstance(feats, list):
        raise InvalidFileError("the file must be a GeoJSON FeatureCollection")
    return list(enumerate(feats, start=1))


def _row_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity
        number = -1
    if isinstance(value, bool) or not 0 < number <= INT_MAX or (isinstance(value, float) and value != number):
        raise InvalidFieldsError({"id": "must be the number of an existing destination, or empty for a new one"})
    return number


def import_destinations(
    session: Session, raw: bytes, fmt: str, *, user: str, bounds=None, max_rows: int = 10_000
) -> dict[str, int]:
    """Import a file: every row or nothing. Returns counts (created, updated, rows)."""
    try:
        rows = _import_rows(raw, fmt)
    except csv.Error as exc:  # a cell over csv's field limit (128 KiB), a NUL byte...
        raise InvalidFileError(f"the file is not readable CSV: {exc}") from None
    if len(rows) > max_rows:
        raise TooManyRowsError(
            f"at most {max_rows} rows per import, the file has {len(rows)}; split it into several files"
        )
    plan: list[tuple[int | None, int, dict[str, Any]]] = []
    problems: list[dict[str, Any]] = []
    seen: set[int] = set()
    for number, feat in rows:
        try:
            if not isinstance(feat, dict) or "_error" in feat:
                raise InvalidFieldsError(
                    (feat if isinstance(feat, dict) else {}).get("_error") or {"row": "must be a GeoJSON Feature"}
                )
            unstorable = problem(feat, "row")  # the door check of request bodies, per row of a file
            if unstorable is not None:
                raise InvalidFieldsError({"row": str(unstorable)})
            dest_id = _row_id(feat.get("id"))
            props: dict[str, Any] = feat["properties"] if isinstance(feat.get("properties"), dict) else {}
            version = _row_id(props.get("version"))
            data = feature_values(feat)
            if dest_id is None:
                clean_destination(data, bounds=bounds)
            else:
                if dest_id in seen:
                    raise InvalidFieldsError({"id": f"destination {dest_id} appears twice in the file"})
                seen.add(dest_id)
                row = get_destination(session, dest_id)
                if version is not None and version != row.version:
                    raise InvalidFieldsError(
                        {
                            "version": f"destination {dest_id} changed since this file was "
                            f"made (version {row.version} now, {version} in the file)"
                        }
                    )
                clean_destination(data, current=row.values(), bounds=bounds)
                version = row.version
            plan.append((dest_id, version or 0, data))
        except InvalidFieldsError as exc:
            problems.append({"row": number, "fields": exc.fields})
        except NotFoundError as exc:
            problems.append({"row": number, "fields": {"id": str(exc)}})
    if problems:
        raise InvalidRowsError(
            f"{len(problems)} of {len(rows)} rows have problems; nothing was imported", rows=problems
        )
    created = updated = 0
    try:
        for dest_id, version, data in plan:
            if dest_id is None:
                create_destination(session, data, user=user, bounds=bounds, commit=False)
                created += 1
            else:
                update_destination(session, dest_id, version, data, user=user, bounds=bounds, commit=False)
                updated += 1
        session.commit()
    except StaleVersionError:
        session.rollback()
        raise ConflictError("someone changed destinations during the import; nothing was imported, try again") from None
    except BaseException:
        session.rollback()
        raise
    return {"created": created, "updated": updated, "rows": len(rows)}
