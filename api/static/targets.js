// The admin's form for the promise's measurable targets: PUT /api/lofte/mal/{commitment} with
// the filled rows. Messages use textContent only.
(function () {
  "use strict";
  const template = document.getElementById("target-row");

  document.querySelectorAll("form.targets-form").forEach((form) => {
    const message = form.querySelector(".message");
    function say(text, isError) {
      message.textContent = text;
      message.className = (isError ? "error" : "note") + " message";
    }
    form.querySelector(".add-row").addEventListener("click", () => {
      form.querySelector("tbody").appendChild(template.content.cloneNode(true));
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const targets = [];
      form.querySelectorAll("tr.target-row").forEach((row) => {
        const field = (name) => row.querySelector("[name=" + name + "]").value.trim();
        if (!field("indicator")) return;
        targets.push({indicator: field("indicator"), op: field("op"),
          value: field("value") === "" ? null : Number(field("value")), per: field("per"),
          note: field("note")});
      });
      say("Sparar …", false);
      window.Trygg.send("/api/lofte/mal/" + encodeURIComponent(form.dataset.commitment),
                        {targets: targets}, "PUT")
        .then((saved) => { say("Sparat: " + saved.targets.length + " mål.", false); })
        .catch((error) => { say("Kunde inte spara: " + error.message, true); });
    });
  });
})();
