"""Surfaces of a route in four classes, as BRouter and GraphHopper show them: paved, gravel, unpaved, unknown.

From the OSM ``surface`` tag; without it, a track's ``tracktype`` (grade1 is paved,
grade2 gravel, grade3 to grade5 unpaved); otherwise unknown.

>>> surface_class({"surface": "asphalt"}), surface_class({"surface": "fine_gravel"})
('paved', 'gravel')
>>> surface_class({"highway": "track", "tracktype": "grade4"}), surface_class({"highway": "path"})
('unpaved', 'unknown')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SURFACE_CLASSES", "surface_class", "surface_properties"]

#: The classes, in the order the page shows them.
SURFACE_CLASSES = ("paved", "gravel", "unpaved", "unknown")

_PAVED = {
    "paved",
    "asphalt",
    "concrete",
    "concrete:plates",
    "concrete:lanes",
    "paving_stones",
    "sett",
    "cobblestone",
    "unhewn_cobblestone",
    "metal",
    "wood",
    "chipseal",
    "bricks",
    "brick",
    "tartan",
    "rubber",
    "stone",
}
_GRAVEL = {"gravel", "fine_gravel", "compacted", "pebblestone", "shells"}
_UNPAVED = {"unpaved", "dirt", "earth", "ground", "grass", "mud", "sand", "rock", "woodchips", "soil", "grass_paver"}
_TRACKTYPE = {"grade1": "paved", "grade2": "gravel", "grade3": "unpaved", "grade4": "unpaved", "grade5": "unpaved"}


def surface_class(tags: Mapping[str, str]) -> str:
    """The class (`SURFACE_CLASSES`) of a way from its OSM tags."""
    surface = (tags.get("surface") or "").split(";")[0].strip().lower()
    if surface in _PAVED or surface.startswith("concrete"):
        return "paved"
    if surface in _GRAVEL:
        return "gravel"
    if surface in _UNPAVED:
        return "unpaved"
    return _TRACKTYPE.get((tags.get("tracktype") or "").strip(), "unknown")


def surface_properties(network, legs: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """``surface_classes_m`` (metres per class) and ``longest_unpaved_m`` of a route's pieces.

    The longest unpaved stretch is the longest run of gravel or unpaved pieces in a row
    (across via points: the rider does not change bikes there).
    """
    metres = dict.fromkeys(SURFACE_CLASSES, 0.0)
    run = longest = 0.0
    for pieces in legs:
        for p in pieces:
            dist = float(network.seg_length[p.seg] * p.share)
            cls = surface_class(network.tags[p.seg])
            metres[cls] += dist
            run = run + dist if cls in ("gravel", "unpaved") else 0.0
            longest = max(longest, run)
    return {
        "surface_classes_m": {k: round(v, 1) for k, v in metres.items()},
        "longest_unpaved_m": round(longest, 1),
    }
