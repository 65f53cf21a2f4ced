// Keyboard shortcuts of the agent UI (decision 0242). Single keys, as in mail clients, so they never fire
// while the agent types: not in inputs, text areas, selects, editable content or a picker, and never with
// Ctrl, Alt or Meta (the browser's own shortcuts stay). `?` opens the help dialog that lists them.
//   j / k   next / previous case: on the list the focus moves down / up the rows; on a case page the next /
//           previous case of the list the agent came from, in that list's order (kept in sessionStorage)
//   u       back to that list
//   /       the list's search box
//   r / n   reply / internal note (the composer's mode, with the focus in its text)
//   a       the assignee control;  m  assign the case to me
(function () {
  "use strict";
  var ORDER_KEY = "helpdesk.case-order";

  function typing(target) {
    if (!target || !target.closest) { return false; }
    if (target.isContentEditable) { return true; }
    if (target.matches("input")) { return !/^(checkbox|radio|button|submit|reset|file)$/.test(target.type); }
    return Boolean(target.closest("textarea, select, [contenteditable], .ts-control, .ts-dropdown"));
  }

  // a short note on screen and for screen readers (e.g. "last case of the list")
  var noteTimer = null;
  function say(text) {
    var note = document.getElementById("shortcut-note");
    if (!note) { return; }
    note.textContent = text;
    note.hidden = false;
    window.clearTimeout(noteTimer);
    noteTimer = window.setTimeout(function () { note.hidden = true; }, 4000);
  }

  // -- the list: remember its order, move along its rows -----------------------------------------------------
  function listLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("a[data-case-link]"));
  }
  function rememberOrder() {
    var links = listLinks();
    if (!links.length || !window.sessionStorage) { return; }
    var next = document.querySelector('nav[aria-label="Pages"] a[rel="next"]');
    var order = {
      ids: links.map(function (a) { return Number(a.dataset.caseLink); }),
      back: window.location.pathname + window.location.search,
      next: next ? next.getAttribute("href") : null
    };
    try { window.sessionStorage.setItem(ORDER_KEY, JSON.stringify(order)); } catch (e) { /* private mode: no memory */ }
  }
  function storedOrder() {
    try {
      var order = JSON.parse(window.sessionStorage.getItem(ORDER_KEY) || "null");
      return order && Array.isArray(order.ids) ? order : null;
    } catch (e) { return null; }
  }
  function moveInList(step) {
    var links = listLinks();
    if (!links.length) { return false; }
    var at = links.indexOf(document.activeElement);
    var to = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (to >= links.length) {
      var next = document.querySelector('nav[aria-label="Pages"] a[rel="next"]');
      if (next) { window.location.assign(next.getAttribute("href")); } else { say("Last case of the list."); }
      return true;
    }
    if (to < 0) { say("First case of the list."); return true; }
    links[to].focus();
    return true;
  }

  // -- the case page -------------------------------------------------------------------------------------------
  function currentCase() {
    var page = document.querySelector("[data-case-page]");
    return page ? Number(page.dataset.casePage) : null;
  }
  function moveAmongCases(step) {
    var id = currentCase();
    if (id === null) { return false; }
    var order = storedOrder();
    var at = order ? order.ids.indexOf(id) : -1;
    if (at === -1) { say("Open the case list first: next and previous follow its order."); return true; }
    var to = at + step;
    if (to >= order.ids.length) {
      if (order.next) { window.location.assign(order.next); } else { say("Last case of the list."); }
      return true;
    }
    if (to < 0) { say("First case of the list."); return true; }
    window.location.assign("/cases/" + order.ids[to]);
    return true;
  }
  function backToList() {
    var order = storedOrder();
    window.location.assign(order && order.back ? order.back : "/");
    return true;
  }
  function compose(mode) {
    var tab = document.getElementById("mode-" + mode);
    var box = document.getElementById(mode + "-body");
    if (!tab || !box) { return false; }
    tab.click();  // Bootstrap shows the tab's pane at once (no fade on the composer's panes)
    box.focus();
    return true;
  }
  function assigneeControl() {
    return document.querySelector('#case-fields select[name="assignee_id"]');
  }
  function focusAssignee() {
    var select = assigneeControl();
    if (!select) { return false; }
    if (select.tomselect) { select.tomselect.focus(); } else { select.focus(); }
    return true;
  }
  function assignToMe() {
    var select = assigneeControl();
    var me = select ? select.dataset.me : "";
    if (!select || !me) { return false; }
    if (!select.querySelector('option[value="' + me + '"]')) { say("You cannot be assigned cases."); return true; }
    if (select.value === me) { say("The case is already yours."); return true; }
    if (select.tomselect) {
      select.tomselect.setValue(me);  // fires the select's change: htmx saves it as a pick by hand would
    } else {
      select.value = me;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return true;
  }
  function focusSearch() {
    var box = document.querySelector('form[role="search"] input[type="search"]');
    if (!box) { return false; }
    box.focus();
    box.select();
    return true;
  }

  // -- the help dialog: a modal <dialog> (the rest of the page inert, Escape closes it, the focus returns) ------
  function helpDialog() { return document.getElementById("shortcuts-help"); }
  var returnTo = null;
  function openHelp(from) {
    var dialog = helpDialog();
    if (!dialog || dialog.open) { return false; }
    returnTo = from || null;
    dialog.showModal();
    var first = dialog.querySelector("[data-close-dialog]");
    if (first) { first.focus(); }
    return true;
  }
  function focusables(dialog) {
    return Array.prototype.filter.call(
      dialog.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])'),
      function (el) { return el.offsetParent !== null || el === document.activeElement; }
    );
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    var opener = target.closest("[data-open-shortcuts]");
    if (opener) {
      // opened from a menu that closes: the focus goes back to the menu's button, not to the gone item
      var menu = opener.closest(".dropdown");
      event.preventDefault();
      openHelp(menu ? menu.querySelector("[data-bs-toggle]") : opener);
      return;
    }
    var closer = target.closest("[data-close-dialog]");
    if (closer) { var d = closer.closest("dialog"); if (d) { d.close(); } }
  });

  var help = helpDialog();
  if (help) {
    help.addEventListener("close", function () {
      if (returnTo) { returnTo.focus(); returnTo = null; }
    });
  }

  var ACTIONS = {
    j: function () { return moveInList(1) || moveAmongCases(1); },
    k: function () { return moveInList(-1) || moveAmongCases(-1); },
    u: function () { return currentCase() !== null && backToList(); },
    "/": focusSearch,
    r: function () { return compose("reply"); },
    n: function () { return compose("note"); },
    a: focusAssignee,
    m: assignToMe,
    "?": function () { return openHelp(null); }
  };

  document.addEventListener("keydown", function (event) {
    var dialog = helpDialog();
    if (dialog && dialog.open) {
      // keep Tab inside the dialog (its first and last controls wrap round); Escape is the browser's
      if (event.key === "Tab") {
        var inside = focusables(dialog);
        if (!inside.length) { event.preventDefault(); return; }
        var first = inside[0];
        var last = inside[inside.length - 1];
        if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
        else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
        else if (!dialog.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
      }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (typing(event.target)) { return; }
    if (document.querySelector(".dropdown-menu.show, .modal.show")) { return; }  // a menu has the keys now
    var action = ACTIONS[event.key];
    if (action && action()) { event.preventDefault(); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", rememberOrder);
  } else {
    rememberOrder();
  }
}());
