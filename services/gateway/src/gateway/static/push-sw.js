// Service worker of the agent UI: shows Web Push notifications (E2) and opens the case on a click.
"use strict";

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var title = data.title || "Help desk";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = "/";
  try {
    var url = new URL(event.notification.data.url, self.location.origin);
    // only our own pages: a push never sends an agent somewhere else
    if (url.origin === self.location.origin) { target = url.pathname + url.search; }
  } catch (e) { target = "/"; }
  event.waitUntil(self.clients.openWindow(target));
});
