"""Staff accounts, their API tokens and their signed-in sessions.

Every change that should end what a user could do before goes through here:

- `set_password` ends every session and revokes every API token of the user;
- `set_role` and `set_active` (disable) end every session (disable also revokes the tokens);
- `end_session` ends one session (logout).

A session or a token is a random string handed out once; only its sha256 is
stored, so a copy of the database gives no way in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from .models import ROLES, ApiToken, StaffSession, User, hash_password, hash_token, new_token, utcnow

__all__ = [
    "add_token",
    "create_user",
    "end_session",
    "end_sessions",
    "find_user",
    "revoke_token",
    "set_active",
    "set_password",
    "set_role",
    "start_session",
    "user_of_session",
    "user_of_token",
]


def find_user(session: Session, name: str) -> User:
    if "\x00" in name:  # no user has one, and PostgreSQL refuses NUL in a query's text
        raise NotFoundError(f"no user named {name[:80]!r}")
    user = session.scalars(select(User).where(func.lower(User.name) == name.lower())).first()
    if user is None:
        raise NotFoundError(f"no user named {name[:80]!r}")
    return user


def create_user(session: Session, name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = User(name=name, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def set_password(session: Session, user: User, password: str) -> None:
    """A new password: every session of the user ends and every API token is revoked."""
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.commit()


def set_role(session: Session, user: User, role: str) -> None:
    """A new role: the user signs in again (sessions end); API tokens carry the new role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if user.role != role:
        user.role = role
        end_sessions(session, user)
    session.commit()


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions and revokes its API tokens."""
    user.active = active
    if not active:
        end_sessions(session, user)
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.commit()


# ----------------------------------------------------------------------------- API tokens


def add_token(session: Session, user: User, *, name: str = "", expires_at: datetime | None = None) -> str:
    """A new API token of ``user`` (returned once; only its hash is stored)."""
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name[:80], expires_at=expires_at))
    session.commit()
    return token


def revoke_token(session: Session, user: User, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"{user.name} has no API token {token_id}")
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
