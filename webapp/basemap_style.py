"""The MapLibre style of the built-in base map (OpenMapTiles schema, as tilemaker writes it).

Quiet colours, so that the safety-coloured cycling network drawn on top
(green, blue, red, grey) stays the first thing a visitor reads: land in warm
grey, water in blue, forest, parks, grass and farmland in soft greens and
yellows, buildings from MapLibre zoom 14, roads white with a grey casing
(major roads pale yellow), paths and tracks as thin brown dashes, railways
grey with white ties. Labels: places (city, town, village, suburb,
neighbourhood), street names along the streets, water names and peaks with
their height, in the page language (``name:en`` / ``name:id``) falling back to
the local ``name`` (tilemaker writes it as ``name:latin``).

With the network's own tiles (`routes.overlay`), the safety-coloured network
is drawn here too, in the colours, widths and dashes of
`webapp.netstyle.NETWORK_STYLES`, above the roads and under every label: town,
village and street names stay readable on top of it at every zoom (issue #18).
Its layers are ``network-<class>``; ``static/js/overlay.js`` switches them.

MapLibre zoom is Leaflet zoom minus one (512-pixel tiles).
"""

from __future__ import annotations

from typing import Any

from .netstyle import NETWORK_STYLES

__all__ = ["FONT_BOLD", "FONT_REGULAR", "basemap_style", "network_layers_style"]

FONT_REGULAR = ["noto-sans-regular"]
FONT_BOLD = ["noto-sans-bold"]

LAND = "#f2efe9"
WATER = "#a9d3e6"
HALO = "rgba(255,255,255,0.9)"


def _name(lang: str) -> list[Any]:
    return ["coalesce", ["get", f"name:{lang}"], ["get", "name:latin"], ["get", "name"]]


def _fill(
    layer_id: str,
    source_layer: str,
    color: str,
    *,
    where: list | None = None,
    minzoom: float = 0,
    paint: dict | None = None,
):
    layer: dict[str, Any] = {
        "id": layer_id,
        "type": "fill",
        "source": "osm",
        "source-layer": source_layer,
        "minzoom": minzoom,
        "paint": {"fill-color": color, **(paint or {})},
    }
    if where:
        layer["filter"] = where
    return layer


def _classes(*names: str) -> list[Any]:
    return ["match", ["get", "class"], list(names), True, False]


def _line(layer_id: str, classes: tuple[str, ...], color: str, widths: list[float], *, minzoom: float = 0, **extra):
    """A road line whose width grows with the zoom (pairs of zoom, width)."""
    paint: dict[str, Any] = {
        "line-color": color,
        "line-width": ["interpolate", ["exponential", 1.5], ["zoom"], *widths],
    }
    paint.update(extra.pop("paint", {}))
    return {
        "id": layer_id,
        "type": "line",
        "source": "osm",
        "source-layer": "transportation",
        "minzoom": minzoom,
        "filter": ["all", _classes(*classes), ["!=", ["get", "brunnel"], "tunnel"]],
        "layout": {"line-join": "round", "line-cap": "round", **extra.pop("layout", {})},
        "paint": paint,
    }


MAJOR = ("motorway", "trunk", "primary")
MID = ("secondary", "tertiary")
MINOR = ("minor", "service", "unclassified", "residential", "living_street")


def _roads() -> list[dict[str, Any]]:
    return [
        _line("path", ("path", "track"), "#b39f7f", [13, 0.6, 18, 2.0], minzoom=13, paint={"line-dasharray": [2, 1.5]}),
        _line("minor-casing", MINOR, "#d6d0c6", [12, 0.8, 14, 3.0, 18, 18]),
        _line("mid-casing", MID, "#cfc6b5", [9, 0.8, 14, 5.0, 18, 24]),
        _line("major-casing", MAJOR, "#d8b776", [6, 0.8, 14, 6.5, 18, 28]),
        _line("minor", MINOR, "#ffffff", [12, 0.4, 14, 2.0, 18, 15], minzoom=12),
        _line("mid", MID, "#ffffff", [9, 0.5, 14, 3.6, 18, 20]),
        _line("major", MAJOR, "#fbe6a5", [6, 0.6, 14, 5.0, 18, 24]),
        {
            "id": "railway",
            "type": "line",
            "source": "osm",
            "source-layer": "transportation",
            "filter": _classes("rail", "transit"),
            "paint": {"line-color": "#a3a3a3", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.8, 16, 3]},
        },
        {
            "id": "railway-ties",
            "type": "line",
            "source": "osm",
            "source-layer": "transportation",
            "minzoom": 12,
            "filter": _classes("rail", "transit"),
            "paint": {
                "line-color": "#ffffff",
                "line-width": ["interpolate", ["linear"], ["zoom"], 12, 0.6, 16, 1.6],
                "line-dasharray": [3, 3],
            },
        },
    ]


def _symbol(layer_id: str, source_layer: str, text: list[Any], *, minzoom: float = 0, where=None, **spec):
    layout = {"text-field": text, "text-font": FONT_REGULAR, "text-size": 12, **spec.pop("layout", {})}
    paint = {"text-color": "#333333", "text-halo-color": HALO, "text-halo-width": 1.4, **spec.pop("paint", {})}
    layer: dict[str, Any] = {
        "id": layer_id,
        "type": "symbol",
        "source": "osm",
        "source-layer": source_layer,
        "minzoom": minzoom,
        "layout": layout,
        "paint": paint,
    }
    if where:
        layer["filter"] = where
    return layer


