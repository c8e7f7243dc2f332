"""Blueprint ``map``: the map page with the route planner (``/``) and its strings (``/i18n/<lang>.json``)."""

from __future__ import annotations

import threading

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from routes import get_profile, profile_names, settings

from ..i18n import get_lang, gettext, strings_json, strings_url
from ..mapview import NETWORK_STYLES, NONCE, build_map, closures_map_layer, render_map
from ..network import get_network
from ..photos import FORMATS as PHOTO_FORMATS
from ..security import csp_nonce
from ..storage import get_session
from ..storage.closures import public_closures
from ..storage.layer import layer_state, published_features

__all__ = ["bp", "map_parts"]

bp = Blueprint("map", __name__)

_lock = threading.Lock()
_KEY = "bikemap.map_parts"


def map_parts(lang: str) -> dict[str, str]:
    """The rendered Folium map in ``lang``, built once per app and language."""
    cache = current_app.extensions.setdefault(_KEY, {})
    session = get_session()
    key = (lang, layer_state(session))  # staff edits and closures: rebuilt on the next page load
    parts = cache.get(key)
    if parts is None:
        with _lock:
            parts = cache.get(key)
            if parts is None:
                cfg = current_app.config
                t = lambda k: gettext(k, lang)  # noqa: E731
                closures = public_closures(session)
                m = build_map(
                    get_network(),
                    t,
                    lang=lang,
                    tiles_url=cfg.get("TILES_URL") or "",
                    tiles_attribution=cfg.get("TILES_ATTRIBUTION") or "",
                    data_attribution=cfg.get("DATA_ATTRIBUTION") or "",
                    destinations=published_features(session, lang=lang),
                    extra_layers={"closures": closures_map_layer(closures, t)} if closures["features"] else None,
                )
                for old in [k for k in cache if k[0] == lang]:
                    del cache[old]
                parts = cache[key] = render_map(m, lambda path: url_for("static", filename=path))
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
    lang = get_lang()
    net = get_network()
    parts = map_parts(lang)
    nonce = csp_nonce()
    # Folium's own HTML; every data text in it is html.escape()d in webapp.mapview (tests/test_xss.py)
    folium_parts = {k: Markup(v.replace(NONCE, nonce)) for k, v in parts.items() if k != "map_name"}  # nosec B704
    return render_template(
        "map.html",
        lang=lang,
        languages=current_app.config["LANGUAGES"],
        strings_url=strings_url(lang),
        folium=folium_parts,
        map_name=parts["map_name"],
        profiles=_profiles(lang),
        network_styles=NETWORK_STYLES,
        network_name=net.name,
        bounds=net.bounds,
        api_base=url_for("route.api_route").rsplit("/", 1)[0],
        max_via=settings.max_via,
        reports=_reports(),
    )


@bp.get("/i18n/<lang>.json")
def strings(lang: str):
    """Every UI string of ``lang`` for the page's scripts, one JSON object by message id.

    The page asks for it with ``?v=`` set to a digest of the content, so an answer to a versioned
    address never changes and is kept for a year; without ``v`` it is revalidated (ETag).
    """
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    body, version = strings_json(lang)
    resp = Response(body, mimetype="application/json")
    resp.set_etag(version)
    if request.args.get("v") == version:
        resp.cache_control.public = True
        resp.cache_control.max_age = 31536000
        resp.cache_control.immutable = True
    else:
        resp.cache_control.no_cache = True
    return resp.make_conditional(request)
