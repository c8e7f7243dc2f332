"""Domain errors of the route engine.

Each error subclasses a built-in exception and carries a short machine code
(`code`) that the web layer turns into its JSON error body and the command line
turns into one line on stderr with exit code 2.
"""

from __future__ import annotations

__all__ = [
    "BasemapError",
    "BikemapError",
    "EngineUnavailableError",
    "FeedError",
    "InvalidFileError",
    "InvalidValueError",
    "NoRouteError",
    "OffNetworkError",
    "SourceError",
    "TooBigError",
    "TooExpensiveError",
    "UnknownProfileError",
]


class BikemapError(Exception):
    """Base class of every error a user may cause.

    ``details`` (optional) holds machine-readable facts beside the message, e.g.
    ``{"point": "to", "distance_m": 812.0}`` for a point far from every street.
    """

    code = "InvalidValue"
    details: dict | None = None


class InvalidValueError(BikemapError, ValueError):
    """A value (coordinate, option) that cannot be used."""

    code = "InvalidValue"


class UnknownProfileError(InvalidValueError):
    """A cycling profile name that is not defined."""

    code = "InvalidValue"


class OffNetworkError(BikemapError, ValueError):
    """A point too far from any routable street.

    ``point`` names which one (``from``, ``to``, ``via 2``, ``start``...) when known.
    """

    code = "NoSegment"

    def __init__(self, message: str, *, point: str | None = None) -> None:
        super().__init__(message)
        self.point = point


class NoRouteError(BikemapError, LookupError):
    """No legal route connects the points."""

    code = "NoRoute"


class TooBigError(BikemapError, ValueError):
    """A request asks for more than the engine allows (e.g. too many via points)."""

    code = "TooBig"


class InvalidFileError(InvalidValueError):
    """An uploaded file that cannot be read: not XML, not GPX, a DTD, no track (map matching)."""

    code = "InvalidFile"


class SourceError(BikemapError, OSError):
    """A network source that cannot be read, fetched or parsed."""

    code = "SourceError"


class FeedError(SourceError):
    """A live bike-share (GBFS) feed that cannot be read and has no good copy to fall back on."""

    code = "FeedError"


class UnknownDestinationError(InvalidValueError):
    """A destination id that is not in the destination list (tours)."""

    code = "UnknownDestination"


class BudgetTooSmallError(InvalidValueError):
    """A time budget in which no destination can be visited (tours)."""

    code = "BudgetTooSmall"


class BasemapError(BikemapError, RuntimeError):
    """Base map tiles that cannot be built or read (tilemaker missing, a source that is not a file)."""

    code = "BasemapError"


class TooExpensiveError(BikemapError, RuntimeError):
    """A request that needs more work than one request may use (`routes.budget`)."""

    code = "TooExpensive"


class EngineUnavailableError(BikemapError, RuntimeError):
    """A routing engine that cannot run here (`routes.backends`: its package is missing, or its build failed)."""

    code = "EngineUnavailable"
