// Map pages (coverage, planning, overview): the panels and legends are <details> boxes over the
// map. On a narrow screen they start collapsed, so the map stays visible, and each opens with a
// tap on its title; opening one on a phone closes the others.
(function () {
  "use strict";
  const narrow = window.matchMedia("(max-width: 700px)");
  const boxes = Array.from(document.querySelectorAll("details.trygg-box"));
  if (narrow.matches) {
    boxes.forEach((box) => { box.open = false; });
  }
  boxes.forEach((box) => {
    box.addEventListener("toggle", () => {
      if (box.open && narrow.matches) {
        boxes.forEach((other) => { if (other !== box) { other.open = false; } });
      }
    });
  });
})();
