"""Issue #17, staff: each test replays what a clerk or an administrator tripped over.

- accounts were add-only in the UI: an administrator now changes a role, disables and
  enables, sets a new password, makes and revokes named, expiring API tokens from
  ``/admin/users``; every change is recorded (who, when, what) and shown;
- the last administrator could be removed: the storage refuses, for the UI and the CLI;
- the ``bikemap user`` confirmations said "added" where the UI said "Added": one sentence now;
- deleted destinations could not be found again: a "Deleted" filter with restore;
- the staff language did not stick: Bahasa Indonesia stays across pages, redirects and sign-in.
"""

from __future__ import annotations

import io
import re
import sys

import pytest
from fixtures_db import add_user, make_staff_app


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, name="ada", password="admin-pass", *, lang=""):
    page = client.get(f"/admin/login{lang}").get_data(as_text=True)
    resp = client.post("/admin/login", data={"name": name, "password": password, "csrf_token": _csrf(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return _csrf(client.get("/admin/").get_data(as_text=True))


def _user_id(app, name: str) -> int:
    from webapp.storage.users import find_user

    with app.extensions["bikemap_db"].session() as s:
        return find_user(s, name).id


def _changes(app) -> list[tuple[str, str, str, str]]:
    """(who, action, account, detail) of every recorded account change, oldest first."""
    from webapp.storage.users import account_changes

    with app.extensions["bikemap_db"].session() as s:
        return [(c.changed_by, c.action, c.account, c.detail) for c in reversed(account_changes(s))]


def _cli(app, *args: str, stdin: str = "") -> tuple[int, str, str]:
    from webapp.cli import main

    out, err, was = io.StringIO(), io.StringIO(), (sys.stdin, sys.stdout, sys.stderr)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = main(["user", *args, "--db", app.config["DATABASE_URL"]])
    finally:
        sys.stdin, sys.stdout, sys.stderr = was
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def app(tmp_path, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path / 'accounts.sqlite3'}", demo_net)
    add_user(app, "ada", "admin", "admin-pass")
    add_user(app, "eddie", "editor", "editor-pass")
    yield app
    app.extensions["bikemap_db"].dispose()


def _api_ok(app, token: str) -> bool:
    resp = app.test_client().get("/api/destinations/export", headers={"Authorization": f"Bearer {token}"})
    return resp.status_code == 200


# ----------------------------------------------------------------------------- the last administrator


def test_the_last_admin_cannot_be_demoted_or_disabled(app):
    """In storage: the page and ``bikemap user`` get the same refusal; with a second admin both work.

    (On PostgreSQL too: the race test below.)"""
    ada = _user_id(app, "ada")
    for args in (("role", "ada", "editor"), ("disable", "ada")):
        code, out, err = _cli(app, *args)
        assert code == 2 and out == "" and len(err.splitlines()) == 1
        assert "ada is the last active administrator" in err
    client = app.test_client()
    csrf = _login(client)
    for path, data in (
        (f"/admin/users/{ada}/role", {"role": "editor"}),
        (f"/admin/users/{ada}/active", {"active": "0"}),
    ):
        resp = client.post(path, data={"csrf_token": csrf, **data})
        assert resp.status_code == 409
        assert "this is the last active administrator" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/users/{ada}/role?lang=id", data={"csrf_token": csrf, "role": "editor"})
    assert resp.status_code == 409 and "ini administrator aktif terakhir" in resp.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200  # still an admin, still signed in
    assert [c for c in _changes(app) if c[2] == "ada"] == []  # a refusal changes nothing
    # with a second administrator, ada may step down; her session ends with the role change
    code, out, _ = _cli(app, "role", "eddie", "admin")
    assert code == 0 and out == "eddie is now admin; their open sessions are logged out.\n"
    resp = client.post(f"/admin/users/{ada}/role", data={"csrf_token": csrf, "role": "editor"})
    assert resp.status_code == 302 and client.get("/admin/").status_code == 302  # signed out
    code, _, err = _cli(app, "disable", "eddie")  # now eddie is the last one
    assert code == 2 and "eddie is the last active administrator" in err
    changes = _changes(app)
    assert [(action, account, detail) for _, action, account, detail in changes] == [
        ("role", "eddie", "editor → admin"),
        ("role", "ada", "admin → editor"),
    ]
    assert changes[0][0].startswith("cli") and changes[1][0] == "ada"


def test_two_admins_demoting_each_other_at_once_leave_one(database, monkeypatch):
    """The race, replayed in order: ada's demotion pauses between its check and its commit while
    bob's runs. Without the lock both passed the check and no administrator was left."""
    import threading

    import webapp.storage.users as users
    from webapp.errors import LastAdminError
    from webapp.storage.models import User

    with database.session() as s:
        for name in ("ada", "bob"):
            users.create_user(s, name, "admin", "admin-pass", by="test")
    ada_checked, bob_done = threading.Event(), threading.Event()
    record = users._record

    def slow_record(session, by, action, user, detail=""):
        if by == "ada" and action == "role":  # ada passed the check and has not committed: bob tries now
            ada_checked.set()
            bob_done.wait(timeout=1.0)  # with the lock bob waits for ada, and the timeout ends the pause
        record(session, by, action, user, detail)

    monkeypatch.setattr(users, "_record", slow_record)
    outcome: dict[str, str] = {}

    def demote(me: str) -> None:
        with database.session() as s:
            try:
                users.set_role(s, users.find_user(s, me), "editor", by=me)
                outcome[me] = "demoted"
            except LastAdminError:
                outcome[me] = "refused"
        if me == "bob":
            bob_done.set()

    ada = threading.Thread(target=demote, args=("ada",))
    ada.start()
    assert ada_checked.wait(timeout=10)
    bob = threading.Thread(target=demote, args=("bob",))
    bob.start()
    ada.join()
    bob.join()
    with database.session() as s:
        admins = [u.name for u in s.query(User).filter_by(role="admin", active=True)]
    assert outcome == {"ada": "demoted", "bob": "refused"} and admins == ["bob"]


# ----------------------------------------------------------------------------- the accounts page


def test_an_admin_manages_an_account_from_the_page_and_every_change_is_recorded(app):
    client = app.test_client()
    csrf = _login(client)
    resp = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "clerk", "role": "editor", "password": "clerk-pass1", "password2": "x"},
    )
    assert resp.status_code == 422 and "The two passwords differ." in resp.get_data(as_text=True)
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "name": "clerk",
            "role": "editor",
            "password": "clerk-pass1",
            "password2": "clerk-pass1",
        },
    )
    assert resp.status_code == 302
    clerk = _user_id(app, "clerk")
    assert resp.headers["Location"].endswith(f"/admin/users/{clerk}")
    assert "Added editor clerk." in client.get(resp.headers["Location"]).get_data(as_text=True)
    taken = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "CLERK", "role": "editor", "password": "p" * 8, "password2": "p" * 8},
    )
    assert taken.status_code == 422 and "This user name is taken." in taken.get_data(as_text=True)

    # the clerk signs in; a role change ends that session
    other = app.test_client()
    _login(other, "clerk", "clerk-pass1")
    assert other.get("/admin/users").status_code == 403
    client.post(f"/admin/users/{clerk}/role", data={"csrf_token": csrf, "role": "admin"})
    assert other.get("/admin/").status_code == 302
    _login(other, "clerk", "clerk-pass1")
    assert other.get("/admin/users").status_code == 200

    # a named token that expires, shown once, working, listed; then revoked
    resp = client.post(f"/admin/users/{clerk}/tokens", data={"csrf_token": csrf, "label": "import script", "days": "0"})
    assert resp.status_code == 422 and "Days: a whole number from 1 to 3650." in resp.get_data(as_text=True)
    resp = client.post(f"/admin/users/{clerk}/tokens", data={"csrf_token": csrf, "label": "bell\x07\x00"})
    assert resp.status_code == 422 and "no control characters" in resp.get_data(as_text=True)
    resp = client.post(
        f"/admin/users/{clerk}/tokens", data={"csrf_token": csrf, "label": "import script", "days": "30"}
    )
    page = resp.get_data(as_text=True)
    token = re.search(r"<code>(bkm_[^<]+)</code>", page).group(1)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store" and _api_ok(app, token)
    assert token not in client.get(f"/admin/users/{clerk}").get_data(as_text=True)  # shown only once
    row = re.search(
        r'<tr data-token="(\d+)">(.*?)</tr>', client.get(f"/admin/users/{clerk}").get_data(as_text=True), re.S
    )
    assert "import script" in row.group(2) and "valid" in row.group(2)
    resp = client.post(f"/admin/users/{clerk}/tokens/{row.group(1)}/revoke", data={"csrf_token": csrf})
    assert resp.status_code == 302 and not _api_ok(app, token)
    assert f"Token {row.group(1)} of clerk is revoked." in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/admin/users/{clerk}/tokens/999/revoke", data={"csrf_token": csrf}).status_code == 404

    # disable: sessions end, tokens die, no new token; enable; a new password ends sessions and tokens
    resp = client.post(f"/admin/users/{clerk}/tokens", data={"csrf_token": csrf, "label": "phone"})
    token = re.search(r"<code>(bkm_[^<]+)</code>", resp.get_data(as_text=True)).group(1)
    client.post(f"/admin/users/{clerk}/active", data={"csrf_token": csrf, "active": "0"})
    assert other.get("/admin/").status_code == 302 and not _api_ok(app, token)
    assert "clerk is disabled" in client.get(f"/admin/users/{clerk}").get_data(as_text=True)
    assert client.post(f"/admin/users/{clerk}/tokens", data={"csrf_token": csrf}).status_code == 422
    client.post(f"/admin/users/{clerk}/active", data={"csrf_token": csrf, "active": "1"})
    _login(other, "clerk", "clerk-pass1")
    resp = client.post(
        f"/admin/users/{clerk}/password", data={"csrf_token": csrf, "password": "short", "password2": "short"}
    )
    assert resp.status_code == 422 and "at least 8 characters" in resp.get_data(as_text=True)
    new_pw = {"password": "fresh-pass-2", "password2": "fresh-pass-2"}
    assert client.post(f"/admin/users/{clerk}/password", data={"csrf_token": csrf, **new_pw}).status_code == 302
    assert other.get("/admin/").status_code == 302
    _login(other, "clerk", "fresh-pass-2")

    # who, when, what: in the database, on the page, and in 'bikemap user log'
    got = [(who, action, account) for who, action, account, _ in _changes(app)]
    assert got == [
        ("ada", "create", "clerk"),
        ("ada", "role", "clerk"),
        ("ada", "token", "clerk"),
        ("ada", "revoke", "clerk"),
        ("ada", "token", "clerk"),
        ("ada", "disable", "clerk"),
        ("ada", "enable", "clerk"),
        ("ada", "password", "clerk"),
    ]
    assert _changes(app)[1][3] == "editor → admin" and "'import script', until " in _changes(app)[2][3]
    listing = client.get("/admin/users").get_data(as_text=True)
    assert (
        listing.split('class="bm-account-log"')[1].count("<td>ada</td>") == 8
        and "role changed" in listing
        and "API token revoked" in listing
    )
    code, out, _ = _cli(app, "log", "clerk")
    assert code == 0 and [line.split("\t")[1:3] for line in out.splitlines()][0] == ["ada", "create"]
    assert "bkm_" not in out and "fresh-pass-2" not in out and "bkm_" not in listing


