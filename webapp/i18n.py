"""UI strings in English and Bahasa Indonesia (``routes/data/i18n/<lang>.json``).

The language of a request is ``?lang=`` when it names a known language, else
the best match of the browser's Accept-Language, else the first of
``LANGUAGES``. On the staff pages (``/admin``) a ``?lang=`` choice is kept in
the session and wins over Accept-Language on the next pages, after redirects
and across sign-in and sign-out (`webapp.auth` carries it over); public pages
set no cookie for it. Templates call ``_("key")``; scripts read the same strings from
the page (`strings_for`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, request, session

from routes import settings

__all__ = ["SESSION_KEY", "get_lang", "gettext", "init_app", "load_strings", "strings_for"]

#: The session member holding a staff member's language choice.
SESSION_KEY = "lang"


@cache
def load_strings(lang: str, folder: str | None = None) -> dict[str, str]:
    """The UI strings of a language (cached)."""
    path = Path(folder or settings.data_folder / "i18n") / f"{lang}.json"
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _staff_page() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def get_lang() -> str:
    """Language of the current request."""
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


def strings_for(lang: str) -> dict[str, str]:
    """All strings of ``lang``, falling back to the first language's for missing keys."""
    base = load_strings(current_app.config["LANGUAGES"][0])
    return {**base, **load_strings(lang)} if lang != current_app.config["LANGUAGES"][0] else base


def gettext(key: str, lang: str | None = None) -> str:
    """The UI string ``key`` in ``lang`` (default: the request's language)."""
    return strings_for(lang or get_lang()).get(key, key)


def _remember_choice() -> None:
    """A staff page's ``?lang=`` is kept even when the page answers with a redirect (sign-in)."""
    if "lang" in request.args and _staff_page():
        get_lang()


def init_app(app: Flask) -> None:
    app.before_request(_remember_choice)
    app.jinja_env.globals.update(_=gettext, get_lang=get_lang)
