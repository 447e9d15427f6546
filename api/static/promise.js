// The promise register page: add actions (at the whole municipality, a gazetteer place or road,
// a patrol zone or a point clicked on a small map), edit their text, owner and due date, change
// their status, delete them (admin), open and keep the report.
// Talks to /api/lofte/atgarder and /api/rapport(er) with fetch; messages use textContent only.
(function () {
  "use strict";
  let message = document.getElementById("report-message");
  const CONFLICT = "Åtgärden har ändrats av någon annan sedan du öppnade sidan. " +
    "Ladda om sidan och gör ändringen igen.";

  function show(node, text, isError) {
    node.textContent = text;
    node.className = (node.classList.contains("form-message") ? "form-message " : "") +
      (isError ? "error" : "note");
  }
  function say(text, isError) { show(message, text, isError); }
  function failure(prefix, error) {
    return error.status === 409 ? CONFLICT : prefix + error.message;
  }

  function call(path, method, body, headers) {
    if (body) {
      return window.Trygg.api(path, {method: method, body: JSON.stringify(body),
        headers: Object.assign({"Content-Type": "application/json"}, headers || {})});
    }
    return window.Trygg.api(path, {method: method, headers: headers || {}});
  }

  let form = document.getElementById("report-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let format = event.submitter ? event.submitter.value : "html";
    let query = "from=" + encodeURIComponent(form.elements.from.value) +
      "&to=" + encodeURIComponent(form.elements.to.value) + "&format=" + format;
    window.location.href = "/api/rapport?" + query;
  });
  let keep = document.getElementById("keep-report");
  if (keep) {
    keep.addEventListener("click", () => {
      let query = "from=" + encodeURIComponent(form.elements.from.value) +
        "&to=" + encodeURIComponent(form.elements.to.value);
      say("Sparar …", false);
      call("/api/rapporter?" + query, "POST").then((kept) => {
        say("Rapporten är sparad (nummer " + kept.id + "). Nästa rapport jämförs med den.", false);
      }).catch((error) => { say("Kunde inte spara: " + error.message, true); });
    });
  }

  // One small map, moved under the form whose place is "a point I click".
  let mapNode = document.getElementById("place-map");
  let map = null;
  let marker = null;
  let mapForm = null;
  function pointOn(f) {
    mapForm = f;
    f.after(mapNode);
    mapNode.hidden = false;
    if (!map) {
      const centre = mapNode.dataset.centre.split(",").map(Number);
      map = L.map(mapNode).setView(centre, 11);
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19, attribution: "&copy; OpenStreetMap"}).addTo(map);
      L.control.scale({imperial: false}).addTo(map);
      map.on("click", (event) => {
        mapForm.elements.lon.value = event.latlng.lng.toFixed(6);
        mapForm.elements.lat.value = event.latlng.lat.toFixed(6);
        if (marker) { marker.setLatLng(event.latlng); } else { marker = L.marker(event.latlng).addTo(map); }
        show(mapForm.querySelector(".form-message"), "Vald punkt: " +
          event.latlng.lat.toFixed(5).replace(".", ",") + " N, " +
          event.latlng.lng.toFixed(5).replace(".", ",") + " E.", false);
      });
    }
    map.invalidateSize();
  }

  function placeOf(f) {
    let where = f.elements.where.value;
    if (where === "point") {
      if (!f.elements.lon.value) { return null; }
      return {lon: Number(f.elements.lon.value), lat: Number(f.elements.lat.value)};
    }
    if (where.startsWith("named:")) { return {named: where.slice(6)}; }
    if (where.startsWith("zone:")) { return {zone: where.slice(5)}; }
    return {};
  }

  document.querySelectorAll("form.add-action").forEach((f) => {
    f.noValidate = true;  // the messages below and the server's are Swedish; the browser's may not be
    let note = f.querySelector(".form-message");
    f.elements.where.addEventListener("change", () => {
      f.elements.lon.value = "";
      f.elements.lat.value = "";
      if (f.elements.where.value === "point") {
        pointOn(f);
        show(note, "Klicka i kartan där åtgärden görs.", false);
      } else if (mapForm === f) {
        mapNode.hidden = true;
        show(note, "", false);
      }
    });
    f.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!f.elements.what.value.trim()) {
        show(note, "Åtgärd: skriv vad som ska göras.", true);
        return;
      }
      let place = placeOf(f);
      if (place === null) {
        show(note, "Plats: klicka i kartan där åtgärden görs, eller välj en annan plats.", true);
        return;
      }
      let body = Object.assign({ commitment: f.dataset.commitment, what: f.elements.what.value,
        owner: f.elements.owner.value, place: f.elements.place.value }, place);
      if (f.elements.due.value) { body.due = f.elements.due.value; }
      call("/api/lofte/atgarder", "POST", body).then(() => { window.location.reload(); })
        .catch((error) => { show(note, "Kunde inte lägga till: " + error.message, true); });
    });
  });

  function change(row, body, prefix, node) {
    return call("/api/lofte/atgarder/" + row.dataset.id, "PATCH", body,
      {"If-Match": '"' + row.dataset.version + '"'})
      .then(() => { window.location.reload(); })
      .catch((error) => { show(node || message, failure(prefix, error), true); });
  }

  document.querySelectorAll("select.status-select").forEach((select) => {
    select.addEventListener("change", () => {
      change(select.closest("tr"), {status: select.value}, "Kunde inte ändra: ");
    });
  });

  let template = document.getElementById("edit-template");
  document.querySelectorAll("button.edit-action").forEach((button) => {
    button.addEventListener("click", () => {
      let row = button.closest("tr");
      if (row.nextElementSibling && row.nextElementSibling.classList.contains("edit-row")) {
        return;
      }
      let editRow = template.content.firstElementChild.cloneNode(true);
      let f = editRow.querySelector("form");
      f.noValidate = true;
      f.elements.what.value = row.dataset.what;
      f.elements.owner.value = row.dataset.owner;
      f.elements.due.value = row.dataset.due;
      row.after(editRow);
      f.elements.what.focus();
      f.querySelector(".cancel-edit").addEventListener("click", () => { editRow.remove(); });
      f.addEventListener("submit", (event) => {
        event.preventDefault();
        let note = f.querySelector(".form-message");
        if (!f.elements.what.value.trim()) {
          show(note, "Åtgärd: skriv vad som ska göras.", true);
          return;
        }
        change(row, {what: f.elements.what.value, owner: f.elements.owner.value,
          due: f.elements.due.value || null}, "Kunde inte spara: ", note);
      });
    });
  });

  document.querySelectorAll("button.delete-action").forEach((button) => {
    button.addEventListener("click", () => {
      let row = button.closest("tr");
      if (button.dataset.confirming !== "yes") {  // asked on the page, usable by touch
        button.dataset.confirming = "yes";
        button.textContent = "Ja, ta bort åtgärden";
        button.classList.add("danger");
        return;
      }
      call("/api/lofte/atgarder/" + row.dataset.id, "DELETE")
        .then(() => { window.location.reload(); })
        .catch((error) => { say(failure("Kunde inte ta bort: ", error), true); });
    });
  });
})();
