"""Extract, update, check and compile bikemap's gettext catalogues (routes/data/locale).

    python scripts/translations.py extract          # print the message ids the sources use (the template)
    python scripts/translations.py update           # add new ids to every catalogue, mark unused ones obsolete
    python scripts/translations.py set KEY en=TEXT id=TEXT   # write one message in several languages
    python scripts/translations.py compile          # messages.po -> messages.mo (committed beside it)
    python scripts/translations.py check            # exit 1 on a missing, fuzzy or stale message
    python scripts/translations.py init LANG        # a new language, a copy of English marked fuzzy
    python scripts/translations.py merge-json LANG FILE   # messages of an old routes/data/i18n/<lang>.json

What is extracted (``babel.cfg`` beside ``pyproject.toml``): Python of ``routes/`` and ``webapp/``
(``_``, ``gettext``, ``N_``, ``t``, ``translate``), the Jinja templates (``_``, ``t``) and the page's
scripts (``t``, ``bm.t``). See docs/translations.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "routes" / "data" / "locale"
DOMAIN = "messages"
#: Languages every message must have (the first is the source language of the keys' wording).
REQUIRED = ("en", "id")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "t": None,
    "translate": None,
}
WIDTH = 100


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@functools.cache
def extract() -> Catalog:
    """The template: every message id the sources use, with the files that use it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="bikemap", fuzzy=False)
    # Babel says so on stderr for every t(f"admin_field_{name}"): those ids are listed in a BUILT_IDS
    with contextlib.redirect_stderr(io.StringIO()):
        found = list(
            extract_from_dir(
                str(ROOT),
                method_map,
                options_map,
                keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True,
            )
        )
    for filename, _lineno, message, comments, context in found:
        if not isinstance(message, str) or not message:
            continue  # a plural form or an empty id: bikemap uses neither
        if message.endswith("_"):
            continue  # t("hw_" + highway): the prefix of built ids, each listed in a BUILT_IDS with N_()
        template.add(message, None, [(filename, None)], auto_comments=comments, context=context)
    return template


def read(lang: str) -> Catalog:
    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def write(lang: str, catalog: Catalog) -> None:
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, sort_output=True, include_lineno=False, ignore_obsolete=False)
    po_path(lang).write_bytes(buf.getvalue())


def update() -> list[str]:
    """Bring every catalogue in line with the sources; returns what changed, one line each."""
    template = extract()
    said = []
    for lang in languages():
        catalog = read(lang)
        before = {m.id for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        after = {m.id for m in catalog if m.id}
        for key in sorted(after - before):
            said.append(f"{lang}: new {key} (fill in its msgstr)")
        for key in sorted(catalog.obsolete):
            said.append(f"{lang}: obsolete {key} (no source uses it any more)")
        write(lang, catalog)
    return said


def compile_all() -> list[Path]:
    out = []
    for lang in languages():
        catalog = read(lang)
        mo = po_path(lang).with_suffix(".mo")
        buf = io.BytesIO()
        write_mo(buf, catalog)
        if not mo.exists() or mo.read_bytes() != buf.getvalue():
            mo.write_bytes(buf.getvalue())
            out.append(mo)
    return out


def problems() -> list[str]:
    """Everything that makes the catalogues incomplete or stale, one line each (empty: all good)."""
    found = []
    ids = {m.id for m in extract() if m.id}
    for lang in sorted(set(REQUIRED) | set(languages())):
        if not po_path(lang).exists():
            found.append(f"{lang}: no catalogue {_shown(po_path(lang))}")
            continue
        catalog = read(lang)
        have = {m.id: m for m in catalog if m.id}
        for key in sorted(ids - set(have)):
            found.append(f"{lang}: {key} is used in the sources but not in the catalogue (run update)")
        for key in sorted(catalog.obsolete):  # update found no source for it: a built id not listed, or dead
            found.append(f"{lang}: {key} is obsolete (list it with N_() in a BUILT_IDS, or delete it)")
        if lang in REQUIRED:
            for key, m in sorted(have.items()):
                if not (m.string or "").strip() or m.fuzzy:
                    found.append(f"{lang}: {key} has no translation" + (" (fuzzy)" if m.fuzzy else ""))
        mo = po_path(lang).with_suffix(".mo")
        compiled = {}
        if mo.exists():
            with open(mo, "rb") as f:
                compiled = {m.id: m.string for m in read_mo(f) if m.id}
        wanted = {k: m.string for k, m in have.items() if m.string and not m.fuzzy}
        if compiled != wanted:
            found.append(f"{lang}: {_shown(mo)} is not compiled from the .po (run compile)")
    return found


def set_message(key: str, pairs: list[str]) -> None:
    for pair in pairs:
        lang, sep, text = pair.partition("=")
        if not sep:
            raise SystemExit(f"translations: expected LANG=TEXT, got {pair!r}")
        catalog = read(lang)
        if key in catalog:
            catalog[key].string = text
            catalog[key].flags.discard("fuzzy")
        else:
            catalog.add(key, text)
        write(lang, catalog)


def merge_json(lang: str, path: Path) -> list[str]:
    """Add the messages of an old-style table (``routes/data/i18n/<lang>.json``, a flat JSON object of
    id -> text, as branches made before the catalogues still have) that ``lang``'s catalogue lacks or
    has empty. A message the catalogue already has keeps its text; a different one is reported."""
    import json

    table = json.loads(path.read_text(encoding="utf-8"))
    catalog = read(lang)
    said = []
    for key, text in sorted(table.items()):
        if not isinstance(text, str) or not text:
            continue
        if key not in catalog or not catalog[key].string:
            catalog.add(key, text)
            said.append(f"{lang}: added {key}")
        elif catalog[key].string != text:
            said.append(f"{lang}: kept {key} (the table says {text!r:.60})")
    write(lang, catalog)
    return said


def init(lang: str) -> None:
    """A new language: English's catalogue with every message fuzzy, for a translator to go through."""
    if po_path(lang).exists():
        raise SystemExit(f"translations: {_shown(po_path(lang))} exists")
    english = read(REQUIRED[0])
    catalog = Catalog(locale=lang, domain=DOMAIN, project="bikemap", fuzzy=False)
    for m in english:
        if m.id:
            catalog.add(m.id, m.string, m.locations, auto_comments=m.auto_comments, flags=("fuzzy",))
    po_path(lang).parent.mkdir(parents=True)
    write(lang, catalog)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("extract")
    sub.add_parser("update")
    s = sub.add_parser("set")
    s.add_argument("key")
    s.add_argument("texts", nargs="+", metavar="LANG=TEXT")
    sub.add_parser("compile")
    sub.add_parser("check")
    i = sub.add_parser("init")
    i.add_argument("lang")
    m = sub.add_parser("merge-json")
    m.add_argument("lang")
    m.add_argument("file", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "extract":
        buf = io.BytesIO()
        write_po(buf, extract(), width=WIDTH, sort_output=True, include_lineno=False)
        sys.stdout.write(buf.getvalue().decode("utf-8"))
    elif args.cmd == "update":
        print("\n".join(update()) or "catalogues up to date")
    elif args.cmd == "set":
        set_message(args.key, args.texts)
    elif args.cmd == "compile":
        for mo in compile_all():
            print(f"wrote {_shown(mo)}")
    elif args.cmd == "check":
        found = problems()
        print("\n".join(found) or "catalogues complete and up to date")
        return 1 if found else 0
    elif args.cmd == "init":
        init(args.lang)
    elif args.cmd == "merge-json":
        print("\n".join(merge_json(args.lang, args.file)) or "nothing to add")
    return 0


if __name__ == "__main__":
    sys.exit(main())
