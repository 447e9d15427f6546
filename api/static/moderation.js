// Moderation (/moderering): the queue from GET /api/moderering, each tip with its personal
// data flagged and likely duplicates; edit the category and text, then approve, reject or
// merge into an unsafe place (POST /api/moderering/{id}). Needs window.Trygg.
(function () {
  "use strict";
  const T = window.Trygg;
  const list = document.getElementById("mod-list");
  const status = document.getElementById("mod-status");
  const stateSelect = document.getElementById("mod-state");
  const categories = list.dataset.categories.split(";").map((p) => p.split("="));
  const KIND_SV = {personnummer: "personnummer", email: "e-postadress", phone: "telefonnummer",
                   name: "namn"};

  function field(label, input) {
    const wrap = T.el("label", label);
    wrap.appendChild(input);
    return wrap;
  }

  async function decide(tip, decision, extra) {
    status.textContent = "";
    try {
      const answer = await T.send("/api/moderering/" + tip.id, Object.assign({decision}, extra));
      let text = "Tips " + tip.id + ": " + answer.state_sv;
      if (answer.place_id) text += " (otrygg plats " + answer.place_id + ")";
      if (answer.personal_data.length)
        text += "; borttaget: " + answer.personal_data.map((k) => KIND_SV[k] || k).join(", ");
      status.textContent = text;
      load();
    } catch (err) {
      status.textContent = "Beslutet sparades inte: " + err.message;
    }
  }

  function card(tip) {
    const box = T.el("article", null, "mod-card");
    box.dataset.tip = tip.id;
    box.appendChild(T.el("h2", "Tips " + tip.id + ": " + tip.category_sv));
    box.appendChild(T.el("p", "Inkom " + T.stockholmText(tip.submitted_at) +
      (tip.organisation ? " från " + tip.organisation : " från allmänheten") +
      " · " + T.num(tip.lat, 5) + ", " + T.num(tip.lon, 5), "note"));
    if (tip.time_of_day) box.appendChild(T.el("p", "När: " + tip.time_of_day +
                                              " · folk samlas: " + tip.gathering));
    if (tip.personal_data.length) {
      box.appendChild(T.el("p", "Personuppgifter i texten (tas bort vid beslut): " +
        tip.personal_data.map((k) => KIND_SV[k] || k).join(", "), "mod-flag"));
    }
    if (tip.state !== "ny") {
      box.appendChild(T.el("p", tip.description));
      box.appendChild(T.el("p", tip.state_sv + " av " + tip.decided_by + " " +
                               T.stockholmText(tip.decided_at), "note"));
      return box;
    }
    const select = T.el("select");
    select.name = "category";
    categories.forEach(([value, label]) => {
      const option = T.el("option", label);
      option.value = value;
      option.selected = value === tip.category;
      select.appendChild(option);
    });
    box.appendChild(field("Kategori ", select));
    box.appendChild(T.el("blockquote", tip.description, "mod-text"));
    const text = T.el("textarea", tip.description);
    text.name = "description";
    box.appendChild(field("Text (redigera före godkännande) ", text));
    const note = T.el("input");
    note.name = "note";
    note.maxLength = 500;
    box.appendChild(field("Kommentar till den som tipsade ", note));
    if (tip.duplicates.length) {
      box.appendChild(T.el("p", "Möjliga dubbletter:"));
      const ul = T.el("ul", null, "mod-dups");
      tip.duplicates.forEach((d) => {
        const li = T.el("li", (d.kind === "tip" ? "Nytt tips " : "Otrygg plats ") + d.id + ", " +
          T.num(d.distance_m, 0) + " m bort" +
          (d.reporters ? ", " + d.reporters + " rapporterat" : "") + " ");
        if (d.kind === "unsafe_place") {
          const merge = T.el("button", "Slå ihop med plats " + d.id);
          merge.type = "button";
          merge.addEventListener("click", () => decide(tip, "merge", {merge_into: d.id,
                                                                      note: note.value || null}));
          li.appendChild(merge);
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    const actions = T.el("div", null, "mod-actions");
    const approve = T.el("button", "Godkänn");
    approve.type = "button";
    approve.className = "mod-approve";
    approve.addEventListener("click", () => {
      const extra = {note: note.value || null};
      if (select.value !== tip.category) extra.category = select.value;
      if (text.value !== tip.description) extra.description = text.value;
      decide(tip, "approve", extra);
    });
    const reject = T.el("button", "Avvisa");
    reject.type = "button";
    reject.className = "mod-reject";
    reject.addEventListener("click", () => decide(tip, "reject", {note: note.value || null}));
    actions.append(approve, reject);
    box.appendChild(actions);
    return box;
  }

  async function load() {
    try {
      const tips = await T.api("/api/moderering?state=" + encodeURIComponent(stateSelect.value));
      list.replaceChildren(...(tips.length ? tips.map(card) : [T.el("p", "Inga tips här.")]));
      list.dataset.loaded = String(tips.length);
    } catch (err) {
      list.replaceChildren(T.el("p", "Kunde inte läsa tipsen: " + err.message, "error"));
    }
  }
  stateSelect.addEventListener("change", load);
  load();
})();
