"""The built-in base map: tiles built with tilemaker from the demo extract, served from MBTiles."""

from __future__ import annotations

import gzip
import json
import math
import re

import pytest

from routes.basemap import basemap_info, tilemaker_missing

needs_tilemaker = pytest.mark.skipif(tilemaker_missing() is not None, reason=str(tilemaker_missing()))


def _page_config(client, lang: str = "en") -> dict:
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="bm-basemap">(.*?)</script>', html, re.S)
    assert found, "no base map configuration on the page"
    return json.loads(found.group(1))


def _tile_url(template: str, lat: float, lon: float, z: int) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


@needs_tilemaker
def test_tiles_are_served_gzipped_cached_and_conditional(client):
    cfg = _page_config(client)
    assert cfg["maxZoom"] == 18
    url = _tile_url(cfg["style"]["sources"]["osm"]["tiles"][0], 60.1700, 24.9420, 14)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.mimetype == "application/x-protobuf"
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "immutable" in packed.headers["Cache-Control"] and "Accept-Encoding" in packed.headers["Vary"]
    plain = client.get(url)  # a client without gzip gets the tile unpacked
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.data) == plain.data and len(plain.data) > 1000
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    # a tile the file has not got (far away) is empty, not an error; a stale key is 404 JSON
    assert client.get(_tile_url(cfg["style"]["sources"]["osm"]["tiles"][0], -40.0, -60.0, 14)).status_code == 204
    stale = client.get(re.sub(r"/tiles/[^/]+/", "/tiles/0123abcd/", url))
    assert stale.status_code == 404 and stale.get_json()["error"]["code"] == "NotFound"
    assert client.get(url.replace("/14/", "/3/")).status_code == 404  # x, y beyond zoom 3's grid


@needs_tilemaker
def test_glyphs_and_style_in_the_page_language(client):
    style = _page_config(client, "id")["style"]
    street = next(layer for layer in style["layers"] if layer["id"] == "street-name")
    assert street["layout"]["text-field"][1] == ["get", "name:id"]
    assert {"water", "wood", "park", "farmland", "building", "railway", "place-town", "peak"} <= {
        layer["id"] for layer in style["layers"]
    }
    glyphs = style["glyphs"].replace("{fontstack}", "noto-sans-regular").replace("{range}", "0-255")
    r = client.get(glyphs, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip" and len(gzip.decompress(r.data)) > 10_000
    assert client.get(glyphs, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    # a script we ship no glyphs for draws without them (an empty set), a bad font is 404 JSON
    cyrillic = client.get(glyphs.replace("0-255", "1024-1279"))
    assert cyrillic.status_code == 200 and cyrillic.data == b""
    assert client.get(glyphs.replace("noto-sans-regular", "nope")).get_json()["error"]["code"] == "NotFound"
    assert client.get(glyphs.replace("0-255", "0-300")).status_code == 404


@needs_tilemaker
def test_cached_file_covers_the_extract(app):
    info = app.extensions["bikemap.basemap"]
    again = basemap_info(info.path)
    assert again == info and info.maxzoom == 14 and info.minzoom == 0
    w, s, e, n = info.bounds
    assert w < 24.94 < e and s < 60.17 < n


def test_without_tilemaker_the_app_starts_with_the_network_only(demo_net, monkeypatch, capfd):
    from webapp import create_app

    monkeypatch.setenv("BIKEMAP_TILEMAKER", "/nonexistent/tilemaker")
    app = create_app({"TESTING": True, "NETWORK": demo_net, "WARM_PROFILES": False})
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tilemaker is not installed" in err[0], err
    html = app.test_client().get("/").get_data(as_text=True)
    assert "maplibre-gl-csp.js" not in html and '"style": null' in html
    assert app.test_client().get("/basemap/tiles/x/0/0/0.pbf").status_code == 404


def test_raster_tiles_of_a_city_replace_the_base_map(demo_net):
    from webapp import create_app

    app = create_app(
        {
            "TESTING": True,
            "NETWORK": demo_net,
            "WARM_PROFILES": False,
            "TILES_URL": "https://t.example.org/{z}/{x}/{y}.png",
        }
    )
    c = app.test_client()
    html = c.get("/").get_data(as_text=True)
    script = c.get(re.search(r'<script src="(/map/[^"]+\.js)"', html).group(1)).get_data(as_text=True)
    assert "maplibre-gl-csp.js" not in html and "t.example.org" in script


@needs_tilemaker
def test_cli_builds_a_file_the_app_serves(demo_net, tmp_path, capsys):
    from routes.cli import main
    from webapp import create_app

    out = tmp_path / "city.mbtiles"
    assert main(["basemap", "--source", "demo", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    app = create_app({"TESTING": True, "NETWORK": demo_net, "WARM_PROFILES": False, "BASEMAP": str(out)})
    assert app.extensions["bikemap.basemap"].path == out
    assert main(["basemap", "--source", "place:Vaduz"]) == 2
    assert capsys.readouterr().err.startswith("bikemap: error: base map tiles are built from an OSM file")
