/* bikemap core: the page's map, strings and API helpers as `window.bikemap`.
 *
 * Feature scripts (planner.js, tours, elevation, live stations...) build on it:
 *   bikemap.map                  the Leaflet map (Folium's)
 *   bikemap.layers               Folium layers: network_<class>, destinations, stations
 *   bikemap.t(key, vars)         UI string in the page language (the catalogue's JSON, /i18n/<lang>.json)
 *   bikemap.api(path, params)    GET /api/<path> -> Promise of JSON (rejects with {code, message})
 *   bikemap.drawFeature(name, geojson, options) / clearFeature(name)   one named overlay each
 *   bikemap.drawConnectors(name, feature)   dashed lines from the street to points off it
 *   bikemap.urlState              extra query parameters the planner keeps in the page URL (tour, featured)
 *   bikemap.initialQuery          the page's query as loaded (URLSearchParams), before the planner rewrites it
 *   bikemap.section(id, title)   the panel section #panel-<id> (made if missing)
 *   bikemap.on(event, fn) / emit(event, data)   events: "route", "plan", "pick", "names" (points named: search.js)
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("bm-config").textContent);
  var folium = window.bikemapFolium || {};
  var map = folium.map || window[cfg.map];
  var listeners = {};
  var drawn = {};
  var strings = loadStrings(cfg.strings);

  // The page's strings, one JSON document per language at an address versioned by its content
  // (webapp.views.map.strings): every feature script builds its controls with them as it loads,
  // so they are read before any of them runs. After the first visit the browser answers from its
  // cache (kept a year), without a request.
  function loadStrings(url) {
    var xhr = new XMLHttpRequest();
    try {
      xhr.open("GET", url, false);
      xhr.send();
      if (xhr.status === 200) return JSON.parse(xhr.responseText);
    } catch (err) { if (window.console) console.warn("bikemap: no strings", err); }
    return {};
  }

  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    }
    return s;
  }

  function on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); }

  function emit(name, data) {
    (listeners[name] || []).forEach(function (fn) {
      try { fn(data); } catch (err) { if (window.console) console.error(err); }
    });
  }

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "") q.append(k, v);
    });
    return q.toString();
  }

  function apiUrl(path, params) {
    var q = query(params);
    return cfg.api + "/" + path + (q ? "?" + q : "");
  }

  function api(path, params, options) {
    return fetch(apiUrl(path, params), options || {}).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.ok) return body;
        var err = (body && body.error) || {code: "HTTP" + resp.status, message: resp.statusText};
        err.status = resp.status;
        throw err;
      });
    });
  }

  function clearFeature(name) {
    if (drawn[name]) { map.removeLayer(drawn[name]); delete drawn[name]; }
  }

  function drawFeature(name, geojson, options) {
    clearFeature(name);
    var layer = L.geoJSON(geojson, options || {});
    layer.addTo(map);
    drawn[name] = layer;
    return layer;
  }

  // dashed lines from where the route leaves the street to each point off it (a destination
  // inside a block, a click beside the road): the route is routed to the snapped point
  var CONNECT_MIN_M = 3;
  function drawConnectors(name, feature) {
    var ways = (feature && feature.properties && feature.properties.waypoints) || [];
    var lines = ways.filter(function (w) { return w.input && w.location && w.distance_m >= CONNECT_MIN_M; })
      .map(function (w) {
        return {type: "Feature", properties: {distance_m: w.distance_m, role: w.role},
                geometry: {type: "LineString", coordinates: [w.location, w.input]}};
      });
    clearFeature(name + "-connectors");
    if (!lines.length) return null;
    return drawFeature(name + "-connectors", {type: "FeatureCollection", features: lines}, {
      interactive: false,
      style: {color: "#334155", weight: 3, opacity: 0.9, dashArray: "1 7", lineCap: "round", className: "bm-connector"}
    });
  }

  function section(id, title) {
    var el = document.getElementById("panel-" + id);
    if (el) return el;
    el = document.createElement("section");
    el.id = "panel-" + id;
    el.className = "bm-section";
    if (title) {
      var h = document.createElement("h2");
      h.textContent = title;
      el.appendChild(h);
    }
    var panel = document.getElementById("panel");
    panel.insertBefore(el, document.getElementById("panel-legend"));
    return el;
  }

  function formatDistance(m) {
    if (m < 950) return Math.round(m) + " " + t("m");
    var km = m / 1000;
    return (km < 100 ? km.toFixed(1) : Math.round(km)).toString().replace(".", cfg.lang === "id" ? "," : ".") + " " + t("km");
  }

  function formatDuration(s) {
    var min = Math.max(1, Math.round(s / 60));
    if (min < 60) return min + " " + t("min");
    var m = min % 60;
    return Math.floor(min / 60) + " " + t("h") + " " + (m < 10 ? "0" : "") + m + " " + t("min");
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // Leaflet's own control titles, in the page language
  [[".leaflet-control-zoom-in", "zoom_in"], [".leaflet-control-zoom-out", "zoom_out"],
   [".leaflet-control-layers-toggle", "layers"]].forEach(function (c) {
    var node = map.getContainer().querySelector(c[0]);
    if (node) { node.setAttribute("title", t(c[1])); node.setAttribute("aria-label", t(c[1])); }
  });

  // popups of destinations and stations get "Start here", "Go here", "Add as stop" buttons
  map.on("popupopen", function (ev) {
    var root = ev.popup.getElement && ev.popup.getElement();
    var box = root && root.querySelector(".bm-actions");
    if (!box || box.childElementCount) return;
    [["from", "start_here"], ["to", "go_here"], ["via", "add_as_via"]].forEach(function (a) {
      var b = el("button", {type: "button", "class": "bm-act", "data-act": a[0]}, t(a[1]));
      box.appendChild(b);
    });
  });

  // popup buttons -> a "pick" event
  map.getContainer().addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest(".bm-act");
    if (!btn) return;
    var box = btn.closest(".bm-actions");
    var popup = btn.closest(".bm-popup");
    var name = popup && popup.querySelector(".bm-name");
    emit("pick", {
      act: btn.getAttribute("data-act"),
      lat: parseFloat(box.getAttribute("data-lat")),
      lon: parseFloat(box.getAttribute("data-lon")),
      name: name ? name.textContent : null
    });
    map.closePopup();
  });

  window.bikemap = {
    config: cfg, lang: cfg.lang, map: map, layers: folium.layers || {}, urlState: {},
    initialQuery: new URLSearchParams(location.search),
    t: t, on: on, emit: emit, api: api, apiUrl: apiUrl, query: query,
    drawFeature: drawFeature, clearFeature: clearFeature, section: section, drawConnectors: drawConnectors,
    formatDistance: formatDistance, formatDuration: formatDuration, el: el
  };
})();
