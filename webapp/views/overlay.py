"""Blueprint ``overlay``: ``GET /api/network?bbox=&zoom=``, the cycling network in view.

The map page draws the network from its own vector tiles when the built-in
base map is there (`webapp.views.basemap`, MapLibre). Without them (tilemaker
missing, ``BASEMAP=none``, a city's raster ``TILES_URL``, or a browser without
WebGL) ``static/js/overlay.js`` asks this endpoint for the part of the network
in view whenever the map moves: one MultiLineString per drawing class
(`webapp.netstyle.network_layers` of the segments whose box meets ``bbox``),
simplified to half a pixel at ``zoom``. A view that holds more than
`MAX_VIEW_SEGMENTS` segments gets the main classes first (pushed ways, then
quiet streets are left out; ``partial: true``), so that no answer grows with
the whole network.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from flask import Blueprint, current_app

from routes.overlay import segment_kinds

from ..destinations import parse_bbox
from ..errors import InvalidValueError
from ..http import geojson, query
from ..netstyle import SIMPLIFY_DEG, network_layers
from ..network import get_network
from ..openapi import BBOX, ERROR_RESPONSES, param

__all__ = ["MAX_VIEW_SEGMENTS", "OPENAPI_PATHS", "bp"]

bp = Blueprint("overlay", __name__, url_prefix="/api")

#: Most segments one answer draws.
MAX_VIEW_SEGMENTS = 30_000
#: Classes left out first when a view holds more segments than that.
_DROP_ORDER = ("push", "quiet")

_KEY = "bikemap.network_index"
_lock = threading.Lock()


def _index(net) -> tuple[np.ndarray, np.ndarray]:
    """Every segment's box (west, south, east, north: 4 x n degrees) and drawing class, made once per app.

    A plain array and one vectorised test per request (about 1 ms for 132k segments) answer
    exactly what an STRtree of the lines answered (the segments whose box meets the view),
    without the lines and the tree: about 80 MB on ``scale_200k`` in every worker (issue #19).
    """
    found = current_app.extensions.get(_KEY)
    if found is None or found[0] is not net:
        with _lock:
            found = current_app.extensions.get(_KEY)
            if found is None or found[0] is not net:
                start = np.asarray(net.offsets[:-1], dtype=np.int64)
                lon, lat = net.coords[:, 0], net.coords[:, 1]
                boxes = np.array(
                    [
                        np.minimum.reduceat(lon, start),
                        np.minimum.reduceat(lat, start),
                        np.maximum.reduceat(lon, start),
                        np.maximum.reduceat(lat, start),
                    ]
                )
                found = (net, boxes, segment_kinds(net))
                current_app.extensions[_KEY] = found
    return found[1], found[2]


def _zoom(text: str | None) -> int:
    try:
        zoom = int(text) if text not in (None, "") else 14
    except ValueError:
        raise InvalidValueError(f"zoom must be a whole number from 0 to 22, got {str(text)[:20]!r}") from None
    if not 0 <= zoom <= 22:
        raise InvalidValueError(f"zoom must be a whole number from 0 to 22, got {zoom}")
    return zoom


@bp.get("/network")
def api_network():
    q = query({"bbox", "zoom"}, required=("bbox",))
    w, s, e, n = parse_bbox(q["bbox"])
    zoom = _zoom(q.get("zoom"))
    net = get_network()
    boxes, kinds = _index(net)
    chosen = np.flatnonzero((boxes[0] <= e) & (boxes[2] >= w) & (boxes[1] <= n) & (boxes[3] >= s))
    chosen = chosen[kinds[chosen] != ""]
    partial = False
    for kind in _DROP_ORDER:
        if len(chosen) <= MAX_VIEW_SEGMENTS:
            break
        chosen, partial = chosen[kinds[chosen] != kind], True
    if len(chosen) > MAX_VIEW_SEGMENTS:  # the longest ones: the frame of the network
        chosen, partial = np.sort(chosen[np.argsort(-net.seg_length[chosen])[:MAX_VIEW_SEGMENTS]]), True
    half_pixel = 360.0 / (256 * 2**zoom) / 2
    layers = network_layers(net, segments=chosen, tolerance=max(SIMPLIFY_DEG, half_pixel), max_coords=10**9)
    resp = geojson({"type": "FeatureCollection", "partial": partial, "features": list(layers.values())})
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


OPENAPI_PATHS: dict[str, Any] = {
    "/api/network": {
        "get": {
            "summary": "The cycling network in a box, one simplified MultiLineString per drawing class",
            "description": (
                "What the map page draws when it has no vector tiles of the network. Classes: cycleway, quiet, "
                f"main, push. A box with more than {MAX_VIEW_SEGMENTS} segments leaves out pushed ways, then "
                "quiet streets (`partial: true`)."
            ),
            "operationId": "network",
            "parameters": [
                {**BBOX, "required": True, "description": "The box to draw: WEST,SOUTH,EAST,NORTH (degrees)"},
                param(
                    "zoom",
                    "Map zoom (Leaflet): the lines are simplified to half a pixel",
                    {"type": "integer", "minimum": 0, "maximum": 22, "default": 14},
                ),
            ],
            "responses": {
                "200": {
                    "description": "The network in the box",
                    "content": {"application/geo+json": {"schema": {"type": "object"}}},
                },
                **ERROR_RESPONSES,
            },
        }
    },
}
