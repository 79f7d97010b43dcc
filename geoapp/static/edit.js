/* The small map of the edit and history pages: the feature's place, draggable when editing.
 *
 * A point is a draggable marker; a polygon is reshaped by dragging its corners (Leaflet.draw's
 * edit handles). Whatever the editor does ends up, as GeoJSON, in the form's hidden
 * ``geometry`` field, which the server checks like any other field. On the history page a
 * button shows the place a version had.
 */
(function () {
  "use strict";
  var box = document.getElementById("edit-map");
  if (!box || !box.dataset.geometry) return;
  var map = L.map(box, { zoomControl: true });
  var readOnly = box.dataset.readonly === "1";
  var field = document.getElementById("f-geometry");
  var shown = null;

  function draw(geojson) {
    if (shown) map.removeLayer(shown);
    shown = L.geoJSON(geojson, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { draggable: !readOnly, keyboard: true, title: box.dataset.kind });
      },
      style: function () { return { color: "#c62828", weight: 3, fillOpacity: 0.15 }; },
    }).addTo(map);
    var bounds = shown.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 16 });
    if (!readOnly) shown.eachLayer(editable);
  }

  function editable(item) {
    if (item.dragging) {
      item.on("dragend", remember);
    } else if (item.editing) {
      item.editing.enable();
      item.on("edit", remember);
    }
  }

  function remember() {
    var parts = [];
    shown.eachLayer(function (item) { parts.push(item.toGeoJSON().geometry); });
    if (parts.length === 1) field.value = JSON.stringify(parts[0]);
  }

  draw(JSON.parse(box.dataset.geometry));
  if (box.dataset.shapes) {
    var shapes = JSON.parse(box.dataset.shapes);
    document.querySelectorAll(".show-shape").forEach(function (button) {
      button.addEventListener("click", function () {
        var shape = shapes[button.dataset.version];
        if (shape) draw(JSON.parse(shape));
        box.scrollIntoView({ block: "nearest" });
      });
    });
  }
})();
