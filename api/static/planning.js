// The interactive parts of /kartor/planering: suggested sites, click-to-pick, saving a planned
// traffic check, the planned checks (sorted, filtered, changed, dragged and deleted on the map
// with their versions), a randomised weekly plan saved as planned checks in one call, and the
// planner's own candidate sites added and moved by a click. Talks to the API with fetch; uses
// the Leaflet map folium created. All data are shown with textContent, never HTML.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("planning-config").textContent);
  const map = window[config.map];
  const $ = (id) => document.getElementById(id);
  // The roads fill the map beside the panel on a wide screen, the whole map on a phone.
  if (config.bounds) {
    const wide = !window.matchMedia("(max-width: 700px)").matches;
    map.fitBounds(config.bounds, wide ? {paddingBottomRight: [360, 20], animate: false}
                                      : {animate: false});
  }
  const suggested = L.layerGroup().addTo(map);
  const planned = L.layerGroup().addTo(map);
  const picked = L.layerGroup().addTo(map);
  const week = L.layerGroup().addTo(map);
  const candidates = L.layerGroup().addTo(map);
  let pick = null; // {lon, lat, road, candidate}
  let canWrite = false;
  let checks = []; // the traffic checks read, as GeoJSON features
  let editing = null; // {id, version} of the planned check in the edit form
  let lastPlan = null; // the weekly plan drawn last (the answer of /api/siting/schedule)
  let candidateEdit = null; // {id, version} of the candidate site in the form
  let candidatePoint = null; // {lon, lat} clicked for a new candidate site

  const {el, num, pct, api, table} = window.Trygg;
  const T = window.Trygg;
  const post = (path, data) => T.send(path, data, "POST");
  const HOUR_MS = 3600000;
  const MARKER = (cls) => L.divIcon({className: cls, iconSize: [16, 16]});

  // What a person reads of a failed call: a change by someone else (409) said in Swedish.
  function errorText(error) {
    if (error.status === 409) {
      return (/^någon annan/i.test(error.message) ? error.message :
        "någon annan har ändrat den sedan du läste den; ladda om sidan och försök igen");
    }
    return error.message;
  }
  function showError(target, error) {
    target.replaceChildren(el("p", "Fel: " + errorText(error), "error"));
  }
  // A call with a JSON body and the version read (If-Match).
  function sendVersioned(path, method, version, data) {
    const opts = {method: method, headers: {"If-Match": '"' + version + '"'}};
    if (data) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    return api(path, opts);
  }

  // --- dates: Stockholm's calendar, never UTC's --------------------------------------------
  const two = (n) => String(n).padStart(2, "0");
  // The ISO week ("2026-W49") of a calendar date "YYYY-MM-DD" (pure calendar arithmetic).
  function isoWeek(day) {
    const [y, m, d] = day.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    const weekday = date.getUTCDay() || 7;
    date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of that week
    const first = new Date(Date.UTC(date.getUTCFullYear(), 0, 1));
    const n = Math.ceil(((date - first) / 86400000 + 1) / 7);
    return date.getUTCFullYear() + "-W" + two(n);
  }
  function addDays(day, n) {
    const [y, m, d] = day.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d + n));
    return date.getUTCFullYear() + "-" + two(date.getUTCMonth() + 1) + "-" +
      two(date.getUTCDate());
  }
  // Stockholm's date and time of day of an instant: ["2024-10-27", "02:30"].
  function localParts(value) {
    const iso = T.stockholmIso(new Date(value));
    return [iso.slice(0, 10), iso.slice(11, 16)];
  }
  // Start and end instants of a date, a local time and a number of hours (elapsed time: two
  // hours from 01:30 on the night clocks go back end at 02:30 the second time).
  function interval(dateId, timeId, hoursId) {
    const start = T.stockholmInstant($(dateId).value, $(timeId).value || "00:00");
    const hours = Number($(hoursId).value || 0);
    return {start: start, end: new Date(start.getTime() + hours * HOUR_MS), hours: hours};
  }
  // "Slutar 2025-03-30 05:00" under the date fields, in Stockholm time.
  function showEnd(dateId, timeId, hoursId, targetId) {
    const target = $(targetId);
    if (!$(dateId).value || !$(hoursId).value) { target.textContent = ""; return; }
    const span = interval(dateId, timeId, hoursId);
    target.textContent = "Slutar " + T.stockholmText(span.end) + " (" + num(span.hours) +
      " tim)";
  }

  // --- suggested sites ----------------------------------------------------------------------
  function suggestBody() {
    const body = {k: Number($("k").value), radius_m: Number($("radius").value),
                  spacing_m: Number($("spacing").value || 0),
                  rotation_weeks: Number($("rotation").value || 0)};
    const category = $("category").value;
    body.categories = category ? [category] : [];
    const hours = $("hours").value.trim();
    if (hours) body.hours = hours;
    return body;
  }

  function clearSuggestion() {
    suggested.clearLayers();
    $("suggest-result").replaceChildren();
  }

  function drawSuggestion(doc) {
    suggested.clearLayers();
    const radius = doc.radius_m;
    const target = $("suggest-result");
    target.replaceChildren();
    target.appendChild(el("p", "Täckt andel av all riskvikt: " + pct(doc.covered_share) +
      " (" + num(doc.covered_weight) + " av " + num(doc.total_weight) + "), " +
      (doc.method === "mip" ? "optimalt (MIP)" : "girig lösning, högst " + pct(doc.gap) +
       " från optimum") + "."));
    const list = el("ol");
    list.id = "suggested-list";
    doc.features.forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      L.circle([lat, lon], {radius: radius, color: "#1f78b4", weight: 1, fillOpacity: 0.08,
                            interactive: false}).addTo(suggested);
      const marker = L.circleMarker([lat, lon], {radius: 7, color: "#1f78b4", fillOpacity: 0.9})
        .addTo(suggested);
      marker.bindTooltip(el("span", p.rank + ". " + p.name + " – " + pct(p.share_assigned)));
      const item = el("li", p.name + " – " + pct(p.share_assigned) + " ");
      const choose = el("button", "Välj");
      choose.type = "button";
      choose.addEventListener("click", () => setPick(lon, lat, p.name, p.candidate_id));
      item.appendChild(choose);
      list.appendChild(item);
    });
    target.appendChild(list);
    (doc.notes || []).forEach((n) => target.appendChild(el("p", n, "note")));
  }

  async function runSuggest(event) {
    if (event) event.preventDefault();
    const target = $("suggest-result");
    target.replaceChildren(el("p", "Räknar…"));
    try {
      drawSuggestion(await post("/api/siting/suggest", suggestBody()));
    } catch (error) {
      suggested.clearLayers(); // an error leaves no old result on the map
      showError(target, error);
    }
  }

  // --- picking a site and planning a check --------------------------------------------------
  // The site the check is planned at: a suggested site (with its candidate site's id when it
  // is one of the planner's) or a clicked point snapped to a road.
  function setPick(lon, lat, label, candidate) {
    pick = {lon: lon, lat: lat, road: label, candidate: candidate || null};
    picked.clearLayers();
    L.marker([lat, lon]).addTo(picked);
    $("pick-text").textContent = "Vald plats: " + label + " (" + num(lat, 5) + ", " +
      num(lon, 5) + ")";
    if (!$("check-place").value) $("check-place").value = label;
    $("save-check").disabled = !canWrite;
    if (!canWrite) $("save-status").textContent = "Logga in som planerare för att spara.";
  }

  function clearPick(message) {
    pick = null; // a click away from every road leaves no old site selected
    picked.clearLayers();
    $("pick-text").textContent = "Ingen plats vald.";
    $("save-check").disabled = true;
    $("save-status").textContent = message;
  }

  async function onMapClick(event) {
    if ($("candidate-mode").checked) { await candidateClick(event); return; }
    try {
      const snapped = await post("/api/siting/snap", {lon: event.latlng.lng,
                                                       lat: event.latlng.lat});
      $("check-place").value = "";
      setPick(snapped.lon, snapped.lat, snapped.road);
      $("save-status").textContent = "Flyttad " + num(snapped.distance_m) + " m till " +
        snapped.road + ".";
    } catch (error) { clearPick("Ingen plats vald: " + errorText(error)); }
  }

  function chosenKinds(name) {
    return Array.from(document.querySelectorAll("input[name=" + name + "]:checked"))
      .map((b) => b.value);
  }

  async function saveCheck() {
    const status = $("save-status");
    if (!pick) { status.textContent = "Välj först en plats på kartan."; return; }
    if (!$("check-date").value) {
      status.textContent = "Fältet Datum saknas: välj en dag från i dag och framåt.";
      return;
    }
    const span = interval("check-date", "check-time", "check-hours");
    const plan = {lon: pick.lon, lat: pick.lat, start: T.stockholmIso(span.start),
                  end: T.stockholmIso(span.end), kinds: chosenKinds("kind"),
                  place: $("check-place").value.trim() || pick.road};
    if (pick.candidate) plan.candidate_id = pick.candidate;
    try {
      const result = await post("/api/siting/plan", plan);
      status.textContent = "Kontroll planerad (id " + result.id + ").";
      status.dataset.savedId = String(result.id);
      await loadPlanned();
    } catch (error) { status.textContent = "Kunde inte spara: " + errorText(error); }
  }

  // --- the planned checks: list, filters, markers, editing ----------------------------------
  const startOf = (f) => (f.properties.start ? new Date(f.properties.start).getTime() : Infinity);
  function checkText(f) {
    const p = f.properties;
    let when = "datum saknas";
    if (p.start) {
      when = T.stockholmText(p.start);
      if (p.end) when += "–" + localParts(p.end)[1];
    }
    const kinds = (p.kinds || []).map((k) => config.check_kind_sv[k] || k).join(", ");
    return when + " – " + (p.place || "") + " (" + kinds + ")";
  }
  function shown(f) {
    const p = f.properties;
    const status = $("filter-status").value;
    const kind = $("filter-kind").value;
    const weekValue = $("filter-week").value;
    if (status && p.status !== status) return false;
    if (kind && !(p.kinds || []).includes(kind)) return false;
    if (weekValue && (!p.start || isoWeek(localParts(p.start)[0]) !== weekValue)) return false;
    return true;
  }

  function drawPlanned() {
    const list = $("planned-list");
    planned.clearLayers();
    list.replaceChildren();
    checks.filter(shown).sort((a, b) => startOf(a) - startOf(b) || a.id - b.id).forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const text = checkText(f);
      const isPlan = f.properties.status === "planerad";
      const item = el("li", text);
      item.dataset.id = String(f.id);
      if (isPlan) {
        const marker = L.marker([lat, lon], {
          icon: MARKER("planned-icon" + (editing && editing.id === f.id ? " editing" : "")),
          draggable: canWrite, keyboard: false, title: text});
        marker.bindTooltip(el("span", text));
        marker.on("click", () => openEdit(f));
        marker.on("dragend", () => moveCheck(f, marker));
        marker.addTo(planned);
        if (canWrite) {
          const change = el("button", "Ändra");
          change.type = "button";
          change.addEventListener("click", () => openEdit(f));
          item.appendChild(change);
        }
      } else {
        L.circleMarker([lat, lon], {radius: 6, color: "#636363", fillOpacity: 0.7})
          .bindTooltip(el("span", text)).addTo(planned);
      }
      list.appendChild(item);
    });
    if (!list.children.length) {
      list.appendChild(el("li", checks.length ? "Inga kontroller med det urvalet."
        : "Inga planerade kontroller ännu."));
    }
  }

  async function loadPlanned() {
    try {
      const doc = await api("/api/layers/traffic_checks");
      checks = doc.features;
      if (editing) {
        const now = checks.find((f) => f.id === editing.id);
        if (now) editing.version = now.properties.version;
      }
      drawPlanned();
    } catch (error) {
      $("planned-list").replaceChildren(el("li", "Fel: " + errorText(error), "error"));
    }
  }

  function openEdit(f) {
    if (!canWrite || f.properties.status !== "planerad") return;
    const p = f.properties;
    editing = {id: f.id, version: p.version};
    $("edit-check").hidden = false;
    $("edit-text").textContent = "Kontroll " + f.id + ": " + checkText(f);
    const [day, time] = p.start ? localParts(p.start) : [T.stockholmToday(), "22:00"];
    $("edit-date").value = day;
    $("edit-date").min = T.stockholmToday();
    $("edit-time").value = time;
    const hours = p.start && p.end ? (new Date(p.end) - new Date(p.start)) / HOUR_MS : 2;
    $("edit-hours").value = String(hours);
    $("edit-place").value = p.place || "";
    document.querySelectorAll("input[name=edit-kind]").forEach((box) => {
      box.checked = (p.kinds || []).includes(box.value);
    });
    $("edit-status").textContent = "";
    $("edit-delete").textContent = "Ta bort";
    delete $("edit-delete").dataset.confirm;
    showEnd("edit-date", "edit-time", "edit-hours", "edit-end");
    drawPlanned();
  }

  function closeEdit() {
    editing = null;
    $("edit-check").hidden = true;
    drawPlanned();
  }

  async function saveEdit() {
    const status = $("edit-status");
    if (!editing) return;
    if (!$("edit-date").value) { status.textContent = "Fältet Datum saknas: välj en dag."; return; }
    const span = interval("edit-date", "edit-time", "edit-hours");
    try {
      const feature = await sendVersioned("/api/siting/plan/" + editing.id, "PATCH",
        editing.version, {start: T.stockholmIso(span.start), end: T.stockholmIso(span.end),
                          kinds: chosenKinds("edit-kind"), place: $("edit-place").value});
      editing.version = feature.properties.version;
      status.textContent = "Ändringarna är sparade.";
      await loadPlanned();
    } catch (error) { status.textContent = "Kunde inte spara: " + errorText(error); }
  }

  async function deleteEdit() {
    const button = $("edit-delete");
    if (!editing) return;
    if (!button.dataset.confirm) { // a second click deletes (no browser dialog)
      button.dataset.confirm = "1";
      button.textContent = "Klicka igen för att ta bort";
      return;
    }
    try {
      await sendVersioned("/api/layers/traffic_checks/" + editing.id, "DELETE", editing.version);
      const id = editing.id;
      closeEdit();
      $("save-status").textContent = "Kontroll " + id + " är borttagen.";
      await loadPlanned();
    } catch (error) {
      $("edit-status").textContent = "Kunde inte ta bort: " + errorText(error);
      button.textContent = "Ta bort";
      delete button.dataset.confirm;
    }
  }

  // A planned check dragged on the map: moved on the server, snapped to the nearest road.
  async function moveCheck(f, marker) {
    const to = marker.getLatLng();
    const [lon, lat] = f.geometry.coordinates;
    if (!editing || editing.id !== f.id) openEdit(f);
    const status = $("edit-status");
    try {
      const feature = await sendVersioned("/api/siting/plan/" + f.id, "PATCH",
        f.properties.version, {lon: to.lng, lat: to.lat});
      editing.version = feature.properties.version;
      status.textContent = "Flyttad till " + feature.properties.place + ".";
      await loadPlanned();
    } catch (error) {
      marker.setLatLng([lat, lon]); // back where it was: nothing moved on the server
      status.textContent = "Kunde inte flytta: " + errorText(error);
    }
  }

  // --- the weekly plan -----------------------------------------------------------------------
  async function runSchedule(event) {
    event.preventDefault();
    const target = $("schedule-result");
    target.replaceChildren(el("p", "Slumpar…"));
    lastPlan = null;
    $("save-week").disabled = true;
    $("week-status").textContent = "";
    const body = Object.assign(suggestBody(), {
      week: $("week").value, seed: Number($("seed").value || 0),
      checks: Number($("checks").value), max_per_site: Number($("per-site").value),
      available_hours: $("available").value.trim() || "0-24"});
    try {
      const plan = await post("/api/siting/schedule", body);
      drawSuggestion(plan.sites);
      week.clearLayers();
      target.replaceChildren();
      target.appendChild(el("p", "Vecka " + plan.week + ", frö " + plan.seed + ": " +
        T.plural(plan.checks.length, "kontroll", "kontroller") + " på " +
        pct(plan.hours_share_planned) +
        " av veckans timmar fångar " + pct(plan.risk_share_planned) + " av risken."));
      const rows = plan.checks.map((c) => [c.weekday, c.block, c.site_rank + ". " + c.site]);
      const t = table(["Dag", "Tid", "Plats"], rows);
      t.id = "schedule-table";
      target.appendChild(t);
      plan.checks.forEach((c) => {
        L.circleMarker([c.lat, c.lon], {radius: 5, color: "#6a3d9a", fillOpacity: 0.9})
          .bindTooltip(el("span", c.weekday + " " + c.block + ": " + c.site)).addTo(week);
      });
      target.appendChild(el("p", "Planerade timmar jämfört med riskprofilen:"));
      target.appendChild(table(["Period", "Planerat", "Risk"],
        plan.comparison.map((r) => [r.period, pct(r.planned_share), pct(r.risk_share)])));
      (plan.notes || []).forEach((n) => target.appendChild(el("p", n, "note")));
      lastPlan = plan;
      $("save-week").disabled = !canWrite || !plan.checks.length;
      if (!canWrite) $("week-status").textContent = "Logga in som planerare för att spara.";
    } catch (error) {
      week.clearLayers(); // an error leaves no old plan or sites on the map
      clearSuggestion();
      showError(target, error);
    }
  }

  async function saveWeek() {
    const status = $("week-status");
    if (!lastPlan) { status.textContent = "Slumpa först en veckoplan."; return; }
    const candidateOf = {};
    lastPlan.sites.features.forEach((f) => {
      candidateOf[f.properties.rank] = f.properties.candidate_id;
    });
    const kinds = chosenKinds("week-kind");
    const body = {checks: lastPlan.checks.map((c) => {
      const check = {lon: c.lon, lat: c.lat, start: c.start, end: c.end, kinds: kinds,
                     place: c.site};
      if (candidateOf[c.site_rank]) check.candidate_id = candidateOf[c.site_rank];
      return check;
    })};
    try {
      const saved = await post("/api/siting/plan/week", body);
      status.textContent = T.plural(saved.count, "kontroll", "kontroller") +
        (saved.count === 1 ? " är sparad som planerad." : " är sparade som planerade.");
      status.dataset.savedIds = saved.ids.join(",");
      lastPlan = null; // saved once; a new draw may be saved again
      $("save-week").disabled = true;
      await loadPlanned();
    } catch (error) { status.textContent = "Inget sparades: " + errorText(error); }
  }

  // --- the planner's own candidate sites -----------------------------------------------------
  // The candidate sites: those the page came with, read again after every change.
  function drawCandidates(features) {
    candidates.clearLayers();
    features.forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const text = p.name + " (" + (config.candidate_kind_sv[p.kind] || p.kind) + ")";
      const marker = L.marker([lat, lon], {icon: MARKER("candidate-icon"),
                                           draggable: canWrite, keyboard: false, title: text});
      marker.bindTooltip(el("span", text));
      marker.on("click", () => openCandidate(f));
      marker.on("dragend", () => moveCandidate(f, marker));
      marker.addTo(candidates);
    });
  }
  async function loadCandidates() {
    try {
      drawCandidates((await api("/api/layers/candidate_sites")).features);
    } catch (error) {
      $("candidate-status").textContent = "Fel: " + errorText(error);
    }
  }

  function openCandidate(f) {
    if (!canWrite) return;
    candidateEdit = {id: f.id, version: f.properties.version};
    candidatePoint = null;
    picked.clearLayers();
    $("candidate-text").textContent = "Ändrar plats " + f.id + ": " + f.properties.name;
    $("candidate-name").value = f.properties.name || "";
    $("candidate-kind").value = f.properties.kind || "annan";
    $("candidate-save").disabled = false;
    $("candidate-status").textContent = "";
  }

  function newCandidate() {
    candidateEdit = null;
    candidatePoint = null;
    $("candidate-text").textContent = "Ingen plats vald.";
    $("candidate-name").value = "";
    $("candidate-save").disabled = true;
    $("candidate-status").textContent = "";
  }

  async function candidateClick(event) {
    const status = $("candidate-status");
    try {
      const snapped = await post("/api/siting/snap", {lon: event.latlng.lng,
                                                       lat: event.latlng.lat});
      candidateEdit = null;
      candidatePoint = {lon: snapped.lon, lat: snapped.lat};
      picked.clearLayers();
      L.marker([snapped.lat, snapped.lon], {icon: MARKER("candidate-icon")}).addTo(picked);
      $("candidate-text").textContent = "Ny plats vid " + snapped.road + " (" +
        num(snapped.lat, 5) + ", " + num(snapped.lon, 5) + ")";
      $("candidate-save").disabled = !canWrite;
      status.textContent = canWrite ? "Ge platsen ett namn och spara."
        : "Logga in som planerare för att spara.";
    } catch (error) {
      candidatePoint = null;
      picked.clearLayers();
      $("candidate-text").textContent = "Ingen plats vald.";
      $("candidate-save").disabled = true;
      status.textContent = "Ingen plats vald: " + errorText(error);
    }
  }

  async function saveCandidate() {
    const status = $("candidate-status");
    const name = $("candidate-name").value.trim();
    if (!name) { status.textContent = "Fältet Namn saknas: ge platsen ett namn."; return; }
    const body = {name: name, kind: $("candidate-kind").value};
    try {
      if (candidateEdit) {
        const feature = await sendVersioned("/api/siting/candidates/" + candidateEdit.id,
                                            "PATCH", candidateEdit.version, body);
        candidateEdit.version = feature.properties.version;
        status.textContent = "Platsen är ändrad.";
      } else if (candidatePoint) {
        const made = await post("/api/siting/candidates", Object.assign(body, candidatePoint));
        status.textContent = "Platsen är sparad (id " + made.id + ").";
        status.dataset.savedId = String(made.id);
        picked.clearLayers();
        candidatePoint = null;
        $("candidate-save").disabled = true;
      } else {
        status.textContent = "Klicka först på kartan nära en riskväg.";
        return;
      }
      await loadCandidates();
    } catch (error) { status.textContent = "Kunde inte spara: " + errorText(error); }
  }

  async function moveCandidate(f, marker) {
    const to = marker.getLatLng();
    const [lon, lat] = f.geometry.coordinates;
    const status = $("candidate-status");
    try {
      const feature = await sendVersioned("/api/siting/candidates/" + f.id, "PATCH",
        f.properties.version, {lon: to.lng, lat: to.lat});
      status.textContent = "Platsen " + feature.properties.name + " är flyttad.";
      await loadCandidates();
    } catch (error) {
      marker.setLatLng([lat, lon]);
      status.textContent = "Kunde inte flytta: " + errorText(error);
    }
  }

  async function start() {
    try {
      const me = await api("/api/me");
      canWrite = me.role === "planerare" || me.role === "admin";
    } catch (error) { canWrite = false; }
    const today = T.stockholmToday();
    $("check-date").value = today;
    $("check-date").min = today;
    $("week").value = isoWeek(addDays(today, 7)); // next week: plans are for days to come
    [["check-date", "check-time", "check-hours", "check-end"],
     ["edit-date", "edit-time", "edit-hours", "edit-end"]].forEach((ids) => {
      ids.slice(0, 3).forEach((id) => $(id).addEventListener("input",
        () => showEnd(ids[0], ids[1], ids[2], ids[3])));
    });
    showEnd("check-date", "check-time", "check-hours", "check-end");
    $("suggest-form").addEventListener("submit", runSuggest);
    $("schedule-form").addEventListener("submit", runSchedule);
    $("save-check").addEventListener("click", saveCheck);
    $("edit-save").addEventListener("click", saveEdit);
    $("edit-delete").addEventListener("click", deleteEdit);
    $("edit-cancel").addEventListener("click", closeEdit);
    $("save-week").addEventListener("click", saveWeek);
    $("candidate-save").addEventListener("click", saveCandidate);
    $("candidate-new").addEventListener("click", newCandidate);
    ["filter-kind", "filter-status", "filter-week"].forEach((id) =>
      $(id).addEventListener("change", drawPlanned));
    if (!canWrite) $("candidates").hidden = true;
    map.on("click", onMapClick);
    document.body.dataset.planningReady = "1";
    drawCandidates(config.candidates);
    await Promise.all([runSuggest(), loadPlanned()]);
  }
  start();
})();
