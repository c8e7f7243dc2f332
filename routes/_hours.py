"""OpenStreetMap ``opening_hours``: the staff syntax check and the tour planner's evaluation.

Both are done by opening-hours-py (module ``opening_hours``), a maintained
parser and evaluator of the whole OSM specification: month, week and date
ranges, ``Mo[1]``, sunrise/sunset (at the place's coordinates), comments,
``unknown`` and fallback rules, and public holidays (``PH``) from the
calendar of the country at the place's coordinates.

`check_opening_hours` says what is wrong with a value staff type in;
`open_windows` gives the tour planner the opening intervals after a start
time. A value that is missing or does not parse is unknown (``None``): the
tour planner treats that place as open at any time. Time spans in state
``unknown`` ("Mo-Fr 10:00-16:00 unknown", "by appointment" comments on an
``unknown`` rule) also count as open, as before.

``scripts/bench_hours.py`` compares it with the hand-written parser it replaced.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the extension (3 MB) is loaded by the first value checked or read, not by the web app's start
    from opening_hours import OpeningHours

__all__ = ["OPENING_HOURS_EXAMPLES", "check_opening_hours", "open_windows", "parse_opening_hours"]

OPENING_HOURS_EXAMPLES = "'Mo-Fr 09:00-17:00; Sa 10:00-14:00; Su,PH off' or '24/7'"
#: Longest value evaluated (the destination database stores at most 500 characters).
MAX_LENGTH = 1000
_POSITION = re.compile(r"-->\s*\d+:(\d+)")


_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)"
#: ", " between two day names: a day list written with a space ("Sa, Su 14:00-18:00"), as mappers mean
#: it; the specification would read the space as a new rule ("Sa" all day, then "Su 14:00-18:00").
_SPACED_DAY_LIST = re.compile(rf"(?<=\b{_DAY}),\s+(?={_DAY}\b)")


def _clean(value: str) -> str:
    """A value as mappers mean it: no surrounding blanks or trailing ``;``, day lists without spaces.

    >>> _clean(" Fr 14:00-20:00; Sa, Su 14:00-18:00; ")
    'Fr 14:00-20:00; Sa,Su 14:00-18:00'
    """
    return _SPACED_DAY_LIST.sub(",", value.strip().rstrip(";").strip())


def check_opening_hours(value: str) -> str | None:
    """Return ``None`` when ``value`` is valid OSM ``opening_hours``, else a message.

    >>> check_opening_hours("Mo-Fr 08:00-12:00,13:00-17:30; Sa 10:00-14:00; PH off") is None
    True
    >>> check_opening_hours("Apr-Oct: Tu-Su 10:00-18:00") is None
    True
    >>> check_opening_hours("Mo-Fr 09:60-10:00").startswith("'Mo-Fr 09:60-10:00' is not valid")
    True
    """
    text = _clean(value)
    if not text:
        return f"is empty; leave opening_hours out, or write it as {OPENING_HOURS_EXAMPLES}"
    if len(text) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    from opening_hours import OpeningHours, ParserError  # type: ignore[attr-defined]  # stubs omit the exceptions

    try:
        OpeningHours(text)
    except ParserError as exc:
        m = _POSITION.search(str(exc))
        where = f" (at character {m.group(1)})" if m else ""
        return (
            f"'{text[:80]}' is not valid OpenStreetMap opening_hours syntax{where}; "
            f"for example {OPENING_HOURS_EXAMPLES}"
        )
    return None


def _zone(tz: dt.tzinfo | None) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is not None and tz.utcoffset(None) == dt.timedelta(0):
        return ZoneInfo("UTC")
    raise ValueError(f"opening hours need an IANA time zone (zoneinfo.ZoneInfo), got {tz!r}")


@lru_cache(maxsize=4096)
def _parse(text: str, zone: ZoneInfo, coords: tuple[float, float] | None) -> OpeningHours | None:
    from opening_hours import (  # type: ignore[attr-defined]  # the package's stubs omit its exceptions
        InvalidCoordinatesError,
        OpeningHours,
        ParserError,
        UnknownCountryError,
    )

    try:
        # coords with a time zone: sunrise/sunset at the place and the country's public holidays
        return OpeningHours(text, timezone=zone, coords=coords)
    except ParserError:
        return None
    except (InvalidCoordinatesError, UnknownCountryError):  # no calendar there: evaluate without holidays
        return OpeningHours(text, timezone=zone)


def parse_opening_hours(
    value: str | None, *, tz: dt.tzinfo | None = None, coords: tuple[float, float] | None = None
) -> OpeningHours | None:
    """The parsed value (an ``opening_hours.OpeningHours``), or ``None`` when missing or invalid.

    ``tz``: the place's time zone (default UTC); ``coords``: its ``(lat, lon)``
    (public holidays of that country, sunrise and sunset there). Parsed values
    are cached.

    >>> parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-14:00") is not None
    True
    >>> parse_opening_hours("Mo-Fr 9-17") is None
    True
    """
    if not value or not isinstance(value, str):
        return None
    text = _clean(value)
    if not text or len(text) > MAX_LENGTH:
        return None
    if coords is not None:
        coords = (round(float(coords[0]), 4), round(float(coords[1]), 4))  # ~10 m: a cache key
    return _parse(text, _zone(tz) if tz is not None else ZoneInfo("UTC"), coords)


def open_windows(
    value: str | None, start: dt.datetime, horizon_s: float, *, coords: tuple[float, float] | None = None
) -> list[tuple[float, float]] | None:
    """Open intervals of an ``opening_hours`` value, as seconds after ``start``, up to ``horizon_s``.

    ``start`` is aware, in the place's time zone (a `zoneinfo.ZoneInfo`);
    ``coords`` is the place's ``(lat, lon)`` for its country's public holidays.
    ``None`` when the value is missing or invalid (unknown). Intervals that
    touch are merged (``Mo 10:00-24:00; Tu 00:00-02:00`` is one).

    >>> import datetime as dt, zoneinfo
    >>> saturday_10 = dt.datetime(2026, 7, 4, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Vaduz"))
    >>> open_windows("Mo-Fr 09:00-17:00; Sa 14:00-18:00", saturday_10, 6 * 3600)
    [(14400.0, 21600.0)]
    """
    oh = parse_opening_hours(value, tz=start.tzinfo, coords=coords)
    if oh is None:
        return None
    from opening_hours import State

    if horizon_s <= 0:
        return []
    zone = _zone(start.tzinfo)
    t0 = start.astimezone(zone)
    s0 = t0.timestamp()  # differences of aware datetimes in one zone are wall-clock: use POSIX time
    out: list[tuple[float, float]] = []
    try:
        for a, b, state, _comment in oh.intervals(t0, t0 + dt.timedelta(seconds=horizon_s)):
            if state == State.CLOSED:
                continue
            lo = max(0.0, a.timestamp() - s0)
            hi = min(float(horizon_s), b.timestamp() - s0)
            if hi <= lo:
                continue
            if out and lo <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], hi))
            else:
                out.append((lo, hi))
    except (ValueError, OverflowError):  # a date the library cannot evaluate: unknown
        return None
    return out
