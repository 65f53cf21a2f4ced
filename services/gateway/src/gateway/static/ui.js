// Small enhancements of the agent UI. They live here, not in the pages, because the Content-Security-Policy
// (chassis.web_security) allows no inline script, no inline event handler and no style attribute. Each one
// listens on the document, so content that htmx swaps in later is covered too; without JavaScript every page
// still works (the canned text is there to copy, forms post normally).
(function () {
  "use strict";

  // "Use in reply": copy a canned reply into the reply box
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-canned]") : null;
    var reply = document.getElementById("reply-body");
    if (!button || !reply) { return; }
    reply.value = document.getElementById(button.dataset.canned).textContent;
    reply.focus();
  });

  // forms that ask first (deleting something), with the question in data-confirm
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });

  // forms posted in place by htmx (a reply, a note) clear themselves once the request succeeded
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) { form.reset(); }
  });

  // the case list's bulk bar: "select all" ticks every case of the page; the legend says how many are ticked
  function boxes(name) { return document.querySelectorAll('input[type="checkbox"][name="' + name + '"]'); }
  function countTicked() {
    var all = document.querySelector("[data-select-all]");
    var count = document.getElementById("bulk-count");
    if (!all || !count) { return; }
    var ticked = 0;
    var list = boxes(all.dataset.selectAll);
    list.forEach(function (box) { if (box.checked) { ticked += 1; } });
    count.textContent = ticked ? "(" + ticked + " selected)" : "";
    all.checked = ticked > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar && ticked) { bar.open = true; }  // ticking a case is asking for the bar
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.dataset && box.dataset.selectAll) {
      boxes(box.dataset.selectAll).forEach(function (each) { each.checked = box.checked; });
    }
    if (box.type === "checkbox") { countTicked(); }
  });

  // the dashboard's bars: their length (a percentage) comes in data-width
  function sizeBars() {
    document.querySelectorAll(".bar[data-width]").forEach(function (bar) {
      bar.style.setProperty("--w", bar.dataset.width + "%");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", sizeBars); } else { sizeBars(); }
}());
