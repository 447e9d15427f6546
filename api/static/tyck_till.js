// Tyck till (public, /tyck-till) and the partner form (/samverkan): a point picked on the map
// or from the phone's position (only when asked), the category, buskörning's time of day and
// gathering, the text and an optional time; sent as JSON. Needs Leaflet and window.Trygg.
(function () {
  "use strict";
  const T = window.Trygg;
  const form = document.getElementById("tt-form");
  if (!form) return;
  const partner = form.dataset.mode === "partner";
  const [lat0, lon0] = (form.dataset.centre || "62.49,17.33").split(",").map(Number);
  const map = L.map("tt-map").setView([lat0, lon0], 13);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map);
  let marker = null;
  const placeText = document.getElementById("tt-place");
  const error = document.getElementById("tt-error");

  function pick(lat, lon, how) {
    form.elements.lat.value = lat.toFixed(6);
    form.elements.lon.value = lon.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(map);
    placeText.textContent = "Vald plats (" + how + "): " + T.num(lat, 5) + ", " + T.num(lon, 5);
  }
  map.on("click", (e) => pick(e.latlng.lat, e.latlng.lng, "på kartan"));
  document.getElementById("tt-locate").addEventListener("click", () => {
    if (!navigator.geolocation) { placeText.textContent = "Telefonen kan inte ge sin position."; return; }
    placeText.textContent = "Hämtar positionen …";
    navigator.geolocation.getCurrentPosition((pos) => {
      pick(pos.coords.latitude, pos.coords.longitude, "din position");
      map.setView([pos.coords.latitude, pos.coords.longitude], 16);
    }, () => { placeText.textContent = "Ingen position (du kan trycka på kartan i stället)."; },
    {enableHighAccuracy: true, timeout: 15000});
  });

  const busk = document.getElementById("tt-busk");
  form.addEventListener("change", (e) => {
    if (e.target.name === "category") busk.hidden = e.target.value !== "buskorning";
  });

  function checked(name) {
    const input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }
  function body() {
    const category = checked("category");
    const data = {lon: Number(form.elements.lon.value), lat: Number(form.elements.lat.value),
                  category: category, description: form.elements.description.value,
                  time: form.elements.time.value || null};
    if (category === "buskorning") {
      data.time_of_day = checked("time_of_day");
      data.gathering = checked("gathering");
    }
    if (!partner) {
      data.form_token = form.elements.form_token.value;
      data.website = form.elements.website.value;
    }
    return data;
  }
  function missing(data) {
    if (!form.elements.lon.value) return "Välj platsen: tryck på kartan eller använd din position.";
    if (!data.category) return "Välj vad det gäller.";
    if (data.category === "buskorning" && (!data.time_of_day || !data.gathering))
      return "Svara när det brukar hända och om folk samlas där.";
    if (!data.description.trim()) return "Beskriv kort vad som gör platsen otrygg.";
    return null;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const data = body();
    const problem = missing(data);
    if (problem) { error.textContent = problem; return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await T.send(partner ? "/api/samverkan/rapporter" : "/api/tyck-till", data);
      document.getElementById("tt-receipt").textContent = answer.receipt;
      const link = document.getElementById("tt-status-link");
      if (link) link.href = "/tyck-till/status/" + encodeURIComponent(answer.receipt);
      document.getElementById("tt-done").hidden = false;
      if (partner) { form.reset(); busk.hidden = true; loadOwn(); } else form.hidden = true;
    } catch (err) {
      error.textContent = "Tipset kunde inte skickas: " + err.message;
    } finally {
      button.disabled = false;
    }
  });

  // --- the partner's weekly CSV and own reports ---
  const own = document.getElementById("tt-own");
  async function loadOwn() {
    if (!own) return;
    const rows = await T.api("/api/samverkan/rapporter");
    own.replaceChildren(rows.length ? T.table(["Kod", "Skickad", "Kategori", "Status", "Beskrivning"],
      rows.map((r) => [r.receipt, T.stockholmText(r.submitted_at), r.category, r.state_sv,
                       r.description])) : T.el("p", "Inga rapporter ännu."));
  }
  const upload = document.getElementById("tt-upload");
  if (upload) {
    upload.addEventListener("submit", async (e) => {
      e.preventDefault();
      const result = document.getElementById("tt-upload-result");
      try {
        const made = await T.api("/api/samverkan/rapporter/import",
                                 {method: "POST", body: new FormData(upload)});
        result.textContent = T.plural(made.length, "rapport", "rapporter") + " sparade.";
        upload.reset();
        loadOwn();
      } catch (err) {
        result.textContent = "Filen sparades inte: " + err.message;
      }
    });
  }
  if (partner) loadOwn();
})();
