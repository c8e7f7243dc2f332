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

MIN_PASSWORD = 8


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
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n")
    if first != second:
        raise InvalidValueError("the two passwords differ; nothing was changed")
    if len(first) < MIN_PASSWORD:
        raise InvalidValueError(f"the password must have at least {MIN_PASSWORD} characters")
    return first


def _open(args):
    from ..storage.engine import open_database

    return open_database(database_url(args.db))


def _check_role(role: str) -> str:
    from ..storage.models import ROLES

    if role not in ROLES:
        raise InvalidValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def cmd_add(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from ..storage.models import User, hash_password

    role = _check_role(args.role)
    name = args.name.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise InvalidValueError("a user name is 1 to 80 characters without spaces")
    db = _open(args)
    with db.session() as session:
        if session.scalars(select(User).where(func.lower(User.name) == name.lower())).first():
            raise InvalidValueError(f"user {name!r} exists already")
        password = read_password()
        session.add(User(name=name, role=role, password_hash=hash_password(password), active=True))
        session.commit()
    print(f"added {role} {name}")
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
        if not user.active:
            raise InvalidValueError(f"user {user.name!r} is disabled")
        token = add_token(session, user, name=args.label or "", expires_at=expires)
        until = f", valid until {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
        print(f"new API token of {user.name} ({user.role}){until}; it is shown only now:")
    print(token)
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from ..storage.users import find_user

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        for tok in sorted(user.tokens, key=lambda t: t.id):
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
        revoke_token(session, find_user(session, args.name), args.token_id)
    print(f"token {args.token_id} of {args.name} is revoked")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from ..storage.models import User

    db = _open(args)
    with db.session() as session:
        for u in session.scalars(select(User).order_by(User.name)):
            print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}")
    return 0


def cmd_role(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_role

    role = _check_role(args.role)
    db = _open(args)
    with db.session() as session:
        set_role(session, find_user(session, args.name), role)
    print(f"{args.name} is now {role}; its open sessions are logged out")
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_password

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        set_password(session, user, read_password())
    print(f"new password of {user.name} saved; its open sessions are logged out and its API tokens revoked")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from ..storage.users import find_user, set_active

    enable = args.user_command == "enable"
    db = _open(args)
    with db.session() as session:
        set_active(session, find_user(session, args.name), enable)
    print(f"{args.name} is enabled" if enable else f"{args.name} is disabled, logged out, and its API tokens revoked")
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
