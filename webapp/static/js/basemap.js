/* The base map under the cycling network, and the limits of the view.
 *
 * Reads #bm-basemap (webapp/basemap.py page_config):
 *   style     MapLibre style of the built-in vector tiles, or null (network only / raster tiles)
 *   worker    URL of MapLibre's worker script (the CSP build loads it from our origin: no blob:)
 *   maxZoom   highest zoom the tiles can show
 *   outline   the extract's outline ([lat, lon] ring): drawn, and the view stays near it
 *
 * The base map is a Leaflet layer (maplibre-gl-leaflet) in the tile pane, under the network
 * (overlay pane), the destinations and the stations (marker pane). Without WebGL the page keeps
 * the network-only map. Publishes bikemap.basemap (the layer, or null).
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  var node = document.getElementById("bm-basemap");
  if (!bm || !node) return;
  var cfg = JSON.parse(node.textContent);
  var map = bm.map;
  bm.basemap = null;

  // the extract: a grey veil outside its outline, and the view kept close to it
  var outline = L.latLngBounds(cfg.outline);
  map.setMaxZoom(cfg.maxZoom);
  if (map.getZoom() > cfg.maxZoom) map.setZoom(cfg.maxZoom);
  map.setMaxBounds(outline.pad(0.5));  // room for a point just off the network (a shared link)
  map.options.maxBoundsViscosity = 0.9;
  map.setMinZoom(Math.max(1, map.getBoundsZoom(outline.pad(0.5)) - 1));
  var pane = map.createPane("bm-extract");
  pane.style.zIndex = 350;  // above the base map (tile pane 200), below the network (overlay pane 400)
  pane.style.pointerEvents = "none";
  var world = [[-89, -360], [-89, 360], [89, 360], [89, -360]];
  L.polygon([world, cfg.outline], {
    pane: "bm-extract", renderer: L.svg({pane: "bm-extract"}), interactive: false,
    color: "#6b7280", weight: 1.5, dashArray: "6 4", fillColor: "#9ca3af", fillOpacity: 0.45
  }).addTo(map);

  function webgl() {
    try {
      var c = document.createElement("canvas");
      return !!(window.WebGL2RenderingContext && c.getContext("webgl2")) || !!c.getContext("webgl");
    } catch (err) { return false; }
  }

  function absolute(url) { return new URL(url, window.location.href).href.replace(/%7B/g, "{").replace(/%7D/g, "}"); }

  if (!cfg.style || !window.maplibregl || !L.maplibreGL) return;
  if (!webgl()) {
    if (window.console) console.warn("bikemap: no WebGL in this browser; the map shows the cycling network only");
    return;
  }
  var style = JSON.parse(JSON.stringify(cfg.style));
  style.glyphs = absolute(style.glyphs);
  style.sources.osm.tiles = style.sources.osm.tiles.map(absolute);
  maplibregl.setWorkerUrl(absolute(cfg.worker));
  map.getContainer().classList.add("bm-has-basemap");
  bm.basemap = L.maplibreGL({style: style, attributionControl: false, interactive: false, pane: "tilePane"});
  bm.basemap.addTo(map);
  bm.emit("basemap", bm.basemap);
})();
