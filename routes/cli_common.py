"""What the library's commands share: the network options, output, and small formatting helpers."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_source_argument", "check_writable", "clock", "emit", "load_source", "print_json"]


def add_source_argument(parser: argparse.ArgumentParser, *, default: str | None = "demo") -> None:
    """The ``--source`` and ``--cache-dir`` options every network command shares."""
    parser.add_argument(
        "--source",
        default=default,
        help="demo (default), a .osm.pbf/.osm/.osm.bz2 file, place:NAME or bbox:W,S,E,N",
    )
    parser.add_argument("--cache-dir", default=None, help="folder for built networks (default ~/.cache/bikemap)")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr while the network is read and built"
    )


def load_source(args: argparse.Namespace):
    from .sources import load_network

    return load_network(args.source, cache_folder=args.cache_dir)


def check_writable(path: str, what: str = "GPX file") -> None:
    """Fail before any work when an output file's folder is missing or not writable."""
    import os
    from pathlib import Path

    from .errors import SourceError

    target = Path(path).expanduser().resolve().parent
    if not target.is_dir() or not os.access(target, os.W_OK):
        raise SourceError(f"cannot write {what} {path}: folder missing or not writable")


def emit(feature: dict, args: argparse.Namespace, *, to_gpx, summary) -> None:
    """Write ``--gpx`` if asked, then print the Feature (``--json``) or its summary."""
    if getattr(args, "gpx", None):
        from pathlib import Path

        Path(args.gpx).write_text(to_gpx(feature), encoding="utf-8")
    if args.json:
        print_json(feature)
    else:
        print(summary(feature))


def clock(seconds: float, lang: str = "en") -> str:
    """``"12 min"`` or ``"1 h 05 min"`` (``"1 jam 05 menit"`` in Indonesian)."""
    m = round(seconds / 60)
    from .i18n import translate

    h, mins = translate("cli_h", lang), translate("cli_min", lang)
    return f"{m // 60} {h} {m % 60:02d} {mins}" if m >= 60 else f"{m} {mins}"


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
