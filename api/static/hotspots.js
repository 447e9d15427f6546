/* Unsafe places over time: a month slider, layers per category, grid / heat / trend /
 * comparison / agreement views over the data embedded by the server (GET /api/hotspots).
 * User text is only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  const {el, fixed: sv} = window.Trygg;

  let data = JSON.parse(document.getElementById("hs-data").textContent);
  // The served municipality's centre until the data's extent is known (the server sets it).
  const centre = document.getElementById("hs-map").dataset.centre.split(",").map(Number);
  let map = L.map("hs-map", { preferCanvas: false }).setView(centre, 11);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18, attribution: "© OpenStreetMap-bidragsgivare"
  }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  // Emerging hot-spot categories (keys from the server; labels in data.trend_classes).
  let TREND_COLOURS = {
    "new_hot_spot": "#67000d", "consecutive_hot_spot": "#a50f15", "intensifying_hot_spot": "#cb181d",
    "persistent_hot_spot": "#ef3b2c", "diminishing_hot_spot": "#fb6a4a", "sporadic_hot_spot": "#fc9272",
    "oscillating_hot_spot": "#fcbba1", "historical_hot_spot": "#fee0d2",
    "new_cold_spot": "#08306b", "consecutive_cold_spot": "#08519c", "intensifying_cold_spot": "#2171b5",
    "persistent_cold_spot": "#4292c6", "diminishing_cold_spot": "#6baed6", "sporadic_cold_spot": "#9ecae1",
    "oscillating_cold_spot": "#c6dbef", "historical_cold_spot": "#deebf7",
    "no_pattern": "#d9d9d9", "too_few": "#ffffff"
  };
  let AGREEMENT_COLOURS = { "båda": "#762a83", "bara upplevd": "#af8dc3", "bara registrerad": "#fdb863" };
  let GROUP_COLOURS = ["#8856a7", "#1b9e77", "#d95f02", "#e7298a", "#66a61e", "#e6ab02",
                       "#a6761d", "#666666", "#1f78b4", "#fd8d3c"];

  let state = { view: "grid", all: true, index: data.periods.length - 1, groups: {}, points: true };
  if (data.boundary) {
    L.geoJSON(data.boundary, { style: { color: "#333", weight: 2, fill: false }, interactive: false }).addTo(map);
  }
  let overlay = L.layerGroup().addTo(map);
  let pointLayer = L.layerGroup().addTo(map);
  let heat = null;

  function colourOf(group) {
    let ids = data.groups.map((g) => { return g.id; });
    let i = ids.indexOf(group);
    return GROUP_COLOURS[(i < 0 ? 0 : i) % GROUP_COLOURS.length];
  }

  // --- controls -----------------------------------------------------------------------------
  let groupBox = document.getElementById("hs-groups");
  data.groups.forEach((g) => {
    state.groups[g.id] = true;
    let label = el("label");
    let box = el("input");
    box.type = "checkbox"; box.checked = true; box.value = g.id; box.className = "hs-group";
    box.addEventListener("change", () => { state.groups[g.id] = box.checked; draw(); });
    let swatch = el("span", "", "sw");
    swatch.style.background = colourOf(g.id);
    label.appendChild(box); label.appendChild(swatch); label.appendChild(document.createTextNode(" " + g.label));
    groupBox.appendChild(label);
  });
  if (!data.groups.length) { groupBox.appendChild(el("div", "Inga lager med data för perioden.", "note")); }

  let slider = document.getElementById("hs-slider");
  slider.max = String(Math.max(0, data.periods.length - 1));
  slider.value = String(state.index);
  slider.addEventListener("input", () => { state.index = Number(slider.value); draw(); });
  let allBox = document.getElementById("hs-all");
  allBox.addEventListener("change", () => { state.all = allBox.checked; slider.disabled = state.all; draw(); });
  document.querySelectorAll("input[name=view]").forEach((radio) => {
    radio.addEventListener("change", () => { state.view = radio.value; draw(); });
  });
  let pointsBox = document.getElementById("hs-points");
  pointsBox.addEventListener("change", () => { state.points = pointsBox.checked; draw(); });

  // --- helpers ------------------------------------------------------------------------------
  function cellCount(props) {
    let n = 0;
    Object.keys(props.by_group).forEach((g) => {
      if (!state.groups[g]) { return; }
      let series = props.by_group[g];
      if (state.all) { series.forEach((v) => { n += v; }); } else { n += series[state.index] || 0; }
    });
    return n;
  }

  function ring(geometry) {
    return geometry.coordinates[0].map((c) => { return [c[1], c[0]]; });
  }

  function table(rows) {
    let t = el("table", null, "trygg-popup");
    rows.forEach((r) => {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      let tr = el("tr");
      tr.appendChild(el("th", r[0]));
      tr.appendChild(el("td", r[1]));
      t.appendChild(tr);
    });
    return t;
  }

  function gridColour(n, max) {
    let steps = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    if (n <= 0) { return null; }
    let i = Math.min(steps.length - 1, Math.floor((n / Math.max(1, max)) * steps.length - 1e-9));
    return steps[Math.max(0, i)];
  }

  // --- views --------------------------------------------------------------------------------
  function drawGrid() {
    let counts = data.features.map((f) => { return cellCount(f.properties); });
    let max = Math.max.apply(null, [1].concat(counts));
    data.features.forEach((f, i) => {
      let n = counts[i];
      let colour = gridColour(n, max);
      if (!colour) { return; }
      L.polygon(ring(f.geometry), { color: "#555", weight: 0.5, fillColor: colour, fillOpacity: 0.7 })
        .bindPopup(table([["Antal", n], ["Hela perioden", f.properties.total + " (95 % intervall " +
          sv(f.properties.ci_low, 1) + "–" + sv(f.properties.ci_high, 1) + ")"],
          ["Mönster", f.properties.trend_sv]]))
        .addTo(overlay);
    });
    legend("Antal per ruta (" + data.cell_m + " m)", [
      ["#fee5d9", "få"], ["#fb6a4a", "fler"], ["#a50f15", "flest (" + max + ")"]]);
  }

  function drawHeat() {
    let pts = [];
    data.features.forEach((f) => {
      let n = cellCount(f.properties);
      if (n <= 0) { return; }
      let c = ring(f.geometry);
      pts.push([(c[0][0] + c[2][0]) / 2, (c[0][1] + c[2][1]) / 2, n]);
    });
    let max = Math.max.apply(null, [1].concat(pts.map((p) => { return p[2]; })));
    heat = L.heatLayer(pts, { radius: 30, blur: 20, max: max, minOpacity: 0.3 }).addTo(map);
    legend("Värmekarta (täthet av rapporter och händelser)", [["#0000ff", "låg"], ["#00ff00", "medel"], ["#ff0000", "hög"]]);
  }

  function drawTrend() {
    data.features.forEach((f) => {
      let p = f.properties;
      L.polygon(ring(f.geometry), {
        color: p.trend === "too_few" ? "#888" : "#333", weight: p.trend === "too_few" ? 1 : 0.7,
        dashArray: p.trend === "too_few" ? "3 3" : null,
        fillColor: TREND_COLOURS[p.trend], fillOpacity: p.trend === "too_few" ? 0.2 : 0.75
      }).bindPopup(table([["Mönster", p.trend_sv], ["Bedömning", p.summary_sv], ["Antal", p.total],
        ["95 % intervall", sv(p.ci_low, 1) + "–" + sv(p.ci_high, 1)],
        ["Första / andra halvan", p.first_half + " / " + p.second_half]]))
        .addTo(overlay);
    });
    legend("Mönster över tid (hot spots och cold spots)", data.trend_classes.map((t) => { return [TREND_COLOURS[t.id], t.label]; }));
  }

  function drawCompare() {
    let c = data.comparison;
    c.cells.forEach((cell) => {
      let colour = cell.change === "fler" ? "#d7301f" : cell.change === "färre" ? "#2c7fb8" :
        cell.difference > 0 ? "#fdbb84" : cell.difference < 0 ? "#a6bddb" : "#eeeeee";
      L.polygon(ring(cell.geometry), { color: "#555", weight: 0.5, fillColor: colour, fillOpacity: 0.75 })
        .bindPopup(table([["Period 1", cell.first], ["Period 2", cell.second],
          ["Skillnad", cell.difference], ["Bedömning", cell.change]])).addTo(overlay);
    });
    legend("Period 2 (" + c.second[0].slice(0, 10) + "–) mot period 1 (" + c.first[0].slice(0, 10) + "–)", [
      ["#d7301f", "fler (säker skillnad)"], ["#fdbb84", "fler (kan vara slump)"],
      ["#a6bddb", "färre (kan vara slump)"], ["#2c7fb8", "färre (säker skillnad)"]]);
  }

  function drawAgreement() {
    data.felt_vs_recorded.forEach((cell) => {
      L.polygon(ring(cell.geometry), { color: "#555", weight: 0.5, fillColor: AGREEMENT_COLOURS[cell.agreement], fillOpacity: 0.75 })
        .bindPopup(table([["Upplevd (rapporter)", cell.felt], ["Registrerad (polisens händelser)", cell.recorded],
          ["Bedömning", cell.agreement]])).addTo(overlay);
    });
    legend("Upplevd och registrerad otrygghet", Object.keys(AGREEMENT_COLOURS).map((k) => { return [AGREEMENT_COLOURS[k], k]; }));
  }

  function drawSensitive() {
    if (!data.sensitive) { return; }
    data.sensitive.cells.forEach((cell) => {
      L.polygon(ring(cell.geometry), { color: "#000", weight: 1.5, dashArray: "6 4", fill: false })
        .bindPopup(table([["Känsliga ärenden", cell.category_sv], ["Antal", cell.count],
          ["Ruta", cell.cell_m + " m, minst " + cell.k + " ärenden"]])).addTo(overlay);
    });
  }

  function drawPoints() {
    if (!state.points) { return; }
    let label = data.periods[state.index];
    data.points.forEach((p) => {
      if (!state.groups[p.group]) { return; }
      if (!state.all && p.period !== label) { return; }
      L.circleMarker([p.lat, p.lon], { radius: 4, color: "#fff", weight: 1, fillColor: colourOf(p.group), fillOpacity: 0.9 })
        .bindPopup(() => {
          return table([["Kategori", p.group_sv], ["Beskrivning", p.description], ["Källa", p.source],
            ["Datum", p.date], ["Status", p.status]]);
        }).addTo(pointLayer);
    });
  }

  let legendBox = document.getElementById("hs-legend");
  function legend(title, items) {
    legendBox.textContent = "";
    legendBox.appendChild(el("strong", title));
    items.forEach((item) => {
      let row = el("div");
      let sw = el("span", "", "sw");
      sw.style.background = item[0];
      row.appendChild(sw); row.appendChild(document.createTextNode(" " + item[1]));
      legendBox.appendChild(row);
    });
    if (data.sensitive && data.sensitive.cells.length) {
      legendBox.appendChild(el("div", "Streckad svart ram: känsliga ärenden, bara rutor med minst k ärenden.", "note"));
    }
  }

  function status() {
    let box = document.getElementById("hs-status");
    box.textContent = "";
    box.appendChild(el("div", "Rapporter: " + data.status.reported + " (åtgärdade " + data.status.resolved +
      ", öppna " + data.status.open + ")", "hs-strong"));
    box.appendChild(el("div", "Ej placerade händelser (bara kommunen som plats): " + data.not_placed));
    let notes = document.getElementById("hs-notes");
    notes.textContent = "";
    if (data.too_few) { notes.appendChild(el("p", "För få för att avgöra trender: " + data.too_few_reason + ".")); }
    if (data.sensitive) {
      notes.appendChild(el("p", "Känsliga ärenden: " + data.sensitive.total + " (" +
        data.sensitive.suppressed_records + " i rutor med för få ärenden och " +
        data.sensitive.never_mapped_records + " som aldrig kartläggs visas inte)."));
    }
    Object.keys(data.sources).forEach((k) => {
      data.sources[k].forEach((s) => { notes.appendChild(el("p", "Källa: " + s)); });
    });
  }

  function draw() {
    overlay.clearLayers();
    pointLayer.clearLayers();
    if (heat) { map.removeLayer(heat); heat = null; }
    document.getElementById("hs-period-label").textContent = state.all ?
      "Alla månader (" + (data.periods[0] || "") + " – " + (data.periods[data.periods.length - 1] || "") + ")" :
      "Månad: " + data.periods[state.index];
    if (state.view === "grid") { drawGrid(); }
    else if (state.view === "heat") { drawHeat(); }
    else if (state.view === "trend") { drawTrend(); }
    else if (state.view === "compare") { drawCompare(); }
    else { drawAgreement(); }
    drawSensitive();
    drawPoints();
    document.body.setAttribute("data-view", state.view);
  }

  let bounds = [];
  data.features.forEach((f) => { ring(f.geometry).forEach((c) => { bounds.push(c); }); });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); }
  status();
  draw();
  window.tryggHotspots = { state: state, draw: draw, data: data };
})();
