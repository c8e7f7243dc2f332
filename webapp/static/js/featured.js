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

  var STRINGS = {
    en: {
      title: "Featured routes", none: "No featured routes yet.", show: "Show on map", gpx: "GPX",
      shown: "Shown on the map", unpublished: "not published", stops: "{n} stops", load_error: "Featured routes could not be loaded.",
      save_title: "Save as featured route (staff)", save_help: "Saves the tour or route planned last on this page.",
      name_en: "Name (English)", name_id: "Name (Bahasa Indonesia)", desc_en: "Description (English)",
      desc_id: "Description (Bahasa Indonesia)", published: "Published (visitors see it)", save: "Save as featured route",
      nothing: "Plan a route or a tour first.", saved: "Saved: {name}", saved_tour: "Planned tour ready to save.",
      saved_route: "Planned route ready to save.", name_needed: "Give the route a name.", stop: "Stop",
      publish: "Publish", unpublish: "Unpublish", remove: "Delete", confirm_remove: "Delete the featured route \u201c{name}\u201d?",
      stale: "Someone else changed this featured route meanwhile; the list is reloaded.",
      edit: "Edit", edit_title: "Edit \u201c{name}\u201d", save_changes: "Save changes", cancel: "Cancel",
      use_plan: "Replace its line with the route or tour planned last"
    },
    id: {
      title: "Rute unggulan", none: "Belum ada rute unggulan.", show: "Tampilkan di peta", gpx: "GPX",
      shown: "Ditampilkan di peta", unpublished: "belum diterbitkan", stops: "{n} perhentian", load_error: "Rute unggulan tidak dapat dimuat.",
      save_title: "Simpan sebagai rute unggulan (staf)", save_help: "Menyimpan tur atau rute yang terakhir direncanakan di halaman ini.",
      name_en: "Nama (Inggris)", name_id: "Nama (Bahasa Indonesia)", desc_en: "Deskripsi (Inggris)",
      desc_id: "Deskripsi (Bahasa Indonesia)", published: "Diterbitkan (terlihat oleh pengunjung)", save: "Simpan sebagai rute unggulan",
      nothing: "Rencanakan rute atau tur terlebih dahulu.", saved: "Tersimpan: {name}", saved_tour: "Tur yang direncanakan siap disimpan.",
      saved_route: "Rute yang direncanakan siap disimpan.", name_needed: "Beri nama rute ini.", stop: "Perhentian",
      publish: "Terbitkan", unpublish: "Batalkan terbit", remove: "Hapus", confirm_remove: "Hapus rute unggulan \u201c{name}\u201d?",
      stale: "Orang lain telah mengubah rute unggulan ini; daftar dimuat ulang.",
      edit: "Ubah", edit_title: "Ubah \u201c{name}\u201d", save_changes: "Simpan perubahan", cancel: "Batal",
      use_plan: "Ganti garisnya dengan rute atau tur yang terakhir direncanakan"
    }
  };
  var S = STRINGS[bm.lang] || STRINGS.en;
  function t(key, vars) {
    var s = S[key] || STRINGS.en[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

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

  var box = bm.section("featured", t("title"));
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
    if (p.stops && p.stops.length && p.kind !== "route" && p.kind !== "bikeshare") bits.push(t("stops", {n: p.stops.length}));
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
        var label = numbered ? (i + 1) + ". " + (s.name || t("stop")) : (s.name || t("stop"));
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
      status.textContent = t("shown") + ": " + f.properties.title;
      bm.emit("featured", f);
      return f;
    }).catch(function (err) {
      status.className = "bm-status bm-error";
      status.textContent = (err && err.message) || t("load_error");
    });
  }

  function item(f) {
    var p = f.properties;
    var li = el("li", {"data-id": String(f.id)});
    li.appendChild(el("span", {"class": "bm-featured-name"}, p.title + (p.published === false ? " (" + t("unpublished") + ")" : "")));
    if (p.text) li.appendChild(el("p", {}, p.text));
    var sum = summaryText(p);
    if (sum) li.appendChild(el("small", {}, sum));
    var row = el("div", {"class": "bm-row"});
    var btn = el("button", {type: "button", "class": "btn btn-sm btn-outline-primary bm-featured-show"}, t("show"));
    btn.addEventListener("click", function () { show(f.id, li); });
    var gpx = el("a", {"class": "btn btn-sm btn-outline-secondary bm-featured-gpx",
                       href: bm.apiUrl("featured/" + encodeURIComponent(f.id), {format: "gpx", lang: bm.lang}),
                       download: "bikemap-featured-" + f.id + ".gpx"}, t("gpx"));
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
        status.textContent = resp.status === 412 ? t("stale") : ((data.error && data.error.message) || resp.statusText);
        if (resp.status === 412) load().then(function () { status.className = "bm-status bm-error"; status.textContent = t("stale"); });
      });
    });
  }

  function staffActions(f, row) {
    var pub = f.properties.published;
    var toggle = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary bm-featured-publish"},
                    t(pub ? "unpublish" : "publish"));
    toggle.addEventListener("click", function () { write("PATCH", f, {published: !pub}); });
    row.appendChild(toggle);
    var edit = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary bm-featured-edit"}, t("edit"));
    edit.addEventListener("click", function () { if (editForm) editForm.edit(f); });
    row.appendChild(edit);
    if (staff.role === "admin") {
      var del = el("button", {type: "button", "class": "btn btn-sm btn-outline-danger bm-featured-delete"}, t("remove"));
      del.addEventListener("click", function () {
        if (window.confirm(t("confirm_remove", {name: f.properties.title}))) write("DELETE", f);
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
      status.textContent = fc.features.length ? "" : t("none");
      fc.features.forEach(function (f) { list.appendChild(item(f)); });
      var want = wanted;
      if (want && !load.opened) {
        load.opened = true;
        var li = list.querySelector('li[data-id="' + String(parseInt(want, 10)) + '"]');
        if (li) show(parseInt(want, 10), li);
      }
    }).catch(function () {
      status.className = "bm-status bm-error";
      status.textContent = t("load_error");
    });
  }

  // ------------------------------------------------------------------ staff: save what was planned

  bm.on("route", function (f) { lastPlan = f; lastKind = "route"; if (staff) note.textContent = t("saved_route"); });
  bm.on("tour", function (f) { lastPlan = f; lastKind = "tour"; if (staff) note.textContent = t("saved_tour"); });
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
    var summary = el("summary", {}, t("save_title"));
    form.appendChild(summary);
    form.appendChild(el("p", {"class": "bm-help"}, t("save_help")));
    if (lastPlan) note.textContent = t(lastKind === "tour" ? "saved_tour" : "saved_route");  // planned before we knew
    form.appendChild(note);
    var nameEn = el("input", {type: "text", maxlength: "200", "class": "form-control form-control-sm"});
    var nameId = el("input", {type: "text", maxlength: "200", "class": "form-control form-control-sm"});
    var descEn = el("textarea", {rows: "2", maxlength: "5000", "class": "form-control form-control-sm"});
    var descId = el("textarea", {rows: "2", maxlength: "5000", "class": "form-control form-control-sm"});
    var pub = el("input", {type: "checkbox", id: "bm-featured-published"});
    var useLine = el("input", {type: "checkbox", id: "bm-featured-use-plan"});
    form.appendChild(field("bm-featured-name-en", t("name_en"), nameEn));
    form.appendChild(field("bm-featured-name-id", t("name_id"), nameId));
    form.appendChild(field("bm-featured-desc-en", t("desc_en"), descEn));
    form.appendChild(field("bm-featured-desc-id", t("desc_id"), descId));
    function checkbox(input, text) {
      var label = el("label", {"for": input.id});
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + text));
      form.appendChild(label);
      return label;
    }
    checkbox(pub, t("published"));
    var useLabel = checkbox(useLine, t("use_plan"));
    useLabel.hidden = true;
    var save = el("button", {type: "button", "class": "btn btn-sm btn-primary", id: "bm-featured-save-btn"}, t("save"));
    var cancel = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary", id: "bm-featured-cancel", hidden: "hidden"},
                    t("cancel"));
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
      summary.textContent = t("save_title");
      save.textContent = t("save");
    }
    function edit(f) {  // fill the form with a listed route; saving then changes it (PATCH, If-Match)
      var p = f.properties;
      editing = f;
      nameEn.value = p.name || ""; nameId.value = (p.names || {}).id || "";
      descEn.value = p.description || ""; descId.value = (p.descriptions || {}).id || "";
      pub.checked = !!p.published; useLine.checked = false;
      useLabel.hidden = cancel.hidden = false;
      summary.textContent = t("edit_title", {name: p.title});
      save.textContent = t("save_changes");
      msg.textContent = "";
      form.open = true;
      nameEn.focus();
    }
    cancel.addEventListener("click", function () { reset(); msg.textContent = ""; });

    save.addEventListener("click", function () {
      msg.className = "bm-status bm-error";
      var withLine = !editing || useLine.checked;
      if (withLine && !lastPlan) { msg.textContent = t("nothing"); return; }
      if (!nameEn.value.trim()) { msg.textContent = t("name_needed"); nameEn.focus(); return; }
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
            msg.textContent = resp.status === 412 ? t("stale") : (fields || e.message || resp.statusText);
            if (resp.status === 412) { reset(); load(); }
            return;
          }
          msg.className = "bm-status";
          msg.textContent = t("saved", {name: data.properties.title});
          reset();
          load();
        });
      }).catch(function () { save.disabled = false; msg.textContent = t("load_error"); });
    });
    box.appendChild(form);
    editForm = {edit: edit};
  }


  bm.api("featured/session").then(function (session) {
    if (session && session.staff) { staff = session; staffForm(session); }
  }).catch(function () { /* not staff */ }).then(load);

  bm.featured = {show: show, reload: load};
})();
