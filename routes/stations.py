"""Bike-share stations: from OpenStreetMap (the network source) or a live GBFS feed.

Every station is a plain dict with at least ``station_id``, ``name``,
``capacity``, ``lat``, ``lon``, ``source`` (``"osm"`` or ``"gbfs"``),
``can_rent`` and ``can_return``. Stations from a GBFS feed add the live
``num_bikes_available``, ``num_docks_available``, ``is_renting``,
``is_returning`` and ``last_reported`` (ISO 8601, UTC); for OpenStreetMap
stations ``can_rent`` and ``can_return`` are ``None`` (unknown).

`station_collection` is the one call the command line and the web app make:

Examples
--------
>>> from routes import load_network                             # doctest: +SKIP
>>> from routes.stations import station_collection              # doctest: +SKIP
>>> fc = station_collection(load_network("paris.osm.pbf"))      # doctest: +SKIP
>>> len(fc["features"]), fc["live"]                             # doctest: +SKIP
(46, False)
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from .errors import FeedError, InvalidValueError
from .gbfs import GbfsClient, Snapshot, client_for
from .places import stations_of

__all__ = [
    "gbfs_stations",
    "iso_time",
    "osm_stations",
    "station_collection",
    "stations_to_geojson",
]

log = logging.getLogger(__name__)

LIVE_FIELDS = ("num_bikes_available", "num_docks_available", "is_renting", "is_returning", "last_reported")


def iso_time(t: float | None) -> str | None:
    """POSIX seconds as ``2023-11-14T22:13:20Z`` (``None`` stays ``None``)."""
    if t is None:
        return None
    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):  # out of datetime's range: no usable time
        return None


def _int_tag(value: str | None) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def osm_stations(network) -> list[dict[str, Any]]:
    """The bike-share stations of a network's source (`routes.places.stations_of`).

    ``station_id`` is ``node/ID`` (or ``way/ID``); ``ref`` keeps the operator's
    own number where OSM has it.
    """
    out = []
    for p in stations_of(network):
        tags, sid = p["tags"], p["ref"]
        out.append(
            {
                "station_id": sid,
                "name": tags.get("name") or (f"Station {tags['ref']}" if tags.get("ref") else sid),
                "capacity": _int_tag(tags.get("capacity")),
                "network": tags.get("network"),
                "operator": tags.get("operator"),
                "ref": tags.get("ref"),
                "lat": p["lat"],
                "lon": p["lon"],
                "source": "osm",
                "can_rent": None,
                "can_return": None,
            }
        )
    return out


def gbfs_stations(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The stations of a GBFS snapshot with their live counts."""
    out = []
    for s in snapshot.stations:
        out.append(
            {
                "station_id": s.station_id,
                "name": s.name,
                "capacity": s.capacity,
                "address": s.address,
                "is_virtual_station": s.is_virtual_station,
                "lat": s.lat,
                "lon": s.lon,
                "source": "gbfs",
                "num_bikes_available": s.num_bikes_available,
                "num_docks_available": s.num_docks_available,
                "is_installed": s.is_installed,
                "is_renting": s.is_renting,
                "is_returning": s.is_returning,
                "last_reported": iso_time(s.last_reported),
                "can_rent": s.can_rent,
                "can_return": s.can_return,
            }
        )
    return out


def stations_to_geojson(stations: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of station dicts (``members`` become top-level members)."""
    features = [
        {
            "type": "Feature",
            "id": s["station_id"],
            "geometry": {"type": "Point", "coordinates": [round(s["lon"], 7), round(s["lat"], 7)]},
            "properties": {k: v for k, v in s.items() if k not in ("lat", "lon")},
        }
        for s in stations
    ]
    return {"type": "FeatureCollection", "features": features, **members}


def _snapshot_members(snap: Snapshot) -> dict[str, Any]:
    free = [v for v in snap.vehicles if v.station_id is None and not v.is_disabled and not v.is_reserved]
    return {
        "source": "gbfs",
        "live": True,
        "stale": snap.stale,
        "stale_reason": snap.stale_reason,
        "last_updated": iso_time(snap.last_updated),
        "last_good": iso_time(snap.last_good),
        "gbfs_version": snap.version,
        "system": snap.system,
        "included_minutes": snap.included_minutes,
        "pricing_plans": [
            {
                "plan_id": p.plan_id,
                "name": p.name,
                "currency": p.currency,
                "price": p.price,
                "included_minutes": p.included_minutes,
                "description": p.description,
            }
            for p in snap.pricing_plans
        ],
        "free_vehicles": len(free),
    }


def station_collection(
    network=None,
    *,
    gbfs_url: str | None = None,
    client: GbfsClient | None = None,
    fallback: bool = True,
) -> dict[str, Any]:
    """Stations as a GeoJSON FeatureCollection, live from GBFS when a feed is given.

    Parameters
    ----------
    network
        A `routes.Network`: its OpenStreetMap stations are used without a feed,
        or when the feed has never been readable and ``fallback`` is true.
    gbfs_url, client
        The feed's ``gbfs.json`` (the process-wide client of that URL is used)
        or a `GbfsClient`.
    fallback
        Serve OpenStreetMap stations (marked ``stale``) when the feed cannot be
        read at all; otherwise raise `routes.errors.FeedError`.

    Returns
    -------
    dict
        A FeatureCollection with the members ``source``, ``live``, ``stale``,
        ``stale_reason``, ``last_updated``, ``last_good`` (and ``system``,
        ``included_minutes``, ``pricing_plans``, ``free_vehicles`` from GBFS).
    """
    if client is None and gbfs_url:
        client = client_for(gbfs_url)
    if client is not None:
        try:
            snap = client.snapshot()
        except FeedError as exc:
            if not fallback or network is None:
                raise
            log.warning("serving OpenStreetMap stations: %s", exc)
            return stations_to_geojson(
                osm_stations(network),
                source="osm",
                live=False,
                stale=True,
                stale_reason=str(exc),
                last_updated=None,
                last_good=None,
            )
        return stations_to_geojson(gbfs_stations(snap), **_snapshot_members(snap))
    if network is None:
        raise InvalidValueError("no bike-share stations: give a network source or a GBFS feed")
    return stations_to_geojson(
        osm_stations(network),
        source="osm",
        live=False,
        stale=False,
        stale_reason=None,
        last_updated=None,
        last_good=None,
    )
