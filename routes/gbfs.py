"""Live bike-share data from GBFS feeds (versions 1.x, 2.x and 3.0).

A `GbfsClient` starts from a system's auto-discovery file (``gbfs.json``),
finds the feeds it lists and reads ``station_information``,
``station_status``, ``vehicle_status`` (3.0) or ``free_bike_status`` (2.x),
``system_information`` and ``system_pricing_plans`` where the system has them.
Every feed is cached until its ``last_updated + ttl``; `GbfsClient.snapshot`
returns an immutable `Snapshot` that merges them.

A live feed is outside our control, so nothing here may take the program
down: every request has a hard total deadline (the download runs in a helper
thread the refresh stops waiting for, so a feed sending one byte a second ends
at the deadline, headers included), and a whole refresh has one too
(`REFRESH_DEADLINE_FACTOR`); bodies have a size limit; redirects are followed
only within the same host. A feed that fails (unreachable, slow, HTTP error,
malformed or too deeply nested JSON, absurd numbers, wrong structure) keeps its
last good copy, and so does a station feed that would make a good copy worse
(mostly invalid entries, half the stations gone, or station ids that no longer
match: a re-keyed feed), the snapshot is marked ``stale``
with the reason and the time of the last good copy, and the failure is logged.
A station with a missing or wrongly typed field is skipped with a log line.
Only when a system has never been read successfully does `snapshot` raise
`routes.errors.FeedError`.

The client is thread-safe: one refresh runs at a time; while it runs, other
threads get the current snapshot instead of waiting (the web server has
threads). With ``background=True`` (the web app) no caller ever waits: a due
refresh starts in a background thread, and a caller gets the last good snapshot
or, before the first good read, `FeedError` ("no live data yet") at once.
`client_for(url)` keeps one client per feed URL for the process.

Written on `requests` rather than a GBFS library because the maintained ones
(``gbfs-client``, ``pygbfs``) either lack 3.0 or raise on the first malformed
station, while a live map must keep the good stations and the last good copy.

Examples
--------
>>> from routes.gbfs import client_for                         # doctest: +SKIP
>>> snap = client_for("https://example.org/gbfs.json").snapshot()  # doctest: +SKIP
>>> [s.name for s in snap.stations if s.can_rent][:3]           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .errors import FeedError

if TYPE_CHECKING:  # requests is imported by the first client: a server without GBFS_URL never needs it (issue #19)
    import requests

__all__ = [
    "GbfsClient",
    "PricingPlan",
    "Snapshot",
    "Station",
    "Vehicle",
    "client_for",
    "included_minutes",
    "ride_budget_minutes",
]

log = logging.getLogger(__name__)

#: Seconds allowed for one whole feed request (connect, headers and body). The web app's
#: setting ``BIKEMAP_GBFS_TIMEOUT`` (checked at start-up, see ``webapp.config``) and the CLI's
#: ``--timeout`` pass their own; the library reads no environment variable, so a bad value
#: can never fail an import.
DEFAULT_TIMEOUT_S: float = 5.0
#: Never ask a feed again sooner than this, whatever its ``ttl`` (``ttl`` 0 is common).
MIN_REFRESH_S: float = 10.0
#: After a failed request, wait this long before trying that feed again.
RETRY_AFTER_S: float = 30.0
#: Largest feed body accepted (a city of 2 000 stations is about 1 MB).
MAX_BYTES: int = 20 * 1024 * 1024
#: ``ttl`` used when a feed has none (or a bad one).
DEFAULT_TTL_S: float = 60.0
#: A whole refresh (discovery and every feed) ends after this many times the request timeout.
REFRESH_DEADLINE_FACTOR: float = 3.0
#: Same-host redirects followed at most (a redirect to another host is never followed).
MAX_REDIRECTS: int = 3
#: A new read of a station feed replaces a good copy only if at least this share of it is usable
#: (valid entries, and station ids that match the other station feed).
MIN_GOOD_SHARE: float = 0.5
#: Numbers beyond this are not data (2**53: the largest whole number a float holds exactly).
MAX_NUMBER: float = 2.0**53

#: Feeds read from a system, by GBFS name. The two station feeds are required.
REQUIRED_FEEDS = ("station_information", "station_status")
OPTIONAL_FEEDS = ("vehicle_status", "free_bike_status", "system_information", "system_pricing_plans")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Station:
    """A dock station: ``station_information`` merged with ``station_status``.

    The status fields are ``None`` when the status feed has no (valid) entry
    for the station; such a station can neither rent nor take a bike back.
    """

    station_id: str
    name: str
    lat: float
    lon: float
    capacity: int | None = None
    address: str | None = None
    is_virtual_station: bool = False
    num_bikes_available: int | None = None
    num_docks_available: int | None = None
    is_installed: bool | None = None
    is_renting: bool | None = None
    is_returning: bool | None = None
    last_reported: float | None = None  # POSIX seconds

    @property
    def has_status(self) -> bool:
        return self.is_renting is not None

    @property
    def can_rent(self) -> bool:
        """Open for rental and at least one bike available."""
        return bool(self.is_installed is not False and self.is_renting and (self.num_bikes_available or 0) > 0)

    @property
    def can_return(self) -> bool:
        """Open for returns and a free dock (a virtual station has no docks to fill)."""
        if not (self.is_installed is not False and self.is_returning):
            return False
        if self.num_docks_available is None:
            return self.is_virtual_station
        return self.num_docks_available > 0


@dataclass(frozen=True)
class Vehicle:
    """A bike from ``vehicle_status`` / ``free_bike_status``."""

    vehicle_id: str
    lat: float | None
    lon: float | None
    station_id: str | None = None
    is_reserved: bool = False
    is_disabled: bool = False
    vehicle_type_id: str | None = None


@dataclass(frozen=True)
class PricingPlan:
    """A plan from ``system_pricing_plans``; ``included_minutes`` is ``None`` when unlimited/unknown."""

    plan_id: str
    name: str
    currency: str | None
    price: float | None
    included_minutes: float | None
    description: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What a bike-share system looked like at the last good read of each feed.

    Attributes
    ----------
    stale
        True when the last attempt to read a station feed failed and older
        data is served; ``stale_reason`` says why.
    last_good
        Wall-clock time (POSIX seconds) of the last good read of ``station_status``.
    last_updated
        The ``last_updated`` the system gave its ``station_status``.
    problems
        Per feed name, the reason of its last failure (optional feeds too).
    """

    url: str
    version: str
    language: str | None
    system: dict[str, Any]
    stations: tuple[Station, ...]
    vehicles: tuple[Vehicle, ...]
    pricing_plans: tuple[PricingPlan, ...]
    last_updated: float | None
    last_good: float | None
    stale: bool = False
    stale_reason: str | None = None
    problems: dict[str, str] = field(default_factory=dict)

    def station(self, station_id: str) -> Station | None:
        for s in self.stations:
            if s.station_id == station_id:
                return s
        return None

    @property
    def included_minutes(self) -> float | None:
        return included_minutes(self.pricing_plans)


