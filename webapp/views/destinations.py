"""Blueprint ``destinations``: the public layer and the staff's destination API (``/api/destinations``).

Visitors: ``GET /api/destinations`` (published ones, a FeatureCollection). Staff
(`webapp.auth`: Bearer token, or the staff UI's session and its CSRF token):
create, read, change, delete, history, restore, import and export. Every write
goes through `webapp.storage.destinations`; answers carry ``ETag: "ID.VERSION"``
and writes need ``If-Match`` (none: 428; stale: 412, nothing changed).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..auth import current_staff, require
from ..destinations import feature_collection, filter_features, parse_bbox
from ..errors import InvalidFieldsError, NotFoundError
from ..http import geojson, if_match_version, json_body, network_bounds, query, query_lang, record_response
from ..openapi import (
    BBOX,
    ERROR_RESPONSES,
    IF_MATCH,
    INVALID_FIELDS,
    LANG,
    LOCK_ERRORS,
    collection,
    error_response,
    param,
    path_id,
    staff_errors,
)
from ..storage import get_session
from ..storage.destinations import (
    create_destination,
    delete_destination,
    get_destination,
    history,
    restore_destination,
    update_destination,
)
from ..storage.layer import published_features
from ..storage.models import Destination
from ..storage.transfer import export_destinations, feature_values, import_destinations, import_format

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("destinations", __name__, url_prefix="/api")


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        key = "IMPORT_MAX_BYTES" if request.endpoint == "destinations.api_import" else "STAFF_MAX_BYTES"
        request.max_content_length = current_app.config[key]


def _categories(text: str | None) -> set[str] | None:
    cats = {c.strip().lower() for c in (text or "").split(",") if c.strip()}
    return cats or None


@bp.get("/destinations")
def api_destinations():
    q = query({"bbox", "category", "lang"})
    lang = query_lang(q)
    bbox = parse_bbox(q["bbox"]) if q.get("bbox") else None
    feats = published_features(get_session(), lang=lang)
    return geojson(feature_collection(filter_features(feats, bbox=bbox, categories=_categories(q.get("category")))))


def _answer(row: Destination, status: int = 200) -> Response:
    location = f"/api/destinations/{row.id}" if status == 201 else None
    return record_response(row.to_feature(), row.etag, status=status, location=location)


@bp.post("/destinations")
def api_create():
    user = require("editor")
    row = create_destination(get_session(), feature_values(json_body()), user=user.name, bounds=network_bounds())
    return _answer(row, 201)


@bp.get("/destinations/<int:dest_id>")
def api_get(dest_id: int):
    row = get_destination(get_session(), dest_id)
    if current_staff() is not None:
        return _answer(row)
    if not row.published:
        raise NotFoundError(f"no destination with id {dest_id}")
    feature = row.to_feature()
    feature["properties"].pop("updated_by", None)  # staff names stay among staff
    return record_response(feature, row.etag)


@bp.patch("/destinations/<int:dest_id>")
def api_update(dest_id: int):
    user = require("editor")
    version = if_match_version(dest_id, "destination")
    data = feature_values(json_body())
    return _answer(update_destination(get_session(), dest_id, version, data, user=user.name, bounds=network_bounds()))


@bp.delete("/destinations/<int:dest_id>")
def api_delete(dest_id: int):
    user = require("admin")
    delete_destination(get_session(), dest_id, if_match_version(dest_id, "destination"), user=user.name)
    return Response(status=204)


@bp.get("/destinations/<int:dest_id>/history")
def api_history(dest_id: int):
    require("editor")
    session = get_session()
    get_destination(session, dest_id, include_deleted=True)
    return jsonify({"destination_id": dest_id, "changes": [h.to_json() for h in history(session, dest_id)]})


@bp.post("/destinations/<int:dest_id>/restore")
def api_restore(dest_id: int):
    user = require("admin")
    to = json_body().get("version")
    if not isinstance(to, int) or isinstance(to, bool):
        raise InvalidFieldsError({"version": "name the version to restore (a number from the history)"})
    session = get_session()
    row = get_destination(session, dest_id, include_deleted=True)
    # a deleted destination has no ETag to GET; If-Match is optional then, but checked when sent
    sent = request.headers.get("If-Match")
    current = if_match_version(dest_id, "destination") if sent or not row.deleted else row.version
    return _answer(restore_destination(session, dest_id, current, to, user=user.name))


@bp.get("/destinations/export")
def api_export():
    require("editor")
    body, mimetype, ext = export_destinations(get_session(), request.args.get("format", "geojson"))
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="destinations.{ext}"', "Cache-Control": "no-store"},
    )


@bp.post("/destinations/import")
def api_import():
    """Import a GeoJSON FeatureCollection, CSV or GPX file: every row or nothing."""
    user = require("editor")
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    raw = upload.read() if upload is not None else request.get_data()
    fmt = import_format(request.args.get("format"), (upload.filename if upload else "") or "", request.mimetype)
    counts = import_destinations(
        get_session(),
        raw,
        fmt,
        user=user.name,
        bounds=network_bounds(),
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )
    return jsonify(counts)


_DEST = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/StaffDestination"}}}}
_ERRS = staff_errors("No such destination")
_PUBLIC = {
    "/api/destinations": {
        "get": {
            "summary": "Tourist destinations",
            "operationId": "destinations",
            "parameters": [
                BBOX,
                param(
                    "category",
                    "Comma-separated categories (museum, park...) or kinds (tourism, historic, leisure, natural)",
                    {"type": "string", "example": "museum,park"},
                ),
                LANG,
            ],
            "responses": {
                "200": {
                    "description": "Destinations",
                    "content": {"application/geo+json": {"schema": collection("#/components/schemas/Destination")}},
                },
                **ERROR_RESPONSES,
            },
        }
    },
}
_ONE = {
    "parameters": path_id("dest_id"),
    "get": {
        "summary": "One destination (unpublished ones only for staff)",
        "operationId": "getDestination",
        "responses": {"200": {"description": "The destination, with ETag", **_DEST}, "404": _ERRS["404"]},
    },
    "patch": {
        "summary": "Change fields (editor); partial Feature",
        "operationId": "updateDestination",
        "parameters": [IF_MATCH],
        "requestBody": _DEST,
        "responses": {"200": {"description": "Saved, new ETag", **_DEST}, **_ERRS, **LOCK_ERRORS, **INVALID_FIELDS},
    },
    "delete": {
        "summary": "Delete (admin)",
        "operationId": "deleteDestination",
        "parameters": [IF_MATCH],
        "responses": {"204": {"description": "Deleted"}, **_ERRS, **LOCK_ERRORS},
    },
}
_HISTORY = {
    "parameters": path_id("dest_id"),
    "get": {
        "summary": "Every change: who, when, before, after (editor)",
        "operationId": "destinationHistory",
        "responses": {"200": {"description": "Changes"}, **_ERRS},
    },
}
_RESTORE = {
    "parameters": path_id("dest_id"),
    "post": {
        "summary": 'Restore the values of an earlier version {"version": N} (admin)',
        "operationId": "restoreDestination",
        "responses": {
            "200": {"description": "Restored as a new version", **_DEST},
            **_ERRS,
            **LOCK_ERRORS,
        },
    },
}
_EXPORT = {
    "get": {
        "summary": "All destinations as GeoJSON or CSV (editor)",
        "operationId": "exportDestinations",
        "parameters": [
            {
                "name": "format",
                "in": "query",
                "schema": {"type": "string", "enum": ["geojson", "csv"]},
            }
        ],
        "responses": {"200": {"description": "A file"}, **_ERRS},
    }
}
_IMPORT = {
    "post": {
        "summary": "Import a GeoJSON FeatureCollection or CSV: all rows or nothing (editor)",
        "operationId": "importDestinations",
        "responses": {
            "200": {"description": "Counts of created and updated rows"},
            **_ERRS,
            "413": error_response("The file is too large", ["RequestEntityTooLarge"]),
            "422": error_response("Rows with problems, by number; nothing imported", ["InvalidRows"]),
        },
    }
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/destinations": {
        **_PUBLIC["/api/destinations"],
        "post": {
            "summary": "Add a destination (editor)",
            "operationId": "createDestination",
            "requestBody": _DEST,
            "responses": {"201": {"description": "Stored, with ETag", **_DEST}, **_ERRS, **INVALID_FIELDS},
        },
    },
    "/api/destinations/{dest_id}": _ONE,
    "/api/destinations/{dest_id}/history": _HISTORY,
    "/api/destinations/{dest_id}/restore": _RESTORE,
    "/api/destinations/export": _EXPORT,
    "/api/destinations/import": _IMPORT,
}
