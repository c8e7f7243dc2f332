"""The ``bikemap`` command.

Each feature adds a subcommand through a module listed in `COMMAND_MODULES`
that defines ``register(subparsers)``; the parser it adds sets ``func``, which
gets the parsed arguments and returns the exit code. Every `BikemapError` (and
bad usage) ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys
from collections.abc import Sequence

from . import settings
from .errors import BikemapError

__all__ = ["main"]

_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A value starting with "-": a negative number, or numbers separated by commas (LAT,LON; W,S,E,N).
_NEGATIVE_VALUES = re.compile(rf"^-(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\s*,\s*{_NUMBER})*$")

#: Modules that add subcommands (each defines ``register(subparsers)``).
COMMAND_MODULES = [
    "routes.cli_tour",
    "routes.cli_route",
    "routes.cli_reach",
    "routes.cli_match",
    "routes.cli_geocode",
    "routes.cli_basemap",
    "webapp.cli",
    "routes.cli_stations",
    "webapp.users_cli",
    "webapp.db_cli",
]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, and coordinates as users write them.

    argparse reads an argument that starts with ``-`` as an option unless it looks like a
    negative number, and ``-37.81,144.96`` (a point in the southern or western hemisphere)
    does not: ``--from -37.81,144.96`` failed with "expected one argument". No bikemap option
    looks like a number, so every negative number or comma-separated list of numbers is a value.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUES

    def error(self, message: str):  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"bikemap: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bikemap", description="Cycling routes and tours on OpenStreetMap data.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a feature not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    was, settings.progress = settings.progress, not getattr(args, "quiet", True)
    try:
        return int(args.func(args) or 0)
    except BikemapError as exc:
        print(f"bikemap: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        settings.progress = was


def add_source_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--source`` and ``--cache-dir`` options every network command shares."""
    parser.add_argument(
        "--source", default="demo", help="demo (default), a .osm.pbf/.osm/.osm.bz2 file, place:NAME or bbox:W,S,E,N"
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
    h, mins = ("jam", "menit") if lang == "id" else ("h", "min")
    return f"{m // 60} {h} {m % 60:02d} {mins}" if m >= 60 else f"{m} {mins}"


def ui_strings(lang: str) -> dict[str, str]:
    """The page's translations (``routes/data/i18n``), for the command's summaries."""
    from . import settings

    with open(settings.data_folder / "i18n" / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
