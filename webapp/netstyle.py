"""How the cycling network is drawn: each street class's style, and its simplified geometry.

`NETWORK_STYLES` is the one table of colours (the map page's legend, the base
map's network layers, the staff map); `network_layers` draws a network's
segments (all, or the ones in view) as one simplified GeoJSON MultiLineString per
class. Neither needs Folium: a server that has not built its map page yet has
not imported it (issue #19; `webapp.mapview` is the page's Folium frame).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from routes import Network
from routes.overlay import segment_kinds

__all__ = ["MAX_DRAWN_COORDS", "MAX_SIMPLIFY_DEG", "NETWORK_STYLES", "SIMPLIFY_DEG", "network_layers"]

#: Style of each street class (Leaflet path options); the panel legend uses the same colours.
NETWORK_STYLES: dict[str, dict[str, Any]] = {
    "cycleway": {"color": "#1a9850", "weight": 3.5, "opacity": 0.9},
    "quiet": {"color": "#4575b4", "weight": 2.5, "opacity": 0.75},
    "main": {"color": "#d73027", "weight": 3.5, "opacity": 0.85},
    "push": {"color": "#7f7f7f", "weight": 1.5, "opacity": 0.8, "dashArray": "4 4"},
}

#: Tolerance of the drawn network's simplification, in degrees (~1 m).
SIMPLIFY_DEG = 1e-5

#: Most points of the drawn network before it is simplified harder (about 10 bytes each).
MAX_DRAWN_COORDS = 20_000

#: Coarsest simplification of the drawn network, in degrees (~8 m): still on the right street.
MAX_SIMPLIFY_DEG = 8e-5


def network_layers(
    net: Network,
    *,
    tolerance: float = SIMPLIFY_DEG,
    max_coords: int = MAX_DRAWN_COORDS,
    segments: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """One GeoJSON Feature (MultiLineString, simplified and merged) per drawing class.

    The simplification tolerance starts at ``tolerance`` and doubles (up to
    `MAX_SIMPLIFY_DEG`) while the drawing has more than ``max_coords`` points,
    so a whole region stays a page a phone can load. ``segments`` (indices)
    draws only those segments (the ones in view), else all.
    """
    kinds = segment_kinds(net)
    counts = np.diff(net.offsets)
    if segments is None:
        segments = np.arange(net.n_segments)
    segments = np.asarray(segments, dtype=np.int64)
    lens = counts[segments]
    first = np.repeat(net.offsets[segments] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    points = net.coords[first + np.arange(int(lens.sum()))]
    index = np.repeat(np.arange(len(segments)), lens)
    lines = shapely.linestrings(points, indices=index) if len(lens) else np.array([])
    kinds = kinds[segments]
    merged = {}
    for kind in NETWORK_STYLES:
        chosen = lines[kinds == kind]
        if len(chosen):
            merged[kind] = shapely.line_merge(shapely.multilinestrings(chosen))
    while True:
        simple = {k: shapely.simplify(g, tolerance, preserve_topology=False) for k, g in merged.items()}
        total = sum(int(shapely.get_num_coordinates(g)) for g in simple.values())
        if total <= max_coords or tolerance * 2 > MAX_SIMPLIFY_DEG:
            break
        tolerance *= 2
    out = {}
    for kind, geom in simple.items():
        parts = shapely.get_parts(geom)
        coords = [np.round(shapely.get_coordinates(p), 5).tolist() for p in parts if not p.is_empty]
        out[kind] = {
            "type": "Feature",
            "properties": {"class": kind, "tolerance_deg": tolerance},
            "geometry": {"type": "MultiLineString", "coordinates": coords},
        }
    return out
