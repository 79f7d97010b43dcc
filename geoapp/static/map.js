/* geoapp map layers: styles, popups and minimum zoom from a layer's declaration.
 *
 * Every value from the data reaches the page through textContent, never innerHTML, so a
 * project called "<img src=x onerror=alert(1)>" is shown as those characters.
 */
window.geoapp = (function () {
  "use strict";

  var registry = {};
  var specs = {};
  var tiledSpecs = [];  // layers drawn from tiles, topmost first

  /* Each layer draws in its own pane, stacked by its declared order, so a parcel drawn on
   * a tile stays above (and clickable over) the park around it. */
  function paneFor(map, spec) {
    var name = "geoapp-" + spec.id;
    if (!map.getPane(name)) {
      map.createPane(name).style.zIndex = String(400 + (spec.order || 0));
    }
    return name;
  }

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
        hiddenByZoom = layer.hiddenByZoom = true;
        map.removeLayer(layer);
      } else if (!tooFar && hiddenByZoom) {
        hiddenByZoom = layer.hiddenByZoom = false;
        map.addLayer(layer);
      }
    }
    layer.on("add", function () { update(map.getZoom()); });
    map.on("zoomanim", function (event) { if (event.zoom < spec.minZoom) update(event.zoom); });
    map.on("zoomend", function () { update(map.getZoom()); });
  }

  /* Popups of features whose properties are not in the page are fetched on click. */
  function fetchPopup(spec, id, popup) {
    popup.setContent(element("p", spec.texts.loading));
    fetch(spec.urls.feature.replace("{id}", id))
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (feature) { popup.setContent(popupContent(spec, feature.properties)); })
      .catch(function () { popup.setContent(element("p", spec.texts.failed)); });
  }

  function bindFeature(spec, featureLayer, props) {
    if (spec.mode === "inline") {
      featureLayer.bindPopup(function () { return popupContent(spec, props); });
    } else {
      featureLayer.bindPopup(element("p", spec.texts.loading));
      featureLayer.on("popupopen", function (event) {
        fetchPopup(spec, featureLayer.feature.id, event.popup);
      });
    }
    if (spec.labelField && props[spec.labelField] !== null && props[spec.labelField] !== undefined) {
      featureLayer.bindTooltip(function () {
        return element("span", String(props[spec.labelField]));
      }, { sticky: true });
    }
  }

  /* An inline polygon: a click first looks for a tiled feature drawn above it (a parcel
   * inside a park), then opens the polygon's own popup. */
  function bindArea(map, spec, featureLayer, feature) {
    bindFeature(spec, featureLayer, feature.properties);
    featureLayer.off("click", featureLayer._openPopup, featureLayer);
    featureLayer.on("click", function (event) {
      L.DomEvent.stop(event);
      featureAt(map, event.latlng, spec.order || 0, function () {
        featureLayer.openPopup(event.latlng);
      });
    });
  }

  function pointMarker(spec, feature) {
    var props = feature.properties;
    var coords = feature.geometry.coordinates;
    var options = pathStyle(spec, props);
    options.pane = spec.pane;
    options.radius = spec.style.radius;
    options.fill = true;
    options.fillOpacity = Math.max(spec.style.fillOpacity, 0.85);
    var marker = L.circleMarker([coords[1], coords[0]], options);
    marker.feature = feature;
    marker.geoappLayer = spec.id;
    bindFeature(spec, marker, props);
    return marker;
  }

  /* The most urgent outline value among a cluster's points (the first declared, e.g. red). */
  function strokeRank(spec, props) {
    var channel = spec.style.stroke;
    if (!channel) return 99;
    var rank = Object.keys(channel.colors).indexOf(props[channel.field]);
    return rank < 0 ? 99 : rank;
  }

  function clusterMarker(spec, index, map, cluster) {
    var count = cluster.properties.point_count;
    var size = count < 10 ? 28 : count < 100 ? 34 : count < 1000 ? 40 : 44;
    var channel = spec.style.stroke;
    var ring = channel ? Object.values(channel.colors)[cluster.properties.rank] : null;
    var icon = L.divIcon({
      className: "geoapp-cluster geoapp-cluster-" + spec.id,
      html: '<span style="border-color:' + (ring || "#1565c0") + '">' +
        Number(count).toLocaleString() + "</span>",
      iconSize: [size, size],
    });
    var coords = cluster.geometry.coordinates;
    var marker = L.marker([coords[1], coords[0]], {
      icon: icon, keyboard: true, title: spec.title + " × " + count,
    });
    marker.on("click", function () {
      map.setView([coords[1], coords[0]], index.getClusterExpansionZoom(cluster.id));
    });
    return marker;
  }

  function overviewMarker(map, spec, group) {
    var first = group.members[0];
    var name = first.name + (group.members.length > 1 ? " +" + (group.members.length - 1) : "");
    var html = element("span", undefined, "geoapp-overview-box");
    html.appendChild(element("strong", Number(group.count).toLocaleString()));
    html.appendChild(element("span", name));
    var marker = L.marker([first.lat, first.lon], {
      icon: L.divIcon({ className: "geoapp-overview geoapp-overview-" + spec.id, html: html,
        iconSize: [84, 44] }),
      keyboard: true, title: name + " · " + spec.title + " " + group.count, pane: spec.pane,
    });
    marker.on("click", function () {
      var bounds = L.latLngBounds(group.members.map(function (m) { return [m.lat, m.lon]; }));
      map.setView(bounds.getCenter(), Math.max(map.getBoundsZoom(bounds.pad(0.5)),
        spec.overviewBelow));
    });
    return marker;
  }

  function clusterIndex(spec, features) {
    // extent 256: the radius is in screen pixels, wider than the largest bubble (44 px), so
    // bubbles do not cover each other (nor much of the land under them).
    return new Supercluster({
      radius: 48, extent: 256, maxZoom: 15,
      map: function (props) { return { rank: strokeRank(spec, props) }; },
      reduce: function (acc, props) { acc.rank = Math.min(acc.rank, props.rank); },
    }).load(features);
  }

  /* Points clustered in the browser (Supercluster); only what is in view is drawn. A move
   * changes only the markers that come or go, so the marker whose popup is open stays put
   * (and keeps its popup) while Leaflet pans to fit it, and even when it would now be part
   * of a cluster: it leaves when its popup closes. */
  function clusterLayer(map, spec, features) {
    var index = clusterIndex(spec, features);
    var group = L.featureGroup();
    var shown = {};  // "p<id>" a point, "c<id>" a cluster, "a<code>" a county's count → marker
    var overview = null;  // counts per county, fetched when first needed
    function wanted() {
      if (spec.overviewBelow && map.getZoom() < spec.overviewBelow) return overviewMarkers();
      var b = map.getBounds().pad(0.25);
      var box = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
        Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
      var next = {};
      index.getClusters(box, Math.round(map.getZoom())).forEach(function (item) {
        var key = (item.properties.cluster ? "c" : "p") + item.id;
        next[key] = shown[key] || (item.properties.cluster
          ? clusterMarker(spec, index, map, item) : pointMarker(spec, item));
      });
      return next;
    }
    /* Below the layer's overview zoom: one labelled count per county, the largest first; a
     * county whose label would touch one already placed joins it ("绥中县 +2": the sum of
     * both), so labels never cover each other and the counts still add up. */
    function overviewMarkers() {
      if (!overview) {
        overview = [];
        fetch(spec.urls.counts)
          .then(function (response) { return response.ok ? response.json() : { areas: [] }; })
          .then(function (body) { overview = body.areas; draw(); });
        return {};
      }
      var groups = [];
      overview.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (area) {
        var p = map.latLngToContainerPoint([area.lat, area.lon]);
        var box = { x0: p.x - 44, x1: p.x + 44, y0: p.y - 26, y1: p.y + 26 };
        var near = groups.find(function (g) {
          return !(box.x1 < g.box.x0 || box.x0 > g.box.x1 || box.y1 < g.box.y0 || box.y0 > g.box.y1);
        });
        if (near) {
          near.count += area.count;
          near.members.push(area);
        } else {
          groups.push({ box: box, count: area.count, members: [area] });
        }
      });
      var next = {};
      groups.forEach(function (g) {
        var key = "a" + g.members.map(function (m) { return m.code; }).join("+") + ":" + g.count;
        next[key] = shown[key] || overviewMarker(map, spec, g);
      });
      return next;
    }
    /* How many of the layer's features are in the view, counted as drawn (a bubble by its
     * centre); the panel shows it beside the filter's total. */
    function countInView() {
      var b = map.getBounds();
      var box = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
        Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
      var inView = 0;
      index.getClusters(box, Math.round(map.getZoom())).forEach(function (item) {
        inView += item.properties.cluster ? item.properties.point_count : 1;
      });
      map.fire("geoapp:inview", { id: spec.id, count: inView });
    }
    function draw() {
      countInView();
      var next = wanted();
      Object.keys(shown).forEach(function (key) {
        if (next[key]) return;
        if (shown[key].isPopupOpen && shown[key].isPopupOpen()) next[key] = shown[key];
        else group.removeLayer(shown[key]);
      });
      Object.keys(next).forEach(function (key) {
        if (!group.hasLayer(next[key])) group.addLayer(next[key]);
      });
      shown = next;
    }
    group.on("add", function () { map.on("moveend", draw); draw(); });
    group.on("remove", function () { map.off("moveend", draw); group.clearLayers(); shown = {}; });
    group.on("popupclose", function () { window.setTimeout(draw, 0); });
    group.setFeatures = function (more) {
      index = clusterIndex(spec, more);
      overview = null;
      Object.keys(shown).forEach(function (key) {
        if (!(shown[key].isPopupOpen && shown[key].isPopupOpen())) {
          group.removeLayer(shown[key]);
          delete shown[key];
        }
      });
      if (map.hasLayer(group)) draw();
    };
    return group;
  }

  /* The compact list of /api/layers/<id>/points.bin as GeoJSON-like features. */
  function decodePoints(spec, buffer) {
    var n = new DataView(buffer).getUint32(0, true);
    var lon = new Float32Array(buffer, 4, n);
    var lat = new Float32Array(buffer, 4 + 4 * n, n);
    var ids = new Int32Array(buffer, 4 + 8 * n, n);
    var channels = [spec.style.fill, spec.style.stroke].map(function (channel, k) {
      return { channel: channel, codes: new Uint8Array(buffer, 4 + (12 + k) * n, n),
        keys: channel ? Object.keys(channel.colors) : [] };
    });
    var features = new Array(n);
    for (var i = 0; i < n; i++) {
      var props = {};
      channels.forEach(function (c) {
        if (c.channel && c.codes[i] !== 255) props[c.channel.field] = c.keys[c.codes[i]];
      });
      features[i] = { type: "Feature", id: ids[i], properties: props,
        geometry: { type: "Point", coordinates: [lon[i], lat[i]] } };
    }
    return features;
  }

  /* Many points: fetched as 14 bytes each at once, then clustered. Decoding and clustering
   * 100,000 points holds the browser for about a second, so that waits until the tiled layers
   * on the map have drawn their tiles (at most POINTS_WAIT ms): the parcels appear first. */
  var POINTS_WAIT = 800;

  function pointsLayer(map, spec) {
    var group = clusterLayer(map, spec, []);
    var buffer = null;
    var tilesDrawn = false;
    function show() {
      if (!buffer || !tilesDrawn || group.loaded) return;
      group.setFeatures(decodePoints(spec, buffer));
      group.loaded = true;
      map.fire("geoapp:loaded", { id: spec.id });
    }
    function ready() { tilesDrawn = true; show(); }
    var waiting = tiledSpecs.filter(function (tiled) {
      return map.hasLayer(registry[tiled.id]);
    });
    waiting.forEach(function (tiled) {
      registry[tiled.id].once("load", function () {
        waiting = waiting.filter(function (other) { return other !== tiled; });
        if (!waiting.length) ready();
      });
    });
    if (!waiting.length) ready();
    else window.setTimeout(ready, POINTS_WAIT);
    fetch(spec.urls.points)
      .then(function (response) {
        if (!response.ok) throw new Error("points " + response.status);
        return response.arrayBuffer();
      })
      .then(function (body) { buffer = body; show(); });
    return group;
  }

  /* A popup at a place for a feature known only by id (tiles, or not drawn yet). Its
   * reference is set before it opens: page.js reads it on 'popupopen' (sel=, the row). */
  function openFetched(map, spec, id, latlng) {
    var popup = L.popup().setLatLng(latlng);
    popup.geoappRef = { layer: spec.id, id: id };
    popup.openOn(map);
    fetchPopup(spec, id, popup);
  }

  /* The drawn layer of a feature, if it is on the map now. */
  function findDrawn(layerId, id) {
    var found = null;
    var lyr = registry[layerId];
    if (lyr && lyr.eachLayer) {
      lyr.eachLayer(function (item) {
        if (item.feature && String(item.feature.id) === String(id)) found = item;
      });
    }
    return found;
  }

  /* Zoom to a feature and open its popup (a row of the results list, or ?sel= in the URL). */
  function focus(map, layerId, id, lat, lon) {
    var spec = specs[layerId];
    map.once("moveend", function () {
      var drawn = findDrawn(layerId, id);
      if (drawn) drawn.openPopup();
      else if (spec) openFetched(map, spec, id, L.latLng(lat, lon));
    });
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
  }

  /* Large polygon layers: Mapbox vector tiles drawn on canvas by Leaflet.VectorGrid.
   * Only the topmost canvas would receive clicks, so tiles are not interactive: a click on the
   * map asks the server which feature of each tiled layer lies there, topmost layer first. */
  function tileLayer(map, spec) {
    var styles = {};
    styles[spec.id] = function (props) {
      var style = pathStyle(spec, props);
      style.fill = spec.style.fillOpacity > 0;
      return style;
    };
    var lyr = L.vectorGrid.protobuf(spec.urls.tiles, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles,
      interactive: false,
      maxNativeZoom: 22,
      maxZoom: 22,
      minZoom: spec.minZoom > 0 ? spec.minZoom : 0,  // no tile requested where it is not shown
      pane: spec.pane,
    });
    // A layer's minZoom would otherwise become the whole map's (Leaflet's zoom limits).
    if (map.options.minZoom === undefined) map.options.minZoom = 0;
    tiledSpecs.push(spec);
    tiledSpecs.sort(function (a, b) { return (b.order || 0) - (a.order || 0); });
    if (!map.geoappTileClicks) {
      map.geoappTileClicks = true;
      map.on("click", function (event) { featureAt(map, event.latlng, -Infinity, null); });
    }
    return lyr;
  }

  /* The first feature under a click among the visible tiled layers drawn above ``minOrder``
   * (3 pixels of tolerance); ``fallback`` runs when there is none. */
  function featureAt(map, latlng, minOrder, fallback) {
    var above = tiledSpecs.filter(function (spec) {
      return (spec.order || 0) > minOrder && map.hasLayer(registry[spec.id]);
    });
    tryLayers(map, latlng, above, 0, fallback);
  }

  function tryLayers(map, latlng, candidates, index, fallback) {
    var spec = candidates[index];
    if (!spec) { if (fallback) fallback(); return; }
    var p = map.latLngToContainerPoint(latlng);
    var sw = map.containerPointToLatLng([p.x - 3, p.y + 3]);
    var ne = map.containerPointToLatLng([p.x + 3, p.y - 3]);
    var bbox = [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) { return v.toFixed(7); });
    var url = spec.urls.features + (spec.urls.features.indexOf("?") < 0 ? "?" : "&") +
      "limit=1&bbox=" + bbox.join(",");
    fetch(url)
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || !body.features.length) {
          tryLayers(map, latlng, candidates, index + 1, fallback);
          return;
        }
        var feature = body.features[0];
        var popup = L.popup().setLatLng(latlng).setContent(popupContent(spec, feature.properties));
        popup.geoappRef = { layer: spec.id, id: feature.id };
        popup.openOn(map);
      });
  }

  /* Names written on the map from the layer's labels_from zoom, on the layer's own areas;
   * placed largest area first, a name that would touch one already placed is left out, so
   * labels never pile up. Recomputed after every move. */
  function labelPane(map) {
    if (!map.getPane("geoapp-labels")) map.createPane("geoapp-labels").style.zIndex = "620";
    return "geoapp-labels";
  }

  function withLabels(map, spec, lyr) {
    if (spec.labelsFrom === null || spec.labelsFrom === undefined || !lyr.eachLayer) return;
    var labels = L.layerGroup();
    var items = [];
    lyr.eachLayer(function (item) {
      var name = item.feature && item.feature.properties[spec.labelField];
      if (name === null || name === undefined || !item.getBounds) return;
      var b = item.getBounds();
      var rings = item.getLatLngs();
      while (rings.length && !L.LineUtil.isFlat(rings)) rings = rings[0];
      var centre = L.PolyUtil.polygonCenter(rings, L.CRS.EPSG3857);  // largest ring's centroid
      var marker = L.marker(centre, {
        icon: L.divIcon({ className: "geoapp-label geoapp-label-" + spec.id,
          html: element("span", String(name)), iconSize: null }),
        interactive: false, keyboard: false, pane: labelPane(map),
      });
      items.push({ marker: marker, size: (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth()) });
    });
    items.sort(function (a, b) { return b.size - a.size; });
    function place() {
      var show = map.hasLayer(lyr) && map.getZoom() >= spec.labelsFrom;
      var taken = [];
      var view = map.getContainer().getBoundingClientRect();
      items.forEach(function (item) {
        if (!show) { labels.removeLayer(item.marker); return; }
        labels.addLayer(item.marker);
        var box = item.marker.getElement().firstChild.getBoundingClientRect();
        var inView = box.right > view.left && box.left < view.right
          && box.bottom > view.top && box.top < view.bottom;
        var free = inView && taken.every(function (t) {
          return box.right + 4 < t.left || box.left - 4 > t.right
            || box.bottom + 2 < t.top || box.top - 2 > t.bottom;
        });
        if (free) taken.push(box);
        else labels.removeLayer(item.marker);
      });
    }
    labels.addTo(map);
    map.on("moveend overlayadd overlayremove", place);
    lyr.on("add remove", function () { window.setTimeout(place, 0); });
    map.whenReady(place);
  }

  function layer(map, spec, data) {
    var lyr;
    spec.pane = paneFor(map, spec);
    if (spec.mode === "tiles") {
      lyr = tileLayer(map, spec);
    } else if (spec.mode === "points") {
      lyr = pointsLayer(map, spec);
    } else if (spec.cluster) {
      lyr = clusterLayer(map, spec, data.features);
    } else {
      lyr = L.geoJSON(data, {
        pane: spec.pane,
        style: function (feature) { return pathStyle(spec, feature.properties); },
        pointToLayer: function (feature) { return pointMarker(spec, feature); },
        onEachFeature: function (feature, featureLayer) {
          featureLayer.geoappLayer = spec.id;
          if (feature.geometry.type !== "Point") bindArea(map, spec, featureLayer, feature);
        },
      });
    }
    withMinZoom(map, spec, lyr);
    if (spec.mode === "inline" && !spec.cluster) withLabels(map, spec, lyr);
    registry[spec.id] = lyr;
    specs[spec.id] = spec;
    return lyr;
  }

  return { layer: layer, layers: registry, specs: specs, focus: focus, findDrawn: findDrawn };
})();
