"""Who is asking: staff sign-in and sessions, API tokens, roles, CSRF and the login throttle.

One module for every piece of security the views rely on:

- **Sessions** are **Flask-Login**'s, with a server-side row per signed-in
  browser (`webapp.storage.users`): the cookie names the row by a random key
  (Flask-Login's "alternative token"). Logout deletes the row; a password change,
  a role change and disabling the account delete every row of the user; a
  replayed cookie then names nothing and is anonymous.
- **API tokens** (``Authorization: Bearer TOKEN``) are checked here too: named,
  listed, revocable one by one, optionally expiring, revoked by a password change.
  A malformed, unknown, expired or revoked token is 401, never anonymity.
- **Roles**: `require` answers 401 (nobody) or 403 (a weaker role).
- **CSRF** is **Flask-WTF**'s: every unsafe request made with the session cookie
  (form field ``csrf_token`` or header ``X-CSRF-Token``); token requests need none.
- **The login throttle** is **Flask-Limiter**'s storage (Redis when ``REDIS_URL`` is
  set, so every instance counts the same attempts; memory otherwise). Every attempt
  is counted *before* the password is checked, per address, per account name and
  for the whole site, each an atomic increment: parallel attempts cannot slip
  between a check and a count. A sign-in for an unknown name checks the password
  against a dummy hash, so it costs what a wrong password costs.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_login import current_user as _login_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from limits import parse_many

from .errors import CSRFFailedError, ForbiddenError, NotFoundError, UnauthorizedError
from .i18n import SESSION_KEY as LANG_KEY
from .storage import get_session
from .storage.models import User, hash_password, verify_password
from .storage.users import end_session, find_user, start_session, user_of_session, user_of_token

__all__ = [
    "SignedIn",
    "check_csrf",
    "csrf_token",
    "current_staff",
    "client_wait_s",
    "get_limiter",
    "init_app",
    "log_in",
    "log_out",
    "login_allowed",
    "require",
]

_LIMITER = "bikemap.limiter"
csrf = CSRFProtect()


class SignedIn(UserMixin):
    """Flask-Login's user: the staff member and the key of this browser's session row."""

    def __init__(self, user: User, key: str):
        self.user, self.key = user, key

    def get_id(self) -> str:
        return self.key

    def __getattr__(self, name: str) -> Any:  # name, role, can(), id...
        return getattr(self.user, name)


def _load(key: str) -> SignedIn | None:
    user = user_of_session(get_session(), key)
    return SignedIn(user, key) if user is not None else None


# ----------------------------------------------------------------------------- who is asking


def current_staff() -> User | None:
    """The staff member of this request (Bearer token or session), or None.

    A malformed or unknown token is `UnauthorizedError` (401), not anonymity.
    """
    if "staff_user" in g:
        return g.staff_user
    user, via = None, None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("use the header 'Authorization: Bearer TOKEN'")
        user = user_of_token(get_session(), token.strip())
        if user is None:
            raise UnauthorizedError(
                "this API token is not valid (expired, revoked, or never made; make one with 'bikemap user token NAME')"
            )
        via = "token"
    elif _login_user.is_authenticated:
        user, via = _login_user.user, "session"
    g.staff_user, g.staff_via = user, via
    return user


def csrf_token() -> str:
    """The CSRF token of this browser's session (forms and the map's staff calls send it back)."""
    return generate_csrf()


def check_csrf() -> None:
    """Unsafe requests made with the session cookie must carry the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or g.get("staff_via") == "token":
        return
    try:
        csrf.protect()
    except CSRFError:
        raise CSRFFailedError("the form has expired or did not come from this site; reload the page") from None


def require(role: str) -> User:
    """The request's user if it has ``role`` (or a stronger one); else 401 or 403."""
    user = current_staff()
    if user is None:
        raise UnauthorizedError("log in or send an API token to do this")
    check_csrf()
    if not user.can(role):
        raise ForbiddenError(f"this needs the {role} role; you are {user.role}")
    return user


# ----------------------------------------------------------------------------- signing in


@cache
def _dummy_hash() -> str:
    return hash_password("not the password of any account")


