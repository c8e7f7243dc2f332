"""Blueprint ``staff_api``: the JSON API city staff use to keep destinations and closures current.

Authentication: ``Authorization: Bearer TOKEN`` (``bikemap user token NAME``), or
the staff UI's session cookie plus its ``X-CSRF-Token`` header. Anonymous
requests to staff actions get 401, a too-weak role 403.

Optimistic locking: every destination answer carries ``ETag: "ID.VERSION"``;
``PATCH``/``DELETE``/restore need ``If-Match`` with it (none: 428; stale: 412,
nothing changed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask import session as cookie
from sqlalchemy import select

from routes.errors import BikemapError

from .csvsafe import neutralise, unneutralise
from .db import (
    NotFoundError,
    StaleVersionError,
    active_closures,
    create_destination,
    delete_destination,
    get_destination,
    get_session,
    history,
    restore_destination,
    update_destination,
)
from .inputguard import INT_MAX, problem
from .models import EDITABLE, ApiToken, Closure, Destination, User, hash_token, utcnow
from .validation import DestinationInvalid, clean_closure, clean_destination

__all__ = [
    "bp",
    "closure_edge_cost_for",
    "closures_map_layer",
    "current_user",
    "layer_state",
    "public_closures",
    "published_features",
    "require",
]

bp = Blueprint("staff_api", __name__, url_prefix="/api")


#: Largest body of a staff request other than an import (bytes; config ``STAFF_MAX_BYTES``).
STAFF_MAX_BYTES = 256 * 1024


@bp.before_request
def _limit_body() -> None:
    if request.endpoint != "staff_api.api_import" and request.max_content_length is None:
        request.max_content_length = current_app.config.get("STAFF_MAX_BYTES", STAFF_MAX_BYTES)


@bp.record_once
def _setup(state) -> None:  # the database comes with the blueprint: one line in BLUEPRINTS
    from .db import init_app

    init_app(state.app)


GEOJSON = "application/geo+json"

#: Import bodies larger than this many bytes get 413 (config ``IMPORT_MAX_BYTES``).
IMPORT_MAX_BYTES = 5 * 1024 * 1024
#: Imports with more rows than this get 413 (config ``IMPORT_MAX_ROWS``).
IMPORT_MAX_ROWS = 10_000
GPX = "application/gpx+xml"

#: Properties a Feature may carry that are bookkeeping (read-only, ignored on write).
_READ_ONLY = {"id", "version", "source", "osm_id", "updated_at", "updated_by"}


# ----------------------------------------------------------------------------- errors


class StaffError(BikemapError):
    """An HTTP failure of a staff request (status and code set per instance)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="bikemap staff"'
    return resp


def _staff_error(exc: StaffError):
    return _error(exc.status, exc.code, str(exc), **exc.extra)


def _invalid(exc: DestinationInvalid):
    return _error(422, "InvalidValue", str(exc), fields=exc.fields)


def _not_found(exc: NotFoundError):
    return _error(404, "NotFound", str(exc))


def _stale(exc: StaleVersionError):
    resp = _error(412, "PreconditionFailed", str(exc))
    if exc.current is not None and not exc.current.deleted:
        resp.headers["ETag"] = exc.current.etag
    return resp


def register_staff_errors(blueprint: Blueprint) -> None:
    """The staff API's JSON answers to its errors (401/403/404/412/422...), on a blueprint."""
    blueprint.register_error_handler(StaffError, _staff_error)
    blueprint.register_error_handler(DestinationInvalid, _invalid)
    blueprint.register_error_handler(NotFoundError, _not_found)
    blueprint.register_error_handler(StaleVersionError, _stale)


register_staff_errors(bp)


# ----------------------------------------------------------------------------- who is asking


def current_user() -> User | None:
    """The staff member of this request (Bearer token or UI session), or None.

    A malformed or unknown token is an error (401), not anonymity.
    """
    if "staff_user" in g:
        return g.staff_user
    user, via = None, None
    header = request.headers.get("Authorization", "")
    session = get_session()
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise StaffError(401, "Unauthorized", "use the header 'Authorization: Bearer TOKEN'")
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))).first()
        if row is None or not row.user.active:
            raise StaffError(
                401,
                "Unauthorized",
                "this API token is not valid (create one with 'bikemap user token NAME')",
            )
        user, via = row.user, "token"
    elif cookie.get("uid") is not None:
        found = session.get(User, cookie["uid"])
        if found is not None and found.active and cookie.get("pw") == found.password_hash[-16:]:
            user, via = found, "session"
    g.staff_user, g.staff_via = user, via
    return user


