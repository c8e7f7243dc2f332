/* bikemap staff UI: the map of /admin pages (no inline script; CSP-friendly).
 *
 * Reads its settings from <script type="application/json"> blocks and writes
 * only through the page's form fields. Every text from the database is put
 * in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  // confirmation before destructive buttons (delete)
  document.querySelectorAll("button[data-confirm]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      if (!window.confirm(btn.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  var box = document.getElementById("bm-admin-map");
  if (!box || typeof L === "undefined") return;
  var cfg = readJSON("bm-map-config") || {};
  var S = cfg.strings || {};
  var map = L.map(box, { maxZoom: 19 });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map);
  } else if (cfg.attribution) {
    map.attributionControl.addAttribution(cfg.attribution);
  }
  if (cfg.bounds) {
    map.fitBounds([[cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]]);
  } else {
    map.setView([0, 0], 2);
  }
  window.bikemapAdminMap = map;  // for tests and debugging

  // the streets (as on the public map), always, in a pane under every marker and drawing:
  // without tiles (--tiles none, offline) they are the only map there is
  if (cfg.network_url && window.fetch) {
    map.createPane("bm-network").style.zIndex = 350;  // tiles 200 < streets < overlays 400
    fetch(cfg.network_url, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }).then(function (fc) {
      var styles = fc.styles || {};
      window.bikemapAdminNetwork = L.geoJSON(fc, {
        pane: "bm-network", interactive: false,
        style: function (f) { return styles[f.properties["class"]] || { color: "#4575b4", weight: 2 }; }
      }).addTo(map);
    }).catch(function (err) {
      if (window.console) console.warn("network:", err && err.message);
    });
  }
  var mode = box.getAttribute("data-mode");

  function popupFor(name, extra, link, linkText) {
    var div = el("div");
    div.appendChild(el("strong", name));
    if (extra) div.appendChild(el("div", extra));
    if (link) {
      var p = el("div");
      p.appendChild(el("a", linkText, { href: link }));
      div.appendChild(p);
    }
    return div;
  }

  if (mode === "overview") {
    var data = readJSON("bm-map-data") || { features: [] };
    var group = L.featureGroup().addTo(map);
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates, p = f.properties;
      L.circleMarker([c[1], c[0]], {
        radius: 7, weight: 2, color: "#ffffff", fillOpacity: 1,
        fillColor: p.published ? "#0f766e" : "#9ca3af"
      }).bindPopup(popupFor(p.name, p.published ? "" : S.unpublished, p.url, S.edit)).addTo(group);
    });
    map.on("click", function (ev) {
      var url = box.getAttribute("data-new-url") + "?lat=" + ev.latlng.lat.toFixed(7) + "&lon=" + ev.latlng.lng.toFixed(7);
      L.popup().setLatLng(ev.latlng).setContent(popupFor("", "", url, S.add_here)).openOn(map);
    });
  }

  if (mode === "reports") {  // the report queue: one dot per report, coloured by status; its popup links to the row
    var reports = readJSON("bm-map-data") || { features: [] };
    var colours = { open: "#2563eb", confirmed: "#dc2626", rejected: "#9ca3af", merged: "#9ca3af", closed: "#6b7280" };
    reports.features.forEach(function (f) {
      var c = f.geometry.coordinates, p = f.properties;
      L.circleMarker([c[1], c[0]], {
        radius: 7, weight: 2, color: "#ffffff", fillOpacity: 1, fillColor: colours[p.status] || "#2563eb"
      }).bindPopup(popupFor(p.name, p.label, p.url, S.report)).addTo(map);
    });
  }

  if (mode === "edit") {
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    var marker = null;
    function place(latlng, pan) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, autoPan: true }).addTo(map);
        marker.on("dragend", function () { write(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 16));
    }
    function write(latlng) {
      lat.value = latlng.lat.toFixed(7);
      lon.value = latlng.lng.toFixed(7);
    }
    function readInputs(pan) {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isFinite(a) && isFinite(b)) place([a, b], pan);
    }
    readInputs(true);
    map.on("click", function (ev) { place(ev.latlng, false); write(ev.latlng); });
    lat.addEventListener("change", function () { readInputs(true); });
    lon.addEventListener("change", function () { readInputs(true); });
  }

  if (mode === "closure") {
    var existing = readJSON("bm-map-data") || { features: [] };
    L.geoJSON(existing, {
      style: function (f) { return { color: f.properties.kind === "closure" ? "#dc2626" : "#f59e0b", weight: 6 }; },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 8, color: f.properties.kind === "closure" ? "#dc2626" : "#f59e0b" });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popupFor(S[f.properties.kind] || f.properties.kind, f.properties.reason));
      }
    }).addTo(map);
    var field = document.getElementById("geometry");
    var points = [];
    var drawn = L.layerGroup().addTo(map);
    function redraw() {
      drawn.clearLayers();
      points.forEach(function (p) { L.circleMarker(p, { radius: 5, color: "#7c3aed" }).addTo(drawn); });
      if (points.length > 1) L.polyline(points, { color: "#7c3aed", weight: 5, dashArray: "6 6" }).addTo(drawn);
      var coords = points.map(function (p) { return [+p.lng.toFixed(7), +p.lat.toFixed(7)]; });
      field.value = coords.length === 0 ? "" : JSON.stringify(coords.length === 1 ?
        { type: "Point", coordinates: coords[0] } : { type: "LineString", coordinates: coords });
    }
    if (field.value) {  // the drawing of a form sent back with errors
      try {
        var g = JSON.parse(field.value);
        var list = g.type === "Point" ? [g.coordinates] : g.coordinates;
        points = list.map(function (c) { return L.latLng(c[1], c[0]); });
      } catch (e) { points = []; }
      redraw();
    }
    map.on("click", function (ev) { points.push(ev.latlng); redraw(); });
    document.getElementById("bm-clear-drawing").addEventListener("click", function () { points = []; redraw(); });
  }
})();
