"""Blueprint ``admin``: the staff UI at ``/admin`` (log in, edit destinations on a map, closures).

Plain HTML forms that work without JavaScript; ``static/admin.js`` adds the
map (click to place, drag to move, draw closures). Every form carries the
session's CSRF token; logging in is rate-limited per address and user name
(counted in the database, so across every app instance).
Each change goes through `webapp.db` exactly as the JSON API's do (same
checks, same history, same version guard).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask import session as cookie
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from .db import (
    NotFoundError,
    StaleVersionError,
    create_destination,
    delete_destination,
    find_user,
    get_db,
    get_destination,
    get_session,
    history,
    restore_destination,
    update_destination,
)
from .i18n import get_lang, strings_for
from .inputguard import INT_MAX
from .mapview import NETWORK_STYLES, network_layers
from .models import (
    ROLES,
    Closure,
    Destination,
    LoginFailure,
    User,
    categories,
    category_label,
    hash_password,
    utcnow,
    verify_password,
)
from .staff_api import current_network, network_bounds, staff_destinations
from .validation import DestinationInvalid, clean_closure

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Failed logins allowed per (address, user name) within `LOGIN_WINDOW_S`.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_S = 60.0


@bp.record_once
def _setup(state) -> None:
    from .db import init_app

    init_app(state.app)
    state.app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    state.app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)


#: Largest body of an admin form other than an import (bytes; config ``ADMIN_MAX_BYTES``).
ADMIN_MAX_BYTES = 1024 * 1024


@bp.before_request
def _limit_body() -> None:
    """Bodies are limited before the form is parsed (CSRF check): imports as the API's, forms 1 MB."""
    if request.max_content_length is None:
        from .staff_api import IMPORT_MAX_BYTES

        cfg = current_app.config
        if request.endpoint == "admin.import_file":
            request.max_content_length = cfg.get("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)
        else:
            request.max_content_length = cfg.get("ADMIN_MAX_BYTES", ADMIN_MAX_BYTES)


@bp.errorhandler(413)
def _too_large(_exc):
    limit = (request.max_content_length or 0) // 1024
    return _page("admin/import.html", 413, result={"error": f"the file is larger than {limit} KB"}, outcome=413)


# ----------------------------------------------------------------------------- helpers


def t(key: str, **fmt: Any) -> str:
    """UI string ``key`` in the request's language (routes/data/i18n), formatted with ``fmt``."""
    text = strings_for(get_lang()).get(key, key)
    return text.format(**fmt) if fmt else text


def csrf_token() -> str:
    if "csrf" not in cookie:
        cookie["csrf"] = secrets.token_urlsafe(24)
    return cookie["csrf"]


@bp.context_processor
def _template_globals():
    return {
        "t": t,
        "csrf_token": csrf_token,
        "user": g.get("admin_user"),
        "lang": get_lang(),
        "languages": current_app.config.get("LANGUAGES", ["en"]),
        "category_label": category_label,
    }


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    if not sent or not secrets.compare_digest(sent, cookie.get("csrf", "")):
        abort(_page("admin/message.html", 400, title=t("admin_error"), message=t("admin_csrf_failed")))


def _page(template: str, status: int = 200, **ctx):
    resp = current_app.make_response((render_template(template, **ctx), status))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _user() -> User | None:
    uid = cookie.get("uid")
    if uid is None:
        return None
    user = get_session().get(User, uid)
    if user is None or not user.active or cookie.get("pw") != user.password_hash[-16:]:
        return None
    return user


def _require(role: str = "editor") -> User:
    """The logged-in user with ``role``; anonymous GETs go to the login page."""
    user = _user()
    g.admin_user = user
    if user is None:
        if request.method == "GET":
            abort(redirect(url_for("admin.login", next=request.full_path.rstrip("?"))))
        abort(_page("admin/message.html", 401, title=t("admin_login"), message=t("admin_need_login")))
    if request.method == "POST":
        _check_csrf()
    if not user.can(role):
        abort(
            _page(
                "admin/message.html",
                403,
                title=t("admin_forbidden"),
                message=t("admin_need_role", role=t(f"admin_role_{role}")),
            )
        )
    return user


def _int(value: str | None) -> int | None:
    """A form field's whole number; None when empty, not a number or beyond what a column holds."""
    try:
        number = int(value) if value not in (None, "") and len(value) < 20 else None
    except ValueError:
        return None
    return number if number is not None and abs(number) <= INT_MAX else None


#: Where the publish button may send the browser back to: a plain path of this UI (no CR/LF, no host).
_BACK = re.compile(r"/admin(?:/[A-Za-z0-9_.~%/-]*)?(?:\?[A-Za-z0-9_.~%=&+-]*)?")


# ----------------------------------------------------------------------------- log in / out


def _client_key(name: str) -> str:
    """Address and (hashed, case-folded) user name: the unit the login rate limit counts."""
    digest = hashlib.sha256(name.strip().lower().encode()).hexdigest()[:40]
    return f"{(request.remote_addr or '?')[:100]}|{digest}"


# Failed logins live in the database (table login_failures), so that every app instance
# behind a load balancer counts the same attempts; a restart forgets nothing.


def _too_many(key: str) -> bool:
    since = utcnow() - timedelta(seconds=LOGIN_WINDOW_S)
    with get_db().session() as s:
        count = s.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at > since)
        )
    return (count or 0) >= LOGIN_ATTEMPTS


