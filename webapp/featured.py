"""Blueprint ``featured``: tours and routes staff recommend to visitors (``/api/featured``).

Staff save a planned tour or route (the GeoJSON Feature of ``/api/tour`` or
``/api/route``) with a name and description in English and Bahasa Indonesia
and a published flag, like a city's own recommended bike-share tours.
Visitors see the published ones on the map page and download them as GPX.

Stored with the destination layer (same database, `webapp.models.FeaturedRoute`),
with the same rules: editors create, edit, publish and unpublish; admins
delete and restore; every change writes a history row; ``ETag: "ID.VERSION"``
and ``If-Match`` (none: 428, stale: 412, nothing changed) guard every write.
Authentication is `webapp.staff_api`'s (Bearer token, or the staff UI's session
cookie plus its ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select, update
from sqlalchemy.orm import defer

from routes.errors import InvalidValueError

from .api import query
from .db import NotFoundError, StaleVersionError, get_session
from .models import FEATURED_EDITABLE, FeaturedRoute, FeaturedRouteHistory, utcnow
from .staff_api import StaffError, current_user, network_bounds, register_staff_errors, require
from .validation import DestinationInvalid

__all__ = ["bp", "clean_featured", "featured_gpx", "featured_to_feature"]

bp = Blueprint("featured", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"

#: Largest body of a featured-route write (bytes; config ``FEATURED_MAX_BYTES``): a whole
#: tour Feature with its turn-by-turn text fits.
FEATURED_MAX_BYTES = 4 * 1024 * 1024
#: Most positions in a featured route's line, and most stops.
MAX_POINTS = 50_000
MAX_STOPS = 100
#: How far (degrees) a line may reach past the network's bounds.
BOUNDS_MARGIN = 0.02

_STOP_KEYS = {
    "id": str,
    "name": str,
    "category": str,
    "description": str,
    "opening_hours": str,
    "visit_min": float,
    "arrival_s": float,
    "wait_s": float,
}
_SUMMARY_KEYS = {
    "kind": str,
    "method": str,
    "profile": str,
    "distance_m": float,
    "duration_s": float,
    "total_s": float,
    "ride_duration_s": float,
    "target_km": float,
}


@bp.record_once
def _setup(state) -> None:
    from .db import init_app

    init_app(state.app)


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        request.max_content_length = current_app.config.get("FEATURED_MAX_BYTES", FEATURED_MAX_BYTES)


# ----------------------------------------------------------------------------- errors


register_staff_errors(bp)


# ----------------------------------------------------------------------------- values


def _text(value: Any, field: str, limit: int, errors: dict[str, str], *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = "must be text"
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = "a name is required"
    elif "\x00" in value:  # PostgreSQL cannot store NUL in text
        errors[field] = "must not contain NUL characters"
    elif len(value) > limit:
        errors[field] = f"at most {limit} characters"
    return value


def _texts(value: Any, field: str, limit: int, errors: dict[str, str]) -> dict[str, str]:
    """Per-language texts ``{"id": "..."}`` (empty ones dropped)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[field] = 'must be an object of texts per language, e.g. {"id": "..."}'
        return {}
    out = {}
    for lang, text in value.items():
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}", lang):
            errors[field] = f"language codes are two or three letters, got {str(lang)[:10]!r}"
            continue
        text = _text(text, f"{field}.{lang}", limit, errors)
        if text:
            out[lang] = text
    return out


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _line(geom: Any, bounds, errors: dict[str, str]) -> dict[str, Any] | None:
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if not isinstance(geom, dict) or geom.get("type") != "LineString" or not isinstance(coords, list):
        errors["geometry"] = "must be a GeoJSON LineString (the planned route's line)"
        return None
    if not 2 <= len(coords) <= MAX_POINTS:
        errors["geometry"] = f"a line needs 2 to {MAX_POINTS} positions, got {len(coords)}"
        return None
    out = []
    w, s, e, n = bounds or (-180.0, -90.0, 180.0, 90.0)
    m = BOUNDS_MARGIN if bounds else 0.0
    for i, c in enumerate(coords):
        maybe = [_number(v) for v in c[:3]] if isinstance(c, list) and 2 <= len(c) <= 3 else [None]
        nums = [v for v in maybe if v is not None]
        if len(nums) != len(maybe):
            errors["geometry"] = f"position {i} is not [longitude, latitude]"
            return None
        lon, lat = nums[0], nums[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["geometry"] = f"position {i} is not a longitude and latitude"
            return None
        if not (w - m <= lon <= e + m and s - m <= lat <= n + m):
            errors["geometry"] = f"position {i} ({lat:.5f},{lon:.5f}) lies outside the map's area"
            return None
        out.append([round(lon, 7), round(lat, 7), *([round(nums[2], 1)] if len(nums) == 3 else [])])
    return {"type": "LineString", "coordinates": out}


def _stops(props: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]] | None:
    """The stops in visit order: a tour's ``stops``, else a route's named waypoints."""
    raw = props.get("stops")
    if raw is None and isinstance(props.get("waypoints"), list):
        raw = []
        for w in props["waypoints"]:
            loc = w.get("location") if isinstance(w, dict) else None
            if isinstance(loc, list) and len(loc) >= 2 and w.get("role") not in ("stop",):
                raw.append({"name": w.get("name") or w.get("role") or "", "lon": loc[0], "lat": loc[1]})
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_STOPS:
        errors["stops"] = f"must be a list of at most {MAX_STOPS} places"
        return None
    out = []
    for i, st in enumerate(raw):
        lat, lon = (_number(st.get(k)) for k in ("lat", "lon")) if isinstance(st, dict) else (None, None)
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["stops"] = f"stop {i + 1} needs a lat and a lon"
            return None
        clean: dict[str, Any] = {"lat": lat, "lon": lon}
        for key, kind in _STOP_KEYS.items():
            v = st.get(key)
            if kind is str and isinstance(v, str):
                clean[key] = v[:2000].replace("\x00", "")
            elif kind is float and _number(v) is not None:
                clean[key] = _number(v)
        clean.setdefault("name", "")
        out.append(clean)
    return out


