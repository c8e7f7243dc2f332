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


def _param(
    name: str, description: str, schema: dict[str, Any], *, required: bool = False
) -> dict[str, Any]:
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


#: Error responses shared by the endpoints.
ERROR_RESPONSES = {
    "400": error_response(
        "Bad query: missing, repeated or unknown parameter, or a value that cannot be used",
        ["InvalidQuery", "InvalidValue", "TooBig"],
    ),
    "404": error_response("No such path", ["NotFound"]),
    "405": error_response("Method not allowed (only GET)", ["MethodNotAllowed"]),
    "500": error_response(
        "A bug in bikemap (logged on the server; no detail is sent)", ["InternalError"]
    ),
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
                            "NotFound",
                            "MethodNotAllowed",
                            "InternalError",
                        ],
                    },
                    "message": {"type": "string"},
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
                                "role": {"type": "string", "enum": ["from", "via", "to"]},
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
                    "osm_id": {"type": "integer"},
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
                    "A point is too far from any street, or no legal route joins the points",
                    ["NoSegment", "NoRoute"],
                ),
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
                    "Comma-separated categories (museum, park...) or kinds (tourism, historic, "
                    "leisure, natural)",
                    {"type": "string", "example": "museum,park"},
                ),
                LANG,
            ],
            "responses": {
                "200": {
                    "description": "Destinations",
                    "content": {
                        "application/geo+json": {
                            "schema": _collection("#/components/schemas/Destination")
                        }
                    },
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
                    "content": {
                        "application/geo+json": {
                            "schema": _collection("#/components/schemas/Station")
                        }
                    },
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


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of every registered API path."""
    paths = copy.deepcopy(PATHS)
    for param in paths["/api/route"]["get"]["parameters"]:
        if param["name"] == "profile":
            param["schema"]["enum"] = profile_names()
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
        "components": {"schemas": copy.deepcopy(SCHEMAS)},
    }
