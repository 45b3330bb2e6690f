// SLA dashboard charts: read the numbers the page embeds with json_script (CSP-safe) and draw
// them with Apache ECharts (served from static/vendor). Every chart has a table with the same
// numbers next to it.
"use strict";

(function () {
  // Week starts come as ISO dates (2026-11-02); the axis shows them short, in the page's language.
  var lang = document.documentElement.lang || undefined;
  var dayMonth = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });
  var full = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" });

  function weekLabel(iso, formatter) {
    var day = new Date(iso + "T00:00:00Z");
    return isNaN(day.getTime()) ? iso : formatter.format(day);
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value + " %";
  }

  function trend(data) {
    var weeks = data.trend.weeks;
    return {
      grid: { left: 16, right: 16, top: 56, bottom: 28, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { label: { formatter: function (p) { return weekLabel(p.value, full); } } },
      },
      legend: { top: 0 },
      xAxis: {
        type: "category", data: weeks, name: data.text.week, nameLocation: "middle",
        nameGap: weeks.length > 8 ? 52 : 32,
        axisLabel: {
          formatter: function (value) { return weekLabel(value, dayMonth); },
          hideOverlap: true, rotate: weeks.length > 8 ? 45 : 0,
        },
      },
      yAxis: [
        { type: "value", min: 0, max: 100, name: data.text.attainment, axisLabel: { formatter: "{value} %" } },
        { type: "value", minInterval: 1, name: data.text.breached, splitLine: { show: false } },
      ],
      series: [
        { name: data.text.attainment, type: "line", data: data.trend.attainment, connectNulls: false,
          symbolSize: 8, tooltip: { valueFormatter: percent }, itemStyle: { color: "#2fb344" } },
        { name: data.text.breached, type: "bar", yAxisIndex: 1, data: data.trend.breached,
          itemStyle: { color: "#d63939" } },
      ],
    };
  }

  function services(data) {
    var many = data.services.labels.length > 4;
    return {
      grid: { left: 16, right: 16, top: 32, bottom: 24, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: percent },
      xAxis: {
        type: "category", data: data.services.labels, name: data.text.service, nameLocation: "middle",
        nameGap: many ? 64 : 28,
        // Every service named, slanted when many, long names cut with "…" (the table has them whole).
        axisLabel: { interval: 0, rotate: many ? 35 : 0, width: 96, overflow: "truncate", fontSize: 11 },
      },
      yAxis: { type: "value", min: 0, max: 100, name: data.text.attainment, axisLabel: { formatter: "{value} %" } },
      series: [{ name: data.text.attainment, type: "bar", data: data.services.attainment,
                 itemStyle: { color: "#206bc4" } }],
    };
  }

  function render(container, data) {
    var kind = container.dataset.slaChart;
    var option = null;
    if (kind === "trend" && data.trend.weeks.length) option = trend(data);
    if (kind === "services" && data.services.labels.length) option = services(data);
    if (!option) return;
    container.classList.add("sla-chart-ready");
    var chart = echarts.init(container, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // Choosing a day means a custom period: the period choice follows the date fields.
  function followDates() {
    var form = document.getElementById("sla-filters");
    if (!form || !form.elements.period) return;
    ["start", "end"].forEach(function (name) {
      var field = form.elements[name];
      if (field) field.addEventListener("change", function () { form.elements.period.value = "custom"; });
    });
  }

  function start() {
    followDates();
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-sla-chart]").forEach(function (container) {
      var source = document.getElementById(container.dataset.slaSource);
      if (!source) return;
      render(container, JSON.parse(source.textContent));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
