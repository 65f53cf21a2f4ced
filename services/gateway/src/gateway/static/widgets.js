// The toolkit's widgets, switched on by markup so pages stay plain HTML that works without script:
//   <select data-picker>              Tom Select (search in long lists, several values with `multiple`)
//   <input data-date>                 flatpickr date picker (value stays YYYY-MM-DD)
//   <input data-datetime>             flatpickr date and time (value stays YYYY-MM-DDTHH:MM)
//   <input data-dates>                flatpickr picking several dates (value "YYYY-MM-DD, YYYY-MM-DD")
// Also on markup htmx swaps in, out-of-band parts included (htmx:load fires for each new element).
(function () {
  "use strict";

  function enhance(root) {
    if (window.TomSelect) {
      root.querySelectorAll("select[data-picker]:not(.tomselected)").forEach(function (el) {
        new window.TomSelect(el, {
          create: el.hasAttribute("data-create"),
          maxOptions: 500,
          allowEmptyOption: true,
          plugins: el.multiple ? ["remove_button"] : [],
        });
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
