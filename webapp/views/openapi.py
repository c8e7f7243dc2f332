"""Blueprint ``openapi``: ``GET /api/openapi.json``, the document `webapp.openapi` built at start-up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..http import query
from ..openapi import ERROR_RESPONSES, openapi_document

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("openapi", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def api_openapi():
    query(set())
    return jsonify(openapi_document())


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
