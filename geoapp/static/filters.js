/* The side panel of the map page and the dashboard: the filter form (only what is set goes
 * into the address, a choice applies at once, a kept area can be removed), the bottom sheet
 * it becomes on a phone, and the links between the two pages, which take the address as it
 * is when clicked (the map writes its view into it as it moves). Loaded after the panel.
 */
window.geoappPanel = (function () {
  "use strict";

  var form = document.getElementById("filter-form");

  function submit() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function filterForm() {
    /* Only what is set goes into the address: a shared link reads as the filter it is. */
    form.addEventListener("formdata", function (event) {
      var entries = Array.from(event.formData.entries());
      entries.forEach(function (entry) { event.formData.delete(entry[0]); });
      entries.forEach(function (entry) {
        if (entry[1] !== "") event.formData.append(entry[0], entry[1]);
      });
    });
    form.addEventListener("change", function (event) {
      if (event.target.name && event.target.type !== "number" && event.target.type !== "date"
          && event.target.type !== "text" && event.target.type !== "search") submit();
    });
    form.querySelectorAll("button[data-clear]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = form.querySelector('input[name="' + button.dataset.clear + '"]');
        if (input) input.remove();
        submit();
      });
    });
  }

  /* On a phone the side panel is a bottom sheet: its handle opens and closes it. */
  function bottomSheet() {
    var handle = document.querySelector(".sheet-handle");
    if (!handle) return function () {};
    var panel = handle.parentElement;
    function set(open) {
      panel.classList.toggle("sheet-open", open);
      handle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    handle.addEventListener("click", function () {
      set(!panel.classList.contains("sheet-open"));
    });
    return set;
  }

  /* a[data-keep-query="as_of by"]: the same filter on the other page, without the names the
   * other page does not take. */
  function keepQueryLinks() {
    document.querySelectorAll("a[data-keep-query]").forEach(function (link) {
      link.addEventListener("click", function () {
        var params = new URLSearchParams(window.location.search);
        link.dataset.keepQuery.split(" ").forEach(function (name) {
          if (name) params.delete(name);
        });
        var query = params.toString();
        link.href = link.pathname + (query ? "?" + query : "");
      });
    });
  }

  if (form) filterForm();
  var setSheet = bottomSheet();
  keepQueryLinks();
  return { form: form, submit: submit, setSheet: setSheet };
})();