def check_csrf() -> None:
    """Unsafe requests made with the session cookie must echo the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or g.get("staff_via") != "session":
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not sent or sent != cookie.get("csrf"):
        raise StaffError(403, "CSRF", "the form has expired or did not come from this site; reload the page")


def require(role: str) -> User:
    """The request's user if it has ``role`` (or a stronger one); else 401 or 403."""
    user = current_user()
    if user is None:
        raise StaffError(401, "Unauthorized", "log in or send an API token to do this")
    check_csrf()
    if not user.can(role):
        raise StaffError(403, "Forbidden", f"this needs the {role} role; you are {user.role}")
    return user


def network_bounds() -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the app's network, if it serves one."""
    net = current_network()
    return net.bounds if net is not None else None


def current_network():
    """The app's `routes.Network` (None in an app that serves none)."""
    return current_app.extensions.get("bikemap.network") or current_app.config.get("NETWORK")


# ----------------------------------------------------------------------------- destinations


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise StaffError(
            400,
            "InvalidJSON",
            "send a JSON object (a GeoJSON Feature) with Content-Type: application/json",
        )
    return data


def feature_values(data: dict[str, Any]) -> dict[str, Any]:
    """Fields to set from a GeoJSON Feature (or a flat object of properties)."""
    if data.get("type") == "Feature":
        props = data.get("properties") or {}
        geom = data.get("geometry")
        if not isinstance(props, dict):
            raise DestinationInvalid({"properties": "must be an object"})
    else:
        props, geom = {k: v for k, v in data.items() if k != "type"}, None
    unknown = sorted(set(props) - set(EDITABLE) - _READ_ONLY)
    if unknown:
        raise DestinationInvalid({k: "is not a destination property" for k in unknown})
    out = {k: v for k, v in props.items() if k in EDITABLE}
    if geom is not None:
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if not isinstance(geom, dict) or geom.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            raise DestinationInvalid({"location": "the geometry must be a GeoJSON Point [longitude, latitude]"})
        out["lon"], out["lat"] = coords[0], coords[1]
    return out


def _feature_response(row: Destination, status: int = 200) -> Response:
    resp = jsonify(row.to_feature())
    resp.status_code = status
    resp.mimetype = GEOJSON
    resp.headers["ETag"] = row.etag
    resp.headers["Cache-Control"] = "no-store"
    if status == 201:
        resp.headers["Location"] = f"/api/destinations/{row.id}"
    return resp


_ETAG = re.compile(r'^(?:W/)?"(\d+)\.(\d+)"$')


def expected_version(dest_id: int) -> int:
    """The version named by ``If-Match`` (428 when absent, 412 when it names another resource)."""
    header = request.headers.get("If-Match")
    if not header or not header.strip():
        raise StaffError(
            428,
            "PreconditionRequired",
            "send 'If-Match' with the ETag of the version you edited (GET the destination first)",
        )
    for tag in header.split(","):
        m = _ETAG.match(tag.strip())
        if m and int(m.group(1)) == dest_id:
            return int(m.group(2))
    raise StaffError(412, "PreconditionFailed", "the If-Match ETag does not name a version of this destination")


@bp.post("/destinations")
def api_create():
    user = require("editor")
    row = create_destination(get_session(), feature_values(_json_body()), user=user.name, bounds=network_bounds())
    _layer_changed()
    return _feature_response(row, 201)


@bp.get("/destinations/<int:dest_id>")
def api_get(dest_id: int):
    row = get_destination(get_session(), dest_id)
    if current_user() is not None:
        return _feature_response(row)
    if not row.published:
        raise NotFoundError(f"no destination with id {dest_id}")
    resp = _feature_response(row)
    feature = resp.get_json()
    feature["properties"].pop("updated_by", None)  # staff names stay among staff
    resp.set_data(json.dumps(feature, ensure_ascii=False))
    return resp


