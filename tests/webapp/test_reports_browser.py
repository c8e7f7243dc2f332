"""A visitor's road report, from a phone to the route (issue #16), in headless chromium.

On the demo network (Helsinki) served by waitress with its own database: a visitor on a
375 px touch screen plans a route, taps "Report a problem", taps a street of the route and
reports it blocked ("on my route, here", a photo); a photo over the size limit (checked before
sending), one of too many pixels (413), a point outside the map's area (422) and one report
too many (429) are each named. A long press on the map opens the form there. Nobody else sees the report until a
clerk, signed in at ``/admin/reports``, confirms it as a closure; then the same route goes
around that street, the report shows on the map, and the visitor's status link says
"confirmed" (in English and Indonesian). Screenshot: ``artifacts/report-form-phone.png``.
"""

from __future__ import annotations

import io
import itertools
import math
import threading

import pytest
from test_browser import Page

pytestmark = pytest.mark.browser

A, B = (60.1699, 24.9384), (60.1618, 24.9510)
XSS = "<img src=x onerror=alert(1)>"
PLAN = f"from={A[0]},{A[1]}&to={B[0]},{B[1]}"
ROUTE_LINE = (
    "Object.values(bikemap.map._layers).filter(l => l.feature && l.options.color === '#6d28d9' && l.getLatLngs)"
    "[0].getLatLngs().map(p => [p.lng, p.lat])"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_net):
    from fixtures_db import add_user, make_staff_app
    from waitress.server import create_server

    folder = tmp_path_factory.mktemp("reports")
    app = make_staff_app(
        f"sqlite:///{folder / 'bikemap.sqlite3'}",
        demo_net,
        REPORT_LIMIT_CLIENT="3 per minute",  # the fourth report from the phone is one too many
        REPORT_MEDIA_DIR=str(folder / "media"),
        BASEMAP="none",  # the streets are drawn anyway; no vector base map to render in software GL
    )
    add_user(app, "clara", "editor", "clerk-pass")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", app
    server.close()
    app.extensions["bikemap_db"].dispose()


def _metres(p: tuple[float, float], line: list[list[float]]) -> float:
    """Distance in metres from ``p`` (lon, lat) to a polyline of [lon, lat] (flat: a city's scale)."""
    kx, ky = 111320 * math.cos(math.radians(p[1])), 110540
    best = math.inf
    for (x1, y1), (x2, y2) in itertools.pairwise(line):
        ax, ay, bx, by = (x1 - p[0]) * kx, (y1 - p[1]) * ky, (x2 - p[0]) * kx, (y2 - p[1]) * ky
        dx, dy = bx - ax, by - ay
        s = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy))) if dx or dy else 0.0
        best = min(best, math.hypot(ax + s * dx, ay + s * dy))
    return best


