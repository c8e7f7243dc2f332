"""The library's commands (``bikemap route``, ``tour``, ``stations``) and the command runner.

Each command module defines ``register(subparsers)``; the parser it adds sets
``func``, which gets the parsed arguments and returns the exit code. Every
`BikemapError` (and bad usage) ends as one line on stderr and exit code 2.

The ``bikemap`` entry point is the web package's (``webapp.cli:main``): it adds
``serve``, ``user`` and ``db`` to these. ``python -m routes.cli`` runs the library
commands alone.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Sequence

from . import settings
from .cli_common import add_source_argument
from .errors import BikemapError

__all__ = ["add_source_argument", "build_parser", "main"]

Register = Callable[[argparse._SubParsersAction], None]

_UNSIGNED = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A value starting with "-": a negative number, or numbers separated by commas (LAT,LON; W,S,E,N).
_NEGATIVE_VALUES = re.compile(rf"^-{_UNSIGNED}(?:\s*,\s*-?{_UNSIGNED})*$")


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


def library_commands() -> list[Register]:
    """The ``register`` functions of the library's own commands."""
    from . import cli_basemap, cli_geocode, cli_match, cli_reach, cli_route, cli_stations, cli_tour

    return [
        cli_tour.register,
        cli_route.register,
        cli_reach.register,
        cli_match.register,
        cli_geocode.register,
        cli_basemap.register,
        cli_stations.register,
    ]


def build_parser(extra: Sequence[Register] = ()) -> argparse.ArgumentParser:
    """The ``bikemap`` parser: the library's commands, then ``extra`` ones (the web package's)."""
    parser = _Parser(prog="bikemap", description="Cycling routes and tours on OpenStreetMap data.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in [*library_commands(), *extra]:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, extra: Sequence[Register] = ()) -> int:
    """Run a command; every `BikemapError` is one line on stderr and exit code 2."""
    parser = build_parser(extra)
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


if __name__ == "__main__":
    sys.exit(main())
