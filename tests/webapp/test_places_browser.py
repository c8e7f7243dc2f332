"""Issue #17 "Duplicates", replayed in a real browser on the Liechtenstein extract.

A visitor searching the map for Schloss Gutenberg, Wildschloss or Naafkopf found
each twice (OSM maps them as a node and a way, or under two tags). The app here
seeds its database from the extract as a real start does; the map's search box
and the tour panel's place search must each list every one of them once.
"""

from __future__ import annotations

import threading

import pytest
from fixtures_web import _free_port

pytestmark = pytest.mark.browser

NAMES = ["Schloss Gutenberg", "Wildschloss", "Naafkopf"]


@pytest.fixture(scope="module")
def li_server(liechtenstein_net):
    from waitress.server import create_server

    from webapp import create_app

    app = create_app(  # no base map: test_basemap_browser's, here it would be drawn in software GL
        {"TESTING": True, "NETWORK": liechtenstein_net, "TILES_URL": "", "BASEMAP": "none", "WARM_PROFILES": False}
    )
    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def _wait(pg, js: str, timeout_s: float = 30.0):
    for _ in range(int(timeout_s * 10)):
        if pg.evaluate(f"() => !!({js})"):
            return
        pg.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {js}")


def _options(pg, box: str, results: str, name: str) -> list[str]:
    pg.fill(box, name)
    # the list of this name, not the one of the name before still showing until the new answer comes
    _wait(
        pg,
        f"Array.from(document.querySelectorAll('{results} li[role=option]'), li => li.firstChild.data)"
        f".includes({name!r})",
    )
    return pg.evaluate(
        f"() => Array.from(document.querySelectorAll('{results} li[role=option]'), li => li.firstChild.data)"
    )


def test_search_lists_each_place_once(li_server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(li_server + "/?lang=en")
        _wait(pg, "window.bikemap && window.bikemap.tours && document.getElementById('bm-search')")
        for name in NAMES:
            assert _options(pg, "#bm-search", "#bm-results", name).count(name) == 1, name
        pg.select_option("#bm-tour-mode", "order")
        for name in NAMES:
            assert _options(pg, "#bm-tour-search", "#bm-tour-results", name).count(name) == 1, name
        assert errors == []
    finally:
        ctx.close()
