"""Parsing and checking of coordinates given by people."""

from __future__ import annotations

import math

from .errors import InvalidValueError

__all__ = ["parse_latlon", "parse_points"]


def parse_latlon(text: str, *, what: str = "point") -> tuple[float, float]:
    """Parse ``"LAT,LON"`` into ``(lat, lon)``, or raise `InvalidValueError`.

    Examples
    --------
    >>> parse_latlon("47.14, 9.52")
    (47.14, 9.52)
    """
    if not isinstance(text, str) or text.count(",") != 1:
        raise InvalidValueError(f"{what} must be LAT,LON in decimal degrees, got {str(text)[:60]!r}")
    a, b = text.split(",")
    try:
        lat, lon = float(a), float(b)
    except ValueError:
        raise InvalidValueError(f"{what} must be LAT,LON in decimal degrees, got {text[:60]!r}") from None
    return check_latlon(lat, lon, what=what)


def check_latlon(lat: float, lon: float, *, what: str = "point") -> tuple[float, float]:
    """Return ``(lat, lon)`` when finite and in range, else raise `InvalidValueError`."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidValueError(f"{what} has a coordinate that is not a finite number")
    if not -90 <= lat <= 90:
        raise InvalidValueError(f"{what} latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise InvalidValueError(f"{what} longitude {lon} is outside -180..180")
    return lat, lon


def parse_points(texts: str, *, what: str = "via", sep: str = ";") -> list[tuple[float, float]]:
    """Parse ``"LAT,LON;LAT,LON..."`` into a list of ``(lat, lon)``."""
    parts = [p for p in texts.split(sep) if p.strip()] if texts else []
    return [parse_latlon(p, what=f"{what} {i + 1}") for i, p in enumerate(parts)]
