"""Checks of what staff type in: destinations, closures, OSM ``opening_hours``.

Every check collects plain-language messages per field, so a form can show all
of them at once; `InvalidFieldsError` carries them (``.fields``).

The ``opening_hours`` check is `routes._hours.check_opening_hours`, on the
maintained parser opening-hours-py (the full OSM syntax), the same one the
tour planner evaluates hours with.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from routes._hours import OPENING_HOURS_EXAMPLES, check_opening_hours  # noqa: F401 (re-exported)

from ..errors import InvalidFieldsError
from .models import CLOSURE_KINDS, categories

__all__ = [
    "check_opening_hours",
    "clean_closure",
    "clean_destination",
    "clean_report",
    "clean_url",
]


# ----------------------------------------------------------------------------- fields


def clean_url(value: Any) -> tuple[str | None, str | None]:
    """(url or None, error message or None): only absolute http/https links."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, "must be a link (text)"
    url = value.strip()
    if len(url) > 1000:
        return None, "is longer than 1000 characters"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None, "must be a web link starting with http:// or https://"
    if any(c.isspace() for c in url):
        return None, "must not contain spaces"
    return url, None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        f = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            f = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "yes", "1", "on"):
            return True
        if v in ("false", "no", "0", "off", ""):
            return False
    return None


_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")


