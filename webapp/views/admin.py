"""Blueprint ``admin``: the staff UI at ``/admin`` (log in, edit destinations on a map, closures).

Staff accounts are `webapp.views.accounts`' (``/admin/users``).

Plain HTML forms that work without JavaScript; ``static/admin.js`` adds the
map (click to place, drag to move, draw closures). Sign-in, sessions, CSRF and
the login throttle are `webapp.auth`'s; each change goes through `webapp.storage`
exactly as the JSON API's do (same checks, same history, same version guard).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from routes.errors import InvalidValueError

from ..auth import log_in, log_out, login_allowed
from ..compress import cached_response, packed
from ..errors import (
    InvalidFieldsError,
    NotFoundError,
    StaleVersionError,
    WebError,
    status_of,
)
from ..netstyle import NETWORK_STYLES, network_layers
from ..network import get_network
from ..staff_pages import check_form_csrf, form_int, localise, map_config, page, require_page, t, template_globals
from ..storage import get_session
from ..storage.closures import add_closure, all_closures, end_closure, on_street
from ..storage.destinations import (
    create_destination,
    delete_destination,
    deleted_destinations,
    get_destination,
    history,
    restore_destination,
    staff_destinations,
    update_destination,
)
from ..storage.models import Destination, categories
from ..storage.transfer import import_destinations, import_format
from ..storage.validation import clean_closure

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.context_processor(template_globals)

#: Where the publish button may send the browser back to: a plain path of this UI (no CR/LF, no host).
_BACK = re.compile(r"/admin(?:/[A-Za-z0-9_.~%/-]*)?(?:\?[A-Za-z0-9_.~%=&+-]*)?")


@bp.before_request
def _limit_body() -> None:
    """Bodies are limited before the form is parsed (CSRF check): imports as the API's, forms 1 MB."""
    if request.max_content_length is None:
        key = "IMPORT_MAX_BYTES" if request.endpoint == "admin.import_file" else "ADMIN_MAX_BYTES"
        request.max_content_length = current_app.config[key]


@bp.errorhandler(413)
def _too_large(_exc):
    limit = (request.max_content_length or 0) // 1024
    return page("admin/import.html", 413, result={"error": f"the file is larger than {limit} KB"}, outcome=413)


# ----------------------------------------------------------------------------- log in / out


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next") or url_for("admin.index")
    # same-site paths only: "//host", "/\host", "/<tab>/host" leave it (browsers read "\" as "/", drop tabs)
    if not next_url.startswith("/") or next_url[1:2] in ("/", "\\") or not next_url.isprintable():
        next_url = url_for("admin.index")
    if request.method == "GET":
        return page("admin/login.html", next_url=next_url, error=None)
    check_form_csrf()
    name = request.form.get("name", "")
    if not login_allowed(name):  # counted before the password is checked (webapp.auth)
        return page("admin/login.html", 429, next_url=next_url, error=t("admin_too_many_logins"))
    if log_in(name, request.form.get("password", "")) is None:
        return page("admin/login.html", 401, next_url=next_url, error=t("admin_bad_login"))
    return redirect(next_url)


@bp.post("/logout")
def logout():
    check_form_csrf()
    log_out()
    return redirect(url_for("admin.login"))


# ----------------------------------------------------------------------------- destinations


def _map_data(rows: list[Destination]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r.id,
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "name": r.name,
                    "category": r.category,
                    "published": r.published,
                    "url": url_for("admin.edit", dest_id=r.id),
                },
            }
            for r in rows
        ],
    }


def _map_config() -> dict[str, Any]:
    return map_config()


_NETWORK_KEY = "bikemap.admin_network_json"


@bp.get("/network.json")
def network_json():
    """The streets the staff maps draw under their markers (with or without tiles).

    The same merged, simplified class layers as the public map
    (`webapp.netstyle.network_layers`), built and compressed once per network and app.
    """
    require_page("editor")
    net = get_network()
    cached = current_app.extensions.get(_NETWORK_KEY)
    if cached is None or cached[0] is not net:
        layers = network_layers(net)
        body = {"type": "FeatureCollection", "features": list(layers.values()), "styles": NETWORK_STYLES}
        text = current_app.json.dumps(body).encode()
        cached = current_app.extensions[_NETWORK_KEY] = (net, packed(text, "application/json"))
    return cached_response(cached[1], cache_control="private, max-age=3600")  # compressed once


