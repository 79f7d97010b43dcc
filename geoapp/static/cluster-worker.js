/* geoapp's cluster index, kept off the page's thread (a Web Worker started by map.js).
 *
 * Fetching, decoding and clustering 100,000 points takes about a second; done here, the page
 * keeps drawing tiles and answering the user meanwhile (and a busy page does not hold up the
 * points), and receives only what one view needs. Every message carries a question number
 * that its answer repeats:
 *   {load: GeoJSON features | the absolute URL of points.bin, fill, stroke} → {count}
 *   {box, view, zoom} → {items: the clusters and points in box, inView: how many in view}
 *   {expand: cluster id} → {zoom: where the cluster breaks apart}
 * Questions asked while points.bin is on its way are answered from the index before it (none:
 * nothing; the page draws the server's clusters meanwhile). A question that fails is answered
 * {error}, so the page never waits for nothing.
 */
/* global Supercluster */
"use strict";

// Served from the same static folder as this file (make assets copies it from npm).
importScripts("vendor/supercluster/supercluster.min.js");

var index = null;  // none until the first load: every view is empty

/* The compact list of /api/layers/<id>/points.bin as GeoJSON-like features: n, then n
 * longitudes, n latitudes (float32), n ids (int32), n fill codes, n outline codes (uint8,
 * 255 = no value) indexing the keys of the layer's colour channels. */
function decodePoints(buffer, fill, stroke) {
  var n = new DataView(buffer).getUint32(0, true);
  var lon = new Float32Array(buffer, 4, n);
  var lat = new Float32Array(buffer, 4 + 4 * n, n);
  var ids = new Int32Array(buffer, 4 + 8 * n, n);
  var channels = [];
  [fill, stroke].forEach(function (channel, k) {
    if (channel) channels.push({ field: channel.field, keys: Object.keys(channel.colors),
      codes: new Uint8Array(buffer, 4 + (12 + k) * n, n) });
  });
  var features = new Array(n);
  for (var i = 0; i < n; i++) {
    var props = {};
    for (var c = 0; c < channels.length; c++) {
      var code = channels[c].codes[i];
      if (code !== 255) props[channels[c].field] = channels[c].keys[code];
    }
    features[i] = { type: "Feature", id: ids[i], properties: props,
      geometry: { type: "Point", coordinates: [lon[i], lat[i]] } };
  }
  return features;
}

/* A cluster carries the most urgent outline value inside it (the first declared, e.g. red),
 * as its rank among the outline channel's keys (99: none). */
function clusterIndex(features, stroke) {
  var ranks = stroke ? Object.keys(stroke.colors) : [];
  // extent 256: the radius is in screen pixels, wider than the largest bubble (44 px), so
  // bubbles do not cover each other (nor much of the land under them).
  return new Supercluster({
    radius: 48, extent: 256, maxZoom: 15,
    map: function (props) {
      var rank = stroke ? ranks.indexOf(props[stroke.field]) : -1;
      return { rank: rank < 0 ? 99 : rank };
    },
    reduce: function (acc, props) { acc.rank = Math.min(acc.rank, props.rank); },
  }).load(features);
}

function fetchPoints(url, fill, stroke) {
  return fetch(url)
    .then(function (response) {
      if (!response.ok) throw new Error("points.bin: HTTP " + response.status);
      return response.arrayBuffer();
    })
    .then(function (buffer) { return decodePoints(buffer, fill, stroke); });
}

function load(message) {
  var features = typeof message.load === "string"
    ? fetchPoints(message.load, message.fill, message.stroke) : message.load;
  return Promise.resolve(features).then(function (loaded) {
    index = clusterIndex(loaded, message.stroke);
    return { count: loaded.length };
  });
}

/* The clusters and points around a view, and how many features are in the view itself,
 * counted as drawn (a bubble by its centre). ``box`` is null when the page shows counts per
 * county instead. */
function view(message) {
  if (!index) return { items: [], inView: 0 };
  var inView = 0;
  index.getClusters(message.view, message.zoom).forEach(function (item) {
    inView += item.properties.cluster ? item.properties.point_count : 1;
  });
  return { items: message.box ? index.getClusters(message.box, message.zoom) : [],
    inView: inView };
}

function answer(message) {
  if ("load" in message) return load(message);
  if ("expand" in message) return { zoom: index.getClusterExpansionZoom(message.expand) };
  return view(message);
}

self.onmessage = function (event) {
  var question = event.data.question;
  Promise.resolve(event.data).then(answer).then(function (reply) {
    reply.question = question;
    self.postMessage(reply);
  }, function (error) {
    self.postMessage({ question: question, error: String(error) });
  });
};
