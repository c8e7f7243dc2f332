"""The staff pages' helpers: strings, the page answer, sign-in checks for HTML forms.

Shared by the staff UI's blueprints (`webapp.views.admin`); the security itself
(sessions, roles, CSRF) is `webapp.auth`'s, answered here as pages instead of JSON.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, url_for

from .auth import check_csrf, csrf_token, current_staff
from .errors import CSRFFailedError, WebError
from .i18n import get_lang, gettext
from .inputguard import INT_MAX
from .network import get_network
from .storage.models import User, category_label

__all__ = ["check_form_csrf", "form_int", "localise", "map_config", "page", "require_page", "t", "template_globals"]


def t(key: str, **fmt: Any) -> str:
    """UI string ``key`` in the request's language (the gettext catalogue), formatted with ``fmt``."""
    text = gettext(key)
    return text.format(**fmt) if fmt else text


def template_globals() -> dict[str, Any]:
    return {
        "t": t,
        "csrf_token": csrf_token,
        "user": g.get("admin_user"),
        "lang": get_lang(),
        "languages": current_app.config.get("LANGUAGES", ["en"]),
        "category_label": category_label,
    }


def check_form_csrf() -> None:
    try:
        check_csrf()
    except CSRFFailedError:
        abort(page("admin/message.html", 400, title=t("admin_error"), message=t("admin_csrf_failed")))


def page(template: str, status: int = 200, **ctx):
    resp = current_app.make_response((render_template(template, **ctx), status))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def require_page(role: str = "editor") -> User:
    """The logged-in user with ``role``; anonymous GETs go to the login page."""
    try:
        user = current_staff()
    except WebError:  # a bad Bearer token on a page: treated as signed out
        user = None
    g.admin_user = user
    if user is None:
        if request.method == "GET":
            abort(redirect(url_for("admin.login", next=request.full_path.rstrip("?"))))
        abort(page("admin/message.html", 401, title=t("admin_login"), message=t("admin_need_login")))
    if request.method == "POST":
        check_form_csrf()
    if not user.can(role):
        abort(
            page(
                "admin/message.html",
                403,
                title=t("admin_forbidden"),
                message=t("admin_need_role", role=t(f"admin_role_{role}")),
            )
        )
    return user


def form_int(value: str | None) -> int | None:
    """A form field's whole number; None when empty, not a number or beyond what a column holds."""
    try:
        number = int(value) if value not in (None, "") and len(value) < 20 else None
    except ValueError:
        return None
    return number if number is not None and abs(number) <= INT_MAX else None


def localise(errors: dict[str, str]) -> dict[str, str]:
    """Field messages in the page's language (the checks word them in English)."""
    if get_lang() == "en":
        return errors
    return {k: (text if (text := t(f"admin_err_{k}")) != f"admin_err_{k}" else m) for k, m in errors.items()}


def map_config(*more_strings: str) -> dict[str, Any]:
    """What ``static/admin.js`` needs for a staff map: tiles, the area, the streets' URL, its strings."""
    cfg = current_app.config
    keys = ("edit", "add_here", "unpublished", "closure", "hazard", *more_strings)
    return {
        "tiles": cfg["TILES_URL"],
        "attribution": cfg["TILES_ATTRIBUTION"] or cfg["DATA_ATTRIBUTION"],
        "bounds": list(get_network().bounds),
        "network_url": url_for("admin.network_json"),
        "strings": {k: t(f"admin_js_{k}") for k in keys},
    }