def _failed(key: str) -> None:
    now = utcnow()
    with get_db().session() as s:
        s.execute(sql_delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=LOGIN_WINDOW_S)))
        s.add(LoginFailure(key=key, at=now))
        s.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next") or url_for("admin.index")
    # same-site paths only: "//host", "/\host", "/<tab>/host" leave it (browsers read "\" as "/", drop tabs)
    if not next_url.startswith("/") or next_url[1:2] in ("/", "\\") or not next_url.isprintable():
        next_url = url_for("admin.index")
    if request.method == "GET":
        return _page("admin/login.html", next_url=next_url, error=None)
    _check_csrf()
    name = request.form.get("name", "")
    key = _client_key(name)
    if _too_many(key):
        return _page("admin/login.html", 429, next_url=next_url, error=t("admin_too_many_logins"))
    try:
        user = find_user(get_session(), name.strip()) if name.strip() else None
    except NotFoundError:
        user = None
    password = request.form.get("password", "")
    ok = user is not None and user.active and verify_password(password, user.password_hash)
    if not ok:
        if user is None:  # spend the same time as a real check
            verify_password(password, hash_password("x"))
        _failed(key)
        return _page("admin/login.html", 401, next_url=next_url, error=t("admin_bad_login"))
    cookie.clear()
    cookie["uid"], cookie["pw"] = user.id, user.password_hash[-16:]
    cookie["csrf"] = secrets.token_urlsafe(24)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    _check_csrf()
    cookie.clear()
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
    cfg = current_app.config
    bounds = network_bounds()
    return {
        "tiles": cfg.get("TILES_URL") or "",
        "attribution": cfg.get("TILES_ATTRIBUTION") or cfg.get("DATA_ATTRIBUTION") or "",
        "bounds": list(bounds) if bounds else None,
        "network_url": url_for("admin.network_json") if current_network() is not None else "",
        "strings": {k: t(f"admin_js_{k}") for k in ("edit", "add_here", "unpublished", "closure", "hazard")},
    }


_NETWORK_KEY = "bikemap.admin_network_json"


@bp.get("/network.json")
def network_json():
    """The streets the staff maps draw under their markers (with or without tiles).

    The same merged, simplified class layers as the public map
    (`webapp.mapview.network_layers`), built once per network and app.
    """
    _require("editor")
    net = current_network()
    if net is None:
        abort(404)
    cached = current_app.extensions.get(_NETWORK_KEY)
    if cached is None or cached[0] is not net:
        layers = network_layers(net)
        body = {"type": "FeatureCollection", "features": list(layers.values()), "styles": NETWORK_STYLES}
        cached = current_app.extensions[_NETWORK_KEY] = (net, current_app.json.dumps(body))
    resp = current_app.response_class(cached[1], mimetype="application/json")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.get("/")
