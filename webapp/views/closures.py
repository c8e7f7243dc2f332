"""Blueprint ``closures``: road closures and hazards (``/api/closures``).

Visitors read the active ones; staff (editors) add and remove them, and see
ended and removed ones with ``?all=1``. Closures are versioned records
(`webapp.storage.closures`): every change has a history row.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from ..auth import require
from ..errors import InvalidFieldsError
from ..http import geojson, json_body, network_bounds, query
from ..network import get_network
from ..openapi import INVALID_FIELDS, staff_errors
from ..storage import get_session
from ..storage.closures import add_closure, all_closures, end_closure, on_street, public_closures
from ..storage.validation import clean_closure

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("closures", __name__, url_prefix="/api")


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        request.max_content_length = current_app.config["STAFF_MAX_BYTES"]


@bp.get("/closures")
def api_closures():
    """Active closures and hazards (GeoJSON); staff add ``?all=1`` for ended and removed ones too."""
    query({"all"})
    session = get_session()
    if request.args.get("all") and require("editor"):
        feats = [c.to_feature() for c in all_closures(session)]
    else:
        feats = public_closures(session)["features"]
    resp = geojson({"type": "FeatureCollection", "features": feats})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/closures")
def api_add_closure():
    user = require("editor")
    values = clean_closure(json_body(), bounds=network_bounds())
    if not on_street(get_network(), values["geometry"]):
        raise InvalidFieldsError(
            {"geometry": "draw the closure on a street of the map (nothing routable lies within 15 m of it)"}
        )
    row = add_closure(get_session(), values, user=user.name)
    return geojson(row.to_feature(), 201)


@bp.delete("/closures/<int:closure_id>")
def api_end_closure(closure_id: int):
    user = require("editor")
    end_closure(get_session(), closure_id, user=user.name)
    return Response(status=204)


_CLOSURE = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Closure"}}}}
_ERRS = staff_errors("No such closure")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/closures": {
        "get": {
            "summary": "Active road closures and hazards",
            "operationId": "closures",
            "responses": {"200": {"description": "FeatureCollection", **_CLOSURE}},
        },
        "post": {
            "summary": "Add a closure or hazard (editor); routing obeys it on the next request",
            "operationId": "createClosure",
            "requestBody": _CLOSURE,
            "responses": {"201": {"description": "Stored", **_CLOSURE}, **_ERRS, **INVALID_FIELDS},
        },
    },
    "/api/closures/{closure_id}": {
        "delete": {
            "summary": "Remove a closure (editor)",
            "operationId": "removeClosure",
            "parameters": [{"name": "closure_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Removed"}, **_ERRS},
        }
    },
}
