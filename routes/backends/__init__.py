"""Routing backends: bikemap's own engine, or an existing engine that searches for it.

`routes.settings.engine` names the engine (``bikemap``, ``osrm`` or ``valhalla``;
``BIKEMAP_ENGINE``, ``bikemap --engine``). With ``bikemap`` (the default) nothing
here runs. With another engine, `routes.routing.Router.leg` hands every leg whose
costs are the profile's, or the profile's raised by closures and hazards, to the
backend, which answers with the same `routes.routing.Piece` list bikemap's own
search gives. So everything built on legs (directions, GPX, surfaces, climbs,
tours, bike-share trips, the map) works on top unchanged; what the backend does
not do (one-to-many searches for tour orders, bike-share stations, reach and map
matching) stays with bikemap's engine. See ``docs/backends.md``.

A backend is a small protocol::

    backend.leg(router, a, b, edge_cost=None) -> (cost, pieces)

built once per network and engine by `backend_for`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .. import settings
from ..errors import EngineUnavailableError, InvalidValueError

if TYPE_CHECKING:
    import numpy as np

    from ..network import Network
    from ..routing import Piece, Router, Snap

__all__ = ["ENGINES", "Backend", "backend_for", "check_engine", "use_engine"]

#: The engines `routes.settings.engine` may name; ``bikemap`` is the library's own.
ENGINES = ("bikemap", "osrm", "valhalla")

#: The Python module and package each other engine needs (both publish wheels for Python 3.12+ only).
_PACKAGES = {"osrm": ("osrm", "osrm-bindings"), "valhalla": ("valhalla", "pyvalhalla")}


class Backend(Protocol):
    """What an engine does for bikemap: one leg between two snapped points."""

    def leg(
        self, router: Router, a: Snap, b: Snap, *, edge_cost: np.ndarray | None = None
    ) -> tuple[float, list[Piece]]:
        """Cheapest legal way from ``a`` to ``b`` under the profile (and closures in ``edge_cost``)."""
        ...


def check_engine(engine: str) -> str:
    """``engine`` if it is one bikemap can use here; else `InvalidValueError` or `EngineUnavailableError`.

    The message is one line: which engine, and what to do (the CLI prints it, exit code 2).
    """
    if engine not in ENGINES:
        raise InvalidValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine in _PACKAGES:
        module, package = _PACKAGES[engine]
        try:
            __import__(module)
        except ImportError:
            import sys

            raise EngineUnavailableError(
                f"the {engine} engine needs the Python package {package}, which publishes wheels for "
                f"Python 3.12 and newer only (this is {sys.version_info.major}.{sys.version_info.minor}); "
                f"make the environment with PYTHON=python3.12 ./dev start"
            ) from None
    return engine


def backend_for(network: Network, engine: str | None = None) -> Backend | None:
    """The backend of ``network`` for ``engine`` (default `routes.settings.engine`); None for bikemap's own."""
    engine = settings.engine if engine is None else engine
    if engine == "bikemap":
        return None
    check_engine(engine)

    def build() -> Any:
        folder = network.meta.get("engine_folder")
        if engine == "valhalla":
            from .valhalla import ValhallaBackend

            return ValhallaBackend(network, folder=folder)
        from .osrm import OsrmBackend

        return OsrmBackend(network, folder=folder)

    return network._cached(f"backend:{engine}", build)  # type: ignore[no-any-return]


def use_engine(
    network: Network, engine: str, *, cache_folder: str | None = None, profiles: list[str] | None = None
) -> Backend | None:
    """Route ``network`` with ``engine`` from now on (`routes.settings.engine` is process-wide).

    Checks the engine (one-line errors), keeps its data under ``cache_folder`` (default
    `routes.settings.cache_folder`) and builds it now for ``profiles`` (default: none; the
    first leg of a profile builds it), with progress on stderr when `routes.settings.progress`.
    """
    check_engine(engine)
    settings.engine = engine
    if engine == "bikemap":
        return None
    if cache_folder:
        network.meta["engine_folder"] = str(cache_folder)
    backend = backend_for(network, engine)
    for name in profiles or []:
        backend.prepare(network.router(name))  # type: ignore[union-attr]
    return backend
