"""Featured routes: tours and routes staff recommend, checked and stored versioned.

`clean_featured` checks a Feature from ``/api/tour`` or ``/api/route``;
`FEATURED` (a `webapp.storage.versioned.Versioned`) writes it;
`featured_to_feature` and `featured_gpx` give it back.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import InvalidFieldsError
from .models import FEATURED_EDITABLE, FeaturedRoute, FeaturedRouteHistory
from .versioned import Versioned

__all__ = ["FEATURED", "clean_featured", "featured_gpx", "featured_to_feature"]

FEATURED = Versioned(
    FeaturedRoute, FeaturedRouteHistory, key="featured_id", noun="featured route", editable=FEATURED_EDITABLE
)

#: Most positions in a featured route's line, and most stops.
MAX_POINTS = 50_000
MAX_STOPS = 100
#: How far (degrees) a line may reach past the network's bounds.
BOUNDS_MARGIN = 0.02

_STOP_KEYS = {
    "id": str,
    "name": str,
    "category": str,
    "description": str,
    "opening_hours": str,
    "visit_min": float,
    "arrival_s": float,
    "wait_s": float,
}
_SUMMARY_KEYS = {
    "kind": str,
    "method": str,
    "profile": str,
    "distance_m": float,
    "duration_s": float,
    "total_s": float,
    "ride_duration_s": float,
    "target_km": float,
}


def _text(value: Any, field: str, limit: int, errors: dict[str, str], *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = "must be text"
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = "a name is required"
    elif "\x00" in value:  # PostgreSQL cannot store NUL in text
        errors[field] = "must not contain NUL characters"
    elif len(value) > limit:
        errors[field] = f"at most {limit} characters"
    return value


def _texts(value: Any, field: str, limit: int, errors: dict[str, str]) -> dict[str, str]:
    """Per-language texts ``{"id": "..."}`` (empty ones dropped)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[field] = 'must be an object of texts per language, e.g. {"id": "..."}'
        return {}
    out = {}
    for lang, text in value.items():
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}", lang):
            errors[field] = f"language codes are two or three letters, got {str(lang)[:10]!r}"
            continue
        text = _text(text, f"{field}.{lang}", limit, errors)
        if text:
            out[lang] = text
    return out


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _line(geom: Any, bounds, errors: dict[str, str]) -> dict[str, Any] | None:
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if not isinstance(geom, dict) or geom.get("type") != "LineString" or not isinstance(coords, list):
        errors["geometry"] = "must be a GeoJSON LineString (the planned route's line)"
        return None
    if not 2 <= len(coords) <= MAX_POINTS:
        errors["geometry"] = f"a line needs 2 to {MAX_POINTS} positions, got {len(coords)}"
        return None
    out = []
    w, s, e, n = bounds or (-180.0, -90.0, 180.0, 90.0)
    m = BOUNDS_MARGIN if bounds else 0.0
    for i, c in enumerate(coords):
        maybe = [_number(v) for v in c[:3]] if isinstance(c, list) and 2 <= len(c) <= 3 else [None]
        nums = [v for v in maybe if v is not None]
        if len(nums) != len(maybe):
            errors["geometry"] = f"position {i} is not [longitude, latitude]"
            return None
        lon, lat = nums[0], nums[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["geometry"] = f"position {i} is not a longitude and latitude"
            return None
        if not (w - m <= lon <= e + m and s - m <= lat <= n + m):
            errors["geometry"] = f"position {i} ({lat:.5f},{lon:.5f}) lies outside the map's area"
            return None
        out.append([round(lon, 7), round(lat, 7), *([round(nums[2], 1)] if len(nums) == 3 else [])])
    return {"type": "LineString", "coordinates": out}


def _stops(props: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]] | None:
    """The stops in visit order: a tour's ``stops``, else a route's named waypoints."""
    raw = props.get("stops")
    if raw is None and isinstance(props.get("waypoints"), list):
        raw = []
        for w in props["waypoints"]:
            loc = w.get("location") if isinstance(w, dict) else None
            if isinstance(loc, list) and len(loc) >= 2 and w.get("role") not in ("stop",):
                raw.append({"name": w.get("name") or w.get("role") or "", "lon": loc[0], "lat": loc[1]})
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_STOPS:
        errors["stops"] = f"must be a list of at most {MAX_STOPS} places"
        return None
    out = []
    for i, st in enumerate(raw):
        lat, lon = (_number(st.get(k)) for k in ("lat", "lon")) if isinstance(st, dict) else (None, None)
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["stops"] = f"stop {i + 1} needs a lat and a lon"
            return None
        clean: dict[str, Any] = {"lat": lat, "lon": lon}
        for key, kind in _STOP_KEYS.items():
            v = st.get(key)
            if kind is str and isinstance(v, str):
                clean[key] = v[:2000].replace("\x00", "")
            elif kind is float and _number(v) is not None:
                clean[key] = _number(v)
        clean.setdefault("name", "")
        out.append(clean)
    return out