def _labels(lang: str) -> list[dict[str, Any]]:
    name = _name(lang)
    return [
        _symbol(
            "water-name",
            "water_name",
            name,
            layout={"text-size": 12, "symbol-placement": ["step", ["zoom"], "point", 12, "line"]},
            paint={"text-color": "#2f6f8f"},
        ),
        _symbol(
            "street-name",
            "transportation_name",
            name,
            minzoom=13,
            where=["has", "name:latin"],
            layout={
                "symbol-placement": "line",
                "text-size": ["interpolate", ["linear"], ["zoom"], 13, 10, 17, 13],
                "text-max-angle": 30,
                "symbol-spacing": 300,
            },
            paint={"text-color": "#555555"},
        ),
        _symbol(
            "peak",
            "mountain_peak",
            [
                "format",
                name,
                {},
                ["case", ["has", "ele"], ["concat", "\n", ["to-string", ["get", "ele"]], " m"], ""],
                {},
            ],
            minzoom=10,
            layout={"text-size": 11, "text-anchor": "top", "text-offset": [0, 0.4]},
            paint={"text-color": "#6b4f2c"},
        ),
        _symbol(
            "place-minor",
            "place",
            name,
            where=_classes("suburb", "neighbourhood", "quarter", "hamlet", "locality", "isolated_dwelling"),
            layout={"text-size": ["interpolate", ["linear"], ["zoom"], 11, 11, 16, 14], "text-max-width": 8},
            paint={"text-color": "#555555"},
        ),
        _symbol(
            "place-village",
            "place",
            name,
            where=_classes("village"),
            layout={"text-font": FONT_BOLD, "text-size": ["interpolate", ["linear"], ["zoom"], 9, 11, 15, 15]},
        ),
        _symbol(
            "place-town",
            "place",
            name,
            where=_classes("town", "city"),
            layout={
                "text-font": FONT_BOLD,
                "text-size": ["interpolate", ["linear"], ["zoom"], 6, 12, 14, 20],
                "text-max-width": 8,
            },
            paint={"text-color": "#222222", "text-halo-width": 2},
        ),
    ]


def network_layers_style() -> list[dict[str, Any]]:
    """One line layer per drawing class of the network tiles, styled as the Leaflet overlay.

    Thinner at overview zoom (60 % at MapLibre zoom 9 and below), full width from
    zoom 13, where the visitor picks streets; Leaflet's dashes (pixels) become
    MapLibre's (line widths).
    """
    layers = []
    for kind, st in NETWORK_STYLES.items():
        w = float(st["weight"])
        paint: dict[str, Any] = {
            "line-color": st["color"],
            "line-opacity": st["opacity"],
            "line-width": ["interpolate", ["linear"], ["zoom"], 9, round(w * 0.6, 2), 13, w],
        }
        if st.get("dashArray"):
            paint["line-dasharray"] = [round(float(v) / w, 2) for v in str(st["dashArray"]).split()]
        layers.append(
            {
                "id": f"network-{kind}",
                "type": "line",
                "source": "network",
                "source-layer": "network",
                "filter": ["==", ["get", "class"], kind],
                "layout": {"line-join": "round", "line-cap": "round" if not st.get("dashArray") else "butt"},
                "paint": paint,
            }
        )
    return layers


def basemap_style(
    lang: str,
    *,
    tiles: str,
    glyphs: str,
    bounds: tuple[float, float, float, float],
    maxzoom: int = 14,
    network_tiles: str | None = None,
) -> dict[str, Any]:
    """The style document: ``tiles`` and ``glyphs`` are URL templates (``{z}/{x}/{y}``, ``{fontstack}/{range}``).

    ``network_tiles`` (a URL template of the network's own tiles) adds the network layers under the labels.
    """
    farmland = _classes("farmland")
    sources: dict[str, Any] = {
        "osm": {"type": "vector", "tiles": [tiles], "minzoom": 0, "maxzoom": maxzoom, "bounds": list(bounds)},
    }
    if network_tiles:
        sources["network"] = {"type": "vector", "tiles": [network_tiles], "minzoom": 0, "maxzoom": 14}
    return {
        "version": 8,
        "name": "bikemap",
        "glyphs": glyphs,
        "sources": sources,
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": LAND}},
            _fill("farmland", "landcover", "#f3efcf", where=farmland),
            _fill("grass", "landcover", "#dcebc6", where=_classes("grass")),
            _fill("wood", "landcover", "#c5ddb0", where=_classes("wood")),
            _fill("wetland", "landcover", "#d7e8e0", where=_classes("wetland")),
            _fill("sand", "landcover", "#f4e9c4", where=_classes("sand")),
            _fill("ice", "landcover", "#f4fbfd", where=_classes("ice")),
            _fill("residential", "landuse", "#ebe7e0", where=_classes("residential")),
            _fill("industrial", "landuse", "#ece4e8", where=_classes("industrial", "commercial", "retail", "railway")),
            _fill("cemetery", "landuse", "#d9e4cf", where=_classes("cemetery")),
            _fill("pitch", "landuse", "#cfe7c6", where=_classes("pitch", "playground", "stadium")),
            _fill("park", "park", "#d5eac2", paint={"fill-opacity": 0.8}),
            _fill("water", "water", WATER),
            {
                "id": "waterway",
                "type": "line",
                "source": "osm",
                "source-layer": "waterway",
                "paint": {"line-color": WATER, "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.8, 16, 4]},
            },
            _fill("building", "building", "#dcd6cc", minzoom=14, paint={"fill-outline-color": "#c8bfb1"}),
            *_roads(),
            *(network_layers_style() if network_tiles else []),
            *_labels(lang),
        ],
    }
