/* Places, streets and addresses in the search box, and names for tapped or dragged points.
 *
 * The planner's own list (#bm-results) finds curated destinations; this adds, below it,
 * what GET /api/search finds in the map's data (towns, streets, "Landstrasse 117, Vaduz"),
 * nearest to the map view first. Picking one sets the start, then the destination, then a stop.
 * A point set by a tap or a drag gets the name GET /api/reverse gives (address, else street
 * and place, else place): shown in the panel, the directions, the GPX waypoints and after a shared
 * link's reload;
 * then the event "names" tells the other panels (the tour's start).
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  var input = document.getElementById("bm-search");
  var destList = document.getElementById("bm-results");
  if (!bm || !bm.planner || !input || !destList) return;
  var t = bm.t, el = bm.el;

  var list = el("ul", {id: "bm-place-results", "class": "bm-results", role: "listbox", "aria-label": t("place_results")});
  destList.parentNode.insertBefore(list, destList.nextSibling);
  var timer = null, seq = 0;

  function kindName(kind) {
    var s = t("kind_" + kind);
    return s === "kind_" + kind ? kind : s;
  }

  function pick(f) {
    var c = f.geometry.coordinates;
    bm.planner.addPoint({lat: c[1], lon: c[0], name: f.properties.label}, null, true);
    input.value = "";
    list.textContent = "";
    destList.textContent = "";
  }

  // the planner says "no destination matches" while places match: hide that line then
  function tidy() {
    var only = destList.children.length === 1 && destList.firstChild.getAttribute("aria-disabled") === "true";
    if (only) destList.firstChild.hidden = list.children.length > 0;
  }
  new MutationObserver(tidy).observe(destList, {childList: true});

  function show(fc, mine, q) {
    if (mine !== seq) return;  // an older answer after a newer query
    list.textContent = "";
    list.setAttribute("data-for", q);  // the query these results answer (a test waits for its own)
    (fc.features || []).forEach(function (f) {
      var li = el("li", {role: "option", tabindex: "0", "class": "bm-place", "data-kind": f.properties.kind},
                  f.properties.label);
      li.appendChild(el("small", {}, kindName(f.properties.kind)));
      li.addEventListener("click", function () { pick(f); });
      li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") pick(f); });
      list.appendChild(li);
    });
    tidy();
  }

  function query() {
    var q = input.value.trim();
    var mine = ++seq;
    if (!q) { list.textContent = ""; tidy(); return; }
    var c = bm.map.getCenter();
    bm.api("search", {q: q.slice(0, 100), near: c.lat.toFixed(5) + "," + c.lng.toFixed(5), lang: bm.lang, limit: 8})
      .then(function (fc) { show(fc, mine, q); })
      .catch(function () { if (mine === seq) list.textContent = ""; });
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(query, 120); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || destList.querySelector("li[role=option]")) return;
    var first = list.querySelector("li[role=option]");
    if (first) first.click();
  });

  // ------------------------------------------------------------------ names of tapped points

  var names = {};  // "lat,lon" (6 decimals) -> label, or null while asking
  var again = null;
  function key(p) { return p.lat.toFixed(6) + "," + p.lon.toFixed(6); }
  // the GPX link names its waypoints (as the planner does when it gets a route)
  function renameGpx() {
    var a = document.getElementById("bm-gpx");
    var href = a && a.getAttribute("href");
    if (!href || href === "#") return;
    var u = new URL(href, location.href);
    if (u.searchParams.get("mode") === "bikeshare") return;
    var st = bm.planner.state;
    var pts = [st.from].concat(st.via, [st.to]);
    u.searchParams.set("names", pts.map(function (p) { return ((p && p.name) || "").replace(/\|/g, "/"); }).join("|"));
    a.setAttribute("href", u.pathname + u.search);
  }
  function refresh() {  // once, after the current update: the list of points and the GPX link get the names
    clearTimeout(again);
    again = setTimeout(function () {
      if (bm.planner.redraw) bm.planner.redraw(); else bm.planner.update(false);
      renameGpx();
      bm.emit("names", bm.planner.state);
    }, 30);
  }

  function nameUnnamed(plan) {
    var points = [plan.from, plan.to].concat(plan.via || []).filter(function (p) { return p && !p.name; });
    points.forEach(function (p) {
      var k = key(p);
      if (names[k]) { p.name = names[k]; p.nameFrom = "reverse"; refresh(); return; }
      if (k in names) return;
      names[k] = null;
      bm.api("reverse", {at: k, lang: bm.lang}).then(function (f) {
        var label = f.properties && f.properties.label;
        if (!label) return;
        names[k] = label;
        var st = bm.planner.state, changed = false;
        [st.from, st.to].concat(st.via).forEach(function (q) {
          if (q && !q.name && key(q) === k) { q.name = label; q.nameFrom = "reverse"; changed = true; }
        });
        if (changed) refresh();
      }).catch(function () { delete names[k]; });
    });
  }
  // the directions say where they start, stop and arrive: "Arrive at your destination · Städtle 32, Vaduz"
  var lastRoute = null;
  function annotateDirections() {
    var list = document.getElementById("bm-directions");
    var p = lastRoute && lastRoute.properties;
    if (!list || !p || p.mode === "bikeshare" || !p.instructions) return;
    var st = bm.planner.state, via = 0;
    p.instructions.forEach(function (ins, i) {
      var li = list.children[i];
      var point = ins.type === "depart" ? st.from : ins.type === "arrive" ? st.to : ins.type === "via" ? st.via[via++] : null;
      if (!li || !point || !point.name) return;
      var span = li.querySelector(".bm-dir-place") || el("span", {"class": "bm-dir-place"});
      span.textContent = " · " + point.name;
      if (!span.parentNode) li.insertBefore(span, li.firstChild.nextSibling);
    });
  }
  bm.on("route", function (f) { lastRoute = f; annotateDirections(); });
  bm.on("names", annotateDirections);
  bm.on("plan", nameUnnamed);
  nameUnnamed(bm.planner.state);
})();
