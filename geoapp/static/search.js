/* The header search as a combobox (WAI-ARIA 1.2 combobox with a listbox popup, list
 * autocomplete): while typing, counties, parks and features from /api/search are suggested,
 * grouped. Choosing a county or park opens the map filtered by it (the other filters kept);
 * choosing a feature zooms to it and opens its popup (geoapp.focus) and puts it in sel=.
 * Enter without a suggestion chosen submits the filter form with q=, as before.
 *
 * Settings and texts come from this script's data- attributes; every suggestion is written
 * with textContent, so a name like "<img src=x onerror=alert(1)>" stays text.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var input = document.querySelector('.header-search input[name="q"]');
  if (!script || !input || !window.fetch || !window.URL) return;
  var texts = script.dataset;
  var DELAY = 200;  // ms after the last key before asking the server
  var LIMIT = 8;  // suggestions per group
  var ID = "header-search";

  var options = [];  // {el, item}, in the order shown
  var active = -1;  // index in options of the highlighted suggestion, -1: none
  var shownFor = null;  // the text the current suggestions answer
  var timer = null;
  var asked = 0;  // number of the latest request; older answers are dropped
  var controller = null;
  var cache = {};

  // The input, its listbox and a status line, in a box the listbox is placed under.
  var combo = document.createElement("div");
  combo.className = "search-combo";
  var label = input.closest("label") || input;
  label.parentNode.insertBefore(combo, label);
  combo.appendChild(label);

  var list = document.createElement("div");
  list.id = ID + "-list";
  list.className = "search-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", texts.label || "");
  list.hidden = true;
  combo.appendChild(list);

  var note = document.createElement("p");  // "no match", seen; the status says it aloud
  note.className = "search-note";
  note.setAttribute("aria-hidden", "true");
  note.textContent = texts.none || "";
  note.hidden = true;
  combo.appendChild(note);

  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  combo.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function render(body) {
    list.textContent = "";
    options = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    (body.groups || []).forEach(function (group, g) {
      var box = element("ul", undefined, "search-group");
      box.setAttribute("role", "group");
      var title = element("li", group.title, "search-group-title");
      title.setAttribute("role", "presentation");
      title.id = ID + "-group-" + g;
      box.setAttribute("aria-labelledby", title.id);
      box.appendChild(title);
      (group.items || []).forEach(function (item) {
        var option = element("li", undefined, "search-option");
        option.id = ID + "-option-" + options.length;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.appendChild(element("span", item.label, "search-label"));
        if (item.detail) {
          option.appendChild(document.createTextNode(" "));
          option.appendChild(element("span", item.detail, "search-detail"));
        }
        option.dataset.index = String(options.length);
        options.push({ el: option, item: item });
        box.appendChild(option);
      });
      list.appendChild(box);
    });
  }

  function isOpen() {
    return !list.hidden;
  }

  function open() {
    if (!options.length) return;
    list.hidden = false;
    note.hidden = true;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    setActive(-1);
    list.hidden = true;
    note.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function setActive(index) {
    if (active >= 0 && options[active]) {
      options[active].el.setAttribute("aria-selected", "false");
      options[active].el.classList.remove("active");
    }
    active = index;
    if (index < 0 || !options[index]) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      return;
    }
    var el = options[index].el;
    el.setAttribute("aria-selected", "true");
    el.classList.add("active");
    input.setAttribute("aria-activedescendant", el.id);
    el.scrollIntoView({ block: "nearest" });
  }

  function announce(count) {
    status.textContent = count ? (texts.count || "{n}").replace("{n}", count) : (texts.none || "");
  }

  function show(text, body) {
    shownFor = text;
    render(body);
    announce(options.length);
    if (options.length) {
      open();
    } else {
      close();
      note.hidden = false;
    }
  }

  function lookup(text) {
    timer = null;
    var mine = ++asked;
    if (cache[text]) {
      show(text, cache[text]);
      return;
    }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    var url = new URL(texts.url, window.location.href);
    url.searchParams.set("q", text);
    url.searchParams.set("limit", String(LIMIT));
    var lang = new URL(window.location.href).searchParams.get("lang");
    if (lang) url.searchParams.set("lang", lang);
    fetch(url.toString(), {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || mine !== asked) return;
        cache[text] = body;
        if (input.value.trim() === text && document.activeElement === input) show(text, body);
      })
      .catch(function () { /* aborted, or offline: no suggestions, the form still works */ });
  }

  function cancel() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    asked++;
    if (controller) controller.abort();
    controller = null;
  }

  function schedule() {
    cancel();
    var text = input.value.trim();
    if (!text) {
      shownFor = null;
      options = [];
      list.textContent = "";
      status.textContent = "";
      close();
      return;
    }
    timer = window.setTimeout(function () { lookup(text); }, DELAY);
  }

  function theMap() {
    if (!window.L) return null;
    return Object.values(window).find(function (v) { return v instanceof L.Map; }) || null;
  }

  /* The prefix every code inside an admin area shares: 211400 → 2114 (geoapp/query.py). */
  function adminPrefix(code) {
    if (/0000$/.test(code)) return code.slice(0, 2);
    if (/00$/.test(code)) return code.slice(0, 4);
    return code;
  }

  function chooseArea(item) {
    var url = new URL(window.location.href);
    var params = url.searchParams;
    params.delete("view");  // the map fits the chosen area
    params.delete("sel");
    if (item.param === "county") {
      params.set("county", item.value);
      params.delete("park");
    } else {
      params.set("park", item.value);
      var county = params.get("county");
      if (county && !(item.county && item.county.indexOf(adminPrefix(county)) === 0)) {
        params.delete("county");  // a park outside the county chosen before: its own county
      }
    }
    window.location.assign(url.toString());
  }

  function chooseFeature(item) {
    input.value = input.defaultValue;  // the text filter (q=) stays what the page shows
    var map = theMap();
    if (!map || !window.geoapp || !window.geoapp.focus) {  // a page without the map (dashboard)
      var there = new URL(texts.map, window.location.href);
      there.searchParams.set("sel", item.layer + ":" + item.id);
      window.location.assign(there.toString());
      return;
    }
    var url = new URL(window.location.href);
    url.searchParams.set("sel", item.layer + ":" + item.id);
    window.history.replaceState(null, "", url.toString());
    window.geoapp.focus(map, item.layer, item.id, item.lat, item.lon);
  }

  function choose(index) {
    var chosen = options[index];
    if (!chosen) return;
    cancel();
    close();
    if (chosen.item.param) chooseArea(chosen.item);
    else if (chosen.item.layer) chooseFeature(chosen.item);
  }

  input.addEventListener("input", schedule);

  input.addEventListener("keydown", function (event) {
    if (event.isComposing) return;  // an IME is composing Chinese: its keys are its own
    var text = input.value.trim();
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        event.preventDefault();
        if (!isOpen()) {
          if (options.length && shownFor === text) {
            open();
            if (!event.altKey) setActive(0);
          } else if (text) {
            cancel();
            lookup(text);
          }
        } else if (options.length) {
          setActive(active + 1 >= options.length ? 0 : active + 1);
        }
        break;
      case "ArrowUp":
      case "Up":
        event.preventDefault();
        if (!isOpen()) {
          if (options.length && shownFor === text) {
            open();
            setActive(options.length - 1);
          }
        } else if (options.length) {
          setActive(active <= 0 ? options.length - 1 : active - 1);
        }
        break;
      case "Enter":
        if (isOpen() && active >= 0) {
          event.preventDefault();
          choose(active);
        } else {
          cancel();  // the form is submitted with q=, as before
          close();
        }
        break;
      case "Escape":
      case "Esc":
        if (isOpen() || !note.hidden) {
          event.preventDefault();
          cancel();
          close();
        }
        break;
      case "Tab":
        close();
        break;
      case "ArrowLeft":
      case "ArrowRight":
      case "Home":
      case "End":
        setActive(-1);
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", function () {
    cancel();
    close();
  });

  // A press on the list keeps the focus in the input (mouse, and touch's emulated mouse).
  list.addEventListener("mousedown", function (event) { event.preventDefault(); });
  list.addEventListener("click", function (event) {
    var option = event.target.closest('[role="option"]');
    if (option) choose(Number(option.dataset.index));
  });
})();
