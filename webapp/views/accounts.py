"""Blueprint ``accounts``: staff accounts at ``/admin/users`` (administrators only).

List the accounts and the record of account changes; add an account with its
first password; on an account's page change its role, disable or enable it,
set a new password, and make, list and revoke its API tokens (named, optionally
expiring). Every change is a function of `webapp.storage.users`, the same ones
``bikemap user`` calls, so the UI and the command obey the same rules and write
the same record (who, when, what): the last active administrator cannot be
demoted or disabled, a role change or disabling ends the account's sessions, a
new password also revokes its tokens. Sign-in, roles and CSRF are
`webapp.staff_pages`' (`webapp.auth` underneath), as on every staff page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, request, url_for

from ..errors import AccountValueError, LastAdminError, NotFoundError
from ..staff_pages import form_int, page, require_page, t, template_globals
from ..storage import get_session
from ..storage.models import ROLES, User, utcnow
from ..storage.users import (
    MIN_PASSWORD,
    account_changes,
    add_token,
    all_users,
    create_user,
    revoke_token,
    set_active,
    set_password,
    set_role,
    tokens_of,
)

__all__ = ["bp"]

bp = Blueprint("accounts", __name__, url_prefix="/admin/users")
bp.context_processor(template_globals)

#: The longest life a token made on the page may get (as ``bikemap user token --expires-days``).
MAX_TOKEN_DAYS = 3650


@bp.before_request
def _limit_body() -> None:
    """Forms are small: the body is limited before it is parsed (CSRF check)."""
    if request.max_content_length is None:
        request.max_content_length = current_app.config["ADMIN_MAX_BYTES"]


def _list_page(status: int = 200, *, error: str | None = None, form: dict[str, str] | None = None):
    session = get_session()
    return page(
        "admin/users.html",
        status,
        rows=all_users(session),
        changes=account_changes(session, limit=50),
        error=error,
        form=form or {"name": "", "role": "editor"},
        roles=ROLES,
        min_password=MIN_PASSWORD,
    )


def _account(user_id: int) -> User:
    row = get_session().get(User, user_id) if 0 < user_id < 2**62 else None
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    return row


def _account_page(account: User, status: int = 200, *, error: str | None = None, new_token: str | None = None):
    session = get_session()
    return page(
        "admin/user.html",
        status,
        account=account,
        tokens=tokens_of(account),
        changes=account_changes(session, account=account.name, limit=100),
        error=error,
        new_token=new_token,
        roles=ROLES,
        now=utcnow(),
        min_password=MIN_PASSWORD,
        max_days=MAX_TOKEN_DAYS,
    )


def _not_found():
    return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))


def _done(key: str, account: User, **fmt):
    """Say what was done (on the next page, after the redirect) and go back to the account."""
    flash(t(key, name=account.name, **fmt))
    return redirect(url_for("accounts.account", user_id=account.id))


@bp.route("", methods=["GET", "POST"])
def index():
    me = require_page("admin")
    if request.method == "GET":
        return _list_page()
    form = {"name": request.form.get("name", ""), "role": request.form.get("role", "")}
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return _list_page(422, error=t("admin_user_pw_differ"), form=form)
    try:
        user = create_user(get_session(), form["name"], form["role"], password, by=me.name)
    except AccountValueError as exc:
        return _list_page(422, error=t(exc.key), form=form)
    return _done("admin_done_create", user, role=t(f"admin_role_{user.role}"))


@bp.get("/<int:user_id>")
def account(user_id: int):
    require_page("admin")
    try:
        return _account_page(_account(user_id))
    except NotFoundError:
        return _not_found()


def _change(user_id: int, change):
    """Run ``change(session, account, me)`` on the account; its refusal is shown on the account's page."""
    me = require_page("admin")
    session = get_session()
    try:
        target = _account(user_id)
    except NotFoundError:
        return _not_found()
    try:
        return change(session, target, me)
    except LastAdminError as exc:
        return _account_page(_account(user_id), 409, error=t(exc.key))
    except AccountValueError as exc:
        return _account_page(target, 422, error=t(exc.key))
    except NotFoundError:
        return _account_page(target, 404, error=t("admin_not_found"))


@bp.post("/<int:user_id>/role")
def role(user_id: int):
    def change(session, target, me):
        new = request.form.get("role", "")
        set_role(session, target, new, by=me.name)  # ends the account's sessions
        return _done("admin_done_role", target, role=t(f"admin_role_{new}"))

    return _change(user_id, change)


@bp.post("/<int:user_id>/active")
def active(user_id: int):
    def change(session, target, me):
        enable = request.form.get("active") == "1"
        set_active(session, target, enable, by=me.name)  # disable: sessions end, tokens revoked
        return _done("admin_done_enable" if enable else "admin_done_disable", target)

    return _change(user_id, change)


@bp.post("/<int:user_id>/password")
def password(user_id: int):
    def change(session, target, me):
        new = request.form.get("password", "")
        if new != request.form.get("password2", ""):
            return _account_page(target, 422, error=t("admin_user_pw_differ"))
        set_password(session, target, new, by=me.name)  # sessions end, tokens revoked
        return _done("admin_done_password", target)

    return _change(user_id, change)


@bp.post("/<int:user_id>/tokens")
def make_token(user_id: int):
    """A new API token, shown once on the answer to this POST (never stored, never in a redirect)."""

    def change(session, target, me):
        raw = request.form.get("days", "").strip()
        days = form_int(raw)
        if raw and (days is None or not 0 < days <= MAX_TOKEN_DAYS):
            return _account_page(target, 422, error=t("admin_bad_days"))
        expires = utcnow() + timedelta(days=days) if days else None
        token = add_token(session, target, name=request.form.get("label", ""), expires_at=expires, by=me.name)
        return _account_page(target, new_token=token)

    return _change(user_id, change)


@bp.post("/<int:user_id>/tokens/<int:token_id>/revoke")
def revoke(user_id: int, token_id: int):
    def change(session, target, me):
        revoke_token(session, target, token_id, by=me.name)
        return _done("admin_done_revoke", target, token=token_id)

    return _change(user_id, change)
