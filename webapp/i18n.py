"""UI strings through Flask-Babel, from the project's one gettext catalogue (`routes.i18n`).

The catalogues are ``routes/data/locale/<lang>/LC_MESSAGES/messages.po`` (compiled ``.mo``
beside them): the library reads them with the standard library, the web app through
Flask-Babel, the page's scripts as one JSON document per language (`strings_url`,
served by ``webapp.views.map``). See docs/translations.md.

The language of a request is ``?lang=`` when it names a known language, else the best match
of the browser's Accept-Language, else the first of ``LANGUAGES`` (`get_lang`, Flask-Babel's
locale selector). On the staff pages (``/admin``) a ``?lang=`` choice is kept in the session
and wins over Accept-Language on the next pages, after redirects and across sign-in and
sign-out (`webapp.auth` carries it over); public pages set no cookie for it. Templates call
``_("key")``; staff pages ``t("key", **fields)``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

import flask_babel
from flask import Flask, current_app, g, request, session, url_for

from routes.i18n import N_, catalogue, locale_folder, translate

__all__ = [
    "BUILT_IDS",
    "SESSION_KEY",
    "get_lang",
    "gettext",
    "init_app",
    "load_strings",
    "strings_json",
    "strings_url",
]

#: The session member holding a staff member's language choice.
SESSION_KEY = "lang"

#: Message ids of the web layer that code builds from a code or a name (``"err_" + code``,
#: ``"lang_" ~ code``, ``t(f"admin_field_{field}")``) or reads from a table of the page's scripts,
#: listed here so that extraction (scripts/translations.py) finds them. A new member of one of
#: these families goes here too.
BUILT_IDS = (
    N_("add_as_via"), N_("go_here"), N_("start_here"), N_("point_from"), N_("layers"), N_("zoom_in"), N_("zoom_out"),
    N_("admin_err_category"), N_("admin_err_description"), N_("admin_err_ends_at"), N_("admin_err_geometry"),
    N_("admin_err_image_url"), N_("admin_err_kind"), N_("admin_err_location"), N_("admin_err_name"),
    N_("admin_err_names"), N_("admin_err_opening_hours"), N_("admin_err_published"), N_("admin_err_reason"),
    N_("admin_err_visit_minutes"), N_("admin_err_website"),
    N_("admin_field_category"), N_("admin_field_description"), N_("admin_field_ends_at"), N_("admin_field_geometry"),
    N_("admin_field_image_url"), N_("admin_field_kind"), N_("admin_field_location"), N_("admin_field_name"),
    N_("admin_field_names"), N_("admin_field_opening_hours"), N_("admin_field_published"), N_("admin_field_reason"),
    N_("admin_field_visit_minutes"), N_("admin_field_website"),
    N_("admin_js_add_here"), N_("admin_js_closure"), N_("admin_js_edit"), N_("admin_js_hazard"),
    N_("admin_js_unpublished"), N_("admin_make_admin"), N_("admin_make_editor"), N_("admin_role_admin"),
    N_("admin_role_editor"),
    N_("admin_did_create"), N_("admin_did_role"), N_("admin_did_disable"), N_("admin_did_enable"),
    N_("admin_did_password"), N_("admin_did_token"), N_("admin_did_revoke"),
    N_("admin_done_create"), N_("admin_done_role"), N_("admin_done_disable"), N_("admin_done_enable"),
    N_("admin_done_password"), N_("admin_done_token"), N_("admin_done_revoke"),
    N_("admin_last_admin"), N_("admin_user_bad_name"), N_("admin_user_bad_role"), N_("admin_user_exists"),
    N_("admin_user_is_disabled"), N_("admin_user_pw_differ"), N_("admin_user_pw_short"), N_("admin_token_bad_label"),
    N_("bs_dropoff"), N_("bs_err_NoRoute"), N_("bs_pickup"), N_("closure_until"),
    N_("err_BudgetTooSmall"), N_("err_InvalidQuery"), N_("err_InvalidValue"), N_("err_NoRoute"), N_("err_NoSegment"),
    N_("err_RequestEntityTooLarge"), N_("err_TooBig"), N_("err_UnknownDestination"),
    N_("kind_address"), N_("kind_city"), N_("kind_destination"), N_("kind_hamlet"), N_("kind_neighbourhood"),
    N_("kind_quarter"), N_("kind_street"), N_("kind_suburb"), N_("kind_town"), N_("kind_village"),
    N_("lang_en"), N_("lang_id"),
    N_("layer_cycleway"), N_("layer_main"), N_("layer_push"), N_("layer_quiet"), N_("layer_route"),
    N_("live_legend_closed"), N_("live_legend_no_bikes"), N_("live_legend_no_docks"), N_("live_legend_ok"),
    N_("mode_bike"), N_("mode_bikeshare"),
    N_("tour_budget_whole"), N_("tour_err_loop"), N_("tour_finish"), N_("tour_mode_discovery"), N_("tour_mode_loop"),
    N_("tour_mode_order"), N_("tour_need_places"), N_("tour_weight_1"), N_("tour_weight_2"), N_("tour_weight_3"),
    # road reports: the types (webapp/open311.py), the notice of a new report, the queue's statuses
    N_("report_type_blocked"), N_("report_type_construction"), N_("report_type_crossing"), N_("report_type_dock"),
    N_("report_type_flooding"), N_("report_type_other"), N_("report_type_pothole"), N_("report_type_sign"),
    N_("report_notice"), N_("admin_report_status_closed"), N_("admin_report_status_confirmed"),
    N_("admin_report_status_merged"), N_("admin_report_status_open"), N_("admin_report_status_rejected"),
    N_("admin_err_into"), N_("admin_err_note"), N_("admin_js_report"),
)  # fmt: skip


def _staff_page() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def get_lang() -> str:
    """Language of the current request (Flask-Babel's locale selector)."""
    lang = g.get("lang")
    if lang is None:
        langs = current_app.config["LANGUAGES"]
        asked = request.args.get("lang", "")
        staff = _staff_page()
        if asked in langs:
            lang = asked
            if staff and session.get(SESSION_KEY) != lang:
                session[SESSION_KEY] = lang
        elif staff and session.get(SESSION_KEY) in langs:
            lang = session[SESSION_KEY]
        else:
            lang = request.accept_languages.best_match(langs, default=langs[0])
        g.lang = lang
    return lang


def _remember_choice() -> None:
    """A staff page's ``?lang=`` is kept even when the page answers with a redirect (sign-in)."""
    if "lang" in request.args and _staff_page():
        get_lang()


def gettext(key: str, lang: str | None = None) -> str:
    """The UI string ``key`` in ``lang`` (default: the request's language).

    Read through Flask-Babel; a message the language lacks falls back to English's, as in the library.
    """
    if lang is None or lang == get_lang():
        text = flask_babel.gettext(key)
    else:
        with flask_babel.force_locale(lang):
            text = flask_babel.gettext(key)
    return translate(key, "en") if text == key else text


def load_strings(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by id (English's where it has none): what the page's scripts get."""
    return catalogue(lang)


@cache
def strings_json(lang: str) -> tuple[bytes, str]:
    """``lang``'s catalogue as the JSON document the page loads, and its version (a digest of it)."""
    body = json.dumps(catalogue(lang), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


def strings_url(lang: str) -> str:
    """Address of ``lang``'s strings, versioned by their content so a browser may keep them for a year."""
    return url_for("map.strings", lang=lang, v=strings_json(lang)[1])


def init_app(app: Flask) -> None:
    app.before_request(_remember_choice)
    # Jinja gets plain functions: Flask-Babel's Jinja set-up would mark translations safe (not escaped)
    flask_babel.Babel(
        app,
        locale_selector=get_lang,
        default_translation_directories=str(locale_folder()),
        configure_jinja=False,
    )
    app.jinja_env.globals.update(_=gettext, get_lang=get_lang, strings_url=strings_url)
