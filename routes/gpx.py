"""GPX 1.1 export (with gpxpy) of routes and tours.

gpxpy writes whatever it is given, including files that break the GPX schema
(longitude 180, NaN, control characters in names), so every value is checked
here before it goes in.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

import gpxpy.gpx

from .errors import InvalidFileError, InvalidValueError

__all__ = ["feature_to_gpx", "local_name", "read_gpx", "route_to_gpx"]

CREATOR = "bikemap"
# characters XML 1.0 cannot carry at all
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def local_name(tag: Any) -> str:
    """An XML element's name without its namespace (``{http://...}trkpt`` -> ``trkpt``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_gpx(raw: bytes):
    """The root element of a GPX file, parsed with defusedxml (no DTD, entities or external references).

    Raises `InvalidFileError` for a file that is not XML, not GPX, or declares a DTD or entities.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidFileError("the GPX file declares a DTD or XML entities, which are not allowed") from None
    except (ParseError, ValueError) as exc:
        raise InvalidFileError(f"the file is not valid XML: {str(exc)[:200]}") from None
    if local_name(root.tag) != "gpx":
        raise InvalidFileError(f"the file is not GPX (its root element is <{local_name(root.tag)[:40]}>)")
    return root


def _clean(text: Any, limit: int = 500) -> str | None:
    if text is None:
        return None
    s = _XML_BAD.sub("", str(text))[:limit]
    return s or None


def _check(lon: float, lat: float) -> tuple[float, float]:
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)) or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise InvalidValueError(f"cannot write a GPX point at lon={lon}, lat={lat}")
    lon, lat = round(lon, 7), round(lat, 7)
    if lon == 180.0:  # the schema's longitude type is [-180, 180)
        lon = -180.0
    return lon, lat


def route_to_gpx(
    coordinates: Iterable[Iterable[float]],
    waypoints: Iterable[dict[str, Any]] = (),
    *,
    name: str = "bikemap route",
    description: str | None = None,
    time: dt.datetime | None = None,
) -> str:
    """GPX 1.1 text: one ``<trk>`` with one ``<trkseg>``, and ``<wpt>`` for ``waypoints``.

    Parameters
    ----------
    coordinates
        ``[lon, lat]`` or ``[lon, lat, ele]`` positions of the line.
    waypoints
        Dicts with ``lon``, ``lat``, ``name`` and optional ``description``, ``ele``.
    """
    gpx = gpxpy.gpx.GPX()
    gpx.creator = CREATOR
    gpx.name = _clean(name, 200)
    gpx.description = _clean(description, 2000)
    gpx.time = (time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    for w in waypoints:
        lon, lat = _check(w["lon"], w["lat"])
        pt = gpxpy.gpx.GPXWaypoint(latitude=lat, longitude=lon, name=_clean(w.get("name"), 200))
        pt.description = _clean(w.get("description"), 2000)
        if w.get("ele") is not None and math.isfinite(float(w["ele"])):
            pt.elevation = round(float(w["ele"]), 1)
        gpx.waypoints.append(pt)
    track = gpxpy.gpx.GPXTrack(name=_clean(name, 200))
    seg = gpxpy.gpx.GPXTrackSegment()
    for c in coordinates:
        c = list(c)
        lon, lat = _check(c[0], c[1])
        ele = c[2] if len(c) > 2 and c[2] is not None and math.isfinite(float(c[2])) else None
        seg.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon, elevation=ele))
    track.segments.append(seg)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def feature_to_gpx(feature: dict[str, Any], *, name: str | None = None, lang: str = "en") -> str:
    """GPX of a route Feature from `routes.route`: its line and its start, vias and end.

    Waypoint names and the default title are in ``lang`` (`routes.instructions.wording`, from the translations).
    """
    from .instructions import wording

    words = wording(lang)
    props = feature.get("properties", {})
    wpts, via_n = [], 0
    for w in props.get("waypoints", []):
        role = w.get("role", "")
        if role == "via":
            via_n += 1
        label = {"from": words["gpx_start"], "to": words["gpx_end"]}.get(role) or words["gpx_via"].format(n=via_n)
        lon, lat = w["location"][:2]
        wpts.append({"lon": lon, "lat": lat, "name": w.get("name") or label, "description": w.get("description")})
    km = f"{props.get('distance_m', 0) / 1000:.1f}"
    title = name or props.get("name") or words["gpx_title"].format(profile=props.get("profile", ""), km=km)
    return route_to_gpx(
        feature["geometry"]["coordinates"], wpts, name=title.replace("  ", " "), description=props.get("description")
    )
