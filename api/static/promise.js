// The promise register page: add actions, change their status, open and keep the report.
// Talks to /api/lofte/atgarder and /api/rapport(er) with fetch; messages use textContent only.
(function () {
  "use strict";
  var message = document.getElementById("report-message");

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "note";
  }

  // The session's CSRF token (api/security.py fills the meta tag); sent with every write.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function call(path, method, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: Object.assign({ "X-CSRF-Token": csrfToken() },
        body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) { throw new Error(data && data.error ? data.error : "HTTP " + response.status); }
        return data;
      });
    });
  }

  var form = document.getElementById("report-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var format = event.submitter ? event.submitter.value : "html";
    var query = "from=" + encodeURIComponent(form.elements.from.value) +
      "&to=" + encodeURIComponent(form.elements.to.value) + "&format=" + format;
    window.location.href = "/api/rapport?" + query;
  });
  var keep = document.getElementById("keep-report");
  if (keep) {
    keep.addEventListener("click", function () {
      var query = "from=" + encodeURIComponent(form.elements.from.value) +
        "&to=" + encodeURIComponent(form.elements.to.value);
      say("Sparar …", false);
      call("/api/rapporter?" + query, "POST").then(function (kept) {
        say("Rapporten är sparad (nummer " + kept.id + "). Nästa rapport jämförs med den.", false);
      }).catch(function (error) { say("Kunde inte spara: " + error.message, true); });
    });
  }

  document.querySelectorAll("form.add-action").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { commitment: f.dataset.commitment, what: f.elements.what.value,
        owner: f.elements.owner.value, zone: f.elements.zone.value || null };
      if (f.elements.due.value) { body.due = f.elements.due.value; }
      call("/api/lofte/atgarder", "POST", body).then(function () { window.location.reload(); })
        .catch(function (error) { say("Kunde inte lägga till: " + error.message, true); });
    });
  });

  document.querySelectorAll("select.status-select").forEach(function (select) {
    select.addEventListener("change", function () {
      var row = select.closest("tr");
      call("/api/lofte/atgarder/" + row.dataset.id, "PATCH",
        { status: select.value, version: Number(row.dataset.version) })
        .then(function () { window.location.reload(); })
        .catch(function (error) { say("Kunde inte ändra: " + error.message, true); });
    });
  });
}());
