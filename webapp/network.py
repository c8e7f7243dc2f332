"""The network the app serves: loaded once when the app is created, its routers made before the app serves.

`init_app` loads the network and starts making every profile's router (``WARM_PROFILES``) in a
thread, so that `webapp.create_app` imports and sets up the rest of the app meanwhile; `wait_ready`,
the last step of `webapp.create_app`, waits for them. The routers' heaviest steps (RoutingKit's
hierarchy and its customisations, NumPy's sorts) let go of Python's lock, so on a second core they
overlap the imports of Flask and SQLAlchemy (issue #19). No request is answered before
`webapp.create_app` has returned, so none comes before every router is ready.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from routes import Network, load_network, profile_names
from routes.backends import use_engine
from routes.progress import stage

__all__ = ["get_network", "init_app", "wait_ready"]

log = logging.getLogger(__name__)

_KEY = "bikemap.network"
_WARMING = "bikemap.warming"


def init_app(app: Flask) -> None:
    """Load (or build) the network of ``SOURCE``, keep it in ``app.extensions`` and start making its routers.

    With ``WARM_PROFILES`` every profile's router (then the engine's data, ``ENGINE``) is made in a
    thread; `wait_ready` waits for it. Without, the engine is chosen at once.
    """
    net = app.config.get("NETWORK")
    if net is None:
        net = load_network(
            app.config["SOURCE"],
            cache_folder=app.config.get("CACHE_DIR"),
            dem=app.config.get("DEM") or None,
        )
    app.extensions[_KEY] = net
    net.bounds  # noqa: B018 (made now: the database check reads it while the routers are made, not after them)
    names = profile_names() if app.config.get("WARM_PROFILES") else []
    if names:
        app.extensions[_WARMING] = _Warming(app, net, names)
    else:
        _use_engine(app, net, [])


def wait_ready(app: Flask, *, check: bool = True) -> None:
    """Wait until `init_app`'s routers (and engine) are made; raise what failed there (unless ``check`` is off:
    the app's start failed already, and only no thread may be left running behind it)."""
    warming = app.extensions.pop(_WARMING, None)
    if warming is not None:
        warming.wait(check=check)


def _use_engine(app: Flask, net: Network, names: list[str]) -> None:
    # the engine is process-wide (routes.settings.engine): one app per process, as `bikemap serve` runs
    use_engine(net, app.config.get("ENGINE", "bikemap"), cache_folder=app.config.get("CACHE_DIR"), profiles=names)
    log.info("network %s: %d segments, %d points of interest", net.name, net.n_segments, len(net.pois))


class _Warming:
    """Every profile's router, then the engine, made in a thread (started at once)."""

    def __init__(self, app: Flask, net: Network, names: list[str]):
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(app, net, names), name="bikemap-routers", daemon=True)
        self._thread.start()

    def _run(self, app: Flask, net: Network, names: list[str]) -> None:
        try:
            with stage(f"preparing the routers of {len(names)} profiles ({', '.join(names)})"):
                for name in names:
                    net.router(name)
            _use_engine(app, net, names)
        except BaseException as exc:  # raised again by `wait`, in the thread that makes the app
            self._error = exc

    def wait(self, *, check: bool = True) -> None:
        self._thread.join()
        error, self._error = self._error, None
        if error is not None and check:
            raise error


def get_network() -> Network:
    """The network of the current app."""
    return current_app.extensions[_KEY]