def test_the_accounts_pages_need_an_admin_and_the_form_token(app):
    eddie = _user_id(app, "eddie")
    client = app.test_client()
    assert client.get(f"/admin/users/{eddie}").status_code == 302  # to the login page
    csrf = _login(client, "eddie", "editor-pass")
    for path in ("/admin/users", f"/admin/users/{eddie}"):
        assert client.get(path).status_code == 403
    assert client.post(f"/admin/users/{eddie}/role", data={"csrf_token": csrf, "role": "admin"}).status_code == 403
    admin = app.test_client()
    _login(admin)
    posts = [
        ("/admin/users", {"name": "mallory", "role": "admin", "password": "x" * 9, "password2": "x" * 9}),
        (f"/admin/users/{eddie}/role", {"role": "admin"}),
        (f"/admin/users/{eddie}/active", {"active": "0"}),
        (f"/admin/users/{eddie}/password", {"password": "x" * 9, "password2": "x" * 9}),
        (f"/admin/users/{eddie}/tokens", {"label": "x"}),
    ]
    for path, data in posts:
        assert admin.post(path, data=data).status_code == 400, path  # no CSRF token: refused
    assert _changes(app) == []
    assert admin.get("/admin/users/999999").status_code == 404
    assert (
        admin.post("/admin/users/999999/role", data={"csrf_token": _csrf(admin.get("/admin/").text)}).status_code == 404
    )


