"""The built-in base map in chromium, at 375 px and 1280 px (demo network, tiles built by tilemaker).

- the base map is drawn: the share of map pixels that are not background (land colour,
  the page's grey, the veil outside the extract), with and without the cycling network,
  compared with the same view without the base map;
- a street name and the town's name are rendered (MapLibre's queryRenderedFeatures);
- the labels follow the page language; the zoom stops at the tiles' levels.
Screenshots go to artifacts/basemap-*.png.
"""

from __future__ import annotations

import base64

import pytest
from fixtures_web import app_on_copy, serve_in_thread

from routes.basemap import tilemaker_missing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(tilemaker_missing() is not None, reason=str(tilemaker_missing())),
]

#: Share of the map's pixels that are not background (see `_drawn_share`).
SHARE_JS = """async ([png, colors]) => {
  const img = new Image();
  img.src = "data:image/png;base64," + png;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let other = 0;
  for (let i = 0; i < d.length; i += 4) {
    const bg = colors.some(([r, gg, b]) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - gg) + Math.abs(d[i + 2] - b) < 18);
    if (!bg) other++;
  }
  return other / (d.length / 4);
}"""


@pytest.fixture(scope="module")
def live_server(demo_net, seeded_db, tmp_path_factory):
    """The demo app with its built-in base map (the shared live server has none), served in a thread."""
    yield from serve_in_thread(app_on_copy(demo_net, seeded_db, tmp_path_factory.mktemp("basemap-live")))


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _veil(under: tuple[int, int, int]) -> list[int]:
    veil, alpha = _hex("#9ca3af"), 0.45  # static/js/basemap.js
    return [round(alpha * v + (1 - alpha) * u) for v, u in zip(veil, under, strict=True)]


def _drawn_share(page) -> float:
    """Share of the map element's pixels that differ from every background colour."""
    from webapp.basemap_style import LAND

    grey = page.evaluate(
        "() => getComputedStyle(document.querySelector('.folium-map')).backgroundColor.match(/\\d+/g).map(Number)"
    )
    land = _hex(LAND)
    colors = [list(land), grey[:3], _veil(land), _veil(tuple(grey[:3]))]
    png = page.locator(".folium-map").screenshot(animations="disabled")
    return page.evaluate(SHARE_JS, [base64.b64encode(png).decode(), colors])


def _open(browser, live_server, width: int, height: int, path: str = "/"):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.goto(live_server + path)
    _wait(page, "window.bikemap && window.bikemap.basemap && window.bikemap.basemap.getMaplibreMap()")
    _idle(page)
    return ctx, page, errors


