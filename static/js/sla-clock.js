// SLA clocks that count down without a reload (no dependency; the CSP allows no inline script).
//
// <span data-sla-clock data-sla-state="running|paused|met|breached|cancelled" data-sla-paused="false"
//       data-sla-due="2026-12-05T17:00:00+08:00" data-sla-interval="1"
//       data-sla-left="%(time)s left" data-sla-over="%(time)s overdue">8 h left</span>
//
// The server renders the text (the fallback without JavaScript). Only a running clock that is
// not paused and has a due instant ticks: every `data-sla-interval` seconds (1 on the incident
// page, 30 in the queue) its text becomes the wall-clock time until the due instant, or, once
// that has passed, the time since ("overdue"). Paused, met, breached and cancelled clocks keep
// their text. The due instant was computed in business time (the target's calendar), but the
// countdown is wall-clock time until it: outside working hours the due instant stays where it
// is while this countdown keeps running (the tooltip and docs/incidents.md say so).
// Units come translated from the page: data-sla-units="%(count)s d|%(count)s h|%(count)s min|%(count)s s"
// on the clock or an ancestor. <div data-sla-percent="42"> bars get their width (no inline style).
"use strict";

(function () {
  var UNITS = "%(count)s d|%(count)s h|%(count)s min|%(count)s s";

  function human(ms, node) {
    var holder = node.closest("[data-sla-units]");
    var units = (holder ? holder.dataset.slaUnits : UNITS).split("|");
    function unit(index, count) { return (units[index] || "%(count)s").replace("%(count)s", count); }
    var seconds = Math.max(0, Math.floor(ms / 1000));
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var parts = [];
    if (days) parts.push(unit(0, days));
    if (hours) parts.push(unit(1, hours));
    if (minutes) parts.push(unit(2, minutes));
    if (!days && !hours) parts.push(unit(3, seconds % 60));
    return parts.join(" ");
  }

  function ticks(node) {
    return node.dataset.slaState === "running" && node.dataset.slaPaused !== "true" && !!node.dataset.slaDue;
  }

  function update(node, now) {
    if (!ticks(node)) return;
    var due = Date.parse(node.dataset.slaDue);
    if (isNaN(due)) return;
    var every = Math.max(1, parseInt(node.dataset.slaInterval, 10) || 1) * 1000;
    var last = parseInt(node.dataset.slaShown || "0", 10);
    if (last && now - last < every) return;
    node.dataset.slaShown = String(now);
    var left = due - now;
    var overdue = left < 0;
    var template = overdue ? node.dataset.slaOver : node.dataset.slaLeft;
    if (template) node.textContent = template.replace("%(time)s", human(Math.abs(left), node));
    node.dataset.slaOverdue = overdue ? "true" : "false";
    node.classList.toggle("text-red", overdue);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-clock]").forEach(function (node) { update(node, now); });
  }

  function bars(root) {
    (root || document).querySelectorAll("[data-sla-percent]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseFloat(bar.dataset.slaPercent) || 0));
      bar.style.width = value + "%";
    });
  }

  function start() {
    bars(document);
    tick();
    window.setInterval(tick, 1000);
  }

  // New rows from an htmx swap (the queue's filters) start from their server text and tick on.
  document.addEventListener("htmx:afterSettle", function (event) { bars(event.target); tick(); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