@bp.get("/")
def index():
    """The destinations: current ones (map and list), or with ``?show=deleted`` the deleted ones to restore."""
    require_page("editor")
    session = get_session()
    rows = staff_destinations(session)
    q = (request.args.get("q") or "").strip().lower()
    show = "deleted" if request.args.get("show") == "deleted" else "current"
    if show == "deleted":
        listed = deleted_destinations(session)  # (row, the version a restore brings back)
    else:
        listed = [(r, None) for r in rows]
    shown = [(r, v) for r, v in listed if q in r.name.lower()] if q else listed
    return page(
        "admin/index.html",
        rows=shown,
        q=q,
        show=show,
        total=len(listed),
        map_data=_map_data(rows),
        map_config=_map_config(),
    )


def _form_values(current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The edit form's values; with ``current`` (an edit), what the form did not send is kept.

    The form shows a name field per UI language only, so names in other languages (from
    OpenStreetMap, imports or the API) are carried over instead of being dropped on save.
    """
    f = request.form
    current = current or {}
    shown = [lang for lang in current_app.config["LANGUAGES"] if f"name_{lang}" in f]
    names = {k: v for k, v in (current.get("names") or {}).items() if k not in shown}
    names.update({lang: f[f"name_{lang}"] for lang in shown if f[f"name_{lang}"].strip()})
    values: dict[str, Any] = {"names": names, "published": f.get("published") == "on"}
    for key in ("name", "category", "description", "lon", "lat", "opening_hours", "visit_minutes"):
        values[key] = f[key] if key in f else ("" if current.get(key) is None else str(current[key]))
    for key in ("image_url", "website"):
        values[key] = f[key] if key in f else (current.get(key) or "")
    return values


def _edit_page(row: Destination | None, values: dict[str, Any], *, errors=None, message=None, status=200):
    errors = localise(errors or {})
    return page(
        "admin/edit.html",
        status,
        row=row,
        v=values,
        errors=errors or {},
        message=message,
        bad=status >= 400,
        categories=categories(),
        map_config=_map_config(),
    )


@bp.route("/destinations/new", methods=["GET", "POST"])
def new():
    user = require_page("editor")
    if request.method == "GET":
        blank = {
            "name": "",
            "names": {},
            "category": "",
            "description": "",
            "lon": request.args.get("lon", ""),
            "lat": request.args.get("lat", ""),
            "opening_hours": "",
            "visit_minutes": "",
            "image_url": "",
            "website": "",
            "published": True,
        }
        return _edit_page(None, blank)
    values = _form_values()
    try:
        row = create_destination(get_session(), values, user=user.name, bounds=get_network().bounds)
    except InvalidFieldsError as exc:
        return _edit_page(None, values, errors=exc.fields, message=t("admin_fix_errors"), status=422)
    return redirect(url_for("admin.edit", dest_id=row.id, saved=1))


@bp.route("/destinations/<int:dest_id>", methods=["GET", "POST"])
def edit(dest_id: int):
    user = require_page("editor")
    session = get_session()
    try:
        row = get_destination(session, dest_id)
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    if request.method == "GET":
        msg = t("admin_restored") if request.args.get("restored") else None
        msg = msg or (t("admin_saved") if request.args.get("saved") else None)
        return _edit_page(row, row.values(), message=msg)
    values = _form_values(row.values())
    version = form_int(request.form.get("version")) or 0
    try:
        row = update_destination(session, dest_id, version, values, user=user.name, bounds=get_network().bounds)
    except InvalidFieldsError as exc:
        return _edit_page(row, values, errors=exc.fields, message=t("admin_fix_errors"), status=422)
    except StaleVersionError as exc:
        return _edit_page(
            exc.current or row,
            values,
            message=t("admin_stale", who=(exc.current.updated_by if exc.current else "")),
            status=409,
        )
    return redirect(url_for("admin.edit", dest_id=row.id, saved=1))


@bp.post("/destinations/<int:dest_id>/publish")
def publish(dest_id: int):
    user = require_page("editor")
    version = form_int(request.form.get("version")) or 0
    want = request.form.get("published") == "1"
    try:
        update_destination(get_session(), dest_id, version, {"published": want}, user=user.name)
    except StaleVersionError:
        return page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    back = request.form.get("back") or ""
    return redirect(back if _BACK.fullmatch(back) else url_for("admin.index"))


@bp.post("/destinations/<int:dest_id>/delete")
def delete(dest_id: int):
    user = require_page("admin")
    version = form_int(request.form.get("version")) or 0
    try:
        delete_destination(get_session(), dest_id, version, user=user.name)
    except StaleVersionError:
        return page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    return redirect(url_for("admin.index"))


@bp.get("/destinations/<int:dest_id>/history")
def changes(dest_id: int):
    require_page("editor")
    session = get_session()
    try:
        row = get_destination(session, dest_id, include_deleted=True)
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    items = history(session, dest_id)
    diffs = []
    for h in items:
        before, after = h.before or {}, h.after or {}
        keys = [k for k in after if k != "version" and before.get(k) != after.get(k)]
        diffs.append((h, [(k, before.get(k), after.get(k)) for k in keys]))
    return page("admin/history.html", row=row, diffs=list(reversed(diffs)))


@bp.post("/destinations/<int:dest_id>/restore")
def restore(dest_id: int):
    user = require_page("admin")
    try:
        restore_destination(
            get_session(),
            dest_id,
            form_int(request.form.get("version")) or 0,
            form_int(request.form.get("to_version")) or 0,
            user=user.name,
        )
    except StaleVersionError:
        return page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    return redirect(url_for("admin.edit", dest_id=dest_id, restored=1))


@bp.post("/import")
def import_file():
    """Upload a GeoJSON, CSV or GPX file: the JSON API's import, with its report shown as a page."""
    user = require_page("editor")
    try:
        upload = request.files.get("file")
        raw = upload.read() if upload is not None else b""
        fmt = import_format(request.args.get("format"), (upload.filename if upload else "") or "", "")
        cfg = current_app.config
        result = import_destinations(
            get_session(), raw, fmt, user=user.name, bounds=get_network().bounds, max_rows=cfg["IMPORT_MAX_ROWS"]
        )
        outcome = 200
    except WebError as exc:
        result, outcome = {"error": str(exc), **exc.extra}, status_of(exc.code)
    except InvalidValueError as exc:
        result, outcome = {"error": str(exc)}, 400
    except RequestEntityTooLarge:
        limit = current_app.config["IMPORT_MAX_BYTES"] // 1024
        result, outcome = {"error": f"the file is larger than {limit} KB"}, 413
    return page("admin/import.html", outcome, result=result, outcome=outcome)


# ----------------------------------------------------------------------------- closures


@bp.route("/closures", methods=["GET", "POST"])
def closures():
    user = require_page("editor")
    session = get_session()
    errors: dict[str, str] = {}
    form = {"kind": "closure", "reason": "", "ends_at": "", "geometry": ""}
    status = 200
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        import json

        try:
            geometry = json.loads(form["geometry"]) if form["geometry"].strip() else None
        except (ValueError, RecursionError):
            geometry = None
        feature = {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"kind": form["kind"], "reason": form["reason"], "ends_at": form["ends_at"]},
        }
        try:
            values = clean_closure(feature, bounds=get_network().bounds)
            if not on_street(get_network(), values["geometry"]):
                raise InvalidFieldsError({"geometry": t("admin_closure_off_street")})
        except InvalidFieldsError as exc:
            errors, status = localise(exc.fields), 422
        else:
            add_closure(session, values, user=user.name)
            return redirect(url_for("admin.closures", saved=1))
    rows = all_closures(session, newest_first=True, removed=False)
    active = [c for c in rows if c.is_active()]
    data = {"type": "FeatureCollection", "features": [c.to_feature() for c in active]}
    return page(
        "admin/closures.html",
        status,
        rows=rows,
        errors=errors,
        form=form,
        map_data=data,
        map_config=_map_config(),
        saved=request.args.get("saved"),
    )


@bp.post("/closures/<int:closure_id>/remove")
def remove_closure(closure_id: int):
    user = require_page("editor")
    try:
        end_closure(get_session(), closure_id, user=user.name)
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    return redirect(url_for("admin.closures"))
