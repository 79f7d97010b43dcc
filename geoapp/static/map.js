/* geoapp map layers: styles, popups and minimum zoom from a layer's declaration.
 *
 * Every value from the data reaches the page through textContent, never innerHTML, so a
 * project called "<img src=x onerror=alert(1)>" is shown as those characters.
 */
window.geoapp = (function () {
  "use strict";

  var registry = {};

  function pick(channel, props, fallback) {
    if (!channel) return fallback;
    return channel.colors[props[channel.field]] || fallback;
  }

  function pathStyle(spec, props) {
    var s = spec.style;
    return {
      color: pick(s.stroke, props, s.color),
      fillColor: pick(s.fill, props, s.fillColor),
      weight: s.weight,
      fill: s.fillOpacity > 0,
      fillOpacity: s.fillOpacity,
      dashArray: s.dashArray,
      className: "geoapp-feature geoapp-layer-" + spec.id,
    };
  }

  function formatDate(text, locale) {
    var parts = String(text).split("-");
    if (locale !== "zh" || parts.length !== 3) return String(text);
    return Number(parts[0]) + "年" + Number(parts[1]) + "月" + Number(parts[2]) + "日";
  }

  function formatValue(field, value, locale) {
    if (value === null || value === undefined || value === "") return "—";
    if (field.type === "enum") return field.values[value] || String(value);
    if (field.type === "date") return formatDate(value, locale);
    if (field.type === "number") {
      var text = Number(value).toLocaleString(locale === "zh" ? "zh-CN" : "en-US",
        { maximumFractionDigits: 2 });
      return field.unit ? text + " " + field.unit : text;
    }
    return String(value);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function popupContent(spec, props) {
    var box = element("div", undefined, "geoapp-popup");
    var title = spec.labelField ? props[spec.labelField] : spec.title;
    box.appendChild(element("h3", String(title === null ? "" : title)));
    var table = element("table");
    spec.popup.forEach(function (field) {
      var row = element("tr");
      row.appendChild(element("th", field.label));
      row.appendChild(element("td", formatValue(field, props[field.field], spec.locale)));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }

  /* A layer below its declared min_zoom is taken off the map (and put back when zoomed in):
   * checked when it is first added, when a zoom animation starts (so it never flashes while
   * zooming out) and when a zoom ends. */
  function withMinZoom(map, spec, layer) {
    if (spec.minZoom <= 0) return;
    var hiddenByZoom = false;
    function update(zoom) {
      var tooFar = zoom < spec.minZoom;
      if (tooFar && map.hasLayer(layer)) {
        hiddenByZoom = true;
        map.removeLayer(layer);
      } else if (!tooFar && hiddenByZoom) {
        hiddenByZoom = false;
        map.addLayer(layer);
      }
    }
    layer.on("add", function () { update(map.getZoom()); });
    map.on("zoomanim", function (event) { if (event.zoom < spec.minZoom) update(event.zoom); });
    map.on("zoomend", function () { update(map.getZoom()); });
  }

  function layer(map, spec, data) {
    var lyr = L.geoJSON(data, {
      style: function (feature) { return pathStyle(spec, feature.properties); },
      pointToLayer: function (feature, latlng) {
        var options = pathStyle(spec, feature.properties);
        options.radius = spec.style.radius;
        options.fill = true;
        options.fillOpacity = Math.max(spec.style.fillOpacity, 0.85);
        return L.circleMarker(latlng, options);
      },
      onEachFeature: function (feature, featureLayer) {
        var props = feature.properties;
        featureLayer.bindPopup(function () { return popupContent(spec, props); });
        if (spec.labelField && props[spec.labelField] !== null) {
          featureLayer.bindTooltip(function () {
            return element("span", String(props[spec.labelField]));
          }, { sticky: true });
        }
      },
    });
    withMinZoom(map, spec, lyr);
    registry[spec.id] = lyr;
    return lyr;
  }

  return { layer: layer, layers: registry };
})();
