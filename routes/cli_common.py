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
        "--engine",
        default=None,
        help="routing engine: bikemap (default, or BIKEMAP_ENGINE), osrm or valhalla (in-process; Python 3.12+)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr while the network is read and built"
    )


def load_source(args: argparse.Namespace):
    from .sources import load_network

    engine = _engine(args)
    net = load_network(args.source, cache_folder=args.cache_dir, dem=getattr(args, "dem", None))
    if engine is not None:
        from .backends import use_engine

        use_engine(net, engine, cache_folder=args.cache_dir)
    return net


def _engine(args: argparse.Namespace) -> str | None:
    """The ``--engine`` asked for, checked before any work (one line and exit 2 when it cannot run)."""
    engine = getattr(args, "engine", None)
    if engine is None:
        return None
    from .backends import check_engine

    return check_engine(engine)


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
