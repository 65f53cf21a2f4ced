// Small enhancements of the agent UI. They live here, not in the pages, because the Content-Security-Policy
// (chassis.web_security) allows no inline script, no inline event handler and no style attribute. Each one
// listens on the document, so content that htmx swaps in later is covered too; without JavaScript every page
// still works (the canned text is there to copy, forms post normally).
(function () {
  "use strict";

  // "Insert canned reply": put a canned text (a <template>) into the reply or note box at the cursor
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-canned]") : null;
    if (!button) { return; }
    var box = document.getElementById(button.dataset.into || "reply-body");
    var source = document.getElementById(button.dataset.canned);
    if (!box || !source) { return; }
    var text = source.content ? source.content.textContent : source.textContent;
    var at = typeof box.selectionStart === "number" ? box.selectionStart : box.value.length;
    var end = typeof box.selectionEnd === "number" ? box.selectionEnd : at;
    box.value = box.value.slice(0, at) + text + box.value.slice(end);
    box.focus();
    box.setSelectionRange(at + text.length, at + text.length);
  });

  // a tab named by the address's #fragment opens (after a form in a tab posted, the page comes back to it)
  function openTabOfHash() {
    var id = window.location.hash.slice(1);
    if (!id || !/^[A-Za-z][\w-]*$/.test(id)) { return; }
    var tab = document.querySelector('[data-bs-toggle="tab"][data-bs-target="#' + id + '"]');
    if (tab) { tab.click(); }
  }
  window.addEventListener("hashchange", openTabOfHash);

  // the side panel answers a refused change (409 stale version, 422 bad value) with itself and the message
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && event.detail.target && event.detail.target.id === "case-fields") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // after the side panel is swapped, the control the agent is on keeps the focus (keyboard users stay put)
  var focused = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var inPanel = event.detail.target && event.detail.target.id === "case-fields" && active && active.id;
    focused = inPanel && active.closest("#case-fields") ? active.id.replace(/-ts-control$/, "") : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!focused || !event.detail.target || event.detail.target.id !== "case-fields") { return; }
    var again = document.getElementById(focused);
    focused = null;
    if (!again) { return; }
    if (again.tomselect) { again.tomselect.focus(); } else { again.focus(); }
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
  function ready() { sizeBars(); openTabOfHash(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
}());
