// The promise register page: add actions, change their status, open and keep the report.
// Talks to /api/lofte/atgarder and /api/rapport(er) with fetch; messages use textContent only.
(function () {
  "use strict";
  let message = document.getElementById("report-message");

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "note";
  }

  function call(path, method, body) {
    return body ? window.Trygg.send(path, body, method) : window.Trygg.api(path, {method: method});
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

  document.querySelectorAll("form.add-action").forEach((f) => {
    f.addEventListener("submit", (event) => {
      event.preventDefault();
      let body = { commitment: f.dataset.commitment, what: f.elements.what.value,
        owner: f.elements.owner.value, zone: f.elements.zone.value || null };
      if (f.elements.due.value) { body.due = f.elements.due.value; }
      call("/api/lofte/atgarder", "POST", body).then(() => { window.location.reload(); })
        .catch((error) => { say("Kunde inte lägga till: " + error.message, true); });
    });
  });

  document.querySelectorAll("select.status-select").forEach((select) => {
    select.addEventListener("change", () => {
      let row = select.closest("tr");
      call("/api/lofte/atgarder/" + row.dataset.id, "PATCH",
        { status: select.value, version: Number(row.dataset.version) })
        .then(() => { window.location.reload(); })
        .catch((error) => { say("Kunde inte ändra: " + error.message, true); });
    });
  });
})();
