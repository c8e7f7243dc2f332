"""Blueprint ``featured``: tours and routes staff recommend to visitors (``/api/featured``).

Staff save a planned tour or route (the GeoJSON Feature of ``/api/tour`` or
``/api/route``) with a name and description in English and Bahasa Indonesia
and a published flag. Visitors see the published ones on the map page and
download them as GPX. Stored as versioned records (`webapp.storage.featured`)
with the destinations' rules: editors create, edit, publish; admins delete and
restore; ``ETag``/``If-Match`` guard every write. Who may do what: `webapp.auth`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import defer

from routes.errors import InvalidValueError

from ..auth import csrf_token, current_staff, require
from ..errors import InvalidFieldsError, NotFoundError
from ..http import GEOJSON, GPX, if_match_version, json_body, network_bounds, query, query_lang, record_response
from ..openapi import IF_MATCH, INVALID_FIELDS, LANG, LOCK_ERRORS, error_response, path_id, staff_errors
from ..storage import get_session
from ..storage.featured import FEATURED, clean_featured, featured_gpx, featured_to_feature
from ..storage.models import FeaturedRoute

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("featured", __name__, url_prefix="/api")


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        request.max_content_length = current_app.config["FEATURED_MAX_BYTES"]


def _answer(row: FeaturedRoute, status: int = 200, *, staff: bool = True) -> Response:
    feature = featured_to_feature(row, lang=query_lang(), staff=staff)
    location = f"/api/featured/{row.id}" if status == 201 else None
    return record_response(feature, row.etag, status=status, location=location)


@bp.get("/featured")
def api_list():
    """Published featured routes (staff: ``?all=1`` adds unpublished ones), without their lines."""
    q = query({"lang", "all"})
    lang = query_lang(q)
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
    values = clean_featured(json_body(), bounds=network_bounds())
    row = FEATURED.add(get_session(), FeaturedRoute(**values), user=user.name)
    return _answer(row, 201)


@bp.get("/featured/session")
def api_session():
    """Whether this browser is logged in to the staff UI (the map then offers "save as featured")."""
    query(set())
    user = current_staff()
    body: dict[str, Any] = {"staff": user is not None and user.can("editor")}
    if body["staff"]:
        body["name"], body["role"] = user.name, user.role
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
    row = FEATURED.get(get_session(), featured_id)
    staff = current_staff() is not None
    if not row.published and not staff:
        raise NotFoundError(f"no featured route with id {featured_id}")
    if fmt == "gpx":
        name = re.sub(r"[^A-Za-z0-9]+", "-", row.name).strip("-").lower()[:60] or "route"
        disposition = f'attachment; filename="bikemap-featured-{row.id}-{name}.gpx"'
        return Response(
            featured_gpx(row, lang=query_lang()),
            mimetype=GPX,
            headers={"Content-Disposition": disposition, "ETag": row.etag},
        )
    return _answer(row, staff=staff)


@bp.patch("/featured/<int:featured_id>")
def api_update(featured_id: int):
    user = require("editor")
    version = if_match_version(featured_id, "featured route")
    session = get_session()
    row = FEATURED.get(session, featured_id)
    values = clean_featured(json_body(), current=row.values(), bounds=network_bounds())
    row = FEATURED.update(session, row, version, values, user=user.name)
    return _answer(row)


@bp.delete("/featured/<int:featured_id>")
def api_delete(featured_id: int):
    user = require("admin")
    version = if_match_version(featured_id, "featured route")
    session = get_session()
    FEATURED.remove(session, featured_id, version, user=user.name)
    return Response(status=204)


@bp.get("/featured/<int:featured_id>/history")
def api_history(featured_id: int):
    require("editor")
    session = get_session()
    FEATURED.get(session, featured_id, include_deleted=True)
    changes = [h.to_json() for h in FEATURED.history(session, featured_id)]
    return jsonify({"featured_id": featured_id, "changes": changes})


@bp.post("/featured/<int:featured_id>/restore")
def api_restore(featured_id: int):
    """Bring back the values of an earlier version (also undeletes); admins only."""
    user = require("admin")
    to = json_body().get("version")
    if not isinstance(to, int) or isinstance(to, bool):
        raise InvalidFieldsError({"version": "name the version to restore (a number from the history)"})
    session = get_session()
    row = FEATURED.get(session, featured_id, include_deleted=True)
    current = (
        row.version
        if row.deleted and not request.headers.get("If-Match")
        else if_match_version(featured_id, "featured route")
    )
    row = FEATURED.restore(session, featured_id, current, to, user=user.name)
    return _answer(row)


_ONE = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/FeaturedRoute"}}}}
_REF = {"$ref": "#/components/schemas/FeaturedRoute"}
_MANY = {
    "content": {
        "application/geo+json": {
            "schema": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "features": {"type": "array", "items": _REF}},
            }
        }
    }
}
_ERRS = staff_errors("No such featured route (unpublished ones: staff only)")
_FORMAT = {
    "name": "format",
    "in": "query",
    "schema": {"type": "string", "enum": ["geojson", "gpx"]},
    "description": "gpx: the line as a track, the stops as <wpt>",
}
OPENAPI_PATHS: dict[str, Any] = {
    "/api/featured": {
        "get": {
            "summary": "Published featured routes (staff: all=1 adds unpublished ones), lines left out",
            "operationId": "featuredRoutes",
            "parameters": [LANG, {"name": "all", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "FeatureCollection", **_MANY},
                "401": _ERRS["401"],
                "403": _ERRS["403"],
            },
        },
        "post": {
            "summary": "Save a planned tour or route (the Feature of /api/tour or /api/route) with name, "
            "names.id, description, descriptions.id, published (editor)",
            "operationId": "createFeaturedRoute",
            "requestBody": _ONE,
            "responses": {
                "201": {"description": "Stored, with ETag", **_ONE},
                **_ERRS,
                **INVALID_FIELDS,
                "413": error_response("The body is too large", ["RequestEntityTooLarge"]),
            },
        },
    },
    "/api/featured/{featured_id}": {
        "parameters": path_id("featured_id"),
        "get": {
            "summary": "One featured route (GeoJSON or GPX)",
            "operationId": "getFeaturedRoute",
            "parameters": [LANG, _FORMAT],
            "responses": {
                "200": {
                    "description": "The route, with ETag",
                    "content": {**_ONE["content"], "application/gpx+xml": {"schema": {"type": "string"}}},
                },
                "404": _ERRS["404"],
            },
        },
        "patch": {
            "summary": "Change fields or the line (editor)",
            "operationId": "updateFeaturedRoute",
            "parameters": [IF_MATCH],
            "requestBody": _ONE,
            "responses": {"200": {"description": "Saved, new ETag", **_ONE}, **_ERRS, **LOCK_ERRORS, **INVALID_FIELDS},
        },
        "delete": {
            "summary": "Delete (admin)",
            "operationId": "deleteFeaturedRoute",
            "parameters": [IF_MATCH],
            "responses": {"204": {"description": "Deleted"}, **_ERRS, **LOCK_ERRORS},
        },
    },
    "/api/featured/{featured_id}/history": {
        "parameters": path_id("featured_id"),
        "get": {
            "summary": "Every change: who, when, before, after (editor)",
            "operationId": "featuredHistory",
            "responses": {"200": {"description": "Changes"}, **_ERRS},
        },
    },
    "/api/featured/{featured_id}/restore": {
        "parameters": path_id("featured_id"),
        "post": {
            "summary": 'Restore the values of an earlier version {"version": N} (admin)',
            "operationId": "restoreFeaturedRoute",
            "responses": {"200": {"description": "Restored as a new version", **_ONE}, **_ERRS, **LOCK_ERRORS},
        },
    },
    "/api/featured/session": {
        "get": {
            "summary": "Whether the browser has a staff session (and its CSRF token)",
            "operationId": "featuredSession",
            "responses": {"200": {"description": "{staff, name, role, csrf}"}},
        },
    },
}
