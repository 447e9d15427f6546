// "Publicera" on a kept report (admin): POST /api/rapporter/{id}/publicera puts a frozen,
// scrubbed copy on the public page /folj-med. Messages use textContent only.
(function () {
  "use strict";
  const message = document.getElementById("report-message");
  document.querySelectorAll("button.publish-report").forEach((button) => {
    button.addEventListener("click", () => {
      message.textContent = "Publicerar …";
      window.Trygg.send("/api/rapporter/" + button.dataset.id + "/publicera", null, "POST")
        .then(() => {
          message.className = "note";
          message.textContent = "Rapporten är publicerad på sidan Följ med i hur det går (/folj-med).";
        })
        .catch((error) => {
          message.className = "error";
          message.textContent = "Kunde inte publicera: " + error.message;
        });
    });
  });
})();
