"""The OpenAPI 3 document of the JSON API (served at ``/api/openapi.json``).

Written as data; `openapi_document` adds the live profile names. Other
blueprints add their paths to `PATHS` (and schemas to `SCHEMAS`) at import.
"""

from __future__ import annotations

import copy
from typing import Any

from routes import profile_names, settings

__all__ = ["ERROR_RESPONSES", "PATHS", "SCHEMAS", "error_response", "openapi_document"]

LATLON = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$",
    "example": "60.1699,24.9384",
}


def _param(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
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
_BUSY = error_response("Busy with other long computations; try again after Retry-After seconds", ["Busy"])

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

LANG = _param(
    "lang",
    "Language of names and directions",
    {"type": "string", "enum": ["en", "id"], "default": "en"},
)
BBOX = _param(
    "bbox",
    "Only features inside WEST,SOUTH,EAST,NORTH (degrees)",
    {"type": "string", "example": "24.93,60.16,24.96,60.18"},
)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": [
                            "InvalidQuery",
                            "InvalidValue",
                            "NoSegment",
                            "NoRoute",
                            "TooBig",
                            "SourceError",
                            "FeedError",
                            "UnknownDestination",
                            "BudgetTooSmall",
                            "NotFound",
                            "MethodNotAllowed",
                            "BadRequest",
                            "RequestEntityTooLarge",
                            "UnsupportedMediaType",
                            "TooManyRows",
                            "InternalError",
                        ],
                    },
                    "message": {"type": "string"},
                    "point": {
                        "type": "string",
                        "description": "NoSegment: which point is too far from a street (from, to, via 2, start...)",
                    },
                },
            }
        },
    },
    "Instruction": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "distance_m": {"type": "number"},
        },
        "additionalProperties": True,
    },
    "Route": {
        "type": "object",
        "description": "A GeoJSON Feature: the same as `bikemap route --json`.",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["LineString"]},
                    "coordinates": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 2,
                            "maxItems": 3,
                        },
                    },
                },
            },
            "properties": {
                "type": "object",
                "properties": {
                    "profile": {"type": "string"},
                    "distance_m": {"type": "number"},
                    "duration_s": {"type": "number"},
                    "cost": {"type": "number"},
                    "highway_m": {
                        "type": "object",
                        "additionalProperties": {"type": "number"},
                        "description": "metres per OSM highway value",
                    },
                    "surface_m": {"type": "object", "additionalProperties": {"type": "number"}},
                    "cycle_infra_m": {
                        "type": "number",
                        "description": "metres on cycle paths, tracks or lanes",
                    },
                    "main_road_m": {
                        "type": "number",
                        "description": "metres on main roads without cycle infrastructure",
                    },
                    "push_m": {"type": "number", "description": "metres where the bike is pushed"},
                    "legs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "distance_m": {"type": "number"},
                                "duration_s": {"type": "number"},
                            },
                        },
                    },
                    "waypoints": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "role": {
                                    "type": "string",
                                    "description": "from, via, to; bike-share trips also pickup "
                                    "and dropoff (the stations)",
                                },
                                "input": {"type": "array", "items": {"type": "number"}},
                                "location": {"type": "array", "items": {"type": "number"}},
                                "distance_m": {"type": "number"},
                            },
                        },
                    },
                    "instructions": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Instruction"},
                    },
                },
                "additionalProperties": True,
            },
        },
    },
    "Destination": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string", "example": "node/60131839"},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string", "nullable": True},
                    "kind": {
                        "type": "string",
                        "enum": ["tourism", "historic", "leisure", "natural"],
                    },
                    "category": {"type": "string", "example": "museum"},
                    "description": {"type": "string", "nullable": True},
                    "website": {"type": "string", "nullable": True},
                    "wheelchair": {"type": "string", "nullable": True},
                    "osm_type": {"type": "string"},
                    "osm_id": {
                        "description": "OSM id: 'node/123' (staff database), or the number "
                        "with osm_type (without a database); null for staff-made destinations",
                        "anyOf": [{"type": "string"}, {"type": "integer"}],
                        "nullable": True,
                    },
                },
                "additionalProperties": True,
            },
        },
    },
    "Station": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string", "nullable": True},
                    "ref": {"type": "string", "nullable": True},
                    "capacity": {"type": "integer", "nullable": True},
                    "operator": {"type": "string", "nullable": True},
                    "network": {"type": "string", "nullable": True},
                    "osm_type": {"type": "string"},
                    "osm_id": {"type": "integer"},
                },
                "additionalProperties": True,
            },
        },
    },
    "Point": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 2,
                "maxItems": 2,
            },
        },
    },
    "Profile": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "mode": {"type": "string"},
            "description": {"type": "string"},
        },
    },
}


