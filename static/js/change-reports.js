// Change report charts: read the numbers the page embeds with json_script (CSP-safe) and draw
// them with Apache ECharts. Every chart has a table beside or under it with the same numbers
// (for people without JavaScript or with a screen reader).
"use strict";

(function () {
  var BAR_COLOURS = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#868e96"];
  var LINE_COLOUR = "#d63939";

  function category(labels) {
    return { type: "category", data: labels, axisLabel: { fontSize: 11, hideOverlap: true } };
  }

  // Bars of counts with a percentage line on a second axis (success rate, emergency share).
  function combo(chart, text) {
    var series = chart.bars.map(function (bars, index) {
      return { name: bars.name, type: "bar", data: bars.values, itemStyle: { color: BAR_COLOURS[index] } };
    });
    series.push({ name: chart.line.name, type: "line", yAxisIndex: 1, connectNulls: false, data: chart.line.values,
                  itemStyle: { color: LINE_COLOUR } });
    return {
      grid: { left: 40, right: 44, top: 36, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: category(chart.labels),
      yAxis: [{ type: "value", minInterval: 1, name: text.changes, nameTextStyle: { align: "left" } },
              { type: "value", min: 0, max: 100, name: text.percent, splitLine: { show: false } }],
      series: series,
    };
  }

  // Bars side by side, or stacked when `stack` is given; a series may bring its own colour.
  // `counts`: whole numbers on the axis.
  function bars(chart, stack, axisName, counts) {
    return {
      grid: { left: 44, right: 12, top: 36, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: category(chart.labels),
      yAxis: { type: "value", minInterval: counts ? 1 : 0, name: axisName, nameTextStyle: { align: "left" } },
      series: chart.series.map(function (series, index) {
        return { name: series.name, type: "bar", stack: stack || undefined, data: series.values,
                 itemStyle: { color: series.colour || BAR_COLOURS[index % BAR_COLOURS.length] } };
      }),
    };
  }

  function option(kind, data) {
    switch (kind) {
      case "success": return combo(data.success, data.text);
      case "emergency": return combo(data.emergency, data.text);
      case "model_risk": return bars(data.model_risk, "risk", data.text.changes, true);
      case "lead_time": return bars(data.lead_time, null, data.text.hours, false);
      case "incidents": return bars(data.incidents, null, data.text.changes, true);
      case "unauthorised": return bars(data.unauthorised, null, "", true);
      case "overrides": return bars(data.overrides, null, "", true);
      default: return null;
    }
  }

  function render(container, data) {
    var chosen = option(container.dataset.reportChart, data);
    if (!chosen) return;
    container.classList.add("report-chart-ready");
    var chart = echarts.init(container, null, { renderer: "svg" });
    chart.setOption(chosen);
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
