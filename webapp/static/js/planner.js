/* Route planner: start, stops and destination on the map; the route and its panel.
 *
 * The plan lives in the page URL (?from=LAT,LON&to=LAT,LON&via=LAT,LON;LAT,LON&profile=NAME&mode=bikeshare),
 * so a reload or a shared link shows the same route. Emits "plan" (the points)
 * and "route" (the GeoJSON Feature) on window.bikemap.
 *
 * Travel mode "My own bike" / "Bike share": a bike-share trip (GET /api/route?...&mode=bikeshare)
 * walks to a station with a bike, rides to one with a free dock and walks on; its walks are drawn
 * dashed, the ride solid, the two stations marked, and the panel lists the legs and warnings.
 * Stops (via) are kept in the plan for the own bike, but a bike-share trip goes from A to B.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  var map = bm.map, t = bm.t, el = bm.el;
  var maxVia = bm.config.maxVia || 25;
  var state = {from: null, to: null, via: [], profile: "safe", mode: "bike"};
  var markers = [];
  var pending = null;
  var destinations = null;

  var $ = function (id) { return document.getElementById(id); };
  var profileSelect = $("bm-profile"), pointsList = $("bm-points"), routeSection = $("panel-route");
  var statusBox = $("bm-status"), summary = $("bm-summary"), shares = $("bm-shares");
  var directions = $("bm-directions"), gpxLink = $("bm-gpx"), search = $("bm-search"), results = $("bm-results");

  // ------------------------------------------------------------------ travel mode (own bike / bike share)

  document.head.appendChild(el("style", {}, [
    ".bm-modes { border: 0; padding: 0; margin: 0 0 .5rem; display: flex; flex-wrap: wrap; gap: .3rem; }",
    ".bm-modes legend { width: 100%; font-size: .8rem; font-weight: 600; margin: 0 0 .2rem; float: none; }",
    ".bm-modes label { flex: 1 1 8rem; display: flex; align-items: center; justify-content: center; gap: .35rem;",
    "  min-height: 2.5rem; padding: .3rem .5rem; border: 1px solid #6d28d9; border-radius: .4rem; color: #6d28d9;",
    "  font-size: .9rem; font-weight: 600; cursor: pointer; background: #fff; }",
    ".bm-modes input { position: absolute; opacity: 0; width: 1px; height: 1px; }",
    ".bm-modes label.bm-on { background: #6d28d9; color: #fff; }",
    ".bm-modes input:focus-visible + i { outline: 2px solid #f59e0b; outline-offset: 2px; }",
    ".bm-legs { list-style: none; padding: 0; margin: .5rem 0; }",
    ".bm-legs li { display: flex; align-items: center; gap: .5rem; padding: .35rem 0; border-bottom: 1px solid #eee; }",
    ".bm-legs li i { flex: 0 0 1.8rem; height: 1.8rem; border-radius: 50%; display: flex; align-items: center;",
    "  justify-content: center; color: #fff; background: #475569; font-size: .85rem; }",
    ".bm-legs li.bm-leg-bike i { background: #6d28d9; }",
    ".bm-legs li span { flex: 1 1 auto; overflow-wrap: anywhere; }",
    ".bm-legs small { color: #666; white-space: nowrap; }",
    ".bm-warnings { margin: .5rem 0; padding: .4rem .6rem .4rem 1.6rem; background: #fff7ed; border-left: 4px solid #f59e0b;",
    "  font-size: .85rem; }",
    ".bm-warnings li { margin: .15rem 0; }",
    ".bm-marker-station { background: #0369a1; } .bm-marker-station i { transform: rotate(45deg); color: #fff; font-size: 12px; line-height: 22px; }",
    ".bm-marker-station { display: flex; align-items: center; justify-content: center; }"
  ].join("\n")));

  var modeBox = el("fieldset", {"class": "bm-modes", id: "bm-modes"});
  modeBox.appendChild(el("legend", {}, t("travel_mode")));
  var modeInputs = {};
  [["bike", "mode_bike", "fa-bicycle"], ["bikeshare", "mode_bikeshare", "fa-ticket"]].forEach(function (m) {
    var lab = el("label", {"for": "bm-mode-" + m[0], id: "bm-mode-" + m[0] + "-label"});
    var input = el("input", {type: "radio", name: "bm-mode", value: m[0], id: "bm-mode-" + m[0]});
    lab.appendChild(input);
    lab.appendChild(el("i", {"class": "fa-solid " + m[2], "aria-hidden": "true"}));
    lab.appendChild(document.createTextNode(t(m[1])));
    modeBox.appendChild(lab);
    modeInputs[m[0]] = input;
    input.addEventListener("change", function () { if (input.checked) setMode(m[0]); });
  });
  profileSelect.parentNode.insertBefore(modeBox, profileSelect.previousElementSibling);
  var viaNote = el("p", {"class": "bm-help", id: "bm-via-note", hidden: "hidden"}, t("bs_stops_skipped"));
  pointsList.parentNode.insertBefore(viaNote, pointsList.nextSibling);
  var legsBox = el("ol", {"class": "bm-legs", id: "bm-legs", "aria-label": t("bs_legs"), hidden: "hidden"});
  var warnBox = el("ul", {"class": "bm-warnings", id: "bm-warnings", "aria-label": t("bs_warnings"), hidden: "hidden"});
  summary.parentNode.insertBefore(legsBox, summary.nextSibling);
  summary.parentNode.insertBefore(warnBox, legsBox.nextSibling);
  var stationMarkers = null;

  var routeTitle = routeSection.querySelector("h2"), routeTitleText = routeTitle ? routeTitle.textContent : "";
  var help = document.querySelector("#panel-plan .bm-help"), helpText = help ? help.textContent : "";
  function showModes() {
    if (routeTitle) routeTitle.textContent = state.mode === "bikeshare" ? t("bs_title") : routeTitleText;
    if (help) help.textContent = state.mode === "bikeshare" ? t("bs_help") : helpText;
    Object.keys(modeInputs).forEach(function (k) {
      modeInputs[k].checked = state.mode === k;
      modeInputs[k].parentNode.classList.toggle("bm-on", state.mode === k);
    });
    viaNote.hidden = !(state.mode === "bikeshare" && state.via.length);
    modeBox.hidden = !(stationCount || state.mode === "bikeshare");
  }
  function setMode(m) {
    state.mode = m === "bikeshare" ? "bikeshare" : "bike";
    showModes();
    update(false);
  }
  // the switch shows where there are stations: OpenStreetMap's, or a live feed's (stations.js)
  var stationCount = bm.layers.stations && bm.layers.stations.getLayers ? bm.layers.stations.getLayers().length : 0;
  bm.on("stations", function (fc) {
    if (fc && fc.features && fc.features.length) { stationCount = fc.features.length; showModes(); }
  });

  var WAY_COLORS = {
    cycleway: "#1a9850", path: "#66bd63", track: "#a6d96a", footway: "#999999", pedestrian: "#bbbbbb",
    steps: "#666666", living_street: "#74add1", residential: "#4575b4", service: "#91bfdb",
    unclassified: "#313695", road: "#5e6fa8", tertiary: "#fdae61", secondary: "#f46d43",
    primary: "#d73027", trunk: "#a50026"
  };

  // ------------------------------------------------------------------ points

  function fmt(x) { return (Math.round(x * 1e6) / 1e6).toString(); }
  function pointText(p) { return fmt(p.lat) + "," + fmt(p.lon); }
  function parsePoint(text) {
    var m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text || "");
    if (!m) return null;
    var lat = parseFloat(m[1]), lon = parseFloat(m[2]);
    return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? {lat: lat, lon: lon, name: null} : null;
  }
  function ordered() {
    var pts = [];
    if (state.from) pts.push({role: "from", p: state.from});
    if (state.mode !== "bikeshare") state.via.forEach(function (p, i) { pts.push({role: "via", p: p, i: i}); });
    if (state.to) pts.push({role: "to", p: state.to});
    return pts;
  }
  function dist2(a, b) {
    var k = Math.cos(a.lat * Math.PI / 180);
    var dx = (a.lon - b.lon) * k, dy = a.lat - b.lat;
    return Math.sqrt(dx * dx + dy * dy);
  }
  function insertVia(p) {
    if (state.via.length >= maxVia) { showError({code: "TooBig"}); return; }
    // where the stop adds the least straight-line detour
    var chain = [state.from].concat(state.via, [state.to]);
    var best = 0, bestCost = Infinity;
    for (var i = 0; i < chain.length - 1; i++) {
      var c = dist2(chain[i], p) + dist2(p, chain[i + 1]) - dist2(chain[i], chain[i + 1]);
      if (c < bestCost) { bestCost = c; best = i; }
    }
    state.via.splice(best, 0, p);
  }
  function addPoint(p, act, fit) {
    if (act === "from") state.from = p;
    else if (act === "to") state.to = p;
    else if (act === "via" && state.from && state.to) insertVia(p);
    else if (!state.from) state.from = p;
    else if (!state.to) state.to = p;
    else if (state.mode === "bikeshare") state.to = p;  // a bike-share trip has no stops: a new destination
    else insertVia(p);
    update(!!fit);
    // one point, no route yet: bring it into view
    if (fit && !(state.from && state.to) && !map.getBounds().contains([p.lat, p.lon])) map.panTo([p.lat, p.lon]);
  }

  // ------------------------------------------------------------------ markers and list

  function icon(role, label) {
    return L.divIcon({
      className: "", iconSize: [26, 26], iconAnchor: [13, 28], popupAnchor: [0, -26],
      html: '<div class="bm-marker bm-marker-' + role + '"><span>' + label + "</span></div>"
    });
  }
  function labelOf(item) {
    return item.role === "from" ? "A" : item.role === "to" ? "B" : String(item.i + 1);
  }
  function drawMarkers() {
    markers.forEach(function (m) { map.removeLayer(m); });
    markers = ordered().map(function (item) {
      var m = L.marker([item.p.lat, item.p.lon], {
        draggable: true, autoPan: true, icon: icon(item.role, labelOf(item)),
        title: t(item.role === "from" ? "start" : item.role === "to" ? "end" : "via"),
        keyboard: true, zIndexOffset: 1000
      });
      m.on("dragend", function () {
        var ll = m.getLatLng();
        item.p.lat = ll.lat; item.p.lon = ll.lng; item.p.name = null;
        update(false);
      });
      m.addTo(map);
      return m;
    });
  }
  function removePoint(item) {
    if (item.role === "from") state.from = null;
    else if (item.role === "to") state.to = null;
    else state.via.splice(item.i, 1);
    update(false);
  }
  function drawList() {
    pointsList.textContent = "";
    var items = ordered();
    var rows = [];
    if (!state.from) rows.push({role: "from", empty: true});
    items.forEach(function (it) { rows.push(it); });
    if (!state.to) rows.push({role: "to", empty: true});
    rows.forEach(function (item) {
      var li = el("li");
      li.appendChild(el("span", {"class": "bm-pin bm-pin-" + item.role, "aria-hidden": "true"},
                        item.empty ? (item.role === "from" ? "A" : "B") : labelOf(item)));
      var text = el("span", {"class": "bm-ptext"});
      var roleName = t(item.role === "from" ? "start" : item.role === "to" ? "end" : "via");
      text.appendChild(el("strong", {}, roleName + ": "));
      if (item.empty) text.appendChild(el("em", {}, t("not_set")));
      else text.appendChild(document.createTextNode(item.p.name || pointText(item.p)));
      li.appendChild(text);
      if (!item.empty) {
        var rm = el("button", {type: "button", "aria-label": t("remove") + " " + roleName, title: t("remove")}, "\u00d7");
        rm.addEventListener("click", function () { removePoint(item); });
        li.appendChild(rm);
      }
      pointsList.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ URL

  function planParams() {
    var p = {};
    if (state.from) p.from = pointText(state.from);
    if (state.to) p.to = pointText(state.to);
    if (state.via.length) p.via = state.via.map(pointText).join(";");
    if (state.profile !== "safe") p.profile = state.profile;
    if (state.mode === "bikeshare") p.mode = "bikeshare";
    // the points' names (a searched address, a destination), in the order from, via..., to: a shared link
    // shows the same names; "my location" is the sharer's own and stays out
    var named = [state.from].concat(state.via, [state.to]).map(function (pt) {
      return pt && pt.name && pt.nameFrom !== "gps" ? pt.name.replace(/\|/g, "/").slice(0, 80) : "";
    });
    if (named.some(Boolean)) p.names = named.join("|");
    return p;
  }
  function writeUrl() {
    var p = Object.assign(planParams(), bm.urlState);  // and what other panels keep there (a tour, a featured route)
    p.lang = bm.lang;
    var url = location.pathname + "?" + bm.query(p);
    history.replaceState(null, "", url);
    document.querySelectorAll(".bm-langs a[data-lang]").forEach(function (a) {
      var q = Object.assign(planParams(), bm.urlState);
      q.lang = a.getAttribute("data-lang");
      a.setAttribute("href", location.pathname + "?" + bm.query(q));
    });
  }
  function readUrl() {
    var q = new URLSearchParams(location.search);
    state.from = parsePoint(q.get("from"));
    state.to = parsePoint(q.get("to"));
    state.via = (q.get("via") || "").split(";").map(parsePoint).filter(Boolean).slice(0, maxVia);
    var names = (q.get("names") || "").split("|");
    if (names.length === state.via.length + 2) {  // names of other points than these are not used
      [state.from].concat(state.via, [state.to]).forEach(function (pt, i) {
        if (pt && names[i]) pt.name = names[i].slice(0, 80);
      });
    }
    var prof = q.get("profile");
    if (prof && Array.prototype.some.call(profileSelect.options, function (o) { return o.value === prof; })) {
      state.profile = prof;
    }
    profileSelect.value = state.profile;
    state.mode = q.get("mode") === "bikeshare" ? "bikeshare" : "bike";
    showModes();
    restoreNames();
  }
  // a URL holds coordinates only: a point at a destination's place (to the URL's 6 decimals)
  // gets the destination's name back once the destinations are loaded (a reload, a shared link)
  function restoreNames() {
    if (!(state.from || state.to || state.via.length)) return;
    loadDestinations().then(function (all) {
      var named = {};
      all.forEach(function (d) {
        var key = pointText(d);
        if (!(key in named)) named[key] = d.name;
      });
      var changed = false;
      [state.from, state.to].concat(state.via).forEach(function (p) {
        // a destination's own name wins over the address the reverse lookup (search.js) may have given first
        var name = p && (!p.name || p.nameFrom === "reverse") ? named[pointText(p)] : null;
        if (name && name !== p.name) { p.name = name; delete p.nameFrom; changed = true; }
      });
      if (changed) drawList();
    }).catch(function (err) {
      if (window.console) console.warn("destination names:", err && err.message);
    });
  }

  // ------------------------------------------------------------------ route

  // on a phone the panel is below the map: a small summary on the map leads to it
  var mini = L.control({position: "bottomleft"});
  mini.onAdd = function () {
    var box = L.DomUtil.create("button", "bm-mini");
    box.type = "button";
    box.hidden = true;
    box.setAttribute("aria-controls", "panel-route");
    L.DomEvent.disableClickPropagation(box);
    box.addEventListener("click", function () {
      var target = document.getElementById(box.getAttribute("aria-controls")) || routeSection;
      target.scrollIntoView({behavior: "smooth"});
    });
    return box;
  };
  mini.addTo(map);
  function showMini(text) {
    if (cover) return;  // the tour's figures stay on the chip
    setMini(text, "panel-route");
  }
  function setMini(text, target) {
    var box = mini.getContainer();
    box.setAttribute("aria-controls", target);
    box.textContent = text || "";
    box.hidden = !text;
    if (text) box.setAttribute("title", target === "panel-route" ? t("route_title") : t("tour_title"));
  }

  // ------------------------------------------------------------------ a tour (or another plan) over the route

  // While a tour is shown the A-B route is not drawn and its panel is folded away; the chip on a
  // phone shows the tour's figures. Clearing the cover brings the route back.
  var cover = null;
  function hideRoute() {
    bm.clearFeature("route");
    bm.clearFeature("route-connectors");
    clearBikeshare();
    if (bm.elevation) bm.elevation.hide();
    routeSection.hidden = true;
  }
  function setCover(name, miniText) {
    var was = cover;
    cover = name || null;
    if (cover) {
      hideRoute();
      setMini(miniText || "", "panel-" + cover);
    } else if (was) {
      setMini("", "panel-route");
      if (state.from && state.to) requestRoute(false); else routeSection.hidden = true;
    }
  }

  function showError(err) {
    routeSection.hidden = false;
    var key = "err_" + (err && err.code);
    if (state.mode === "bikeshare" && err && err.code === "NoRoute") key = "bs_err_NoRoute";
    var text = t(key);
    var which = err && err.code === "NoSegment" && pointName(err.point);
    if (which) text = t("err_NoSegment_point", {point: which});
    statusBox.textContent = text !== key ? text : (err && err.message) || t("err_network");
    statusBox.className = "bm-status bm-error";
  }
  function pointName(point) {  // the server's "from", "to", "via 2" as the panel names them
    var m = /^(from|to|via (\d+))$/.exec(point || "");
    if (!m) return null;
    if (m[2]) return t("point_via", {n: m[2]});
    var p = m[1] === "from" ? state.from : state.to;
    var name = t(m[1] === "from" ? "point_from" : "point_to");
    return p && p.name ? name + " (" + p.name + ")" : name;
  }
  // the GPX and link buttons only while there is a route to download or share
  function showActions(on) {
    gpxLink.hidden = !on;
    $("bm-share").hidden = !on;
  }
  function routeParams() {
    var p = planParams();
    p.lang = bm.lang;
    if (!p.profile) p.profile = state.profile;
    if (p.mode === "bikeshare") delete p.via;  // kept in the plan (URL) for the own bike
    return p;
  }
  function update(fit) {
    if (cover) {  // the visitor changes the plan: the tour drawn from the old one goes
      var was = cover;
      cover = null;
      setMini("", "panel-route");
      bm.emit("uncover", was);
    }
    drawMarkers();
    drawList();
    writeUrl();
    showModes();
    bm.emit("plan", {from: state.from, to: state.to, via: state.via.slice(), profile: state.profile, mode: state.mode});
    if (!(state.from && state.to)) {
      bm.clearFeature("route");
      bm.clearFeature("route-connectors");
      showActions(false);
      clearBikeshare();
      showMini("");
      routeSection.hidden = true;
      return;
    }
    requestRoute(fit);
  }
  var fitWanted = false;  // a fit asked for by a request that a newer one replaced still happens
  function requestRoute(fit) {
    if (fit) fitWanted = fit;
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    routeSection.hidden = !!cover;
    statusBox.className = "bm-status";
    statusBox.textContent = t("routing");
    document.body.classList.add("bm-busy");
    var params = routeParams();
    // up to 3 alternatives for a trip from A to B on the own bike (drawn grey by routing_extras.js)
    if (state.mode !== "bikeshare" && !state.via.length) params.alternatives = 3;
    bm.api("route", params, pending ? {signal: pending.signal} : {}).then(function (feature) {
      pending = null;
      document.body.classList.remove("bm-busy");
      statusBox.textContent = "";
      var share = feature.properties && feature.properties.mode === "bikeshare";
      var layer = share ? drawBikeshare(feature) : bm.drawFeature("route", feature, {
        style: {color: "#6d28d9", weight: 6, opacity: 0.85, lineCap: "round"}, interactive: false
      });
      if (!share) clearBikeshare();
      bm.drawConnectors("route", share ? null : feature);
      showActions(true);
      var doFit = fitWanted && !cover;
      fitWanted = false;
      if (doFit) {  // the route and every marker (a point may lie off the street it snapped to)
        var bounds = L.latLngBounds(layer.getBounds().getSouthWest(), layer.getBounds().getNorthEast());
        [state.from, state.to].concat(state.via).forEach(function (p) { if (p) bounds.extend([p.lat, p.lon]); });
        var opts = {padding: [30, 30], maxZoom: 17, animate: doFit !== "instant"};
        // the page's first fit (to the network) may still be zooming: its end would undo ours
        if (map._animatingZoom) map.once("zoomend", function () { map.fitBounds(bounds, opts); });
        else map.fitBounds(bounds, opts);
      }
      var gp = routeParams();
      gp.format = "gpx";
      if (!share) {  // named points (picked destinations) name the GPX waypoints
        var pts = [state.from].concat(state.via, [state.to]);
        if (pts.some(function (p) { return p && p.name; })) {
          gp.names = pts.map(function (p) { return ((p && p.name) || "").replace(/\|/g, "/"); }).join("|");
        }
      }
      gpxLink.setAttribute("href", bm.apiUrl("route", gp));
      if (share) showBikeshare(feature); else showRoute(feature);
      if (cover) hideRoute();  // a tour is shown: the route waits under it, undrawn
      bm.emit("route", feature);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      pending = null;
      fitWanted = false;
      document.body.classList.remove("bm-busy");
      bm.clearFeature("route");
      bm.clearFeature("route-connectors");
      clearBikeshare();
      showMini("");
      showActions(false);
      summary.textContent = ""; shares.textContent = ""; directions.textContent = "";
      gpxLink.setAttribute("href", "#");
      showError(err && err.code ? err : {code: "network"});
    });
  }
  function wayName(hw) {
    var s = t("hw_" + hw);
    return s !== "hw_" + hw ? s : hw.replace(/_/g, " ");
  }
  // ------------------------------------------------------------------ bike-share trip

  function clearBikeshare() {
    if (stationMarkers) { map.removeLayer(stationMarkers); stationMarkers = null; }
    legsBox.hidden = true; legsBox.textContent = "";
    warnBox.hidden = true; warnBox.textContent = "";
  }
  function stationName(s) { return (s && s.name) || t("station"); }
  function drawBikeshare(f) {
    var p = f.properties;
    var legs = {type: "FeatureCollection", features: p.legs.map(function (leg) {
      return {type: "Feature", properties: {mode: leg.mode}, geometry: {type: "LineString", coordinates: leg.coordinates}};
    })};
    var layer = bm.drawFeature("route", legs, {
      interactive: false,
      style: function (g) {
        return g.properties.mode === "walk"
          ? {color: "#334155", weight: 5, opacity: 0.9, dashArray: "2 9", lineCap: "round", className: "bm-leg-walk"}
          : {color: "#6d28d9", weight: 6, opacity: 0.85, lineCap: "round", className: "bm-leg-bike"};
      }
    });
    if (stationMarkers) map.removeLayer(stationMarkers);
    stationMarkers = L.layerGroup();
    [["pickup", "bs_pickup"], ["dropoff", "bs_dropoff"]].forEach(function (k) {
      var s = p.stations[k[0]];
      var text = t(k[1]) + ": " + stationName(s);
      var m = L.marker([s.location[1], s.location[0]], {
        title: text, alt: text, keyboard: true, zIndexOffset: 900,
        icon: L.divIcon({className: "bm-bs-" + k[0], iconSize: [26, 26], iconAnchor: [13, 28], popupAnchor: [0, -26],
                         html: '<div class="bm-marker bm-marker-station"><i class="fa-solid fa-bicycle" aria-hidden="true"></i></div>'})
      });
      m.bindTooltip(function () { return el("span", {}, text); }, {direction: "top", offset: [0, -26]});
      stationMarkers.addLayer(m);
    });
    stationMarkers.addTo(map);
    return layer;
  }
  function clockOf(iso) {
    var d = iso ? new Date(iso) : null;
    return d && !isNaN(d.getTime()) ? d.toLocaleTimeString(bm.lang, {hour: "2-digit", minute: "2-digit"}) : null;
  }
  function tripWarnings(p) {
    // the server's warnings (routes/bikeshare.py) in the page language, from the trip's figures
    var out = [], inc = p.included_minutes;
    if (inc !== null && inc !== undefined && p.ride_duration_s > inc * 60) {
      // minutes as the legs show them (rounded), but never "about 3 min, more than the 3 min"
      var ride = Math.round(p.ride_duration_s / 60);
      if (ride <= inc) ride = Math.ceil(p.ride_duration_s / 60);
      out.push(t("bs_warn_included", {ride: ride, inc: inc}));
    }
    if (p.stale) {
      var when = clockOf(p.last_updated);
      out.push(when ? t("bs_warn_stale", {time: when}) : t("bs_warn_stale_nodata"));
    } else if (!p.live) {
      out.push(t("bs_warn_osm"));
    }
    if (p.walk_only_duration_s !== null && p.walk_only_duration_s !== undefined && p.walk_only_duration_s <= p.duration_s) {
      out.push(t("bs_warn_walk", {time: bm.formatDuration(p.walk_only_duration_s)}));
    }
    return out;
  }
  function showBikeshare(f) {
    var p = f.properties;
    showMini(bm.formatDistance(p.distance_m) + " \u00b7 " + bm.formatDuration(p.duration_s) + " \u2193");
    summary.textContent = "";
    [[t("distance"), bm.formatDistance(p.distance_m), "bm-distance"],
     [t("duration"), bm.formatDuration(p.duration_s), "bm-duration"],
     [t("tour_riding"), bm.formatDuration(p.ride_duration_s), "bm-ride-duration"]].forEach(function (row) {
      var box = el("div");
      box.appendChild(el("dt", {}, row[0]));
      box.appendChild(el("dd", {id: row[2]}, row[1]));
      summary.appendChild(box);
    });
    shares.textContent = "";
    legsBox.textContent = "";
    var names = {pickup: stationName(p.stations.pickup), dropoff: stationName(p.stations.dropoff)};
    p.legs.forEach(function (leg, i) {
      var time = bm.formatDuration(leg.duration_s);
      var text = leg.mode === "bike" ? t("bs_ride_to", {time: time, name: names.dropoff})
        : i === 0 ? t("bs_walk_to", {time: time, name: names.pickup}) : t("bs_walk_end", {time: time});
      var li = el("li", {"class": "bm-leg-" + leg.mode});
      li.appendChild(el("i", {"class": "fa-solid " + (leg.mode === "bike" ? "fa-bicycle" : "fa-person-walking"), "aria-hidden": "true"}));
      li.appendChild(el("span", {}, text));
      li.appendChild(el("small", {}, bm.formatDistance(leg.distance_m)));
      legsBox.appendChild(li);
    });
    legsBox.hidden = false;
    warnBox.textContent = "";
    tripWarnings(p).forEach(function (w) { warnBox.appendChild(el("li", {}, w)); });
    warnBox.hidden = !warnBox.childElementCount;
    directions.textContent = "";
    (p.instructions || []).forEach(function (ins) {
      var li = el("li", {}, ins.text);
      if (ins.distance_m) li.appendChild(el("small", {}, bm.formatDistance(ins.distance_m)));
      directions.appendChild(li);
    });
  }

  function showRoute(f) {
    var p = f.properties, total = p.distance_m || 1;
    showMini(bm.formatDistance(p.distance_m) + " \u00b7 " + bm.formatDuration(p.duration_s) + " \u2193");
    summary.textContent = "";
    [[t("distance"), bm.formatDistance(p.distance_m), "bm-distance"],
     [t("duration"), bm.formatDuration(p.duration_s), "bm-duration"]].forEach(function (row) {
      var box = el("div");
      box.appendChild(el("dt", {}, row[0]));
      box.appendChild(el("dd", {id: row[2]}, row[1]));
      summary.appendChild(box);
    });
    shares.textContent = "";
    shares.appendChild(el("h3", {}, t("way_types")));
    var bar = el("div", {"class": "bm-bar", role: "img", "aria-label": t("way_types")});
    var list = el("ul");
    Object.keys(p.highway_m).forEach(function (hw) {
      var share = p.highway_m[hw] / total;
      if (share < 0.005) return;
      var color = WAY_COLORS[hw] || "#bbbbbb";
      var seg = el("span", {title: wayName(hw)});
      seg.style.width = (100 * share).toFixed(1) + "%";
      seg.style.background = color;
      bar.appendChild(seg);
      var li = el("li");
      var dot = el("span", {"class": "bm-dot"});
      dot.style.background = color;
      li.appendChild(dot);
      li.appendChild(document.createTextNode(wayName(hw) + " " + Math.round(100 * share) + "%"));
      list.appendChild(li);
    });
    shares.appendChild(bar);
    shares.appendChild(list);
    var infra = [[t("on_cycle_infra"), p.cycle_infra_m], [t("on_main_roads"), p.main_road_m], [t("pushing"), p.push_m]];
    infra.forEach(function (row) {
      if (row[1] > 0 || row[0] === t("on_cycle_infra")) {
        shares.appendChild(el("p", {"class": "bm-infra"}, row[0] + ": " + Math.round(100 * row[1] / total) + "%"));
      }
    });
    directions.textContent = "";
    (p.instructions || []).forEach(function (ins) {
      var li = el("li", {}, ins.text);
      if (ins.distance_m) li.appendChild(el("small", {}, bm.formatDistance(ins.distance_m)));
      directions.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ destinations search

  function norm(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function catName(c) {
    var s = t("cat_" + c);
    return s !== "cat_" + c ? s : c.replace(/_/g, " ");
  }
  function loadDestinations() {
    if (destinations) return Promise.resolve(destinations);
    return bm.api("destinations", {lang: bm.lang}).then(function (fc) {
      destinations = fc.features.map(function (f) {
        var pr = f.properties, cat = catName(pr.category);
        return {name: pr.name || cat, cat: cat, key: norm((pr.name || "") + " " + cat + " " + pr.category),
                lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0]};
      }).sort(function (a, b) { return a.name.localeCompare(b.name); });
      return destinations;
    });
  }
  function showResults() {
    var words = norm(search.value).split(/\s+/).filter(Boolean);
    results.textContent = "";
    if (!words.length) return;
    loadDestinations().then(function (all) {
      results.textContent = "";
      var hits = all.filter(function (d) {
        return words.every(function (w) { return d.key.indexOf(w) >= 0; });
      }).slice(0, 40);
      if (!hits.length) { results.appendChild(el("li", {"aria-disabled": "true"}, t("no_matches"))); return; }
      hits.forEach(function (d) {
        var li = el("li", {role: "option", tabindex: "0"}, d.name);
        li.appendChild(el("small", {}, d.cat));
        var pick = function () {
          addPoint({lat: d.lat, lon: d.lon, name: d.name}, null, true);
          search.value = ""; results.textContent = "";
        };
        li.addEventListener("click", pick);
        li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") pick(); });
        results.appendChild(li);
      });
    }).catch(function () { results.appendChild(el("li", {}, t("err_network"))); });
  }

  // ------------------------------------------------------------------ wiring

  // a tap that only closes an open popup does not also set a point
  var popupClosedAt = 0;
  map.on("popupclose", function () { popupClosedAt = Date.now(); });
  map.on("click", function (e) {
    if (Date.now() - popupClosedAt < 400) return;
    if (bm.reports && bm.reports.takesClicks()) return;  // the report form's point moves instead (reports.js)
    addPoint({lat: e.latlng.lat, lon: e.latlng.lng, name: null});
  });
  // "show my location" (the locate control): the first fix becomes the start when none is set
  map.on("locationfound", function (e) {
    if (!state.from) addPoint({lat: e.latlng.lat, lon: e.latlng.lng, name: t("my_location"), nameFrom: "gps"}, "from");
  });
  // "Start here" / "Go here" / "Add as stop" in a popup: the map then fits the new route
  bm.on("pick", function (d) { addPoint({lat: d.lat, lon: d.lon, name: d.name}, d.act, true); });
  profileSelect.addEventListener("change", function () { state.profile = profileSelect.value; update(false); });
  $("bm-clear").addEventListener("click", function () {
    state.from = state.to = null; state.via = []; update(false);
  });
  $("bm-reverse").addEventListener("click", function () {
    var a = state.from; state.from = state.to; state.to = a; state.via.reverse(); update(false);
  });
  $("bm-share").addEventListener("click", function () {
    var btn = this;
    var done = function () { btn.textContent = t("copied"); setTimeout(function () { btn.textContent = t("share"); }, 2000); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(location.href).then(done, done);
    else { window.prompt(t("share"), location.href); }
  });
  gpxLink.addEventListener("click", function (ev) { if (gpxLink.getAttribute("href") === "#") ev.preventDefault(); });
  search.addEventListener("input", showResults);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var first = results.querySelector("li[role=option]"); if (first) first.click(); }
  });

  // show another route of the same plan (an alternative, a matched GPX track): its line, figures,
  // directions and GPX link; gpxHref: the GPX link for it (an alternative's pick=K, a track's file)
  function showOther(feature, gpxHref) {
    bm.drawFeature("route", feature, {
      style: {color: "#6d28d9", weight: 6, opacity: 0.85, lineCap: "round"}, interactive: false
    });
    clearBikeshare();
    routeSection.hidden = false;
    statusBox.className = "bm-status";
    statusBox.textContent = "";
    gpxLink.setAttribute("href", gpxHref || "#");
    showActions(true);
    bm.drawConnectors("route", feature);
    showRoute(feature);
    bm.emit("route", feature);
  }

  bm.planner = {state: state, addPoint: addPoint, update: update, params: routeParams, setMode: setMode,
                setCover: setCover, writeUrl: writeUrl, cover: function () { return cover; },
                redraw: drawList, showOther: showOther};  // redraw: the list of points again (names found later: search.js)
  showActions(false);
  readUrl();
  update("instant");
})();
