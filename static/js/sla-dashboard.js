// SLA dashboard charts: read the numbers the page embeds with json_script (CSP-safe) and draw
// them with Apache ECharts (served from static/vendor). Every chart has a table with the same
// numbers next to it.
"use strict";

(function () {
  function trend(data) {
    return {
      grid: { left: 44, right: 44, top: 32, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.trend.weeks },
      yAxis: [
        { type: "value", min: 0, max: 100, name: "%" },
        { type: "value", minInterval: 1 },
      ],
      series: [
        { name: data.text.attainment, type: "line", data: data.trend.attainment, connectNulls: false,
          itemStyle: { color: "#2fb344" } },
        { name: data.text.breached, type: "bar", yAxisIndex: 1, data: data.trend.breached,
          itemStyle: { color: "#d63939" } },
      ],
    };
  }

  function services(data) {
    return {
      grid: { left: 44, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.services.labels, axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", min: 0, max: 100 },
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
