// Opt-in to Web Push for the signed-in agent (E2): the top bar's button and the profile page's
// ([data-push-toggle]) subscribe or unsubscribe this browser.
(function () {
  "use strict";
  var buttons = Array.prototype.slice.call(document.querySelectorAll("#push-optin, [data-push-toggle]"));
  if (!buttons.length || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) { return; }
  var csrf = document.querySelector("input[name=csrf_token]");
  var headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" };
  var subscribed = false;

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function show(on) {
    subscribed = on;
    buttons.forEach(function (button) {
      button.hidden = false;
      button.disabled = false;
      button.dataset.subscribed = on ? "yes" : "no";
      button.textContent = on ? "Turn off push notifications" : "Turn on push notifications";
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function fail(message) {
    buttons.forEach(function (button) { button.disabled = false; button.title = message; });
    document.body.dataset.push = "error";
  }

  var ready = navigator.serviceWorker.register("/push-sw.js", { scope: "/" });
  ready.then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (sub) { show(!!sub); })
    .catch(function () { buttons.forEach(function (button) { button.hidden = true; }); });

  function subscribe(reg) {
    return fetch("/api/v1/push/vapid-public-key", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("no key"); } return r.json(); })
      .then(function (key) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
      })
      .then(function (sub) {
        return fetch("/api/v1/me/push-subscriptions", {
          method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(sub.toJSON())
        }).then(function (r) { if (!r.ok) { throw new Error("not saved"); } });
      });
  }
  function unsubscribe(reg) {
    return reg.pushManager.getSubscription().then(function (sub) {
      if (!sub) { return; }
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return fetch("/api/v1/me/push-subscriptions", {
          method: "DELETE", credentials: "same-origin", headers: headers, body: JSON.stringify({ endpoint: endpoint })
        });
      });
    });
  }

  function toggle() {
    buttons.forEach(function (button) { button.disabled = true; });
    var on = !subscribed;
    var permission = on ? Notification.requestPermission() : Promise.resolve("granted");
    Promise.all([permission, ready]).then(function (results) {
      if (results[0] !== "granted") { throw new Error("notifications are blocked in this browser"); }
      return on ? subscribe(results[1]) : unsubscribe(results[1]);
    }).then(function () {
      show(on);
      document.body.dataset.push = on ? "subscribed" : "unsubscribed";
    }).catch(function (err) { fail(String(err && err.message || err)); });
  }
  buttons.forEach(function (button) { button.addEventListener("click", toggle); });
})();