def _summary(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in _SUMMARY_KEYS.items():
        v = props.get(key)
        if kind is str and isinstance(v, str):
            out[key] = v[:40].replace("\x00", "")
        elif kind is float and _number(v) is not None:
            out[key] = _number(v)
    if "kind" not in out:
        out["kind"] = "bikeshare" if props.get("mode") == "bikeshare" else "route"
    return out


def clean_featured(data: dict[str, Any], *, current: dict[str, Any] | None = None, bounds=None) -> dict[str, Any]:
    """Checked values of a featured route from a GeoJSON Feature (or a flat object of properties).

    A Feature straight from ``/api/tour`` or ``/api/route`` is accepted as it
    is: its line, its stops (or named waypoints) and its summary (kind,
    profile, distance, times) are kept, everything else (turn-by-turn text,
    legs...) is dropped. ``current``: the stored values (an edit changes only
    what it names). Raises `InvalidFieldsError` with a message per field.
    """
    if data.get("type") == "Feature":
        props, geom = data.get("properties") or {}, data.get("geometry")
        if not isinstance(props, dict):
            raise InvalidFieldsError({"properties": "must be an object"})
    else:
        props = {k: v for k, v in data.items() if k != "type"}
        geom = props.pop("geometry", None)
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if current is None or "name" in props:
        out["name"] = _text(props.get("name"), "name", 200, errors, required=True)
    if current is None or "description" in props:
        out["description"] = _text(props.get("description"), "description", 5000, errors)
    for key, limit in (("names", 200), ("descriptions", 5000)):
        if current is None or key in props:
            out[key] = _texts(props.get(key), key, limit, errors)
    if "published" in props:
        if not isinstance(props["published"], bool):
            errors["published"] = "must be true or false"
        out["published"] = props["published"] is True
    elif current is None:
        out["published"] = False
    if geom is not None or current is None:
        line = _line(geom, bounds, errors)
        if line is not None:
            out["geometry"] = line
    if current is None or "stops" in props or (geom is not None and "waypoints" in props):
        stops = _stops(props, errors)
        out["stops"] = stops if stops is not None else ([] if current is None else current["stops"])
    if current is None or geom is not None:
        out["summary"] = _summary(props)
    if errors:
        raise InvalidFieldsError(errors)
    if "geometry" in out:  # lists show where a route is without loading its line
        summary = out.get("summary") or (current or {}).get("summary") or {}
        out["summary"] = {**summary, "bbox": _bbox(out["geometry"])}
    return out


def _bbox(geometry: dict[str, Any]) -> list[float]:
    xs = [c[0] for c in geometry["coordinates"]]
    ys = [c[1] for c in geometry["coordinates"]]
    return [min(xs), min(ys), max(xs), max(ys)]


def featured_to_feature(
    row: FeaturedRoute, *, lang: str = "en", staff: bool = False, geometry: bool = True
) -> dict[str, Any]:
    """A featured route as a GeoJSON Feature.

    ``title``/``text`` are the name and description in ``lang`` (English when
    there is none in it); ``name``/``names``/``description``/``descriptions``
    are the stored values. Without ``geometry`` the line is left out (lists)
    and only ``bbox`` says where it is.
    """
    summary = dict(row.summary or {})
    bbox = summary.pop("bbox", None) or _bbox(row.geometry)
    props: dict[str, Any] = {
        "title": (row.names or {}).get(lang) or row.name,
        "text": (row.descriptions or {}).get(lang) or row.description,
        "name": row.name,
        "names": dict(row.names or {}),
        "description": row.description,
        "descriptions": dict(row.descriptions or {}),
        **summary,
        "stops": list(row.stops or []),
        "published": row.published,
        "version": row.version,
        "updated_at": row.updated_at.isoformat(timespec="seconds") + "Z" if row.updated_at else None,
    }
    if staff:
        props["updated_by"] = row.updated_by
    return {
        "type": "Feature",
        "id": row.id,
        "bbox": bbox,
        "geometry": row.geometry if geometry else None,
        "properties": props,
    }


def featured_gpx(row: FeaturedRoute, *, lang: str = "en") -> str:
    """GPX 1.1: the line as the track, the stops as ``<wpt>`` in visit order."""
    from routes.gpx import route_to_gpx

    wpts = []
    stops = row.stops or []
    numbered = (row.summary or {}).get("kind") not in ("route", "bikeshare")
    for i, s in enumerate(stops, 1):
        bits = [str(s["category"]).capitalize()] if s.get("category") else []
        if s.get("visit_min"):
            bits.append(f"visit {s['visit_min']:.0f} min")
        if s.get("description"):
            bits.append(s["description"])
        name = s.get("name") or f"{i}"
        wpts.append(
            {
                "lon": s["lon"],
                "lat": s["lat"],
                "name": f"{i}. {name}" if numbered else name,
                "description": ". ".join(bits) or None,
            }
        )
    title = (row.names or {}).get(lang) or row.name
    text = (row.descriptions or {}).get(lang) or row.description or None
    return route_to_gpx(row.geometry["coordinates"], wpts, name=title, description=text)