def _wait(page, js: str, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s * 10)):
        if page.evaluate(f"() => !!({js})"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {js}")


def _idle(page) -> None:
    """Until MapLibre has loaded the style, the visible tiles and their glyphs, and drawn them."""
    _wait(page, "(m => m.loaded() && m.areTilesLoaded() && !m.isMoving())(window.bikemap.basemap.getMaplibreMap())")
    page.wait_for_timeout(300)


def _network(page, on: bool) -> None:
    page.evaluate(
        """(on) => { const b = window.bikemap;
        Object.keys(b.layers).filter(k => k.startsWith("network_")).forEach(k =>
          on ? b.layers[k].addTo(b.map) : b.map.removeLayer(b.layers[k])); }""",
        on,
    )


def _rendered(page, layer: str) -> list[str]:
    return page.evaluate(
        """(layer) => window.bikemap.basemap.getMaplibreMap()
             .queryRenderedFeatures({layers: [layer]})
             .map(f => f.properties["name:latin"] || f.properties.name || "")""",
        layer,
    )


@pytest.mark.parametrize("width,height", [(375, 740), (1280, 800)])
def test_base_map_is_drawn_with_labels(browser, live_server, artifacts_dir, width, height):
    ctx, page, errors = _open(browser, live_server, width, height)
    page.evaluate("() => { window.bikemap.map.setView([60.1690, 24.9440], 16, {animate: false}); }")
    _idle(page)
    with_network = _drawn_share(page)
    page.screenshot(path=str(artifacts_dir / f"basemap-{width}.png"))
    _network(page, False)
    _idle(page)
    without_network = _drawn_share(page)
    # the same view with neither base map nor network: destinations and stations only
    page.evaluate("() => { window.bikemap.map.removeLayer(window.bikemap.basemap); }")
    page.wait_for_timeout(300)
    bare = _drawn_share(page)
    assert without_network > 0.25 and without_network > 3 * bare, (without_network, bare)
    assert with_network >= without_network * 0.9, (with_network, without_network)
    page.evaluate("() => { window.bikemap.basemap.addTo(window.bikemap.map); }")
    _network(page, True)
    _idle(page)
    streets = [n for n in _rendered(page, "street-name") if n]
    assert streets, "no street name rendered"
    page.evaluate("() => { window.bikemap.map.setView([60.1700, 24.9420], 14, {animate: false}); }")
    _idle(page)
    assert "Helsinki" in _rendered(page, "place-town")
    assert not errors, errors
    ctx.close()


def test_zoom_stops_at_the_tiles_levels_and_labels_follow_the_language(browser, live_server):
    ctx, page, errors = _open(browser, live_server, 1280, 800, "/?lang=id")
    top = page.evaluate("() => window.bikemap.map.getMaxZoom()")
    assert top == 18  # tiles to zoom 14, drawn four levels deeper
    page.evaluate("() => { window.bikemap.map.setZoom(25, {animate: false}); }")
    assert page.evaluate("() => window.bikemap.map.getZoom()") == top
    assert page.locator(".leaflet-control-zoom-in").get_attribute("class").count("leaflet-disabled") == 1
    fields = page.evaluate(
        "() => window.bikemap.basemap.getMaplibreMap().getStyle().layers"
        ".filter(l => l.id === 'street-name').map(l => JSON.stringify(l.layout['text-field']))"
    )
    assert fields and '"name:id"' in fields[0]
    # panning far away is pulled back to the extract
    page.evaluate("() => { window.bikemap.map.setView([0, 0], 3, {animate: false}); }")
    page.wait_for_timeout(200)
    center = page.evaluate("() => window.bikemap.map.getCenter()")
    assert 59.5 < center["lat"] < 61 and 24 < center["lng"] < 26, center
    assert not errors, errors
    ctx.close()


NETWORK_LAYERS = ["network-cycleway", "network-quiet", "network-main", "network-push"]


def test_network_overlay_from_its_tiles_under_the_labels_and_points_clustered(browser, live_server):
    """Issue #19: the overlay comes as the network's own vector tiles (not in the page), drawn under the
    town and street names (issue #18), switched by the layer menu; destinations cluster at overview zoom."""
    ctx, page, errors = _open(browser, live_server, 1280, 800)
    assert page.evaluate("() => window.bikemap.overlay.mode") == "tiles"
    page.evaluate("() => { window.bikemap.map.setView([60.1690, 24.9440], 16, {animate: false}); }")
    _idle(page)
    drawn = page.evaluate(
        "(layers) => window.bikemap.basemap.getMaplibreMap()"
        ".queryRenderedFeatures({layers}).map(f => f.properties.class)",
        NETWORK_LAYERS,
    )
    assert {"cycleway", "quiet", "main"} <= set(drawn), set(drawn)
    order = page.evaluate("() => window.bikemap.basemap.getMaplibreMap().getStyle().layers.map(l => l.id)")
    assert max(order.index(x) for x in NETWORK_LAYERS) < min(order.index("place-town"), order.index("street-name"))
    page.evaluate("() => { window.bikemap.map.removeLayer(window.bikemap.layers.network_quiet); }")
    hidden = "() => window.bikemap.basemap.getMaplibreMap().getLayoutProperty('network-quiet', 'visibility')"
    assert page.evaluate(hidden) == "none"
    page.evaluate("() => { window.bikemap.layers.network_quiet.addTo(window.bikemap.map); }")
    assert page.evaluate(hidden) == "visible"
    # zoomed out: the destinations of the view are loaded and grouped
    page.evaluate("() => { window.bikemap.map.setView([60.1700, 24.9420], 13, {animate: false}); }")
    _wait(page, "document.querySelectorAll('.bm-cluster-destination').length > 0")
    assert page.evaluate("() => window.bikemap.layers.destinations.getLayers().length") > 100
    assert not errors, errors
    ctx.close()
