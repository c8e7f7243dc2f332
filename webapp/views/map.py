"""Blueprint ``map``: the map page with the route planner (``/``) and its strings (``/i18n/<lang>.json``).

The page is the same for every visitor of a language (issue #19): it carries
no network data (the overlay, destinations and stations load by viewport) and
no inline script, so no per-request CSP nonce. It is rendered and
gzip-compressed once per language and state of the public layer
(`webapp.storage.layer.layer_state`: a staff edit or a closure makes a new one),
then served from memory with an ``ETag`` (``If-None-Match`` gets 304). Folium's
script (the Leaflet map, the layer switch, the closures) is the file
``/map/<lang>/<key>.js`` beside it, cached for a year under a key that changes
with its content.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from types import ModuleType
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from markupsafe import Markup

from routes import get_profile, profile_names, settings

from ..compress import cached_response, packed
from ..heap import release_freed
from ..i18n import get_lang, gettext, strings_json, strings_url
from ..netstyle import NETWORK_STYLES
from ..network import get_network
from ..photos import FORMATS as PHOTO_FORMATS
from ..storage import get_session
from ..storage.closures import public_closures
from ..storage.layer import layer_state

__all__ = ["bp", "map_parts"]

bp = Blueprint("map", __name__)

_lock = threading.Lock()
_import_lock = threading.Lock()
_KEY = "bikemap.map_parts"
_STRINGS_KEY = "bikemap.strings_packed"


def _mapview() -> ModuleType:
    """`webapp.mapview` (Folium), imported by the first page built rather than at start (issue #19).

    Folium tries ``import pandas`` only to accept DataFrames as locations (``folium.utilities``:
    an optional import, checked with ``pd is not None``), which bikemap never passes. Pandas is
    about 27 MB in every server process, so it is kept out of this one import: a ``None`` in
    ``sys.modules`` makes ``import pandas`` raise ImportError, then the entry is removed again.
    The serving process imports pandas nowhere else (geopandas and OSMnx are build-time only).
    """
    if "folium" not in sys.modules and "pandas" not in sys.modules:
        with _import_lock:  # not _lock: map_parts holds it while building
            if "folium" not in sys.modules:
                sys.modules["pandas"] = None  # type: ignore[assignment]
                try:
                    import folium  # noqa: F401
                finally:
                    if sys.modules.get("pandas", False) is None:
                        del sys.modules["pandas"]
    from .. import mapview

    return mapview


def map_parts(lang: str) -> dict[str, Any]:
    """The rendered Folium map in ``lang``, built once per app, language and layer state."""
    cache = current_app.extensions.setdefault(_KEY, {})
    session = get_session()
    key = (lang, layer_state(session))  # staff edits and closures: rebuilt on the next page load
    parts = cache.get(key)
    if parts is None:
        with _lock:
            parts = cache.get(key)
            if parts is None:
                parts = _build(lang, session)
                release_freed()  # the outline's concave hull (GEOS) leaves about 25 MB freed in the heap
                for old in [k for k in cache if k[0] == lang]:
                    del cache[old]
                cache[key] = parts
    return parts


def _reports() -> dict[str, object]:
    """What the report form (static/js/reports.js) needs: the Open311 base URL and the photo rules."""
    cfg = current_app.config
    return {
        "api": url_for("open311.api_services").rsplit("/", 1)[0],
        "maxPhoto": cfg["REPORT_PHOTO_MAX_BYTES"],
        "photoTypes": [f"image/{name.lower()}" for name in PHOTO_FORMATS],  # what the server reads
        "maxDescription": cfg["REPORT_DESCRIPTION_MAX"],
    }


def _build(lang: str, session) -> dict[str, Any]:
    mv = _mapview()
    inline = re.compile(rf'<script nonce="{mv.NONCE}">(.*?)</script>', re.S)
    cfg = current_app.config
    t = lambda k: gettext(k, lang)  # noqa: E731
    closures = public_closures(session)
    m = mv.build_map(
        get_network(),
        t,
        lang=lang,
        tiles_url=cfg.get("TILES_URL") or "",
        tiles_attribution=cfg.get("TILES_ATTRIBUTION") or "",
        data_attribution=cfg.get("DATA_ATTRIBUTION") or "",
        extra_layers={"closures": mv.closures_map_layer(closures, t)} if closures["features"] else None,
    )
    parts = mv.render_map(m, lambda path: url_for("static", filename=path))
    # Folium's inline scripts (header and body) become one script file: the page needs no nonce
    script = "\n".join(inline.findall(parts["header"])) + "\n" + parts["script"]
    # styles need no nonce: the policy allows inline styles (style-src 'unsafe-inline', webapp.config)
    header = inline.sub("", parts["header"]).replace(f'<style nonce="{mv.NONCE}">', "<style>")
    script_key = hashlib.sha256(script.encode()).hexdigest()[:16]
    net = get_network()
    html = render_template(
        "map.html",
        lang=lang,
        languages=cfg["LANGUAGES"],
        strings_url=strings_url(lang),
        # Folium's own HTML (no data text in it: the closures are in the script) (tests/test_xss.py)
        folium={"header": Markup(header), "html": Markup(parts["html"])},  # nosec B704
        folium_script=url_for("map.script", lang=lang, key=script_key),
        map_name=parts["map_name"],
        profiles=_profiles(lang),
        network_styles=NETWORK_STYLES,
        network_name=net.name,
        bounds=net.bounds,
        api_base=url_for("route.api_route").rsplit("/", 1)[0],
        max_via=settings.max_via,
        live_stations=bool(cfg.get("GBFS_URL")),  # else stations.js asks for no feed (points.js has the stations)
        reports=_reports(),
    )
    return {
        "page": packed(html.encode(), "text/html"),
        "script": packed(script.encode(), "text/javascript"),
        "script_key": script_key,
    }


def _profiles(lang: str) -> list[dict[str, str]]:
    out = []
    for name in profile_names():
        label = gettext(f"profile_{name}", lang)
        out.append(
            {
                "name": name,
                "label": label if label != f"profile_{name}" else name,
                "description": get_profile(name).description,
            }
        )
    return out


@bp.get("/")
def index():
    parts = map_parts(get_lang())
    # the page changes when the layer does: the browser asks again each time (no-cache), 304 when unchanged
    return cached_response(parts["page"], cache_control="no-cache")


@bp.get("/map/<lang>/<key>.js")
def script(lang: str, key: str):
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    g.lang = lang  # the page and its script are built in this language (webapp.i18n.get_lang)
    parts = map_parts(lang)
    if key != parts["script_key"]:
        abort(404)  # an old page's script: the page was rebuilt (reload it)
    return cached_response(parts["script"], cache_control="public, max-age=31536000, immutable")


@bp.get("/i18n/<lang>.json")
def strings(lang: str):
    """Every UI string of ``lang`` for the page's scripts, one JSON object by message id.

    The page asks for it with ``?v=`` set to a digest of the content, so an answer to a versioned
    address never changes and is kept for a year; without ``v`` it is revalidated (ETag).
    """
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    body, version = strings_json(lang)
    cache = current_app.extensions.setdefault(_STRINGS_KEY, {})
    doc = cache.get((lang, version))
    if doc is None:  # compressed once per language and version (webapp.compress)
        doc = cache[(lang, version)] = packed(body, "application/json")
    versioned = request.args.get("v") == version
    return cached_response(doc, cache_control="public, max-age=31536000, immutable" if versioned else "no-cache")
