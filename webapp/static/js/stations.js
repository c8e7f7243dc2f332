/* Live bike-share stations: counts from GET /api/stations in the station popups.
 *
 * When the server has a GBFS feed (GBFS_URL), the stations layer shows the
 * feed's stations as rounded squares with a "bikes/docks" badge, coloured by
 * what they can do now (teal: bikes and free docks; red: no bikes; blue: no
 * free docks; grey: neither), each state in the legend; refreshed every minute.
 * A stale feed (the server could not read it lately) is said in the panel.
 * Every text goes in through textContent: names from a feed are never HTML.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm || !window.L) return;
  var REFRESH_MS = 60000;
  var osmHidden = false;
  var layer = null;

  var t = bm.t;

  function clock(iso) {
    if (!iso) return "?";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "?";
    return d.toLocaleTimeString(bm.lang, {hour: "2-digit", minute: "2-digit"});
  }

  // a station is a rounded square with a bicycle and a "bikes/docks" badge, never a circle (circles are
  // destinations); its colour says what it can do now. Every state is in the legend.
  var STATES = ["ok", "no_bikes", "no_docks", "closed"];
  function stateOf(p) {
    if (p.can_rent && p.can_return) return "ok";
    if (p.can_return) return "no_bikes";
    if (p.can_rent) return "no_docks";
    return "closed";
  }
  function count(v) { return v === null || v === undefined ? "?" : String(v); }
  function stationHtml(state, bikes, docks) {
    var box = bm.el("div", {"class": "bm-st bm-st-" + state.replace("_", "-")});
    box.appendChild(bm.el("i", {"class": "fa-solid fa-bicycle", "aria-hidden": "true"}));
    box.appendChild(bm.el("b", {"class": "bm-st-count"}, bikes + "/" + docks));
    return box;
  }
  function stationIcon(p) {
    var box = stationHtml(stateOf(p), count(p.num_bikes_available), count(p.num_docks_available));
    return L.divIcon({className: "bm-st-icon", html: box.outerHTML, iconSize: [0, 0], iconAnchor: [0, 0], popupAnchor: [0, -12]});
  }
  document.head.appendChild(bm.el("style", {}, [
    ".bm-st-icon { background: none; border: 0; }",
    ".bm-st { display: inline-flex; align-items: center; gap: 3px; height: 22px; padding: 0 5px; border-radius: 5px;",
    "  border: 2px solid #fff; box-shadow: 0 1px 4px rgba(0,0,0,.45); color: #fff; font: 700 11px/1 system-ui, sans-serif;",
    "  white-space: nowrap; }",
    ".bm-st i { font-size: 11px; }",
    ".bm-st-ok { background: #0f766e; } .bm-st-no-bikes { background: #b91c1c; }",
    ".bm-st-no-docks { background: #1d4ed8; } .bm-st-closed { background: #6b7280; }",
    ".bm-legend .bm-st { box-shadow: none; margin: 0 .1rem; }",
    ".bm-st-icon .bm-st { transform: translate(-50%, -50%); }",  // centred on the station
    // zoomed out, the badge's counts would cover the streets a visitor taps: a small square only
    ".bm-st-far .bm-st-icon .bm-st-count { display: none; }",
    ".bm-st-far .bm-st-icon .bm-st { padding: 0 4px; height: 18px; }"
  ].join("\n")));
  var COUNTS_FROM_ZOOM = 15;
  function zoomClass() {
    bm.map.getContainer().classList.toggle("bm-st-far", bm.map.getZoom() < COUNTS_FROM_ZOOM);
  }
  bm.map.on("zoomend", zoomClass);
  zoomClass();
  function legend() {  // once, under the OpenStreetMap station entry
    var list = document.querySelector("#panel-legend ul");
    if (!list || document.getElementById("bm-legend-live")) return;
    var samples = {ok: ["4", "6"], no_bikes: ["0", "10"], no_docks: ["10", "0"], closed: ["0", "0"]};
    STATES.forEach(function (st, i) {
      var li = bm.el("li", i === 0 ? {id: "bm-legend-live", "data-state": st} : {"data-state": st});
      li.appendChild(stationHtml(st, samples[st][0], samples[st][1]));
      li.appendChild(document.createTextNode(t("live_legend_" + st)));
      list.appendChild(li);
    });
  }

  function popup(f) {
    var p = f.properties, el = bm.el;
    var lon = f.geometry.coordinates[0], lat = f.geometry.coordinates[1];
    var box = el("div", {"class": "bm-popup bm-station", "data-station": String(p.station_id)});
    box.appendChild(el("strong", {"class": "bm-name"}, p.name || t("station")));
    box.appendChild(el("div", {"class": "bm-cat"}, t("station")));
    var live = el("div", {"class": "bm-live"});
    live.appendChild(el("div", {"class": "bm-live-bikes"},
      t("live_bikes", {n: p.num_bikes_available === null ? "?" : p.num_bikes_available})));
    if (p.num_docks_available !== null && p.num_docks_available !== undefined) {
      live.appendChild(el("div", {"class": "bm-live-docks"}, t("live_docks", {n: p.num_docks_available})));
    }
    if (p.is_renting === false) live.appendChild(el("div", {"class": "bm-live-off"}, t("live_not_renting")));
    if (p.is_returning === false) live.appendChild(el("div", {"class": "bm-live-off"}, t("live_not_returning")));
    if (p.last_reported) live.appendChild(el("div", {"class": "bm-note"}, t("live_updated", {time: clock(p.last_reported)})));
    box.appendChild(live);
    var acts = el("div", {"class": "bm-actions", "data-lat": String(lat), "data-lon": String(lon)});
    [["from", "start_here"], ["to", "go_here"]].forEach(function (a) {
      acts.appendChild(el("button", {type: "button", "class": "bm-act", "data-act": a[0]}, bm.t(a[1])));
    });
    box.appendChild(acts);
    return box;
  }

  function notice(fc) {
    var id = "bm-live-stale";
    var old = document.getElementById(id);
    if (!fc.stale) { if (old) old.remove(); return; }
    var sec = bm.section("stations", t("layer_stations"));
    var p = old || bm.el("p", {id: id, "class": "bm-status bm-stale", role: "status"});
    p.textContent = t("live_stale", {time: clock(fc.last_good)});
    if (!old) sec.appendChild(p);
  }

  function draw(fc) {
    if (!fc || !fc.live) return;  // OpenStreetMap stations: the map already shows them
    if (!osmHidden && bm.layers.stations) { bm.map.removeLayer(bm.layers.stations); osmHidden = true; }
    var open = null;
    if (layer) {
      layer.eachLayer(function (m) { if (m.isPopupOpen && m.isPopupOpen()) open = m.feature.properties.station_id; });
    }
    layer = bm.drawFeature("live-stations", fc, {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        var label = (p.name || t("station")) + ": " +
          t("live_badge", {bikes: count(p.num_bikes_available), docks: count(p.num_docks_available)});
        return L.marker(latlng, {icon: stationIcon(p), title: label, alt: label, keyboard: true, riseOnHover: true});
      },
      onEachFeature: function (f, m) {
        m.bindPopup(function () { return popup(f); });
        // a tooltip only where there is hover: on a touch screen it stays open over the map
        if (window.matchMedia && window.matchMedia("(hover: hover)").matches) {
          m.bindTooltip(function () { return bm.el("span", {}, f.properties.name || ""); });
        }
        if (open !== null && f.properties.station_id === open) setTimeout(function () { m.openPopup(); }, 0);
      }
    });
    legend();
    notice(fc);
    bm.emit("stations", fc);
  }

  function refresh() {
    bm.api("stations", {lang: bm.lang}).then(draw).catch(function (err) {
      if (window.console) console.warn("stations:", err && err.message);
    });
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
