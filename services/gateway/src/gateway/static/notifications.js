// Live notifications for the signed-in agent (E2, C7): a Server-Sent Events stream, no reload needed.
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
  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
  var unread = 0;
  // EventSource reconnects by itself after a dropped connection; the server resends the count
  var source = new EventSource("/api/v1/stream");
  source.onopen = function () { document.body.dataset.stream = "open"; };
  source.addEventListener("unread", function (e) {
    unread = JSON.parse(e.data).unread;
    show(unread);
  });
  var seen = {};
  // one list item; textContent, never innerHTML: a case title is customer input
  function item(n, id, isRead) {
    var li = document.createElement("li");
    li.dataset.id = String(id);
    if (isRead) { li.className = "notif-read"; }
    var link = document.createElement("a");
    link.href = "/cases/" + n.case_id;
    link.textContent = (LABELS[n.kind] || n.kind) + ": #" + n.case_number + " " + n.title;
    li.appendChild(link);
    if (n.detail) {
      // which task, which SLA target and when, what the note that named me says
      var detail = document.createElement("span");
      detail.className = "notif-detail";
      detail.textContent = n.detail;
      li.appendChild(detail);
    }
    return li;
  }
  source.addEventListener("notification", function (e) {
    var n = JSON.parse(e.data);
    var id = n.notification_id;
    if (id !== undefined && seen[id]) { return; }  // already shown by the page-load list below
    if (id !== undefined) { seen[id] = true; }
    unread += 1;
    show(unread);
    if (!list) { return; }
    list.insertBefore(item(n, id, false), list.firstChild);
    list.hidden = false;
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
        if (list.children.length) { list.hidden = false; }
        unread = Math.max(unread, page.unread || 0);
        show(unread);
        document.body.dataset.notifications = "loaded";
      })
      .catch(function () { /* the stream still works; the list fills as alerts come */ });
  }
})();
