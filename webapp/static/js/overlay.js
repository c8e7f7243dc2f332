/* The safety-coloured cycling network over the map, loaded for what is in view (issue #19).
 *
 * With the built-in base map and the network's own vector tiles (webapp/views/basemap.py), MapLibre
 * draws the network (layers network-<class>, under the town and street names). Otherwise (no tiles,
 * a raster TILES_URL, no WebGL) the network in view comes from GET /api/network?bbox=&zoom= each
 * time the map stops moving, drawn by Leaflet in the same colours.
 *
 * Either way the layer switch has one entry per class (bikemap.layers.network_<class>), which shows
 * or hides it. Publishes bikemap.overlay = {mode: "tiles" | "viewport", refresh()}.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm) return;
  var map = bm.map;
  var styles = bm.config.networkStyles || {};
  var control = (window.bikemapFolium || {}).control;
  var basemap = bm.basemap;
  var styleDoc = basemap && basemap.options && basemap.options.style;
  var tiles = !!(styleDoc && styleDoc.sources && styleDoc.sources.network);
  var groups = {};
  var shown = {};

  function glMap() { return basemap && basemap.getMaplibreMap && basemap.getMaplibreMap(); }

  function applyVisibility() {
    var m = glMap();
    if (!m || !m.getStyle()) return;
    Object.keys(shown).forEach(function (kind) {
      if (m.getLayer("network-" + kind)) m.setLayoutProperty("network-" + kind, "visibility", shown[kind] ? "visible" : "none");
    });
  }

  Object.keys(styles).forEach(function (kind) {
    var group = L.layerGroup();
    groups[kind] = group;
    shown[kind] = true;
    group.on("add", function () { shown[kind] = true; if (tiles) applyVisibility(); });
    group.on("remove", function () { shown[kind] = false; if (tiles) applyVisibility(); });
    group.addTo(map);
    bm.layers["network_" + kind] = group;
    if (control) control.addOverlay(group, bm.t("layer_" + kind));
  });

  if (tiles) {
    var m = glMap();
    if (m) m.on("styledata", applyVisibility);
    bm.overlay = {mode: "tiles", refresh: applyVisibility};
    return;
  }

  // ------------------------------------------------------------------ by viewport
  var loaded = null;  // {bounds, zoom} of the drawn answer
  var seq = 0;
  var timer = null;

  function covered() {
    return loaded && loaded.zoom === map.getZoom() && loaded.bounds.contains(map.getBounds());
  }

  function draw(fc, bounds, zoom) {
    Object.keys(groups).forEach(function (kind) { groups[kind].clearLayers(); });
    (fc.features || []).forEach(function (f) {
      var kind = f.properties && f.properties["class"];
      if (!groups[kind]) return;
      groups[kind].addLayer(L.geoJSON(f, {style: styles[kind], interactive: false, smoothFactor: 1}));
    });
    loaded = {bounds: bounds, zoom: zoom};
  }

  function refresh() {
    if (covered()) return;
    var bounds = map.getBounds().pad(0.3);
    var zoom = map.getZoom();
    var mine = ++seq;
    var url = bm.config.networkApi + "?" + bm.query({bbox: bounds.toBBoxString(), zoom: zoom});
    fetch(url).then(function (resp) { return resp.ok ? resp.json() : null; }).then(function (fc) {
      if (fc && mine === seq) draw(fc, bounds, zoom);
    }).catch(function (err) { if (window.console) console.warn("network:", err && err.message); });
  }

  map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  bm.overlay = {mode: "viewport", refresh: refresh};
  refresh();
})();
