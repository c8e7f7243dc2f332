"""``bikemap user ...``: staff accounts of the destination layer.

    bikemap user add NAME --role editor|admin [--db URL]   # asks the password twice
    bikemap user token NAME [--db URL]                     # prints a new API token (last line)
    bikemap user list [--db URL]
    bikemap user role NAME editor|admin [--db URL]
    bikemap user password NAME [--db URL]                  # asks twice; logs the user out
    bikemap user disable NAME [--db URL]                   # also revokes its tokens

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

    from .db import default_url

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
    from .db import open_database

    return open_database(database_url(args.db))


def _check_role(role: str) -> str:
    from .models import ROLES

    if role not in ROLES:
        raise InvalidValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def cmd_add(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from .models import User, hash_password

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
    from .db import find_user
    from .models import ApiToken, hash_token, new_token

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        if not user.active:
            raise InvalidValueError(f"user {user.name!r} is disabled")
        token = new_token()
        session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
        session.commit()
        print(f"new API token of {user.name} ({user.role}); it is shown only now:")
    print(token)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .models import User

    db = _open(args)
    with db.session() as session:
        for u in session.scalars(select(User).order_by(User.name)):
            print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}")
    return 0


def cmd_role(args: argparse.Namespace) -> int:
    from .db import find_user

    role = _check_role(args.role)
    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        user.role = role
        session.commit()
    print(f"{args.name} is now {role}")
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    from .db import find_user
    from .models import hash_password

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        user.password_hash = hash_password(read_password())
        session.commit()
    print(f"new password of {user.name} saved; its open sessions are logged out")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from .db import find_user

    db = _open(args)
    with db.session() as session:
        user = find_user(session, args.name)
        user.active = False
        user.tokens.clear()
        session.commit()
    print(f"{args.name} is disabled and its API tokens are revoked")
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
    p.set_defaults(func=cmd_token)
    p = db_arg(sub.add_parser("list", help="list staff users"))
    p.set_defaults(func=cmd_list)
    p = db_arg(sub.add_parser("role", help="change a user's role"))
    p.add_argument("name")
    p.add_argument("role", choices=["editor", "admin"])
    p.set_defaults(func=cmd_role)
    p = db_arg(sub.add_parser("password", help="set a new password (asks twice; ends the user's sessions)"))
    p.add_argument("name")
    p.set_defaults(func=cmd_password)
    p = db_arg(sub.add_parser("disable", help="disable a user and revoke its API tokens"))
    p.add_argument("name")
    p.set_defaults(func=cmd_disable)
