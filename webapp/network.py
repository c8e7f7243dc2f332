"""The network the app serves: loaded once when the app is created."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from routes import Network, load_network, profile_names
from routes.progress import stage

__all__ = ["get_network", "init_app"]

log = logging.getLogger(__name__)

_KEY = "bikemap.network"


def init_app(app: Flask) -> None:
    """Load (or build) the network of ``SOURCE`` and keep it in ``app.extensions``."""
    net = app.config.get("NETWORK")
    if net is None:
        net = load_network(
            app.config["SOURCE"],
            cache_folder=app.config.get("CACHE_DIR"),
            dem=app.config.get("DEM") or None,
        )
    app.extensions[_KEY] = net
    if app.config.get("WARM_PROFILES"):
        names = profile_names()
        with stage(f"preparing the routers of {len(names)} profiles ({', '.join(names)})"):
            for name in names:
                net.router(name)
    log.info("network %s: %d segments, %d points of interest", net.name, net.n_segments, len(net.pois))


def get_network() -> Network:
    """The network of the current app."""
    return current_app.extensions[_KEY]
