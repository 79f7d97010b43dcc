/* The map page around the map: drawing an area, the URL as the state of the view, the
 * results list linked to the map both ways (the filter form itself: static/filters.js).
 */
(function () {
  "use strict";

  var form = null;  // the filter form; the page script runs after it exists

  function setParam(name, value) {
    var url = new URL(window.location.href);
    if (value === null || value === "") url.searchParams.delete(name);
    else url.searchParams.set(name, value);
    window.history.replaceState(null, "", url.toString());
  }

  /* A drawn polygon or rectangle as WKT (lon lat), ring closed. */
  function toWkt(latlngs) {
    var ring = latlngs[0].map(function (p) { return p.lng.toFixed(6) + " " + p.lat.toFixed(6); });
    ring.push(ring[0]);
    return "POLYGON((" + ring.join(", ") + "))";
  }

  function setHidden(name, value) {
    var input = form.querySelector('input[type=hidden][name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  /* Leaflet's and Leaflet.draw's words in the page's language; a metric scale only. */
  function localChrome(map, texts) {
    function label(element, text) {
      if (!element) return;
      element.title = text;
      element.setAttribute("aria-label", text);
    }
    if (map.zoomControl) {
      label(map.zoomControl._zoomInButton, texts.zoomIn);
      label(map.zoomControl._zoomOutButton, texts.zoomOut);
    }
    label(map.getContainer().querySelector(".leaflet-control-layers-toggle"), texts.layers);
    L.control.scale({ imperial: false }).addTo(map);
    if (!L.drawLocal) return;
    var toolbar = L.drawLocal.draw.toolbar;
    toolbar.actions = { title: texts.cancelTitle, text: texts.cancel };
    toolbar.finish = { title: texts.finishTitle, text: texts.finish };
    toolbar.undo = { title: texts.undoTitle, text: texts.undo };
    toolbar.buttons.polygon = texts.drawPolygon;
    toolbar.buttons.rectangle = texts.drawRectangle;
    var handlers = L.drawLocal.draw.handlers;
    handlers.polygon.tooltip = {
      start: texts.polygonStart, cont: texts.polygonCont, end: texts.polygonEnd };
    handlers.polyline.error = texts.crossing;
    handlers.rectangle.tooltip.start = texts.rectangleStart;
    handlers.simpleshape.tooltip.end = texts.release;
  }

  function drawTools(map, options) {
    if (options.area) {
      L.geoJSON(options.area, {
        style: { color: "#e65100", weight: 2, fill: false, dashArray: "6 4" },
        interactive: false,
      }).addTo(map);
    }
    if (!L.Control.Draw) return;
    map.addControl(new L.Control.Draw({
      position: "topleft",
      draw: {
        polygon: { allowIntersection: false, showArea: false },
        rectangle: { showArea: false },
        polyline: false, circle: false, marker: false, circlemarker: false,
      },
    }));
    /* The area is kept by the server and the URL carries its id: a detailed shape would not
     * fit in a URL (nor in the tile and export links made from it). */
    map.on(L.Draw.Event.CREATED, function (event) {
      if (map.geoappMeasuring) return;  // a measurement, not a filter
      var body = new URLSearchParams({ within: toWkt(event.layer.getLatLngs()) });
      var token = document.querySelector('meta[name="csrf-token"]').content;
      fetch(form.dataset.areasUrl, { method: "POST", body: body, headers: { "X-CSRFToken": token } })
        .then(function (response) {
          return response.json().then(function (answer) {
            if (!response.ok) throw new Error(answer.description);
            return answer;
          });
        })
        .then(function (answer) {
          setHidden("within", answer.id);
          window.geoappPanel.submit();
        })
        .catch(function (error) { window.alert(error.message); });
    });
  }

  function viewText(map) {
    var c = map.getCenter();
    return map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
  }

  /* view=, hide= and sel= follow the map, so the address always reproduces the screen. */
  function urlState(map) {
    var keep = form.querySelector("input[name=_keep]");
    var view = form.querySelector("input[name=view]");
    map.on("moveend", function () {
      setParam("view", viewText(map));
      view.value = viewText(map);
    });
    keep.addEventListener("change", function () { view.disabled = !keep.checked; });
    view.disabled = !keep.checked;
    keep.name = "";  // the checkbox only switches the view field on; it is not a filter
    function hiddenLayers() {
      return Object.keys(geoapp.layers).filter(function (id) {
        return !map.hasLayer(geoapp.layers[id]) && !geoapp.layers[id].hiddenByZoom;
      }).sort().join(",");
    }
    map.on("overlayadd overlayremove", function () {
      setParam("hide", hiddenLayers());
      setHidden("hide", hiddenLayers());
    });
    map.on("popupopen", function (event) {
      var ref = popupRef(event.popup);
      if (!ref) return;
      setParam("sel", ref.layer + ":" + ref.id);
      highlightRow(ref.layer, ref.id);
    });
    map.on("popupclose", function () { setParam("sel", null); highlightRow(null, null); });
  }

  function popupRef(popup) {
    if (popup.geoappRef) return popup.geoappRef;
    var source = popup._source;
    if (source && source.feature && source.geoappLayer) {
      return { layer: source.geoappLayer, id: source.feature.id };
    }
    return null;
  }

  function highlightRow(layerId, id) {
    document.querySelectorAll("table.results tr.selected").forEach(function (row) {
      row.classList.remove("selected");
    });
    if (!layerId) return;
    var row = document.querySelector(
      'table.results[data-layer="' + layerId + '"] tr[data-fid="' + id + '"]');
    if (row) {
      row.classList.add("selected");
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function resultRows(map) {
    document.querySelectorAll("table.results").forEach(function (table) {
      var layerId = table.dataset.layer;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        function go() {
          geoapp.focus(map, layerId, row.dataset.fid, Number(row.dataset.lat),
            Number(row.dataset.lon));
        }
        row.addEventListener("click", go);
        row.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); go(); }
        });
      });
      table.querySelectorAll("th button[data-sort]").forEach(function (button) {
        button.addEventListener("click", function () { sortTable(table, button); });
      });
    });
  }

  function sortTable(table, button) {
    var column = Number(button.dataset.sort);
    var numeric = button.dataset.numeric === "1";
    var ascending = button.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th button").forEach(function (b) { b.removeAttribute("aria-sort"); });
    button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value;
      var y = b.cells[column].dataset.value;
      var order = numeric ? (Number(x || -Infinity) - Number(y || -Infinity))
        : x.localeCompare(y, "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  /* An export or a print can take half a minute: say so until the file starts to arrive
   * (the server answers with a cookie carrying the token the request sent). */
  function downloadToken() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  function noticeUntilArrival(notice, token) {
    notice.hidden = false;
    var timer = window.setInterval(function () {
      if (document.cookie.indexOf("geoapp_download=" + token) < 0) return;
      window.clearInterval(timer);
      notice.hidden = true;
      document.cookie = "geoapp_download=; Max-Age=0; Path=/";
    }, 300);
  }

  function exportNotice() {
    var notice = document.querySelector(".export-notice");
    if (!notice) return;
    document.querySelectorAll("a[data-export]").forEach(function (link) {
      link.addEventListener("click", function () {
        var token = downloadToken();
        var url = new URL(link.href);
        url.searchParams.set("download", token);
        link.href = url.toString();
        noticeUntilArrival(notice, token);
      });
    });
  }

  /* The wall map form: its choices (empty fields left out) and a download token in the
   * URL of the button pressed (PDF or PNG); the notice shows until the print arrives. */
  function printNotice() {
    var form = document.querySelector("form.print-form");
    var notice = document.querySelector(".print-notice");
    if (!form || !notice) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;  // its formAction is the page's URL when it has none
      var own = button && button.hasAttribute("formaction");
      var url = new URL(own ? button.formAction : form.action);
      new FormData(form).forEach(function (value, name) {
        if (value !== "") url.searchParams.append(name, value);
      });
      var token = downloadToken();
      url.searchParams.set("download", token);
      noticeUntilArrival(notice, token);
      window.location.assign(url.toString());
    });
  }

  /* On a phone the side panel is a bottom sheet (static/filters.js): the legend starts
   * closed there, and choosing a result closes the sheet, so the map shows the popup. */
  function bottomSheet() {
    var handle = document.querySelector(".sheet-handle");
    var legend = document.getElementById("legend");
    if (!handle || window.getComputedStyle(handle).display === "none") return;
    if (legend) legend.open = false;
    document.querySelectorAll("table.results tbody tr").forEach(function (row) {
      row.addEventListener("click", function () { window.geoappPanel.setSheet(false); });
    });
  }

  /* Beside the filter's totals: how many are in view; where the pointer is (lon, lat); and
   * a measuring tool for distances and areas (m², 亩), which filters nothing. */
  function mapReadouts(map, texts) {
    map.on("geoapp:inview", function (event) {
      var figure = document.querySelector('[data-inview="' + event.id + '"]');
      if (figure) figure.textContent = Number(event.count).toLocaleString();
    });
    var Readout = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = L.DomUtil.create("div", "geoapp-readout leaflet-control");
        box.setAttribute("aria-hidden", "true");  // a pointer's place, not content
        return box;
      },
    });
    var readout = new Readout().addTo(map);
    function show(latlng) {
      readout.getContainer().textContent = texts.lon + " " + latlng.lng.toFixed(5) + "  " +
        texts.lat + " " + latlng.lat.toFixed(5);
    }
    map.on("mousemove", function (event) { show(event.latlng); });
    map.on("moveend", function () { show(map.getCenter()); });
    show(map.getCenter());
    measureTool(map, texts);
  }

  function formatLength(metres) {
    return metres >= 1000 ? (metres / 1000).toLocaleString(undefined, { maximumFractionDigits: 2 })
      + " km" : Math.round(metres).toLocaleString() + " m";
  }

  function measureTool(map, texts) {
    if (!L.Draw || !L.GeometryUtil) return;
    var shapes = L.featureGroup().addTo(map);
    var Measure = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar geoapp-measure");
        [["polyline", texts.measureLength, "↔"], ["polygon", texts.measureArea, "▱"]]
          .forEach(function (kind) {
            var button = L.DomUtil.create("a", "geoapp-measure-" + kind[0], bar);
            button.href = "#";
            button.setAttribute("role", "button");
            button.title = kind[1];
            button.setAttribute("aria-label", kind[1]);
            button.textContent = kind[2];
            L.DomEvent.on(button, "click", function (event) {
              L.DomEvent.preventDefault(event);
              L.DomEvent.stopPropagation(event);
              var Handler = kind[0] === "polyline" ? L.Draw.Polyline : L.Draw.Polygon;
              map.geoappMeasuring = true;
              new Handler(map, { showLength: true, metric: true, feet: false,
                shapeOptions: { color: "#6a1b9a", weight: 3, dashArray: "6 4" } }).enable();
            });
          });
        return bar;
      },
    });
    new Measure().addTo(map);
    map.on("draw:drawstop", function () {
      window.setTimeout(function () { map.geoappMeasuring = false; }, 0);
    });
    map.on(L.Draw.Event.CREATED, function (event) {
      if (!map.geoappMeasuring) return;
      var latlngs = event.layer.getLatLngs();
      var text;
      if (event.layerType === "polyline") {
        var metres = 0;
        for (var i = 1; i < latlngs.length; i++) metres += map.distance(latlngs[i - 1], latlngs[i]);
        text = texts.length + " " + formatLength(metres);
      } else {
        var m2 = L.GeometryUtil.geodesicArea(latlngs[0]);
        text = texts.area + " " + Math.round(m2).toLocaleString() + " m² · " +
          (m2 / (10000 / 15)).toLocaleString(undefined, { maximumFractionDigits: 1 }) + " " + texts.mu;
      }
      var box = document.createElement("p");
      box.className = "geoapp-measure-result";
      box.textContent = text;
      shapes.addLayer(event.layer);
      event.layer.bindPopup(box).openPopup();
      event.layer.on("popupclose", function () { shapes.removeLayer(event.layer); });
    });
  }

  window.geoapp.page = function (map, options) {
    form = document.getElementById("filter-form");
    // Leaflet's credit without its link: an intranet page links nowhere outside.
    if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
    localChrome(map, options.texts);
    drawTools(map, options);
    mapReadouts(map, options.texts);
    urlState(map);
    resultRows(map);
    exportNotice();
    printNotice();
    bottomSheet();
    if (options.selected) {
      var layerId = options.selected[0];
      var id = options.selected[1];
      fetch(geoapp.specs[layerId].urls.feature.replace("{id}", id))
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (feature) {
          if (!feature) return;
          var c = feature.geometry.type === "Point" ? feature.geometry.coordinates
            : null;
          var row = document.querySelector('tr[data-fid="' + id + '"]');
          if (c) geoapp.focus(map, layerId, id, c[1], c[0]);
          else if (row) geoapp.focus(map, layerId, id, Number(row.dataset.lat),
            Number(row.dataset.lon));
        });
    }
  };
})();
