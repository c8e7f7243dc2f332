"""Schemas of the OpenAPI document (`webapp.openapi`): the bodies the API answers and reads."""

from __future__ import annotations

import copy
from typing import Any

from .storage.models import EDITABLE, FEATURED_EDITABLE

__all__ = ["SCHEMAS"]

_BASE: dict[str, Any] = {
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
                    "distance_m": {
                        "type": "number",
                        "nullable": True,
                        "description": "NoSegment: how far it is, in metres",
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "per field, what is wrong (422 InvalidFields)",
                    },
                    "rows": {
                        "type": "array",
                        "description": "every bad import row: {row, fields} (422 InvalidRows)",
                        "items": {"type": "object"},
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
                "nullable": True,
                "description": "null with overview=false",
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
                    "pushed_turns": {
                        "type": "integer",
                        "description": "turns a turn restriction forbids to bicycles, made on foot (pushing)",
                    },
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
                        "description": "turn-by-turn directions (absent with steps=false)",
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
_TOUR = {
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
_TOUR_DESTINATION = {
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
_STAFF_DESTINATION = {
    "type": "object",
    "description": "GeoJSON Feature of a destination (id, Point, properties with version)",
    "properties": {
        "type": {"type": "string"},
        "id": {"type": "integer"},
        "geometry": {"type": "object"},
        "properties": {"type": "object", "properties": {k: {} for k in (*EDITABLE, "version")}},
    },
}
_FEATURED_ROUTE = {
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
}


def _route_extras(route: dict[str, Any]) -> dict[str, Any]:
    """The Route schema with what alternatives, surfaces and moved points add (routes.alternatives, routes.surfaces)."""
    route = copy.deepcopy(route)
    props = route["properties"]["properties"]["properties"]
    props.update(
        surface_classes_m={
            "type": "object",
            "description": "metres paved, gravel, unpaved and unknown (routes.surfaces)",
            "properties": {k: {"type": "number"} for k in ("paved", "gravel", "unpaved", "unknown")},
        },
        longest_unpaved_m={"type": "number", "description": "longest run of gravel or unpaved in a row"},
        alternatives={
            "type": "array",
            "description": "with alternatives=N: the other routes (Route Features, no alternatives of their own)",
            "items": {"type": "object"},
        },
        alternative={"type": "integer", "description": "with alternatives=N: this route's number"},
        shared_pct={"type": "number", "description": "share of length in common with the best route"},
    )
    waypoint = props["waypoints"]["items"]["properties"]
    waypoint.setdefault("snapped_m", {"type": "number", "description": "metres from the point to its street"})
    waypoint.setdefault(
        "moved", {"type": "boolean", "description": "the point moved more than 50 m to a street that leads on"}
    )
    return route


#: Every schema of the document, by name.
SCHEMAS: dict[str, Any] = {
    **_BASE,
    "Route": _route_extras(_BASE["Route"]),
    "Tour": _TOUR,
    "TourDestination": _TOUR_DESTINATION,
    "StaffDestination": _STAFF_DESTINATION,
    "Closure": {
        "type": "object",
        "description": "GeoJSON Feature: Point or LineString; properties kind (closure|hazard), reason, ends_at",
    },
    "FeaturedRoute": _FEATURED_ROUTE,
}
