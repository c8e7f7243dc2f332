"""Blueprint ``api``: the JSON API (``/api/...``), documented in `webapp.openapi`.

Views stay thin: they check the query, call `routes`, and return JSON. Every
error is a `routes.errors.BikemapError` that `webapp.errors` turns into
``{"error": {"code", "message"}}`` with a 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from routes import get_profile, parse_latlon, parse_points, profile_names, route, settings
from routes.errors import InvalidValueError, TooBigError
from routes.gpx import feature_to_gpx

from .destinations import feature_collection, filter_features, parse_bbox, station_features
from .errors import InvalidQueryError
from .network import get_network
from .openapi import openapi_document
from .routing_extras import parse_alternatives, route_feature_with_alternatives
from .staff_api import closure_edge_cost_for, published_features
from .stations_api import bikeshare_feature, gbfs_client, stations_collection

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"


def query(allowed: set[str], required: tuple[str, ...] = ()) -> dict[str, str]:
    """The request's query parameters, checked: no unknown or repeated ones, required ones present.

    ``via`` may be repeated (its values are joined with ``;``).
    """
    args = request.args
    unknown = sorted(set(args) - allowed)
    if unknown:
        expected = f"expected {', '.join(sorted(allowed))}" if allowed else "this endpoint takes no query parameters"
        raise InvalidQueryError(f"unknown query parameter {unknown[0]!r}; {expected}")
    out = {}
    for key in args:
        values = args.getlist(key)
        if len(values) > 1 and key != "via":
            raise InvalidQueryError(f"query parameter {key!r} given {len(values)} times")
        out[key] = ";".join(values)
    for key in required:
        if not out.get(key, "").strip():
            raise InvalidQueryError(f"missing query parameter {key!r}")
    return out


def query_lang(q: dict[str, str]) -> str:
    """The checked ``lang`` query parameter (default ``en``)."""
    lang = q.get("lang") or "en"
    if lang not in current_app.config["LANGUAGES"]:
        raise InvalidValueError(f"lang must be one of {', '.join(current_app.config['LANGUAGES'])}, got {lang[:20]!r}")
    return lang


def _geojson(obj) -> Response:
    resp = jsonify(obj)
    resp.mimetype = GEOJSON
    return resp


@bp.get("/route")
def api_route():
    q = query(
        {"from", "to", "via", "profile", "lang", "format", "mode", "names", "alternatives", "pick"},
        required=("from", "to"),
    )
    fmt = q.get("format") or "geojson"
    if fmt not in ("geojson", "json", "gpx"):
        raise InvalidValueError(f"format must be geojson or gpx, got {fmt[:20]!r}")
    lang = query_lang(q)
    profile = get_profile(q.get("profile") or "safe").name
    start = parse_latlon(q["from"], what="from")
    end = parse_latlon(q["to"], what="to")
    parts = [p for p in q.get("via", "").split(";") if p.strip()]
    if len(parts) > settings.max_via:  # refuse before parsing or snapping anything
        raise TooBigError(f"at most {settings.max_via} via points, got {len(parts)}")
    vias = parse_points(";".join(parts), what="via")
    n_alt, pick = parse_alternatives(q)
    if (q.get("mode") or "bike") != "bike":  # mode=bikeshare: webapp.stations_api
        if n_alt or pick:
            raise InvalidValueError("alternatives are for the own bike (mode=bike), not a bike-share trip")
        feature = bikeshare_feature(get_network(), start, end, mode=q["mode"], vias=vias, profile=profile, lang=lang)
    elif n_alt or pick:  # alternatives: webapp.routing_extras
        if vias:
            raise InvalidValueError("alternative routes go from a start to a destination: via points are not allowed")
        feature = route_feature_with_alternatives(start, end, n=max(n_alt, pick), pick=pick, profile=profile, lang=lang)
    else:
        feature = route(
            get_network(),
            [start, *vias, end],
            profile=profile,
            lang=lang,
            edge_cost=closure_edge_cost_for(get_network(), profile),
        )  # closures: webapp.staff_api
    if q.get("names") and (q.get("mode") or "bike") == "bike":
        _name_waypoints(feature, q["names"])
    if fmt == "gpx":
        body = feature_to_gpx(feature, name=_gpx_name(feature, lang), lang=lang)
        return Response(
            body,
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": 'attachment; filename="bikemap-route.gpx"'},
        )
    return _geojson(feature)


def _name_waypoints(feature: dict, text: str) -> None:
    """Give the route's waypoints the names the planner knows ("Amos Anderson Art Museum")."""
    names = text.split("|")
    waypoints = feature["properties"]["waypoints"]
    if len(names) != len(waypoints):
        raise InvalidValueError(
            f"names must have one entry per point ({len(waypoints)}), separated by '|'; got {len(names)}"
        )
    for w, name in zip(waypoints, names, strict=False):
        name = name.strip()
        if len(name) > 200 or "\x00" in name:
            raise InvalidValueError("each name must be at most 200 characters of text")
        if name:
            w["name"] = name


_GPX_WORDS = {
    "en": ("bikemap bike share", "walk", "ride"),
    "id": ("bikemap sepeda sewaan", "jalan kaki", "bersepeda"),
}


def _gpx_name(feature: dict, lang: str) -> str | None:
    """A bike-share trip's GPX title with its legs ("walk 2 min, ride 4 min, walk 4 min"); None: the default."""
    p = feature["properties"]
    if p.get("mode") != "bikeshare":
        return None
    title, walk, ride = _GPX_WORDS.get(lang, _GPX_WORDS["en"])
    legs = ", ".join(
        f"{walk if leg['mode'] == 'walk' else ride} {max(1, round(leg['duration_s'] / 60))} min" for leg in p["legs"]
    )
    km = f"{p['distance_m'] / 1000:.1f}".replace(".", "," if lang == "id" else ".")
    return f"{title}, {km} km ({legs})"


def _categories(text: str | None) -> set[str] | None:
    if not text:
        return None
    cats = {c.strip().lower() for c in text.split(",") if c.strip()}
    return cats or None


@bp.get("/destinations")
def api_destinations():
    q = query({"bbox", "category", "lang"})
    lang = query_lang(q)
    bbox = parse_bbox(q["bbox"]) if q.get("bbox") else None
    feats = filter_features(published_features(lang=lang), bbox=bbox, categories=_categories(q.get("category")))
    return _geojson(feature_collection(feats))


@bp.get("/stations")
def api_stations():
    q = query({"bbox", "lang"})
    lang = query_lang(q)
    bbox = parse_bbox(q["bbox"]) if q.get("bbox") else None
    if gbfs_client():  # live counts and "stale" from the GBFS feed: webapp.stations_api
        return _geojson(stations_collection(get_network(), bbox=bbox))
    return _geojson(feature_collection(filter_features(station_features(get_network(), lang=lang), bbox=bbox)))


@bp.get("/profiles")
def api_profiles():
    query(set())
    return jsonify(
        [{"name": n, "mode": get_profile(n).mode, "description": get_profile(n).description} for n in profile_names()]
    )


@bp.get("/openapi.json")
def api_openapi():
    query(set())
    return jsonify(openapi_document())
