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
  source.addEventListener("notification", function (e) {
    var n = JSON.parse(e.data);
    unread += 1;
    show(unread);
    if (!list) { return; }
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "/cases/" + n.case_id;
    // textContent, never innerHTML: a case title is customer input
    link.textContent = (LABELS[n.kind] || n.kind) + ": #" + n.case_number + " " + n.title;
    item.appendChild(link);
    if (n.detail) {
      // which task, which SLA target and when, what the note that named me says
      var detail = document.createElement("span");
      detail.className = "notif-detail";
      detail.textContent = n.detail;
      item.appendChild(detail);
    }
    list.insertBefore(item, list.firstChild);
    list.hidden = false;
  });
})();
