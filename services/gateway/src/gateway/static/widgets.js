// The toolkit's widgets, switched on by markup so pages stay plain HTML that works without script:
//   <select data-picker>              Tom Select (search in long lists, several values with `multiple`)
//   <select data-picker data-search>  the same, its choices searched (a JSON list of contacts) as one types
//   <input data-date>                 flatpickr date picker (value stays YYYY-MM-DD)
//   <input data-datetime>             flatpickr date and time (value stays YYYY-MM-DDTHH:MM)
//   <input data-dates>                flatpickr picking several dates (value "YYYY-MM-DD, YYYY-MM-DD")
// Also on markup htmx swaps in, out-of-band parts included (htmx:load fires for each new element).
(function () {
  "use strict";

  // <select data-picker data-search="/contacts/choices">: the choices come from the directory as the agent
  // types (the page carries only the chosen ones), each "Name <address>"
  function searching(url) {
    return {
      valueField: "value",
      labelField: "text",
      searchField: ["text"],
      shouldLoad: function (query) { return query.trim().length >= 2; },
      load: function (query, callback) {
        var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "limit=20&q=" + encodeURIComponent(query.trim());
        fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (resp) { return resp.ok ? resp.json() : { items: [] }; })
          .then(function (page) {
            callback((page.items || []).map(function (c) {
              var email = c.email || "";
              var text = c.name && email ? c.name + " <" + email + ">" : (c.name || email || String(c.id));
              return { value: String(c.id), text: text };
            }));
          })
          .catch(function () { callback(); });
      },
      render: { no_results: function (data, escape) { return '<div class="no-results">Nothing matches "' + escape(data.input) + '"</div>'; } },
    };
  }

  function enhance(root) {
    if (window.TomSelect) {
      root.querySelectorAll("select[data-picker]:not(.tomselected)").forEach(function (el) {
        var options = {
          create: el.hasAttribute("data-create"),
          maxOptions: 500,
          allowEmptyOption: true,
          plugins: el.multiple ? ["remove_button"] : [],
        };
        if (el.dataset.search) { Object.assign(options, searching(el.dataset.search)); }
        new window.TomSelect(el, options);
        // the label now names Tom Select's own combobox; the hidden <select> only carries the value
        el.setAttribute("aria-hidden", "true");
      });
    }
    if (window.flatpickr) {
      root.querySelectorAll("input[data-date]:not(.flatpickr-input)").forEach(function (el) {
        window.flatpickr(el, { dateFormat: "Y-m-d", allowInput: true });
      });
      root.querySelectorAll("input[data-dates]:not(.flatpickr-input)").forEach(function (el) {
        window.flatpickr(el, { mode: "multiple", dateFormat: "Y-m-d", conjunction: ", ", allowInput: true });
      });
      root.querySelectorAll("input[data-datetime]:not(.flatpickr-input)").forEach(function (el) {
        window.flatpickr(el, { enableTime: true, time_24hr: true, dateFormat: "Y-m-d\\TH:i", allowInput: true });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
