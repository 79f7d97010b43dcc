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

  /* 编辑 / 历史 under a popup, for the pages the user may open (the server lists them). */
  function recordLinks(spec, id) {
    var links = element("p", undefined, "geoapp-popup-links");
    ["edit", "history"].forEach(function (kind) {
      if (!spec.urls[kind] || id === undefined || id === null) return;
      var link = element("a", spec.texts[kind]);
      link.href = spec.urls[kind].replace("{id}", encodeURIComponent(id));
      links.appendChild(link);
    });
    return links;
  }

  function popupContent(spec, props, id) {
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
    box.appendChild(recordLinks(spec, id));
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
      .then(function (feature) {
        popup.setContent(popupContent(spec, feature.properties, feature.id));
      })
      .catch(function () { popup.setContent(element("p", spec.texts.failed)); });
  }

  function bindFeature(spec, featureLayer, props) {
    if (spec.mode === "inline") {
      featureLayer.bindPopup(function () {
        return popupContent(spec, props, featureLayer.feature && featureLayer.feature.id);
      });
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

  /* cluster-worker.js sits beside this file (document.currentScript: only while it first runs). */
  var WORKER_URL = new URL("cluster-worker.js", document.currentScript.src).href;

  /* A clustered layer's index, kept in a Web Worker (cluster-worker.js): decoding and
   * clustering 100,000 points there never holds the page's thread. Returns ask(message),
   * whose promise resolves with the worker's answer to that message. */
  function clusterWorker() {
    var worker = new Worker(WORKER_URL);
    var asked = 0;
    var waiting = {};  // question number → [resolve, reject]
    worker.onmessage = function (event) {
      var settle = waiting[event.data.question];
      delete waiting[event.data.question];
      if (event.data.error) settle[1](new Error(event.data.error));
      else settle[0](event.data);
    };
    return function ask(message) {
      message.question = ++asked;
      return new Promise(function (resolve, reject) {
        waiting[message.question] = [resolve, reject];
        worker.postMessage(message);
      });
    };
  }

  /* A bubble ringed by the most urgent outline colour inside it (the worker's rank); a click
   * zooms to where it breaks apart. */
  function clusterMarker(spec, ask, map, cluster) {
    var count = cluster.properties.point_count;
    var size = count < 10 ? 28 : count < 100 ? 34 : count < 1000 ? 40 : 44;
    var channel = spec.style.stroke;
    var ring = channel ? Object.values(channel.colors)[cluster.properties.rank] : null;
    var label = element("span", Number(count).toLocaleString());
    label.style.borderColor = ring || "#1565c0";
    var icon = L.divIcon({
      className: "geoapp-cluster geoapp-cluster-" + spec.id, html: label, iconSize: [size, size],
    });
    var coords = cluster.geometry.coordinates;
    var marker = L.marker([coords[1], coords[0]], {
      icon: icon, keyboard: true, title: spec.title + " × " + count,
    });
    var known = cluster.properties.expansion_zoom;  // the server's clusters say it themselves
    marker.on("click", function () {
      (known ? Promise.resolve({ zoom: known }) : ask({ expand: cluster.id }))
        .then(function (reply) { map.setView([coords[1], coords[0]], reply.zoom); });
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

  /* The map's view (padded by ``pad`` of its size) as a lon/lat box Supercluster accepts. */
  function viewBox(map, pad) {
    var b = map.getBounds().pad(pad);
    return [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
      Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
  }

  /* Below the layer's overview zoom: one labelled count per county, the largest first; a
   * county whose label would touch one already placed joins it ("绥中县 +2": the sum of
   * both), so labels never cover each other and the counts still add up. */
  function countyGroups(map, areas) {
    var groups = [];
    areas.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (area) {
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
    return groups;
  }

  /* How many features the items whose centre lies in the map's view stand for. */
  function countInView(map, items) {
    var bounds = map.getBounds();
    return items.reduce(function (sum, item) {
      var c = item.geometry.coordinates;
      if (!bounds.contains([c[1], c[0]])) return sum;
      return sum + (item.properties.cluster ? item.properties.point_count : 1);
    }, 0);
  }

  /* Points clustered in a worker (Supercluster); only what is in view is drawn. A move asks
   * the worker for the new view, and only the answer to the latest question is drawn (an
   * earlier one arriving late would be stale). A redraw changes only the markers that come
   * or go, so the marker whose popup is open stays put (and keeps its popup) while Leaflet
   * pans to fit it, and even when it would now be part of a cluster: it leaves when its
   * popup closes. The features come through setFeatures; until their index is built, views
   * are drawn from ``group.early(zoom, box)`` when the layer has it (the server's clusters).
   * ``counts``: counts per county the page came with (else fetched when first needed). */
  function clusterLayer(map, spec, counts) {
    var ask = clusterWorker();
    var group = L.featureGroup();
    // "p<id>" a point (its feature id, the same in every load), "c<load>:<id>" a cluster
    // (ids are the index's own; load 0: the server's), "a<code>" a county's count → marker
    var shown = {};
    var loads = 0;
    // Counts per county; for the filter, as the points are, so a new set of points leaves
    // them as they are.
    var areas = counts ? counts.areas : null;
    var areasAsked = Boolean(counts);
    var views = 0;  // the latest view asked of the worker
    var drawnView = 0;  // the latest view drawn
    var whenDrawn = [];  // called once the latest view is drawn
    function clusterMarkers(items) {
      var next = {};
      items.forEach(function (item) {
        var cluster = item.properties.cluster;
        var key = cluster ? "c" + loads + ":" + item.id : "p" + item.id;
        next[key] = shown[key] ||
          (cluster ? clusterMarker(spec, ask, map, item) : pointMarker(spec, item));
      });
      return next;
    }
    function fetchAreas() {
      areasAsked = true;
      fetch(spec.urls.counts)
        .then(function (response) { return response.ok ? response.json() : { areas: [] }; })
        .then(function (body) { areas = body.areas; draw(); });
    }
    function overviewMarkers() {
      var next = {};
      if (!areas) {
        if (!areasAsked) fetchAreas();
        return next;
      }
      countyGroups(map, areas).forEach(function (g) {
        var key = "a" + g.members.map(function (m) { return m.code; }).join("+") + ":" + g.count;
        next[key] = shown[key] || overviewMarker(map, spec, g);
      });
      return next;
    }
    function replace(next) {
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
    function drawn(view) {
      drawnView = view;
      whenDrawn.splice(0).forEach(function (callback) { callback(); });
    }
    /* Before the index is built: the server's clusters of the view (a view it cannot give
     * stays as it was until the next move). */
    function drawEarly(view) {
      group.early(Math.round(map.getZoom()), viewBox(map, 0.25)).then(function (items) {
        if (view !== views || loads) return;  // moved on, or the index has taken over
        replace(clusterMarkers(items));
        map.fire("geoapp:inview", { id: spec.id, count: countInView(map, items) });
        drawn(view);
      }, function () {});
    }
    /* Asks the worker for the view's clusters and how many features it holds (for the
     * panel). Counts per county need no worker and are drawn at once; until they have
     * arrived, the view does not count as drawn. */
    function draw() {
      var view = ++views;
      var counts = spec.overviewBelow && map.getZoom() < spec.overviewBelow;
      if (counts) replace(overviewMarkers());
      else if (!loads && group.early) return drawEarly(view);
      ask({ box: counts ? null : viewBox(map, 0.25), view: viewBox(map, 0),
        zoom: Math.round(map.getZoom()) }).then(function (reply) {
        if (view !== views) return;
        map.fire("geoapp:inview", { id: spec.id, count: reply.inView });
        if (!counts) replace(clusterMarkers(reply.items));
        if (!counts || areas) drawn(view);
      });
    }
    group.on("add", function () { map.on("moveend", draw); draw(); });
    group.on("remove", function () {
      map.off("moveend", draw);
      group.clearLayers();
      shown = {};
      drawn(++views);  // an answer still on its way is not drawn
    });
    group.on("popupclose", function () { window.setTimeout(draw, 0); });
    /* Inline GeoJSON features, or the absolute URL of points.bin (fetched by the worker);
     * resolves once the new index is built and its view asked for. */
    group.setFeatures = function (source) {
      return ask({ load: source, fill: spec.style.fill, stroke: spec.style.stroke })
        .then(function () {
          loads++;
          if (map.hasLayer(group)) draw();
        });
    };
    /* ``callback`` once the clusters of the current view are on the map (at once if they are). */
    group.whenDrawn = function (callback) {
      if (drawnView === views) callback();
      else whenDrawn.push(callback);
    };
    return group;
  }

  /* Many points: 14 bytes each, fetched by the worker itself, so neither their download nor
   * their decoding waits for the page's thread, busy drawing tiles meanwhile. Building the
   * index of every point takes the worker about half a second; until then views are drawn
   * from the server's clusters: those of the URL's view come in the page (``first``, from
   * geoapp/points/first_view.py), any other view's are fetched. 'geoapp:loaded' once the
   * index's view is drawn. */
  function pointsLayer(map, spec, first) {
    var group = clusterLayer(map, spec, first && first.counts);
    var url = new URL(spec.urls.points, window.location.href);
    var embedded = first && first.clusters;
    if (!url.searchParams.has("bbox")) {  // a filter's own bbox: the index draws it
      group.early = function (zoom, box) {
        var inPage = embedded && embedded.zoom === zoom ? embedded.items : null;
        embedded = null;  // the page's clusters are of its first view only
        if (inPage) return Promise.resolve(inPage);
        var asked = new URL(spec.urls.clusters, window.location.href);
        asked.searchParams.set("zoom", zoom);
        asked.searchParams.set("bbox", box.map(function (v) { return v.toFixed(5); }).join(","));
        return fetch(asked).then(function (response) {
          if (!response.ok) throw new Error("clusters: HTTP " + response.status);
          return response.json();
        }).then(function (body) { return body.items; });
      };
    }
    group.setFeatures(url.href).then(function () {
      group.whenDrawn(function () {
        group.loaded = true;
        map.fire("geoapp:loaded", { id: spec.id });
      });
    }, function () {});  // points.bin did not come: views stay drawn from the server's clusters
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

  /* Zoom to a feature and open its popup (a row of the results list, or ?sel= in the URL);
   * a clustered layer draws the new view when its worker answers, so that is awaited. */
  function focus(map, layerId, id, lat, lon) {
    var spec = specs[layerId];
    var lyr = registry[layerId];
    function open() {
      var drawn = findDrawn(layerId, id);
      if (drawn) drawn.openPopup();
      else if (spec) openFetched(map, spec, id, L.latLng(lat, lon));
    }
    map.once("moveend", function () {
      if (lyr && lyr.whenDrawn) lyr.whenDrawn(open);
      else open();
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
        var popup = L.popup().setLatLng(latlng).setContent(
          popupContent(spec, feature.properties, feature.id));
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
      lyr = pointsLayer(map, spec, data);
    } else if (spec.cluster) {
      lyr = clusterLayer(map, spec);
      lyr.setFeatures(data.features);
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