# ----------------------------------------------------------------------------- "Added" / "added"


def test_bikemap_user_says_what_the_page_says(app):
    """The walkthrough saw "added editor clerk" from the CLI and "Added" on the page: one sentence now."""
    code, out, _ = _cli(app, "add", "clerk", "--role", "editor", stdin="clerk-pass1\nclerk-pass1\n")
    assert (code, out) == (0, "Added editor clerk.\n")
    client = app.test_client()
    csrf = _login(client)
    resp = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "clerk2", "role": "editor", "password": "p" * 8, "password2": "p" * 8},
    )
    assert "Added editor clerk2." in client.get(resp.headers["Location"]).get_data(as_text=True)
    said = [out]
    for args, stdin in (
        (("password", "clerk"), "clerk-pass2\nclerk-pass2\n"),
        (("role", "clerk", "admin"), ""),
        (("disable", "clerk"), ""),
        (("enable", "clerk"), ""),
        (("token", "clerk", "--label", "x"), ""),
    ):
        code, out, err = _cli(app, *args, stdin=stdin)
        assert code == 0, err
        said.append(out.splitlines()[0])
    assert said[1] == "New password of clerk saved; their open sessions are logged out and their API tokens revoked."
    assert said[2:] == [
        "clerk is now admin; their open sessions are logged out.",
        "clerk is disabled, logged out, and their API tokens are revoked.",
        "clerk is enabled.",
        "New API token of clerk: it is shown only now.",
    ]
    assert [c[0].startswith("cli") for c in _changes(app)] == [True, False, True, True, True, True, True]


