"""The Folium map of a network: streets styled by class, destinations, stations.

`build_map` makes the `folium.Map`; `render_map` turns it into the three
pieces a page template needs (header, map element, script), with CDN links
swapped for our static files (`webapp.assets`) and a nonce placeholder on
every inline script so a Content-Security-Policy needs no 'unsafe-inline'.

The street network is drawn as one GeoJSON layer per class (cycle paths,
quiet streets, main roads, footpaths where the bike is pushed), each a single
MultiLineString simplified to about a metre: a few hundred kB for a city
centre, instead of one Leaflet layer per street.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import folium
import folium.plugins
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from routes import Network
from routes.profiles import NO, PUSH, is_main_road

from .assets import localize_header
from .destinations import destination_features, station_features

__all__ = [
    "NETWORK_STYLES",
    "NONCE",
    "build_map",
    "network_layers",
    "render_map",
    "segment_style_class",
]

#: Placeholder written where the per-request CSP nonce goes.
NONCE = "__BIKEMAP_CSP_NONCE__"

#: Style of each street class (Leaflet path options); the panel legend uses the same colours.
NETWORK_STYLES: dict[str, dict[str, Any]] = {
    "cycleway": {"color": "#1a9850", "weight": 3.5, "opacity": 0.9},
    "quiet": {"color": "#4575b4", "weight": 2.5, "opacity": 0.75},
    "main": {"color": "#d73027", "weight": 3.5, "opacity": 0.85},
    "push": {"color": "#7f7f7f", "weight": 1.5, "opacity": 0.8, "dashArray": "4 4"},
}

#: Tolerance of the drawn network's simplification, in degrees (~1 m).
SIMPLIFY_DEG = 1e-5

#: Most points of the drawn network before it is simplified harder (about 10 bytes each).
MAX_DRAWN_COORDS = 20_000

#: Coarsest simplification of the drawn network, in degrees (~8 m): still on the right street.
MAX_SIMPLIFY_DEG = 8e-5


def segment_style_class(cls) -> str | None:
    """The drawing class of a `routes.profiles.SegmentClass`, or None (not for bikes or feet)."""
    if cls.fwd == NO and cls.bwd == NO and cls.foot == NO:
        return None
    if cls.cls == "cycleway" or cls.infra in ("track", "lane", "cycleway"):
        return "cycleway"
    if max(cls.fwd, cls.bwd) <= PUSH:
        return "push"
    if is_main_road(cls.cls):
        return "main"
    return "quiet"


def network_layers(
    net: Network, *, tolerance: float = SIMPLIFY_DEG, max_coords: int = MAX_DRAWN_COORDS
) -> dict[str, dict[str, Any]]:
    """One GeoJSON Feature (MultiLineString, simplified and merged) per drawing class.

    The simplification tolerance starts at ``tolerance`` and doubles (up to
    `MAX_SIMPLIFY_DEG`) while the drawing has more than ``max_coords`` points,
    so a whole region stays a page a phone can load.
    """
    kinds = np.array([segment_style_class(c) or "" for c in net.classes], dtype=object)
    counts = np.diff(net.offsets)
    lines = shapely.linestrings(net.coords, indices=np.repeat(np.arange(net.n_segments), counts))
    merged = {}
    for kind in NETWORK_STYLES:
        chosen = lines[kinds == kind]
        if len(chosen):
            merged[kind] = shapely.line_merge(shapely.multilinestrings(chosen))
    while True:
        simple = {k: shapely.simplify(g, tolerance, preserve_topology=False) for k, g in merged.items()}
        total = sum(int(shapely.get_num_coordinates(g)) for g in simple.values())
        if total <= max_coords or tolerance * 2 > MAX_SIMPLIFY_DEG:
            break
        tolerance *= 2
    out = {}
    for kind, geom in simple.items():
        parts = shapely.get_parts(geom)
        coords = [np.round(shapely.get_coordinates(p), 5).tolist() for p in parts if not p.is_empty]
        out[kind] = {
            "type": "Feature",
            "properties": {"class": kind, "tolerance_deg": tolerance},
            "geometry": {"type": "MultiLineString", "coordinates": coords},
        }
    return out


class _Hook(MacroElement):
    """Publishes the map and its layers to scripts as ``window.bikemapFolium``.

    Also adds the data attribution, which shows with or without tiles.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        {%- set map = this._parent.get_name() %}
        {{ map }}.attributionControl.addAttribution({{ this.attribution|tojson }});
        L.control.scale({imperial: false, maxWidth: 120}).addTo({{ map }});
        window.bikemapFolium = {map: {{ map }}, layers: {
        {%- for key, layer in this.layers.items() %}
            {{ key|tojson }}: {{ layer.get_name() }},
        {%- endfor %}
        }};
        {% endmacro %}"""
    )

    def __init__(self, attribution: str, layers: dict[str, Any]):
        super().__init__()
        self._name = "BikemapHook"
        self.attribution = attribution
        self.layers = layers


def _category_label(t: Callable[[str], str], category: str) -> str:
    label = t(f"cat_{category}")
    return label if label != f"cat_{category}" else category.replace("_", " ").capitalize()


def _actions(t: Callable[[str], str], lon: float, lat: float) -> str:
    """Where a popup's "Start here / Go here / Add as stop" buttons go (bikemap.js adds them
    when the popup opens, so the page does not carry them for every destination)."""
    return f'<div class="bm-actions" data-lat="{lat}" data-lon="{lon}"></div>'


def _website(url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return ""
    host = urlsplit(url).netloc.removeprefix("www.") or url[:40]
    attrs = f'href="{html.escape(url)}" target="_blank" rel="noopener noreferrer"'
    return f"<a {attrs}>{html.escape(host)}</a>"


def _destination_popup(f: dict[str, Any], t: Callable[[str], str]) -> tuple[str, str]:
    p = f["properties"]
    lon, lat = f["geometry"]["coordinates"]
    category = _category_label(t, p["category"])
    name = p["name"] or category
    desc = p["description"] or ""
    if len(desc) > 280:
        desc = desc[:277] + "…"
    body = (
        f'<div class="bm-popup"><strong class="bm-name">{html.escape(name)}</strong>'
        f'<div class="bm-cat">{html.escape(category)}</div>'
        + (f'<p class="bm-desc">{html.escape(desc)}</p>' if desc else "")
        + _website(p["website"])
        + _actions(t, lon, lat)
        + "</div>"
    )
    return body, html.escape(name)


def _station_popup(f: dict[str, Any], t: Callable[[str], str]) -> tuple[str, str]:
    p = f["properties"]
    lon, lat = f["geometry"]["coordinates"]
    name = p["name"] or t("station")
    rows = [(t("capacity"), p["capacity"]), (t("operator"), p["operator"] or p["network"])]
    details = "".join(f"<div>{html.escape(k)}: {html.escape(str(v))}</div>" for k, v in rows if v not in (None, ""))
    body = (
        f'<div class="bm-popup bm-station" data-station="{html.escape(p["id"])}">'
        f'<strong class="bm-name">{html.escape(name)}</strong>'
        f'<div class="bm-cat">{html.escape(t("station"))}</div>'
        f'{details}<div class="bm-live"></div>{_actions(t, lon, lat)}</div>'
    )
    return body, html.escape(name)


def inert_html(text: str) -> str:
    """HTML that Folium may put in a template: ``{`` and ``}`` as character references.

    Folium (branca) compiles the script it renders as a Jinja template once more,
    so ``{{ ... }}`` in a name would run on the server (server-side template
    injection; tests/test_xss.py). The browser shows the references as braces.
    """
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _point_layer(features, popup_of, t, *, name: str, marker, show: bool = True, tooltip: bool = True):
    data = []
    for f in features:
        popup, label = popup_of(f, t)
        props = {"id": inert_html(html.escape(f["id"])), "popup": inert_html(popup)}
        if tooltip:
            props["label"] = inert_html(label)
        data.append({"type": "Feature", "geometry": f["geometry"], "properties": props})
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": data},
        name=name,
        show=show,
        marker=marker,
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, class_name="bm-popup-wrap"),
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if tooltip else None,
    )


#: A bike-share station on the map: a small bicycle badge (the legend's swatch, about
#: 22 x 16 px, centred in a 26 x 22 box), not a full-size pin, so that on a phone
#: it leaves the streets around it free for taps; anchored at its centre.
STATION_ICON_HTML = '<i class="fa-solid fa-bicycle bm-swatch-station" aria-hidden="true"></i>'
STATION_ICON_SIZE = (26, 22)


def build_map(
    net: Network,
    t: Callable[[str], str],
    *,
    tiles_url: str = "",
    tiles_attribution: str = "",
    data_attribution: str = "© OpenStreetMap contributors",
    lang: str = "en",
    destinations: list[dict[str, Any]] | None = None,
    extra_layers: dict[str, Any] | None = None,
) -> folium.Map:
    """The Folium map of ``net`` with its UI text from ``t`` (key -> string)."""
    w, s, e, n = net.bounds
    m = folium.Map(
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=14,
        tiles=None,
        control_scale=False,  # a metric-only scale is added by _Hook
        prefer_canvas=True,
        max_zoom=19,
    )
    if tiles_url:
        folium.TileLayer(
            tiles=tiles_url,
            attr=tiles_attribution or data_attribution,
            name=t("layer_tiles"),
            max_zoom=19,
            overlay=False,
            control=True,
        ).add_to(m)
    layers: dict[str, Any] = {}
    for kind, feature in network_layers(net).items():
        style = NETWORK_STYLES[kind]
        layer = folium.GeoJson(
            feature,
            name=t(f"layer_{kind}"),
            style_function=lambda _f, st=style: st,
            smooth_factor=1.0,
        )
        layer.add_to(m)
        layers[f"network_{kind}"] = layer
    dest = destination_features(net, lang=lang) if destinations is None else destinations
    if dest:
        # small circles (drawn on the canvas): a city centre has hundreds of destinations
        marker: folium.Marker | folium.CircleMarker = folium.CircleMarker(
            radius=6,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color="#f59e0b",
            fill_opacity=1.0,
            bubbling_mouse_events=False,
        )
        layers["destinations"] = _point_layer(dest, _destination_popup, t, name=t("layer_destinations"), marker=marker)
        layers["destinations"].add_to(m)
    stations = station_features(net, lang=lang)
    if stations:
        # no tooltip: on a touch screen it stays open over the map; the popup has the name
        icon = folium.DivIcon(
            html=STATION_ICON_HTML,
            class_name="bm-station-icon",
            icon_size=STATION_ICON_SIZE,
            icon_anchor=(STATION_ICON_SIZE[0] // 2, STATION_ICON_SIZE[1] // 2),
        )
        marker = folium.Marker(icon=icon)
        layers["stations"] = _point_layer(
            stations, _station_popup, t, name=t("layer_stations"), marker=marker, tooltip=False
        )
        layers["stations"].add_to(m)
    for key, layer in (extra_layers or {}).items():  # e.g. road closures (webapp.staff_api)
        layers[key] = layer.add_to(m)
    folium.plugins.LocateControl(
        strings={"title": t("locate_me"), "popup": t("locate_popup")},
        keepCurrentZoomLevel=True,
        flyTo=False,
    ).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    m.fit_bounds([[s, w], [n, e]])
    m.add_child(_Hook(data_attribution, layers))
    return m


def render_map(m: folium.Map, static_url: Callable[[str], str]) -> dict[str, str]:
    """Header, body and script of a Folium map, ready for our page template.

    Inline ``<script>`` tags get ``nonce="NONCE"`` (the view puts the request's
    nonce there); external ones point at our static files.
    """
    root = m.get_root()
    assert isinstance(root, Figure)
    root.render()
    header = localize_header(root.header.render(), static_url)
    header = header.replace("<script>", f'<script nonce="{NONCE}">').replace("<style>", f'<style nonce="{NONCE}">')
    return {
        "header": header,
        "html": root.html.render(),
        "script": root.script.render(),
        "map_name": m.get_name(),
    }