def included_minutes(plans) -> float | None:
    """Minutes of riding the system's plans include before extra charges.

    The smallest positive figure over the plans that state one (the safe side
    for a warning or a tour budget); ``None`` when no plan limits the ride time.
    """
    values = [p.included_minutes for p in plans if p.included_minutes is not None and p.included_minutes > 0]
    return min(values) if values else None


# --------------------------------------------------------------------------- validation


class _Bad(ValueError):
    """A field with a missing or wrong value (the message names it)."""


def _text(value: Any, lang: str | None, what: str, *, required: bool = True) -> str | None:
    """A plain string (2.x) or a 3.0 list of ``{text, language}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        items = [v for v in value if isinstance(v, dict) and isinstance(v.get("text"), str)]
        if items:
            for v in items:
                if lang and str(v.get("language", "")).lower().split("-")[0] == lang.lower().split("-")[0]:
                    return v["text"]
            return items[0]["text"]
    if value is None and not required:
        return None
    raise _Bad(f"{what} is {_show(value)}, not a string")


def _number(value: Any, what: str, *, required: bool = True, lo: float = -math.inf, hi: float = math.inf):
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -MAX_NUMBER <= value <= MAX_NUMBER:
        raise _Bad(f"{what} is {_show(value)}, not a number")  # NaN, infinities, 400-digit integers
    if not lo <= value <= hi:
        raise _Bad(f"{what} {value} is outside {lo:g}..{hi:g}")
    return value


def _count(value: Any, what: str, *, required: bool = True) -> int | None:
    v = _number(value, what, required=required, lo=0)
    if v is None:
        return None
    if v != int(v):
        raise _Bad(f"{what} {v} is not a whole number")
    return int(v)


def _flag(value: Any, what: str, *, required: bool = True) -> bool | None:
    """GBFS booleans (1.x used 0/1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if value is None and not required:
        return None
    raise _Bad(f"{what} is {_show(value)}, not a boolean")


def _ident(value: Any, what: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # against the spec, but common
        return str(value)
    raise _Bad(f"{what} is {_show(value)}, not an id")


def _timestamp(value: Any, what: str, *, required: bool = True) -> float | None:
    """POSIX seconds (1.x, 2.x) or an RFC 3339 string (3.0) as POSIX seconds."""
    if value is None and not required:
        return None
    if isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(f"{what} {_show(value)} is not an RFC 3339 time") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        return t.timestamp()
    seconds = float(_number(value, what, lo=0))
    if seconds > 1e11:  # milliseconds (a common feed mistake): seconds would be past the year 5000
        seconds /= 1000.0
    if seconds > 1e11:
        raise _Bad(f"{what} {_show(value)} is not a POSIX time")
    return seconds


def _why(exc: Exception) -> str:
    text = str(exc).lower()
    for key, why in (
        ("refused", "connection refused"),
        ("resolve", "host not found"),
        ("name or service", "host not found"),
        ("certificate", "bad TLS certificate"),
        ("reset", "connection reset"),
    ):
        if key in text:
            return why
    return type(exc).__name__


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return f"int of {len(str(abs(value)))} digits"
    try:
        text = json.dumps(value)[:40] if not isinstance(value, str) else repr(value[:40])
    except (ValueError, RecursionError):
        text = "(unprintable)"
    return "missing" if value is None else f"{type(value).__name__} {text}"


def _envelope(doc: Any, name: str) -> tuple[dict, float | None, float]:
    """Check a feed's top level: ``(data, last_updated, ttl)``."""
    if not isinstance(doc, dict):
        raise _Bad(f"{name}: the document is {type(doc).__name__}, not an object")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise _Bad(f"{name}: 'data' is {_show(data)}, not an object")
    try:
        last = _timestamp(doc.get("last_updated"), "last_updated", required=False)
    except _Bad:
        last = None
    ttl = doc.get("ttl")
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not (0 <= ttl < 86400 * 7):  # NaN fails too
        ttl = DEFAULT_TTL_S
    return data, last, float(ttl)


def _items(data: dict, key: str, name: str) -> list:
    items = data.get(key)
    if not isinstance(items, list):
        raise _Bad(f"{name}: 'data.{key}' is {_show(items)}, not a list")
    return items


def _each(items: list, name: str, parse: Callable[[dict], Any]) -> list:
    """Parse every entry, skipping (and logging) the bad ones."""
    out, bad = [], []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise _Bad(f"entry is {type(item).__name__}, not an object")
            out.append(parse(item))
        except _Bad as exc:
            ident = (
                item.get("station_id") or item.get("vehicle_id") or item.get("bike_id")
                if isinstance(item, dict)
                else None
            )
            bad.append(f"#{i}{f' ({ident})' if isinstance(ident, (str, int)) else ''}: {exc}")
    if bad:
        log.warning(
            "GBFS %s: skipped %d of %d entries: %s%s",
            name,
            len(bad),
            len(items),
            "; ".join(bad[:5]),
            " ..." if len(bad) > 5 else "",
        )
    return out


class _Table(dict):
    """Parsed entries by id, and how many entries the feed had (valid or not)."""

    total: int = 0


def _table(items: list, parsed: list[dict]) -> _Table:
    out = _Table((s["station_id"], s) for s in parsed)
    out.total = len(items)
    return out


def _parse_station_information(data: dict, lang: str | None) -> dict[str, dict]:
    def one(s: dict) -> dict:
        sid = _ident(s.get("station_id"), "station_id")
        return {
            "station_id": sid,
            "name": _text(s.get("name"), lang, "name", required=False) or sid,
            "lat": float(_number(s.get("lat"), "lat", lo=-90, hi=90)),
            "lon": float(_number(s.get("lon"), "lon", lo=-180, hi=180)),
            "capacity": _count(s.get("capacity"), "capacity", required=False),
            "address": _text(s.get("address"), lang, "address", required=False),
            "is_virtual_station": bool(_flag(s.get("is_virtual_station"), "is_virtual_station", required=False)),
        }

    items = _items(data, "stations", "station_information")
    return _table(items, _each(items, "station_information", one))


def _parse_station_status(data: dict) -> dict[str, dict]:
    def one(s: dict) -> dict:
        bikes = s.get("num_vehicles_available", s.get("num_bikes_available"))  # 3.0, 2.x
        return {
            "station_id": _ident(s.get("station_id"), "station_id"),
            "num_bikes_available": _count(bikes, "num_bikes_available"),
            "num_docks_available": _count(s.get("num_docks_available"), "num_docks_available", required=False),
            "is_installed": _flag(s.get("is_installed"), "is_installed"),
            "is_renting": _flag(s.get("is_renting"), "is_renting"),
            "is_returning": _flag(s.get("is_returning"), "is_returning"),
            "last_reported": _timestamp(s.get("last_reported"), "last_reported", required=False),
        }

    items = _items(data, "stations", "station_status")
    return _table(items, _each(items, "station_status", one))


def _parse_vehicles(data: dict, name: str) -> list[Vehicle]:
    key = "vehicles" if name == "vehicle_status" else "bikes"

    def one(v: dict) -> Vehicle:
        vid = _ident(v.get("vehicle_id", v.get("bike_id")), "vehicle_id")
        station = v.get("station_id")
        lat = _number(v.get("lat"), "lat", required=station is None, lo=-90, hi=90)
        lon = _number(v.get("lon"), "lon", required=station is None, lo=-180, hi=180)
        return Vehicle(
            vid,
            None if lat is None else float(lat),
            None if lon is None else float(lon),
            _ident(station, "station_id") if station is not None else None,
            bool(_flag(v.get("is_reserved"), "is_reserved", required=False)),
            bool(_flag(v.get("is_disabled"), "is_disabled", required=False)),
            v.get("vehicle_type_id") if isinstance(v.get("vehicle_type_id"), str) else None,
        )

    return _each(_items(data, key, name), name, one)


def _plan_included_minutes(plan: dict) -> float | None:
    """Minutes before the first charged minute: the start of the first priced ``per_min_pricing`` step.

    Also reads a plain ``included_minutes`` (some operators publish it as an
    extension). ``None`` when the plan charges nothing per minute.
    """
    extra = plan.get("included_minutes")
    if isinstance(extra, (int, float)) and not isinstance(extra, bool) and 0 <= extra <= MAX_NUMBER:
        return float(extra)
    steps = plan.get("per_min_pricing")
    if not isinstance(steps, list):
        return None
    starts = []
    for step in steps:
        if not isinstance(step, dict):
            continue
        rate, start = step.get("rate"), step.get("start")
        if isinstance(rate, (int, float)) and rate > 0 and isinstance(start, (int, float)) and 0 <= start <= MAX_NUMBER:
            starts.append(float(start))
    return min(starts) if starts else None


def _parse_pricing_plans(data: dict, lang: str | None) -> list[PricingPlan]:
    def one(p: dict) -> PricingPlan:
        pid = _ident(p.get("plan_id"), "plan_id")
        price = p.get("price")
        if isinstance(price, str):  # 1.x/2.x allowed strings
            try:
                price = float(price)
            except ValueError:
                price = None
        return PricingPlan(
            plan_id=pid,
            name=_text(p.get("name"), lang, "name", required=False) or pid,
            currency=p.get("currency") if isinstance(p.get("currency"), str) else None,
            price=_number(price, "price", required=False, lo=0),
            included_minutes=_plan_included_minutes(p),
            description=_text(p.get("description"), lang, "description", required=False),
        )

    return _each(_items(data, "plans", "system_pricing_plans"), "system_pricing_plans", one)


def _parse_system_information(data: dict, lang: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("system_id", "timezone", "language", "operator", "url", "email", "phone_number", "name", "short_name"):
        try:
            value = _text(data.get(key), lang, key, required=False)
        except _Bad:
            continue
        if value is not None:
            out[key] = value
    languages = data.get("languages")
    if isinstance(languages, list):
        out["languages"] = [x for x in languages if isinstance(x, str)]
    return out


# --------------------------------------------------------------------------- the client


@dataclass
class _Feed:
    """Cache of one feed: the last good parsed value and when to ask again."""

    name: str
    url: str
    value: Any = None
    last_updated: float | None = None
    fetched_at: float | None = None  # wall time of the last good read
    next_at: float = 0.0  # do not ask before this (ttl, or retry after a failure)
    error: str | None = None  # reason of the last failure, None after a success


class GbfsClient:
    """Reads and caches one bike-share system's GBFS feeds.

    Parameters
    ----------
    url
        The system's auto-discovery file (``.../gbfs.json``).
    timeout
        Seconds allowed for each whole request (default `DEFAULT_TIMEOUT_S`).
    language
        Preferred language of names (2.x feed set, 3.0 localized strings);
        default: English when offered, else the first one.
    clock
        Wall clock (seconds); tests pass a fake one to step through ``ttl``.
    background
        Refresh in a background thread: `snapshot` never waits for the network. It
        returns the last good snapshot (starting a refresh when one is due), or raises
        `FeedError` ("no live data yet") at once. For web servers; the default
        (False) refreshes in the calling thread, for scripts and the command line.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = None,
        language: str | None = None,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
        background: bool = False,
    ):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FeedError(f"GBFS URL must start with http:// or https://, got {str(url)[:80]!r}")
        self.url = url
        self.timeout = DEFAULT_TIMEOUT_S if timeout is None else float(timeout)
        self.language = language
        self.clock = clock
        if session is None:
            import requests

            session = requests.Session()
        self._session = session
        self._session.headers.setdefault("User-Agent", "bikemap (GBFS client)")
        self._lock = threading.Lock()
        self._discovery = _Feed("gbfs", url)
        self._version = "?"
        self._lang: str | None = None
        self._feeds: dict[str, _Feed] = {}
        self._snapshot: Snapshot | None = None
        self._dirty = True
        # read without the lock by other threads: plain values replaced whole, never mutated
        self._next_due = 0.0
        self._last_error = "no data yet"
        self.background = background
        self._generation = 0  # refreshes finished (a thread that waited for one does not repeat it)
        self._deadline = math.inf  # monotonic time the running refresh must end by
        self._hung: dict[str, threading.Thread] = {}  # per URL, a download given up at its deadline

    # ------------------------------------------------------------------ public

    def snapshot(self, *, refresh: bool = True) -> Snapshot:
        """The current merged view, refreshed first where a feed's ``ttl`` has passed.

        Never waits for another thread's refresh when a snapshot exists. Raises
        `FeedError` only when the station feeds have never been read.
        """
        if refresh and self.background:
            if self._due() and self._lock.acquire(blocking=False):
                threading.Thread(target=self._refresh_and_release, name="gbfs-refresh", daemon=True).start()
        elif refresh:
            if self._snapshot is None:
                seen = self._generation
                with self._lock:
                    if self._generation == seen:  # nobody refreshed while this thread waited
                        self._refresh_locked()
            elif self._due() and self._lock.acquire(blocking=False):
                try:
                    self._refresh_locked()
                finally:
                    self._lock.release()
        snap = self._snapshot
        if snap is None:
            if self.background:
                raise FeedError(f"no live data from the GBFS feed yet: {self._last_error}")
            raise FeedError(f"GBFS feed unavailable: {self._last_error}")
        return snap

    def _refresh_and_release(self) -> None:
        """Body of the background refresh thread (the caller acquired the lock for it)."""
        try:
            self._refresh_locked()
        except Exception:  # noqa: BLE001 - a bug must not kill the refreshing for good
            log.exception("GBFS refresh of %s failed", self.url)
            self._next_due = self.clock() + RETRY_AFTER_S
        finally:
            self._lock.release()

    def refresh(self) -> Snapshot:
        """Refresh now (waiting for a running refresh), ignoring ``ttl``."""
        with self._lock:
            for feed in (self._discovery, *self._feeds.values()):
                feed.next_at = 0.0
            self._refresh_locked()
        return self.snapshot(refresh=False)

    # ------------------------------------------------------------------ refresh

    def _due(self) -> bool:
        return self.clock() >= self._next_due

    def _refresh_locked(self) -> None:
        now = self.clock()
        self._deadline = time.monotonic() + REFRESH_DEADLINE_FACTOR * self.timeout
        try:
            if now >= self._discovery.next_at:
                self._discover(now)
            for feed in list(self._feeds.values()):
                if now >= feed.next_at:
                    self._read(feed, now)
        finally:
            self._deadline = math.inf
            self._generation += 1
        if self._dirty or self._snapshot is None:
            self._snapshot = self._merge() or self._snapshot
            self._dirty = False
        feeds = (self._discovery, *self._feeds.values())
        self._next_due = min(f.next_at for f in feeds)
        errors = [f.error for f in feeds if f.error]
        self._last_error = errors[0] if errors else f"no station data in {self.url}"

    def _discover(self, now: float) -> None:
        feed = self._discovery
        try:
            doc = self._get_json(self.url)
            data, last, ttl = _envelope(doc, "gbfs.json")
            version = doc.get("version") if isinstance(doc.get("version"), str) else "1.0"
            listing, lang = self._feed_list(data, version)
            urls = {}
            for item in listing if isinstance(listing, list) else []:
                if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("url"), str):
                    urls[item["name"]] = item["url"]
            missing = [n for n in REQUIRED_FEEDS if n not in urls]
            if missing:
                raise _Bad(f"gbfs.json lists no {' or '.join(missing)} feed")
        except (_Bad, FeedError) as exc:
            self._fail(feed, now, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - whatever a hostile feed causes, it is that feed's failure
            self._fail(feed, now, f"gbfs.json cannot be read ({type(exc).__name__})")
            return
        self._version, self._lang = version, lang
        for name in (*REQUIRED_FEEDS, *OPTIONAL_FEEDS):
            if name in urls:
                old = self._feeds.get(name)
                if old is None or old.url != urls[name]:
                    self._feeds[name] = _Feed(
                        name,
                        urls[name],
                        value=old.value if old else None,
                        last_updated=old.last_updated if old else None,
                        fetched_at=old.fetched_at if old else None,
                    )
        for name in [n for n in self._feeds if n not in urls]:
            del self._feeds[name]
        feed.error = None
        feed.fetched_at = now
        feed.next_at = self._next(last, ttl, now)
        self._dirty = True

    def _feed_list(self, data: dict, version: str) -> tuple[Any, str | None]:
        if version.startswith("3"):
            if not isinstance(data.get("feeds"), list):
                raise _Bad("gbfs.json (3.0): 'data.feeds' is not a list")
            return data["feeds"], self.language
        langs = [k for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("feeds"), list)]
        if not langs:
            raise _Bad(f"gbfs.json ({version}): no language with a 'feeds' list in 'data'")
        want = [self.language, "en"] if self.language else ["en"]
        lang = next((w for w in want if w in langs), None)
        if lang is None:  # e.g. "fr" asked, "fr-FR" offered
            lang = next(
                (k for k in langs if self.language and k.split("-")[0] == self.language.split("-")[0]), langs[0]
            )
        return data[lang]["feeds"], lang

    def _read(self, feed: _Feed, now: float) -> None:
        lang = self._lang or self.language
        try:
            doc = self._get_json(feed.url)
            data, last, ttl = _envelope(doc, feed.name)
            if feed.name == "station_information":
                value: Any = _parse_station_information(data, lang)
            elif feed.name == "station_status":
                value = _parse_station_status(data)
            elif feed.name in ("vehicle_status", "free_bike_status"):
                value = _parse_vehicles(data, feed.name)
            elif feed.name == "system_pricing_plans":
                value = _parse_pricing_plans(data, lang)
            else:
                value = _parse_system_information(data, lang)
            self._check_plausible(feed, value)
        except (_Bad, FeedError) as exc:
            self._fail(feed, now, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - whatever a hostile feed causes, it is that feed's failure
            self._fail(feed, now, f"{feed.name} cannot be read ({type(exc).__name__})")
            return
        feed.value, feed.last_updated, feed.fetched_at, feed.error = value, last, now, None
        feed.next_at = self._next(last, ttl, now)
        self._dirty = True

    def _check_plausible(self, feed: _Feed, value: Any) -> None:
        """Refuse a station feed that would make a good copy worse (raise `_Bad`; the good copy stays).

        Only once a good copy exists (a first read takes what it gets): a read whose entries
        are mostly invalid, that has less than half the stations of the good copy, or whose
        station ids no longer match the other station feed (a re-keyed feed) is a failure.
        """
        if feed.name not in REQUIRED_FEEDS or feed.value is None or not isinstance(value, _Table):
            return
        if value.total and len(value) < MIN_GOOD_SHARE * value.total:
            raise _Bad(f"only {len(value)} of {value.total} entries are valid")
        if len(value) < MIN_GOOD_SHARE * len(feed.value):
            raise _Bad(f"{len(value)} stations, against {len(feed.value)} in the last good copy")
        other = self._value("station_status" if feed.name == "station_information" else "station_information")
        if other:
            info = value if feed.name == "station_information" else other
            matched = len(set(value) & set(other))
            if info and matched < MIN_GOOD_SHARE * len(info):
                raise _Bad(f"station ids match only {matched} of {len(info)} of the other station feed (re-keyed?)")

    def _next(self, last_updated: float | None, ttl: float, now: float) -> float:
        """When a feed read at ``now`` expires: ``last_updated + ttl`` (never in the future of ``now + ttl``)."""
        base = now if last_updated is None else min(last_updated, now)
        return max(base + ttl, now + MIN_REFRESH_S)

    def _fail(self, feed: _Feed, now: float, reason: str) -> None:
        # with a good copy the failure is only seen here; without one the caller gets FeedError
        level = logging.WARNING if feed.value is not None else logging.INFO
        had = " (serving the last good copy)" if feed.value is not None else ""
        log.log(level, "GBFS %s from %s failed%s: %s", feed.name, feed.url, had, reason)
        feed.error = reason
        feed.next_at = now + RETRY_AFTER_S
        self._dirty = True

    def _get_json(self, url: str) -> Any:
        """GET and parse JSON, ending at a hard deadline: `timeout` for this request, and the refresh's.

        The download runs in a helper thread that the caller stops waiting for at the
        deadline, whatever the feed does (a body or headers sent one byte a second). The
        helper then stops at its next read; while one is still blocked, that URL is not
        asked again (at most one stuck thread per feed URL). Redirects are followed
        only within the same host.
        """
        deadline = min(time.monotonic() + self.timeout, self._deadline)
        if deadline <= time.monotonic():
            raise FeedError(f"{url} was not read: the refresh ran out of its {self._refresh_budget():g} s")
        hung = self._hung.pop(url, None)
        if hung is not None and hung.is_alive():
            self._hung[url] = hung
            raise FeedError(f"not reading {url}: an earlier download of it is still hanging")
        box: dict[str, Any] = {}
        done, cancel = threading.Event(), threading.Event()
        worker = threading.Thread(
            target=self._download, args=(url, deadline, cancel, box, done), name="gbfs-download", daemon=True
        )
        worker.start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            cancel.set()
            self._hung[url] = worker
            raise FeedError(f"{url} did not answer within {min(self.timeout, self._refresh_budget()):g} s")
        if "error" in box:
            raise box["error"]
        try:
            return json.loads(bytes(box["body"]))
        except RecursionError:
            raise FeedError(f"{url} is not usable JSON (nested too deeply)") from None
        except ValueError as exc:
            raise FeedError(f"{url} is not valid JSON ({str(exc)[:80]})") from None

    def _refresh_budget(self) -> float:
        return REFRESH_DEADLINE_FACTOR * self.timeout

    def _download(self, url: str, deadline: float, cancel: threading.Event, box: dict, done: threading.Event) -> None:
        try:
            box["body"] = self._fetch(url, deadline, cancel)
        except FeedError as exc:
            box["error"] = exc
        except Exception as exc:  # noqa: BLE001 - reported to the waiting thread as the feed's failure
            box["error"] = FeedError(f"cannot read {url}: {type(exc).__name__}")
        finally:
            done.set()

    def _fetch(self, url: str, deadline: float, cancel: threading.Event) -> bytearray:
        import requests  # imported already by the client (a session passed in may be any object with get())

        origin = urlsplit(self.url)
        for _hop in range(MAX_REDIRECTS + 1):
            wait = max(0.01, min(self.timeout, deadline - time.monotonic()))
            try:
                with self._session.get(url, timeout=(wait, wait), stream=True, allow_redirects=False) as resp:
                    if resp.is_redirect:
                        target = urljoin(url, resp.headers.get("location", ""))
                        where = urlsplit(target)
                        if (where.hostname, where.port) != (origin.hostname, origin.port) or where.scheme not in (
                            "http",
                            "https",
                        ):
                            raise FeedError(f"{url} redirects to another host ({where.netloc[:60]}); not followed")
                        url = target
                        continue
                    if resp.status_code != 200:
                        raise FeedError(f"HTTP {resp.status_code} from {url}")
                    body = bytearray()
                    while not cancel.is_set():
                        chunk = resp.raw.read1(65536, decode_content=True)  # what has arrived, not 64 KB
                        if not chunk:
                            return body
                        body += chunk
                        if len(body) > MAX_BYTES:
                            raise FeedError(f"{url} is larger than {MAX_BYTES // 1_048_576} MB")
                        if time.monotonic() > deadline:
                            raise FeedError(f"{url} took longer than {self.timeout:g} s")
                    raise FeedError(f"{url}: given up at the deadline")
            except FeedError:
                raise
            except requests.Timeout:
                raise FeedError(f"{url} did not answer within {self.timeout:g} s") from None
            except requests.ConnectionError as exc:
                if "timed out" in str(exc):  # a read timeout in the middle of the body
                    raise FeedError(f"{url} did not answer within {self.timeout:g} s") from None
                raise FeedError(f"cannot reach {url}: {_why(exc)}") from None
            except requests.RequestException as exc:
                raise FeedError(f"cannot reach {url}: {type(exc).__name__}") from None
            except (OSError, ValueError) as exc:  # urllib3 errors while reading the body (protocol, decoding)
                if "timed out" in str(exc):
                    raise FeedError(f"{url} did not answer within {self.timeout:g} s") from None
                raise FeedError(f"cannot read {url}: {type(exc).__name__}") from None
        raise FeedError(f"{url}: more than {MAX_REDIRECTS} redirects")

    # ------------------------------------------------------------------ merge

    def _merge(self) -> Snapshot | None:
        info_feed, status_feed = self._feeds.get("station_information"), self._feeds.get("station_status")
        if info_feed is None or status_feed is None or info_feed.value is None or status_feed.value is None:
            return None
        info, status = info_feed.value, status_feed.value
        stations = []
        for sid, s in info.items():
            st = status.get(sid, {})
            stations.append(Station(**s, **{k: v for k, v in st.items() if k != "station_id"}))
        orphans = len(set(status) - set(info))
        if orphans:
            log.info("GBFS station_status: %d stations not in station_information ignored", orphans)
        vehicles = self._value("vehicle_status") or self._value("free_bike_status") or []
        problems = {f.name: f.error for f in (self._discovery, *self._feeds.values()) if f.error}
        reasons = [f"{n}: {problems[n]}" for n in REQUIRED_FEEDS if n in problems]  # the counts are old
        return Snapshot(
            url=self.url,
            version=self._version,
            language=self._lang,
            system=self._value("system_information") or {},
            stations=tuple(stations),
            vehicles=tuple(vehicles),
            pricing_plans=tuple(self._value("system_pricing_plans") or ()),
            last_updated=status_feed.last_updated,
            last_good=status_feed.fetched_at,
            stale=bool(reasons),
            stale_reason="; ".join(reasons) or None,
            problems=problems,
        )

    def _value(self, name: str):
        feed = self._feeds.get(name)
        return None if feed is None else feed.value


_clients: dict[tuple[str, str | None], GbfsClient] = {}
_clients_lock = threading.Lock()


def client_for(
    url: str, *, language: str | None = None, timeout: float | None = None, background: bool = False
) -> GbfsClient:
    """The process-wide client of a feed URL (so its cache is shared by every request).

    Web servers pass ``background=True`` (see `GbfsClient`): no request waits for the feed;
    the client of that URL then refreshes in the background for every caller.
    """
    key = (url, language)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = GbfsClient(url, language=language, timeout=timeout, background=background)
        client.background = client.background or background
        return client


def ride_budget_minutes(url: str | None) -> float | None:
    """Riding minutes a bike-share ticket includes, for a tour's time budget.

    From the system's pricing plans (see `included_minutes`); ``None`` when no
    URL is given, no plan limits the ride, or the feed cannot be read (never
    raises: a tour is still planned without it).

    Examples
    --------
    >>> ride_budget_minutes(None)
    """
    if not url:
        return None
    try:
        return client_for(url).snapshot().included_minutes
    except FeedError as exc:
        log.info("no ride budget from %s: %s", url, exc)
        return None
