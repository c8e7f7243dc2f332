"""The OpenAPI 3 document of the JSON API (served at ``/api/openapi.json``), built at start-up.

Each view module documents its own paths as data, in a module constant
``OPENAPI_PATHS`` next to the views. `init_app` runs after every blueprint is
registered: it collects the paths of the registered blueprints' modules, adds
what holds for every operation (`_complete`), the live profile names and the
error codes of `webapp.errors.STATUS`, and keeps the document in the app. Nothing
is changed when a module is imported. Shared pieces (parameters, error
responses) are here; schemas are in `webapp.openapi_schemas`.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from flask import Flask, current_app

from routes import profile_names

from .errors import STATUS

__all__ = [
    "BBOX",
    "ERROR_RESPONSES",
    "IF_MATCH",
    "INVALID_FIELDS",
    "LOCK_ERRORS",
    "LANG",
    "LATLON",
    "collection",
    "error_response",
    "init_app",
    "openapi_document",
    "param",
    "path_id",
    "staff_errors",
]

LATLON = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$",
    "example": "60.1699,24.9384",
}


def param(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def error_response(description: str, codes: list[str]) -> dict[str, Any]:
    """An OpenAPI response of the error body with the given codes."""
    return {
        "description": f"{description} (error codes: {', '.join(codes)})",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


#: Expensive requests beyond the process's slots (webapp.cost): try again after Retry-After seconds.
BUSY = error_response("Busy with other long computations; try again after Retry-After seconds", ["Busy"])

#: Expensive requests beyond one client's share (webapp.cost, COST_LIMIT_CLIENT).
TOO_MANY = error_response(
    "Too many expensive requests from this address; try again after Retry-After seconds", ["TooManyRequests"]
)

#: Error responses shared by the endpoints.
ERROR_RESPONSES = {
    "400": error_response(
        "Bad query: missing, repeated or unknown parameter, or a value that cannot be used",
        ["InvalidQuery", "InvalidValue", "TooBig"],
    ),
    "404": error_response("No such path", ["NotFound"]),
    "405": error_response("Method not allowed (only GET)", ["MethodNotAllowed"]),
    "500": error_response("A bug in bikemap (logged on the server; no detail is sent)", ["InternalError"]),
}

LANG = param(
    "lang",
    "Language of names and directions",
    {"type": "string", "enum": ["en", "id"], "default": "en"},
)
BBOX = param(
    "bbox",
    "Only features inside WEST,SOUTH,EAST,NORTH (degrees)",
    {"type": "string", "example": "24.93,60.16,24.96,60.18"},
)


def staff_errors(missing: str) -> dict[str, Any]:
    """401, 403 and 404 of a staff operation (``missing``: what the 404 says is not there)."""
    return {
        "401": error_response("No or bad API token", ["Unauthorized"]),
        "403": error_response("The role does not allow this", ["Forbidden", "CSRF"]),
        "404": error_response(missing, ["NotFound"]),
    }


#: Answers of a write guarded by ``If-Match``.
LOCK_ERRORS = {
    "412": error_response("The If-Match ETag is stale; nothing changed", ["PreconditionFailed"]),
    "428": error_response("If-Match is missing", ["PreconditionRequired"]),
}
#: The answer to stored values that break a rule.
INVALID_FIELDS = {"422": error_response("Values that cannot be stored (see error.fields)", ["InvalidFields"])}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "the ETag of the version you edited",
}


def path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]


def collection(ref: str) -> dict[str, Any]:
    """Schema of a FeatureCollection of ``ref`` Features."""
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": ref}},
        },
    }


_METHODS = ("get", "put", "post", "delete", "patch")
_BAD_REQUEST = error_response(
    "Bad request: missing, repeated or unknown parameter, a value that cannot be used, a body "
    "that is not the expected JSON or file",
    ["InvalidQuery", "InvalidValue", "TooBig", "InvalidJSON", "InvalidFile", "BadRequest"],
)
_TOO_LARGE = error_response(
    "The body is larger than the limit of the endpoint", ["RequestEntityTooLarge", "TooManyRows"]
)
_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": schema}}


_CHANGE = {
    "type": "object",
    "required": ["version", "action", "who", "when"],
    "properties": {
        "id": {"type": "integer"},
        "version": {"type": "integer"},
        "action": {"type": "string"},
        "who": {"type": "string", "nullable": True},
        "when": {"type": "string"},
        "before": {"type": "object", "nullable": True},
        "after": {"type": "object", "nullable": True},
    },
}
_CLOSURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"type": "string", "enum": ["Point", "LineString"]},
                "coordinates": {"type": "array"},
            },
        },
        "properties": {
            "type": "object",
            "required": ["kind", "reason"],
            "properties": {
                "kind": {"type": "string", "enum": ["closure", "hazard"]},
                "reason": {"type": "string"},
                "ends_at": {"type": "string", "nullable": True},
            },
        },
    },
}
_COLLECTION: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": {"type": "array"}},
}

#: Bodies of answers (and requests) the path modules left undescribed, by operationId and status.
_RESPONSE_CONTENT: dict[tuple[str, str], dict[str, Any]] = {
    ("destinationHistory", "200"): _json(
        {
            "type": "object",
            "required": ["destination_id", "changes"],
            "properties": {"destination_id": {"type": "integer"}, "changes": {"type": "array", "items": _CHANGE}},
        }
    ),
    ("featuredHistory", "200"): _json(
        {
            "type": "object",
            "required": ["featured_id", "changes"],
            "properties": {"featured_id": {"type": "integer"}, "changes": {"type": "array", "items": _CHANGE}},
        }
    ),
    ("exportDestinations", "200"): {
        "text/csv": {"schema": {"type": "string"}},
        "application/geo+json": {"schema": _COLLECTION},
    },
    ("importDestinations", "200"): _json(
        {
            "type": "object",
            "required": ["created", "updated", "rows"],
            "properties": {k: {"type": "integer", "minimum": 0} for k in ("created", "updated", "rows")},
        }
    ),
    ("featuredSession", "200"): _json(
        {
            "type": "object",
            "required": ["staff"],
            "properties": {
                "staff": {"type": "boolean"},
                "name": {"type": "string"},
                "role": {"type": "string"},
                "csrf": {"type": "string"},
            },
        }
    ),
    ("closures", "200"): _json(
        {**_COLLECTION, "properties": {**_COLLECTION["properties"], "features": {"type": "array", "items": _CLOSURE}}},
        "application/geo+json",
    ),
    ("createClosure", "201"): _json(_CLOSURE, "application/geo+json"),
}
_REQUEST_BODIES: dict[str, dict[str, Any]] = {
    "importDestinations": {
        "required": True,
        "description": "A GeoJSON FeatureCollection, a CSV file "
        "(columns of the export) or a GPX file (its waypoints), or a form upload 'file'",
        "content": {
            "application/geo+json": {"schema": _COLLECTION},
            "text/csv": {"schema": {"type": "string"}},
            "application/gpx+xml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    },
    "restoreDestination": {
        "required": True,
        "content": _json({"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}),
    },
    "restoreFeaturedRoute": {
        "required": True,
        "content": _json({"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}),
    },
}


def _complete(paths: dict[str, Any]) -> None:
    """What holds for every operation, added where a path's author left it out.

    Every operation can answer 400 (a bad query or body) and 500; one with a
    body 413; one that answers 401 needs a Bearer token (its ``security``;
    operations that are public but show staff more take the token optionally).
    Error bodies are always the Error schema.
    """
    for item in paths.values():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            for (op_id, status), content in _RESPONSE_CONTENT.items():
                if op.get("operationId") == op_id and status in responses:
                    responses[status] = {**responses[status], "content": copy.deepcopy(content)}
            if op.get("operationId") in _REQUEST_BODIES and "requestBody" not in op:
                op["requestBody"] = copy.deepcopy(_REQUEST_BODIES[op["operationId"]])
            if op.get("operationId") == "importDestinations" and not op.get("parameters"):
                op["parameters"] = [
                    param(
                        "format",
                        "geojson, csv or gpx (default: from the Content-Type or "
                        "the uploaded file's name, else geojson)",
                        {"type": "string", "enum": ["geojson", "json", "csv", "gpx"]},
                    )
                ]
            responses.setdefault("400", copy.deepcopy(_BAD_REQUEST))
            responses.setdefault("500", copy.deepcopy(ERROR_RESPONSES["500"]))
            if method in ("post", "put", "patch") or "requestBody" in op:
                responses.setdefault("413", copy.deepcopy(_TOO_LARGE))
                responses.setdefault(
                    "422",
                    error_response(
                        "Values that cannot be stored (see error.fields; lone surrogates, numbers beyond 64 bits)",
                        ["InvalidFields", "InvalidText", "InvalidNumber"],
                    ),
                )
            for status, resp in responses.items():
                if status[0] in "45" and not resp.get("content"):
                    resp["content"] = copy.deepcopy(_ERROR_JSON)
            if "401" in responses and "security" not in op:
                public = "200" in responses and method == "get"
                op["security"] = [{}, {"bearerToken": []}] if public else [{"bearerToken": []}]


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every path the app's registered blueprints document."""
    from .openapi_schemas import SCHEMAS

    paths: dict[str, Any] = {}
    for bp in app.blueprints.values():
        for path, item in getattr(sys.modules[bp.import_name], "OPENAPI_PATHS", {}).items():
            merged = paths.setdefault(path, {})
            for key, value in copy.deepcopy(item).items():
                if key in merged and key != "parameters":
                    raise ValueError(f"OpenAPI: {key.upper()} {path} is documented twice")
                merged[key] = value
    for path in ("/api/route", "/api/tour"):
        for param_ in paths.get(path, {}).get("get", {}).get("parameters", []):
            if param_["name"] == "profile":
                param_["schema"]["enum"] = profile_names()
    _complete(paths)
    schemas = copy.deepcopy(SCHEMAS)
    for bp in app.blueprints.values():
        schemas.update(copy.deepcopy(getattr(sys.modules[bp.import_name], "OPENAPI_SCHEMAS", {})))
    codes = schemas["Error"]["properties"]["error"]["properties"]["code"]
    codes["enum"] = sorted(set(codes["enum"]) | set(STATUS))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "bikemap API",
            "version": "1.0.0",
            "description": "Cycling routes to tourist destinations on OpenStreetMap data. "
            'Every error is a 4xx JSON body {"error": {"code", "message"}}.',
            "license": {"name": "MIT"},
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff API token ('bikemap user token NAME')",
                }
            },
        },
    }


def init_app(app: Flask) -> None:
    """Build the document once every blueprint is registered (call last in the factory)."""
    app.extensions["bikemap.openapi"] = build(app)


def openapi_document() -> dict[str, Any]:
    """The current app's document."""
    return current_app.extensions["bikemap.openapi"]
