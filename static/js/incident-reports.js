// Incident report charts: read the numbers the page embeds with json_script (CSP-safe) and draw
// them with Apache ECharts. Every chart has a table under it with the same numbers (for people
// without JavaScript or with a screen reader).
"use strict";

(function () {
  var PRIORITY_COLOURS = ["#d63939", "#f76707", "#f59f00", "#4299e1", "#868e96"];

  function bars(labels, values, name, colours) {
    return {
      grid: { left: 36, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        name: name, type: "bar", data: values.map(function (value, index) {
          return colours ? { value: value, itemStyle: { color: colours[index % colours.length] } } : value;
        }),
      }],
    };
  }

  function lines(resolution, name) {
    return {
      grid: { left: 44, right: 12, top: 32, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: resolution.months },
      yAxis: { type: "value", name: name, nameTextStyle: { align: "left" } },
      series: resolution.series.map(function (line) {
        var index = parseInt(line.name.replace("P", ""), 10) - 1;
        return { name: line.name, type: "line", connectNulls: false, data: line.values,
                 itemStyle: { color: PRIORITY_COLOURS[index] || undefined } };
      }),
    };
  }

  function render(container, data) {
    var kind = container.dataset.reportChart;
    var option = null;
    if (kind === "priority") option = bars(data.priority.labels, data.priority.values, data.text.open, PRIORITY_COLOURS);
    if (kind === "age") option = bars(data.age.labels, data.age.values, data.text.open, null);
    if (kind === "resolution") {
      if (!data.resolution.months.length) return;
      option = lines(data.resolution, data.text.mean);
    }
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
