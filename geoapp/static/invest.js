/* The investors' small maps (招商地图): park outlines, free sites coloured by kind, county
 * outlines for orientation. Everything comes from the JSON the page carries
 * (#invest-data, built by geoapp/invest/mapdata.py); there are no tiles, so nothing is asked
 * of any server. Popups are built from text nodes: a name is never read as HTML. The buttons
 * of the site list ("Map") zoom to their site and open its popup. On the comparison each
 * site carries its column's number.
 */
(function () {
  "use strict";
  var box = document.getElementById("invest-map");
  var source = document.getElementById("invest-data");
  if (!box || !source) return;
  var data = JSON.parse(source.textContent);
  var texts = data.texts || {};
  var map = L.map(box, { zoomControl: false, attributionControl: false });
  L.control.zoom({ zoomInTitle: texts.zoomIn, zoomOutTitle: texts.zoomOut }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var sites = {};
  window.geoapp = Object.assign(window.geoapp || {}, { investMap: map, investSites: sites });

  function popup(props) {
    var root = document.createElement("div");
    root.className = "geoapp-popup";
    var title = document.createElement("h3");
    if (props.url) {
      var link = document.createElement("a");
      link.href = props.url;
      link.textContent = props.title;
      title.appendChild(link);
    } else {
      title.textContent = props.title;
    }
    root.appendChild(title);
    var table = document.createElement("table");
    (props.rows || []).forEach(function (row) {
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = row[0];
      tr.appendChild(th);
      tr.insertCell().textContent = row[1];
    });
    root.appendChild(table);
    if (props.url) {
      var more = document.createElement("a");
      more.href = props.url;
      more.className = "popup-more";
      more.textContent = texts.details;
      root.appendChild(more);
    }
    return root;
  }

  function layer(features, style, withPopups) {
    return L.geoJSON({ type: "FeatureCollection", features: features || [] }, {
      style: style,
      interactive: withPopups,
      onEachFeature: function (feature, item) {
        if (!withPopups) return;
        item.bindPopup(function () { return popup(feature.properties); }, { maxWidth: 320 });
        if (feature.properties.key) sites[feature.properties.key] = item;
        if (feature.properties.number) {  /* the comparison: the site's column */
          item.bindTooltip(String(feature.properties.number), { permanent: true,
            direction: "center", className: "invest-number", interactive: false });
        }
      },
    }).addTo(map);
  }

  var outlines = layer(data.outlines, function () {
    return { color: "#5f6b7a", weight: 1.5, dashArray: "6 4", fill: false };
  }, false);
  var parks = layer(data.parks, function () {
    return { color: "#6a1b9a", weight: 2, fillColor: "#ce93d8", fillOpacity: data.sites ? 0.08 : 0.25 };
  }, !data.sites);
  var free = layer(data.sites, function (feature) {
    return { color: "#ffffff", weight: 1, fillColor: feature.properties.color, fillOpacity: 0.8 };
  }, true);

  var fit = data.fit === "sites" ? free.getBounds() : parks.getBounds();
  if (!fit.isValid()) fit = free.getBounds();
  if (!fit.isValid()) fit = outlines.getBounds();
  if (fit.isValid()) map.fitBounds(fit.pad(data.fit === "sites" ? 1.5 : 0.1), { maxZoom: 16 });
  else map.setView([35, 105], 4);
  /* Seen from afar a park is a speck: a marker (named on hover) shows where it is. Added
   * once the map has its view: a marker cannot place itself on a map without one. */
  /* County names, once the counties are apart (from zoom 7; below they would overlap). */
  var names = L.layerGroup((data.outlines || []).map(function (feature) {
    return L.tooltip({ permanent: true, direction: "bottom", offset: [0, 10],
      className: "invest-label", interactive: false })
      .setLatLng(feature.properties.point).setContent(feature.properties.title);
  }));
  function showNames() {
    if (map.getZoom() >= 7) names.addTo(map); else names.remove();
  }
  map.on("zoomend", showNames);
  showNames();
  if (!data.sites) {
    (data.parks || []).forEach(function (feature) {
      L.circleMarker(feature.properties.point, {
        radius: 7, color: "#ffffff", weight: 2, fillColor: "#6a1b9a", fillOpacity: 0.9,
      }).bindTooltip(feature.properties.title).bindPopup(function () {
        return popup(feature.properties);
      }, { maxWidth: 320 }).addTo(map);
    });
  }
  box.dataset.ready = "1";

  document.querySelectorAll("button.show-on-map").forEach(function (button) {
    button.addEventListener("click", function () {
      var item = sites[button.dataset.site];
      if (!item) return;
      map.fitBounds(item.getBounds().pad(2), { maxZoom: 17 });
      item.openPopup();
      box.scrollIntoView({ block: "nearest" });
    });
  });
})();