def _collection(ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": ref}},
        },
    }


PATHS: dict[str, Any] = {
    "/api/route": {
        "get": {
            "summary": "Plan a cycling route",
            "operationId": "route",
            "parameters": [
                _param("from", "Start point LAT,LON", LATLON, required=True),
                _param("to", "End point LAT,LON", LATLON, required=True),
                _param(
                    "via",
                    f"Via points in order, LAT,LON;LAT,LON;... (at most {settings.max_via}; "
                    "the parameter may also be repeated)",
                    {"type": "string"},
                ),
                _param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
                LANG,
                _param(
                    "format",
                    "geojson (default) or gpx (a GPX 1.1 download)",
                    {"type": "string", "enum": ["geojson", "json", "gpx"], "default": "geojson"},
                ),
                _param(
                    "mode",
                    "bike (default) or bikeshare: walk to a station with a bike, ride to one "
                    "with a free dock, walk on (no via points); properties.legs list the walk "
                    "and bike legs",
                    {"type": "string", "enum": ["bike", "bikeshare"], "default": "bike"},
                ),
                _param(
                    "names",
                    "Names of the points, in order from, vias, to, separated by '|' (empty: unnamed); "
                    "they name the waypoints of the Feature and the GPX",
                    {"type": "string", "maxLength": 5400},
                ),
            ],
            "responses": {
                "200": {
                    "description": "The route (format=gpx: a GPX 1.1 attachment)",
                    "content": {
                        "application/geo+json": {"schema": {"$ref": "#/components/schemas/Route"}},
                        "application/gpx+xml": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                **ERROR_RESPONSES,
                "422": error_response(
                    "A point is too far from any street, no legal route joins the points, or the route "
                    "needs more work than one request may use (webapp.cost)",
                    ["NoSegment", "NoRoute", "TooExpensive"],
                ),
                "503": _BUSY,
            },
        }
    },
    "/api/destinations": {
        "get": {
            "summary": "Tourist destinations",
            "operationId": "destinations",
            "parameters": [
                BBOX,
                _param(
                    "category",
                    "Comma-separated categories (museum, park...) or kinds (tourism, historic, leisure, natural)",
                    {"type": "string", "example": "museum,park"},
                ),
                LANG,
            ],
            "responses": {
                "200": {
                    "description": "Destinations",
                    "content": {"application/geo+json": {"schema": _collection("#/components/schemas/Destination")}},
                },
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/stations": {
        "get": {
            "summary": "Bike-share stations",
            "operationId": "stations",
            "parameters": [BBOX, LANG],
            "responses": {
                "200": {
                    "description": "Stations",
                    "content": {"application/geo+json": {"schema": _collection("#/components/schemas/Station")}},
                },
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/profiles": {
        "get": {
            "summary": "Cycling profiles",
            "operationId": "profiles",
            "responses": {
                "200": {
                    "description": "Profiles",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Profile"},
                            }
                        }
                    },
                },
                **ERROR_RESPONSES,
            },
        }
    },
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


SCHEMAS["Tour"] = {
    "type": "object",
    "description": "A GeoJSON Feature: the Route properties plus the tour's kind, order of stop ids, "
    "stops (with arrival times), timeline, total_s, start_time and timezone",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"$ref": "#/components/schemas/Route/properties/geometry"},
        "properties": {
            "type": "object",
            "properties": {
                "kind": {"type": "string"},
                "order": {"type": "array", "items": {"type": "string"}},
                "stops": {"type": "array", "items": {"type": "object"}},
                "total_s": {"type": "number"},
                "distance_m": {"type": "number"},
                "duration_s": {"type": "number"},
            },
            "additionalProperties": True,
        },
    },
}
SCHEMAS["TourDestination"] = {
    "type": "object",
    "required": ["id", "name", "category", "lat", "lon"],
    "properties": {
        "id": {"type": "string", "example": "osm:node/60131839"},
        "name": {"type": "string"},
        "category": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "visit_min": {"type": "number", "nullable": True},
        "opening_hours": {"type": "string", "nullable": True},
        "description": {"type": "string", "nullable": True},
    },
}

_TOUR_ERRORS = {
    **ERROR_RESPONSES,
    "400": error_response(
        "Bad query, unknown destination id, or a budget too small for any stop",
        ["InvalidQuery", "InvalidValue", "TooBig", "UnknownDestination", "BudgetTooSmall"],
    ),
    "422": error_response(
        "A point is too far from any street, no route joins the stops, or the tour needs more work than one "
        "request may use (webapp.cost)",
        ["NoSegment", "NoRoute", "TooExpensive"],
    ),
    "503": _BUSY,
}

PATHS["/api/tour"] = {
    "get": {
        "summary": "Plan a round tour (or one to an end point) through tourist destinations",
        "operationId": "tour",
        "parameters": [
            _param("start", "Start point LAT,LON", LATLON, required=True),
            _param("end", "End point LAT,LON (default: back to the start)", LATLON),
            _param(
                "stops",
                "Comma-separated destination ids (from /api/tour/destinations) to visit in the best order",
                {"type": "string"},
            ),
            _param(
                "budget_min",
                "Time budget in minutes (riding and visits): the best set of destinations that fits",
                {"type": "number"},
            ),
            _param("distance_km", "Length of a loop to ride (without stops)", {"type": "number"}),
            _param("interests", "Weights per category, e.g. museum:2,park:1", {"type": "string"}),
            _param("profile", "Cycling profile", {"type": "string", "default": "safe"}),
            LANG,
            _param("start_time", "Local start time YYYY-MM-DDTHH:MM (opening hours are checked)", {"type": "string"}),
            _param(
                "format",
                "geojson (default) or gpx",
                {"type": "string", "enum": ["geojson", "json", "gpx"], "default": "geojson"},
            ),
        ],
        "responses": {
            "200": {
                "description": "The tour (format=gpx: a GPX 1.1 attachment)",
                "content": {
                    "application/geo+json": {"schema": {"$ref": "#/components/schemas/Tour"}},
                    "application/gpx+xml": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            **_TOUR_ERRORS,
        },
    }
}
PATHS["/api/tour/destinations"] = {
    "get": {
        "summary": "Destinations a tour may visit (published ones)",
        "operationId": "tourDestinations",
        "parameters": [LANG],
        "responses": {
            "200": {
                "description": "Destinations",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/TourDestination"}}
                    }
                },
            },
            **ERROR_RESPONSES,
        },
    }
}
PATHS["/api/tour/categories"] = {
    "get": {
        "summary": "Destination categories with their labels and usual visit times",
        "operationId": "tourCategories",
        "parameters": [LANG],
        "responses": {
            "200": {
                "description": "Categories",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "label"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "label": {"type": "string"},
                                    "visit_min": {"type": "number", "nullable": True},
                                },
                            },
                        }
                    }
                },
            },
            **ERROR_RESPONSES,
        },
    }
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
                    _param(
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
                        ["InvalidValue", "InvalidText", "InvalidNumber"],
                    ),
                )
            for status, resp in responses.items():
                if status[0] in "45" and not resp.get("content"):
                    resp["content"] = copy.deepcopy(_ERROR_JSON)
            if "401" in responses and "security" not in op:
                public = "200" in responses and method == "get"
                op["security"] = [{}, {"bearerToken": []}] if public else [{"bearerToken": []}]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of every registered API path."""
    paths = copy.deepcopy(PATHS)
    for path in ("/api/route", "/api/tour"):
        for param in paths[path]["get"]["parameters"]:
            if param["name"] == "profile":
                param["schema"]["enum"] = profile_names()
    _complete(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "bikemap API",
            "version": "1.0.0",
            "description": "Cycling routes to tourist destinations on OpenStreetMap data. "
            'Every error is a 4xx JSON body {"error": {"code", "message"}}.',
            "license": {"name": "MIT"},
        },
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff API token ('bikemap user token NAME')",
                }
            },
        },
    }
