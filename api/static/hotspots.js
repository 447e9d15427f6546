/* Unsafe places over time: a month slider, layers per category, grid / heat / trend /
 * comparison / agreement views over the data embedded by the server (GET /api/hotspots).
 * User text is only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  const {el, fixed: sv, num, plural, stockholmDate, stockholmLastDay} = window.Trygg;
  const MIN_CELL_PX = 14;  // a cell smaller than this on screen is drawn as a dot of this size
  const MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                  "september", "oktober", "november", "december"];

  let data = JSON.parse(document.getElementById("hs-data").textContent);
  // The served municipality's centre until the data's extent is known (the server sets it).
  const centre = document.getElementById("hs-map").dataset.centre.split(",").map(Number);
  let map = L.map("hs-map", { preferCanvas: false }).setView(centre, 11);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18, attribution: "© OpenStreetMap-bidragsgivare"
  }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  // The view's name on the map, so grid and trend views are told apart at a glance.
  const viewName = L.control({ position: "topright" });
  viewName.onAdd = () => { return el("div", "", "hs-view-name leaflet-bar"); };
  viewName.addTo(map);
  const VIEW_SV = { grid: "Antal per ruta", heat: "Värmekarta", trend: "Trendklasser",
                    compare: "Jämförelse av två perioder", agreement: "Upplevd och registrerad" };

  // Emerging hot-spot categories (keys from the server; labels in data.trend_classes).
  let TREND_COLOURS = {
    "new_hot_spot": "#67000d", "consecutive_hot_spot": "#a50f15", "intensifying_hot_spot": "#cb181d",
    "persistent_hot_spot": "#ef3b2c", "diminishing_hot_spot": "#fb6a4a", "sporadic_hot_spot": "#fc9272",
    "oscillating_hot_spot": "#fcbba1", "historical_hot_spot": "#fee0d2",
    "new_cold_spot": "#08306b", "consecutive_cold_spot": "#08519c", "intensifying_cold_spot": "#2171b5",
    "persistent_cold_spot": "#4292c6", "diminishing_cold_spot": "#6baed6", "sporadic_cold_spot": "#9ecae1",
    "oscillating_cold_spot": "#c6dbef", "historical_cold_spot": "#deebf7",
    "no_pattern": "#969696", "too_few": "#ffffff"
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
  // The period form: Swedish messages naming the field before anything is sent.
  const form = document.getElementById("hs-window");
  const compareSelect = document.getElementById("hs-compare");
  const chosenBox = document.getElementById("hs-chosen");
  compareSelect.addEventListener("change", () => { chosenBox.hidden = compareSelect.value !== "chosen"; });
  form.addEventListener("submit", (event) => {
    const problems = formProblems();
    const box = document.getElementById("hs-form-error");
    box.textContent = "";
    problems.forEach((p) => { box.appendChild(el("p", p)); });
    box.hidden = !problems.length;
    if (problems.length) { event.preventDefault(); }
  });
  function formProblems() {
    const DAY = /^\d{4}-\d{2}-\d{2}$/;
    const problems = [];
    const value = (id) => { return document.getElementById(id).value.trim(); };
    const check = (first, last, name) => {
      const a = value(first), b = value(last);
      if (!DAY.test(a)) { problems.push(name + "från: ange ett datum som ÅÅÅÅ-MM-DD, t.ex. 2024-09-01."); }
      if (!DAY.test(b)) { problems.push(name + "till: ange ett datum som ÅÅÅÅ-MM-DD, t.ex. 2024-11-30."); }
      if (DAY.test(a) && DAY.test(b) && b < a) {
        problems.push(name + "till: datumet ligger före från-datumet; välj samma dag eller senare.");
      }
    };
    check("hs-from", "hs-to", "Period ");
    if (compareSelect.value === "chosen") { check("hs-compare-from", "hs-compare-to", "Jämförelseperiod "); }
    return problems;
  }

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

  // "2024-03" → "mars 2024", "2024Q1" → "kvartal 1 2024".
  function periodName(label) {
    if (!label) { return ""; }
    const q = /^(\d{4})Q(\d)$/.exec(label);
    if (q) { return "kvartal " + q[2] + " " + q[1]; }
    const m = /^(\d{4})-(\d{2})$/.exec(label);
    return m ? MONTHS[Number(m[2]) - 1] + " " + m[1] : label;
  }
  const PERIOD_NOUN = data.period === "quarter" ? ["kvartal", "kvartal"] : ["månad", "månader"];

  // A cell as a polygon, or as a dot when it would be too small to see at this zoom.
  function cellLayer(geometry, style) {
    const poly = L.polygon(ring(geometry), style);
    const b = poly.getBounds();
    const px = map.latLngToContainerPoint(b.getNorthEast()).x - map.latLngToContainerPoint(b.getSouthWest()).x;
    if (px >= MIN_CELL_PX) { return poly; }
    return L.circleMarker(b.getCenter(), Object.assign({}, style, { radius: MIN_CELL_PX / 2, weight: 1 }));
  }

  // The trend of a cell in plain words and what it means (the statistic only with its meaning).
  function trendText(p) {
    if (p.trend === "too_few") {
      return ["för få för att avgöra", "Rutan har för få händelser och rapporter för att säga om det blir fler eller färre."];
    }
    const alpha = Number(data.method.alpha) || 0.05;
    const chance = "(p = " + sv(p.mk_p, p.mk_p < 0.01 ? 3 : 2) + ": utan en verklig trend blir det så här tydligt i " +
      (p.mk_p < 0.01 ? "färre än 1" : "ungefär " + num(Math.max(1, Math.round(100 * p.mk_p)), 0)) + " av 100 fall)";
    if (p.mk_p < alpha && p.mk_z > 0) {
      return ["ökande trend", "Rutan har stuckit ut allt mer mot omgivningen under perioden " + chance + "."];
    }
    if (p.mk_p < alpha && p.mk_z < 0) {
      return ["minskande trend", "Rutan har stuckit ut allt mindre mot omgivningen under perioden " + chance + "."];
    }
    return ["ingen tydlig trend", "Ingen säker ökning eller minskning under perioden; skillnaderna kan vara slump."];
  }

  function spanText(p) {
    return plural(p.total, "händelse eller rapport", "händelser och rapporter") +
      " (med slumpens variation är det verkliga antalet troligen " + sv(p.ci_low, 1) + "–" + sv(p.ci_high, 1) + ")";
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

  const GRID_STEPS = ["#c6c3e1", "#a9a5d2", "#8b83c0", "#6a51a3", "#4a1486"];  // not the trend colours
  function gridColour(n, max) {
    if (n <= 0) { return null; }
    let i = Math.min(GRID_STEPS.length - 1, Math.floor((n / Math.max(1, max)) * GRID_STEPS.length - 1e-9));
    return GRID_STEPS[Math.max(0, i)];
  }

  // --- views --------------------------------------------------------------------------------
  function drawGrid() {
    let counts = data.features.map((f) => { return cellCount(f.properties); });
    let max = Math.max.apply(null, [1].concat(counts));
    let when = state.all ? "Hela perioden" : "Under " + periodName(data.periods[state.index]);
    data.features.forEach((f, i) => {
      let n = counts[i];
      let colour = gridColour(n, max);
      if (!colour) { return; }
      cellLayer(f.geometry, { color: "#3f007d", weight: 0.6, fillColor: colour, fillOpacity: 0.8 })
        .bindPopup(table([[when, plural(n, "händelse eller rapport", "händelser och rapporter")],
          ["Hela perioden", spanText(f.properties)],
          ["Mönster", f.properties.trend_sv]]))
        .addTo(overlay);
    });
    legend("Antal per ruta (" + num(data.cell_m, 0) + " m), " + when.toLowerCase(), [
      [GRID_STEPS[0], "få"], [GRID_STEPS[2], "fler"], [GRID_STEPS[4], "flest (" + num(max, 0) + ")"]]);
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
      let few = p.trend === "too_few";
      let trend = trendText(p);
      let months = [];
      if (p.hot_periods) { months.push("hot spot (fler än omgivningen) i " + p.hot_periods + " av " + plural(data.periods.length, PERIOD_NOUN[0], PERIOD_NOUN[1])); }
      if (p.cold_periods) { months.push("cold spot (färre än omgivningen) i " + p.cold_periods + " av " + plural(data.periods.length, PERIOD_NOUN[0], PERIOD_NOUN[1])); }
      cellLayer(f.geometry, {
        color: few ? "#888" : "#000", weight: few ? 1 : 1.2, dashArray: few ? "3 3" : null,
        fillColor: TREND_COLOURS[p.trend], fillOpacity: few ? 0.5 : 0.85
      }).bindPopup(table([["Mönster", p.trend_sv], ["Trend", trend[0]], ["Det betyder", trend[1]],
        ["Hot/cold spot", months.join("; ")], ["Antal", spanText(p)],
        ["Första / andra halvan", num(p.first_half, 0) + " / " + num(p.second_half, 0)]]))
        .addTo(overlay);
    });
    legend("Trendklasser: mönster över tid (hot spots röda, cold spots blå)", data.trend_classes.map((t) => { return [TREND_COLOURS[t.id], t.label]; }));
  }

  const CHANGE_SV = {
    "fler": "fler: en säker ökning, större än slumpen brukar ge",
    "färre": "färre: en säker minskning, större än slumpen brukar ge",
    "ingen säker skillnad": "ingen säker skillnad: skillnaden kan vara slump",
    "för få för att avgöra": "för få för att avgöra: färre än 5 händelser och rapporter i rutan"
  };
  function days(span) { return stockholmDate(span[0]) + "–" + stockholmLastDay(span[1]); }

  function drawCompare() {
    let c = data.comparison;
    let first = days(c.first), second = days(c.second);
    c.cells.forEach((cell) => {
      let colour = cell.change === "fler" ? "#d7301f" : cell.change === "färre" ? "#2c7fb8" :
        cell.difference > 0 ? "#fdbb84" : cell.difference < 0 ? "#a6bddb" : "#eeeeee";
      cellLayer(cell.geometry, { color: "#555", weight: 0.5, fillColor: colour, fillOpacity: 0.75 })
        .bindPopup(table([["Period 1 (" + first + ")", num(cell.first, 0)], ["Period 2 (" + second + ")", num(cell.second, 0)],
          ["Skillnad", (cell.difference > 0 ? "+" : cell.difference < 0 ? "−" : "±") + num(Math.abs(cell.difference), 0)],
          ["Bedömning", CHANGE_SV[cell.change] || cell.change]])).addTo(overlay);
    });
    legend("Period 2 (" + second + ") mot period 1 (" + first + ")", [
      ["#d7301f", "fler (säker skillnad)"], ["#fdbb84", "fler (kan vara slump)"],
      ["#a6bddb", "färre (kan vara slump)"], ["#2c7fb8", "färre (säker skillnad)"]]);
  }

  function drawAgreement() {
    data.felt_vs_recorded.forEach((cell) => {
      cellLayer(cell.geometry, { color: "#555", weight: 0.5, fillColor: AGREEMENT_COLOURS[cell.agreement], fillOpacity: 0.75 })
        .bindPopup(table([["Upplevd (rapporter)", num(cell.felt, 0)], ["Registrerad (polisens händelser)", num(cell.recorded, 0)],
          ["Bedömning", cell.agreement]])).addTo(overlay);
    });
    legend("Upplevd och registrerad otrygghet", Object.keys(AGREEMENT_COLOURS).map((k) => { return [AGREEMENT_COLOURS[k], k]; }));
  }

  function drawSensitive() {
    if (!data.sensitive) { return; }
    data.sensitive.cells.forEach((cell) => {
      cellLayer(cell.geometry, { color: "#000", weight: 1.5, dashArray: "6 4", fill: false })
        .bindPopup(table([["Känsliga ärenden", cell.category_sv], ["Antal (hela perioden)", num(cell.count, 0)],
          ["Ruta", num(cell.cell_m, 0) + " m, visas bara med minst " + plural(cell.k, "ärende", "ärenden")]])).addTo(overlay);
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

  // The figures of the panel follow the slider (the chosen month, or the whole period) and the
  // layers ticked.
  function status() {
    let box = document.getElementById("hs-status");
    box.textContent = "";
    let label = data.periods[state.index];
    let when = state.all ? "hela perioden" : periodName(label);
    let shown = 0;
    data.features.forEach((f) => { shown += cellCount(f.properties); });
    let reports = data.points.filter((p) => {
      return p.layer === "unsafe_places" && state.groups[p.group] && (state.all || p.period === label);
    });
    let resolved = reports.filter((p) => { return p.status === "åtgärdad"; }).length;
    box.appendChild(el("div", "Siffror för " + when, "hs-strong hs-when"));
    box.appendChild(el("div", "På kartan: " + plural(shown, "händelse eller rapport", "händelser och rapporter"), "hs-count"));
    box.appendChild(el("div", "Rapporter: " + num(reports.length, 0) + " (åtgärdade " + num(resolved, 0) +
      ", öppna " + num(reports.length - resolved, 0) + ")", "hs-reports"));
    box.appendChild(el("div", "Ej placerade händelser (bara kommunen som plats), hela perioden: " + num(data.not_placed, 0)));
  }

  function notes() {
    let notes = document.getElementById("hs-notes");
    notes.textContent = "";
    if (data.too_few) { notes.appendChild(el("p", "För få för att avgöra trender: " + data.too_few_reason + ".")); }
    if (data.sensitive) {
      notes.appendChild(el("p", "Känsliga ärenden: " + num(data.sensitive.total, 0) + " under hela perioden (" +
        num(data.sensitive.suppressed_records, 0) + " i rutor med för få ärenden och " +
        num(data.sensitive.never_mapped_records, 0) + " som aldrig kartläggs visas inte)."));
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
      "Alla " + PERIOD_NOUN[1] + " (" + periodName(data.periods[0]) + " – " + periodName(data.periods[data.periods.length - 1]) + ")" :
      periodName(data.periods[state.index]) + " (" + data.periods[state.index] + ")";
    viewName.getContainer().textContent = VIEW_SV[state.view] + (state.view === "grid" && !state.all ?
      ", " + periodName(data.periods[state.index]) : "");
    if (state.view === "grid") { drawGrid(); }
    else if (state.view === "heat") { drawHeat(); }
    else if (state.view === "trend") { drawTrend(); }
    else if (state.view === "compare") { drawCompare(); }
    else { drawAgreement(); }
    drawSensitive();
    drawPoints();
    status();
    document.body.setAttribute("data-view", state.view);
  }

  let bounds = [];
  data.features.forEach((f) => { ring(f.geometry).forEach((c) => { bounds.push(c); }); });
  // No animation: the cells are drawn at once for the view they are seen in.
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15, animate: false }); }
  notes();
  draw();
  map.on("zoomend", draw);  // cells too small to see become dots, and back
  window.tryggHotspots = { state: state, draw: draw, data: data, map: map };
})();
