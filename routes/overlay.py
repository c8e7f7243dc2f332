"""The drawn cycling network: each segment's drawing class, and vector tiles of it.

`segment_style_class` sorts a segment into the four classes the map draws and
its legend names: cycle paths, quiet streets, main roads, and ways where the
bike is pushed. It is the one home of that rule; the map page, the staff maps
and the tiles all use it.

`build_network_tiles` writes the network's own segments, each with its class,
into one small MBTiles file of vector tiles (layer ``network``, attribute
``class``, zoom 0-14), so that a map page loads the overlay tile by tile, for
the part of the network in view, instead of the whole network inlined in the
page. tilemaker (the tool that builds the base map, `routes.basemap`) reads the
segments from two shapefiles: cycle paths and main roads from zoom
`MAJOR_MINZOOM`, quiet streets and pushed ways from `MINOR_MINZOOM`, lines of
one class merged and simplified below zoom 14. The file is cached beside the
network cache, keyed by the segments' geometry and classes::

    from routes import load_network
    from routes.overlay import build_network_tiles
    path = build_network_tiles(load_network("demo"))   # about 0.5 MB
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from . import settings
from ._once import exclusive
from .basemap import _place, _run_tilemaker, _tilemaker_version, tilemaker_missing
from .errors import BasemapError
from .network import Network
from .profiles import NO, PUSH, is_main_road

__all__ = ["DRAW_CLASSES", "MAJOR_MINZOOM", "MINOR_MINZOOM", "build_network_tiles", "segment_style_class"]

log = logging.getLogger(__name__)

#: The drawing classes, in the order they are drawn (the last on top).
DRAW_CLASSES: tuple[str, ...] = ("cycleway", "quiet", "main", "push")

#: Lowest tile zoom of cycle paths and main roads (the frame of a region's network).
MAJOR_MINZOOM = 6
#: Lowest tile zoom of quiet streets and pushed ways (a town and its surroundings in view).
MINOR_MINZOOM = 10

#: Bump when the build changes what a cached file holds.
NETWORK_TILES_VERSION = 1


def segment_style_class(cls) -> str | None:
    """The drawing class of a `routes.profiles.SegmentClass`, or None (not for bikes or feet)."""
    if cls.fwd == NO and cls.bwd == NO and cls.foot == NO:
        return None
    if cls.cls == "cycleway" or cls.infra in ("track", "lane", "cycleway"):
        return "cycleway"
    if max(cls.fwd, cls.bwd) <= PUSH:
        return "push"
    if is_main_road(cls.cls):
        return "main"
    return "quiet"


def segment_kinds(net: Network) -> np.ndarray:
    """The drawing class of every segment ("" for none), an object array aligned with the segments."""
    return np.array([segment_style_class(c) or "" for c in net.classes], dtype=object)


def _config(bounds: tuple[float, float, float, float]) -> dict:
    simplify = {"simplify_below": 14, "simplify_level": 0.00002, "simplify_ratio": 2.0, "combine_below": 14}
    layers = {
        "network": {"minzoom": MAJOR_MINZOOM, "maxzoom": 14, "source": "major.shp", "source_columns": ["class"]}
        | simplify,
        "network_minor": {
            "minzoom": MINOR_MINZOOM,
            "maxzoom": 14,
            "source": "minor.shp",
            "source_columns": ["class"],
            "write_to": "network",
        }
        | simplify,
    }
    w, s, e, n = bounds
    return {
        "layers": layers,
        "settings": {
            "minzoom": 0,
            "maxzoom": 14,
            "basezoom": 14,
            "include_ids": False,
            "compress": "gzip",
            "name": "bikemap network",
            "version": str(NETWORK_TILES_VERSION),
            "description": "the cycling network, one line per segment with its drawing class",
            "bounding_box": [w, s, e, n],
        },
    }


#: tilemaker's Lua file: nothing comes from the OSM input (an empty file), everything from the shapefiles.
_LUA = """node_keys = {}
function node_function(node) end
function way_function(way) end
function attribute_function(attr, layer) return { class = attr["class"] } end
"""


def _key(net: Network, kinds: np.ndarray) -> str:
    h = hashlib.sha256(f"network-tiles v{NETWORK_TILES_VERSION}|{_tilemaker_version()}|".encode())
    h.update(np.ascontiguousarray(net.coords, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(net.offsets, dtype=np.int64).tobytes())
    h.update("|".join(kinds.tolist()).encode())
    return h.hexdigest()[:24]


def network_tiles_path(net: Network, cache_folder: str | Path | None = None) -> Path:
    """Where the tiles of ``net`` are (or will be) cached."""
    return Path(cache_folder or settings.cache_folder) / f"overlay-{_key(net, segment_kinds(net))}.mbtiles"


def _write_shapefiles(net: Network, kinds: np.ndarray, work: Path) -> None:
    import geopandas as gpd

    counts = np.diff(net.offsets)
    lines = shapely.linestrings(net.coords, indices=np.repeat(np.arange(net.n_segments), counts))
    for name, classes in (("major", ("cycleway", "main")), ("minor", ("quiet", "push"))):
        chosen = np.isin(kinds, classes)
        frame = gpd.GeoDataFrame({"class": kinds[chosen].astype(str)}, geometry=lines[chosen], crs="EPSG:4326")
        if not len(frame):  # tilemaker needs the file; a degenerate line stands for "none"
            frame = gpd.GeoDataFrame({"class": ["none"]}, geometry=[shapely.LineString([(0, 0), (0, 0)])], crs=4326)
        frame.to_file(work / f"{name}.shp", engine="pyogrio")


def _empty_pbf(path: Path) -> Path:
    import osmium

    osmium.SimpleWriter(str(path)).close()
    return path


def build_network_tiles(net: Network, *, cache_folder: str | Path | None = None, rebuild: bool = False) -> Path:
    """Build (or find in the cache) the MBTiles file of the drawn network of ``net``.

    Raises
    ------
    BasemapError
        tilemaker is missing or the build failed.
    """
    why = tilemaker_missing()
    if why:
        raise BasemapError(why)
    kinds = segment_kinds(net)
    folder = Path(cache_folder or settings.cache_folder)
    target = folder / f"overlay-{_key(net, kinds)}.mbtiles"
    if target.exists() and not rebuild:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # one build at a time: a process that waited reads what the other built (routes._once)
    with exclusive(folder / f"{target.name}.lock"):
        if target.exists() and not rebuild:
            return target
        t0 = time.perf_counter()
        w, s, e, n = net.bounds
        box = (w - 1e-4, s - 1e-4, e + 1e-4, n + 1e-4)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".tmp-overlay-") as tmp:
            work = Path(tmp)
            _write_shapefiles(net, kinds, work)
            (work / "config.json").write_text(json.dumps(_config(box), indent=1), encoding="utf-8")
            (work / "process.lua").write_text(_LUA, encoding="utf-8")
            out = work / "out.mbtiles"
            failure = _run_tilemaker(_empty_pbf(work / "empty.osm.pbf"), out, work, box)
            _place(out, target, box, failure, f"the network tiles of {net.name}")
        log.info("network tiles of %s: %s (%.1f s)", net.name, target, time.perf_counter() - t0)
        return target
