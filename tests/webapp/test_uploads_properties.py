"""Property tests (hypothesis) of the staff import: GeoJSON, CSV and GPX files of random valid and bad rows.

For any file: never a 5xx; when every row is valid, 200 and exactly those
destinations stored (names round-trip exactly); when any row is bad, 422
naming exactly the bad rows and nothing stored (all or nothing). Random bytes
in any format: 400, 413 or 422. Coordinates: bbox and ``LAT,LON`` texts parse
to finite numbers in range or give a one-line error.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from fixtures_db import add_user, make_staff_app
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

W, S, E, N = 24.9352, 60.1642, 24.9534, 60.1791  # inside the demo network (Helsinki)
CATEGORIES = ["nature", "beach", "culture", "heritage", "museum", "viewpoint", "park", "food", "market", "other"]
SETTINGS = settings(
    max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

# text a person can type and every format can carry (XML 1.0 characters, no CR, no NUL)
_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
names = st.text(_chars, min_size=1, max_size=60).filter(lambda s: s.strip() != "")
texts = st.text(_chars, max_size=120)


@st.composite
def valid_rows(draw):
    return {
        "name": draw(names),
        "category": draw(st.sampled_from(CATEGORIES)),
        "lon": draw(st.floats(W, E)),
        "lat": draw(st.floats(S, N)),
        "description": draw(texts),
    }


@st.composite
def bad_rows(draw):
    row = draw(valid_rows())
    how = draw(
        st.sampled_from(
            [
                "no_name",
                "blank_name",
                "long_name",
                "category",
                "outside",
                "lon_text",
                "nan",
                "website",
                "opening_hours",
                "visit_minutes",
                "nul",
            ]
        )
    )
    if how == "no_name":
        row.pop("name")
    elif how == "blank_name":
        row["name"] = draw(st.sampled_from(["", " ", "\t \n"]))
    elif how == "long_name":
        row["name"] = "x" * 201
    elif how == "category":
        row["category"] = draw(st.text(max_size=12).filter(lambda c: c.strip().lower() not in CATEGORIES))
    elif how == "outside":
        row["lat"] = draw(st.one_of(st.floats(-90, S - 0.05), st.floats(N + 0.05, 90)))
    elif how == "lon_text":
        row["lon"] = draw(st.text(max_size=10).filter(lambda t: _not_number(t)))
    elif how == "nan":
        row["lat"] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    elif how == "website":
        row["website"] = draw(st.sampled_from(["javascript:alert(1)", "ftp://x.org/", "data:text/html,x", "x y"]))
    elif how == "opening_hours":
        row["opening_hours"] = draw(st.sampled_from(["Mo-Fr 25:00-26:00", "always", "Mo-Zz 10:00-12:00"]))
    elif how == "visit_minutes":
        row["visit_minutes"] = draw(st.sampled_from([-1, 1441, 2.5, "many"]))
    else:
        row["description"] = row["description"] + "\x00"
    return row


def _not_number(t: str) -> bool:
    try:
        return not math.isfinite(float(t))
    except ValueError:
        return True


files = st.lists(
    st.tuples(st.booleans(), st.one_of(valid_rows(), bad_rows())).map(lambda t: t[1]), min_size=1, max_size=12
)
all_valid = st.lists(valid_rows(), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def imp(tmp_path_factory, demo_net):
    app = make_staff_app(f"sqlite:///{tmp_path_factory.mktemp('imp') / 'db.sqlite3'}", demo_net)
    app.config["EDITOR"] = {"Authorization": "Bearer " + add_user(app, "eddie", "editor", "editor-pass")}
    yield app
    app.extensions["bikemap_db"].dispose()


def _stored(app) -> list[str]:
    from sqlalchemy import select

    from webapp.storage.models import Destination

    with app.extensions["bikemap_db"].session() as s:
        return list(s.scalars(select(Destination.name).order_by(Destination.id)))


def _is_valid(row: dict) -> bool:
    from webapp.errors import InvalidFieldsError
    from webapp.storage.validation import clean_destination

    try:
        clean_destination(dict(row), bounds=(W - 0.0001, S - 0.0001, E + 0.0001, N + 0.0001))
        return True
    except InvalidFieldsError:
        return False


def _geojson(rows: list[dict]) -> dict:
    feats = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.get("lon"), r.get("lat")]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def _csv(rows: list[dict]) -> bytes:
    cols = ["name", "category", "lon", "lat", "description", "website", "opening_hours", "visit_minutes"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else repr(r[c]) if isinstance(r.get(c), float) else r.get(c) for c in cols])
    return buf.getvalue().encode()


def _check(app, resp, rows: list[dict], first_row: int) -> None:
    before = app.config["_before"]
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    bad = {i + first_row for i, r in enumerate(rows) if not _is_valid(r)}
    event("all rows valid" if not bad else "some rows bad")
    if not bad:
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json() == {"created": len(rows), "updated": 0, "rows": len(rows)}
        assert _stored(app) == before + [r["name"].strip() for r in rows]  # exactly, in file order
    else:
        assert resp.status_code == 422, resp.get_json()
        err = resp.get_json()["error"]
        assert err["code"] == "InvalidRows" and {r["row"] for r in err["rows"]} == bad
        assert _stored(app) == before  # all or nothing


@SETTINGS
@given(rows=files)
def test_geojson_import_is_all_or_nothing(imp, rows):
    imp.config["_before"] = _stored(imp)
    body = _geojson(rows)
    import json

    try:
        data = json.dumps(body, allow_nan=True).encode()
    except ValueError:
        assume(False)
    resp = imp.test_client().post(
        "/api/destinations/import", data=data, headers=imp.config["EDITOR"], content_type="application/geo+json"
    )
    if any(isinstance(r.get("lat"), float) and not math.isfinite(r["lat"]) for r in rows):
        # NaN/Infinity are not JSON: the file is refused as a whole (400), or the row as a value (422)
        assert resp.status_code in (400, 422) and _stored(imp) == imp.config["_before"]
        return
    _check(imp, resp, rows, first_row=1)


@SETTINGS
@given(rows=files)
def test_csv_import_is_all_or_nothing(imp, rows):
    assume(
        all(isinstance(r.get("visit_minutes"), (str, int, type(None))) or r.get("visit_minutes") == 2.5 for r in rows)
    )
    imp.config["_before"] = _stored(imp)
    resp = imp.test_client().post("/api/destinations/import?format=csv", data=_csv(rows), headers=imp.config["EDITOR"])
    if any("\x00" in str(r.get("description", "")) for r in rows):  # csv cannot read a NUL: the file is refused
        assert resp.status_code in (400, 422) and _stored(imp) == imp.config["_before"]
        return
    csv_rows = [
        {k: (str(v) if isinstance(v, (int, float)) and k == "visit_minutes" else v) for k, v in r.items()} for r in rows
    ]
    _check(imp, resp, csv_rows, first_row=2)


@SETTINGS
@given(rows=all_valid)
def test_gpx_export_then_import_round_trips_names(imp, rows):
    """Waypoints written by our GPX export (routes.gpx) come back as destinations with the same names."""
    from routes.gpx import route_to_gpx

    imp.config["_before"] = _stored(imp)
    wpts = [
        {"lon": r["lon"], "lat": r["lat"], "name": r["name"], "description": r["description"] or None} for r in rows
    ]
    gpx = route_to_gpx([[W, S], [E, N]], wpts, name="export")
    resp = imp.test_client().post(
        "/api/destinations/import?format=gpx", data=gpx.encode(), headers=imp.config["EDITOR"]
    )
    expect = [dict(r, category="other", description=(r["description"] or "").strip()) for r in rows]
    _check(imp, resp, expect, first_row=1)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=400), fmt=st.sampled_from(["geojson", "csv", "gpx"]))
def test_random_bytes_never_fail_the_server(imp, body, fmt):
    before = _stored(imp)
    resp = imp.test_client().post(f"/api/destinations/import?format={fmt}", data=body, headers=imp.config["EDITOR"])
    assert resp.status_code in (200, 400, 413, 422), resp.get_data(as_text=True)[:200]
    assert resp.is_json and "code" in resp.get_json().get("error", {"code": 1})
    if resp.status_code != 200:
        assert _stored(imp) == before


# ----------------------------------------------------------------------------- coordinates


@given(st.text(max_size=60))
def test_bbox_text_parses_or_gives_one_line_error(text):
    from routes.errors import InvalidValueError
    from webapp.destinations import parse_bbox

    try:
        w, s, e, n = parse_bbox(text)
    except InvalidValueError as exc:
        assert "\n" not in str(exc).replace(repr(text[:80]), "")
    else:
        assert all(math.isfinite(v) for v in (w, s, e, n)) and -180 <= w <= e <= 180 and -90 <= s <= n <= 90


@given(st.lists(st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)), min_size=0, max_size=30))
def test_points_parse_or_refuse(points):
    from routes import parse_points
    from routes.errors import InvalidValueError

    text = ";".join(f"{a!r},{b!r}" for a, b in points)
    ok = all(math.isfinite(a) and math.isfinite(b) and -90 <= a <= 90 and -180 <= b <= 180 for a, b in points)
    try:
        parsed = parse_points(text, what="via")
    except InvalidValueError:
        assert not ok
    else:
        assert ok and parsed == [(a, b) for a, b in points]