def _limits():
    cfg = current_app.config
    return (
        ("address", parse_many(cfg["LOGIN_LIMIT_ADDRESS"])),
        ("account", parse_many(cfg["LOGIN_LIMIT_ACCOUNT"])),
        ("global", parse_many(cfg["LOGIN_LIMIT_GLOBAL"])),
    )


def _prefix() -> str:
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or "bikemap"


def _keys(name: str) -> dict[str, str]:
    account = hashlib.sha256(name.strip().lower().encode()).hexdigest()[:40]
    return {"address": (get_remote_address() or "?")[:100], "account": account, "global": "all"}


def login_allowed(name: str) -> bool:
    """Count one sign-in attempt for ``name`` from this address; False when any limit is spent.

    Each count is one atomic hit in the limiter's storage, made before the password is checked.
    """
    strategy = get_limiter().limiter
    keys = _keys(name)
    ok = True
    for scope, limits in _limits():
        for limit in limits:
            if not strategy.hit(limit, _prefix(), "login", scope, keys[scope]):
                ok = False
    return ok


def client_wait_s(kind: str, setting: str = "COST_LIMIT_CLIENT") -> int:
    """Count one ``kind`` request (``"expensive"``, ``"report"``) of this address; 0 when allowed, else seconds to wait.

    The limit is the setting ``setting`` (``COST_LIMIT_CLIENT``, ``REPORT_LIMIT_CLIENT``) in the same
    storage as the login throttle (Redis when ``REDIS_URL`` is set), so several instances share the count.
    """
    strategy = get_limiter().limiter
    address = (get_remote_address() or "?")[:100]
    wait = 0
    for limit in parse_many(current_app.config[setting]):
        if not strategy.hit(limit, _prefix(), kind, address):
            reset, _ = strategy.get_window_stats(limit, _prefix(), kind, address)
            wait = max(wait, int(reset - time.time()) + 1)
    return wait


def _forget_attempts(name: str) -> None:
    strategy = get_limiter().limiter
    keys = _keys(name)
    for scope, limits in _limits():
        if scope == "account":
            for limit in limits:
                strategy.clear(limit, _prefix(), "login", scope, keys[scope])


def log_in(name: str, password: str) -> User | None:
    """The active user ``name`` if ``password`` is theirs, signed in (a new session row); else None."""
    try:
        user = find_user(get_session(), name.strip()) if name.strip() else None
    except NotFoundError:
        user = None
    ok = verify_password(password, user.password_hash if user is not None else _dummy_hash())
    if user is None or not ok or not user.active:
        return None
    _clear_session()
    key = start_session(get_session(), user)
    login_user(SignedIn(user, key))
    _forget_attempts(name)
    g.staff_user, g.staff_via = user, "session"
    return user


def log_out() -> None:
    """End this browser's session on the server and clear its cookie."""
    if _login_user.is_authenticated:
        end_session(get_session(), _login_user.key)
    logout_user()
    _clear_session()


def _clear_session() -> None:
    """Forget everything of the browser's session but its language choice (`webapp.i18n`)."""
    lang = session.get(LANG_KEY)
    session.clear()
    if lang is not None:
        session[LANG_KEY] = lang


def get_limiter() -> Limiter:
    """The app's limiter (also for other per-client limits on expensive endpoints)."""
    return current_app.extensions[_LIMITER]


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.user_loader(_load)
    manager.session_protection = None  # the server-side session row is the protection
    manager.init_app(app)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the (server-side) session
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by `check_csrf` for cookie requests
    csrf.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app)
    app.extensions[_LIMITER] = limiter
    if not any(app.config.get(k) for k in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")):
        # no limit applies to every request (the throttles above count in the limiter's storage
        # themselves): its per-request check, about a tenth of a cheap route's time, has nothing to do
        # Flask-Limiter 4 has no public switch for this (3.x's auto_check is gone); the name is
        # private, so a release that renames it only keeps the check (a test asserts it is gone)
        check = getattr(limiter, "_check_request_limit", None)
        hooks = app.before_request_funcs.get(None, [])
        if check in hooks:
            hooks.remove(check)
    app.jinja_env.globals["csrf_token"] = csrf_token