# ----------------------------------------------------------------------------- deleted destinations


def test_deleted_destinations_are_listed_and_restored_in_one_click(app):
    api = app.test_client()
    token = add_user(app, "api-admin", "admin", "api-admin-pass")
    auth = {"Authorization": f"Bearer {token}"}
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [24.9525, 60.1675]},
        "properties": {"name": "Kauppatori", "category": "market"},
    }
    made = api.post("/api/destinations", json=feature, headers=auth)
    dest_id, etag = made.get_json()["id"], made.headers["ETag"]
    feature["properties"]["name"] = "Market Square"
    edited = api.patch(f"/api/destinations/{dest_id}", json=feature, headers={**auth, "If-Match": etag})
    assert edited.status_code == 200, edited.get_json()
    api.delete(f"/api/destinations/{dest_id}", headers={**auth, "If-Match": edited.headers["ETag"]})
    assert api.get(f"/api/destinations/{dest_id}", headers=auth).status_code == 404

    editor = app.test_client()
    _login(editor, "eddie", "editor-pass")
    assert "Market Square" not in editor.get("/admin/").get_data(as_text=True).split("bm-list")[1]
    page = editor.get("/admin/?show=deleted").get_data(as_text=True)
    listed = page.split('id="bm-deleted"')[1]
    assert "Market Square" in listed and "api-admin" in listed
    assert f"/admin/destinations/{dest_id}/history" in page and "/restore" not in page  # restore: admins only
    assert (
        "Market Square"
        not in editor.get("/admin/?show=deleted&q=zzz").get_data(as_text=True).split('id="bm-deleted"')[1]
    )

    admin = app.test_client()
    csrf = _login(admin)
    page = admin.get("/admin/?show=deleted").get_data(as_text=True)
    form = re.search(
        r'action="(/admin/destinations/\d+/restore)".*?name="version" value="(\d+)".*?name="to_version" value="(\d+)"',
        page,
        re.S,
    )
    assert form.groups() == (f"/admin/destinations/{dest_id}/restore", "3", "2")  # the last version before deletion
    resp = admin.post(form.group(1), data={"csrf_token": csrf, "version": form.group(2), "to_version": form.group(3)})
    assert resp.status_code == 302
    assert "Restored" in admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert api.get(f"/api/destinations/{dest_id}", headers=auth).get_json()["properties"]["name"] == "Market Square"
    assert "Market Square" not in admin.get("/admin/?show=deleted").get_data(as_text=True).split('id="bm-deleted"')[1]


# ----------------------------------------------------------------------------- the staff language


def test_the_staff_language_sticks_across_pages_redirects_and_sign_in(app):
    client = app.test_client()
    english = {"Accept-Language": "en"}
    assert 'lang="en"' in client.get("/admin/login", headers=english).get_data(as_text=True)
    csrf = _login(client, lang="?lang=id")  # chosen on the login page, before signing in
    for path in ("/admin/", "/admin/closures", "/admin/users", "/admin/?show=deleted"):
        page = client.get(path, headers=english).get_data(as_text=True)
        assert '<html lang="id">' in page, path
    resp = client.post("/admin/users", data={"csrf_token": csrf, "name": "x y"}, headers=english)
    assert "Nama pengguna berisi 1 sampai 80 karakter tanpa spasi." in resp.get_data(as_text=True)
    eddie = _user_id(app, "eddie")
    resp = client.post(f"/admin/users/{eddie}/active", data={"csrf_token": csrf, "active": "0"}, headers=english)
    assert "eddie dinonaktifkan" in client.get(resp.headers["Location"], headers=english).get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf})
    assert '<html lang="id">' in client.get("/admin/login", headers=english).get_data(as_text=True)
    client.get("/admin/?lang=en")  # and back
    assert '<html lang="en">' in client.get("/admin/login").get_data(as_text=True)
    # the public map keeps its own rule (query, else the browser's), and sets no cookie for it
    visitor = app.test_client()
    assert "Set-Cookie" not in visitor.get("/?lang=id").headers
    assert '<html lang="en"' in visitor.get("/", headers=english).get_data(as_text=True)