def _street_point(line: list[list[float]]) -> tuple[float, float]:
    """The middle of the longest straight piece in the middle third of a route: (lon, lat)."""
    n = len(line)
    i = max(range(n // 3, 2 * n // 3), key=lambda k: math.dist(line[k], line[k + 1]))
    return ((line[i][0] + line[i + 1][0]) / 2, (line[i][1] + line[i + 1][1]) / 2)


def _png(size=(64, 48), mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _tap(p: Page, lon: float, lat: float):
    """Pan the point to the upper quarter of the map (the form covers the lower part on a phone), tap it."""
    p.page.evaluate(
        f"(() => {{ const m = bikemap.map; m.setView([{lat}, {lon}], 17, {{animate: false}});"
        " m.panBy([0, m.getSize().y * 0.25], {animate: false}); })()"
    )
    pt = p.page.evaluate(
        f"(() => {{ const q = bikemap.map.latLngToContainerPoint([{lat}, {lon}]); return [q.x, q.y]; }})()"
    )
    box = p.page.locator(".folium-map").bounding_box()
    p.page.touchscreen.tap(box["x"] + pt[0], box["y"] + pt[1])


def _report_point(pg) -> list[float]:
    """[lon, lat] of the report form's pin."""
    return pg.evaluate(
        "(() => { const m = Object.values(bikemap.map._layers).find(l => l.options && "
        "l.options.title === bikemap.t('report_point')); return [m.getLatLng().lng, m.getLatLng().lat]; })()"
    )


def _send(p: Page) -> str:
    """Send the form; the message it shows (or "" when it was stored)."""
    p.page.tap("#bm-report-send")
    p.wait_for("document.getElementById('bm-report-send').disabled === false")
    return "" if p.page.locator("#bm-report-done").is_visible() else p.page.locator("#bm-report-msg").inner_text()


def test_a_visitor_report_becomes_a_closure_that_routes_avoid(browser, site, artifacts_dir):
    base, app = site
    phone = Page(browser, base, 375, 740, is_mobile=True, has_touch=True)
    pg = phone.page
    phone.goto(f"/?{PLAN}&lang=en")
    phone.distance()
    before = pg.evaluate(ROUTE_LINE)
    street = _street_point(before)

    # "Report a problem", then a tap on the street (the form covers the lower part of the map)
    pg.evaluate(f"bikemap.map.setView([{street[1]}, {street[0]}], 17, {{animate: false}})")
    pg.tap("#bm-report-open")
    phone.wait_for("document.querySelectorAll('#bm-report-types input').length === 8")
    assert pg.locator("#bm-report-route-box").is_visible()  # there is a route: "on my route, here"
    max_photo = pg.evaluate("bikemap.config.reports.maxPhoto")

    # a point outside the network's area (the map lets one pan a little beyond it): 422, the area named
    w, s, e, n = app.extensions["bikemap.network"].bounds
    _tap(phone, (w + e) / 2, n + 0.25 * (n - s))
    pg.tap("#bm-report-type-blocked + span")
    pg.fill("#bm-report-desc", "Fallen tree across the street " + XSS)
    assert "outside the map's area" in _send(phone)

    # back on the street, on the route; a photo too large is refused before anything is sent
    _tap(phone, *street)
    pg.check("#bm-report-route")
    where = _report_point(pg)
    assert _metres(where, before) < 1 and math.dist(where, street) < 3e-5
    big = {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + bytes(max_photo)}
    pg.set_input_files("#bm-report-photo", files=[big])
    assert "MB" in pg.locator("#bm-report-msg.bm-error").inner_text()
    # a small file of too many pixels (a "decompression bomb") passes here; the server answers 413
    bomb = _png((6000, 5000), "1")
    assert len(bomb) < max_photo
    pg.set_input_files("#bm-report-photo", files=[{"name": "bomb.png", "mimeType": "image/png", "buffer": bomb}])
    assert "photo is too large" in _send(phone)
    pg.set_input_files("#bm-report-photo", files=[{"name": "tree.png", "mimeType": "image/png", "buffer": _png()}])
    assert pg.locator("#bm-report-msg").inner_text() == ""
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    pg.evaluate("document.getElementById('bm-report').scrollTop = 0")
    phone.screenshot(artifacts_dir / "report-form-phone.png")
    assert _send(phone) == ""
    ref = pg.locator("#bm-report-ref").inner_text().lstrip("#")
    link = pg.locator("#bm-report-link").get_attribute("href")
    assert ref.isdigit() and "report=" in link
    phone.screenshot(artifacts_dir / "report-sent-phone.png")

    # stored as typed, with where on the route it lies (never the route's ends)
    client = app.test_client()
    token = link.split("report=")[1].split("&")[0]
    stored = client.get(f"/open311/v2/status/{token}.json").get_json()
    assert stored["description"].startswith("Fallen tree across the street " + XSS + " \u2014 on the visitor's route, ")
    assert stored["description"].endswith(" km from its start") and stored["service_code"] == "blocked"

    # unconfirmed: listed to nobody (so not on anyone's map), no change to routes
    assert client.get("/open311/v2/requests.json").get_json() == []
    plan = {"from": f"{A[0]},{A[1]}", "to": f"{B[0]},{B[1]}", "alternatives": 3}
    assert client.get("/api/route", query_string=plan).get_json()["geometry"]["coordinates"] == before

    # one report too many from this phone: 429, named with the time to wait
    pg.tap("#bm-report .bm-rp-close")
    pg.tap("#bm-report-open")
    phone.wait_for("document.querySelectorAll('#bm-report-types input').length === 8")
    pg.tap("#bm-report-type-other + span")
    pg.fill("#bm-report-desc", "Another one")
    assert "Too many reports" in _send(phone)

    _clerk_confirms(browser, base, ref)

    # the same route now goes around the street; the report is on the map, with its legend entry
    pg.reload()
    phone.distance()
    after = pg.evaluate(ROUTE_LINE)
    assert _metres(street, before) < 1 and _metres(street, after) > 10
    assert pg.locator(".bm-rp-confirmed").count() == 1 and pg.locator("#bm-legend-reports").count() == 1
    pg.locator(".bm-rp-confirmed").tap()
    popup = pg.locator(".leaflet-popup .bm-rp-popup")
    assert XSS in popup.inner_text() and popup.locator("img").count() == 0  # text, never HTML

    # the status link the visitor kept: confirmed, in English and Indonesian
    for lang, word in (("en", "Confirmed"), ("id", "Dikonfirmasi")):
        pg.goto(link.replace("lang=en", f"lang={lang}"))
        phone.wait_for("document.getElementById('bm-report-state')")
        state = pg.locator("#bm-report-state")
        assert state.get_attribute("data-state") == "confirmed" and state.inner_text().startswith(word)
    phone.wait_for("document.getElementById('panel-report-status').getBoundingClientRect().top < 100")  # shown first
    phone.screenshot(artifacts_dir / "report-status-phone-id.png")
    pg.evaluate("window.scrollTo(0, 0)")

    # a long press on the map opens the form at that point
    box = pg.locator(".folium-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.3
    pressed = pg.evaluate(
        f"(() => {{ const p = bikemap.map.containerPointToLatLng([{x - box['x']}, {y - box['y']}]);"
        " return [p.lng, p.lat]; })()"
    )
    cdp = phone.ctx.new_cdp_session(pg)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    phone.wait_for("!document.getElementById('bm-report').hidden", timeout_s=5)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert math.dist(_report_point(pg), pressed) < 1e-4  # a pixel or two at this zoom
    # the three refusals above, and nothing else, are logged by the browser
    assert sorted(e.split("status of ")[-1][:3] for e in phone.errors) == ["413", "422", "429"], phone.errors
    phone.close()


def _clerk_confirms(browser, base: str, ref: str):
    """A clerk signs in and confirms report ``ref`` as a closure in the queue at /admin/reports."""
    clerk = Page(browser, base, 1100, 850)
    pg = clerk.page
    pg.goto(base + "/admin/")
    pg.fill("#name", "clara")
    pg.fill("#password", "clerk-pass")
    pg.click("button[type=submit]")
    pg.wait_for_url(base + "/admin/")
    pg.goto(base + "/admin/reports")
    row = pg.locator(f"#report-{ref}")
    assert row.get_attribute("data-status") == "open" and "Fallen tree" in row.inner_text()
    row.locator("input[name=note]").first.fill("Tree across the street; closed until it is cleared")
    row.locator("[data-action=confirm-closure]").click()
    pg.wait_for_selector("#bm-report-message")
    assert pg.locator(f"#report-{ref}").get_attribute("data-status") == "confirmed"
    assert not clerk.errors, clerk.errors
    clerk.close()