@bp.patch("/destinations/<int:dest_id>")
def api_update(dest_id: int):
    user = require("editor")
    version = expected_version(dest_id)
    data = feature_values(_json_body())
    row = update_destination(get_session(), dest_id, version, data, user=user.name, bounds=network_bounds())
    _layer_changed()
    return _feature_response(row)


@bp.delete("/destinations/<int:dest_id>")
def api_delete(dest_id: int):
    user = require("admin")
    delete_destination(get_session(), dest_id, expected_version(dest_id), user=user.name)
    _layer_changed()
    return Response(status=204)


@bp.get("/destinations/<int:dest_id>/history")
def api_history(dest_id: int):
    require("editor")
    session = get_session()
    get_destination(session, dest_id, include_deleted=True)
    return jsonify({"destination_id": dest_id, "changes": [h.to_json() for h in history(session, dest_id)]})


@bp.post("/destinations/<int:dest_id>/restore")
def api_restore(dest_id: int):
    user = require("admin")
    body = _json_body()
    to = body.get("version")
    if not isinstance(to, int) or isinstance(to, bool):
        raise DestinationInvalid({"version": "name the version to restore (a number from the history)"})
    session = get_session()
    row = get_destination(session, dest_id, include_deleted=True)
    current = expected_version(dest_id) if not row.deleted else _deleted_version(row)
    row = restore_destination(session, dest_id, current, to, user=user.name)
    _layer_changed()
    return _feature_response(row)


def _deleted_version(row: Destination) -> int:
    # a deleted destination has no ETag to GET; If-Match is optional, but checked when sent
    return expected_version(row.id) if request.headers.get("If-Match") else row.version


# ----------------------------------------------------------------------------- import / export

EXPORT_COLUMNS = [
    "id",
    "version",
    "name",
    "category",
    "description",
    "lon",
    "lat",
    "opening_hours",
    "visit_minutes",
    "image_url",
    "website",
    "published",
    "source",
    "osm_id",
]


def staff_destinations(session) -> list[Destination]:
    return list(session.scalars(select(Destination).where(Destination.deleted.is_(False)).order_by(Destination.id)))


@bp.get("/destinations/export")
def api_export():
    require("editor")
    fmt = request.args.get("format", "geojson")
    rows = staff_destinations(get_session())
    if fmt == "csv":
        langs = sorted({lang for r in rows for lang in (r.names or {})})
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS + [f"name:{lang}" for lang in langs])
        for r in rows:
            vals = r.values()
            line = [r.id if c == "id" else vals.get(c) for c in EXPORT_COLUMNS]
            line = ["true" if v is True else "false" if v is False else "" if v is None else v for v in line]
            w.writerow([neutralise(v) for v in line + [(r.names or {}).get(lang, "") for lang in langs]])
        body, mimetype, ext = "\ufeff" + buf.getvalue(), "text/csv", "csv"
    elif fmt in ("geojson", "json"):
        body = json.dumps(
            {"type": "FeatureCollection", "features": [r.to_feature() for r in rows]},
            ensure_ascii=False,
        )
        mimetype, ext = GEOJSON, "geojson"
    else:
        raise StaffError(400, "InvalidValue", f"format must be geojson or csv, got {fmt[:20]!r}")
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="destinations.{ext}"', "Cache-Control": "no-store"},
    )


