/* Elevation chart and climb figures of the planned route (an inline SVG, no library).
 *
 * Listens to the planner's "route" event. When the route carries an elevation
 * profile (the server was started with --dem), it shows climb, descent and the
 * steepest grade below the route summary, and the profile as a chart. Moving
 * over the chart (mouse, finger, or arrow keys when it has focus) shows that
 * point of the route on the map; a tap or a drag on a phone leaves the readout
 * and the spot shown. Routes without heights show nothing new.
 *
 * Data: feature.properties.elevation_profile = [[distance_m, ele_m], ...], one
 * pair per position of the route's LineString (so index i is coordinate i).
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm) return;
  var SVG = "http://www.w3.org/2000/svg";
  var W = 340, H = 130, LEFT = 40, RIGHT = 8, TOP = 10, BOTTOM = 20;
  var MAX_POINTS = 600;  // enough for a phone-sized chart
  var box = null, marker = null, current = null;

  var t = bm.t;
  function metres(v) { return Math.round(v).toLocaleString(bm.lang) + " " + t("m"); }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function addStyle() {
    if (document.getElementById("bm-elevation-style")) return;
    var st = document.createElement("style");
    st.id = "bm-elevation-style";
    st.textContent =
      ".bm-elevation { margin: .5rem 0 .25rem; }" +
      ".bm-elevation h3 { margin-top: .25rem; }" +
      ".bm-elev-figures { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0 0 .25rem; }" +
      ".bm-elev-figures dt { font-weight: 400; font-size: .75rem; color: #555; }" +
      ".bm-elev-figures dd { margin: 0; font-weight: 600; font-size: .95rem; }" +
      ".bm-elevation svg { display: block; width: 100%; height: auto; touch-action: pan-y; cursor: crosshair; }" +
      ".bm-elevation svg:focus { outline: 2px solid #6d28d9; outline-offset: 2px; }" +
      ".bm-elevation text { font: 10px system-ui, sans-serif; fill: #444; }" +
      ".bm-elevation .bm-elev-readout { font-size: .8rem; color: #333; min-height: 1.2em; margin: .15rem 0 0; }";
    document.head.appendChild(st);
  }

  function container() {
    if (box && document.body.contains(box)) return box;
    var summary = document.getElementById("bm-summary");
    if (!summary) return null;
    addStyle();
    box = bm.el("div", {id: "bm-elevation", "class": "bm-elevation"});
    summary.parentNode.insertBefore(box, summary.nextSibling);
    return box;
  }

  function hide() {
    if (box) { box.hidden = true; box.textContent = ""; }
    if (marker) { bm.map.removeLayer(marker); marker = null; }
    current = null;
  }

  function figures(p) {
    var dl = bm.el("dl", {"class": "bm-elev-figures"});
    [[t("elev_ascent"), "\u2197 " + metres(p.ascent_m), "bm-ascent"],
     [t("elev_descent"), "\u2198 " + metres(p.descent_m), "bm-descent"],
     [t("elev_max_grade"), (Math.round(p.max_grade_pct * 10) / 10).toLocaleString(bm.lang) + " %", "bm-max-grade"]
    ].forEach(function (row) {
      var cell = bm.el("div");
      cell.appendChild(bm.el("dt", {}, row[0]));
      cell.appendChild(bm.el("dd", {id: row[2]}, row[1]));
      dl.appendChild(cell);
    });
    return dl;
  }

  // every k-th point (and the last): the chart is a few hundred pixels wide
  function thin(profile) {
    var k = Math.max(1, Math.ceil(profile.length / MAX_POINTS)), out = [];
    for (var i = 0; i < profile.length; i += k) out.push(i);
    if (out[out.length - 1] !== profile.length - 1) out.push(profile.length - 1);
    return out;
  }

  function draw(feature) {
    var p = feature.properties || {};
    var prof = p.elevation_profile;
    if (!prof || prof.length < 2) { hide(); return; }
    var b = container();
    if (!b) return;
    var total = prof[prof.length - 1][0] || 1;
    var lo = Infinity, hi = -Infinity;
    prof.forEach(function (q) { lo = Math.min(lo, q[1]); hi = Math.max(hi, q[1]); });
    var span = Math.max(hi - lo, 20);  // a flat ride still looks flat
    var y0 = lo - 0.05 * span, y1 = lo + 1.05 * span;
    var x = function (d) { return LEFT + (W - LEFT - RIGHT) * d / total; };
    var y = function (e) { return TOP + (H - TOP - BOTTOM) * (1 - (e - y0) / (y1 - y0)); };
    var idx = thin(prof);
    var line = idx.map(function (i, n) {
      return (n ? "L" : "M") + x(prof[i][0]).toFixed(1) + " " + y(prof[i][1]).toFixed(1);
    }).join("");
    var base = y(y0).toFixed(1);
    b.textContent = "";
    b.hidden = false;
    b.appendChild(bm.el("h3", {}, t("elev_title")));
    b.appendChild(figures(p));
    var label = t("elev_chart_label", {up: metres(p.ascent_m), down: metres(p.descent_m), min: metres(lo), max: metres(hi)});
    var chart = svg("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, tabindex: "0",
                            "class": "bm-elev-chart"});
    chart.appendChild(svg("title")).textContent = label;
    [hi, lo].forEach(function (e) {
      chart.appendChild(svg("line", {x1: LEFT, x2: W - RIGHT, y1: y(e), y2: y(e), stroke: "#d5d9d2", "stroke-width": 1}));
      var tx = chart.appendChild(svg("text", {x: LEFT - 4, y: y(e) + 3, "text-anchor": "end"}));
      tx.textContent = Math.round(e);
    });
    chart.appendChild(svg("path", {d: line + "L" + x(total).toFixed(1) + " " + base + "L" + LEFT + " " + base + "Z",
                                   fill: "#bbf7d0", stroke: "none", "class": "bm-elev-area"}));
    chart.appendChild(svg("path", {d: line, fill: "none", stroke: "#15803d", "stroke-width": 1.6,
                                   "stroke-linejoin": "round", "class": "bm-elev-line"}));
    var t0 = chart.appendChild(svg("text", {x: LEFT, y: H - 5}));
    t0.textContent = "0";
    var t1 = chart.appendChild(svg("text", {x: W - RIGHT, y: H - 5, "text-anchor": "end"}));
    t1.textContent = bm.formatDistance(total);
    var cursor = chart.appendChild(svg("line", {y1: TOP, y2: H - BOTTOM, stroke: "#6d28d9", "stroke-width": 1, visibility: "hidden"}));
    var dot = chart.appendChild(svg("circle", {r: 3.5, fill: "#6d28d9", visibility: "hidden"}));
    var readout = bm.el("p", {"class": "bm-elev-readout", "aria-live": "off"});
    b.appendChild(chart);
    b.appendChild(readout);
    current = {feature: feature, prof: prof, total: total, chart: chart, cursor: cursor, dot: dot, readout: readout,
               x: x, y: y, at: -1};
    chart.addEventListener("pointermove", pointer);
    chart.addEventListener("pointerdown", function (ev) {
      // a finger keeps the chart while it drags, even off its edge
      if (ev.pointerType !== "mouse" && chart.setPointerCapture) {
        try { chart.setPointerCapture(ev.pointerId); } catch (err) { /* an ended pointer */ }
      }
      pointer(ev);
    });
    // a mouse leaving clears the readout; a finger lifted leaves it, and the spot on the map, until the next tap
    chart.addEventListener("pointerleave", function (ev) { if (ev.pointerType === "mouse") show(-1); });
    chart.addEventListener("blur", function () { show(-1); });
    chart.addEventListener("keydown", key);
  }

  // the profile index nearest to distance d (the distances only grow)
  function nearest(prof, d) {
    var a = 0, z = prof.length - 1;
    while (z - a > 1) {
      var m = (a + z) >> 1;
      if (prof[m][0] < d) a = m; else z = m;
    }
    return d - prof[a][0] <= prof[z][0] - d ? a : z;
  }

  function pointer(ev) {
    if (!current) return;
    var r = current.chart.getBoundingClientRect();
    if (!r.width) return;
    var vx = (ev.clientX - r.left) / r.width * W;
    var d = (vx - LEFT) / (W - LEFT - RIGHT) * current.total;
    show(nearest(current.prof, Math.min(Math.max(d, 0), current.total)));
  }

  function key(ev) {
    if (!current) return;
    var step = current.total / 50;
    var d = current.at >= 0 ? current.prof[current.at][0] : 0;
    if (ev.key === "ArrowRight") d += step;
    else if (ev.key === "ArrowLeft") d -= step;
    else if (ev.key === "Home") d = 0;
    else if (ev.key === "End") d = current.total;
    else return;
    ev.preventDefault();
    show(nearest(current.prof, Math.min(Math.max(d, 0), current.total)));
  }

  function show(i) {
    var c = current;
    if (!c) return;
    c.at = i;
    var vis = i >= 0 ? "visible" : "hidden";
    c.cursor.setAttribute("visibility", vis);
    c.dot.setAttribute("visibility", vis);
    if (i < 0) {
      c.readout.textContent = "";
      if (marker) { bm.map.removeLayer(marker); marker = null; }
      return;
    }
    var q = c.prof[i], px = c.x(q[0]).toFixed(1);
    c.cursor.setAttribute("x1", px);
    c.cursor.setAttribute("x2", px);
    c.dot.setAttribute("cx", px);
    c.dot.setAttribute("cy", c.y(q[1]).toFixed(1));
    c.readout.textContent = bm.formatDistance(q[0]) + " \u00b7 " + metres(q[1]);
    var pos = c.feature.geometry && c.feature.geometry.coordinates[i];
    if (!pos) return;
    var ll = [pos[1], pos[0]];
    if (!marker) {
      marker = L.circleMarker(ll, {radius: 7, color: "#fff", weight: 2, fillColor: "#6d28d9", fillOpacity: 1,
                                   interactive: false, className: "bm-elev-spot"}).addTo(bm.map);
    } else {
      marker.setLatLng(ll);
    }
    if (!bm.map.getBounds().contains(ll)) bm.map.panTo(ll, {animate: false});  // the spot stays in sight
  }

  bm.on("plan", hide);
  bm.on("route", draw);
  bm.elevation = {draw: draw, hide: hide, marker: function () { return marker; }};
})();
