/* "Följ med i hur det går": the map of the published unsafe places (GeoJSON embedded by the
 * server from the published snapshot). Popups are built with textContent only. */
(function () {
  "use strict";
  const node = document.getElementById("fm-map");
  const island = document.getElementById("fm-places");
  if (!node || !island || !window.L) return;
  const places = JSON.parse(island.textContent) || {features: []};
  const centre = node.dataset.centre.split(",").map(Number);
  const map = L.map(node, {scrollWheelZoom: false}).setView(centre, 11);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18, attribution: "© OpenStreetMap-bidragsgivare"}).addTo(map);
  const colours = {"öppen": "#b42318", "åtgärdad": "#1a6b34"};

  function popup(props) {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = props.category_sv;
    const line = document.createElement("div");
    line.textContent = "Rapporterad " + props.month + ", " + props.status_sv;
    box.append(title, line);
    return box;
  }

  const layer = L.geoJSON(places, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
      radius: 7, weight: 1, color: "#333", fillOpacity: 0.8,
      fillColor: colours[feature.properties.status_sv] || "#555"}),
    onEachFeature: (feature, marker) => { marker.bindPopup(popup(feature.properties)); },
  }).addTo(map);
  if (places.features.length) {
    map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 14, animate: false});
  }
  node.dataset.ready = String(places.features.length);
})();