def index():
    _require("editor")
    rows = staff_destinations(get_session())
    q = (request.args.get("q") or "").strip().lower()
    shown = [r for r in rows if q in r.name.lower()] if q else rows
    return _page(
        "admin/index.html",
        rows=shown,
        q=q,
        total=len(rows),
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
    shown = [lang for lang in current_app.config.get("LANGUAGES", []) if f"name_{lang}" in f]
    names = {k: v for k, v in (current.get("names") or {}).items() if k not in shown}
    names.update({lang: f[f"name_{lang}"] for lang in shown if f[f"name_{lang}"].strip()})
    values: dict[str, Any] = {"names": names, "published": f.get("published") == "on"}
    for key in ("name", "category", "description", "lon", "lat", "opening_hours", "visit_minutes"):
        values[key] = f[key] if key in f else ("" if current.get(key) is None else str(current[key]))
    for key in ("image_url", "website"):
        values[key] = f[key] if key in f else (current.get(key) or "")
    return values


def _localise(errors: dict[str, str]) -> dict[str, str]:
    """Field messages in the page's language (the checks word them in English)."""
    if get_lang() == "en":
        return errors
    return {k: (t(f"admin_err_{k}") if f"admin_err_{k}" in strings_for(get_lang()) else m) for k, m in errors.items()}


def _edit_page(row: Destination | None, values: dict[str, Any], *, errors=None, message=None, status=200):
    errors = _localise(errors or {})
    return _page(
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
    user = _require("editor")
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
        row = create_destination(get_session(), values, user=user.name, bounds=network_bounds())
    except DestinationInvalid as exc:
        return _edit_page(None, values, errors=exc.fields, message=t("admin_fix_errors"), status=422)
    return redirect(url_for("admin.edit", dest_id=row.id, saved=1))


@bp.route("/destinations/<int:dest_id>", methods=["GET", "POST"])
def edit(dest_id: int):
    user = _require("editor")
    session = get_session()
    try:
        row = get_destination(session, dest_id)
    except NotFoundError:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    if request.method == "GET":
        msg = t("admin_saved") if request.args.get("saved") else None
        return _edit_page(row, row.values(), message=msg)
    values = _form_values(row.values())
    version = _int(request.form.get("version")) or 0
    try:
        row = update_destination(session, dest_id, version, values, user=user.name, bounds=network_bounds())
    except DestinationInvalid as exc:
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
    user = _require("editor")
    version = _int(request.form.get("version")) or 0
    want = request.form.get("published") == "1"
    try:
        update_destination(get_session(), dest_id, version, {"published": want}, user=user.name)
    except StaleVersionError:
        return _page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    back = request.form.get("back") or ""
    return redirect(back if _BACK.fullmatch(back) else url_for("admin.index"))


@bp.post("/destinations/<int:dest_id>/delete")
def delete(dest_id: int):
    user = _require("admin")
    version = _int(request.form.get("version")) or 0
    try:
        delete_destination(get_session(), dest_id, version, user=user.name)
    except StaleVersionError:
        return _page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    return redirect(url_for("admin.index"))


@bp.get("/destinations/<int:dest_id>/history")
def changes(dest_id: int):
    _require("editor")
    session = get_session()
    try:
        row = get_destination(session, dest_id, include_deleted=True)
    except NotFoundError:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    items = history(session, dest_id)
    diffs = []
    for h in items:
        before, after = h.before or {}, h.after or {}
        keys = [k for k in after if k != "version" and before.get(k) != after.get(k)]
        diffs.append((h, [(k, before.get(k), after.get(k)) for k in keys]))
    return _page("admin/history.html", row=row, diffs=list(reversed(diffs)))


@bp.post("/destinations/<int:dest_id>/restore")
def restore(dest_id: int):
    user = _require("admin")
    try:
        restore_destination(
            get_session(),
            dest_id,
            _int(request.form.get("version")) or 0,
            _int(request.form.get("to_version")) or 0,
            user=user.name,
        )
    except StaleVersionError:
        return _page("admin/message.html", 409, title=t("admin_error"), message=t("admin_stale", who=""))
    except NotFoundError:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    return redirect(url_for("admin.edit", dest_id=dest_id, saved=1))


@bp.post("/import")
def import_file():
    """Upload a GeoJSON or CSV file: the JSON API's import, with its report shown as a page."""
    _require("editor")
    from werkzeug.exceptions import RequestEntityTooLarge

    from .staff_api import StaffError, api_import

    try:
        resp = api_import()
        result, outcome = resp.get_json(), 200
    except StaffError as exc:
        result, outcome = {"error": str(exc), **exc.extra}, exc.status
    except RequestEntityTooLarge:
        from .staff_api import IMPORT_MAX_BYTES

        limit = current_app.config.get("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES) // 1024
        result, outcome = {"error": f"the file is larger than {limit} KB"}, 413
    return _page("admin/import.html", outcome, result=result, outcome=outcome)


# ----------------------------------------------------------------------------- closures


@bp.route("/closures", methods=["GET", "POST"])
def closures():
    user = _require("editor")
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
            values = clean_closure(feature, bounds=network_bounds())
            net = current_network()
            if net is not None:
                from routes.closures import segments_of_geometry

                if not segments_of_geometry(net, values["geometry"]):
                    raise DestinationInvalid({"geometry": t("admin_closure_off_street")})
        except DestinationInvalid as exc:
            errors, status = _localise(exc.fields), 422
        else:
            session.add(Closure(**values, created_by=user.name, created_at=utcnow()))
            session.commit()
            return redirect(url_for("admin.closures", saved=1))
    rows = list(session.scalars(select(Closure).where(Closure.removed.is_(False)).order_by(Closure.id.desc())))
    active = [c for c in rows if c.is_active()]
    data = {"type": "FeatureCollection", "features": [c.to_feature() for c in active]}
    return _page(
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
    _require("editor")
    session = get_session()
    row = session.get(Closure, closure_id)
    if row is None or row.removed:
        return _page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    row.removed = True
    session.commit()
    return redirect(url_for("admin.closures"))


# ----------------------------------------------------------------------------- users (admins)


@bp.route("/users", methods=["GET", "POST"])
def users():
    me = _require("admin")
    session = get_session()
    error, status = None, 200
    if request.method == "POST":
        action = request.form.get("action")
        name = (request.form.get("name") or "").strip()
        if action == "add":
            pw, pw2, role = (
                request.form.get("password", ""),
                request.form.get("password2", ""),
                request.form.get("role"),
            )
            if not name or len(name) > 80 or not name.isprintable() or any(c.isspace() for c in name):
                error = t("admin_user_bad_name")
            elif role not in ROLES:
                error = t("admin_user_bad_role")
            elif pw != pw2:
                error = t("admin_user_pw_differ")
            elif len(pw) < 8:
                error = t("admin_user_pw_short")
            else:
                try:
                    find_user(session, name)
                    error = t("admin_user_exists")
                except NotFoundError:
                    session.add(User(name=name, role=role, password_hash=hash_password(pw), active=True))
                    session.commit()
        elif action in ("role", "disable", "enable"):
            try:
                target = find_user(session, name)
            except NotFoundError:
                error = t("admin_not_found")
            else:
                if target.id == me.id:
                    error = t("admin_user_not_self")
                elif action == "role" and request.form.get("role") in ROLES:
                    target.role = request.form["role"]
                elif action == "disable":
                    target.active = False
                    target.tokens.clear()
                elif action == "enable":
                    target.active = True
                session.commit()
        else:
            error = t("admin_error")
        status = 422 if error else 200
    rows = list(session.scalars(select(User).order_by(User.name)))
    return _page("admin/users.html", status, rows=rows, error=error, roles=ROLES)
