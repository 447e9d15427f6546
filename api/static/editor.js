// The map editor (/kartor/redigera): pick a layer the role may write, see its objects, draw new
// ones with Leaflet-Geoman (a polygon, a line or a point; an unsafe place as a point or an area),
// move them or their corners, delete them, and fill the layer's small form. Every save goes
// through /api/layers (WGS84 GeoJSON, the version read sent as If-Match); a refusal (422, 409) is
// shown in Swedish next to the field it names. "Ångra" (Ctrl+Z) drops a drawing or change not
// yet saved, else undoes the last saved edit of this visit through the API with the version it
// left (If-Match): a change is changed back, a new object deleted, a deleted one added again.
// The layers and their fields come from services.editor in #ed-layers. Needs Leaflet,
// Leaflet-Geoman and window.Trygg; all data are shown as text, never HTML.
(function () {
  "use strict";
  const T = window.Trygg;
  const $ = (id) => document.getElementById(id);
  const layers = JSON.parse($("ed-layers").textContent);
  const byName = {};
  layers.forEach((l) => { byName[l.name] = l; });
  const narrow = window.matchMedia("(max-width: 700px)");
  const sheet = $("ed-sheet");
  const form = $("ed-form");
  const [lat0, lon0] = ($("ed-map").dataset.centre || "62.49,17.33").split(",").map(Number);
  const map = L.map("ed-map").setView([lat0, lon0], 13);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.pm.setLang("sv");
  map.pm.setGlobalOptions({allowSelfIntersection: false, snappable: true});
  const shown = L.featureGroup().addTo(map);
  const NORMAL = {color: "#0b3d66", weight: 4, fillOpacity: 0.15};
  const SELECTED = {color: "#d95f02", weight: 6, fillOpacity: 0.3};
  const DRAW_SV = {Polygon: "Rita ett nytt område: klicka ut hörnen och avsluta på det första.",
                   Line: "Rita en ny väg: klicka ut punkterna och avsluta på den sista.",
                   Marker: "Placera en ny punkt: klicka på kartan."};
  const NEW_SV = {Polygon: "Rita nytt område", Line: "Rita ny väg", Marker: "Placera ny punkt"};

  let current = null;      // the layer's config
  let features = {};       // id -> {feature, layer}
  let selected = null;     // {id (null: new), layer, geometryChanged, propsChanged}
  // The saved edits of this visit, the last one last: {layer, kind (create, update, delete), id,
  // version (the one the edit left, for If-Match), label, before (update: the properties sent
  // and, if moved, the geometry as they were; delete: the whole feature)}.
  const history = [];

  if (!layers.length) {
    $("ed-status").textContent = "Din roll får inte ändra något av kartlagren.";
    $("ed-draw").disabled = true;
    return;
  }
  const copy = (value) => JSON.parse(JSON.stringify(value));
  layers.forEach((l) => {
    const option = T.el("option", l.title);
    option.value = l.name;
    $("ed-layer").appendChild(option);
  });

  // --- the form ---------------------------------------------------------------------------------
  function fieldRow(f) {
    const row = T.el("div", null, "ed-field");
    row.dataset.field = f.name;
    const id = "ed-f-" + f.name;
    if (f.kind === "list") {
      const box = T.el("fieldset");
      box.appendChild(T.el("legend", f.label));
      f.choices.forEach(([value, label]) => {
        const lab = T.el("label", null, "ed-check");
        const input = document.createElement("input");
        input.type = "checkbox";
        input.name = f.name;
        input.value = value;
        lab.append(input, " " + label);
        box.appendChild(lab);
      });
      row.appendChild(box);
    } else {
      const lab = T.el("label", f.label + (f.required ? " (krävs)" : ""));
      lab.htmlFor = id;
      let input;
      if (f.choices) {
        input = document.createElement("select");
        const empty = T.el("option", "– välj –");
        empty.value = "";
        input.appendChild(empty);
        f.choices.forEach(([value, label]) => {
          const option = T.el("option", label);
          option.value = value;
          input.appendChild(option);
        });
      } else if (f.name === "description") {
        input = document.createElement("textarea");
        input.rows = 3;
      } else {
        input = document.createElement("input");
        input.type = "text";
        if (f.kind === "float" || f.kind === "int") input.inputMode = "decimal";
      }
      input.id = id;
      input.name = f.name;
      row.append(lab, input);
    }
    const error = T.el("p", "", "error ed-field-error");
    error.id = "ed-err-" + f.name;
    error.setAttribute("role", "alert");
    row.appendChild(error);
    return row;
  }

  function buildForm() {
    $("ed-fields").replaceChildren(...current.fields.map(fieldRow));
  }

  function setValues(props) {
    current.fields.forEach((f) => {
      const value = props[f.name] === undefined || props[f.name] === null ? f.default : props[f.name];
      if (f.kind === "list") {
        const chosen = new Set(value || []);
        form.querySelectorAll('input[name="' + f.name + '"]').forEach((box) => {
          box.checked = chosen.has(box.value);
        });
      } else {
        const input = form.elements[f.name];
        input.value = value === null || value === undefined ? "" :
          (f.kind === "float" ? T.num(value, 6).replace(/\s/g, "") : String(value));
      }
    });
  }

  // What a value must be, in Swedish, from the field's rules (geo.layers).
  function ruleSv(f) {
    if (f.kind === "float" || f.kind === "int") {
      const whole = f.kind === "int" ? "ett heltal" : "ett tal";
      if (f.minimum !== null && f.maximum !== null) {
        return "ange " + whole + " från " + T.num(f.minimum) + " till " + T.num(f.maximum) + ".";
      }
      if (f.minimum !== null) return "ange " + whole + " som är minst " + T.num(f.minimum) + ".";
      return "ange " + whole + ".";
    }
    if (f.kind === "list") return "kryssa bara i alternativen som visas.";
    if (f.choices) return "välj ett av alternativen i listan.";
    return f.required ? "fyll i fältet." : "kontrollera texten.";
  }

  function fieldError(name, text) {
    const target = $("ed-err-" + name);
    if (target) target.textContent = text;
    const row = form.querySelector('.ed-field[data-field="' + name + '"]');
    if (row) row.classList.add("ed-invalid");
  }

  function clearErrors() {
    form.querySelectorAll(".ed-field-error").forEach((p) => { p.textContent = ""; });
    form.querySelectorAll(".ed-invalid").forEach((r) => r.classList.remove("ed-invalid"));
    $("ed-error").textContent = "";
    $("ed-reload").hidden = true;
  }

  // The form's values as the API takes them; null if a number cannot be read (said inline).
  function values() {
    const out = {};
    let ok = true;
    current.fields.forEach((f) => {
      if (f.kind === "list") {
        out[f.name] = Array.from(form.querySelectorAll('input[name="' + f.name + '"]:checked'))
          .map((box) => box.value);
        return;
      }
      const raw = form.elements[f.name].value.trim();
      if (f.kind === "float" || f.kind === "int") {
        if (raw === "") { out[f.name] = null; return; }
        const n = Number(raw.replace(",", ".").replace("\u2212", "-").replace(/[\s\u00a0\u202f]/g, ""));
        if (!Number.isFinite(n)) {
          fieldError(f.name, f.label + ": " + ruleSv(f));
          ok = false;
          return;
        }
        out[f.name] = n;
      } else {
        out[f.name] = raw === "" && !f.required ? (f.default === null ? null : f.default) : raw;
      }
    });
    return ok ? out : null;
  }

  // The fields the API's answer names ('risk_weight'), each shown beside its input.
  function showRefusal(error) {
    const text = [error.message].concat(error.details || []).join(" ");
    if (error.status === 409) {
      $("ed-error").textContent = "Någon annan har ändrat objektet sedan du hämtade det. " +
        "Ladda om lagret, kontrollera ändringen och gör den igen.";
      $("ed-reload").hidden = false;
      return;
    }
    if (error.status === 422) {
      // The API names a field in quotes ('risk_weight') or after its label ("Riskvikt
      // (risk_weight)").
      const named = current.fields.filter((f) => text.indexOf("'" + f.name + "'") >= 0 ||
                                                 text.indexOf("(" + f.name + ")") >= 0);
      named.forEach((f) => fieldError(f.name, f.label + ": " + ruleSv(f)));
      if (text.indexOf("'geometry'") >= 0 || /geometr|polygon|self-intersect/i.test(text)) {
        $("ed-err-geometry").textContent = "Formen på kartan godtas inte: rita om den " +
          "(ett område får inte korsa sig självt och behöver minst tre hörn).";
      }
      $("ed-error").textContent = named.length ? "Rätta de markerade fälten och spara igen." :
        "Servern godtog inte objektet: kontrollera formen och fälten och spara igen.";
      return;
    }
    $("ed-error").textContent = error.status === 403 || error.status === 404 ? error.message
      : "Det gick inte att spara (fel " + error.status + "). Försök igen om en stund.";
  }

  // --- the map ----------------------------------------------------------------------------------
  function labelOf(f) {
    const p = f.properties;
    const name = p.name || (current.fields.some((x) => x.name === "category") && p.category
      ? (current.fields.find((x) => x.name === "category").choices
        .find(([v]) => v === p.category) || [p.category, p.category])[1] : "");
    return (name || "Objekt") + " (nr " + f.id + ")";
  }

  function styleOf(layer, look) {
    if (layer.setStyle) layer.setStyle(look);
    if (layer.setZIndexOffset) layer.setZIndexOffset(look === SELECTED ? 1000 : 0);  // on top
    else if (look === SELECTED && layer.bringToFront) layer.bringToFront();
    const node = layer.getElement ? layer.getElement() : null;
    if (node) node.classList.toggle("ed-selected", look === SELECTED);
  }

  function addFeature(f) {
    const layer = L.geoJSON(f, {style: () => NORMAL,
                                pointToLayer: (_, latlng) => L.marker(latlng)}).getLayers()[0];
    layer.bindTooltip(T.el("span", labelOf(f)), {sticky: true});
    layer.on("click", () => { if (!drawing()) select(f.id); });
    layer.addTo(shown);
    // While drawing, the objects let clicks through to the map: a click is a corner there.
    const node = layer.getElement ? layer.getElement() : null;
    if (node) node.classList.add("ed-feature");
    features[f.id] = {feature: f, layer: layer};
    const option = T.el("option", labelOf(f));
    option.value = String(f.id);
    $("ed-feature").appendChild(option);
  }

  async function load(keep) {
    stopEditing();
    shown.clearLayers();
    features = {};
    const list = $("ed-feature");
    list.replaceChildren(list.options[0]);
    $("ed-status").textContent = "Hämtar " + current.title.toLowerCase() + " …";
    try {
      const data = await T.api("/api/layers/" + current.name);
      data.features.forEach(addFeature);
      $("ed-status").textContent = T.num(data.features.length, 0) + " objekt i " +
        current.title.toLowerCase() + ".";
      if (keep !== undefined && keep !== null && features[keep]) select(keep);
      else if (data.features.length && shown.getBounds().isValid()) {
        map.fitBounds(shown.getBounds(), {maxZoom: 15, padding: [20, 20], animate: false});
      }
    } catch (error) {
      $("ed-status").textContent = "Lagret kunde inte hämtas: " + error.message;
    }
  }

  function stopEditing() {
    map.pm.disableDraw();
    if (selected) {
      if (selected.layer.pm) selected.layer.pm.disable();
      if (selected.id === null) shown.removeLayer(selected.layer);
      else {
        styleOf(selected.layer, NORMAL);
        const f = features[selected.id];
        if (f && selected.geometryChanged) {  // undo an unsaved move: back to what was read
          shown.removeLayer(f.layer);
          delete features[selected.id];
          const option = $("ed-feature").querySelector('option[value="' + selected.id + '"]');
          if (option) option.remove();
          addFeature(f.feature);
        }
      }
    }
    selected = null;
    form.hidden = true;
    $("ed-delete").disabled = true;
    $("ed-delete-confirm").hidden = true;
    $("ed-feature").value = "";
    clearErrors();
    updateUndo();
  }

  function edit(layer, id) {
    selected = {id: id, layer: layer, geometryChanged: false, propsChanged: false};
    layer.pm.enable({allowSelfIntersection: false, draggable: true});
    const changed = () => {
      if (selected && selected.layer === layer) selected.geometryChanged = true;
      updateUndo();
    };
    // A drag is a change from its first move (Geoman's pm:dragend and pm:edit come 10 ms after
    // the release, and a Ctrl+Z or Spara in between must see it); every drag starts so.
    layer.on("pm:dragstart pm:markerdragstart pm:edit pm:vertexadded pm:vertexremoved", changed);
    styleOf(layer, SELECTED);
    form.hidden = false;
    clearErrors();
    if (narrow.matches) sheet.open = true;
    updateUndo();
  }

  function select(id) {
    if (selected && selected.id === id) return;
    stopEditing();
    const f = features[id];
    if (!f) return;
    edit(f.layer, id);
    setValues(f.feature.properties);
    $("ed-feature").value = String(id);
    $("ed-delete").disabled = false;
    $("ed-summary").textContent = labelOf(f.feature);
    $("ed-hint").textContent = f.layer.getLatLng
      ? "Dra punkten för att flytta den, ändra fälten och spara."
      : "Dra i hörnen för att ändra formen (mitt på en kant ger ett nytt hörn), dra formen för " +
        "att flytta den, ändra fälten och spara.";
    const bounds = f.layer.getBounds ? f.layer.getBounds() : null;
    // At once, without animation: the object stays where the finger finds it.
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, {maxZoom: 16, padding: [30, 30], animate: false});
    } else if (f.layer.getLatLng) {
      map.setView(f.layer.getLatLng(), Math.max(map.getZoom(), 15), {animate: false});
    }
  }

  function startDrawing(shape) {
    stopEditing();
    $("ed-status").textContent = DRAW_SV[shape];
    $("ed-summary").textContent = NEW_SV[shape];
    if (narrow.matches) sheet.open = false;  // the map free to draw on
    map.pm.enableDraw(shape, {allowSelfIntersection: false, snappable: true,
                              finishOn: shape === "Line" ? "dblclick" : null});
    updateUndo();
  }

  map.on("pm:create", (e) => {
    map.pm.disableDraw();
    e.layer.addTo(shown);
    edit(e.layer, null);
    selected.geometryChanged = true;
    setValues({});
    $("ed-hint").textContent = "Fyll i fälten och spara. Du kan dra i formen innan du sparar.";
    $("ed-status").textContent = "Nytt objekt: inte sparat ännu.";
    updateUndo();
  });

  // --- saving -----------------------------------------------------------------------------------
  function changedProps(props) {
    const old = features[selected.id].feature.properties;
    const out = {};
    Object.keys(props).forEach((k) => {
      if (JSON.stringify(props[k]) !== JSON.stringify(old[k] === undefined ? null : old[k])) {
        out[k] = props[k];
      }
    });
    return out;
  }

  async function save() {
    clearErrors();
    const props = values();
    if (props === null) { $("ed-error").textContent = "Rätta de markerade fälten och spara igen."; return; }
    const geometry = selected.layer.toGeoJSON(15).geometry;
    $("ed-save").disabled = true;
    $("ed-status").textContent = "Sparar …";
    try {
      let id = selected.id;
      let done;  // the history entry of this save
      if (id === null) {
        if (current.name === "unsafe_places") {
          props.reported_at = T.stockholmIso(new Date());
          props.report_source = "polisen";
        }
        const made = await T.send("/api/layers/" + current.name,
                                  {type: "Feature", geometry: geometry, properties: props});
        id = made.ids[0];
        shown.removeLayer(selected.layer);
        selected = null;
        done = {layer: current.name, kind: "create", id: id};
      } else {
        const body = {type: "Feature", properties: changedProps(props)};
        if (selected.geometryChanged) body.geometry = geometry;
        const old = features[id].feature;
        const before = {properties: {}, geometry: body.geometry ? copy(old.geometry) : null};
        Object.keys(body.properties).forEach((k) => {
          before.properties[k] = old.properties[k] === undefined ? null : copy(old.properties[k]);
        });
        const version = old.properties.version;
        await T.api("/api/layers/" + current.name + "/" + id, {
          method: "PATCH", body: JSON.stringify(body),
          headers: {"Content-Type": "application/json", "If-Match": String(version)}});
        selected.geometryChanged = false;
        done = {layer: current.name, kind: "update", id: id, before: before};
      }
      await load(id);
      const saved = features[id].feature;
      done.version = saved.properties.version;
      done.label = labelOf(saved);
      history.push(done);
      updateUndo();
      $("ed-status").textContent = "Sparat: " + labelOf(saved) + ", version " +
        saved.properties.version + ".";
    } catch (error) {
      showRefusal(error);
    } finally {
      $("ed-save").disabled = false;
    }
  }

  async function remove() {
    if (!selected || selected.id === null) return;
    const id = selected.id;
    const name = labelOf(features[id].feature);
    const before = copy(features[id].feature);
    $("ed-status").textContent = "Tar bort …";
    try {
      await T.api("/api/layers/" + current.name + "/" + id, {
        method: "DELETE", headers: {"If-Match": String(features[id].feature.properties.version)}});
      selected.geometryChanged = false;
      history.push({layer: current.name, kind: "delete", id: id, label: name, before: before});
      await load();
      $("ed-status").textContent = "Borttaget: " + name + ".";
    } catch (error) {
      form.hidden = false;
      showRefusal(error);
    }
  }

  // --- undo -------------------------------------------------------------------------------------
  const drawing = () => map.pm.globalDrawModeEnabled();
  const draft = () => selected !== null &&
    (selected.id === null || selected.geometryChanged || selected.propsChanged);
  const UNDO_SV = {create: "tillägget av ", update: "ändringen av ", delete: "borttagningen av "};

  function updateUndo() {
    const button = $("ed-undo");
    const last = history[history.length - 1];
    button.disabled = !(drawing() || draft() || last);
    button.title = drawing() ? "Ångra: släpp ritningen (inte sparad) (Ctrl+Z)"
      : draft() ? "Ångra: släpp ändringen som inte är sparad (Ctrl+Z)"
      : last ? "Ångra " + UNDO_SV[last.kind] + last.label + " (Ctrl+Z)"
      : "Inget att ångra";
  }

  function undoRefused(error, entry) {
    $("ed-status").textContent = error.status === 409
      ? "Kan inte ångra: någon annan har ändrat " + entry.label + " sedan du sparade. Ladda " +
        "om lagret, kontrollera objektet och ändra det för hand."
      : error.status === 404 ? "Kan inte ångra: " + entry.label + " finns inte längre."
      : "Det gick inte att ångra (fel " + error.status + "): " + error.message;
  }

  let undoing = false;  // one undo at a time (a second Ctrl+Z waits for the first)

  async function undo() {
    if (undoing) return;
    if (drawing()) {  // a drawing not finished: dropped
      stopEditing();
      $("ed-status").textContent = "Ångrat: ritningen är borttagen (den var inte sparad).";
      $("ed-summary").textContent = current.title;
      return;
    }
    if (draft()) {  // drawn or changed but not saved: back to what was read
      const id = selected.id;
      stopEditing();
      if (id !== null) select(id);
      $("ed-status").textContent = id === null
        ? "Ångrat: det nya objektet är borttaget (det var inte sparat)."
        : "Ångrat: ändringen av " + labelOf(features[id].feature) + " (den var inte sparad).";
      if (id === null) $("ed-summary").textContent = current.title;
      updateUndo();
      return;
    }
    const entry = history.pop();
    if (!entry) return;
    undoing = true;
    $("ed-undo").disabled = true;
    if (current.name !== entry.layer) {
      $("ed-layer").value = entry.layer;
      await useLayer(entry.layer);
    }
    stopEditing();
    const url = "/api/layers/" + entry.layer;
    $("ed-status").textContent = "Ångrar …";
    try {
      if (entry.kind === "create") {
        await T.api(url + "/" + entry.id, {method: "DELETE",
                                           headers: {"If-Match": String(entry.version)}});
        await load();
        $("ed-status").textContent = "Ångrat: " + entry.label + " är borttaget igen.";
      } else if (entry.kind === "update") {
        const body = {type: "Feature", properties: entry.before.properties};
        if (entry.before.geometry) body.geometry = entry.before.geometry;
        await T.api(url + "/" + entry.id, {
          method: "PATCH", body: JSON.stringify(body),
          headers: {"Content-Type": "application/json", "If-Match": String(entry.version)}});
        await load(entry.id);
        const version = features[entry.id].feature.properties.version;
        // The object is now as the edit before left it, at this version: that edit's undo
        // (of this object) is conditional on it.
        const earlier = history.filter((e) => e.layer === entry.layer && e.id === entry.id).pop();
        if (earlier) earlier.version = version;
        $("ed-status").textContent = "Ångrat: " + entry.label + " är som förut (version " +
          version + ").";
      } else {  // a deleted object comes back as a new one, with what it held
        const made = await T.send(url, {type: "Feature", geometry: entry.before.geometry,
                                        properties: entry.before.properties});
        const id = made.ids[0];
        await load(id);
        // Older edits of the deleted object cannot be undone on its new number.
        for (let i = history.length - 1; i >= 0; i--) {
          if (history[i].layer === entry.layer && history[i].id === entry.id) history.splice(i, 1);
        }
        $("ed-status").textContent = "Ångrat: " + entry.label + " är tillbaka, nu som nr " +
          id + ".";
      }
    } catch (error) {
      undoRefused(error, entry);
    } finally {
      undoing = false;
    }
    updateUndo();
  }

  // --- wiring -----------------------------------------------------------------------------------
  function useLayer(name) {
    stopEditing();
    current = byName[name];
    const shapes = current.shapes || [current.draw];
    $("ed-draw").textContent = NEW_SV[shapes[0]];
    $("ed-draw-2").hidden = shapes.length < 2;
    if (shapes.length > 1) $("ed-draw-2").textContent = NEW_SV[shapes[1]];
    $("ed-summary").textContent = current.title;
    buildForm();
    return load();
  }
  $("ed-layer").addEventListener("change", (e) => useLayer(e.target.value));
  $("ed-feature").addEventListener("change", (e) => {
    if (e.target.value) select(Number(e.target.value)); else stopEditing();
  });
  $("ed-draw").addEventListener("click", () => startDrawing((current.shapes || [current.draw])[0]));
  $("ed-draw-2").addEventListener("click", () => startDrawing(current.shapes[1]));
  $("ed-undo").addEventListener("click", undo);
  const markChanged = () => {
    if (selected && selected.id !== null) { selected.propsChanged = true; updateUndo(); }
  };
  form.addEventListener("input", markChanged);
  form.addEventListener("change", markChanged);
  map.on("pm:drawstart pm:drawend", (e) => {
    map.getContainer().classList.toggle("ed-drawing", e.type === "pm:drawstart");
    updateUndo();
  });
  // Ctrl+Z (Cmd+Z) on the page undoes here; in a text field it stays the field's own undo.
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey || e.key.toLowerCase() !== "z") return;
    const t = e.target;
    if (t && (t.isContentEditable || t.tagName === "TEXTAREA" ||
              (t.tagName === "INPUT" && t.type === "text"))) return;
    e.preventDefault();
    if (!$("ed-undo").disabled) undo();
  });
  $("ed-delete").addEventListener("click", () => { $("ed-delete-confirm").hidden = false; });
  $("ed-delete-confirm").addEventListener("click", remove);
  $("ed-cancel").addEventListener("click", () => {
    stopEditing();
    $("ed-summary").textContent = current.title;
  });
  $("ed-reload").addEventListener("click", () => load(selected ? selected.id : null));
  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  if (narrow.matches) sheet.open = false;
  useLayer(layers[0].name);
})();
