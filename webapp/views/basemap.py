"""Blueprint ``basemap``: the built-in base map, drawn by MapLibre under the cycling network.

When the app starts without ``TILES_URL`` (a city's own raster tile server),
it builds (or finds in the cache) the vector tiles of the network's own OSM
file with `routes.basemap.build_basemap` and serves them here:

- ``GET /basemap/tiles/<key>/<z>/<x>/<y>.pbf``: one tile, read from the MBTiles
  file with sqlite3. The tiles are stored gzip'd; they go out as they are with
  ``Content-Encoding: gzip`` to a client that accepts it, unpacked otherwise.
  ``key`` changes with every rebuild, so a tile is cached for a year
  (``immutable``), with a strong ETag and 304 answers. A tile the file has not
  got (open sea, empty land) is ``204 No Content``, which MapLibre draws empty.
  The same endpoint serves the cycling network's own tiles (`routes.overlay`,
  layer ``network``), built beside the base map when it is built; the style
  draws them above the roads and under the labels, so that town and street
  names stay readable on top of the coloured lines.
- ``GET /basemap/glyphs/<font>/<start>-<end>.pbf``: the SDF glyphs of the labels
  (``webapp/static/glyphs``, made by ``scripts/build_glyphs.sh``); a range we do
  not ship is an empty glyph set, so a name in another script loses those
  letters instead of its label.

The map page reads `page_config` (a template global): the MapLibre style in the
page's language (`webapp.basemap_style`), the zoom levels the tiles cover, and
the outline of the extract, which ``static/js/basemap.js`` draws and keeps the
view inside. ``BASEMAP`` says what to use: ``"auto"`` (default: build from the
network's source), ``"none"`` (network only, as with tilemaker missing), or the
path of an MBTiles file built elsewhere (``bikemap basemap``).
If the tiles cannot be built the app still starts, with the network-only map,
and prints one line saying why.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from flask import Blueprint, Flask, Response, current_app, request, url_for

from routes.basemap import BasemapInfo, basemap_info, build_basemap
from routes.errors import BasemapError
from routes.overlay import build_network_tiles

from ..basemap_style import basemap_style
from ..errors import error_response

__all__ = ["bp", "get_basemap", "init_app", "page_config"]

bp = Blueprint("basemap", __name__, url_prefix="/basemap")

_KEY = "bikemap.basemap"
_NETWORK_KEY = "bikemap.network_tiles"
_PAGE_KEY = "bikemap.basemap_page"
GLYPHS = Path(__file__).resolve().parent.parent / "static" / "glyphs"

#: Zoom levels MapLibre draws beyond the tiles' own (vector tiles stay sharp when magnified).
OVERZOOM = 4
#: Highest Leaflet zoom of the map without the built-in base map (raster tiles or none).
MAX_ZOOM_OTHERWISE = 19

_glyph_cache: dict[tuple[str, int], bytes] = {}
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Build or find the base map tiles of the app's network (``BASEMAP`` setting)."""
    app.extensions[_KEY] = None
    app.extensions[_NETWORK_KEY] = None
    app.extensions[_PAGE_KEY] = {}
    app.jinja_env.globals["basemap_page"] = page_config
    choice = str(app.config.get("BASEMAP") or "none").strip()
    if app.config.get("TILES_URL") or choice.lower() in ("none", "off", ""):
        return
    try:
        if choice.lower() == "auto":
            net = app.extensions.get("bikemap.network")
            source = _network_source(net, app.config.get("SOURCE"))
            path = build_basemap(source, cache_folder=app.config.get("CACHE_DIR"))
        else:
            path = Path(choice).expanduser()
        app.extensions[_KEY] = basemap_info(path)
    except (BasemapError, OSError) as exc:
        print(f"bikemap: no built-in base map, the map shows the network only: {exc}", file=sys.stderr)
        return
    net = app.extensions.get("bikemap.network")
    if net is None:
        return
    try:
        tiles = build_network_tiles(net, cache_folder=app.config.get("CACHE_DIR"))
        app.extensions[_NETWORK_KEY] = basemap_info(tiles)
    except (BasemapError, OSError) as exc:  # the page then draws the network from /api/network
        print(f"bikemap: no network tiles, the map loads the network by viewport: {exc}", file=sys.stderr)


def _network_source(net, configured) -> Any:
    """The OSM file the network was built from (its build records it), else the configured source."""
    recorded = (net.meta or {}).get("source") if net is not None else None
    if recorded and (net.meta or {}).get("kind") in ("pbf", "xml") and Path(recorded).is_file():
        return recorded
    return configured or "demo"


def get_basemap() -> BasemapInfo | None:
    """The base map the current app serves, or None (network only, or raster tiles)."""
    return current_app.extensions.get(_KEY)


def get_network_tiles() -> BasemapInfo | None:
    """The cycling network's own tiles, or None (then the page draws it from ``/api/network``)."""
    return current_app.extensions.get(_NETWORK_KEY)


def _tiles_url(info: BasemapInfo) -> str:
    return url_for("basemap.tile", key=info.key, z=0, x=0, y=0).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")


