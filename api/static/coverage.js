// The coverage page: on a narrow screen the panel and the legend start collapsed, so the map
// stays visible; each opens with a tap on its title. Opening one on a phone closes the other.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 700px)");
  var boxes = [document.getElementById("trygg-panel"), document.getElementById("trygg-legend")]
    .filter(function (box) { return box !== null; });
  if (narrow.matches) {
    boxes.forEach(function (box) { box.open = false; });
  }
  boxes.forEach(function (box) {
    box.addEventListener("toggle", function () {
      if (box.open && narrow.matches) {
        boxes.forEach(function (other) { if (other !== box) { other.open = false; } });
      }
    });
  });
})();
