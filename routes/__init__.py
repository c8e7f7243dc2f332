"""bikemap's route engine: cycling networks from OpenStreetMap, routes, tours, GPX.

No web framework here: ``import routes`` in a notebook and plan a ride.
"""

from __future__ import annotations

from . import settings
from .errors import (
    BikemapError,
    InvalidValueError,
    NoRouteError,
    OffNetworkError,
    SourceError,
    TooBigError,
    UnknownProfileError,
)
from .geo import parse_latlon, parse_points
from .network import Network
from .profiles import get_profile, load_profiles, profile_names
from .routing import Router, route
from .sources import load_network

__all__ = [
    "BikemapError",
    "InvalidValueError",
    "Network",
    "NoRouteError",
    "OffNetworkError",
    "Router",
    "SourceError",
    "TooBigError",
    "UnknownProfileError",
    "get_profile",
    "load_network",
    "load_profiles",
    "parse_latlon",
    "parse_points",
    "profile_names",
    "route",
    "settings",
]
