// The case page and the case list kept live over the page's one event stream (notifications.js opens it).
// Case page (decisions 0247-0249): who else has the case open and who is typing; a change by someone else comes
// in without a reload, and never over the control the agent is editing; a refused edit offers keep mine / take
// theirs. Case list (decision 0250): a bar says how many cases of this list changed, "Show" reloads it.
(function () {
  "use strict";
  var source = window.helpdeskStream;
  var body = document.body;
  if (!source || !window.fetch) { return; }
  var me = body.dataset.agent;

  function csrf() {
    var token = document.querySelector("input[name=csrf_token]");
    return token ? token.value : "";
  }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  // -- case page ---------------------------------------------------------------------------------------------
  var caseId = body.dataset.streamCase;
  if (caseId) {
    var presence = document.getElementById("case-presence");
    var viewers = [];
    var note = null;  // the last change by someone else: {text, at}

    // textContent only: names are people's input
    function showPresence() {
      if (!presence) { return; }
      presence.textContent = "";
      var recent = note && Date.now() - note.at < 60000 ? note.text : "";
      presence.hidden = !viewers.length && !recent;
      if (viewers.length) {
        var label = document.createElement("span");
        label.className = "presence-label";
        label.textContent = "Also viewing:";
        presence.appendChild(label);
        viewers.forEach(function (v) {
          var chip = document.createElement("span");
          chip.className = "presence-chip" + (v.typing ? " presence-typing" : "");
          chip.dataset.agent = String(v.agent_id);
          chip.textContent = v.typing ? v.name + " is typing…" : v.name;
          chip.title = "Viewing since " + new Date(v.since).toLocaleTimeString();
          presence.appendChild(chip);
        });
      }
      if (recent) {
        var said = document.createElement("span");
        said.className = "presence-note";
        said.textContent = recent;
        presence.appendChild(said);
      }
    }
    source.addEventListener("viewers", function (e) {
      viewers = JSON.parse(e.data).viewers || [];
      body.dataset.viewers = String(viewers.length);
      showPresence();
    });

    // "typing": a ping every few seconds while the agent writes in the composer; it fades by itself on the server
    var pinged = 0;
    document.addEventListener("input", function (e) {
      if (!e.target.closest || !e.target.closest("#composer")) { return; }
      if (Date.now() - pinged < 3000) { return; }
      pinged = Date.now();
      fetch("/cases/" + caseId + "/typing", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() }
      }).catch(function () {});
    });

    var KINDS = {
      message_added: "added a message", message_forwarded: "forwarded a message", task_changed: "changed a task",
      attachment_added: "added a file", time_logged: "logged time", cases_merged: "merged a case",
      case_linked: "linked a case"
    };
    function describe(push) {
      var who = push.by && push.by.name ? push.by.name : "Someone";
      if (push.kind === "case_updated") {
        var fields = (push.fields || []).map(function (f) {
          return f.replace(/^custom_fields\./, "").replace(/_ids?$/, "").replace(/_name$/, "").replace(/_/g, " ");
        });
        return who + " changed " + (fields.join(", ") || "the case");
      }
      return who + " " + (KINDS[push.kind] || "changed the case");
    }

    var timer = null, busy = false, again = false;
    source.addEventListener("case", function (e) {
      var push = JSON.parse(e.data);
      var byMe = push.by && String(push.by.id) === me && push.by.type === "agent";
      if (!byMe) {
        note = { text: describe(push) + " just now.", at: Date.now() };
        showPresence();
      }
      schedule();
    });
    function schedule() {
      if (timer) { return; }
      timer = setTimeout(function () { timer = null; refresh(); }, 250);
    }
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch("/cases/" + caseId + "/live" + window.location.search, { credentials: "same-origin" })
        .then(function (resp) { return resp.ok ? resp.text() : null; })
        .then(function (html) { if (html) { merge(new DOMParser().parseFromString(html, "text/html")); } })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }

    function swap(id, fresh) {
      var now = document.getElementById(id);
      if (!now || !fresh || now.outerHTML === fresh.outerHTML) { return; }
      window.htmx.swap(now, fresh.outerHTML, { swapStyle: "outerHTML" });
    }

    // the side panel's control the agent is on (Tom Select's own input stands for its <select>)
    function editing() {
      var active = document.activeElement;
      if (!active || !active.closest || !active.closest("#case-fields")) { return null; }
      var control = active.id ? document.getElementById(active.id.replace(/-ts-control$/, "")) : null;
      return control && control.name ? control : null;
    }
    function merge(doc) {
      swap("case-head", doc.getElementById("case-head"));
      swap("conversation", doc.getElementById("conversation"));
      swap("case-sla", doc.getElementById("case-sla"));
      var panel = document.getElementById("case-fields");
      var fresh = doc.getElementById("case-fields");
      if (!panel || !fresh) { return; }
      var form = panel.querySelector("form.case-fields-form");
      if (form && form.classList.contains("htmx-request")) { return; }  // its own answer brings it up to date
      // never back, never sideways: a read begun before the panel's own answer can bring an older version, and
      // the one that answer brought needs no swap (it would only drop the "Saved" line, or a control the agent
      // has just moved on to)
      if (Number(versionOf(fresh)) <= Number(versionOf(panel))) { return; }
      var control = editing();
      if (!control && !panel.querySelector(".field-conflict")) {
        swap("case-fields", fresh);
      } else {
        mergeControls(panel, fresh, control);
      }
      body.dataset.liveVersion = versionOf(fresh);
    }
    function versionOf(root) {
      var v = root.querySelector("form.case-fields-form input[name=version]");
      return v ? v.value : "";
    }

    function valuesOf(el) {
      if (el.tagName === "SELECT") {
        var chosen = [];
        each(el.options, function (o) { if (o.selected) { chosen.push(o.value); } });
        return chosen;
      }
      return [el.value];
    }
    function shownValues(el) {  // what the page was given last (not what the agent typed since)
      if (el.tagName === "SELECT") {
        var chosen = [];
        each(el.options, function (o) { if (o.defaultSelected) { chosen.push(o.value); } });
        if (!chosen.length && !el.multiple && el.options.length) { chosen.push(el.options[0].value); }
        return chosen;
      }
      return [el.defaultValue];
    }
    function same(a, b) { return a.length === b.length && a.every(function (v, i) { return v === b[i]; }); }

    function setValues(el, fresh) {
      var values = valuesOf(fresh);
      if (el.tagName === "SELECT") {
        each(fresh.options, function (o) {  // a tag new to this page
          if (!Array.prototype.some.call(el.options, function (mine) { return mine.value === o.value; })) {
            el.add(new Option(o.text, o.value));
          }
        });
        each(el.options, function (o) {
          o.defaultSelected = values.indexOf(o.value) >= 0;
          o.selected = o.defaultSelected;
        });
        if (el.tomselect) {
          var ts = el.tomselect;
          each(fresh.options, function (o) { if (!ts.options[o.value]) { ts.addOption({ value: o.value, text: o.text }); } });
          ts.setValue(el.multiple ? values : values[0], true);  // silent: no change event, so nothing is posted
        }
        return;
      }
      el.value = values[0];
      el.defaultValue = values[0];
      if (el._flatpickr) { el._flatpickr.setDate(values[0] || null, false); }
    }

    // every control but the one being edited takes the new value; the version moves on only when the edited
    // control's value did not change meanwhile (else saving it is refused, and the agent gets the choice)
    function mergeControls(panel, fresh, control) {
      var form = panel.querySelector("form.case-fields-form");
      var freshForm = fresh.querySelector("form.case-fields-form");
      if (!form || !freshForm) { return false; }
      var changedUnderMe = false;
      each(freshForm.querySelectorAll("[name]"), function (el) {
        if (el.name === "csrf_token" || el.name === "version") { return; }
        var mine = form.querySelector('[name="' + window.CSS.escape(el.name) + '"]');
        if (!mine) { return; }
        if (control && mine === control) {
          changedUnderMe = !same(valuesOf(el), shownValues(mine));
          return;
        }
        if (!same(valuesOf(el), shownValues(mine))) { setValues(mine, el); }
      });
      if (!changedUnderMe) {
        var version = versionOf(fresh);
        each(panel.querySelectorAll("form > input[name=version]"), function (v) {
          if (!v.closest(".field-conflict")) { v.value = version; }  // "keep mine" keeps the version it was given
        });
      }
      var facts = panel.querySelector("dl.fields.small");
      var freshFacts = fresh.querySelector("dl.fields.small");
      if (facts && freshFacts) { facts.innerHTML = freshFacts.innerHTML; }
      return changedUnderMe;
    }

    // leaving the panel without saving: catch up with what was held back
    document.addEventListener("focusout", function (e) {
      if (!e.target.closest || !e.target.closest("#case-fields")) { return; }
      setTimeout(function () { if (!editing()) { schedule(); } }, 400);
    });

    // "Keep mine": once saved, the focus goes back to the control (the button it was on is gone with the choice)
    var kept = null;
    document.addEventListener("htmx:beforeRequest", function (e) {
      var box = e.target.closest ? e.target.closest(".field-conflict") : null;
      var chosen = box ? box.querySelector("[data-take-theirs]") : null;
      kept = chosen ? chosen.dataset.takeTheirs : null;
    });
    document.addEventListener("htmx:afterSettle", function (e) {
      if (!kept || !e.detail.target || e.detail.target.id !== "case-fields") { return; }
      var name = window.CSS.escape(kept);
      kept = null;
      var field = document.querySelector('#case-fields form.case-fields-form [name="' + name + '"]');
      if (field && !document.querySelector("#case-fields .field-conflict")) {
        if (field.tomselect) { field.tomselect.focus(); } else { field.focus(); }
      }
    });

    // "Take theirs": the controls show theirs already; the choice goes, the control gets the focus back
    document.addEventListener("click", function (e) {
      var button = e.target.closest ? e.target.closest("[data-take-theirs]") : null;
      if (!button) { return; }
      var box = button.closest(".field-conflict");
      var name = window.CSS.escape(button.dataset.takeTheirs);
      var field = document.querySelector('#case-fields form.case-fields-form [name="' + name + '"]');
      if (box) { box.remove(); }
      if (field) { if (field.tomselect) { field.tomselect.focus(); } else { field.focus(); } }
    });
  }

  // -- case list ---------------------------------------------------------------------------------------------
  var bar = document.getElementById("list-live");
  if (body.dataset.streamCases && bar) {
    var text = document.getElementById("list-live-text");
    var waiting = null, asking = false, more = false;
    function ask() {
      if (asking) { more = true; return; }
      asking = true;
      var query = window.location.search ? window.location.search + "&" : "?";
      fetch("/cases/changed" + query + "since=" + encodeURIComponent(bar.dataset.since), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (found) {
          if (!found || !found.count) { return; }
          text.textContent = found.count + (found.count === 1 ? " case" : " cases") + " in this list new or changed.";
          bar.hidden = false;
        })
        .catch(function () {})
        .then(function () {
          asking = false;
          if (more) { more = false; ask(); }
        });
    }
    source.addEventListener("cases", function () {
      if (waiting) { return; }
      waiting = setTimeout(function () { waiting = null; ask(); }, 3000);  // a burst of changes: one question
    });
    bar.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("[data-reload]")) { window.location.reload(); }
    });
  }
}());
