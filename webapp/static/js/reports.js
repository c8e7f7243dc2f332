/* Road reports from visitors (Open311 GeoReport v2 at bikemap.config.reports.api).
 *
 * "Report a problem" on the map, or a long press / right click on a point, opens a small form:
 * the type (the server's services.json), a short description, one optional photo (checked
 * for type and size here, re-encoded by the server), an optional email, and "on my route,
 * here" which moves the point to the nearest point of the drawn route and names the route's
 * place (km from its start) in the report. While the form is open a tap on the map moves the
 * point instead of planning a route (planner.js asks `bikemap.reports.takesClicks()`).
 *
 * After sending: the reference number and a status link (?report=TOKEN on this page) the
 * visitor can keep; the link opens the status panel (received, confirmed, rejected... with
 * the staff's notes). Confirmed reports are a layer of the map with a legend entry;
 * the server never lists unconfirmed ones. Every text goes in through textContent.
 */
(function () {
  "use strict";
  var bm = window.bikemap;
  var cfg = bm && bm.config.reports;
  if (!bm || !window.L || !cfg) return;
  var map = bm.map, t = bm.t, el = bm.el;
  var LONG_PRESS_MS = 550, MOVE_PX = 10;
  var MB = 1024 * 1024;

  document.head.appendChild(el("style", {}, [
    ".bm-rp-open { display: flex; align-items: center; gap: .35rem; border: 0; border-radius: .4rem; padding: .45rem .7rem;",
    "  background: #b45309; color: #fff; font: 700 .85rem/1.2 system-ui, sans-serif; box-shadow: 0 1px 5px rgba(0,0,0,.35); }",
    ".bm-rp-open[hidden] { display: none; }",
    ".bm-rp-sheet { position: fixed; z-index: 1500; right: .75rem; top: 6.5rem; width: 22rem; max-height: calc(100vh - 7.5rem);",
    "  overflow-y: auto; background: #fff; border-radius: .6rem; box-shadow: 0 4px 18px rgba(0,0,0,.35); padding: .75rem; }",
    ".bm-rp-sheet h2 { font-size: 1.05rem; margin: 0 2rem .4rem 0; }",
    ".bm-rp-close { position: absolute; right: .35rem; top: .25rem; border: 0; background: none; font-size: 1.5rem;",
    "  line-height: 1; min-width: 2.5rem; min-height: 2.5rem; color: #444; }",
    ".bm-rp-types { border: 0; padding: 0; margin: 0; display: grid; grid-template-columns: 1fr 1fr; gap: .3rem; }",
    ".bm-rp-types legend { font-size: .8rem; font-weight: 600; margin: 0 0 .2rem; float: none; grid-column: 1 / -1; }",
    ".bm-rp-types label { display: flex; align-items: center; gap: .35rem; min-height: 2.5rem; padding: .25rem .4rem;",
    "  border: 1px solid #b45309; border-radius: .4rem; font-size: .82rem; line-height: 1.15; cursor: pointer; }",
    ".bm-rp-types label.bm-on { background: #b45309; color: #fff; }",
    ".bm-rp-types input { position: absolute; opacity: 0; width: 1px; height: 1px; }",
    ".bm-rp-types input:focus-visible + span { outline: 2px solid #2563eb; outline-offset: 2px; }",
    ".bm-rp-sheet textarea { width: 100%; min-height: 4.5rem; }",
    ".bm-rp-sheet .bm-rp-check { display: flex; gap: .4rem; align-items: flex-start; font-size: .85rem; margin: .5rem 0; }",
    ".bm-rp-sheet .bm-rp-check input { margin-top: .2rem; min-width: 1.1rem; min-height: 1.1rem; }",
    ".bm-rp-msg { font-size: .85rem; margin: .4rem 0; }",
    ".bm-rp-msg.bm-error { color: #b91c1c; font-weight: 600; }",
    ".bm-rp-done { background: #ecfdf5; border-left: 4px solid #15803d; padding: .5rem .6rem; font-size: .9rem; }",
    ".bm-rp-done a { overflow-wrap: anywhere; }",
    ".bm-rp-ref { font-size: 1.3rem; font-weight: 700; }",
    ".bm-rp-marker { width: 30px; height: 30px; border-radius: 50% 50% 50% 0; transform: rotate(-45deg); background: #b45309;",
    "  border: 2px solid #fff; box-shadow: 0 1px 4px rgba(0,0,0,.5); display: flex; align-items: center; justify-content: center; }",
    ".bm-rp-marker i { transform: rotate(45deg); color: #fff; font-size: 13px; }",
    ".bm-rp-pin { width: 22px; height: 22px; border-radius: 4px; background: #b45309; border: 2px solid #fff;",
    "  box-shadow: 0 1px 4px rgba(0,0,0,.45); display: flex; align-items: center; justify-content: center; color: #fff; font-size: 11px; }",
    ".bm-legend .bm-rp-pin { display: inline-flex; margin: 0 .3rem; box-shadow: none; }",
    ".bm-rp-status dt { font-size: .75rem; color: #666; font-weight: 400; } .bm-rp-status dd { margin: 0 0 .35rem; }",
    ".bm-rp-state { display: inline-block; padding: .1rem .5rem; border-radius: 1rem; font-weight: 700; background: #e5e7eb; }",
    ".bm-rp-state-confirmed, .bm-rp-state-closed { background: #dcfce7; color: #14532d; }",
    ".bm-rp-state-rejected { background: #fee2e2; color: #7f1d1d; }",
    "@media (max-width: 720px) {",
    "  .bm-rp-sheet { left: 0; right: 0; top: auto; bottom: 0; width: auto; max-height: 62vh; border-radius: .8rem .8rem 0 0; }",
    "}"
  ].join("\n")));

  // ------------------------------------------------------------------ helpers

  function api(path, options) {
    return fetch(cfg.api + "/" + path, options || {}).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (resp.ok) return body;
        var err = (body && body.error) || {};
        // an Open311 error answer is a list of one {code (the status), description, error_code, ...}
        if (Array.isArray(body) && body[0]) err = Object.assign({}, body[0], {code: body[0].error_code, message: body[0].description});
        err.status = resp.status;
        err.retryAfter = parseInt(resp.headers.get("Retry-After") || "", 10);
        throw err;
      });
    });
  }
  // a type's name comes from the server in the page's language (services.json, ?lang=)
  function typeName(item) { return item.service_name || item.service_code; }
  function errorText(err) {
    if (!err || !err.status) return t("err_network");
    if (err.status === 413) return t("report_err_413", {mb: Math.round(cfg.maxPhoto / MB)});
    if (err.status === 429) {
      var min = err.retryAfter > 0 ? Math.ceil(err.retryAfter / 60) : 1;
      return t("report_err_429", {min: min});
    }
    if (err.status === 422 && err.code === "OutsideArea") return t("report_err_outside", {area: (err.area && err.area.name) || "?"});
    if (err.status === 422 && err.fields) return t("report_err_fields", {fields: Object.keys(err.fields).map(fieldName).join(", ")});
    if (err.status === 422) return t("report_err_422") + (err.message ? " (" + err.message + ")" : "");
    if (err.status === 400) return t("report_err_400") + (err.message ? " (" + err.message + ")" : "");
    return t("report_err_other", {status: err.status});
  }
  function fieldName(f) {
    var names = {service_code: "report_type", description: "report_description", email: "report_email", media: "report_photo",
                 lat: "report_point", "long": "report_point"};
    return names[f] ? t(names[f], {mb: Math.round(cfg.maxPhoto / MB)}) : f;
  }
  function statusLink(token) {
    return location.origin + location.pathname + "?" + bm.query({report: token, lang: bm.lang});
  }

  // ------------------------------------------------------------------ the point (a marker while the form is open)

  var marker = null, point = null, routeNote = null;
  function setPoint(lat, lon) {
    point = {lat: lat, lon: lon};
    var ll = [lat, lon];
    if (!marker) {
      marker = L.marker(ll, {
        draggable: true, keyboard: true, zIndexOffset: 1200, title: t("report_point"), alt: t("report_point"),
        icon: L.divIcon({className: "", iconSize: [30, 30], iconAnchor: [15, 34],
                         html: '<div class="bm-rp-marker"><i class="fa-solid fa-triangle-exclamation" aria-hidden="true"></i></div>'})
      });
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        point = {lat: p.lat, lon: p.lng};
        onRoute.checked = false;
        routeNote = null;
      });
      marker.addTo(map);
    } else {
      marker.setLatLng(ll);
    }
  }
  function clearPoint() {
    if (marker) { map.removeLayer(marker); marker = null; }
    point = null;
  }

  // the nearest point of the drawn route and how far along it lies (flat metres: a city's scale)
  var route = null;
  bm.on("route", function (f) { route = f && f.geometry && f.geometry.type === "LineString" ? f : null; showRouteOption(); });
  function nearestOnRoute(p) {
    var c = route.geometry.coordinates, kx = 111320 * Math.cos(p.lat * Math.PI / 180), ky = 110540;
    var best = null, along = 0;
    for (var i = 0; i < c.length - 1; i++) {
      var ax = (c[i][0] - p.lon) * kx, ay = (c[i][1] - p.lat) * ky;
      var bx = (c[i + 1][0] - p.lon) * kx, by = (c[i + 1][1] - p.lat) * ky;
      var dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, len = Math.sqrt(len2);
      var s = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
      var x = ax + s * dx, y = ay + s * dy, d = Math.sqrt(x * x + y * y);
      if (!best || d < best.d) {
        best = {d: d, along: along + s * len, lat: p.lat + y / ky, lon: p.lon + x / kx};
      }
      along += len;
    }
    return best;
  }

  // ------------------------------------------------------------------ the form

  var sheet = el("section", {"class": "bm-rp-sheet", id: "bm-report", role: "dialog", "aria-labelledby": "bm-report-title", hidden: "hidden"});
  var closeBtn = el("button", {type: "button", "class": "bm-rp-close", "aria-label": t("report_close"), title: t("report_close")}, "\u00d7");
  sheet.appendChild(closeBtn);
  sheet.appendChild(el("h2", {id: "bm-report-title"}, t("report_title")));
  var form = el("form", {id: "bm-report-form", novalidate: "novalidate"});
  sheet.appendChild(form);
  form.appendChild(el("p", {"class": "bm-help", id: "bm-report-where"}, t("report_where")));
  var types = el("fieldset", {"class": "bm-rp-types", id: "bm-report-types"});
  types.appendChild(el("legend", {}, t("report_type")));
  form.appendChild(types);
  form.appendChild(el("label", {"class": "bm-label", "for": "bm-report-desc"}, t("report_description")));
  var ROUTE_NOTE_ROOM = 80;  // "on my route, here" adds a short note to the description
  var desc = el("textarea", {id: "bm-report-desc", "class": "form-control form-control-sm", maxlength: String(Math.max(1, cfg.maxDescription - ROUTE_NOTE_ROOM)),
                             rows: "3", placeholder: t("report_description_ph")});
  form.appendChild(desc);
  var routeBox = el("label", {"class": "bm-rp-check", id: "bm-report-route-box", hidden: "hidden"});
  var onRoute = el("input", {type: "checkbox", id: "bm-report-route"});
  routeBox.appendChild(onRoute);
  routeBox.appendChild(el("span", {}, t("report_on_route")));
  form.appendChild(routeBox);
  form.appendChild(el("label", {"class": "bm-label", "for": "bm-report-photo"}, t("report_photo", {mb: Math.round(cfg.maxPhoto / MB)})));
  var photo = el("input", {type: "file", id: "bm-report-photo", "class": "form-control form-control-sm", accept: cfg.photoTypes.join(",")});
  form.appendChild(photo);
  form.appendChild(el("label", {"class": "bm-label", "for": "bm-report-email"}, t("report_email")));
  var email = el("input", {type: "email", id: "bm-report-email", "class": "form-control form-control-sm", autocomplete: "email",
                           maxlength: "254", "aria-describedby": "bm-report-email-help"});
  form.appendChild(email);
  form.appendChild(el("p", {"class": "bm-help", id: "bm-report-email-help"}, t("report_email_help")));
  var msg = el("p", {"class": "bm-rp-msg", id: "bm-report-msg", role: "alert"});
  form.appendChild(msg);
  var send = el("button", {type: "submit", id: "bm-report-send", "class": "btn btn-sm btn-primary"}, t("report_send"));
  form.appendChild(el("div", {"class": "bm-row"}, null)).appendChild(send);
  var done = el("div", {"class": "bm-rp-done", id: "bm-report-done", role: "status", hidden: "hidden"});
  sheet.appendChild(done);
  document.body.appendChild(sheet);

  var services = null;
  function loadServices() {
    if (services) return Promise.resolve(services);
    return api("services.json?" + bm.query({lang: bm.lang})).then(function (list) {
      services = list || [];
      types.querySelectorAll("label").forEach(function (n) { n.remove(); });
      services.forEach(function (s) {
        var lab = el("label", {"for": "bm-report-type-" + s.service_code});
        var input = el("input", {type: "radio", name: "service_code", value: s.service_code, id: "bm-report-type-" + s.service_code});
        lab.appendChild(input);
        lab.appendChild(el("span", {}, typeName(s)));
        input.addEventListener("change", function () {
          types.querySelectorAll("label").forEach(function (n) { n.classList.toggle("bm-on", n.firstChild.checked); });
        });
        types.appendChild(lab);
      });
      return services;
    });
  }

  function showRouteOption() { routeBox.hidden = !route; if (!route) onRoute.checked = false; }
  onRoute.addEventListener("change", function () {
    routeNote = null;
    if (!onRoute.checked || !route || !point) return;
    var near = nearestOnRoute(point);
    setPoint(near.lat, near.lon);
    routeNote = t("report_route_note", {km: (near.along / 1000).toFixed(1)});
    if (!map.getBounds().contains([near.lat, near.lon])) map.panTo([near.lat, near.lon]);
  });

  function say(text, isError) {
    msg.textContent = text || "";
    msg.className = "bm-rp-msg" + (isError ? " bm-error" : "");
  }
  function photoProblem() {
    var f = photo.files && photo.files[0];
    if (!f) return null;
    if (cfg.photoTypes.indexOf(f.type) < 0) return t("report_photo_type");
    if (f.size > cfg.maxPhoto) {
      return t("report_photo_big", {size: (f.size / MB).toFixed(1), mb: Math.round(cfg.maxPhoto / MB)});
    }
    return null;
  }
  photo.addEventListener("change", function () { var p = photoProblem(); say(p, !!p); });

  function openForm(lat, lon) {
    sheet.hidden = false;
    openCtl.getContainer().hidden = true;  // the form is open: the button would only cover the map
    form.hidden = false;
    done.hidden = true;
    say("");
    onRoute.checked = false;
    routeNote = null;
    setPoint(lat, lon);
    showRouteOption();
    loadServices().catch(function (err) { say(errorText(err), true); });
    // on a phone the sheet covers the lower map: the point goes to the visible upper part
    if (window.matchMedia("(max-width: 720px)").matches) {
      var size = map.getSize(), p = map.latLngToContainerPoint([lat, lon]);
      var want = size.y * 0.25;
      if (p.y > size.y * 0.4) map.panBy([0, p.y - want], {animate: false});
    }
    var first = types.querySelector("input");
    if (first) first.focus({preventScroll: true});
  }
  function closeForm() {
    sheet.hidden = true;
    openCtl.getContainer().hidden = false;
    clearPoint();
    onRoute.checked = false;
    routeNote = null;
  }
  closeBtn.addEventListener("click", closeForm);
  sheet.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closeForm(); });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = form.querySelector("input[name=service_code]:checked");
    if (!code) { say(t("report_need_type"), true); types.querySelector("input").focus(); return; }
    if (!point) { say(t("report_where"), true); return; }
    if (!desc.value.trim()) { say(t("report_need_description"), true); desc.focus(); return; }
    var bad = photoProblem();
    if (bad) { say(bad, true); photo.focus(); return; }
    if (email.value && !email.checkValidity()) { say(t("report_email_bad"), true); email.focus(); return; }
    var body = new FormData();
    body.append("service_code", code.value);
    body.append("lat", point.lat.toFixed(6));
    body.append("long", point.lon.toFixed(6));
    var text = desc.value.trim();
    if (routeNote) text = text ? text + " \u2014 " + routeNote : routeNote;
    body.append("description", text);
    if (email.value.trim()) body.append("email", email.value.trim());
    if (photo.files && photo.files[0]) body.append("media", photo.files[0]);
    send.disabled = true;
    say(t("report_sending"));
    api("requests.json?" + bm.query({lang: bm.lang}), {method: "POST", body: body, headers: {Accept: "application/json"}}).then(function (answer) {
      send.disabled = false;
      var r = Array.isArray(answer) ? answer[0] : answer;
      showDone(r);
      form.reset();
      types.querySelectorAll("label").forEach(function (n) { n.classList.remove("bm-on"); });
    }).catch(function (err) {
      send.disabled = false;
      say(errorText(err), true);
    });
  });

  function showDone(r) {
    form.hidden = true;
    done.hidden = false;
    done.textContent = "";
    clearPoint();
    done.appendChild(el("p", {}, t("report_thanks")));
    var ref = el("p", {}, t("report_reference") + " ");
    ref.appendChild(el("span", {"class": "bm-rp-ref", id: "bm-report-ref"}, "#" + r.service_request_id));
    done.appendChild(ref);
    var link = statusLink(r.token);
    done.appendChild(el("p", {}, t("report_keep_link")));
    done.appendChild(el("a", {href: link, id: "bm-report-link"}, link));
    var copy = el("button", {type: "button", "class": "btn btn-sm btn-outline-primary", id: "bm-report-copy"}, t("report_copy"));
    copy.addEventListener("click", function () {
      var ok = function () { copy.textContent = t("copied"); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).then(ok, ok);
      else window.prompt(t("report_copy"), link);
    });
    done.appendChild(el("div", {"class": "bm-row"})).appendChild(copy);
    done.appendChild(el("p", {"class": "bm-help"}, t("report_next")));
  }

  // ------------------------------------------------------------------ opening it: the button, a long press, a right click

  var openCtl = L.control({position: "topright"});
  openCtl.onAdd = function () {
    var b = L.DomUtil.create("button", "bm-rp-open");
    b.type = "button";
    b.id = "bm-report-open";
    b.appendChild(el("i", {"class": "fa-solid fa-triangle-exclamation", "aria-hidden": "true"}));
    b.appendChild(document.createTextNode(t("report_open")));
    L.DomEvent.disableClickPropagation(b);
    b.addEventListener("click", function () { var c = map.getCenter(); openForm(c.lat, c.lng); });
    return b;
  };
  openCtl.addTo(map);

  var openedAt = 0;
  function openAt(latlng) {
    if (Date.now() - openedAt < 800) return;  // a long press is also a contextmenu on some phones
    openedAt = Date.now();
    openForm(latlng.lat, latlng.lng);
  }
  map.on("contextmenu", function (e) { openAt(e.latlng); });
  var press = null;
  var box = map.getContainer();
  box.addEventListener("pointerdown", function (ev) {
    if (ev.pointerType !== "touch" || !ev.isPrimary) return;
    if (ev.target.closest && ev.target.closest(".leaflet-control, .leaflet-marker-icon, .leaflet-popup")) return;
    var x = ev.clientX, y = ev.clientY;
    press = {x: x, y: y, timer: setTimeout(function () {
      var r = box.getBoundingClientRect();
      press = null;
      openAt(map.containerPointToLatLng([x - r.left, y - r.top]));
    }, LONG_PRESS_MS)};
  });
  function cancelPress(ev) {
    if (!press) return;
    if (ev.type === "pointermove" && Math.abs(ev.clientX - press.x) < MOVE_PX && Math.abs(ev.clientY - press.y) < MOVE_PX) return;
    clearTimeout(press.timer);
    press = null;
  }
  ["pointermove", "pointerup", "pointercancel"].forEach(function (n) { box.addEventListener(n, cancelPress); });
  // while the form is open a tap on the map moves the point (planner.js leaves it alone)
  map.on("click", function (e) {
    if (sheet.hidden || form.hidden) return;
    setPoint(e.latlng.lat, e.latlng.lng);
    onRoute.checked = false;
    routeNote = null;
  });

  // ------------------------------------------------------------------ confirmed reports on the map

  var legendItem = null;
  function legend() {
    var list = document.querySelector("#panel-legend ul");
    if (!list || legendItem) return;
    legendItem = el("li", {id: "bm-legend-reports"});
    var pin = el("span", {"class": "bm-rp-pin", "aria-hidden": "true"});
    pin.appendChild(el("i", {"class": "fa-solid fa-triangle-exclamation"}));
    legendItem.appendChild(pin);
    legendItem.appendChild(document.createTextNode(t("report_layer")));
    list.appendChild(legendItem);
  }
  var layer = L.layerGroup().addTo(map);
  function popupOf(p) {
    var box = el("div", {"class": "bm-popup bm-rp-popup"});
    box.appendChild(el("strong", {"class": "bm-name"}, typeName(p)));
    box.appendChild(el("div", {"class": "bm-cat"}, t("report_layer") + " #" + p.service_request_id));
    if (p.description) box.appendChild(el("div", {"class": "bm-desc"}, p.description));
    if (p.status_notes) box.appendChild(el("div", {"class": "bm-desc"}, p.status_notes));
    return box;
  }
  function loadConfirmed() {
    // Open311 "open" = confirmed by staff (closed ones no longer change routes; received ones are never listed)
    return api("requests.json?" + bm.query({status: "open", lang: bm.lang})).then(function (list) {
      layer.clearLayers();
      (list || []).forEach(function (p) {
        if (p.lat === undefined || p.long === undefined || p.detailed_status !== "confirmed") return;
        var m = L.marker([p.lat, p.long], {
          keyboard: true, title: typeName(p), alt: typeName(p),
          icon: L.divIcon({className: "bm-rp-confirmed", iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10],
                           html: '<div class="bm-rp-pin"><i class="fa-solid fa-triangle-exclamation" aria-hidden="true"></i></div>'})
        });
        m.bindPopup(function () { return popupOf(p); });
        layer.addLayer(m);
      });
      if (layer.getLayers().length) legend();
      bm.emit("reports", layer.getLayers().length);
    }).catch(function (err) { if (window.console) console.warn("reports:", err && err.message); });
  }
  loadConfirmed();

  // ------------------------------------------------------------------ a report's status (?report=TOKEN)

  // each state's name and what it means for the visitor (literal ids: the catalogue's extraction finds them)
  var STATES = {
    received: [t("report_state_received"), t("report_state_help_received")],
    confirmed: [t("report_state_confirmed"), t("report_state_help_confirmed")],
    merged: [t("report_state_merged"), t("report_state_help_merged")],
    rejected: [t("report_state_rejected"), t("report_state_help_rejected")],
    closed: [t("report_state_closed"), t("report_state_help_closed")]
  };
  function showStatus(token) {
    bm.urlState.report = token;
    if (bm.planner) bm.planner.writeUrl();
    var sec = bm.section("report-status", t("report_status_title"));
    sec.setAttribute("aria-live", "polite");
    sec.parentNode.insertBefore(sec, sec.parentNode.firstChild);  // what the link was opened for comes first
    var body = sec.querySelector(".bm-rp-status") || sec.appendChild(el("div", {"class": "bm-rp-status"}));
    body.textContent = t("report_loading");
    return api("status/" + encodeURIComponent(token) + ".json?" + bm.query({lang: bm.lang})).then(function (r) {
      body.textContent = "";
      var dl = el("dl");
      // bikemap's detailed_status: "open" is a report nobody has reviewed yet, "received" to the visitor
      var state = r.detailed_status === "open" ? "received" : r.detailed_status;
      if (!Object.prototype.hasOwnProperty.call(STATES, state)) state = "received";
      [[t("report_reference"), "#" + r.service_request_id, null],
       [t("report_type_label"), typeName(r), null],
       [t("report_state"), STATES[state][0] + (state === "confirmed" && r.kind ? " \u00b7 " + t(r.kind === "closure" ? "closure_closed" : "closure_hazard") : "")
                        + (state === "merged" && r.merged_into ? " #" + r.merged_into : ""), "bm-rp-state bm-rp-state-" + state],
       [t("report_notes"), r.status_notes || "\u2014", null],
       [t("report_sent"), new Date(r.requested_datetime).toLocaleString(bm.lang), null],
       [t("report_updated"), r.updated_datetime ? new Date(r.updated_datetime).toLocaleString(bm.lang) : "\u2014", null]
      ].forEach(function (row) {
        dl.appendChild(el("dt", {}, row[0]));
        var dd = el("dd", {}, null);
        dd.appendChild(el("span", row[2] ? {"class": row[2], id: "bm-report-state", "data-state": state} : {}, row[1]));
        dl.appendChild(dd);
      });
      body.appendChild(dl);
      body.appendChild(el("p", {"class": "bm-help"}, STATES[state][1]));
      if (r.lat !== undefined && r.long !== undefined) {
        L.circleMarker([r.lat, r.long], {radius: 10, color: "#b45309", weight: 3, fillOpacity: 0.2, interactive: false}).addTo(map);
        if (!bm.planner || !bm.planner.state.from) map.setView([r.lat, r.long], Math.max(map.getZoom(), 16));
      }
      // on a phone the panel is below the map: the status is what the visitor opened the link for
      if (window.matchMedia("(max-width: 720px)").matches) sec.scrollIntoView();
    }).catch(function (err) {
      body.textContent = err && err.status === 404 ? t("report_status_unknown") : errorText(err);
      body.className = "bm-rp-status bm-status bm-error";
    });
  }
  var token = bm.initialQuery.get("report");
  if (token) showStatus(token);

  bm.reports = {takesClicks: function () { return !sheet.hidden && !form.hidden; }, open: openForm, reload: loadConfirmed};
})();
