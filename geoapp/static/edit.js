/* The small map of the new, edit and history pages: the feature's place, placed, drawn or
 * reshaped with Leaflet-Geoman (a maintained editing plugin, served locally).
 *
 * A point is a marker to drag; a polygon's corners are dragged, added and removed. A new
 * feature is placed or drawn by clicking the map. Corners and points snap to the parcels and
 * county outlines in view (fetched from the API as the map moves), so a project sits on its parcel and an outline
 * follows its neighbours' edges. Whatever the editor does ends up, as GeoJSON, in the form's
 * hidden ``geometry`` field, which the server checks like any other field. On the history page
 * a button shows the place a version had.
 */
(function () {
  "use strict";
  var box = document.getElementById("edit-map");
  if (!box) return;
  var readOnly = box.dataset.readonly === "1";
  var kind = box.dataset.kind;
  var field = document.getElementById("f-geometry");
  var map = L.map(box, { zoomControl: true });
  var style = { color: "#c62828", weight: 3, fillOpacity: 0.15 };
  var shown = null;
  window.geoapp = Object.assign(window.geoapp || {}, { editMap: map });  // for scripts, tests
  if (map.pm) map.pm.setLang(box.dataset.lang === "en" ? "en" : "zh");

  function show(geojson) {
    if (shown) map.removeLayer(shown);
    shown = L.geoJSON(geojson, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { keyboard: true, title: kind });
      },
      style: function () { return style; },
    }).addTo(map);
    var bounds = shown.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 16 });
    if (!readOnly) shown.eachLayer(editable);
  }

  function editable(item) {
    item.pm.enable({ snappable: true, snapDistance: 15, allowSelfIntersection: false, draggable: true });
    item.on("pm:edit pm:dragend pm:markerdragend pm:vertexadded pm:vertexremoved", remember);
  }

  /* Geoman's corner and mid-edge handles are buttons without a name: give them one, also to
   * those it makes anew as corners are added or removed. */
  function nameHandles() {
    box.querySelectorAll(".marker-icon:not([title])").forEach(function (handle) {
      var middle = handle.classList.contains("marker-icon-middle");
      handle.setAttribute("title", middle ? box.dataset.middleTitle : box.dataset.cornerTitle);
    });
  }
  new MutationObserver(nameHandles).observe(box, { childList: true, subtree: true });

  function remember() {
    var parts = [];
    shown.eachLayer(function (item) { parts.push(item.toGeoJSON().geometry); });
    if (parts.length === 1) field.value = JSON.stringify(parts[0]);
  }

  function drawNew() {
    var shape = kind === "point" ? "Marker" : "Polygon";
    map.pm.enableDraw(shape, {
      snappable: true, snapDistance: 15, allowSelfIntersection: false, continueDrawing: false,
      templineStyle: style, hintlineStyle: { color: "#c62828", dashArray: "5,5" }, pathOptions: style,
    });
    map.once("pm:create", function (event) {
      shown = L.featureGroup([event.layer]).addTo(map);
      editable(event.layer);
      remember();
    });
  }

  /* What lies around, fetched for the view as the map moves: county outlines, and parcels
   * from zoom 13 (where a parcel is more than a speck). Their edges and corners are what
   * points and corners snap to. */
  function context() {
    if (readOnly || !box.dataset.context) return;
    JSON.parse(box.dataset.context).forEach(function (source) {
      var shapes = L.geoJSON(null, {
        style: function () { return { color: source.color, weight: 1, fillOpacity: 0.04 }; },
        interactive: false,
      }).addTo(map);
      var asked = "";
      map.on("moveend", function () {
        if (map.getZoom() < source.minzoom) return shapes.clearLayers();
        var b = map.getBounds().pad(0.2);
        var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
          return v.toFixed(5);
        }).join(",");
        if (bbox === asked) return;
        asked = bbox;
        fetch(source.url + "?limit=2000&bbox=" + bbox, { credentials: "same-origin" })
          .then(function (answer) { return answer.ok ? answer.json() : null; })
          .then(function (collection) {
            if (!collection || bbox !== asked) return;
            shapes.clearLayers();
            shapes.addData(collection);
            box.dataset["context" + source.layer] = String(shapes.getLayers().length);
          });
      });
    });
  }

  context();
  if (box.dataset.geometry) {
    show(JSON.parse(box.dataset.geometry));
  } else {
    var b = JSON.parse(box.dataset.bounds || "[73, 18, 135, 53]");
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    drawNew();
  }
  if (box.dataset.shapes) {
    var shapes = JSON.parse(box.dataset.shapes);
    document.querySelectorAll(".show-shape").forEach(function (button) {
      button.addEventListener("click", function () {
        var shape = shapes[button.dataset.version];
        if (shape) show(JSON.parse(shape));
        box.scrollIntoView({ block: "nearest" });
      });
    });
  }
})();
