"""bikemap's web app: Folium maps and a JSON API on top of the route engine.

Application factory in the manner of Flask's tutorial (flaskr)::

    from webapp import create_app
    app = create_app()                     # defaults, instance/config.py, BIKEMAP_* env
    app = create_app({"SOURCE": "demo"})   # tests: defaults, then this mapping

Everything the app is made of is set up here, in order, in plain code:
settings (`webapp.config`, checked before anything else), the network (its routers
made in a thread meanwhile, `webapp.network`), errors, security headers, languages,
compression, the C heap, storage, authentication; then every blueprint of
`webapp.views`; then the OpenAPI document, built from the registered views; last
the wait for the routers. To add a feature, write its blueprint and register it here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["blueprint_modules", "create_app"]


def blueprint_modules() -> tuple[ModuleType, ...]:
    """Every blueprint module of the app, in the order it is registered (the OpenAPI document is built from them).

    Imported here, as in flaskr's factory, not when ``webapp`` is: the ``bikemap`` command starts in the web
    package, and a cached ``bikemap route`` must not pay for Flask, Folium and SQLAlchemy (issue #12).
    """
    from .views import (
        accounts,
        admin,
        basemap,
        closures,
        destinations,
        extras,
        featured,
        map,
        open311,
        overlay,
        reports,
        route,
        search,
        stations,
        tour,
    )
    from .views import openapi as openapi_view

    return (
        map,
        route,
        extras,
        tour,
        stations,
        search,
        basemap,
        overlay,
        destinations,
        closures,
        featured,
        open311,
        reports,
        admin,
        accounts,
        openapi_view,
    )


def create_app(
    test_config: Mapping[str, Any] | None = None, *, config_overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Create and configure the bikemap web app.

    Parameters
    ----------
    test_config
        When given, replaces the instance config and the environment (as in flaskr):
        defaults, then this mapping.
    config_overrides
        Settings applied last, over everything (the ``bikemap serve`` options).

    Raises
    ------
    webapp.errors.SettingError
        A setting (or the database it names) cannot be used; the message names it.
    """
    from . import config, network
    from .flaskapp import BikemapFlask

    app = BikemapFlask(__name__, instance_relative_config=True)
    config.load(app, test_config, config_overrides)
    config.init_app(app)
    try:
        os.makedirs(app.instance_path, exist_ok=True)
    except OSError:
        pass
    # the network first: its routers are made in a thread while the rest of the app is imported and set up
    network.init_app(app)

    try:
        from . import (
            auth,
            bikeshare,
            compress,
            cost,
            errors,
            heap,
            i18n,
            inputguard,
            openapi,
            security,
            storage,
        )
        from .views import basemap, search

        errors.init_app(app)
        security.init_app(app)
        inputguard.init_app(app)  # after security: on top of its request class
        i18n.init_app(app)
        compress.init_app(app)
        heap.init_app(app)  # the C heap's freed pages returned after responses
        storage.init_app(app)
        auth.init_app(app)
        bikeshare.init_app(app)  # the feed read once at start, then in the background only
        cost.init_app(app)  # the budget of expensive requests
        basemap.init_app(app)  # the built-in base map's tiles (BASEMAP)
        search.init_app(app)  # the place index of the network

        for view in blueprint_modules():
            app.register_blueprint(view.bp)
        openapi.init_app(app)
    except BaseException:
        network.wait_ready(app, check=False)  # no thread left making routers behind the error
        raise
    network.wait_ready(app)  # every profile's router made before the app is handed over (and serves)
    return app
