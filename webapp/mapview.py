"""The Folium map of a network: the frame of the map page (the drawn network: `webapp.netstyle`).

`build_map` makes the `folium.Map`; `render_map` turns it into the three
pieces a page template needs (header, map element, script), with CDN links
swapped for our static files (`webapp.assets`) and a nonce placeholder on
every inline script so a Content-Security-Policy needs no 'unsafe-inline'.

The page carries no data that grows with the network (issue #19): the
cycling network comes as vector tiles drawn by MapLibre (`routes.overlay`,
``static/js/overlay.js``), or, without them, by viewport from
``GET /api/network?bbox=`` (`network_layers` of the segments in view, one
MultiLineString per class); destinations and stations come by viewport from
their GeoJSON APIs, clustered where dense (``static/js/points.js``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import folium
import folium.plugins
from branca.element import Figure, MacroElement
from jinja2 import Template

from routes import Network
from routes.overlay import segment_style_class

from .assets import localize_header
from .netstyle import NETWORK_STYLES, network_layers

__all__ = [
    "NETWORK_STYLES",  # re-exported: its home is webapp.netstyle
    "NONCE",
    "build_map",
    "closures_map_layer",
    "network_layers",  # re-exported: its home is webapp.netstyle
    "render_map",
    "segment_style_class",  # re-exported: its home is routes.overlay
]

#: Placeholder written where the per-request CSP nonce goes.
NONCE = "__BIKEMAP_CSP_NONCE__"


class _Hook(MacroElement):
    """Publishes the map, its layers and its layer switch to scripts as ``window.bikemapFolium``.

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
        }, control: {{ this.control.get_name() }}};
        {% endmacro %}"""
    )

    def __init__(self, attribution: str, layers: dict[str, Any], control: folium.LayerControl):
        super().__init__()
        self._name = "BikemapHook"
        self.attribution = attribution
        self.layers = layers
        self.control = control


def inert_html(text: str) -> str:
    """HTML that Folium may put in a template: ``{`` and ``}`` as character references.

    Folium (branca) compiles the script it renders as a Jinja template once more,
    so ``{{ ... }}`` in a name would run on the server (server-side template
    injection; tests/test_xss.py). The browser shows the references as braces.
    """
    return text.replace("{", "&#123;").replace("}", "&#125;")


def build_map(
    net: Network,
    t: Callable[[str], str],
    *,
    tiles_url: str = "",
    tiles_attribution: str = "",
    data_attribution: str = "© OpenStreetMap contributors",
    lang: str = "en",
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
    # the network, destinations and stations are not in the page: static/js/overlay.js and
    # static/js/points.js load them for the part of the map in view (issue #19)
    layers: dict[str, Any] = {}
    for key, layer in (extra_layers or {}).items():  # e.g. road closures (webapp.views.map)
        layers[key] = layer.add_to(m)
    folium.plugins.LocateControl(
        strings={"title": t("locate_me"), "popup": t("locate_popup")},
        keepCurrentZoomLevel=True,
        flyTo=False,
    ).add_to(m)
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(m)
    m.fit_bounds([[s, w], [n, e]])
    m.add_child(_Hook(data_attribution, layers, control))
    return m


def closures_map_layer(closures: dict[str, Any], t):
    """A Folium layer of closures (red) and hazards (orange) with escaped popups."""
    data = []
    for f in closures.get("features", []):
        p = f["properties"]
        label = t("closure_closed") if p["kind"] == "closure" else t("closure_hazard")
        until = f" · {t('closure_until')} {p['ends_at'][:10]}" if p.get("ends_at") else ""
        popup = (
            f'<div class="bm-popup bm-closure"><strong>{html.escape(label)}</strong>'
            f"<div>{html.escape(p['reason'])}{html.escape(until)}</div></div>"
        )
        props = {"kind": p["kind"], "popup": inert_html(popup), "label": inert_html(html.escape(label))}
        data.append({"type": "Feature", "geometry": f["geometry"], "properties": props})

    def style(feature):
        # dark for closures, amber for hazards: no street class is drawn in either
        colour = "#1f2937" if feature["properties"]["kind"] == "closure" else "#f59e0b"
        return {"color": colour, "weight": 7, "opacity": 0.95, "dashArray": "8 6"}

    return folium.GeoJson(
        {"type": "FeatureCollection", "features": data},
        name=t("closures_layer"),
        style_function=style,
        marker=folium.CircleMarker(
            radius=9, color="#1f2937", weight=3, fill=True, fill_color="#ffffff", fill_opacity=1
        ),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


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