def clean_destination(
    data: dict[str, Any],
    *,
    current: dict[str, Any] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """Check and normalise destination values; raise `InvalidFieldsError` listing every problem.

    ``data`` holds the fields to set (``lon``/``lat`` included). With ``current``
    (the stored values) only the fields present in ``data`` change; without it
    the result is a complete new destination. ``bounds`` (west, south, east,
    north) is the network's area: a point must lie inside it.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    full = current is None

    def given(key: str) -> bool:
        return key in data or (full and key in ("name", "category", "lon", "lat"))

    if given("name"):
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "a name is required"
        elif len(name.strip()) > 200:
            errors["name"] = "must be at most 200 characters"
        else:
            out["name"] = name.strip()
    if "names" in data:
        names = data["names"] if data["names"] is not None else {}
        if not isinstance(names, dict) or not all(
            isinstance(k, str) and _LANG.match(k) and isinstance(v, str) and len(v) <= 200 for k, v in names.items()
        ):
            errors["names"] = "must map language codes (such as 'id' or 'en') to names of at most 200 characters"
        else:
            out["names"] = {k: v.strip() for k, v in names.items() if v.strip()}
    elif full:
        out["names"] = {}
    if given("category"):
        cat = data.get("category")
        cat = cat.strip().lower() if isinstance(cat, str) else cat
        if cat not in categories():
            errors["category"] = "choose one of: " + ", ".join(categories())
        else:
            out["category"] = cat
    if "description" in data or full:
        desc = data.get("description") or ""
        if not isinstance(desc, str):
            errors["description"] = "must be text"
        elif len(desc) > 5000:
            errors["description"] = "must be at most 5000 characters"
        else:
            out["description"] = desc
    if "lon" in data or "lat" in data or full:
        lon = _number(data.get("lon", current["lon"] if current else None))
        lat = _number(data.get("lat", current["lat"] if current else None))
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["location"] = "place the point on the map (longitude and latitude numbers are needed)"
        elif bounds is not None and not _inside(lon, lat, bounds):
            w, s, e, n = bounds
            errors["location"] = (
                f"the point ({lat:.5f}, {lon:.5f}) is outside the area of the map "
                f"(latitude {s:.4f} to {n:.4f}, longitude {w:.4f} to {e:.4f})"
            )
        else:
            out["lon"], out["lat"] = round(lon, 7), round(lat, 7)
    if "opening_hours" in data:
        oh = data["opening_hours"]
        if oh is None or (isinstance(oh, str) and not oh.strip()):
            out["opening_hours"] = None
        elif not isinstance(oh, str) or len(oh) > 500:
            errors["opening_hours"] = "must be text of at most 500 characters"
        elif msg := check_opening_hours(oh):
            errors["opening_hours"] = msg
        else:
            out["opening_hours"] = oh.strip()
    elif full:
        out["opening_hours"] = None
    if "visit_minutes" in data:
        vm = data["visit_minutes"]
        if vm is None or (isinstance(vm, str) and not vm.strip()):
            out["visit_minutes"] = None
        else:
            vn = _number(vm)
            if vn is None or vn != int(vn) or not 0 <= vn <= 1440:
                errors["visit_minutes"] = "must be a whole number of minutes from 0 to 1440"
            else:
                out["visit_minutes"] = int(vn)
    elif full:
        out["visit_minutes"] = None
    for key in ("image_url", "website"):
        if key in data:
            url, msg = clean_url(data[key])
            if msg:
                errors[key] = msg
            else:
                out[key] = url
        elif full:
            out[key] = None
    if "published" in data:
        pub = _bool(data["published"])
        if pub is None:
            errors["published"] = "must be true or false"
        else:
            out["published"] = pub
    elif full:
        out["published"] = True
    _refuse_nul(out, errors)
    if errors:
        raise InvalidFieldsError(errors)
    return out


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def _refuse_nul(out: dict[str, Any], errors: dict[str, str]) -> None:
    """NUL characters are no text anyone types, and PostgreSQL cannot store them in text."""
    for key, value in out.items():
        if key not in errors and _has_nul(value):
            errors[key] = "must not contain NUL characters"


def _inside(lon: float, lat: float, bounds: tuple[float, float, float, float], pad: float = 0.01) -> bool:
    w, s, e, n = bounds
    return w - pad <= lon <= e + pad and s - pad <= lat <= n + pad


def parse_end(value: Any) -> tuple[datetime | None, str | None]:
    """An end date or date-time (ISO 8601, UTC) -> naive UTC datetime.

    A plain date means the end of that day (the closure still counts on it).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, "must be a date such as 2026-12-31 (or a date and time)"
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(datetime.fromisoformat(text).date(), time()) + timedelta(days=1), None
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, "must be a date such as 2026-12-31 (or a date and time)"
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt, None


def clean_closure(feature: Any, *, bounds: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    """Check a closure/hazard GeoJSON Feature -> values for `webapp.storage.models.Closure`."""
    errors: dict[str, str] = {}
    if not isinstance(feature, dict):
        raise InvalidFieldsError({"feature": "send a GeoJSON Feature with a Point or LineString geometry"})
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidFieldsError({"properties": "must be an object (kind, reason, ends_at)"})
    geom = feature.get("geometry")
    out: dict[str, Any] = {}
    kind = props.get("kind", "closure")
    if kind not in CLOSURE_KINDS:
        errors["kind"] = "must be 'closure' (road closed) or 'hazard' (road dangerous)"
    else:
        out["kind"] = kind
    reason = props.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = "a reason is required (for example 'road works')"
    elif len(reason) > 500:
        errors["reason"] = "must be at most 500 characters"
    else:
        out["reason"] = reason.strip()
    ends, msg = parse_end(props.get("ends_at"))
    if msg:
        errors["ends_at"] = msg
    else:
        out["ends_at"] = ends
    coords = _closure_coords(geom)
    if coords is None:
        errors["geometry"] = "draw a point or a line (GeoJSON Point or LineString with 2 to 500 points)"
    elif bounds is not None and not all(_inside(x, y, bounds) for x, y in coords):
        errors["geometry"] = "the closure is outside the area of the map"
    else:
        typ = "Point" if len(coords) == 1 else "LineString"
        out["geometry"] = {"type": typ, "coordinates": coords[0] if typ == "Point" else coords}
    _refuse_nul(out, errors)
    if errors:
        raise InvalidFieldsError(errors)
    return out


def _closure_coords(geom: Any) -> list[list[float]] | None:
    if not isinstance(geom, dict):
        return None
    typ, c = geom.get("type"), geom.get("coordinates")
    pts = [c] if typ == "Point" else c if typ == "LineString" else None
    if not isinstance(pts, list) or not 1 <= len(pts) <= 500 or (typ == "LineString" and len(pts) < 2):
        return None
    out = []
    for p in pts:
        if not isinstance(p, (list, tuple)) or len(p) < 2:
            return None
        x, y = _number(p[0]), _number(p[1])
        if x is None or y is None or not (-180 <= x <= 180 and -90 <= y <= 90):
            return None
        out.append([round(x, 7), round(y, 7)])
    return out


_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,189}\.[^@\s<>\"'.]{1,63}$")


def clean_report(
    data: dict[str, Any],
    *,
    codes: tuple[str, ...],
    bounds: tuple[float, float, float, float],
    area: str,
    max_description: int,
) -> dict[str, Any]:
    """Check a visitor's report (Open311 field names) -> values for `webapp.storage.models.Report`.

    `InvalidFieldsError` lists every bad field; a point outside ``bounds`` (the
    network's area, named ``area``) is `webapp.errors.OutsideAreaError`.
    """
    from ..errors import OutsideAreaError

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    code = data.get("service_code")
    if code not in codes:
        errors["service_code"] = "choose one of: " + ", ".join(codes)
    else:
        out["service_code"] = code
    lat, lon = _number(data.get("lat")), _number(data.get("long"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors["location"] = "lat and long must be numbers (degrees) of the point of the problem"
    desc = data.get("description")
    if desc is None:
        desc = ""
    if not isinstance(desc, str):
        errors["description"] = "must be text"
    elif len(desc.strip()) > max_description:
        errors["description"] = f"must be at most {max_description} characters"
    else:
        out["description"] = desc.strip()
    email = data.get("email")
    if email is None or (isinstance(email, str) and not email.strip()):
        out["email"] = None
    elif not isinstance(email, str) or len(email.strip()) > 254 or not _EMAIL.match(email.strip()):
        errors["email"] = "must be an email address such as name@example.org, or left out"
    else:
        out["email"] = email.strip()
    _refuse_nul(out, errors)
    if errors:
        raise InvalidFieldsError(errors)
    assert lat is not None and lon is not None
    if not _inside(lon, lat, bounds, pad=0.0):
        w, s, e, n = bounds
        raise OutsideAreaError(
            f"the point ({lat:.5f}, {lon:.5f}) is outside the area of {area} "
            f"(latitude {s:.4f} to {n:.4f}, longitude {w:.4f} to {e:.4f}); this service takes reports there only",
            area={"name": area, "bbox": [round(w, 6), round(s, 6), round(e, 6), round(n, 6)]},
        )
    out["lat"], out["lon"] = round(lat, 7), round(lon, 7)
    return out
