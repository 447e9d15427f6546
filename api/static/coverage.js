// The coverage page: on a narrow screen the panel and the legend start collapsed, so the map
// stays visible; each opens with a tap on its title. Opening one on a phone closes the other.
(function () {
  "use strict";
  const narrow = window.matchMedia("(max-width: 700px)");
  const boxes = [document.getElementById("trygg-panel"), document.getElementById("trygg-legend")]
    .filter((box) => { return box !== null; });
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