def _outline(net, info: BasemapInfo | None) -> list[list[float]]:
    """The extract's outline as [lat, lon] pairs: a concave hull of its junctions (at most 20 000
    of them), a little widened, cut to the base map's box (the file may end closer than that)."""
    xy = np.column_stack([net.node_lon, net.node_lat])
    pts = shapely.multipoints(xy[:: max(1, len(xy) // 20_000)])
    hull = shapely.concave_hull(pts, ratio=0.2).buffer(0.0008, quad_segs=2)
    if info is not None:
        hull = hull.intersection(shapely.box(*info.bounds))
    hull = hull.simplify(0.0003)
    if hull.geom_type != "Polygon":  # a hull in pieces: the convex one
        hull = shapely.convex_hull(pts).buffer(0.0008, quad_segs=2)
    return [[round(float(lat), 5), round(float(lon), 5)] for lon, lat in np.asarray(hull.exterior.coords)]


def page_config(lang: str) -> dict[str, Any]:
    """What ``static/js/basemap.js`` needs on the map page (cached per language)."""
    cache = current_app.extensions.setdefault(_PAGE_KEY, {})
    if lang in cache:
        return cache[lang]
    from ..network import get_network

    info = get_basemap()
    net = get_network()
    cfg: dict[str, Any] = {"outline": _outline(net, info), "maxZoom": MAX_ZOOM_OTHERWISE, "style": None}
    if info is not None:
        glyphs = url_for("basemap.glyphs", font="FONT", start=0, end=255).replace("FONT/0-255", "{fontstack}/{range}")
        network = get_network_tiles()
        cfg["style"] = basemap_style(
            lang,
            tiles=_tiles_url(info),
            glyphs=glyphs,
            bounds=info.bounds,
            maxzoom=info.maxzoom,
            network_tiles=_tiles_url(network) if network is not None else None,
        )
        cfg["maxZoom"] = info.maxzoom + OVERZOOM  # Leaflet zoom z is MapLibre zoom z - 1: one more level of detail
        cfg["worker"] = url_for("static", filename="vendor/maplibre/maplibre-gl-csp-worker.js")
    cache[lang] = cfg
    return cfg


def _not_modified(etag: str) -> bool:
    return request.if_none_match.contains(etag)


@bp.get("/tiles/<key>/<int:z>/<int:x>/<int:y>.pbf")
def tile(key: str, z: int, x: int, y: int):
    info = next((i for i in (get_basemap(), get_network_tiles()) if i is not None and i.key == key), None)
    if info is None:
        return error_response("NotFound", "no such base map (it was rebuilt: reload the page)", 404)
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        return error_response("NotFound", f"no tile {z}/{x}/{y}", 404)
    gz = request.accept_encodings.quality("gzip") > 0
    etag = f"{info.key}-{z}-{x}-{y}-{'g' if gz else 'i'}"
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if _not_modified(etag):
        resp = Response(status=304, headers=headers)
        resp.set_etag(etag)
        return resp
    data = _read_tile(info.path, z, x, (2**z - 1) - y)  # MBTiles rows count from the south (TMS)
    if data is None:
        return Response(status=204, headers=headers)
    packed = data[:2] == b"\x1f\x8b"
    resp = Response(data if gz or not packed else gzip.decompress(data), mimetype="application/x-protobuf")
    resp.headers.update(headers)
    if packed and gz:
        resp.headers["Content-Encoding"] = "gzip"
    resp.set_etag(etag)
    return resp


_local = threading.local()


def _read_tile(path: Path, z: int, x: int, row: int) -> bytes | None:
    """One tile's bytes; a read-only connection per thread and file."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    db = conns.get(path)
    if db is None:
        db = conns[path] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    found = db.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", (z, x, row)
    ).fetchone()
    return bytes(found[0]) if found else None


@bp.get("/glyphs/<font>/<int:start>-<int:end>.pbf")
def glyphs(font: str, start: int, end: int):
    folder = GLYPHS / font
    if "/" in font or font.startswith(".") or not folder.is_dir():
        return error_response("NotFound", f"no font {font[:40]!r}", 404)
    if start % 256 or end != start + 255 or start > 65280:
        return error_response("NotFound", f"no glyph range {start}-{end}", 404)
    etag = hashlib.sha256(f"{font}|{start}|{_glyphs_version()}".encode()).hexdigest()[:20]
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if _not_modified(etag):
        resp = Response(status=304, headers=headers)
        resp.set_etag(etag)
        return resp
    body = _glyph_file(folder / f"{start}-{end}.pbf")
    resp = Response(body, mimetype="application/x-protobuf", headers=headers)
    if body and request.accept_encodings.quality("gzip") > 0:
        resp.set_data(_gzipped(font, start, body))
        resp.headers["Content-Encoding"] = "gzip"
    resp.set_etag(etag)
    return resp


def _glyphs_version() -> int:
    return int(max((p.stat().st_mtime_ns for p in GLYPHS.glob("*/*.pbf")), default=0))


def _glyph_file(path: Path) -> bytes:
    """A glyph range's bytes, or b"" (an empty glyph set) for one we do not ship."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _gzipped(font: str, start: int, body: bytes) -> bytes:
    key = (font, start)
    packed = _glyph_cache.get(key)
    if packed is None:
        packed = gzip.compress(body, compresslevel=9)
        with _lock:
            _glyph_cache[key] = packed
    return packed
