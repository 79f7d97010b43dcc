/* 进度看板 in the browser: ECharts draws the rates by area, by category and month by month;
 * a small Leaflet map shows the filter's projects coloured by their warning on the reporting
 * date; the month slider replays the year.
 *
 * Moving the slider (arrow keys, Home, End, or the pointer) sets the reporting date to that
 * month's end: /api/dashboard answers the figures, the tables (written by the server's
 * templates, every name escaped there) and each project's colour of that date; the charts
 * and the map are redrawn, the address keeps as_of (history.replaceState). Names reach the
 * charts as SVG text (axis labels) or escaped by tooltip() (ECharts writes tooltips as HTML).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var texts = config.texts;
  var months = config.months;
  var slider = document.getElementById("month-slider");
  var label = document.getElementById("month-label");
  var play = document.getElementById("replay-play");
  var main = document.getElementById("main");
  var GREY = "#9e9e9e";
  var STEP_MS = 1500;  // one month of the replay
  var state = { snap: config.snap, index: config.monthIndex, year: null, loading: null, timer: null };
  var charts = {};
  var markers = {};

  function escapeHtml(text) { return echarts.format.encodeHTML(String(text)); }

  /* A share (0–1) as the percent the charts show, one decimal, like the server writes it. */
  function pct(share) {
    return share === null || share === undefined ? null : Math.round(share * 1000) / 10;
  }

  function tooltip(items) {
    var lines = [escapeHtml(items[0].name)];
    items.forEach(function (item) {
      var value = item.value === null || item.value === undefined ? "—" : item.value + "%";
      lines.push(item.marker + escapeHtml(item.seriesName) + "：" + value);
    });
    return lines.join("<br>");
  }

  function chart(id) {
    var element = document.getElementById(id);
    var made = echarts.init(element, null, {
      renderer: "svg", locale: config.locale === "en" ? "EN" : "ZH",
    });
    charts[id] = made;
    return made;
  }

  function percentAxis(extra) {
    return Object.assign({
      type: "value", min: 0, axisLabel: { formatter: "{value}%" },
      max: function (value) { return Math.max(100, Math.ceil(value.max / 10) * 10); },
    }, extra || {});
  }

  /* Places as horizontal bars, the best at the top (the order of the 红黑榜), with time
   * progress as a dashed line to read the investment against. */
  function barOption(ranked, timeProgress) {
    var places = ranked.places.slice().reverse();
    var time = pct(timeProgress);
    return {
      animationDuration: 300,
      animationDurationUpdate: 300,
      grid: { left: 8, right: 28, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip },
      xAxis: percentAxis(),
      yAxis: {
        type: "category", data: places.map(function (p) { return p.name; }),
        axisLabel: { width: 96, overflow: "truncate" },
      },
      series: [
        { name: texts.startResume, type: "bar", itemStyle: { color: "#1565c0" },
          data: places.map(function (p) { return pct(p.rates.start_resume_rate); }) },
        { name: texts.investment, type: "bar", itemStyle: { color: "#00897b" },
          data: places.map(function (p) { return pct(p.rates.investment_rate); }) },
        { name: texts.timeProgress, type: "line", symbol: "none", silent: true,
          data: places.map(function () { return time; }),
          itemStyle: { color: "#e65100" }, lineStyle: { type: "dashed", color: "#e65100" },
          markLine: {  // the same line where a single place leaves the series no length
            symbol: "none", silent: true, label: { show: false },
            lineStyle: { type: "dashed", color: "#e65100" }, data: [{ xAxis: time }],
          } },
      ],
    };
  }

  function drawBars(id, ranked, timeProgress) {
    var element = document.getElementById(id);
    element.style.height = Math.max(200, 70 + ranked.places.length * 34) + "px";
    charts[id].resize();
    charts[id].setOption(barOption(ranked, timeProgress), { notMerge: true });
  }

  function line(name, values, colour, dashed) {
    return { name: name, type: "line", data: values, symbolSize: 6, itemStyle: { color: colour },
      lineStyle: { color: colour, type: dashed ? "dashed" : "solid" } };
  }

  /* The year month by month, the reporting date's month marked. */
  function monthsOption(replayed) {
    var rates = function (key) {
      return replayed.map(function (m) { return pct(m.rates[key]); });
    };
    var series = [
      line(texts.start, rates("start_rate"), "#6a1b9a"),
      line(texts.startResume, rates("start_resume_rate"), "#1565c0"),
      line(texts.investment, rates("investment_rate"), "#00897b"),
      line(texts.timeProgress, rates("time_progress"), "#e65100", true),
    ];
    series[0].markLine = {
      symbol: "none", silent: true, label: { show: false },
      lineStyle: { color: "#37474f", width: 2 }, data: [{ xAxis: months[state.index].label }],
    };
    return {
      animationDuration: 300,
      grid: { left: 8, right: 16, top: 64, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", formatter: tooltip },
      xAxis: { type: "category", data: months.map(function (m) { return m.label; }) },
      yAxis: percentAxis(),
      series: series,
    };
  }

  function monthsTable(replayed) {
    var table = document.createElement("table");
    table.className = "dash-table chart-table";
    var head = table.createTHead().insertRow();
    [texts.month, texts.start, texts.startResume, texts.investment, texts.timeProgress]
      .forEach(function (text, i) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = text;
        if (i) th.className = "num";
        head.appendChild(th);
      });
    var body = table.createTBody();
    replayed.forEach(function (m, i) {
      var row = body.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = months[i].label;
      row.appendChild(th);
      ["start_rate", "start_resume_rate", "investment_rate", "time_progress"].forEach(function (k) {
        var cell = row.insertCell();
        cell.className = "num";
        var value = pct(m.rates[k]);
        cell.textContent = value === null ? "—" : value.toFixed(1) + "%";
      });
    });
    var holder = document.getElementById("months-table");
    holder.replaceChildren(table);
  }

  function query(extra) {
    var params = new URLSearchParams(config.layerArgs);
    Object.keys(extra).forEach(function (name) {
      if (extra[name] !== null && extra[name] !== undefined) params.set(name, extra[name]);
    });
    return "?" + params.toString();
  }

  function loadMonths() {
    var last = months[months.length - 1].as_of;
    var url = config.urls.months + query({ year: last.slice(0, 4), as_of: last });
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        state.year = answer.months;
        charts["chart-months"].setOption(monthsOption(answer.months), { notMerge: true });
        monthsTable(answer.months);
      });
  }

  function colourOf(fid) {
    return config.colours[state.snap.colours[fid]] || GREY;
  }

  /* A project's popup: its name fetched by id, written as text, and the way to the map. */
  function popup(fid) {
    var box = document.createElement("div");
    box.className = "dash-popup";
    var name = document.createElement("strong");
    name.textContent = texts.loading;
    var link = document.createElement("a");
    link.textContent = texts.onMap;
    var params = new URLSearchParams(config.layerArgs);
    params.set("sel", "projects:" + fid);
    link.href = config.urls.map + "?" + params.toString();
    box.append(name, document.createElement("br"), link);
    fetch(config.urls.feature.replace("{id}", fid), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (feature) { name.textContent = feature.properties.name; })
      .catch(function () { name.textContent = "#" + fid; });
    return box;
  }

  /* points.bin: uint32 n, float32 lon[n], float32 lat[n], int32 id[n] (geoapp/views/api.py). */
  function drawPoints(map, buffer) {
    var n = new DataView(buffer).getUint32(0, true);
    var lon = new Float32Array(buffer, 4, n);
    var lat = new Float32Array(buffer, 4 + 4 * n, n);
    var ids = new Int32Array(buffer, 4 + 8 * n, n);
    var bounds = L.latLngBounds([]);
    for (var i = 0; i < n; i++) {
      var fid = String(ids[i]);
      var marker = L.circleMarker([lat[i], lon[i]], {
        radius: 6, weight: 1, color: "#37474f", fillColor: colourOf(fid), fillOpacity: 0.9,
      });
      marker.bindPopup(popup.bind(null, fid));
      marker.addTo(map);
      markers[fid] = marker;
      bounds.extend(marker.getLatLng());
    }
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1), { maxZoom: 13, animate: false });
    return bounds;
  }

  function drawOutlines(map, bounds) {
    if (!bounds.isValid()) return null;
    var box = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
    var url = config.urls.boundaries + "?bbox=" + box.map(function (v) { return v.toFixed(5); })
      .join(",") + "&limit=200";
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (outlines) {
        if (!outlines) return;
        L.geoJSON(outlines, {
          interactive: false, style: { color: "#78909c", weight: 1.5, fill: false, dashArray: "5 4" },
        }).addTo(map).bringToBack();
      });
  }

  function smallMap() {
    var map = L.map("warn-map", { preferCanvas: true, attributionControl: false, zoomSnap: 0.5 });
    map.setView([35, 105], 4);
    return fetch(config.urls.points + query({}))
      .then(function (response) { return response.arrayBuffer(); })
      .then(function (buffer) { return drawOutlines(map, drawPoints(map, buffer)); });
  }

  function recolour() {
    Object.keys(markers).forEach(function (fid) {
      markers[fid].setStyle({ fillColor: colourOf(fid) });
    });
  }

  function drawAll() {
    var snap = state.snap;
    drawBars("chart-areas", snap.areas, snap.rates.time_progress);
    drawBars("chart-categories", snap.categories, snap.rates.time_progress);
    if (state.year) charts["chart-months"].setOption(monthsOption(state.year), { notMerge: true });
    recolour();
  }

  /* The address, the date field and the links that carry the date follow the slider. */
  function keepDate(asOf) {
    var url = new URL(window.location.href);
    url.searchParams.set("as_of", asOf);
    window.history.replaceState(null, "", url.toString());
    document.getElementById("as-of").value = asOf;
    document.querySelectorAll("a[data-as-of-link]").forEach(function (link) {
      var target = new URL(link.href);
      target.searchParams.set("as_of", asOf);
      link.href = target.toString();
    });
  }

  /* Tables come written by the server's templates (templates/_dashboard.html), names
   * escaped there, so they are put in as they are. */
  function show(snap) {
    state.snap = snap;
    document.querySelectorAll("[data-part]").forEach(function (part) {
      part.innerHTML = snap.html[part.dataset.part];
    });
    document.querySelectorAll("[data-date]").forEach(function (e) { e.textContent = snap.date; });
    drawAll();
  }

  function load(index) {
    var month = months[index];
    if (state.loading) state.loading.abort();
    var controller = new AbortController();
    state.loading = controller;
    main.setAttribute("aria-busy", "true");
    var url = config.urls.data + query({ as_of: month.as_of, by: config.by });
    return fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.description);
          return answer;
        });
      })
      .then(function (snap) {
        if (state.loading !== controller) return;
        state.loading = null;
        main.removeAttribute("aria-busy");
        show(snap);
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        state.loading = null;
        main.removeAttribute("aria-busy");
        label.textContent = texts.failed + " " + error.message;
      });
  }

  var pending = null;
  function moveTo(index) {
    state.index = index;
    slider.value = String(index);
    label.textContent = months[index].date;
    slider.setAttribute("aria-valuetext", months[index].date);
    keepDate(months[index].as_of);
    if (state.year) charts["chart-months"].setOption(monthsOption(state.year), { notMerge: true });
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { load(index); }, 150);  // keys held down
  }

  function replay() {
    var playing = play.getAttribute("aria-pressed") === "true";
    function stop() {
      window.clearInterval(state.timer);
      play.setAttribute("aria-pressed", "false");
      play.textContent = texts.play;
    }
    if (playing) return stop();
    if (state.index >= months.length - 1) moveTo(0);
    play.setAttribute("aria-pressed", "true");
    play.textContent = texts.pause;
    state.timer = window.setInterval(function () {
      if (state.index >= months.length - 1) return stop();
      moveTo(state.index + 1);
    }, STEP_MS);
  }

  chart("chart-areas");
  chart("chart-categories");
  chart("chart-months");
  drawAll();
  var ready = Promise.all([loadMonths(), smallMap()]);
  slider.disabled = false;
  slider.addEventListener("input", function () { moveTo(Number(slider.value)); });
  play.hidden = false;
  play.addEventListener("click", replay);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });

  /* What the page shows, for tests and the curious: the date, and each project's colour. */
  window.geoappDashboard = {
    ready: ready,
    asOf: function () { return state.snap.as_of; },
    colours: function () {
      var found = {};
      Object.keys(markers).forEach(function (fid) { found[fid] = markers[fid].options.fillColor; });
      return found;
    },
  };
})();
