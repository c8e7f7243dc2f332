"""bikemap's web app: Folium maps and a JSON API on top of the route engine.

Application factory in the manner of Flask's tutorial (flaskr)::

    from webapp import create_app
    app = create_app()                     # defaults, instance/config.py, BIKEMAP_* env
    app = create_app({"SOURCE": "demo"})   # tests: defaults, then this mapping

Each feature is a blueprint listed in `BLUEPRINTS` ("module:attribute");
the factory imports and registers them in order. To add a feature, write its
module and add one line here.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["BLUEPRINTS", "DEFAULT_CONFIG", "create_app"]

#: Blueprints registered by `create_app`, as "module:attribute" import paths.
BLUEPRINTS: list[str] = [
    "webapp.maps:bp",
    "webapp.api:bp",
    "webapp.tour_api:bp",
    "webapp.staff_api:bp",
    "webapp.admin:bp",
    "webapp.featured:bp",
    "webapp.basemap:bp",
    "webapp.search:bp",
    "webapp.routing_extras:bp",
]

#: Configuration defaults (override in instance/config.py or with BIKEMAP_* variables).
DEFAULT_CONFIG: dict[str, Any] = {
    # network source: "demo", a .osm.pbf/.osm file, place:NAME or bbox:W,S,E,N
    "SOURCE": "demo",
    # folder of built networks (None: routes.settings.cache_folder)
    "CACHE_DIR": None,
    # an already loaded routes.Network (tests, scripts); SOURCE is then not read
    "NETWORK": None,
    # elevation data (SRTM .hgt/.hgt.zip tiles, a folder of them, or a GeoTIFF): hills and climbs
    "DEM": None,
    # build the routing structures of every profile at start, not on the first request
    "WARM_PROFILES": True,
    # a raster tile server of your own ("https://tiles.example.org/{z}/{x}/{y}.png"); "" (default):
    # the built-in base map (webapp.basemap), drawn from the network's own OSM file, offline
    "TILES_URL": "",
    "TILES_ATTRIBUTION": "© OpenStreetMap contributors",
    # built-in base map: "auto" (tiles built with tilemaker from SOURCE), "none", or an .mbtiles path
    "BASEMAP": "auto",
    # attribution shown on every map, with or without tiles (the data is OSM's)
    "DATA_ATTRIBUTION": "© OpenStreetMap contributors",
    # UI languages (routes/data/i18n/<code>.json); the first is the fallback
    "LANGUAGES": ["en", "id"],
    # Content-Security-Policy header; "{nonce}" and "{tiles}" are filled in per request
    "CSP": (
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: {tiles}; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
    ),
    "JSON_SORT_KEYS": False,
    # number of proxies in front of the app whose X-Forwarded-* headers are trusted (webapp.security)
    "PROXY_FIX": 0,
    "REFERRER_POLICY": "same-origin",
    # Strict-Transport-Security max-age on https responses (0: not sent)
    "HSTS_SECONDS": 31536000,
}


def create_app(test_config: Mapping[str, Any] | None = None, *, config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the bikemap web app.

    Parameters
    ----------
    test_config
        When given, replaces the instance config and the environment (as in flaskr):
        defaults, then this mapping.
    config
        Settings applied last, over everything (the ``bikemap serve`` options).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULT_CONFIG)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BIKEMAP")
    else:
        app.config.from_mapping(test_config)
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask's DefaultJSONProvider
    try:
        os.makedirs(app.instance_path, exist_ok=True)
    except OSError:
        pass

    from . import compress, cost, errors, i18n, inputguard, network, security, stations_api

    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    inputguard.init_app(app)
    compress.init_app(app)
    network.init_app(app)
    stations_api.init_app(app)
    cost.init_app(app)

    for path in BLUEPRINTS:
        module_name, _, attr = path.partition(":")
        module = importlib.import_module(module_name)
        app.register_blueprint(getattr(module, attr or "bp"))
    return app