def _import_rows(raw: bytes, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number, GeoJSON-like Feature) pairs of an import file."""
    if fmt == "gpx":  # waypoints, parsed with defusedxml: webapp.gpx_import
        from .gpx_import import GpxFileError, gpx_rows

        try:
            return gpx_rows(raw)
        except GpxFileError as exc:
            raise StaffError(400, "InvalidFile", str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StaffError(400, "InvalidFile", "the file must be UTF-8 text") from None
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        known = set(EXPORT_COLUMNS)
        bad = [c for c in header if c not in known and not re.fullmatch(r"name:[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?", c)]
        if bad or "name" not in header:
            msg = f"unknown columns {', '.join(bad)}" if bad else "a 'name' column is needed"
            raise StaffError(422, "InvalidRows", msg, rows=[{"row": 1, "fields": {"header": msg}}])
        out = []
        for i, rec in enumerate(reader, start=2):
            if None in rec:
                out.append((i, {"_error": {"row": "has more cells than the header"}}))
                continue
            rec = {k: unneutralise(v) if isinstance(v, str) else v for k, v in rec.items()}
            props: dict[str, Any] = {k: v for k, v in rec.items() if k in EDITABLE and k not in ("lon", "lat", "names")}
            names = {k[5:]: v for k, v in rec.items() if k.startswith("name:") and v}
            if names:
                props["names"] = names
            feat: dict[str, Any] = {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [rec.get("lon"), rec.get("lat")]},
            }
            if (rec.get("id") or "").strip():
                feat["id"] = rec["id"].strip()
            if (rec.get("version") or "").strip():
                feat["properties"]["version"] = rec["version"].strip()
            out.append((i, feat))
        return out
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise StaffError(400, "InvalidFile", f"the file is not JSON: {exc}") from None
    feats = doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None
    if not isinstance(feats, list):
        raise StaffError(400, "InvalidFile", "the file must be a GeoJSON FeatureCollection")
    return list(enumerate(feats, start=1))


def _row_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity
        number = -1
    if isinstance(value, bool) or not 0 < number <= INT_MAX or (isinstance(value, float) and value != number):
        raise DestinationInvalid({"id": "must be the number of an existing destination, or empty for a new one"})
    return number


@bp.post("/destinations/import")
def api_import():
    """Import a GeoJSON FeatureCollection or CSV: every row or nothing.

    A row with an ``id`` updates that destination (when it also has a
    ``version``, only if nobody changed it since); a row without creates one.
    """
    user = require("editor")
    request.max_content_length = current_app.config.get("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    raw = upload.read() if upload is not None else request.get_data()
    name = (upload.filename if upload is not None else "") or ""
    fmt = request.args.get("format") or (
        "csv"
        if name.lower().endswith(".csv") or request.mimetype == "text/csv"
        else "gpx"
        if name.lower().endswith(".gpx") or request.mimetype == GPX
        else "geojson"
    )
    if fmt not in ("csv", "geojson", "json", "gpx"):
        raise StaffError(400, "InvalidValue", f"format must be geojson, csv or gpx, got {fmt[:20]!r}")
    try:
        rows = _import_rows(raw, fmt)
    except csv.Error as exc:  # a cell over csv's field limit (128 KiB), a NUL byte...
        raise StaffError(400, "InvalidFile", f"the file is not readable CSV: {exc}") from None
    limit = current_app.config.get("IMPORT_MAX_ROWS", IMPORT_MAX_ROWS)
    if len(rows) > limit:
        raise StaffError(
            413,
            "TooManyRows",
            f"at most {limit} rows per import, the file has {len(rows)}; split it into several files",
        )
    session = get_session()
    bounds = network_bounds()
    plan, problems = [], []
    seen: set[int] = set()
    for number, feat in rows:
        try:
            if not isinstance(feat, dict) or "_error" in feat:
                raise DestinationInvalid(
                    (feat if isinstance(feat, dict) else {}).get("_error") or {"row": "must be a GeoJSON Feature"}
                )
            unstorable = problem(feat, "row")  # the door check of request bodies, per row of a file
            if unstorable is not None:
                raise DestinationInvalid({"row": str(unstorable)})
            dest_id = _row_id(feat.get("id"))
            props = feat.get("properties") if isinstance(feat.get("properties"), dict) else {}
            version = _row_id(props.get("version"))
            data = feature_values(feat)
            if dest_id is None:
                clean_destination(data, bounds=bounds)
            else:
                if dest_id in seen:
                    raise DestinationInvalid({"id": f"destination {dest_id} appears twice in the file"})
                seen.add(dest_id)
                row = get_destination(session, dest_id)
                if version is not None and version != row.version:
                    raise DestinationInvalid(
                        {
                            "version": f"destination {dest_id} changed since this file was "
                            f"made (version {row.version} now, {version} in the file)"
                        }
                    )
                clean_destination(data, current=row.values(), bounds=bounds)
                version = row.version
            plan.append((dest_id, version, data))
        except DestinationInvalid as exc:
            problems.append({"row": number, "fields": exc.fields})
        except NotFoundError as exc:
            problems.append({"row": number, "fields": {"id": str(exc)}})
    if problems:
        raise StaffError(
            422,
            "InvalidRows",
            f"{len(problems)} of {len(rows)} rows have problems; nothing was imported",
            rows=problems,
        )
    created = updated = 0
    try:
        for dest_id, version, data in plan:
            if dest_id is None:
                create_destination(session, data, user=user.name, bounds=bounds, commit=False)
                created += 1
            else:
                update_destination(session, dest_id, version, data, user=user.name, bounds=bounds, commit=False)
                updated += 1
        session.commit()
    except StaleVersionError:
        session.rollback()
        raise StaffError(
            409, "Conflict", "someone changed destinations during the import; nothing was imported, try again"
        ) from None
    except BaseException:
        session.rollback()
        raise
    _layer_changed()
    return jsonify({"created": created, "updated": updated, "rows": len(rows)})


# ----------------------------------------------------------------------------- public layer


def _has_db() -> bool:
    return "bikemap_db" in current_app.extensions


def published_features(*, lang: str = "en") -> list[dict[str, Any]]:
    """GeoJSON Features of the published destinations (what visitors see).

    Without a destination database (this blueprint not registered), the OSM
    features of the network, as before the layer existed.
    """
    if not _has_db():
        from .destinations import destination_features
        from .network import get_network

        return destination_features(get_network(), lang=lang)
    rows = get_session().scalars(
        select(Destination)
        .where(Destination.published.is_(True), Destination.deleted.is_(False))
        .order_by(Destination.id)
    )
    out = []
    for r in rows:
        f = r.to_feature()
        f["id"] = str(r.id)  # string ids, like the OSM ids ("node/123") the layer had before
        p = f["properties"]
        p["id"] = f["id"]
        p["name"] = (r.names or {}).get(lang) or r.name
        for k in ("published", "updated_by", "source"):
            p.pop(k, None)
        out.append(f)
    return out


def layer_state() -> tuple:
    """A value that changes whenever the public layer does (any destination saved, closures on/off).

    The public map is rendered once per state: a staff edit or a closure shows on
    the next page load, in every process serving the same database.
    """
    from sqlalchemy import func

    if not _has_db():
        return ()
    session = get_session()
    count, last, versions = session.execute(
        select(func.count(), func.max(Destination.updated_at), func.sum(Destination.version))
    ).one()
    return (count, str(last), versions, tuple(c.id for c in active_closures(session)))


def public_closures() -> dict[str, Any]:
    """Active closures and hazards as a FeatureCollection (no staff names)."""
    feats = []
    for c in active_closures(get_session()) if _has_db() else []:
        f = c.to_feature()
        f["properties"].pop("created_by", None)
        feats.append(f)
    return {"type": "FeatureCollection", "features": feats}


def closures_map_layer(closures: dict[str, Any], t):
    """A Folium layer of closures (red) and hazards (orange) with escaped popups."""
    import html

    import folium

    from .mapview import inert_html  # Folium renders its script as a Jinja template: no braces from data

    data = []
    for f in closures.get("features", []):
        p = f["properties"]
        label = t("closure_closed") if p["kind"] == "closure" else t("closure_hazard")
        until = f" · {t('closure_until')} {p['ends_at'][:10]}" if p.get("ends_at") else ""
        popup = (
            f'<div class="bm-popup bm-closure"><strong>{html.escape(label)}</strong>'
            f"<div>{html.escape(p['reason'])}{html.escape(until)}</div></div>"
        )
        props = {"kind": p["kind"], "popup": inert_html(popup), "label": inert_html(html.escape(label))}
        data.append({"type": "Feature", "geometry": f["geometry"], "properties": props})

    def style(feature):
        # dark for closures, amber for hazards: no street class is drawn in either
        colour = "#1f2937" if feature["properties"]["kind"] == "closure" else "#f59e0b"
        return {"color": colour, "weight": 7, "opacity": 0.95, "dashArray": "8 6"}

    return folium.GeoJson(
        {"type": "FeatureCollection", "features": data},
        name=t("closures_layer"),
        style_function=style,
        marker=folium.CircleMarker(
            radius=9, color="#1f2937", weight=3, fill=True, fill_color="#ffffff", fill_opacity=1
        ),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


# ----------------------------------------------------------------------------- closures


@bp.get("/closures")
def api_closures():
    """Active closures and hazards (GeoJSON); staff add ``?all=1`` for ended and removed ones too."""
    from .api import query  # api imports this module

    query({"all"})
    session = get_session()
    if request.args.get("all") and require("editor"):
        rows = list(session.scalars(select(Closure).order_by(Closure.id)))
        feats = [c.to_feature() for c in rows]
    else:
        feats = public_closures()["features"]
    resp = jsonify({"type": "FeatureCollection", "features": feats})
    resp.mimetype = GEOJSON
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/closures")
def api_add_closure():
    user = require("editor")
    values = clean_closure(_json_body(), bounds=network_bounds())
    net = current_network()
    if net is not None:
        from routes.closures import segments_of_geometry

        if not segments_of_geometry(net, values["geometry"]):
            raise DestinationInvalid(
                {"geometry": "draw the closure on a street of the map (nothing routable lies within 15 m of it)"}
            )
    row = Closure(**values, created_by=user.name, created_at=utcnow())
    session = get_session()
    session.add(row)
    session.commit()
    resp = jsonify(row.to_feature())
    resp.status_code = 201
    resp.mimetype = GEOJSON
    return resp


@bp.delete("/closures/<int:closure_id>")
def api_remove_closure(closure_id: int):
    require("editor")
    session = get_session()
    row = session.get(Closure, closure_id)
    if row is None or row.removed:
        raise NotFoundError(f"no closure with id {closure_id}")
    row.removed = True
    session.commit()
    return Response(status=204)


# ----------------------------------------------------------------------------- routing costs

_cost_lock = threading.Lock()


def closure_edge_cost_for(net, profile: str):
    """The ``edge_cost`` array for routing on ``net`` with ``profile`` under the active closures.

    None when no closure or hazard is active. Cached per set of active closures
    (their ids), so a new, removed or expired closure counts on the next request
    while unchanged ones cost one small query.
    """
    from routes.closures import closure_edge_cost

    if not _has_db():
        return None
    rows = active_closures(get_session())
    if not rows:
        return None
    key = (id(net), profile, tuple(r.id for r in rows))
    cache: OrderedDict = current_app.extensions.setdefault("bikemap.closure_costs", OrderedDict())
    with _cost_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    closures = [{"kind": r.kind, "geometry": r.geometry} for r in rows]
    cost = closure_edge_cost(net.router(profile), closures)
    with _cost_lock:
        cache[key] = cost
        while len(cache) > 16:
            cache.popitem(last=False)
    return cost


def _layer_changed() -> None:
    """Hook: the published layer changed (nothing cached yet; kept for the map's caches)."""
    current_app.extensions["bikemap.layer_version"] = current_app.extensions.get("bikemap.layer_version", 0) + 1


# ----------------------------------------------------------------------------- OpenAPI


def _openapi() -> None:
    """Add the staff paths to the app's OpenAPI document (`webapp.openapi.PATHS`)."""
    from .openapi import PATHS, SCHEMAS, error_response

    codes = SCHEMAS["Error"]["properties"]["error"]["properties"]["code"].setdefault("enum", [])
    for code in (
        "Unauthorized",
        "Forbidden",
        "CSRF",
        "PreconditionFailed",
        "PreconditionRequired",
        "InvalidJSON",
        "InvalidRows",
        "InvalidFile",
        "Conflict",
        "RequestEntityTooLarge",
    ):
        if code not in codes:
            codes.append(code)
    SCHEMAS["Error"]["properties"]["error"]["properties"].setdefault(
        "fields",
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "per field, what is wrong (422 InvalidValue)",
        },
    )
    SCHEMAS["Error"]["properties"]["error"]["properties"].setdefault(
        "rows",
        {
            "type": "array",
            "description": "every bad import row: {row, fields} (422 InvalidRows)",
            "items": {"type": "object"},
        },
    )
    SCHEMAS.setdefault(
        "StaffDestination",
        {
            "type": "object",
            "description": "GeoJSON Feature of a destination (id, Point, properties with version)",
            "properties": {
                "type": {"type": "string"},
                "id": {"type": "integer"},
                "geometry": {"type": "object"},
                "properties": {"type": "object", "properties": {k: {} for k in (*EDITABLE, "version")}},
            },
        },
    )
    SCHEMAS.setdefault(
        "Closure",
        {
            "type": "object",
            "description": "GeoJSON Feature: Point or LineString; properties kind (closure|hazard), reason, ends_at",
        },
    )
    dest = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/StaffDestination"}}}}
    errs = {
        "401": error_response("No or bad API token", ["Unauthorized"]),
        "403": error_response("The role does not allow this", ["Forbidden", "CSRF"]),
        "404": error_response("No such destination", ["NotFound"]),
    }
    lock = {
        "412": error_response("The If-Match ETag is stale; nothing changed", ["PreconditionFailed"]),
        "428": error_response("If-Match is missing", ["PreconditionRequired"]),
    }
    invalid = {"422": error_response("Values that cannot be stored (see error.fields)", ["InvalidValue"])}
    path_id = [{"name": "dest_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the ETag of the version you edited",
    }
    PATHS.setdefault("/api/destinations", {})["post"] = {
        "summary": "Add a destination (editor)",
        "operationId": "createDestination",
        "requestBody": dest,
        "responses": {"201": {"description": "Stored, with ETag", **dest}, **errs, **invalid},
    }
    PATHS["/api/destinations/{dest_id}"] = {
        "parameters": path_id,
        "get": {
            "summary": "One destination (unpublished ones only for staff)",
            "operationId": "getDestination",
            "responses": {"200": {"description": "The destination, with ETag", **dest}, "404": errs["404"]},
        },
        "patch": {
            "summary": "Change fields (editor); partial Feature",
            "operationId": "updateDestination",
            "parameters": [if_match],
            "requestBody": dest,
            "responses": {"200": {"description": "Saved, new ETag", **dest}, **errs, **lock, **invalid},
        },
        "delete": {
            "summary": "Delete (admin)",
            "operationId": "deleteDestination",
            "parameters": [if_match],
            "responses": {"204": {"description": "Deleted"}, **errs, **lock},
        },
    }
    PATHS["/api/destinations/{dest_id}/history"] = {
        "parameters": path_id,
        "get": {
            "summary": "Every change: who, when, before, after (editor)",
            "operationId": "destinationHistory",
            "responses": {"200": {"description": "Changes"}, **errs},
        },
    }
    PATHS["/api/destinations/{dest_id}/restore"] = {
        "parameters": path_id,
        "post": {
            "summary": 'Restore the values of an earlier version {"version": N} (admin)',
            "operationId": "restoreDestination",
            "responses": {
                "200": {"description": "Restored as a new version", **dest},
                **errs,
                **lock,
            },
        },
    }
    PATHS["/api/destinations/export"] = {
        "get": {
            "summary": "All destinations as GeoJSON or CSV (editor)",
            "operationId": "exportDestinations",
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["geojson", "csv"]},
                }
            ],
            "responses": {"200": {"description": "A file"}, **errs},
        }
    }
    PATHS["/api/destinations/import"] = {
        "post": {
            "summary": "Import a GeoJSON FeatureCollection or CSV: all rows or nothing (editor)",
            "operationId": "importDestinations",
            "responses": {
                "200": {"description": "Counts of created and updated rows"},
                **errs,
                "413": error_response("The file is too large", ["RequestEntityTooLarge"]),
                "422": error_response("Rows with problems, by number; nothing imported", ["InvalidRows"]),
            },
        }
    }
    closure = {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Closure"}}}}
    PATHS["/api/closures"] = {
        "get": {
            "summary": "Active road closures and hazards",
            "operationId": "closures",
            "responses": {"200": {"description": "FeatureCollection", **closure}},
        },
        "post": {
            "summary": "Add a closure or hazard (editor); routing obeys it on the next request",
            "operationId": "createClosure",
            "requestBody": closure,
            "responses": {"201": {"description": "Stored", **closure}, **errs, **invalid},
        },
    }
    PATHS["/api/closures/{closure_id}"] = {
        "delete": {
            "summary": "Remove a closure (editor)",
            "operationId": "removeClosure",
            "parameters": [
                {
                    "name": "closure_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {"204": {"description": "Removed"}, **errs},
        }
    }


_openapi()
