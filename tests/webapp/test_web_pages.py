"""The map page: languages, offline assets, CSP nonces, escaping, map data, page weight."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re

import folium
import pytest

from webapp import create_app
from webapp.assets import VENDOR, localize_header
from webapp.i18n import load_strings
from webapp.mapview import NETWORK_STYLES, build_map, network_layers, segment_style_class

EVIL = "<img src=x onerror=alert(1)>"
PAGE_BUDGET = 1_500_000


def test_index_english_by_default(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert load_strings("en")["help_click"] in html
    assert "© OpenStreetMap contributors" in html


@pytest.mark.parametrize(
    "query, headers, lang",
    [
        ("?lang=id", {}, "id"),
        ("?lang=en", {"Accept-Language": "id-ID,id;q=0.9"}, "en"),
        ("", {"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}, "id"),
        ("", {"Accept-Language": "fr-FR,fr;q=0.9"}, "en"),
        ("?lang=xx", {"Accept-Language": "id"}, "id"),
        ("?lang=%3Cscript%3E", {}, "en"),
    ],
)
def test_language_choice(client, query, headers, lang):
    html = client.get("/" + query, headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    strings = load_strings(lang)
    assert strings["help_click"] in html
    assert strings["layer_destinations"] in html  # also inside the Folium map (layer control)


def test_every_string_in_both_languages():
    en, id_ = load_strings("en"), load_strings("id")
    assert set(en) == set(id_)
    assert all(isinstance(v, str) and v.strip() for v in [*en.values(), *id_.values()])
    # a translation, not a copy (names and units may stay the same)
    same = {k for k in en if en[k] == id_[k]}
    assert len(same) < len(en) * 0.15, sorted(same)


def test_every_ui_key_used_in_code_exists():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "webapp"
    mine = [
        "templates/base.html",
        "templates/map.html",
        "mapview.py",
        "views/map.py",
        "static/js/bikemap.js",
        "static/js/planner.js",
    ]
    text = "".join((root / p).read_text(encoding="utf-8") for p in mine)
    keys = set(re.findall(r"""\b_\(["']([a-z_A-Z]+)["']\)""", text)) | set(
        re.findall(r"""\bt\(["']([a-z_A-Z]+)["']\)""", text)
    )
    missing = keys - set(load_strings("en"))
    assert not missing


def _assets(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"', html)


def test_no_asset_from_another_origin(client):
    html = client.get("/").get_data(as_text=True)
    urls = _assets(html)
    assert any("vendor/leaflet/leaflet.js" in u for u in urls)
    assert any("vendor/jquery/jquery.min.js" in u for u in urls)
    assert any("vendor/locatecontrol" in u for u in urls)
    for u in urls:
        assert u.startswith("/"), u
        assert client.get(u).status_code == 200, u
    assert "cdn." not in html and "cdnjs" not in html and "netdna" not in html


def test_localize_header_maps_every_folium_cdn_url():
    from folium import folium as ff
    from folium.plugins import LocateControl

    urls = [
        u
        for _, u in [
            *ff._default_js,
            *ff._default_css,
            *LocateControl.default_js,
            *LocateControl.default_css,
        ]
    ]
    header = "".join(
        f'<script src="{u}"></script>' if u.endswith(".js") else f'<link rel="stylesheet" href="{u}"/>' for u in urls
    )
    out = localize_header(header, lambda p: "/static/" + p)
    assert "http" not in out
    for path in filter(None, VENDOR.values()):
        assert f"/static/{path}" in out


def test_csp_nonce_on_every_inline_script(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    html = r.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" in tag or 'type="application/json"' in tag:
            continue
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[a-z]+\b[^>]*\son[a-z]+=", html)  # no inline event handlers
    other = client.get("/").headers["Content-Security-Policy"]
    assert other != csp  # a fresh nonce per request


def test_data_text_is_escaped(demo_net):
    evil = {
        "osm_type": "node",
        "osm_id": 1,
        "lon": demo_net.pois[0]["lon"],
        "lat": demo_net.pois[0]["lat"],
        "tags": {
            "tourism": "museum",
            "name": EVIL,
            "description": f"</script>{EVIL}`${{alert(2)}}`",
        },
    }
    station = {
        "osm_type": "node",
        "osm_id": 2,
        "lon": demo_net.pois[1]["lon"],
        "lat": demo_net.pois[1]["lat"],
        "tags": {"amenity": "bicycle_rental", "name": EVIL, "operator": EVIL},
    }
    net = dataclasses.replace(demo_net, pois=[*demo_net.pois, evil, station])
    app = create_app({"TESTING": True, "NETWORK": net, "TILES_URL": "", "WARM_PROFILES": False})
    c = app.test_client()
    html = c.get("/").get_data(as_text=True)
    assert EVIL not in html
    assert "</script><img" not in html
    # the page carries no destination or station (static/js/points.js loads them by viewport and
    # writes their names with textContent): neither the raw nor an escaped name is in it
    assert "onerror=alert(1)" not in html
    body = c.get("/api/destinations?category=museum").get_json()
    assert EVIL in [f["properties"]["name"] for f in body["features"]]  # JSON keeps the raw text


def test_tiles_configurable(demo_net):
    app = create_app(
        {
            "TESTING": True,
            "NETWORK": demo_net,
            "WARM_PROFILES": False,
            "TILES_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "TILES_ATTRIBUTION": "Example",
        }
    )
    c = app.test_client()
    r = c.get("/")
    html = r.get_data(as_text=True)
    html += c.get(re.search(r'<script src="(/map/[^"]+\.js)"', html).group(1)).get_data(as_text=True)
    assert "tiles.example.org" in html and "Example" in html
    assert "https://*.tiles.example.org" in r.headers["Content-Security-Policy"]


def test_no_tiles_by_default_in_tests(client):
    assert "L.tileLayer" not in client.get("/").get_data(as_text=True)


def test_map_layers_and_data(demo_net):
    strings = load_strings("en")
    m = build_map(demo_net, lambda k: strings.get(k, k))
    assert isinstance(m, folium.Map)
    # no data that grows with the network: the overlay, destinations and stations load by viewport
    assert not [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())
    html = m.get_root().render()
    assert "L.control.scale({imperial: false" in html
    assert "L.control.locate" in html


def test_network_layers_cover_the_network(demo_net):
    layers = network_layers(demo_net)
    assert set(layers) == set(NETWORK_STYLES)
    counts = {k: sum(segment_style_class(c) == k for c in demo_net.classes) for k in NETWORK_STYLES}
    assert all(n > 0 for n in counts.values())
    for f in layers.values():
        for line in f["geometry"]["coordinates"]:
            assert len(line) >= 2
            for x, y in line:
                assert round(x, 5) == x and round(y, 5) == y
    size = len(json.dumps(list(layers.values())))
    assert size < 400_000


def test_blueprints_registered(app):
    assert {"map", "route", "tour", "stations", "destinations", "closures", "featured", "admin", "openapi"} <= set(
        app.blueprints
    )


def test_unknown_page_is_json_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "NotFound"


#: Web fonts a browser downloads for the page: only the families whose glyphs it shows
#: (Font Awesome's solid icons); a font the CSS declares but no text uses is never fetched.
USED_FONTS = ("fa-solid-900.woff2",)


def page_weight(client, path: str = "/", *, gzip: bool = False) -> dict[str, int]:
    """Bytes of the page and every same-origin file it loads: scripts, styles, the images and
    used web fonts those name, and the destinations list the planner fetches (1x images).
    With ``gzip``, the bytes sent to a browser that accepts gzip."""
    sizes: dict[str, int] = {}
    headers = {"Accept-Encoding": "gzip"} if gzip else {}

    def get(url: str) -> str:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, url
        sizes[url] = len(r.data)
        if r.headers.get("Content-Encoding") == "gzip":
            import gzip as gz

            return gz.decompress(r.data).decode("utf-8", "replace")
        return r.data.decode("utf-8", "replace")

    html = get(path)
    for url in _assets(html):
        text = get(url)
        if url.endswith(".css"):
            for ref in re.findall(r"""url\(["']?([^)"']+)["']?\)""", text):
                if ref.startswith(("data:", "#", "http")) or "@2x" in ref or ref.endswith(".ttf"):
                    continue
                if ref.endswith(".woff2") and not ref.endswith(USED_FONTS):
                    continue
                get(posixpath.normpath(posixpath.join(posixpath.dirname(url), ref)))
    get("/api/destinations?lang=en")
    return sizes


def test_page_weight_within_budget(client, artifacts_dir):
    sizes = page_weight(client)
    total = sum(sizes.values())
    sent = sum(page_weight(client, gzip=True).values())
    (artifacts_dir / "page_weight.json").write_text(
        json.dumps({"total": total, "gzip_total": sent, "files": sizes}, indent=1)
    )
    # the budget holds for the bytes on the wire: MapLibre (the base map) alone is 1.4 MB of
    # JavaScript before gzip; tests/test_browser.py adds the base map tiles and glyphs it loads
    assert sent <= PAGE_BUDGET, sent
    assert sent < total / 2


def test_gzip_only_when_accepted(client):
    plain = client.get("/static/js/planner.js")
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/static/js/planner.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    import gzip

    assert gzip.decompress(packed.data) == plain.data
    again = client.get(
        "/static/js/planner.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
    err = client.get("/api/route", headers={"Accept-Encoding": "gzip"})
    assert err.status_code == 400 and "Content-Encoding" not in err.headers


def test_network_drawing_simplified_harder_when_large(demo_net):
    import shapely

    def n_coords(layers):
        return sum(len(line) for f in layers.values() for line in f["geometry"]["coordinates"])

    fine = network_layers(demo_net)
    coarse = network_layers(demo_net, max_coords=3000)
    tol = next(iter(coarse.values()))["properties"]["tolerance_deg"]
    assert tol > next(iter(fine.values()))["properties"]["tolerance_deg"]
    assert n_coords(coarse) < n_coords(fine)

    # still the same streets: every drawn point lies within the tolerance of the full geometry
    def lines(layers):
        return [line for f in layers.values() for line in f["geometry"]["coordinates"]]

    full = shapely.MultiLineString(lines(fine))
    pts = shapely.points([p for line in lines(coarse) for p in line])
    assert float(shapely.distance(full, pts).max()) < 2 * tol


def test_http_errors_keep_their_headers(app):
    from werkzeug.exceptions import HTTPException
    from werkzeug.wrappers import Response

    class Moved(HTTPException):
        code = 308

        def get_response(self, environ=None, scope=None):
            return Response("", 308, {"Location": "/"})

    from webapp.errors import _http_error

    with app.test_request_context("/old"):
        resp = _http_error(Moved())
    assert resp.status_code == 308 and resp.headers["Location"] == "/"
