/* Featured routes: the tours and routes the city recommends, in the map page's panel.
 *
 * Lists the published featured routes (GET /api/featured?lang=), opens one on the
 * map (line and numbered stops) and links its GPX. A browser logged in to the staff
 * UI (/admin) also gets "Save as featured route": the tour or route planned last
 * on this page is sent to POST /api/featured with its names and descriptions in
 * English and Bahasa Indonesia. Every text is set with textContent. Uses window.bikemap.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  if (!bm) return;
  var map = bm.map, el = bm.el;

  // every text is a message of the catalogue, id "featured_<name>"
  var t = bm.t;

  document.head.appendChild(el("style", {}, [
    ".bm-featured-list { list-style: none; padding: 0; margin: 0; }",
    ".bm-featured-list li { padding: .45rem 0; border-bottom: 1px solid #f0f0f0; }",
    ".bm-featured-list .bm-featured-name { font-weight: 600; display: block; }",
    ".bm-featured-list p { margin: .15rem 0; font-size: .85rem; color: #444; white-space: pre-line; }",
    ".bm-featured-list small { color: #666; display: block; }",
    ".bm-featured-list li.bm-active { background: #f5f3ff; }",
    ".bm-marker-featured { background: #7c3aed; }",
    ".bm-featured-save label { display: block; font-size: .85rem; margin-top: .35rem; }",
    ".bm-featured-save input[type=text], .bm-featured-save textarea { width: 100%; }"
  ].join("\n")));

  var box = bm.section("featured", t("featured_title"));
  box.setAttribute("aria-live", "polite");
  var status = el("div", {"class": "bm-status", role: "status", id: "bm-featured-status"});
  var list = el("ul", {"class": "bm-featured-list", id: "bm-featured-list"});
  box.appendChild(status);
  box.appendChild(list);
  var markers = null, staff = null, lastPlan = null, lastKind = null;
  // ?featured=ID opens one; read from the URL the page was loaded with (the planner rewrites location)
  var nav = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  var wanted = new URL((nav && nav.name) || location.href).searchParams.get("featured");

  function summaryText(p) {
    var bits = [];
    if (p.distance_m) bits.push(bm.formatDistance(p.distance_m));
    var secs = p.total_s || p.duration_s;
    if (secs) bits.push(bm.formatDuration(secs));
    if (p.stops && p.stops.length && p.kind !== "route" && p.kind !== "bikeshare") bits.push(t("featured_stops", {n: p.stops.length}));
    return bits.join(" · ");
  }

  function stopIcon(n) {
    return L.divIcon({className: "", iconSize: [26, 26], iconAnchor: [13, 28], popupAnchor: [0, -26],
                      html: '<div class="bm-marker bm-marker-featured"><span>' + Number(n) + "</span></div>"});
  }

  function clearShown() {
    bm.clearFeature("featured");
    if (bm.urlState.featured) {  // the page URL (reload, "Copy link") no longer opens it
      delete bm.urlState.featured;
      if (bm.planner && bm.planner.writeUrl) bm.planner.writeUrl();
    }
    if (markers) { map.removeLayer(markers); markers = null; }
    Array.prototype.forEach.call(list.querySelectorAll("li.bm-active"), function (li) { li.classList.remove("bm-active"); });
  }

  function show(id, li) {
    clearShown();
    return bm.api("featured/" + encodeURIComponent(id), {lang: bm.lang}).then(function (f) {
      var layer = bm.drawFeature("featured", f, {style: {color: "#7c3aed", weight: 6, opacity: 0.85, lineCap: "round"},
                                                 interactive: false});
      map.fitBounds(layer.getBounds(), {padding: [30, 30], maxZoom: 16});
      var numbered = f.properties.kind !== "route" && f.properties.kind !== "bikeshare";
      markers = L.layerGroup();
      (f.properties.stops || []).forEach(function (s, i) {
        var label = numbered ? (i + 1) + ". " + (s.name || t("featured_stop")) : (s.name || t("featured_stop"));
        var m = L.marker([s.lat, s.lon], {icon: stopIcon(i + 1), title: label, keyboard: true, zIndexOffset: 800});
        var pop = el("div", {"class": "bm-popup"});
        pop.appendChild(el("strong", {"class": "bm-name"}, label));
        if (s.description) pop.appendChild(el("div", {"class": "bm-desc"}, s.description));
        m.bindPopup(pop);
        markers.addLayer(m);
      });
      markers.addTo(map);
      if (li) li.classList.add("bm-active");
      bm.urlState.featured = String(id);  // a reload or a shared link opens it again
      if (bm.planner && bm.planner.writeUrl) bm.planner.writeUrl();
      status.className = "bm-status";
      status.textContent = t("featured_shown") + ": " + f.properties.title;
      bm.emit("featured", f);
      return f;
    }).catch(function (err) {
      status.className = "bm-status bm-error";
      status.textContent = (err && err.message) || t("featured_load_error");
    });
  }

  function item(f) {
    var p = f.properties;
    var li = el("li", {"data-id": String(f.id)});
    li.appendChild(el("span", {"class": "bm-featured-name"}, p.title + (p.published === false ? " (" + t("featured_unpublished") + ")" : "")));
    if (p.text) li.appendChild(el("p", {}, p.text));
    var sum = summaryText(p);
    if (sum) li.appendChild(el("small", {}, sum));
    var row = el("div", {"class": "bm-row"});
    var btn = el("button", {type: "button", "class": "btn btn-sm btn-outline-primary bm-featured-show"}, t("featured_show"));
    btn.addEventListener("click", function () { show(f.id, li); });
    var gpx = el("a", {"class": "btn btn-sm btn-outline-secondary bm-featured-gpx",
                       href: bm.apiUrl("featured/" + encodeURIComponent(f.id), {format: "gpx", lang: bm.lang}),
                       download: "bikemap-featured-" + f.id + ".gpx"}, t("featured_gpx"));
    row.appendChild(btn); row.appendChild(gpx);
    if (staff) staffActions(f, row);
    li.appendChild(row);
    return li;
  }

  // staff: publish / unpublish (editors), delete (admins), guarded by the list's version (If-Match)
  function write(method, f, body) {
    var headers = {"X-CSRF-Token": staff.csrf || "", "If-Match": '"' + f.id + "." + f.properties.version + '"'};
    if (body) headers["Content-Type"] = "application/json";
    return fetch(bm.apiUrl("featured/" + encodeURIComponent(f.id)), {method: method, credentials: "same-origin",
      headers: headers, body: body ? JSON.stringify(body) : undefined}).then(function (resp) {
      if (resp.ok) return load();
      return resp.json().catch(function () { return {}; }).then(function (data) {
        status.className = "bm-status bm-error";
        status.textContent = resp.status === 412 ? t("featured_stale") : ((data.error && data.error.message) || resp.statusText);
        if (resp.status === 412) load().then(function () { status.className = "bm-status bm-error"; status.textContent = t("featured_stale"); });
      });
    });
  }

  function staffActions(f, row) {
    var pub = f.properties.published;
    var toggle = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary bm-featured-publish"},
                    pub ? t("featured_unpublish") : t("featured_publish"));
    toggle.addEventListener("click", function () { write("PATCH", f, {published: !pub}); });
    row.appendChild(toggle);
    var edit = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary bm-featured-edit"}, t("featured_edit"));
    edit.addEventListener("click", function () { if (editForm) editForm.edit(f); });
    row.appendChild(edit);
    if (staff.role === "admin") {
      var del = el("button", {type: "button", "class": "btn btn-sm btn-outline-danger bm-featured-delete"}, t("featured_remove"));
      del.addEventListener("click", function () {
        if (window.confirm(t("featured_confirm_remove", {name: f.properties.title}))) write("DELETE", f);
      });
      row.appendChild(del);
    }
  }

  function load() {
    var params = {lang: bm.lang};
    if (staff) params.all = "1";
    return bm.api("featured", params).then(function (fc) {
      list.textContent = "";
      status.className = "bm-status";
      status.textContent = fc.features.length ? "" : t("featured_none");
      fc.features.forEach(function (f) { list.appendChild(item(f)); });
      var want = wanted;
      if (want && !load.opened) {
        load.opened = true;
        var li = list.querySelector('li[data-id="' + String(parseInt(want, 10)) + '"]');
        if (li) show(parseInt(want, 10), li);
      }
    }).catch(function () {
      status.className = "bm-status bm-error";
      status.textContent = t("featured_load_error");
    });
  }

  // ------------------------------------------------------------------ staff: save what was planned

  bm.on("route", function (f) { lastPlan = f; lastKind = "route"; if (staff) note.textContent = t("featured_saved_route"); });
  bm.on("tour", function (f) { lastPlan = f; lastKind = "tour"; if (staff) note.textContent = t("featured_saved_tour"); });
  var note = el("p", {"class": "bm-help", id: "bm-featured-note"});

  function field(id, label, input) {
    var wrap = el("div");
    wrap.appendChild(el("label", {"for": id}, label));
    input.id = id;
    wrap.appendChild(input);
    return wrap;
  }

  var editForm = null;  // the staff form's parts, once it exists

  function staffForm(session) {
    var form = el("details", {"class": "bm-featured-save", id: "bm-featured-save"});
    var summary = el("summary", {}, t("featured_save_title"));
    form.appendChild(summary);
    form.appendChild(el("p", {"class": "bm-help"}, t("featured_save_help")));
    if (lastPlan) note.textContent = lastKind === "tour" ? t("featured_saved_tour") : t("featured_saved_route");  // planned before we knew
    form.appendChild(note);
    var nameEn = el("input", {type: "text", maxlength: "200", "class": "form-control form-control-sm"});
    var nameId = el("input", {type: "text", maxlength: "200", "class": "form-control form-control-sm"});
    var descEn = el("textarea", {rows: "2", maxlength: "5000", "class": "form-control form-control-sm"});
    var descId = el("textarea", {rows: "2", maxlength: "5000", "class": "form-control form-control-sm"});
    var pub = el("input", {type: "checkbox", id: "bm-featured-published"});
    var useLine = el("input", {type: "checkbox", id: "bm-featured-use-plan"});
    form.appendChild(field("bm-featured-name-en", t("featured_name_en"), nameEn));
    form.appendChild(field("bm-featured-name-id", t("featured_name_id"), nameId));
    form.appendChild(field("bm-featured-desc-en", t("featured_desc_en"), descEn));
    form.appendChild(field("bm-featured-desc-id", t("featured_desc_id"), descId));
    function checkbox(input, text) {
      var label = el("label", {"for": input.id});
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + text));
      form.appendChild(label);
      return label;
    }
    checkbox(pub, t("featured_published"));
    var useLabel = checkbox(useLine, t("featured_use_plan"));
    useLabel.hidden = true;
    var save = el("button", {type: "button", "class": "btn btn-sm btn-primary", id: "bm-featured-save-btn"}, t("featured_save"));
    var cancel = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary", id: "bm-featured-cancel", hidden: "hidden"},
                    t("featured_cancel"));
    var msg = el("div", {"class": "bm-status", role: "status", id: "bm-featured-save-status"});
    var row = el("div", {"class": "bm-row"});
    row.appendChild(save); row.appendChild(cancel);
    form.appendChild(row);
    form.appendChild(msg);
    var editing = null;

    function reset() {
      editing = null;
      nameEn.value = nameId.value = descEn.value = descId.value = "";
      pub.checked = useLine.checked = false;
      useLabel.hidden = cancel.hidden = true;
      summary.textContent = t("featured_save_title");
      save.textContent = t("featured_save");
    }
    function edit(f) {  // fill the form with a listed route; saving then changes it (PATCH, If-Match)
      var p = f.properties;
      editing = f;
      nameEn.value = p.name || ""; nameId.value = (p.names || {}).id || "";
      descEn.value = p.description || ""; descId.value = (p.descriptions || {}).id || "";
      pub.checked = !!p.published; useLine.checked = false;
      useLabel.hidden = cancel.hidden = false;
      summary.textContent = t("featured_edit_title", {name: p.title});
      save.textContent = t("featured_save_changes");
      msg.textContent = "";
      form.open = true;
      nameEn.focus();
    }
    cancel.addEventListener("click", function () { reset(); msg.textContent = ""; });

    save.addEventListener("click", function () {
      msg.className = "bm-status bm-error";
      var withLine = !editing || useLine.checked;
      if (withLine && !lastPlan) { msg.textContent = t("featured_nothing"); return; }
      if (!nameEn.value.trim()) { msg.textContent = t("featured_name_needed"); nameEn.focus(); return; }
      var props = {
        name: nameEn.value, names: nameId.value.trim() ? {id: nameId.value} : {},
        description: descEn.value, descriptions: descId.value.trim() ? {id: descId.value} : {},
        published: pub.checked
      };
      var body = withLine ? {type: "Feature", geometry: lastPlan.geometry, properties: Object.assign({}, lastPlan.properties, props)}
                          : props;
      if (withLine) { delete body.properties.instructions; delete body.properties.legs; }  // not stored
      var headers = {"Content-Type": "application/json", "X-CSRF-Token": session.csrf || ""};
      if (editing) headers["If-Match"] = '"' + editing.id + "." + editing.properties.version + '"';
      var url = editing ? bm.apiUrl("featured/" + encodeURIComponent(editing.id)) : bm.apiUrl("featured");
      save.disabled = true;
      fetch(url, {method: editing ? "PATCH" : "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body)
      }).then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          save.disabled = false;
          if (!resp.ok) {
            var e = (data && data.error) || {};
            var fields = e.fields ? Object.keys(e.fields).map(function (k) { return k + ": " + e.fields[k]; }).join("; ") : "";
            msg.textContent = resp.status === 412 ? t("featured_stale") : (fields || e.message || resp.statusText);
            if (resp.status === 412) { reset(); load(); }
            return;
          }
          msg.className = "bm-status";
          msg.textContent = t("featured_saved", {name: data.properties.title});
          reset();
          load();
        });
      }).catch(function () { save.disabled = false; msg.textContent = t("featured_load_error"); });
    });
    box.appendChild(form);
    editForm = {edit: edit};
  }


  bm.api("featured/session").then(function (session) {
    if (session && session.staff) { staff = session; staffForm(session); }
  }).catch(function () { /* not staff */ }).then(load);

  bm.featured = {show: show, reload: load};
})();
