"""Blueprint ``stations``: ``GET /api/stations``, the bike-share stations.

One answer shape whether or not a GBFS feed is set: a FeatureCollection of
Points whose properties are those of the Station schema (``id``, ``name``,
``capacity``, and from a live feed ``bikes``, ``docks``, ``stale``...). Without a
feed the stations come from OpenStreetMap (`webapp.bikeshare.stations_collection`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..bikeshare import stations_collection
from ..destinations import parse_bbox
from ..http import geojson, query, query_lang
from ..network import get_network
from ..openapi import BBOX, ERROR_RESPONSES, LANG, collection

__all__ = ["OPENAPI_PATHS", "bp"]

bp = Blueprint("stations", __name__, url_prefix="/api")


@bp.get("/stations")
def api_stations():
    q = query({"bbox", "lang"})
    query_lang(q)
    bbox = parse_bbox(q["bbox"]) if q.get("bbox") else None
    return geojson(stations_collection(get_network(), bbox=bbox))


OPENAPI_PATHS: dict[str, Any] = {
    "/api/stations": {
        "get": {
            "summary": "Bike-share stations",
            "operationId": "stations",
            "parameters": [BBOX, LANG],
            "responses": {
                "200": {
                    "description": "Stations",
                    "content": {"application/geo+json": {"schema": collection("#/components/schemas/Station")}},
                },
                **ERROR_RESPONSES,
            },
        }
    },
}
