/* Tour panel: a discovery tour in a time budget, the best order of chosen places, or a round trip.
 *
 * The tour starts at the route planner's start (A) and, when asked, ends at its end (B).
 * It calls GET /api/tour, draws the line with numbered stops, lists a timeline
 * (ride 12 min, visit 30 min...) and offers the GPX. Uses window.bikemap (bikemap.js).
 * When the live bike-share feed (stations.js, "stations" event) says how many minutes a ticket
 * includes, a discovery tour can take them as its budget (budget=included), and the tour's
 * warnings (riding longer than those minutes) are shown.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm) return;
  var map = bm.map, t = bm.t, el = bm.el;
  var state = {mode: "discovery", places: [], interests: {}};
  var destinations = null, categories = null, markers = null, pending = null, weights = {};

  var css = el("style", {}, [
    ".bm-marker-tour { background: #ea580c; } .bm-pin-tour { background: #ea580c; }",
    ".bm-check { display: block; font-size: .85rem; margin: .3rem 0; }",
    ".bm-tour-interests { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0 .9rem; }",
    ".bm-tour-interests legend { width: 100%; } .bm-tour-cat { display: inline-block; }",
    ".bm-tour-timeline { list-style: none; padding: 0; margin: .5rem 0 0; font-size: .85rem; }",
    ".bm-tour-timeline li { display: flex; align-items: center; gap: .4rem; padding: .25rem 0; border-bottom: 1px solid #f0f0f0; }",
    ".bm-tour-timeline .bm-tl-ride, .bm-tour-timeline .bm-tl-wait { color: #555; padding-left: 2rem; }",
    ".bm-tour-timeline .bm-pin { flex: 0 0 1.5rem; height: 1.5rem; border-radius: 50%; color: #fff; font-weight: 700;",
    "  font-size: .75rem; display: flex; align-items: center; justify-content: center; }",
    ".bm-tour-timeline small { color: #666; margin-left: auto; white-space: nowrap; }",
    ".bm-tour-timeline .bm-tl-closed { flex-wrap: wrap; } .bm-tl-closed-note { color: #b91c1c; width: 100%; padding-left: 1.9rem; }",
    ".bm-tour-interest { display: inline-flex; align-items: center; }",
    ".bm-tour-interest select { font-size: .75rem; padding: 0 .2rem; margin-left: .25rem; border: 1px solid #ccc; border-radius: .25rem; }",
    ".bm-tour-interest select[hidden] { display: none; }"
  ].join("\n"));
  document.head.appendChild(css);

  var box = bm.section("tour", t("tour_title"));
  box.setAttribute("aria-live", "polite");

  function labelled(id, text, input) {
    var wrap = el("div");
    wrap.appendChild(el("label", {"class": "bm-label", "for": id}, text));
    input.id = id;
    wrap.appendChild(input);
    return wrap;
  }

  // ------------------------------------------------------------------ form

  var modeSel = el("select", {"class": "form-select form-select-sm"});
  [["discovery", "tour_mode_discovery"], ["order", "tour_mode_order"], ["loop", "tour_mode_loop"]].forEach(function (m) {
    modeSel.appendChild(el("option", {value: m[0]}, t(m[1])));
  });
  box.appendChild(labelled("bm-tour-mode", t("tour_mode"), modeSel));
  var startNote = el("p", {"class": "bm-help", id: "bm-tour-start"});
  box.appendChild(startNote);

  // discovery: interests, budget, start time
  var disc = el("div", {id: "bm-tour-discovery"});
  var interestsBox = el("fieldset", {"class": "bm-tour-interests"});
  interestsBox.appendChild(el("legend", {"class": "bm-label"}, t("tour_interests")));
  disc.appendChild(interestsBox);
  var budget = el("input", {type: "number", min: "10", max: "1440", step: "10", value: "120", "class": "form-control form-control-sm"});
  disc.appendChild(labelled("bm-tour-budget", t("tour_budget"), budget));
  var freeWrap = el("label", {"class": "bm-check", hidden: "hidden"});
  var useFree = el("input", {type: "checkbox", id: "bm-tour-included"});
  var freeText = el("span");
  freeWrap.appendChild(useFree);
  freeWrap.appendChild(document.createTextNode(" "));
  freeWrap.appendChild(freeText);
  disc.appendChild(freeWrap);
  box.appendChild(disc);

  // order: chosen places
  var order = el("div", {id: "bm-tour-order", hidden: "hidden"});
  var placeSearch = el("input", {type: "search", autocomplete: "off", "class": "form-control form-control-sm",
                                 placeholder: t("search_placeholder")});
  order.appendChild(labelled("bm-tour-search", t("tour_add_place"), placeSearch));
  var placeResults = el("ul", {"class": "bm-results", role: "listbox", id: "bm-tour-results"});
  order.appendChild(placeResults);
  order.appendChild(el("h3", {}, t("tour_places")));
  var placeList = el("ol", {"class": "bm-points", id: "bm-tour-places"});
  order.appendChild(placeList);
  box.appendChild(order);

  // round trip: distance
  var loop = el("div", {id: "bm-tour-loop", hidden: "hidden"});
  var distance = el("input", {type: "number", min: "1", max: "200", step: "1", value: "8", "class": "form-control form-control-sm"});
  loop.appendChild(labelled("bm-tour-distance", t("tour_distance"), distance));
  box.appendChild(loop);

  var when = el("input", {type: "datetime-local", "class": "form-control form-control-sm"});
  var whenWrap = labelled("bm-tour-when", t("tour_start_time"), when);
  box.appendChild(whenWrap);
  var endWrap = el("label", {"class": "bm-check"});
  var endAtB = el("input", {type: "checkbox", id: "bm-tour-end"});
  endWrap.appendChild(endAtB);
  endWrap.appendChild(document.createTextNode(" " + t("tour_end_at_b")));
  box.appendChild(endWrap);

  var row = el("div", {"class": "bm-row"});
  var planBtn = el("button", {type: "button", id: "bm-tour-plan", "class": "btn btn-sm btn-primary"}, t("tour_plan"));
  var gpx = el("a", {id: "bm-tour-gpx", "class": "btn btn-sm btn-outline-primary", href: "#", download: "bikemap-tour.gpx", hidden: "hidden"},
               t("download_gpx"));
  var clearBtn = el("button", {type: "button", id: "bm-tour-clear", "class": "btn btn-sm btn-outline-secondary"}, t("clear"));
  var shareBtn = el("button", {type: "button", id: "bm-tour-share", "class": "btn btn-sm btn-outline-primary", hidden: "hidden"},
                    t("share"));
  row.appendChild(planBtn); row.appendChild(gpx); row.appendChild(shareBtn); row.appendChild(clearBtn);
  box.appendChild(row);
  var status = el("div", {"class": "bm-status", role: "status", id: "bm-tour-status"});
  box.appendChild(status);
  var summary = el("dl", {"class": "bm-summary", id: "bm-tour-summary"});
  box.appendChild(summary);
  var warnings = el("ul", {"class": "bm-warnings", id: "bm-tour-warnings", "aria-label": t("tour_warnings"), hidden: "hidden"});
  box.appendChild(warnings);
  var timeline = el("ol", {"class": "bm-tour-timeline", id: "bm-tour-timeline", "aria-label": t("tour_timeline")});
  box.appendChild(timeline);

  // ------------------------------------------------------------------ data

  var categoriesLoading = null;
  function loadCategories() {
    if (categories) return Promise.resolve(categories);
    if (categoriesLoading) return categoriesLoading;  // asked twice at load (the form, a tour in the URL)
    categoriesLoading = bm.api("tour/categories", {lang: bm.lang}).then(function (cats) {
      categories = cats;
      cats.forEach(function (c) {
        if (c.id === "other") return;
        var lab = el("label", {"class": "bm-check bm-tour-cat"});
        var cb = el("input", {type: "checkbox", value: c.id});
        // how much it matters: a ticked interest with weight 1, 2 or 3 (museum:3,heritage:1)
        var weight = el("select", {"class": "bm-tour-weight", "data-cat": c.id, hidden: "hidden",
                                   "aria-label": t("tour_weight_label", {name: c.label})});
        [["1", "tour_weight_1"], ["2", "tour_weight_2"], ["3", "tour_weight_3"]].forEach(function (w) {
          weight.appendChild(el("option", {value: w[0]}, t(w[1])));
        });
        var changed = function () {
          if (cb.checked) state.interests[c.id] = parseInt(weight.value, 10) || 1; else delete state.interests[c.id];
          weight.hidden = !cb.checked;
        };
        cb.addEventListener("change", changed);
        weight.addEventListener("change", changed);
        weights[c.id] = {cb: cb, weight: weight, changed: changed};
        lab.appendChild(cb);
        lab.appendChild(document.createTextNode(" " + c.label));
        var wrap = el("span", {"class": "bm-tour-interest"});
        wrap.appendChild(lab);
        wrap.appendChild(weight);
        interestsBox.appendChild(wrap);
      });
      return cats;
    });
    return categoriesLoading;
  }
  function catLabel(id) {
    var c = (categories || []).filter(function (x) { return x.id === id; })[0];
    return c ? c.label : id;
  }
  function loadDestinations() {
    if (destinations) return Promise.resolve(destinations);
    return bm.api("tour/destinations", {lang: bm.lang}).then(function (list) {
      destinations = list.sort(function (a, b) { return a.name.localeCompare(b.name); });
      return destinations;
    });
  }
  function norm(s) { return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }

  // ------------------------------------------------------------------ chosen places

  function drawPlaces() {
    placeList.textContent = "";
    if (!state.places.length) { placeList.appendChild(el("li", {}, t("tour_no_places"))); return; }
    state.places.forEach(function (d, i) {
      var li = el("li");
      li.appendChild(el("span", {"class": "bm-pin bm-pin-tour", "aria-hidden": "true"}, String(i + 1)));
      li.appendChild(el("span", {"class": "bm-ptext"}, d.name));
      var rm = el("button", {type: "button", "aria-label": t("remove") + " " + d.name, title: t("remove")}, "\u00d7");
      rm.addEventListener("click", function () { state.places.splice(i, 1); drawPlaces(); });
      li.appendChild(rm);
      placeList.appendChild(li);
    });
  }
  function showPlaceResults() {
    var words = norm(placeSearch.value).split(/\s+/).filter(Boolean);
    placeResults.textContent = "";
    if (!words.length) return;
    loadDestinations().then(function (all) {
      placeResults.textContent = "";
      var hits = all.filter(function (d) {
        var key = norm(d.name + " " + catLabel(d.category) + " " + d.category);
        return words.every(function (w) { return key.indexOf(w) >= 0; });
      }).slice(0, 30);
      if (!hits.length) { placeResults.appendChild(el("li", {"aria-disabled": "true"}, t("no_matches"))); return; }
      hits.forEach(function (d) {
        var li = el("li", {role: "option", tabindex: "0"}, d.name);
        li.appendChild(el("small", {}, catLabel(d.category)));
        var pick = function () {
          if (!state.places.some(function (p) { return p.id === d.id; })) state.places.push(d);
          placeSearch.value = ""; placeResults.textContent = "";
          drawPlaces();
        };
        li.addEventListener("click", pick);
        li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") pick(); });
        placeResults.appendChild(li);
      });
    });
  }

  // ------------------------------------------------------------------ plan

  function plannerState() { return (bm.planner && bm.planner.state) || {}; }
  function pt(p) { return (Math.round(p.lat * 1e6) / 1e6) + "," + (Math.round(p.lon * 1e6) / 1e6); }
  function drawStart() {
    var s = plannerState();
    startNote.textContent = s.from ? t("start") + ": " + (s.from.name || pt(s.from)) : t("tour_need_start");
    endWrap.hidden = state.mode === "loop" || !s.to;
  }
  function params() {
    var s = plannerState();
    if (!s.from) return {error: "tour_need_start"};
    var p = {start: pt(s.from), profile: s.profile || "safe", lang: bm.lang};
    if (endAtB.checked && s.to && state.mode !== "loop") p.end = pt(s.to);
    if (when.value && state.mode !== "loop") p.start_time = when.value;
    if (state.mode === "discovery") {
      // with the free minutes: riding within them, the visits on top in the minutes given
      if (useFree.checked && !freeWrap.hidden) p.budget = "included";
      p.budget_min = budget.value;
      p.interests = interestText();
    } else if (state.mode === "order") {
      if (!state.places.length) return {error: "tour_need_places"};
      p.stops = state.places.map(function (d) { return d.id; }).join(",");
    } else {
      p.distance_km = distance.value;
    }
    return p;
  }
  function interestText() {
    return Object.keys(state.interests).map(function (c) {
      return state.interests[c] > 1 ? c + ":" + state.interests[c] : c;
    }).join(",");
  }
  function showError(err) {
    var key = "err_" + (err && err.code);
    if (err && err.code === "NoRoute" && modeSel.value === "loop") key = "tour_err_loop";
    if (err && err.code === "BudgetTooSmall" && err.message) key = "";  // the server says why, in the page language
    if (err && err.code === "NoSegment" && (err.point === "start" || err.point === "end")) {
      key = "";
      err = {message: t("err_NoSegment_point", {point: t(err.point === "start" ? "point_from" : "point_to")})};
    }
    var text = key ? t(key).replace("{km}", distance.value) : key;
    status.textContent = text !== key ? text : (err && err.message) || t("err_network");
    status.className = "bm-status bm-error";
  }
  function clearTour(keepCover) {
    bm.clearFeature("tour");
    bm.clearFeature("tour-connectors");
    bm.tours.last = null;
    if (!keepCover && bm.planner && bm.planner.setCover) bm.planner.setCover(null);
    if (markers) { map.removeLayer(markers); markers = null; }
    summary.textContent = ""; timeline.textContent = "";
    warnings.textContent = ""; warnings.hidden = true;
    gpx.hidden = true; gpx.setAttribute("href", "#");
    shareBtn.hidden = true;
    saveUrl(null);
  }

  // ------------------------------------------------------------------ the tour in the page URL (reload, shared link)

  var URL_KEYS = ["tour", "tmin", "tint", "tinc", "tstops", "tkm", "twhen", "tend"];
  function saveUrl(p, feature) {
    URL_KEYS.forEach(function (k) { delete bm.urlState[k]; });
    if (p) {
      // the tour's own start time, so the link shows the same timeline whenever it is opened
      var start = p.start_time || (feature && feature.properties.start_time || "").slice(0, 16);
      var u = {tour: state.mode, twhen: state.mode === "loop" ? "" : start, tend: p.end ? "1" : ""};
      if (state.mode === "discovery") {
        u.tmin = p.budget_min; u.tint = p.interests; u.tinc = p.budget === "included" ? "1" : "";
      } else if (state.mode === "order") {
        u.tstops = p.stops;
      } else {
        u.tkm = p.distance_km;
      }
      Object.keys(u).forEach(function (k) { if (u[k]) bm.urlState[k] = u[k]; });
    }
    if (bm.planner && bm.planner.writeUrl) bm.planner.writeUrl();
  }
  function restoreFromUrl() {
    var q = bm.initialQuery, mode = q.get("tour");
    if (["discovery", "order", "loop"].indexOf(mode) < 0) return;
    modeSel.value = mode;
    setMode(mode);
    if (q.get("tmin")) budget.value = q.get("tmin");
    if (q.get("tkm")) distance.value = q.get("tkm");
    if (q.get("twhen")) when.value = q.get("twhen").slice(0, 16);
    endAtB.checked = q.get("tend") === "1";
    var waits = [loadCategories().then(function () {
      (q.get("tint") || "").split(",").forEach(function (part) {
        var bits = part.split(":"), w = weights[bits[0]];
        if (!w) return;
        w.cb.checked = true;
        w.weight.value = bits[1] && ["1", "2", "3"].indexOf(bits[1]) >= 0 ? bits[1] : "1";
        w.changed();
      });
    })];
    if (mode === "order") {
      waits.push(loadDestinations().then(function (all) {
        var byId = {};
        all.forEach(function (d) { byId[d.id] = d; });
        state.places = (q.get("tstops") || "").split(",").map(function (id) { return byId[id]; }).filter(Boolean);
        drawPlaces();
      }));
    }
    if (q.get("tinc") === "1") {  // the free minutes come with the live feed: wait for it (a while)
      waits.push(new Promise(function (resolve) {
        if (!freeWrap.hidden) { resolve(); return; }
        bm.on("stations", function () { setTimeout(resolve, 0); });
        setTimeout(resolve, 5000);
      }).then(function () { useFree.checked = !freeWrap.hidden; useFreeChanged(); }));
    }
    Promise.all(waits).then(plan, plan);
  }
  function plan() {
    var p = params();
    clearTour(true);
    if (p.error) { showError({code: "x", message: t(p.error)}); return; }
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    status.className = "bm-status";
    status.textContent = t("tour_planning");
    document.body.classList.add("bm-busy");
    bm.api("tour", p, pending ? {signal: pending.signal} : {}).then(function (feature) {
      pending = null;
      document.body.classList.remove("bm-busy");
      status.textContent = "";
      bm.tours.last = feature;
      draw(feature);
      saveUrl(p, feature);
      var g = Object.assign({}, p, {format: "gpx"});
      gpx.setAttribute("href", bm.apiUrl("tour", g));
      gpx.hidden = false;
      shareBtn.hidden = false;
      bm.emit("tour", feature);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      pending = null;
      document.body.classList.remove("bm-busy");
      if (bm.planner && bm.planner.setCover) bm.planner.setCover(null);
      showError(err && err.code ? err : {code: "network"});
    });
  }
  function stopIcon(n) {
    return L.divIcon({className: "", iconSize: [26, 26], iconAnchor: [13, 28], popupAnchor: [0, -26],
                      html: '<div class="bm-marker bm-marker-tour"><span>' + n + "</span></div>"});
  }
  function clock(iso) { return iso ? iso.slice(11, 16) : ""; }
  function draw(f) {
    var pr = f.properties;
    // the tour replaces the A-B route on the map, and on a phone's summary chip
    var chip = bm.formatDistance(pr.distance_m) + " \u00b7 " + bm.formatDuration(pr.total_s) + " \u2193";
    if (bm.planner && bm.planner.setCover) bm.planner.setCover("tour", chip);
    var layer = bm.drawFeature("tour", f, {style: {color: "#ea580c", weight: 6, opacity: 0.85, lineCap: "round"}, interactive: false});
    bm.drawConnectors("tour", f);
    map.fitBounds(layer.getBounds(), {padding: [30, 30], maxZoom: 16});
    if (pr.start_time_moved && pr.start_time && state.mode !== "loop") {
      when.value = pr.start_time.slice(0, 16);  // the start the server chose (night: the next morning), to change
    }
    markers = L.layerGroup();
    pr.stops.forEach(function (s, i) {
      var m = L.marker([s.lat, s.lon], {icon: stopIcon(i + 1), title: (i + 1) + ". " + s.name, keyboard: true, zIndexOffset: 900});
      var pop = el("div", {"class": "bm-popup"});
      pop.appendChild(el("strong", {"class": "bm-name"}, (i + 1) + ". " + s.name));
      pop.appendChild(el("div", {"class": "bm-cat"}, catLabel(s.category)));
      if (s.arrival_time) pop.appendChild(el("div", {}, t("tour_arrive", {clock: clock(s.arrival_time)})));
      if (s.opening_hours) pop.appendChild(el("div", {"class": "bm-desc"}, s.opening_hours));
      if (s.open === false) pop.appendChild(el("em", {}, t("tour_closed")));
      m.bindPopup(pop);
      markers.addLayer(m);
    });
    markers.addTo(map);
    summary.textContent = "";
    [[t("distance"), bm.formatDistance(pr.distance_m), "bm-tour-distance-out"],
     [t("tour_riding"), bm.formatDuration(pr.duration_s), "bm-tour-riding"],
     [t("tour_total"), bm.formatDuration(pr.total_s), "bm-tour-total"]].forEach(function (r) {
      var d = el("div");
      d.appendChild(el("dt", {}, r[0]));
      d.appendChild(el("dd", {id: r[2]}, r[1]));
      summary.appendChild(d);
    });
    warnings.textContent = "";
    (pr.warnings || []).forEach(function (w) { warnings.appendChild(el("li", {}, w)); });
    warnings.hidden = !warnings.childElementCount;
    timeline.textContent = "";
    var byId = {}, n = 0;
    pr.stops.forEach(function (s, i) { byId[s.id] = {s: s, n: i + 1}; });
    timeline.appendChild(el("li", {"class": "bm-tl-start"}, t("start") + (pr.start_time ? " " + clock(pr.start_time) : "")));
    // a round trip's stops are passed, not visited: each goes after the ride that reaches it
    var passing = pr.kind === "round_trip" ? pr.stops.map(function (s, i) { return {s: s, n: i + 1}; }) : [];
    var elapsed = 0;
    pr.timeline.forEach(function (step) {
      if (step.type !== "ride") elapsed += step.duration_s;
      if (step.type === "ride") {
        timeline.appendChild(el("li", {"class": "bm-tl-ride"},
          t("tour_ride", {time: bm.formatDuration(step.duration_s), dist: bm.formatDistance(step.distance_m)})));
        elapsed += step.duration_s;
        while (passing.length && passing[0].s.arrival_s <= elapsed + 1) {
          var pass = passing.shift();
          timeline.appendChild(el("li", {"class": "bm-tl-visit bm-tl-pass"}, pass.n + ". " + pass.s.name));
        }
      } else if (step.type === "wait") {
        timeline.appendChild(el("li", {"class": "bm-tl-wait"}, t("tour_wait", {time: bm.formatDuration(step.duration_s)})));
      } else {
        var hit = byId[step.id];
        var li = el("li", {"class": "bm-tl-visit"});
        li.appendChild(el("span", {"class": "bm-pin bm-pin-tour", "aria-hidden": "true"}, String(hit ? hit.n : ++n)));
        li.appendChild(el("strong", {}, step.name));
        li.appendChild(el("small", {}, t("tour_visit", {time: bm.formatDuration(step.duration_s)}) +
          (hit && hit.s.arrival_time ? " · " + t("tour_arrive", {clock: clock(hit.s.arrival_time)}) : "")));
        if (hit && hit.s.open === false) {
          li.classList.add("bm-tl-closed");
          li.appendChild(el("em", {"class": "bm-tl-closed-note"}, t("tour_closed")));
        }
        timeline.appendChild(li);
      }
    });
    passing.forEach(function (x) { timeline.appendChild(el("li", {"class": "bm-tl-visit bm-tl-pass"}, x.n + ". " + x.s.name)); });
    timeline.appendChild(el("li", {"class": "bm-tl-end"}, t(endAtB.checked && pr.kind !== "round_trip" ? "tour_finish" : "tour_back")));
  }

  // ------------------------------------------------------------------ wiring

  function setMode(m) {
    state.mode = m;
    disc.hidden = m !== "discovery";
    order.hidden = m !== "order";
    loop.hidden = m !== "loop";
    whenWrap.hidden = m === "loop";
    drawStart();
  }
  modeSel.addEventListener("change", function () { setMode(modeSel.value); });
  planBtn.addEventListener("click", plan);
  clearBtn.addEventListener("click", function () { clearTour(); status.textContent = ""; });
  shareBtn.addEventListener("click", function () {
    var done = function () { shareBtn.textContent = t("copied"); setTimeout(function () { shareBtn.textContent = t("share"); }, 2000); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(location.href).then(done, done);
    else { window.prompt(t("share"), location.href); }
  });
  // the visitor changes the route's points: the tour planned from the old ones goes
  bm.on("uncover", function (what) { if (what === "tour") { clearTour(true); status.textContent = ""; } });
  gpx.addEventListener("click", function (ev) { if (gpx.getAttribute("href") === "#") ev.preventDefault(); });
  placeSearch.addEventListener("input", showPlaceResults);
  placeSearch.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var first = placeResults.querySelector("li[role=option]"); if (first) first.click(); }
  });
  bm.on("plan", drawStart);
  bm.on("names", drawStart);  // a point got its name (search.js)
  // a live bike-share feed whose pricing says how many minutes a ride includes: offer them as the budget
  // riding then fits the free minutes; the minutes field stays the time for the whole tour, visits included
  var budgetLabel = disc.querySelector("label[for=bm-tour-budget]");
  var freeNote = el("p", {"class": "bm-help", id: "bm-tour-included-note", hidden: "hidden"});
  freeWrap.parentNode.insertBefore(freeNote, freeWrap.nextSibling);
  function useFreeChanged() {
    var on = useFree.checked && !freeWrap.hidden;
    freeNote.hidden = !on;
    if (on) freeNote.textContent = t("tour_included_note", {min: state.included});
    if (budgetLabel) budgetLabel.textContent = t(on ? "tour_budget_whole" : "tour_budget");
  }
  bm.on("stations", function (fc) {
    var inc = fc && fc.included_minutes;
    state.included = inc > 0 ? inc : null;
    freeWrap.hidden = !state.included;
    if (state.included) freeText.textContent = t("tour_use_included", {min: state.included});
    useFreeChanged();
  });
  useFree.addEventListener("change", useFreeChanged);

  bm.tours = {state: state, plan: plan, setMode: setMode, params: params};
  loadCategories().catch(function () { showError({code: "network"}); });
  drawPlaces();
  setMode("discovery");
  restoreFromUrl();
})();
