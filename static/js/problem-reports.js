// Problem report charts: read the numbers the page embeds with json_script (CSP-safe) and draw
// them with Apache ECharts. Every chart has a table under it with the same numbers (for people
// without JavaScript or with a screen reader).
"use strict";

(function () {
  var PRIORITY_COLOURS = ["#d63939", "#f76707", "#f59f00", "#4299e1", "#868e96"];
  var KNOWN_ERROR_COLOURS = ["#f59f00", "#d63939"];

  function stacked(chart, name, colours) {
    return {
      grid: { left: 36, right: 12, top: 32, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: chart.labels, axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: chart.series.map(function (series, index) {
        return { name: series.name, type: "bar", stack: name, data: series.values,
                 itemStyle: { color: colours[index % colours.length] } };
      }),
    };
  }

  function bars(chart, name) {
    return {
      grid: { left: 36, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: chart.labels, axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: name, type: "bar", data: chart.values }],
    };
  }

  function lines(times, name) {
    return {
      grid: { left: 44, right: 12, top: 32, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: times.months },
      yAxis: { type: "value", name: name, nameTextStyle: { align: "left" } },
      series: times.series.map(function (line) {
        return { name: line.name, type: "line", connectNulls: false, data: line.values };
      }),
    };
  }

  function render(container, data) {
    var kind = container.dataset.reportChart;
    var option = null;
    if (kind === "age") option = stacked(data.age, "age", PRIORITY_COLOURS);
    if (kind === "times") option = lines(data.times, data.text.days);
    if (kind === "incidents") option = bars(data.incidents, data.text.problems);
    if (kind === "known_errors") option = stacked(data.known_errors, "known_errors", KNOWN_ERROR_COLOURS);
    if (!option) return;
    container.classList.add("report-chart-ready");
    var chart = echarts.init(container, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-report-chart]").forEach(function (container) {
      var source = document.getElementById(container.dataset.reportSource);
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
