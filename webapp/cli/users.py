"""``bikemap user ...``: staff accounts of the destination layer.

    bikemap user add NAME --role editor|admin [--db URL]   # asks the password twice
    bikemap user token NAME [--label TEXT] [--expires-days N]  # prints a new API token (last line)
    bikemap user tokens NAME                               # lists the user's tokens (id, label, dates)
    bikemap user revoke NAME TOKEN_ID                      # revokes one token
    bikemap user list [--db URL]
    bikemap user role NAME editor|admin [--db URL]         # ends the user's sessions
    bikemap user password NAME [--db URL]                  # asks twice; ends sessions, revokes tokens
    bikemap user disable NAME [--db URL]                   # ends sessions, revokes tokens
    bikemap user enable NAME [--db URL]
    bikemap user log [NAME] [--limit N]                    # the record of account changes, oldest first

Every change is recorded (who, when, what) and shown by ``user log`` and on the
staff UI's accounts page. The last active administrator cannot be demoted or
disabled (one line on stderr, exit code 2).

Without ``--db`` the database is ``BIKEMAP_DATABASE_URL``, else the web app's
SQLite file in its instance folder (the one ``bikemap serve`` uses).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from routes.errors import InvalidValueError

__all__ = ["register"]


def database_url(arg: str | None) -> str:
    """``--db``, else ``BIKEMAP_DATABASE_URL``, else the app's default SQLite file."""
    if arg:
        return arg
    if os.environ.get("BIKEMAP_DATABASE_URL"):
        return os.environ["BIKEMAP_DATABASE_URL"]
    from flask import Flask

    from ..storage.engine import default_url

    return default_url(Flask("webapp").instance_path)


def read_password() -> str:
    """The new password: typed twice at a terminal, or two lines of standard input."""
    from ..storage.users import check_password

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n")
    check_password(first, second)
    return first


def actor() -> str:
    """Who made a change from the command line, for the record of account changes."""
    try:
        return f"cli ({getpass.getuser()})"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli"


def say(key: str, **fmt: object) -> None:
    """Print the confirmation ``key``: the staff UI's English sentence for the same change."""
    from routes.i18n import translate

    print(translate(key, "en", **fmt))


def _open(args):
    from ..storage.engine import open_database

    return open_database(database_url(args.db))


def cmd_add(args: argparse.Namespace) -> int:
    from ..storage.users import check_new_name, create_user

    db = _open(args)
    with db.session() as session:
        check_new_name(session, args.name)  # before the password is asked for
        user = create_user(session, args.name, args.role, read_password(), by=actor())
        say("admin_done_create", name=user.name, role=user.role)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from ..storage.models import utcnow
    from ..storage.users import add_token, find_user

    if args.expires_days is not None and not 0 < args.expires_days <= 3650:
        raise InvalidValueError(f"--expires-days must be 1..3650, got {args.expires_days}")
    expires = utcnow() + timedelta(days=args.expires_days) if args.expires_days else None
    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        token = add_token(session, user, name=args.label or "", expires_at=expires, by=actor())
        until = f" (valid until {expires:%Y-%m-%d %H:%M} UTC)" if expires else ""
        say("admin_done_token", name=user.name, until=until)
    print(token)
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, tokens_of

    db = _open(args)
    with db.session() as session:
        for tok in tokens_of(find_user(session, args.name)):
            expires = f"{tok.expires_at:%Y-%m-%d %H:%M}" if tok.expires_at else "never"
            used = f"{tok.last_used_at:%Y-%m-%d %H:%M}" if tok.last_used_at else "never"
            state = "valid" if tok.is_valid() else "expired"
            print(
                f"{tok.id}\t{tok.name or '-'}\tcreated {tok.created_at:%Y-%m-%d %H:%M}\texpires {expires}\t"
                f"used {used}\t{state}"
            )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, revoke_token

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        revoke_token(session, user, args.token_id, by=actor())
        say("admin_done_revoke", name=user.name, token=args.token_id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..storage.users import all_users

    db = _open(args)
    with db.session() as session:
        for u in all_users(session):
            print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from ..storage.users import account_changes

    if not 0 < args.limit <= 100_000:
        raise InvalidValueError(f"--limit must be 1..100000, got {args.limit}")
    db = _open(args)
    with db.session() as session:
        for c in reversed(account_changes(session, account=args.name, limit=args.limit)):
            print(f"{c.changed_at:%Y-%m-%d %H:%M:%S}\t{c.changed_by}\t{c.action}\t{c.account}\t{c.detail}")
    return 0


def cmd_role(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_role

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        set_role(session, user, args.role, by=actor())
        say("admin_done_role", name=user.name, role=args.role)
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_password

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        set_password(session, user, read_password(), by=actor())
        say("admin_done_password", name=user.name)
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_active

    enable = args.user_command == "enable"
    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        set_active(session, user, enable, by=actor())
        say("admin_done_enable" if enable else "admin_done_disable", name=user.name)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("user", help="manage staff accounts of the destination layer")
    sub = parser.add_subparsers(dest="user_command", required=True, parser_class=type(parser))

    def db_arg(p):
        p.add_argument(
            "--db",
            metavar="URL",
            help="SQLAlchemy database URL (default: BIKEMAP_DATABASE_URL, else the web app's SQLite file)",
        )
        return p

    p = db_arg(sub.add_parser("add", help="add a staff user (asks for the password twice)"))
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["editor", "admin"])
    p.set_defaults(func=cmd_add)
    p = db_arg(sub.add_parser("token", help="print a new API token of a user (last line)"))
    p.add_argument("name")
    p.add_argument("--label", help="what the token is for (shown by 'user tokens')")
    p.add_argument("--expires-days", type=int, default=None, help="the token stops working after this many days")
    p.set_defaults(func=cmd_token)
    p = db_arg(sub.add_parser("tokens", help="list a user's API tokens"))
    p.add_argument("name")
    p.set_defaults(func=cmd_tokens)
    p = db_arg(sub.add_parser("revoke", help="revoke one API token of a user (its id from 'user tokens')"))
    p.add_argument("name")
    p.add_argument("token_id", type=int)
    p.set_defaults(func=cmd_revoke)
    p = db_arg(sub.add_parser("list", help="list staff users"))
    p.set_defaults(func=cmd_list)
    p = db_arg(sub.add_parser("log", help="the record of account changes (who, when, what), oldest first"))
    p.add_argument("name", nargs="?", help="only the changes of this account")
    p.add_argument("--limit", type=int, default=100, help="the newest N changes (default 100)")
    p.set_defaults(func=cmd_log)
    p = db_arg(sub.add_parser("role", help="change a user's role"))
    p.add_argument("name")
    p.add_argument("role", choices=["editor", "admin"])
    p.set_defaults(func=cmd_role)
    p = db_arg(sub.add_parser("password", help="set a new password (asks twice; ends the user's sessions)"))
    p.add_argument("name")
    p.set_defaults(func=cmd_password)
    p = db_arg(sub.add_parser("disable", help="disable a user: sessions end, API tokens are revoked"))
    p.add_argument("name")
    p.set_defaults(func=cmd_disable)
    p = db_arg(sub.add_parser("enable", help="enable a disabled user again"))
    p.add_argument("name")
    p.set_defaults(func=cmd_disable)
