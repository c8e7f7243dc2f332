"""Translations: one gettext catalogue for the library, the web app and the map page's scripts.

Every user-facing string of bikemap is a message of one gettext domain, ``messages``, in
``routes/data/locale/<lang>/LC_MESSAGES/messages.po`` (compiled to ``messages.mo`` beside it).
The library reads the compiled catalogues with the standard library's `gettext` module, so
``import routes`` needs no web framework and no extra package; the web app reads the same files
through Flask-Babel (`webapp.i18n`). How to add a language, extract, update and compile:
``docs/translations.md``.

Message ids are keys (``"err_NoRoute"``, ``"tourplan_nothing_near"``), not English sentences:
the page's scripts and the error handler build ids from codes (``"err_" + code``), English
wording can be improved without touching the other languages, and English is a catalogue like
any other. A language's missing message falls back to English, then to the id itself.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any

from . import settings

__all__ = ["BUILT_IDS", "DOMAIN", "LANGUAGES", "N_", "catalogue", "locale_folder", "translate", "translations"]

#: The gettext domain: one catalogue per language, ``<lang>/LC_MESSAGES/messages.mo``.
DOMAIN = "messages"
#: The languages the project translates completely; the first is the fallback of the others.
LANGUAGES = ("en", "id")


def locale_folder() -> Path:
    """Folder of the catalogues (``routes/data/locale`` inside the package)."""
    return settings.data_folder / "locale"


def N_(key: str) -> str:  # noqa: N802 - the gettext convention for "mark for extraction only"
    """Mark a message id for extraction where the code looks it up later by a built name.

    >>> N_("hw_cycleway")
    'hw_cycleway'
    """
    return key


#: Message ids of the library's vocabularies that code builds from a name (``"hw_" + highway``,
#: ``"cat_" + category``, ``"surface_" + class``, ``"profile_" + name``), listed so that
#: extraction (scripts/translations.py) finds them. A new member of a vocabulary goes here too.
BUILT_IDS = (
    N_("hw_bridleway"), N_("hw_corridor"), N_("hw_cycleway"), N_("hw_elevator"), N_("hw_footway"),
    N_("hw_living_street"), N_("hw_other"), N_("hw_path"), N_("hw_pedestrian"), N_("hw_primary"),
    N_("hw_residential"), N_("hw_road"), N_("hw_secondary"), N_("hw_service"), N_("hw_steps"), N_("hw_tertiary"),
    N_("hw_track"), N_("hw_trunk"), N_("hw_unclassified"),
    N_("cat_aquarium"), N_("cat_archaeological_site"), N_("cat_artwork"), N_("cat_attraction"), N_("cat_beach"),
    N_("cat_beach_resort"), N_("cat_boundary_stone"), N_("cat_building"), N_("cat_castle"), N_("cat_church"),
    N_("cat_city_gate"), N_("cat_culture"), N_("cat_food"), N_("cat_fort"), N_("cat_gallery"), N_("cat_garden"),
    N_("cat_heritage"), N_("cat_market"), N_("cat_memorial"), N_("cat_monument"), N_("cat_museum"),
    N_("cat_nature"), N_("cat_nature_reserve"), N_("cat_other"), N_("cat_park"), N_("cat_peak"),
    N_("cat_picnic_site"), N_("cat_ruins"), N_("cat_theme_park"), N_("cat_tomb"), N_("cat_viewpoint"),
    N_("cat_waterfall"), N_("cat_wayside_cross"), N_("cat_wayside_shrine"), N_("cat_zoo"),
    N_("surface_gravel"), N_("surface_paved"), N_("surface_unknown"), N_("surface_unpaved"),
    N_("profile_ebike"), N_("profile_fast"), N_("profile_safe"), N_("profile_walk"),
    N_("cli_route_points_from"), N_("cli_route_points_to"), N_("cli_route_points_via"),
    N_("cli_route_classes_gravel"), N_("cli_route_classes_paved"), N_("cli_route_classes_unknown"),
    N_("cli_route_classes_unpaved"),
    N_("tourplan_night_today"), N_("tourplan_night_tomorrow"), N_("tourplan_unserved_none"),
    N_("tourplan_unserved_closed"), N_("tourplan_unserved_too_far"), N_("tourplan_unserved_too_far_ride"),
    N_("tourplan_unserved_crowded"),
)  # fmt: skip


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang``, falling back to English's (cached).

    An unknown language gets the English catalogue; ids missing everywhere come back unchanged.
    """
    folder = str(locale_folder())
    base = _gettext.translation(DOMAIN, folder, languages=[LANGUAGES[0]], fallback=True)
    if lang == LANGUAGES[0]:
        return base
    found = _gettext.translation(DOMAIN, folder, languages=[lang], fallback=True)
    if isinstance(found, _gettext.GNUTranslations):
        found.add_fallback(base)
        return found
    return base


def translate(key: str, lang: str = "en", **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled from ``values``.

    >>> translate("tourplan_there_and_back", "id")
    'pergi dan kembali'
    >>> translate("cli_tour_until", "en", name="Ateneum")
    'until Ateneum opens'
    """
    text = translations(lang).gettext(key)
    return text.format(**values) if values else text


def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by id (English's where ``lang`` has none), e.g. for the page's scripts."""
    merged: dict[str, str] = {}
    for code in dict.fromkeys((LANGUAGES[0], lang)):
        t: _gettext.NullTranslations | None = translations(code)
        while t is not None and not isinstance(t, _gettext.GNUTranslations):
            t = getattr(t, "_fallback", None)
        if t is not None:
            merged.update({k: v for k, v in t._catalog.items() if isinstance(k, str) and k and v})  # type: ignore[attr-defined]
    return merged