def _summary(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in _SUMMARY_KEYS.items():
        v = props.get(key)
        if kind is str and isinstance(v, str):
            out[key] = v[:40].replace("\x00", "")
        elif kind is float and _number(v) is not None:
            out[key] = _number(v)
    if "kind" not in out:
        out["kind"] = "bikeshare" if props.get("mode") == "bikeshare" else "route"
    return out


def clean_featured(data: dict[str, Any], *, current: dict[str, Any] | None = None, bounds=None) -> dict[str, Any]:
    """Checked values of a featured route from a GeoJSON Feature (or a flat object of properties).

    A Feature straight from ``/api/tour`` or ``/api/route`` is accepted as it
    is: its line, its stops (or named waypoints) and its summary (kind,
    profile, distance, times) are kept, everything else (turn-by-turn text,
    legs...) is dropped. ``current``: the stored values (an edit changes only
    what it names). Raises `DestinationInvalid` with a message per field.
    """
    if data.get("type") == "Feature":
        props, geom = data.get("properties") or {}, data.get("geometry")
        if not isinstance(props, dict):
            raise DestinationInvalid({"properties": "must be an object"})
    else:
        props = {k: v for k, v in data.items() if k != "type"}
        geom = props.pop("geometry", None)
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if current is None or "name" in props:
        out["name"] = _text(props.get("name"), "name", 200, errors, required=True)
    if current is None or "description" in props:
        out["description"] = _text(props.get("description"), "description", 5000, errors)
    for key, limit in (("names", 200), ("descriptions", 5000)):
        if current is None or key in props:
            out[key] = _texts(props.get(key), key, limit, errors)
    if "published" in props:
        if not isinstance(props["published"], bool):
            errors["published"] = "must be true or false"
        out["published"] = props["published"] is True
    elif current is None:
        out["published"] = False
    if geom is not None or current is None:
        line = _line(geom, bounds, errors)
        if line is not None:
            out["geometry"] = line
    if current is None or "stops" in props or (geom is not None and "waypoints" in props):
        stops = _stops(props, errors)
        out["stops"] = stops if stops is not None else ([] if current is None else current["stops"])
    if current is None or geom is not None:
        out["summary"] = _summary(props)
    if errors:
        raise DestinationInvalid(errors)
    if "geometry" in out:  # lists show where a route is without loading its line
        summary = out.get("summary") or (current or {}).get("summary") or {}
        out["summary"] = {**summary, "bbox": _bbox(out["geometry"])}
    return out


# ----------------------------------------------------------------------------- storage


def _history(session, row: FeaturedRoute, action: str, user: str, before: dict | None) -> None:
    session.add(
        FeaturedRouteHistory(
            featured_id=row.id,
            version=row.version,
            action=action,
            changed_by=user,
            changed_at=row.updated_at,
            before=before,
            after=row.values(),
        )
    )


def get_featured(session, featured_id: int, *, include_deleted: bool = False) -> FeaturedRoute:
    row = session.get(FeaturedRoute, featured_id, populate_existing=True)
    if row is None or (row.deleted and not include_deleted):
        raise NotFoundError(f"no featured route with id {featured_id}")
    return row


def _stale_message(current: FeaturedRoute | None) -> str:
    if current is None or current.deleted:
        return "the featured route no longer exists"
    who = f" by {current.updated_by}" if current.updated_by else ""
    return (
        f"someone else saved this featured route{who} meanwhile (it is now version {current.version}); "
        "reload it and make your change again"
    )


def _guarded_update(
    session, row: FeaturedRoute, expected: int, values: dict[str, Any], *, user: str, action: str
) -> FeaturedRoute:
    """``UPDATE ... WHERE id = ? AND version = ?``: of two writers from one version exactly one wins."""
    if row.version != expected:
        raise StaleVersionError(_stale_message(row), row)
    before = row.values()
    result = session.execute(
        update(FeaturedRoute)
        .where(FeaturedRoute.id == row.id, FeaturedRoute.version == expected)
        .values(**values, version=expected + 1, updated_at=utcnow(), updated_by=user)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        current = session.get(FeaturedRoute, row.id, populate_existing=True)
        raise StaleVersionError(_stale_message(current), current)
    session.refresh(row)
    _history(session, row, action, user, before)
    session.commit()
    return row


# ----------------------------------------------------------------------------- answers


def _lang() -> str:
    lang = request.args.get("lang") or "en"
    if lang not in current_app.config["LANGUAGES"]:
        raise InvalidValueError(f"lang must be one of {', '.join(current_app.config['LANGUAGES'])}, got {lang[:20]!r}")
    return lang


def _bbox(geometry: dict[str, Any]) -> list[float]:
    xs = [c[0] for c in geometry["coordinates"]]
    ys = [c[1] for c in geometry["coordinates"]]
    return [min(xs), min(ys), max(xs), max(ys)]


def featured_to_feature(
    row: FeaturedRoute, *, lang: str = "en", staff: bool = False, geometry: bool = True
) -> dict[str, Any]:
    """A featured route as a GeoJSON Feature.

    ``title``/``text`` are the name and description in ``lang`` (English when
    there is none in it); ``name``/``names``/``description``/``descriptions``
    are the stored values. Without ``geometry`` the line is left out (lists)
    and only ``bbox`` says where it is.
    """
    summary = dict(row.summary or {})
    bbox = summary.pop("bbox", None) or _bbox(row.geometry)
    props: dict[str, Any] = {
        "title": (row.names or {}).get(lang) or row.name,
        "text": (row.descriptions or {}).get(lang) or row.description,
        "name": row.name,
        "names": dict(row.names or {}),
        "description": row.description,
        "descriptions": dict(row.descriptions or {}),
        **summary,
        "stops": list(row.stops or []),
        "published": row.published,
        "version": row.version,
        "updated_at": row.updated_at.isoformat(timespec="seconds") + "Z" if row.updated_at else None,
    }
    if staff:
        props["updated_by"] = row.updated_by
    return {
        "type": "Feature",
        "id": row.id,
        "bbox": bbox,
        "geometry": row.geometry if geometry else None,
        "properties": props,
    }


def featured_gpx(row: FeaturedRoute, *, lang: str = "en") -> str:
    """GPX 1.1: the line as the track, the stops as ``<wpt>`` in visit order."""
    from routes.gpx import route_to_gpx

    wpts = []
    stops = row.stops or []
    numbered = (row.summary or {}).get("kind") not in ("route", "bikeshare")
    for i, s in enumerate(stops, 1):
        bits = [str(s["category"]).capitalize()] if s.get("category") else []
        if s.get("visit_min"):
            bits.append(f"visit {s['visit_min']:.0f} min")
        if s.get("description"):
            bits.append(s["description"])
        name = s.get("name") or f"{i}"
        wpts.append(
            {
                "lon": s["lon"],
                "lat": s["lat"],
                "name": f"{i}. {name}" if numbered else name,
                "description": ". ".join(bits) or None,
            }
        )
    title = (row.names or {}).get(lang) or row.name
    text = (row.descriptions or {}).get(lang) or row.description or None
    return route_to_gpx(row.geometry["coordinates"], wpts, name=title, description=text)


def _feature_response(row: FeaturedRoute, status: int = 200, *, staff: bool = True) -> Response:
    resp = Response(
        json.dumps(featured_to_feature(row, lang=_lang(), staff=staff), ensure_ascii=False),
        status=status,
        mimetype=GEOJSON,
    )
    resp.headers["ETag"] = row.etag
    resp.headers["Cache-Control"] = "no-store"
    if status == 201:
        resp.headers["Location"] = f"/api/featured/{row.id}"
    return resp


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise StaffError(
            400, "InvalidJSON", "send a JSON object (a GeoJSON Feature) with Content-Type: application/json"
        )
    return data


_ETAG = re.compile(r'^(?:W/)?"(\d+)\.(\d+)"$')


def _expected_version(featured_id: int) -> int:
    """The version named by ``If-Match`` (428 when absent, 412 when it names another resource)."""
    header = request.headers.get("If-Match")
    if not header or not header.strip():
        raise StaffError(
            428,
            "PreconditionRequired",
            "send 'If-Match' with the ETag of the version you edited (GET the featured route first)",
        )
    for tag in header.split(","):
        m = _ETAG.match(tag.strip())
        if m and int(m.group(1)) == featured_id:
            return int(m.group(2))
    raise StaffError(412, "PreconditionFailed", "the If-Match ETag does not name a version of this featured route")


# ----------------------------------------------------------------------------- views


@bp.get("/featured")
def api_list():
    """Published featured routes (staff: ``?all=1`` adds unpublished ones), without their lines."""
    q = query({"lang", "all"})
    lang = _lang()
    session = get_session()
    stmt = (
        select(FeaturedRoute)
        .options(defer(FeaturedRoute.geometry))
        .where(FeaturedRoute.deleted.is_(False))
        .order_by(FeaturedRoute.id)
    )
    staff = bool(q.get("all")) and require("editor") is not None
    if not staff:
        stmt = stmt.where(FeaturedRoute.published.is_(True))
    feats = [featured_to_feature(r, lang=lang, staff=staff, geometry=False) for r in session.scalars(stmt)]
    resp = Response(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
        mimetype=GEOJSON,
        headers={"Cache-Control": "no-cache"},
    )
    return resp


@bp.post("/featured")
def api_create():
    user = require("editor")
    values = clean_featured(_json_body(), bounds=network_bounds())
    now = utcnow()
    row = FeaturedRoute(**values, version=1, created_at=now, updated_at=now, updated_by=user.name)
    session = get_session()
    session.add(row)
    session.flush()
    _history(session, row, "create", user.name, None)
    session.commit()
    return _feature_response(row, 201)


@bp.get("/featured/session")
def api_session():
    """Whether this browser is logged in to the staff UI (the map then offers "save as featured")."""
    query(set())
    user = current_user()
    body: dict[str, Any] = {"staff": user is not None and user.can("editor")}
    if body["staff"]:
        body["name"], body["role"] = user.name, user.role
        if "admin" in current_app.blueprints:
            from .admin import csrf_token

            body["csrf"] = csrf_token()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/featured/<int:featured_id>")
def api_get(featured_id: int):
    q = query({"lang", "format"})
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    row = get_featured(get_session(), featured_id)
    staff = current_user() is not None
    if not row.published and not staff:
        raise NotFoundError(f"no featured route with id {featured_id}")
    if fmt == "gpx":
        name = re.sub(r"[^A-Za-z0-9]+", "-", row.name).strip("-").lower()[:60] or "route"
        disposition = f'attachment; filename="bikemap-featured-{row.id}-{name}.gpx"'
        return Response(
            featured_gpx(row, lang=_lang()),
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": disposition, "ETag": row.etag},
        )
    return _feature_response(row, staff=staff)


@bp.patch("/featured/<int:featured_id>")
def api_update(featured_id: int):
    user = require("editor")
    version = _expected_version(featured_id)
    session = get_session()
    row = get_featured(session, featured_id)
    values = clean_featured(_json_body(), current=row.values(), bounds=network_bounds())
    row = _guarded_update(session, row, version, values, user=user.name, action="update")
    return _feature_response(row)


@bp.delete("/featured/<int:featured_id>")
def api_delete(featured_id: int):
    user = require("admin")
    version = _expected_version(featured_id)
    session = get_session()
    row = get_featured(session, featured_id)
    _guarded_update(session, row, version, {"deleted": True}, user=user.name, action="delete")
    return Response(status=204)


@bp.get("/featured/<int:featured_id>/history")
def api_history(featured_id: int):
    require("editor")
    session = get_session()
    get_featured(session, featured_id, include_deleted=True)
    rows = session.scalars(
        select(FeaturedRouteHistory)
        .where(FeaturedRouteHistory.featured_id == featured_id)
        .order_by(FeaturedRouteHistory.version)
    )
    return jsonify({"featured_id": featured_id, "changes": [h.to_json() for h in rows]})


@bp.post("/featured/<int:featured_id>/restore")
def api_restore(featured_id: int):
    """Bring back the values of an earlier version (also undeletes); admins only."""
    user = require("admin")
    to = _json_body().get("version")
    if not isinstance(to, int) or isinstance(to, bool):
        raise DestinationInvalid({"version": "name the version to restore (a number from the history)"})
    session = get_session()
    row = get_featured(session, featured_id, include_deleted=True)
    current = row.version if row.deleted and not request.headers.get("If-Match") else _expected_version(featured_id)
    snap = session.scalars(
        select(FeaturedRouteHistory).where(
            FeaturedRouteHistory.featured_id == featured_id, FeaturedRouteHistory.version == to
        )
    ).first()
    if snap is None or not snap.after or snap.after.get("deleted"):
        raise NotFoundError(f"featured route {featured_id} has no version {to} to restore")
    values = {k: snap.after[k] for k in FEATURED_EDITABLE if k in snap.after}
    row = _guarded_update(session, row, current, {**values, "deleted": False}, user=user.name, action="restore")
    return _feature_response(row)


# ----------------------------------------------------------------------------- OpenAPI


def _openapi() -> None:
    """Add the featured-route paths to the app's OpenAPI document (`webapp.openapi.PATHS`)."""
    from .openapi import LANG, PATHS, SCHEMAS, error_response

    SCHEMAS.setdefault(
        "FeaturedRoute",
        {
            "type": "object",
            "description": "GeoJSON Feature of a featured route: LineString (null in lists, see bbox); properties "
            "title/text (in the asked language), name, names, description, descriptions, stops "
            "(visit order), kind, profile, distance_m, duration_s, total_s, published, version",
            "properties": {
                "type": {"type": "string"},
                "id": {"type": "integer"},
                "bbox": {"type": "array"},
                "geometry": {"type": "object", "nullable": True},
                "properties": {
                    "type": "object",
                    "properties": {k: {} for k in ("title", "text", *FEATURED_EDITABLE, "version")},
                },
            },
        },
    )
    one = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/FeaturedRoute"}}}}
    ref = {"$ref": "#/components/schemas/FeaturedRoute"}
    many = {
        "content": {
            "application/geo+json": {
                "schema": {
                    "type": "object",
                    "properties": {"type": {"type": "string"}, "features": {"type": "array", "items": ref}},
                }
            }
        }
    }
    errs = {
        "401": error_response("No or bad API token", ["Unauthorized"]),
        "403": error_response("The role does not allow this", ["Forbidden", "CSRF"]),
        "404": error_response("No such featured route (unpublished ones: staff only)", ["NotFound"]),
    }
    lock = {
        "412": error_response("The If-Match ETag is stale; nothing changed", ["PreconditionFailed"]),
        "428": error_response("If-Match is missing", ["PreconditionRequired"]),
    }
    invalid = {"422": error_response("Values that cannot be stored (see error.fields)", ["InvalidValue"])}
    path_id = [{"name": "featured_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the ETag of the version you edited",
    }
    fmt = {
        "name": "format",
        "in": "query",
        "schema": {"type": "string", "enum": ["geojson", "gpx"]},
        "description": "gpx: the line as a track, the stops as <wpt>",
    }
    PATHS["/api/featured"] = {
        "get": {
            "summary": "Published featured routes (staff: all=1 adds unpublished ones), lines left out",
            "operationId": "featuredRoutes",
            "parameters": [LANG, {"name": "all", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "FeatureCollection", **many}, "401": errs["401"], "403": errs["403"]},
        },
        "post": {
            "summary": "Save a planned tour or route (the Feature of /api/tour or /api/route) with name, "
            "names.id, description, descriptions.id, published (editor)",
            "operationId": "createFeaturedRoute",
            "requestBody": one,
            "responses": {
                "201": {"description": "Stored, with ETag", **one},
                **errs,
                **invalid,
                "413": error_response("The body is too large", ["RequestEntityTooLarge"]),
            },
        },
    }
    PATHS["/api/featured/{featured_id}"] = {
        "parameters": path_id,
        "get": {
            "summary": "One featured route (GeoJSON or GPX)",
            "operationId": "getFeaturedRoute",
            "parameters": [LANG, fmt],
            "responses": {
                "200": {
                    "description": "The route, with ETag",
                    "content": {**one["content"], "application/gpx+xml": {"schema": {"type": "string"}}},
                },
                "404": errs["404"],
            },
        },
        "patch": {
            "summary": "Change fields or the line (editor)",
            "operationId": "updateFeaturedRoute",
            "parameters": [if_match],
            "requestBody": one,
            "responses": {"200": {"description": "Saved, new ETag", **one}, **errs, **lock, **invalid},
        },
        "delete": {
            "summary": "Delete (admin)",
            "operationId": "deleteFeaturedRoute",
            "parameters": [if_match],
            "responses": {"204": {"description": "Deleted"}, **errs, **lock},
        },
    }
    PATHS["/api/featured/{featured_id}/history"] = {
        "parameters": path_id,
        "get": {
            "summary": "Every change: who, when, before, after (editor)",
            "operationId": "featuredHistory",
            "responses": {"200": {"description": "Changes"}, **errs},
        },
    }
    PATHS["/api/featured/{featured_id}/restore"] = {
        "parameters": path_id,
        "post": {
            "summary": 'Restore the values of an earlier version {"version": N} (admin)',
            "operationId": "restoreFeaturedRoute",
            "responses": {"200": {"description": "Restored as a new version", **one}, **errs, **lock},
        },
    }
    PATHS["/api/featured/session"] = {
        "get": {
            "summary": "Whether the browser has a staff session (and its CSRF token)",
            "operationId": "featuredSession",
            "responses": {"200": {"description": "{staff, name, role, csrf}"}},
        },
    }


_openapi()
