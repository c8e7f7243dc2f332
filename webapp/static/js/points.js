/* Destinations and bike-share stations, loaded for what is in view and clustered where dense (issue #19).
 *
 * Each time the map stops moving outside what is already loaded, GET /api/destinations?bbox= and
 * GET /api/stations?bbox= bring the points of the view (with a margin); points are kept once loaded.
 * Leaflet.markercluster groups them where they would overlap, up to zoom 14; from zoom 15 every point
 * is drawn. Popups are built here from the GeoJSON properties (text only, never HTML), with the
 * "Start here / Go here / Add as stop" box that bikemap.js fills.
 *
 * Publishes bikemap.layers.destinations and bikemap.layers.stations (the two groups, in the layer
 * switch) and bikemap.points = {refresh(), loaded()}; emits "points" after each load.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm) return;
  var map = bm.map, t = bm.t, el = bm.el;
  var control = (window.bikemapFolium || {}).control;
  var STATION_SIZE = [26, 22];

  function clusterIcon(kind) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 30 : n < 100 ? 36 : 42;
      return L.divIcon({
        html: "<span>" + n + "</span>", className: "bm-cluster bm-cluster-" + kind, iconSize: [size, size]
      });
    };
  }

  function group(kind) {
    if (!L.markerClusterGroup) return L.featureGroup();
    return L.markerClusterGroup({
      maxClusterRadius: 35, disableClusteringAtZoom: 15, showCoverageOnHover: false,
      spiderfyOnMaxZoom: true, chunkedLoading: true, iconCreateFunction: clusterIcon(kind)
    });
  }

  var layers = {destinations: group("destination"), stations: group("station")};
  var seen = {destinations: {}, stations: {}};

  function categoryLabel(cat) {
    var label = t("cat_" + cat);
    return label !== "cat_" + cat ? label : String(cat || "").replace(/_/g, " ").replace(/^./, function (c) { return c.toUpperCase(); });
  }

  function actions(latlng) {
    return el("div", {"class": "bm-actions", "data-lat": String(latlng.lat), "data-lon": String(latlng.lng)});
  }

  function website(url) {
    if (!url || !/^https?:\/\//.test(url)) return null;
    var host;
    try { host = new URL(url).host.replace(/^www\./, ""); } catch (err) { return null; }
    return el("a", {href: url, target: "_blank", rel: "noopener noreferrer"}, host || url.slice(0, 40));
  }

  function destinationPopup(f, latlng) {
    var p = f.properties || {};
    var cat = categoryLabel(p.category);
    var box = el("div", {"class": "bm-popup"});
    box.appendChild(el("strong", {"class": "bm-name"}, p.name || cat));
    box.appendChild(el("div", {"class": "bm-cat"}, cat));
    var desc = p.description || "";
    if (desc) box.appendChild(el("p", {"class": "bm-desc"}, desc.length > 280 ? desc.slice(0, 277) + "…" : desc));
    var link = website(p.website);
    if (link) box.appendChild(link);
    box.appendChild(actions(latlng));
    return box;
  }

  function stationPopup(f, latlng) {
    var p = f.properties || {};
    var box = el("div", {"class": "bm-popup bm-station", "data-station": String(p.station_id || p.id || "")});
    box.appendChild(el("strong", {"class": "bm-name"}, p.name || t("station")));
    box.appendChild(el("div", {"class": "bm-cat"}, t("station")));
    [[t("capacity"), p.capacity], [t("operator"), p.operator || p.network]].forEach(function (row) {
      if (row[1] !== null && row[1] !== undefined && row[1] !== "") box.appendChild(el("div", {}, row[0] + ": " + row[1]));
    });
    box.appendChild(el("div", {"class": "bm-live"}));
    box.appendChild(actions(latlng));
    return box;
  }

  function destinationMarker(f, latlng) {
    var m = L.circleMarker(latlng, {
      radius: 6, color: "#ffffff", weight: 1.5, fill: true, fillColor: "#f59e0b", fillOpacity: 1,
      bubblingMouseEvents: false
    });
    m.bindPopup(function () { return destinationPopup(f, latlng); }, {className: "bm-popup-wrap"});
    if (f.properties && f.properties.name) m.bindTooltip(el("span", {}, f.properties.name));
    return m;
  }

  function stationMarker(f, latlng) {
    // no tooltip: on a touch screen it stays open over the map; the popup has the name
    var icon = L.divIcon({
      html: '<i class="fa-solid fa-bicycle bm-swatch-station" aria-hidden="true"></i>', className: "bm-station-icon",
      iconSize: STATION_SIZE, iconAnchor: [STATION_SIZE[0] / 2, STATION_SIZE[1] / 2]
    });
    var m = L.marker(latlng, {icon: icon, title: (f.properties && f.properties.name) || t("station")});
    m.bindPopup(function () { return stationPopup(f, latlng); });
    return m;
  }

  function add(kind, fc, make) {
    var fresh = [];
    (fc.features || []).forEach(function (f) {
      var id = String(f.id !== undefined ? f.id : (f.properties || {}).id);
      if (seen[kind][id] || !f.geometry || f.geometry.type !== "Point") return;
      var c = f.geometry.coordinates;
      var marker = make(f, L.latLng(c[1], c[0]));
      marker.feature = f;
      seen[kind][id] = marker;
      fresh.push(marker);
    });
    if (fresh.length) {
      if (layers[kind].addLayers) layers[kind].addLayers(fresh); else fresh.forEach(function (m) { layers[kind].addLayer(m); });
    }
    return fresh.length;
  }

  var boxes = [];  // the boxes already loaded
  var timer = null;
  var pending = null;

  function refresh() {
    var view = map.getBounds();
    if (boxes.some(function (b) { return b.contains(view); })) return pending || Promise.resolve();
    var box = view.pad(0.5);
    var bbox = box.toBBoxString();
    pending = Promise.all([
      bm.api("destinations", {bbox: bbox, lang: bm.lang}).then(function (fc) { return add("destinations", fc, destinationMarker); }),
      bm.api("stations", {bbox: bbox, lang: bm.lang}).then(function (fc) { return add("stations", fc, stationMarker); })
    ]).then(function (counts) {
      boxes.push(box);
      bm.emit("points", {destinations: counts[0], stations: counts[1]});
    }).catch(function (err) { if (window.console) console.warn("points:", err && err.message); });
    return pending;
  }

  ["destinations", "stations"].forEach(function (kind) {
    layers[kind].addTo(map);
    bm.layers[kind] = layers[kind];
    if (control) control.addOverlay(layers[kind], t(kind === "destinations" ? "layer_destinations" : "layer_stations"));
  });
  map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  bm.points = {refresh: refresh, loaded: function () { return pending || Promise.resolve(); }};
  refresh();
})();
