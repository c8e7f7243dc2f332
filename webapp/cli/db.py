"""``bikemap db backup FILE`` and ``bikemap db restore FILE``: copies of the destination database.

    bikemap db backup FILE [--db URL] [--force]    # a consistent copy, taken while the app runs
    bikemap db restore FILE [--db URL] [--force]   # --force: replace a database that has data

Without ``--db`` the database is ``BIKEMAP_DATABASE_URL``, else the web app's
SQLite file in its instance folder (as for ``bikemap user``). How the copies are
made and checked: `webapp.storage.backup`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from routes.errors import InvalidValueError

__all__ = ["register"]


def _url(arg: str | None):
    from sqlalchemy.engine import make_url

    from ..storage.engine import normalise_url
    from .users import database_url

    raw = database_url(arg)
    try:
        return make_url(normalise_url(raw))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad URL
        raise InvalidValueError(f"cannot use database URL {raw!r}: {exc}") from None


def cmd_backup(args: argparse.Namespace) -> int:
    from ..storage.backup import backup  # SQLAlchemy only for this command, not for every bikemap start

    print(backup(_url(args.db), Path(args.file), force=args.force))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..storage.backup import restore

    print(restore(_url(args.db), Path(args.file), force=args.force))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="back up or restore the destination database")
    sub = parser.add_subparsers(dest="db_command", required=True, parser_class=type(parser))
    for name, func, text in (
        ("backup", cmd_backup, "write a consistent copy of the database to FILE (safe while the app runs)"),
        ("restore", cmd_restore, "replace the database by the backup FILE (checked first; all or nothing)"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", metavar="FILE")
        p.add_argument(
            "--db",
            metavar="URL",
            help="SQLAlchemy database URL (default: BIKEMAP_DATABASE_URL, else the web app's SQLite file)",
        )
        p.add_argument(
            "--force", action="store_true", help="replace FILE (backup) or a database holding data (restore)"
        )
        p.set_defaults(func=func)
