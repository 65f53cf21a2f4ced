// Live notifications for the signed-in agent (E2, C7): a Server-Sent Events stream, no reload needed.
// The bell's dropdown (decision 0233) lists them, newest first, with "Mark read" and "Mark all read".
(function () {
  "use strict";
  var badge = document.getElementById("notif-count");
  var list = document.getElementById("notif-list");
  if (!badge || !window.EventSource) { return; }
  var LABELS = {
    new_case_in_group: "New case in your group",
    assigned_to_me: "Assigned to you",
    customer_replied: "Customer replied",
    mentioned: "You were mentioned",
    task_assigned: "Task assigned to you",
    sla_warning: "SLA warning",
    sla_breached: "SLA breached"
  };
  var bell = document.getElementById("notif-bell");
  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
    // the name must contain the visible text ("Notifications 3") for speech input to find the button
    if (bell) { bell.setAttribute("aria-label", count ? "Notifications " + count + " unread" : "Notifications"); }
  }
  var unread = 0;
  // EventSource reconnects by itself after a dropped connection; the server resends the count. One stream per
  // page: a case page's also carries its viewers and changes, the list's its nudges (live.js, decision 0248)
  var params = [];
  if (document.body.dataset.streamCase) { params.push("case_id=" + encodeURIComponent(document.body.dataset.streamCase)); }
  if (document.body.dataset.streamCases) { params.push("cases=true"); }
  var source = new EventSource("/api/v1/stream" + (params.length ? "?" + params.join("&") : ""));
  window.helpdeskStream = source;
  source.onopen = function () { document.body.dataset.stream = "open"; };
  source.addEventListener("unread", function (e) {
    unread = JSON.parse(e.data).unread;
    show(unread);
  });
  var seen = {};

  // marking read: the API marks the one notification given (and only it), or all of them without one;
  // a browser session sends its CSRF token as a header (decision 0105)
  function markRead(id) {
    var token = document.querySelector("input[name=csrf_token]");
    return fetch("/api/v1/notifications/read", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.value : "" },
      body: JSON.stringify(id === undefined ? {} : { id: id })
    }).then(function (resp) { return resp.ok ? resp.json() : Promise.reject(resp.status); })
      .then(function (result) {
        if (!list) { return; }
        Array.prototype.forEach.call(list.children, function (li) {
          if (id === undefined || Number(li.dataset.id) === id) { asRead(li); }
        });
        unread = Math.max(0, unread - (result.marked || 0));
        show(unread);
      });
  }
  function asRead(li) {
    li.classList.add("notif-read");
    var mark = li.querySelector(".notif-mark");
    if (mark) { mark.remove(); }
  }

  // one list item; textContent, never innerHTML: a case title is customer input
  function item(n, id, isRead) {
    var li = document.createElement("li");
    li.dataset.id = String(id);
    if (isRead) { li.className = "notif-read"; }
    var text = document.createElement("div");
    text.className = "notif-text";
    var link = document.createElement("a");
    link.href = "/cases/" + n.case_id;
    link.textContent = (LABELS[n.kind] || n.kind) + ": #" + n.case_number + " " + n.title;
    text.appendChild(link);
    if (n.detail) {
      // which task, which SLA target and when, what the note that named me says
      var detail = document.createElement("span");
      detail.className = "notif-detail";
      detail.textContent = n.detail;
      text.appendChild(detail);
    }
    li.appendChild(text);
    if (!isRead && id !== undefined) {
      var mark = document.createElement("button");
      mark.type = "button";
      mark.className = "btn btn-sm btn-ghost-secondary notif-mark";
      mark.textContent = "Mark read";
      mark.setAttribute("aria-label", "Mark read: " + link.textContent);
      mark.addEventListener("click", function () { markRead(Number(id)).catch(function () {}); });
      li.appendChild(mark);
    }
    return li;
  }
  var all = document.getElementById("notif-read-all");
  if (all) { all.addEventListener("click", function () { markRead(undefined).catch(function () {}); }); }

  source.addEventListener("notification", function (e) {
    var n = JSON.parse(e.data);
    var id = n.notification_id;
    if (id !== undefined && seen[id]) { return; }  // already shown by the page-load list below
    if (id !== undefined) { seen[id] = true; }
    unread += 1;
    show(unread);
    if (!list) { return; }
    list.insertBefore(item(n, id, false), list.firstChild);
  });
  // the notifications that came before this page was opened (newest first), read ones dimmed
  if (list && window.fetch) {
    fetch("/api/v1/notifications?limit=20", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (page) {
        if (!page || !page.items) { return; }
        var fragment = document.createDocumentFragment();
        page.items.forEach(function (n) {
          if (seen[n.id]) { return; }
          seen[n.id] = true;
          fragment.appendChild(item(n, n.id, Boolean(n.read_at)));
        });
        list.appendChild(fragment);  // below whatever the stream delivered meanwhile (newer)
        unread = Math.max(unread, page.unread || 0);
        show(unread);
        document.body.dataset.notifications = "loaded";
      })
      .catch(function () { /* the stream still works; the list fills as alerts come */ });
  }
})();
