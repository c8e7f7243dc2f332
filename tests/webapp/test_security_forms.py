"""The admin UI's HTML forms (not in the OpenAPI document) under random input: never a 5xx.

Hypothesis fills every field of every admin form with random text (control
characters, NUL, very long values, numbers out of range, JSON that is no
geometry...) and posts it logged in as an admin, with the session's CSRF
token; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FORMS = {
    "/admin/login": ["name", "password", "next"],
    "/admin/destinations/new": [
        "name",
        "name_id",
        "category",
        "description",
        "lon",
        "lat",
        "opening_hours",
        "visit_minutes",
        "image_url",
        "website",
        "published",
    ],
    "/admin/destinations/1": [
        "name",
        "category",
        "description",
        "lon",
        "lat",
        "opening_hours",
        "visit_minutes",
        "website",
        "version",
    ],
    "/admin/destinations/1/publish": ["version", "published", "back"],
    "/admin/destinations/1/restore": ["version", "to_version"],
    "/admin/destinations/1/delete": ["version"],
    "/admin/closures": ["kind", "reason", "ends_at", "geometry"],
    "/admin/closures/1/remove": [],
    "/admin/users": ["action", "name", "password", "password2", "role"],
    "/admin/users/1/role": ["role"],
    "/admin/users/1/active": ["active"],
    "/admin/users/1/password": ["password", "password2"],
    "/admin/users/1/tokens": ["label", "days"],
    "/admin/users/1/tokens/1/revoke": [],
}

values = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=5),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "2147483648",
            "1e309",
            "nan",
            "60.17",
            "24.94",
            "on",
            "1",
            "add",
            "role",
            "disable",
            "admin",
            "closure",
            "hazard",
            '{"type": "Point", "coordinates": [24.9446, 60.1672]}',
            '{"type": "LineString", "coordinates": [[1e308, 0]]}',
            "[]",
            "null",
            "//evil.example",
            "x" * 6000,
        ]
    ),
)


@pytest.fixture
def admin_client(staff):
    client = staff.app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post("/admin/login", data={"csrf_token": csrf, "name": "ada", "password": "admin-pass"}).status_code
        == 302
    )
    feat = {"name": "Museum", "category": "museum", "lon": 24.94, "lat": 60.17}
    assert client.post("/api/destinations", json=feat, headers=staff.headers("admin")).status_code == 201
    client.csrf = client.get("/api/featured/session").get_json()["csrf"]
    return client


@settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_admin_forms_never_fail(admin_client, data):
    url = data.draw(st.sampled_from(sorted(FORMS)))
    form = {field: data.draw(values, label=field) for field in FORMS[url]}
    if url == "/admin/login":
        form["name"] = "ada-" + form["name"]  # never log the admin out by succeeding as someone else
    resp = admin_client.post(url, data={"csrf_token": admin_client.csrf, **form})
    assert resp.status_code < 500, (url, form, resp.get_data(as_text=True)[:300])
