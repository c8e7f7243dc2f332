"""Blueprint ``openapi``: ``GET /api/openapi.json``, the document `webapp.openapi` built at start-up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..compress import cached_response, packed
from ..http import query
from ..openapi import ERROR_RESPONSES, openapi_document

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("openapi", __name__, url_prefix="/api")
_KEY = "bikemap.openapi_packed"


@bp.get("/openapi.json")
def api_openapi():
    query(set())
    doc = current_app.extensions.get(_KEY)
    if doc is None:  # built at start-up and never changed: serialised and compressed once
        text = current_app.json.dumps(openapi_document()).encode()
        doc = current_app.extensions[_KEY] = packed(text, "application/json")
    return cached_response(doc, cache_control="no-cache")


OPENAPI_PATHS: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "operationId": "openapi",
            "responses": {
                "200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}},
                **ERROR_RESPONSES,
            },
        }
    },
}
