"""Every setting of the web app: its default, its ``BIKEMAP_*`` variable, and its check.

Settings come, later ones winning, from `SETTINGS` (the defaults), the instance
folder's ``config.py``, ``BIKEMAP_<NAME>`` environment variables (read with
Flask's ``from_prefixed_env``: a value that parses as JSON is that value, so
``BIKEMAP_PROXY_FIX=1`` is the number 1), and the ``bikemap serve`` options.
A test app passes a mapping instead of the instance file and the environment.

`init_app` checks and converts every setting before anything else runs: a
setting that cannot be used stops the start with `webapp.errors.SettingError`,
whose one-line message names it (``bikemap serve`` prints it and exits with 2,
before listening). No other module reads a setting with its own default.

========================  =====================================================  ==========
Setting (BIKEMAP_...)     Meaning                                                Default
========================  =====================================================  ==========
SOURCE                    network: demo, a .osm.pbf/.osm file, place:, bbox:     demo
CACHE_DIR                 folder of built networks                               ~/.cache/bikemap
NETWORK                   an already loaded routes.Network (tests, scripts)      none
DEM                       elevation data (.hgt/.hgt.zip, folder, GeoTIFF)        none
WARM_PROFILES             build every profile's router at start                  true
ENGINE                    routing engine: bikemap, osrm or valhalla (3.12+)      bikemap
DATABASE_URL              destination database (SQLAlchemy URL)                  instance SQLite file
SEED_DESTINATIONS         add the network's OSM destinations to the database     true
GBFS_URL                  gbfs.json of the bike-share system (live stations)     none
GBFS_TIMEOUT              seconds a feed read may take                           5
TILES_URL                 a raster tile server of your own ({z}/{x}/{y})          "" (built-in base map)
BASEMAP                   built-in base map: auto (from SOURCE), none, .mbtiles  auto
TILES_ATTRIBUTION         attribution of the tiles                               OSM
DATA_ATTRIBUTION          attribution of the map data, always shown              OSM
LANGUAGES                 UI languages (routes/data/locale/<code>); 1st=base    en,id
CSP                       Content-Security-Policy; {nonce} and {tiles} filled in  see below
REFERRER_POLICY           Referrer-Policy header                                 same-origin
FRAME_OPTIONS             X-Frame-Options header                                 SAMEORIGIN
HSTS_SECONDS              Strict-Transport-Security max-age on https (0: off)   31536000
PROXY_FIX                 proxies in front whose X-Forwarded-* are trusted       0
COMPRESS                  gzip text answers                                      true
SECRET_KEY                signs the session cookie                               instance/secret_key
REDIS_URL                 shared store of rate limits (several instances)        none: memory
LOGIN_LIMIT_ADDRESS       failed logins per address (limits syntax)              10 per minute
LOGIN_LIMIT_ACCOUNT       failed logins per account name                         5 per minute
LOGIN_LIMIT_GLOBAL        failed logins of the whole site                        100 per minute
STAFF_MAX_BYTES           largest staff JSON body                                256 KB
ADMIN_MAX_BYTES           largest admin form                                     1 MB
FEATURED_MAX_BYTES        largest featured-route body                            4 MB
IMPORT_MAX_BYTES          largest import file                                    5 MB
IMPORT_MAX_ROWS           most rows per import                                   10000
COST_SLOTS                expensive requests (webapp.cost) running at once       1
COST_QUEUE                expensive requests waiting for a slot (else 503)       1
COST_WAIT_S               seconds one of them may wait                           2
COST_TIME_S               seconds of work one request may use (else 422)         10
COST_LIMIT_CLIENT         expensive requests per client address (else 429)       60 per minute
REPORT_LIMIT_CLIENT       public road reports per client address (else 429)      5/minute; 30/hour
REPORT_PHOTO_MAX_BYTES    largest photo of a report (else 413)                   5 MB
REPORT_MAX_PIXELS         most pixels of a report's photo (else 413)             25 million
REPORT_DESCRIPTION_MAX    longest description of a report (characters)          1000
REPORT_MEDIA_DIR          folder of reports' photos                              instance/report_media
========================  =====================================================  ==========
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from routes.i18n import DOMAIN, locale_folder

from .errors import SettingError

__all__ = ["DEFAULTS", "SETTINGS", "Setting", "init_app", "load"]


def _text(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise SettingError(f"setting {name} must be text, got {v!r:.40}")
    return v


def _optional_text(name: str, v: Any) -> str | None:
    return None if v in (None, "") else _text(name, v)


def _flag(name: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        return v.strip().lower() in ("1", "true", "yes", "on")
    raise SettingError(f"setting {name} must be true or false, got {v!r:.40}")


def _number(name: str, v: Any, *, low: float, high: float, integer: bool) -> Any:
    try:
        if isinstance(v, bool):
            raise ValueError
        n = int(v) if integer and (isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())) else float(v)
    except (TypeError, ValueError):
        kind = "a whole number" if integer else "a number"
        raise SettingError(f"setting {name} must be {kind}, got {v!r:.40}") from None
    if integer and n != int(n):
        raise SettingError(f"setting {name} must be a whole number, got {v!r:.40}")
    if not low <= n <= high:
        raise SettingError(f"setting {name} must be between {low:g} and {high:g}, got {v!r:.40}")
    return int(n) if integer else float(n)


def _int(low: float, high: float) -> Callable[[str, Any], int]:
    return lambda name, v: _number(name, v, low=low, high=high, integer=True)


def _float(low: float, high: float) -> Callable[[str, Any], float]:
    return lambda name, v: _number(name, v, low=low, high=high, integer=False)


def _catalogue_of(code: str) -> Path:
    return locale_folder() / code / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _languages(name: str, v: Any) -> list[str]:
    items = v.split(",") if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)) or not items:
        raise SettingError(f"setting {name} must be a list of language codes such as en,id, got {v!r:.60}")
    out = []
    for code in items:
        code = code.strip() if isinstance(code, str) else code
        if not isinstance(code, str) or not code.isalpha() or not _catalogue_of(code).is_file():
            raise SettingError(
                f"setting {name}: no UI strings for language {code!r:.20} (routes/data/locale/<code>/LC_MESSAGES)"
            )
        out.append(code)
    return out


def _csp(name: str, v: Any) -> str:
    if v in (None, ""):
        return ""
    text = _text(name, v)
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise SettingError(f"setting {name} is not a valid template: {exc}") from None
    unknown = sorted(fields - {"nonce", "tiles"})
    if unknown:
        raise SettingError(
            f"setting {name} has the unknown placeholder {{{unknown[0]}}}; only {{nonce}} and {{tiles}} are filled in"
        )
    return text


def _limit(name: str, v: Any) -> str:
    from limits import parse_many

    text = _text(name, v)
    try:
        parse_many(text)
    except ValueError:
        raise SettingError(f"setting {name} must be a rate such as '5 per minute', got {v!r:.40}") from None
    return text


def _redis(name: str, v: Any) -> str | None:
    text = _optional_text(name, v)
    if text and not text.startswith(("redis://", "rediss://", "unix://")):
        raise SettingError(f"setting {name} must be a redis:// URL, got {text!r:.60}")
    return text


def _engine(name: str, v: Any) -> str:
    from routes.backends import check_engine
    from routes.errors import BikemapError

    try:
        return check_engine(str(v or "bikemap"))
    except BikemapError as exc:
        raise SettingError(f"setting {name}: {exc}") from None


def _any(_name: str, v: Any) -> Any:
    return v


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    check: Callable[[str, Any], Any]
    doc: str


_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: {tiles}; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)

#: Every setting of the web app (the table in this module's docstring).
SETTINGS: tuple[Setting, ...] = (
    Setting("SOURCE", "demo", _text, "network source"),
    Setting("CACHE_DIR", None, _optional_text, "folder of built networks"),
    Setting("NETWORK", None, _any, "an already loaded routes.Network"),
    Setting("DEM", None, _optional_text, "elevation data"),
    Setting("WARM_PROFILES", True, _flag, "build every router at start"),
    Setting("ENGINE", "bikemap", _engine, "routing engine (routes.backends)"),
    Setting("DATABASE_URL", None, _optional_text, "destination database URL"),
    Setting("SEED_DESTINATIONS", True, _flag, "seed destinations from OSM"),
    Setting("GBFS_URL", None, _optional_text, "GBFS feed"),
    Setting("GBFS_TIMEOUT", 5.0, _float(0.1, 120), "seconds per feed read"),
    Setting("TILES_URL", "", lambda n, v: v or "", "a raster tile server of your own; '': the built-in base map"),
    Setting("BASEMAP", "auto", lambda n, v: str(v or "none"), "built-in base map: auto, none, or an .mbtiles"),
    Setting("TILES_ATTRIBUTION", "© OpenStreetMap contributors", lambda n, v: v or "", "tiles attribution"),
    Setting("DATA_ATTRIBUTION", "© OpenStreetMap contributors", lambda n, v: v or "", "data attribution"),
    Setting("LANGUAGES", ["en", "id"], _languages, "UI languages"),
    Setting("CSP", _CSP, _csp, "Content-Security-Policy"),
    Setting("REFERRER_POLICY", "same-origin", _text, "Referrer-Policy"),
    Setting("FRAME_OPTIONS", "SAMEORIGIN", _text, "X-Frame-Options"),
    Setting("HSTS_SECONDS", 31536000, _int(0, 10**9), "HSTS max-age"),
    Setting("PROXY_FIX", 0, _int(0, 10), "trusted proxies"),
    Setting("COMPRESS", True, _flag, "gzip"),
    Setting("SECRET_KEY", None, lambda n, v: None if v in (None, "") else str(v), "session signing key"),
    Setting("REDIS_URL", None, _redis, "rate-limit store"),
    Setting("LOGIN_LIMIT_ADDRESS", "10 per minute", _limit, "failed logins per address"),
    Setting("LOGIN_LIMIT_ACCOUNT", "5 per minute", _limit, "failed logins per account"),
    Setting("LOGIN_LIMIT_GLOBAL", "100 per minute", _limit, "failed logins, whole site"),
    Setting("STAFF_MAX_BYTES", 256 * 1024, _int(1024, 2**31), "largest staff body"),
    Setting("ADMIN_MAX_BYTES", 1024 * 1024, _int(1024, 2**31), "largest admin form"),
    Setting("FEATURED_MAX_BYTES", 4 * 1024 * 1024, _int(1024, 2**31), "largest featured-route body"),
    Setting("IMPORT_MAX_BYTES", 5 * 1024 * 1024, _int(1024, 2**31), "largest import file"),
    Setting("IMPORT_MAX_ROWS", 10_000, _int(1, 10**7), "most rows per import"),
    Setting("COST_SLOTS", 1, _int(1, 64), "expensive requests running at once"),
    Setting("COST_QUEUE", 1, _int(0, 1000), "expensive requests waiting for a slot"),
    Setting("COST_WAIT_S", 2.0, _float(0, 600), "seconds one may wait"),
    Setting("COST_TIME_S", 10.0, _float(0, 3600), "seconds of work one may use"),
    Setting("COST_LIMIT_CLIENT", "60 per minute", _limit, "expensive requests per client address"),
    Setting("REPORT_LIMIT_CLIENT", "5 per minute; 30 per hour", _limit, "road reports per client address"),
    Setting("REPORT_PHOTO_MAX_BYTES", 5 * 1024 * 1024, _int(1024, 2**31), "largest photo of a report"),
    Setting("REPORT_MAX_PIXELS", 25_000_000, _int(1, 10**9), "most pixels of a report's photo"),
    Setting("REPORT_DESCRIPTION_MAX", 1000, _int(1, 100_000), "longest description of a report"),
    Setting("REPORT_MEDIA_DIR", None, _optional_text, "folder of reports' photos (default instance/report_media)"),
)

#: The defaults, by name.
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


def load(app: Flask, test_config: Mapping[str, Any] | None = None, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config``: defaults, then instance config.py and BIKEMAP_* (or ``test_config``), then overrides."""
    app.config.from_mapping({k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()})
    app.config["JSON_SORT_KEYS"] = False
    if test_config is None:
        try:
            app.config.from_pyfile("config.py", silent=True)
        except Exception as exc:  # a syntax error in the instance file: one line, not a traceback
            raise SettingError(f"instance config.py cannot be read: {exc}") from None
        app.config.from_prefixed_env("BIKEMAP")
    else:
        app.config.from_mapping(test_config)
    if overrides:
        app.config.from_mapping(overrides)


def init_app(app: Flask) -> None:
    """Check and convert every setting of `SETTINGS` in ``app.config`` (`SettingError` on the first bad one)."""
    for s in SETTINGS:
        app.config[s.name] = s.check(f"BIKEMAP_{s.name}", app.config.get(s.name, s.default))
    app.json.sort_keys = False  # type: ignore[attr-defined]
