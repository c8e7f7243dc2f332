/* Routing extras on the map page (webapp/routing_extras.py, routes/ alternatives, reach, matching):
 *
 * - honest snapping: a point that had to move more than 50 m to its street gets a note in the
 *   panel (the dashed connector to the street is bikemap.js's, for every point off its street);
 * - alternatives: /api/route?alternatives=3 lists other routes; they are drawn grey, and a tap
 *   (on the line or its row in the panel) picks one: its figures, directions and GPX follow;
 * - surfaces: paved / gravel / unpaved / unknown shares and the longest unpaved stretch;
 * - "What can I reach?": polygons from /api/reach for the start point or a bike-share station
 *   (a station uses the ticket's included minutes), destinations inside highlighted;
 * - "Open a GPX track": the file is matched to the streets (POST /api/match) and shown as a route.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm || !bm.planner) return;
  var map = bm.map, t = bm.t, el = bm.el;
  var $ = function (id) { return document.getElementById(id); };
  var gpxLink = $("bm-gpx"), shares = $("bm-shares"), statusBox = $("bm-status");

  document.head.appendChild(el("style", {}, [
    ".bm-alts { list-style: none; padding: 0; margin: .5rem 0; }",
    ".bm-alts button { width: 100%; text-align: left; border: 1px solid #cbd5e1; background: #fff; border-radius: .4rem;",
    "  padding: .35rem .5rem; margin: .15rem 0; font-size: .9rem; min-height: 2.4rem; }",
    ".bm-alts button[aria-pressed=true] { border-color: #6d28d9; background: #f5f3ff; font-weight: 600; }",
    ".bm-surfaces ul { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .2rem .8rem; }",
    ".bm-surfaces .bm-dot { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin-right: .3rem; }",
    ".bm-reach-row { display: flex; gap: .4rem; align-items: center; flex-wrap: wrap; margin: .3rem 0; }",
    ".bm-reach-row input { width: 5rem; }",
    ".bm-reach-list { font-size: .85rem; max-height: 12rem; overflow: auto; padding-left: 1.2rem; }"
  ].join("\n")));

  // ------------------------------------------------------------------ panel parts

  var snapNote = el("p", {id: "bm-snapnote", "class": "bm-help", hidden: "hidden"});
  statusBox.parentNode.insertBefore(snapNote, statusBox.nextSibling);
  var altBox = el("ol", {id: "bm-alternatives", "class": "bm-alts", hidden: "hidden", "aria-label": t("alternatives")});
  shares.parentNode.insertBefore(altBox, shares);
  var surfaceBox = el("div", {id: "bm-surfaces", "class": "bm-surfaces", hidden: "hidden"});
  shares.parentNode.insertBefore(surfaceBox, shares.nextSibling);

  var SURFACE_COLORS = {paved: "#475569", gravel: "#b45309", unpaved: "#65a30d", unknown: "#cbd5e1"};
  var set = null;        // the routes of the plan: {routes: [best, ...], current: k, gpx: GPX link of the best}
  var picking = false;   // a "route" event that a pick itself caused
  var altLayer = null;
  // the grey lines are SVG (the map draws on a canvas): each is an element a tap lands on
  var altRenderer = L.svg({padding: 0.5});

  function roleName(role) {
    return role === "from" ? t("start") : role === "to" ? t("end") : t("via");
  }

  // a point moved more than 50 m onto a street that leads on: say so (bikemap.drawConnectors draws
  // the dashed line from the point to where the route starts, for every point off its street)
  function showSnaps(p) {
    snapNote.textContent = "";
    var moved = (p.waypoints || []).filter(function (w) { return w.moved; });
    snapNote.hidden = !moved.length;
    moved.forEach(function (w) {
      snapNote.appendChild(el("span", {"class": "bm-snapmoved"},
        t("snap_moved", {point: roleName(w.role), dist: bm.formatDistance(w.snapped_m)}) + " "));
    });
  }

  function showSurfaces(p) {
    surfaceBox.textContent = "";
    var sc = p.surface_classes_m;
    surfaceBox.hidden = !sc;
    if (!sc) return;
    var total = p.distance_m || 1;
    surfaceBox.appendChild(el("h3", {}, t("surfaces")));
    var bar = el("div", {"class": "bm-bar", role: "img", "aria-label": t("surfaces")});
    var list = el("ul");
    ["paved", "gravel", "unpaved", "unknown"].forEach(function (k) {
      var share = (sc[k] || 0) / total;
      if (share < 0.005) return;
      var seg = el("span", {title: t("surface_" + k)});
      seg.style.width = (100 * share).toFixed(1) + "%";
      seg.style.background = SURFACE_COLORS[k];
      bar.appendChild(seg);
      var li = el("li", {"data-surface": k});
      var dot = el("span", {"class": "bm-dot"});
      dot.style.background = SURFACE_COLORS[k];
      li.appendChild(dot);
      li.appendChild(document.createTextNode(t("surface_" + k) + " " + Math.round(100 * share) + "%"));
      list.appendChild(li);
    });
    surfaceBox.appendChild(bar);
    surfaceBox.appendChild(list);
    surfaceBox.appendChild(el("p", {id: "bm-unpaved", "class": "bm-infra"},
      t("longest_unpaved", {dist: bm.formatDistance(p.longest_unpaved_m || 0)})));
  }

  // ------------------------------------------------------------------ alternatives

  function clearAlternatives() {
    if (altLayer) { map.removeLayer(altLayer); altLayer = null; }
    altBox.textContent = "";
    altBox.hidden = true;
  }

  function drawAlternatives() {
    clearAlternatives();
    if (!set || set.routes.length < 2) return;
    altLayer = L.layerGroup();
    set.routes.forEach(function (f, k) {
      var p = f.properties;
      var label = t("alt_route", {n: k + 1}) + ": " + bm.formatDistance(p.distance_m) + " \u00b7 " + bm.formatDuration(p.duration_s);
      if (k !== set.current) {
        var line = L.geoJSON(f, {className: "bm-alt-line", renderer: altRenderer,
                                 style: {color: "#64748b", weight: 6, opacity: 0.65, lineCap: "round"}});
        line.on("click", function (ev) { L.DomEvent.stopPropagation(ev); pick(k); });
        line.bindTooltip(label, {sticky: true});
        line.addTo(altLayer);
      }
      var btn = el("button", {type: "button", "data-alt": String(k), "aria-pressed": k === set.current ? "true" : "false"}, label);
      btn.addEventListener("click", function () { pick(k); });
      var li = el("li");
      li.appendChild(btn);
      altBox.appendChild(li);
    });
    altLayer.addTo(map);
    altLayer.eachLayer(function (l) { if (l.bringToBack) l.bringToBack(); });
    altBox.hidden = false;
  }

  function pick(k) {
    if (!set || !set.routes[k]) return;
    set.current = k;
    var href = set.gpx;
    if (k && href && href !== "#") href += (href.indexOf("?") >= 0 ? "&" : "?") + "alternatives=3&pick=" + k;
    picking = true;
    try { bm.planner.showOther(set.routes[k], href); } finally { picking = false; }
    drawAlternatives();
  }

  bm.on("route", function (f) {
    var p = (f && f.properties) || {};
    showSnaps(p);
    showSurfaces(p);
    if (picking) return;
    set = null;
    if (p.alternatives && p.alternatives.length) {
      set = {routes: [f].concat(p.alternatives), current: 0, gpx: gpxLink.getAttribute("href")};
    }
    drawAlternatives();
  });
  bm.on("plan", function (plan) {
    if (!(plan.from && plan.to)) {
      set = null; clearAlternatives(); showSnaps({}); surfaceBox.hidden = true;
    }
  });

  // ------------------------------------------------------------------ what can I reach?

  var reachBox = bm.section("reach", t("reach_title"));
  reachBox.appendChild(el("p", {"class": "bm-help"}, t("reach_help")));
  var row = el("div", {"class": "bm-reach-row"});
  var minutesInput = el("input", {id: "bm-reach-minutes", type: "number", min: "1", max: "120", step: "1", value: "15",
                                  "class": "form-control form-control-sm"});
  row.appendChild(el("label", {"for": "bm-reach-minutes", "class": "bm-label"}, t("reach_minutes")));
  row.appendChild(minutesInput);
  var fromStart = el("button", {type: "button", id: "bm-reach-start", "class": "btn btn-sm btn-outline-primary"}, t("reach_from_start"));
  var clearReach = el("button", {type: "button", id: "bm-reach-clear", "class": "btn btn-sm btn-outline-secondary", hidden: "hidden"}, t("clear"));
  row.appendChild(fromStart);
  row.appendChild(clearReach);
  reachBox.appendChild(row);
  var reachStatus = el("p", {id: "bm-reach-status", "class": "bm-status", role: "status"});
  var reachList = el("ul", {id: "bm-reach-list", "class": "bm-reach-list"});
  reachBox.appendChild(reachStatus);
  reachBox.appendChild(reachList);
  var destinations = null, destLayer = null;

  function minutesWanted() {
    var v = Math.round(parseFloat(minutesInput.value));
    return v >= 1 && v <= 120 ? v : 15;
  }

  function loadDestinations() {
    if (destinations) return Promise.resolve(destinations);
    return bm.api("destinations", {lang: bm.lang}).then(function (fc) { destinations = fc.features; return destinations; });
  }

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inGeometry(pt, g) {
    var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polys.some(function (rings) {
      return inRing(pt[0], pt[1], rings[0]) && !rings.slice(1).some(function (h) { return inRing(pt[0], pt[1], h); });
    });
  }

  function clearReachLayers() {
    bm.clearFeature("reach");
    if (destLayer) { map.removeLayer(destLayer); destLayer = null; }
    reachList.textContent = "";
    reachStatus.textContent = "";
    clearReach.hidden = true;
  }

  function reachFrom(lat, lon, minutes, note) {
    clearReachLayers();
    reachStatus.textContent = t("reach_busy");
    var params = {from: lat.toFixed(6) + "," + lon.toFixed(6), minutes: String(minutes), profile: bm.planner.state.profile};
    return bm.api("reach", params).then(function (fc) {
      var top = fc.features[fc.features.length - 1];
      bm.drawFeature("reach", fc, {
        interactive: false, className: "bm-reach-area",
        style: {color: "#0f766e", weight: 2, opacity: 0.8, fillColor: "#14b8a6", fillOpacity: 0.15}
      });
      clearReach.hidden = false;
      return loadDestinations().then(function (all) {
        var inside = all.filter(function (d) { return inGeometry(d.geometry.coordinates, top.geometry); });
        destLayer = L.layerGroup();
        inside.forEach(function (d) {
          var c = d.geometry.coordinates;
          L.circleMarker([c[1], c[0]], {radius: 7, color: "#0f766e", weight: 3, fillColor: "#fde047", fillOpacity: 0.9,
                                        className: "bm-reach-dest"})
            .bindTooltip(d.properties.name || d.properties.category || "").addTo(destLayer);
        });
        destLayer.addTo(map);
        var mins = top.properties.minutes;
        reachStatus.textContent = (note ? note + " " : "") + t("reach_result", {n: inside.length, min: Math.round(mins)});
        inside.slice(0, 50).forEach(function (d) {
          reachList.appendChild(el("li", {}, d.properties.name || d.properties.category || ""));
        });
        map.fitBounds(L.geoJSON(top).getBounds(), {padding: [20, 20], maxZoom: 16});
      });
    }).catch(function (err) {
      var key = "err_" + (err && err.code);
      reachStatus.textContent = t(key) !== key ? t(key) : (err && err.message) || t("err_network");
      throw err;
    });
  }

  fromStart.addEventListener("click", function () {
    var s = bm.planner.state.from;
    if (!s) { reachStatus.textContent = t("reach_start_needed"); return; }
    reachFrom(s.lat, s.lon, minutesWanted()).catch(function () {});
  });
  clearReach.addEventListener("click", clearReachLayers);

  // bike-share station popups get "What can I reach with the ticket?"
  map.on("popupopen", function (ev) {
    var root = ev.popup.getElement && ev.popup.getElement();
    var box = root && root.querySelector(".bm-station .bm-actions, .bm-station-live .bm-actions");
    if (!box || box.querySelector(".bm-reach-station")) return;
    box.appendChild(el("button", {type: "button", "class": "bm-reach-station"}, t("reach_station")));
  });
  map.getContainer().addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest(".bm-reach-station");
    if (!btn) return;
    var box = btn.closest(".bm-actions");
    var lat = parseFloat(box.getAttribute("data-lat")), lon = parseFloat(box.getAttribute("data-lon"));
    map.closePopup();
    // the ticket's included minutes come from the live feed; without one, the minutes typed here
    // (without a feed at all the page knows it, and asks for no ticket the server would refuse)
    function typed() {
      reachFrom(lat, lon, minutesWanted(), t("reach_no_ticket", {min: minutesWanted()})).catch(function () {});
    }
    if (bm.config.liveStations === false) { typed(); return; }
    reachFrom(lat, lon, "ticket").catch(function (err) {
      if (err && err.code === "InvalidValue") typed();
    });
  });

  // ------------------------------------------------------------------ open a GPX track

  var plan = $("panel-plan");
  var fileLabel = el("label", {"class": "bm-label", "for": "bm-gpx-file"}, t("open_gpx"));
  var fileInput = el("input", {id: "bm-gpx-file", type: "file", accept: ".gpx,.geojson,.json,application/gpx+xml,application/geo+json",
                               "class": "form-control form-control-sm"});
  plan.appendChild(fileLabel);
  plan.appendChild(fileInput);
  plan.appendChild(el("p", {"class": "bm-help"}, t("open_gpx_help")));

  function postTrack(body, type, params) {
    var url = bm.apiUrl("match", params);
    return fetch(url, {method: "POST", body: body, headers: {"Content-Type": type}}).then(function (resp) {
      if (resp.ok) return params.format === "gpx" ? resp.blob() : resp.json();
      return resp.json().catch(function () { return {}; }).then(function (b) {
        var err = (b && b.error) || {code: "HTTP" + resp.status, message: resp.statusText};
        throw err;
      });
    });
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) return;
    var type = /\.(geo)?json$/i.test(file.name) ? "application/geo+json" : "application/gpx+xml";
    var params = {lang: bm.lang, profile: bm.planner.state.profile};
    $("panel-route").hidden = false;
    statusBox.className = "bm-status";
    statusBox.textContent = t("matching");
    file.text().then(function (text) {
      return postTrack(text, type, params).then(function (feature) {
        set = null;
        clearAlternatives();
        bm.planner.showOther(feature, "#");
        statusBox.textContent = t("match_title", {name: file.name});
        if (feature.properties.closed_m > 0) {  // the track rides streets closed now (staff closures)
          statusBox.textContent += " " + t("match_closed", {dist: bm.formatDistance(feature.properties.closed_m)});
        }
        var gp = {lang: bm.lang, profile: params.profile, format: "gpx"};
        return postTrack(text, type, gp).then(function (blob) {
          gpxLink.setAttribute("href", URL.createObjectURL(blob));
        });
      });
    }).catch(function (err) {
      var key = "err_" + (err && err.code);
      statusBox.className = "bm-status bm-error";
      statusBox.textContent = (t(key) !== key ? t(key) : t("err_InvalidFile")) + (err && err.message ? " (" + err.message + ")" : "");
    });
  });
})();
