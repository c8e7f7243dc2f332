"""Live bike share in the web app: the GBFS feed of ``GBFS_URL``.

Set ``GBFS_URL`` (config, ``BIKEMAP_GBFS_URL``, or ``bikemap serve --gbfs URL``)
to a system's ``gbfs.json``; without it, stations come from the network's
OpenStreetMap data and have no live counts. The views in `webapp.api` call
one function each:

- ``GET /api/stations``: `stations_collection` (live counts, ``stale`` flag);
- ``GET /api/route?...&mode=bikeshare``: `bikeshare_feature`.

One `routes.gbfs.GbfsClient` per URL serves every thread of the process
(`routes.gbfs.client_for`), so the feed is read at most once per ``ttl``, in a
background thread: no request waits for it. A feed that fails (slow, broken,
hostile) never fails a request: the last good copy is served marked ``stale``,
or, before any good read, the OpenStreetMap stations ("no live data yet").
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app

from routes.bikeshare import bikeshare_route
from routes.errors import FeedError, InvalidValueError
from routes.gbfs import GbfsClient, client_for
from routes.stations import station_collection

#: Values of ``mode`` in ``GET /api/route``.
MODES = ("bike", "bikeshare")

__all__ = ["MODES", "bikeshare_feature", "gbfs_client", "init_app", "stations_collection"]

log = logging.getLogger(__name__)


def gbfs_client() -> GbfsClient | None:
    """The shared client of the app's ``GBFS_URL`` (None when not set)."""
    url = current_app.config.get("GBFS_URL")
    if not url:
        return None
    # background: no request ever waits for the feed (the last good copy, or "no live data" at once)
    return client_for(url, timeout=current_app.config.get("GBFS_TIMEOUT"), background=True)


def init_app(app: Flask) -> None:
    """Read the feed once at start (bounded by the client's refresh deadline), so the first visitors
    see live data; from then on it is refreshed in the background only."""
    url = app.config.get("GBFS_URL")
    if not url:
        return
    try:
        client_for(url, timeout=app.config.get("GBFS_TIMEOUT"), background=True).refresh()
    except FeedError as exc:
        log.warning("no live bike-share data at start (read again in the background): %s", exc)


def stations_collection(network, *, bbox: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    """Stations as a FeatureCollection: live from GBFS when configured, else from OSM."""
    fc = station_collection(network, client=gbfs_client(), fallback=True)
    for f in fc["features"]:  # the API's Station schema names the id "id" (as OSM stations do)
        f["properties"].setdefault("id", f["properties"]["station_id"])
    if bbox:
        w, s, e, n = bbox
        fc["features"] = [
            f
            for f in fc["features"]
            if w <= f["geometry"]["coordinates"][0] <= e and s <= f["geometry"]["coordinates"][1] <= n
        ]
    return fc


def bikeshare_feature(
    network, start, end, *, mode: str = "bikeshare", vias=(), profile: str = "safe", lang: str = "en"
) -> dict[str, Any]:
    """A dock-to-dock trip Feature (see `routes.bikeshare.bikeshare_route`); checks ``mode`` and ``vias``."""
    if mode not in MODES:
        raise InvalidValueError(f"mode must be {' or '.join(MODES)}, got {str(mode)[:20]!r}")
    if vias:
        raise InvalidValueError("a bike-share trip goes from a start to a destination: via points are not allowed")
    from .staff_api import closure_edge_cost_for  # closures apply to the ride and the walks

    return bikeshare_route(
        network,
        [start, end],
        client=gbfs_client(),
        profile=profile,
        lang=lang,
        edge_cost=closure_edge_cost_for(network, profile),
        walk_edge_cost=closure_edge_cost_for(network, "walk"),
    )
