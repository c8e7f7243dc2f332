"""The gettext catalogues (routes/data/locale): complete in English and Indonesian, up to date
with the sources, compiled, and served to the page as one JSON document per language.

``scripts/translations.py check`` runs the same checks from the command line.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from routes.i18n import LANGUAGES, catalogue, translate

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
assert _spec and _spec.loader
translations = importlib.util.module_from_spec(_spec)
sys.modules["translations"] = translations
_spec.loader.exec_module(translations)


def test_every_extracted_message_has_english_and_indonesian_and_is_compiled():
    assert set(translations.REQUIRED) <= set(translations.languages())
    assert translations.problems() == []


def test_reextracting_finds_no_new_message_id():
    extracted = {m.id for m in translations.extract() if m.id}
    assert len(extracted) > 400  # templates, Python, the page's scripts and the built ids all count
    for lang in LANGUAGES:
        have = {m.id for m in translations.read(lang) if m.id}
        assert extracted - have == set(), lang


@pytest.fixture
def locale_copy(tmp_path, monkeypatch):
    """A copy of the catalogues that a test may break; the checks read it instead."""
    copy = tmp_path / "locale"
    shutil.copytree(translations.LOCALE, copy)
    monkeypatch.setattr(translations, "LOCALE", copy)
    return copy


def test_check_fails_on_a_missing_or_empty_translation_and_a_stale_mo(locale_copy):
    catalog = translations.read("id")
    del catalog["tourplan_there_and_back"]  # a message the sources use
    catalog["err_NoRoute"].string = ""
    translations.write("id", catalog)
    found = translations.problems()
    assert "id: tourplan_there_and_back is used in the sources but not in the catalogue (run update)" in found
    assert "id: err_NoRoute has no translation" in found
    assert any(p.startswith("id: ") and "not compiled" in p for p in found)
    assert not [p for p in found if p.startswith("en:")]


def test_update_adds_what_the_sources_use_and_compile_makes_it_current(locale_copy):
    catalog = translations.read("en")
    del catalog["featured_title"]
    catalog.add("admin_user_gone", "An id no source uses or lists")  # e.g. t(f"admin_user_{code}") unlisted
    translations.write("en", catalog)
    said = translations.update()
    assert "en: new featured_title (fill in its msgstr)" in said
    assert "en: obsolete admin_user_gone (no source uses it any more)" in said
    translations.set_message("featured_title", ["en=Featured routes"])
    translations.compile_all()
    assert translations.problems() == [
        "en: admin_user_gone is obsolete (list it with N_() in a BUILT_IDS, or delete it)"
    ]


def test_library_reads_the_compiled_catalogues_without_flask():
    assert translate("tourplan_there_and_back", "id") == "pergi dan kembali"
    assert translate("cli_tour_until", "en", name="Ateneum") == "until Ateneum opens"
    assert translate("tourplan_there_and_back", "fr") == "there and back"  # unknown language: English
    assert translate("no_such_message", "id") == "no_such_message"
    assert catalogue("id")["lang_id"] == "Bahasa Indonesia"


def test_page_loads_its_strings_from_one_versioned_json_per_language(client):
    for lang in LANGUAGES:
        html = client.get(f"/?lang={lang}").get_data(as_text=True)
        url = html.split('"strings": "', 1)[1].split('"', 1)[0]
        assert url.startswith(f"/i18n/{lang}.json?v=")
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "application/json"
        assert r.get_json() == catalogue(lang)
        assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304
    unversioned = client.get("/i18n/id.json")
    assert unversioned.status_code == 200 and "no-cache" in unversioned.headers["Cache-Control"]
    assert client.get("/i18n/xx.json").status_code == 404


def test_templates_escape_translations(app):
    # Flask-Babel's Jinja set-up would mark every translation safe; bikemap's _() is escaped like any value
    with app.test_request_context("/?lang=id"):
        from flask import render_template_string

        assert render_template_string("{{ _('x<y') }}") == "x&lt;y"


def test_merge_json_takes_new_messages_of_an_old_table_and_keeps_the_catalogues(locale_copy, tmp_path):
    old = tmp_path / "id.json"
    old.write_text('{"lang_id": "Indonesia", "sample_new_title": "Laporan jalan", "empty": ""}', encoding="utf-8")
    said = translations.merge_json("id", old)
    assert said == ["id: kept lang_id (the table says 'Indonesia')", "id: added sample_new_title"]
    catalog = translations.read("id")
    assert catalog["sample_new_title"].string == "Laporan jalan" and catalog["lang_id"].string == "Bahasa Indonesia"
    assert "empty" not in catalog
