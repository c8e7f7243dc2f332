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

import numpy as np

__all__ = ["SURFACE_CLASSES", "surface_class", "surface_codes", "surface_properties", "surface_summary"]

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


def surface_codes(network) -> np.ndarray:
    """Per segment of ``network``, its class as a position in `SURFACE_CLASSES` (worked out once per network)."""

    def build() -> np.ndarray:
        memo: dict[int, int] = {}  # segments of one way share one tag dict: classify it once
        codes = np.empty(network.n_segments, np.int8)
        for s, tags in enumerate(network.tags):
            c = memo.get(id(tags))
            if c is None:
                c = memo[id(tags)] = SURFACE_CLASSES.index(surface_class(tags))
            codes[s] = c
        return codes

    return network._cached("surface_codes", build)


def surface_properties(network, legs: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """``surface_classes_m`` (metres per class) and ``longest_unpaved_m`` of a route's pieces.

    The longest unpaved stretch is the longest run of gravel or unpaved pieces in a row
    (across via points: the rider does not change bikes there).
    """
    seg = np.fromiter((p.seg for pieces in legs for p in pieces), np.int64)
    share = np.fromiter((p.share for pieces in legs for p in pieces), np.float64)
    return surface_summary(surface_codes(network)[seg], network.seg_length[seg] * share)


def surface_summary(codes: np.ndarray, dist: np.ndarray) -> dict[str, Any]:
    """`surface_properties` of pieces given by their class codes (`surface_codes`) and metres, in travel order.

    A route has tens of pieces: its runs of rough ones are found walking the list of
    their flags (cheaper than the array calls that would find them); each run's metres
    are still added up by NumPy, as they always were.
    """
    metres = np.bincount(codes, weights=dist, minlength=len(SURFACE_CLASSES))
    longest = 0.0
    rough = _ROUGH[codes]
    if rough.any():  # the runs of rough pieces: where a run starts and where it ends
        runs = []
        begin = -1
        for k, r in enumerate(rough.tolist()):
            if r:
                if begin < 0:
                    begin = k
            elif begin >= 0:
                runs.append((begin, k))
                begin = -1
        if begin >= 0:
            runs.append((begin, len(rough)))
        longest = max(float(dist[a:b].sum()) for a, b in runs)
    return {
        "surface_classes_m": {k: round(v, 1) for k, v in zip(SURFACE_CLASSES, metres.tolist(), strict=True)},
        "longest_unpaved_m": round(longest, 1),
    }


#: Per class code, whether it is rough (gravel or unpaved): the runs `surface_summary` measures.
_ROUGH = np.array([c in ("gravel", "unpaved") for c in SURFACE_CLASSES])
