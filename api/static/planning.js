// The interactive parts of /kartor/planering: suggested sites, click-to-pick, saving a planned
// traffic check, the planned checks list and a randomised weekly plan. Talks to the API with
// fetch; uses the Leaflet map folium created. All data are shown with textContent, never HTML.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("planning-config").textContent);
  const map = window[config.map];
  const $ = (id) => document.getElementById(id);
  // The roads fill the map beside the panel on a wide screen, the whole map on a phone.
  if (config.bounds) {
    const wide = !window.matchMedia("(max-width: 700px)").matches;
    map.fitBounds(config.bounds, wide ? {paddingBottomRight: [360, 20]} : {});
  }
  const suggested = L.layerGroup().addTo(map);
  const planned = L.layerGroup().addTo(map);
  const picked = L.layerGroup().addTo(map);
  const week = L.layerGroup().addTo(map);
  let pick = null; // {lon, lat, road, candidate}
  let canWrite = false;

  const {el, num, pct, api, table} = window.Trygg;
  const post = (path, data) => window.Trygg.send(path, data, "POST");
  function showError(target, error) {
    target.replaceChildren(el("p", "Fel: " + error.message, "error"));
  }

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
      L.circle([lat, lon], {radius: radius, color: "#1f78b4", weight: 1, fillOpacity: 0.08})
        .addTo(suggested);
      const marker = L.circleMarker([lat, lon], {radius: 7, color: "#1f78b4", fillOpacity: 0.9})
        .addTo(suggested);
      const tip = el("span", p.rank + ". " + p.name + ": " + pct(p.share_assigned));
      marker.bindTooltip(tip);
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
    } catch (error) { showError(target, error); }
  }

  // The site the check is planned at: a suggested site (with its candidate site's id when it
  // is one of the planner's) or a clicked point snapped to a road.
  function setPick(lon, lat, label, candidate) {
    pick = {lon: lon, lat: lat, road: label, candidate: candidate || null};
    picked.clearLayers();
    L.marker([lat, lon]).addTo(picked);
    $("pick-text").textContent = "Vald plats: " + label + " (" + lat.toFixed(5) + ", " +
      lon.toFixed(5) + ")";
    if (!$("check-place").value) $("check-place").value = label;
    $("save-check").disabled = !canWrite;
    if (!canWrite) $("save-status").textContent = "Logga in som planerare för att spara.";
  }

  async function onMapClick(event) {
    const status = $("save-status");
    try {
      const snapped = await post("/api/siting/snap", {lon: event.latlng.lng,
                                                       lat: event.latlng.lat});
      $("check-place").value = "";
      setPick(snapped.lon, snapped.lat, snapped.road);
      status.textContent = "Flyttad " + num(snapped.distance_m) + " m till " + snapped.road + ".";
    } catch (error) {
      pick = null;  // a click away from every road leaves no old site selected
      picked.clearLayers();
      $("pick-text").textContent = "Ingen plats vald.";
      $("save-check").disabled = true;
      status.textContent = "Ingen plats vald: " + error.message;
    }
  }

  async function saveCheck() {
    const status = $("save-status");
    if (!pick) { status.textContent = "Välj först en plats på kartan."; return; }
    const date = $("check-date").value;
    const time = $("check-time").value || "00:00";
    if (!date) { status.textContent = "Ange ett datum."; return; }
    // Hours are elapsed time: two hours from 01:30 on the night clocks go back end at 02:30
    // the second time, not 03:30.
    const start = window.Trygg.stockholmInstant(date, time);
    const end = new Date(start.getTime() + Number($("check-hours").value || 2) * 3600000);
    const kinds = Array.from(document.querySelectorAll("input[name=kind]:checked"))
      .map((b) => b.value);
    const plan = {lon: pick.lon, lat: pick.lat, start: window.Trygg.stockholmIso(start),
                  end: window.Trygg.stockholmIso(end), kinds: kinds,
                  place: $("check-place").value.trim() || pick.road};
    if (pick.candidate) plan.candidate_id = pick.candidate;
    try {
      const result = await post("/api/siting/plan", plan);
      status.textContent = "Kontroll planerad (id " + result.id + ").";
      status.dataset.savedId = String(result.id);
      await loadPlanned();
    } catch (error) { status.textContent = "Kunde inte spara: " + error.message; }
  }

  async function loadPlanned() {
    const list = $("planned-list");
    try {
      const doc = await api("/api/layers/traffic_checks");
      planned.clearLayers();
      list.replaceChildren();
      doc.features.filter((f) => f.properties.status === "planerad").forEach((f) => {
        const [lon, lat] = f.geometry.coordinates;
        const p = f.properties;
        const when = p.start ? window.Trygg.stockholmText(p.start) : "datum saknas";
        const text = when + " – " + (p.place || "") + " (" + (p.kinds || []).join(", ") + ")";
        L.circleMarker([lat, lon], {radius: 8, color: "#31a354", fillOpacity: 0.9})
          .bindTooltip(el("span", text)).addTo(planned);
        list.appendChild(el("li", text));
      });
      if (!list.children.length) list.appendChild(el("li", "Inga planerade kontroller ännu."));
    } catch (error) { list.replaceChildren(el("li", "Fel: " + error.message, "error")); }
  }

  async function runSchedule(event) {
    event.preventDefault();
    const target = $("schedule-result");
    target.replaceChildren(el("p", "Slumpar…"));
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
        plan.checks.length + " kontroller på " + pct(plan.hours_share_planned) +
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
    } catch (error) { showError(target, error); }
  }

  async function start() {
    try {
      const me = await api("/api/me");
      canWrite = me.role === "planerare" || me.role === "admin";
    } catch (error) { canWrite = false; }
    $("check-date").value = window.Trygg.stockholmToday();
    $("suggest-form").addEventListener("submit", runSuggest);
    $("schedule-form").addEventListener("submit", runSchedule);
    $("save-check").addEventListener("click", saveCheck);
    map.on("click", onMapClick);
    document.body.dataset.planningReady = "1";
    await Promise.all([runSuggest(), loadPlanned()]);
  }
  start();
})();
