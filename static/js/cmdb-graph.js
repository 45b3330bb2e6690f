// The CMDB impact graph: reads the JSON that the page embeds with json_script (CSP-safe) and
// draws it with Apache ECharts. The table under the graph lists the same CIs (and is what
// people without JavaScript, or with a screen reader, use).
"use strict";

(function () {
  var LABELS_UP_TO = 60; // beyond this many nodes, labels show on hover only
  var COLUMN_GAP = 220;
  var ROW_GAP = 34;
  var COLOURS = { start: "#d63939", service: "#ae3ec9", component: "#206bc4" };

  function layered(nodes) {
    // Columns by depth, rows in number order: a layout that stays readable at 200+ nodes.
    var layers = {};
    nodes.forEach(function (node) {
      (layers[node.depth] = layers[node.depth] || []).push(node);
    });
    var tallest = 0;
    Object.keys(layers).forEach(function (depth) {
      var layer = layers[depth].sort(function (a, b) { return a.number < b.number ? -1 : 1; });
      tallest = Math.max(tallest, layer.length);
      layer.forEach(function (node, index) {
        node.x = Number(depth) * COLUMN_GAP;
        node.y = (index - (layer.length - 1) / 2) * ROW_GAP;
      });
    });
    return tallest;
  }

  function render(container) {
    var source = document.getElementById(container.dataset.graphSource);
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.nodes.length) return;
    var tallest = layered(data.nodes);
    var many = data.nodes.length > LABELS_UP_TO;
    // Tall enough for the tallest column, within reason; the chart zooms and pans beyond that.
    container.style.height = Math.max(320, Math.min(900, tallest * (many ? 14 : ROW_GAP) + 80)) + "px";
    container.classList.add("impact-graph-ready");
    var labels = data.labels;
    var categories = [
      { name: labels.start, itemStyle: { color: COLOURS.start } },
      { name: labels.service, itemStyle: { color: COLOURS.service } },
      { name: labels.component, itemStyle: { color: COLOURS.component } },
    ];
    var nodes = data.nodes.map(function (node) {
      var start = node.id === data.start;
      return {
        id: String(node.id),
        name: node.number + " " + node.name,
        x: node.x,
        y: node.y,
        value: node.type,
        category: start ? 0 : node.is_service ? 1 : 2,
        symbol: node.is_service ? "roundRect" : "circle",
        symbolSize: start ? 22 : many ? 9 : 14,
        label: { show: start || !many },
        url: node.url,
        ciId: node.id,
      };
    });
    var edges = data.edges.map(function (edge) {
      return { source: String(edge.source), target: String(edge.target), value: edge.type_label };
    });
    var chart = echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      animation: !many,
      // Rich-text tooltips are drawn on the canvas: no HTML with inline styles (CSP).
      tooltip: {
        renderMode: "richText",
        formatter: function (params) {
          if (params.dataType === "edge") {
            return params.data.source === params.data.target ? "" : params.data.value;
          }
          return params.data.name + "\n" + params.data.value;
        },
      },
      legend: { data: categories.map(function (c) { return c.name; }), top: 0 },
      series: [{
        type: "graph",
        layout: "none",
        roam: true,
        draggable: false,
        categories: categories,
        data: nodes,
        links: edges,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: [0, 7],
        lineStyle: { color: "#9aa0ac", width: 1, opacity: many ? 0.5 : 0.8, curveness: 0.08 },
        label: { position: "right", fontSize: 11, formatter: "{b}" },
        emphasis: { focus: "adjacency", label: { show: true }, lineStyle: { width: 2 } },
        top: 30, bottom: 10, left: 10, right: 140,
      }],
    });
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.ciId !== data.start) {
        window.location.href = container.dataset.ciUrl.replace("/0/", "/" + params.data.ciId + "/");
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-graph-source]").forEach(render);
})();
