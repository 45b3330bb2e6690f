// The CMDB impact graph: reads the JSON that the page embeds with json_script (CSP-safe) and
// draws it with Apache ECharts. The table under the graph lists the same CIs (and is what
// people without JavaScript, or with a screen reader, use).
"use strict";

(function () {
  var LABELS_UP_TO = 60; // beyond this many nodes, labels show on hover only
  var ROW_GAP = 24; // pixels per row while the graph is small; denser rows for tall columns
  var MARGIN = { top: 34, bottom: 12, left: 16, right: 150 };
  var MAX_ROWS = 75; // a taller layer is laid out in several columns side by side
  var COLOURS = { start: "#d63939", service: "#ae3ec9", component: "#206bc4" };

  function layered(nodes) {
    // Columns by depth. Within a column, each CI sits next to the CI it was reached from
    // (the previous step of its path), so edges run mostly straight: readable at 200+ nodes.
    var layers = {};
    nodes.forEach(function (node) {
      (layers[node.depth] = layers[node.depth] || []).push(node);
    });
    var rank = {};
    var tallest = 0;
    var column = 0;
    Object.keys(layers).map(Number).sort(function (a, b) { return a - b; }).forEach(function (depth) {
      var layer = layers[depth];
      layer.forEach(function (node) {
        var parent = node.path.length > 1 ? node.path[node.path.length - 2] : null;
        node.parentRank = parent in rank ? rank[parent] : -1;
      });
      layer.sort(function (a, b) {
        return a.parentRank - b.parentRank || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0);
      });
      var columns = Math.ceil(layer.length / MAX_ROWS);
      var rows = Math.ceil(layer.length / columns);
      tallest = Math.max(tallest, rows);
      layer.forEach(function (node, index) {
        rank[node.id] = index;
        node.column = column + Math.floor(index / rows);
        node.row = (index % rows) - (rows - 1) / 2;
      });
      column += columns;
    });
    return { tallest: tallest, columns: column };
  }

  function place(nodes, shape, width, height) {
    // Pixel positions that fill the drawing area exactly, so ECharts scales both axes alike
    // (otherwise round symbols turn into ellipses).
    var usableWidth = width - MARGIN.left - MARGIN.right;
    var usableHeight = height - MARGIN.top - MARGIN.bottom;
    var columnGap = shape.columns > 1 ? usableWidth / (shape.columns - 1) : 0;
    var rowGap = shape.tallest > 1 ? usableHeight / (shape.tallest - 1) : 0;
    nodes.forEach(function (node) {
      node.x = node.column * columnGap;
      node.y = node.row * rowGap;
    });
  }

  function render(container) {
    var source = document.getElementById(container.dataset.graphSource);
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.nodes.length) return;
    var shape = layered(data.nodes);
    var many = data.nodes.length > LABELS_UP_TO;
    // Tall enough for the tallest column, within reason; the chart zooms and pans beyond that.
    var height = Math.max(320, Math.min(900, shape.tallest * ROW_GAP + MARGIN.top + MARGIN.bottom));
    container.style.height = height + "px";
    container.classList.add("impact-graph-ready");
    place(data.nodes, shape, container.clientWidth, height);
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
        symbolSize: start ? 18 : many ? 7 : 12,
        label: { show: start || !many },
        url: node.url,
        ciId: node.id,
      };
    });
    // Two invisible corner points make the data span the whole drawing area, so the scale is
    // the same on both axes also for a single CI or a single column.
    var halfHeight = (height - MARGIN.top - MARGIN.bottom) / 2;
    [[0, -halfHeight], [container.clientWidth - MARGIN.left - MARGIN.right, halfHeight]].forEach(function (corner, index) {
      nodes.push({
        id: "corner-" + index, name: "", x: corner[0], y: corner[1], symbolSize: 0, silent: true,
        label: { show: false }, tooltip: { show: false }, itemStyle: { opacity: 0 }, emphasis: { disabled: true },
      });
    });
    var edges = data.edges.map(function (edge) {
      return { source: String(edge.source), target: String(edge.target), value: edge.type_label };
    });
    // ECharts' own texts (none shown today, but zoom and data tools have them) follow the page.
    var locale = /^zh/i.test(document.documentElement.lang) ? "ZH" : "EN";
    var chart = echarts.init(container, null, { renderer: "canvas", locale: locale });
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
        // Symbols keep their size whatever the zoom and the graph's proportions.
        nodeScaleRatio: 0,
        lineStyle: { color: "#9aa0ac", width: 1, opacity: many ? 0.5 : 0.8, curveness: many ? 0 : 0.08 },
        label: { position: "right", fontSize: 11, formatter: "{b}" },
        emphasis: { focus: "adjacency", label: { show: true }, lineStyle: { width: 2 } },
        top: MARGIN.top, bottom: MARGIN.bottom, left: MARGIN.left, right: MARGIN.right,
      }],
    });
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.ciId && params.data.ciId !== data.start) {
        window.location.href = container.dataset.ciUrl.replace("/0/", "/" + params.data.ciId + "/");
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-graph-source]").forEach(render);
})();
