"""Staff accounts, their API tokens and their signed-in sessions.

Every change that should end what a user could do before goes through here:

- `set_password` ends every session and revokes every API token of the user;
- `set_role` and `set_active` (disable) end every session (disable also revokes the tokens);
- `end_session` ends one session (logout).

Every change of an account (create, role, disable, enable, password, token,
revoke) writes an `AccountChange` row in the same transaction: who (``by``),
when, what. The staff UI (`webapp.views.accounts`) and ``bikemap user``
(`webapp.cli.users`) both call these functions, so both obey the same rules:
one of them is that the last active administrator cannot be demoted or
disabled (`LastAdminError`).

A session or a token is a random string handed out once; only its sha256 is
stored, so a copy of the database gives no way in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import AccountValueError, LastAdminError, NotFoundError
from .models import (
    ROLES,
    AccountChange,
    ApiToken,
    StaffSession,
    User,
    hash_password,
    hash_token,
    new_token,
    utcnow,
)

__all__ = [
    "MIN_PASSWORD",
    "account_changes",
    "add_token",
    "all_users",
    "check_new_name",
    "check_password",
    "create_user",
    "end_session",
    "end_sessions",
    "find_user",
    "revoke_token",
    "set_active",
    "set_password",
    "set_role",
    "start_session",
    "tokens_of",
    "user_of_session",
    "user_of_token",
]

#: The shortest password an account may get.
MIN_PASSWORD = 8


def find_user(session: Session, name: str) -> User:
    if "\x00" in name:  # no user has one, and PostgreSQL refuses NUL in a query's text
        raise NotFoundError(f"no user named {name[:80]!r}")
    user = session.scalars(select(User).where(func.lower(User.name) == name.lower())).first()
    if user is None:
        raise NotFoundError(f"no user named {name[:80]!r}")
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(func.lower(User.name))))


def _record(session: Session, by: str, action: str, user: User | str, detail: str = "") -> None:
    """Add the record of one account change (committed with the change itself)."""
    account = user if isinstance(user, str) else user.name
    session.add(
        AccountChange(changed_at=utcnow(), changed_by=by[:80], action=action, account=account, detail=detail[:200])
    )


def account_changes(session: Session, *, account: str | None = None, limit: int = 100) -> list[AccountChange]:
    """The newest account changes first (of one ``account`` when given)."""
    query = select(AccountChange)
    if account is not None:
        query = query.where(AccountChange.account == account)
    return list(session.scalars(query.order_by(AccountChange.id.desc()).limit(limit)))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}", "admin_user_bad_role")


def check_password(password: str, again: str | None = None) -> None:
    """`AccountValueError` unless ``password`` is long enough (and equals ``again`` when given)."""
    if again is not None and password != again:
        raise AccountValueError("the two passwords differ; nothing was changed", "admin_user_pw_differ")
    if len(password) < MIN_PASSWORD:
        raise AccountValueError(f"the password must have at least {MIN_PASSWORD} characters", "admin_user_pw_short")


def check_new_name(session: Session, name: str) -> str:
    """``name`` without surrounding spaces; `AccountValueError` when it is malformed or taken."""
    name = name.strip()
    if not name or len(name) > 80 or not name.isprintable() or any(c.isspace() for c in name):
        raise AccountValueError("a user name is 1 to 80 characters without spaces", "admin_user_bad_name")
    try:
        find_user(session, name)
    except NotFoundError:
        return name
    raise AccountValueError(f"user {name!r} exists already", "admin_user_exists")


def create_user(session: Session, name: str, role: str, password: str, *, by: str) -> User:
    """A new active account; `AccountValueError` for a bad or taken name, a bad role or password."""
    name = check_new_name(session, name)
    _check_role(role)
    check_password(password)
    user = User(name=name, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    _record(session, by, "create", user, role)
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def _keep_an_admin(session: Session, user: User, doing: str) -> None:
    """`LastAdminError` if ``user`` is the only active administrator.

    The check holds against a concurrent one: on SQLite the write lock is taken first
    (``BEGIN IMMEDIATE``: one writer at a time), on PostgreSQL the active administrators'
    rows are locked (``SELECT ... FOR UPDATE``). Of two administrators demoting each
    other at once, the second then sees the first's change and is refused.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not getattr(conn.connection.dbapi_connection, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()).all()
    session.refresh(user)  # as it is now, under the lock
    if user.role != "admin" or not user.active:
        return
    if not [i for i in admins if i != user.id]:
        session.rollback()
        raise LastAdminError(
            f"{user.name} is the last active administrator and cannot be {doing}; "
            "make another account administrator first"
        )


def set_password(session: Session, user: User, password: str, *, by: str) -> None:
    """A new password: every session of the user ends and every API token is revoked."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    _record(session, by, "password", user)
    session.commit()


def set_role(session: Session, user: User, role: str, *, by: str) -> None:
    """A new role: the user signs in again (sessions end); API tokens carry the new role."""
    _check_role(role)
    if user.role != role:
        if role != "admin":
            _keep_an_admin(session, user, "demoted")
        _record(session, by, "role", user, f"{user.role} → {role}")
        user.role = role
        end_sessions(session, user)
    session.commit()


def set_active(session: Session, user: User, active: bool, *, by: str) -> None:
    """Enable or disable an account; disabling ends its sessions and revokes its API tokens."""
    if not active:
        _keep_an_admin(session, user, "disabled")
    if user.active != active:
        _record(session, by, "enable" if active else "disable", user)
    user.active = active
    if not active:
        end_sessions(session, user)
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.commit()


# ----------------------------------------------------------------------------- API tokens


def tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens, oldest first."""
    return sorted(user.tokens, key=lambda t: t.id)


def add_token(session: Session, user: User, *, name: str = "", expires_at: datetime | None = None, by: str) -> str:
    """A new API token of ``user`` (returned once; only its hash is stored)."""
    if not user.active:
        raise AccountValueError(f"user {user.name!r} is disabled", "admin_user_is_disabled")
    name = name.strip()
    if len(name) > 80 or not name.isprintable():  # NUL: PostgreSQL text cannot hold it
        raise AccountValueError(
            "a token's label has at most 80 characters and no control characters", "admin_token_bad_label"
        )
    token = new_token()
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name, expires_at=expires_at)
    session.add(row)
    session.flush()
    until = f", until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    _record(session, by, "token", user, f"token {row.id} {row.name!r}{until}")
    session.commit()
    return token


def revoke_token(session: Session, user: User, token_id: int, *, by: str) -> None:
    row = session.get(ApiToken, token_id) if 0 < token_id < 2**62 else None
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"{user.name} has no API token {token_id}")
    _record(session, by, "revoke", user, f"token {row.id} {row.name!r}")
    session.delete(row)
    session.commit()


def user_of_token(session: Session, token: str) -> User | None:
    """The active user a token belongs to, if the token exists and has not expired."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or not row.is_valid() or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:  # one write a minute at most
        row.last_used_at = now
        session.commit()
    return row.user


# ----------------------------------------------------------------------------- sessions


def start_session(session: Session, user: User) -> str:
    """A new signed-in session of ``user``; the returned key goes into the (signed) cookie."""
    key = new_token()
    session.add(StaffSession(user_id=user.id, key_hash=hash_token(key), created_at=utcnow()))
    session.commit()
    return key


def user_of_session(session: Session, key: str) -> User | None:
    row = session.scalars(select(StaffSession).where(StaffSession.key_hash == hash_token(key))).first()
    if row is None or not row.user.active:
        return None
    return row.user


def end_session(session: Session, key: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.key_hash == hash_token(key)))
    session.commit()
