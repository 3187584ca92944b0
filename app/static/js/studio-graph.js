/* Scenario studio: draw a scenario's conversation graph with cytoscape.
 * Any element with data-studio-graph="<id of a JSON script block>" gets a graph of
 * {nodes: [{id, label, kind, outcome, start, problems, unreachable, dead_end, fail_rate}],
 *  edges: [{source, target, label, conditional}]} (app.services.studio.graph_data).
 * data-node-url (with __KEY__) makes a node click open that node's editor.
 * When any node has a fail_rate, nodes are shaded from white (0) to red (1). */
(function () {
  "use strict";

  var OUTCOME = {won: "#198754", lost: "#dc3545"};
  var KIND = {node: "#e7f1ff", free_text: "#fff3cd", missing: "#f8f9fa"};

  function failColour(rate) {
    var r = Math.max(0, Math.min(1, rate));
    var g = Math.round(255 - 200 * r);
    return "rgb(255," + g + "," + g + ")";
  }

  function colour(node, shaded) {
    if (node.kind === "end") { return OUTCOME[node.outcome] || "#0dcaf0"; }
    if (shaded) { return node.fail_rate === null || node.fail_rate === undefined ? "#f8f9fa" : failColour(node.fail_rate); }
    return KIND[node.kind] || KIND.node;
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-studio-graph"));
    if (!source || !window.cytoscape) { return; }
    var data = JSON.parse(source.textContent);
    var shaded = data.nodes.some(function (n) { return n.fail_rate !== null && n.fail_rate !== undefined; });
    var elements = [];
    data.nodes.forEach(function (n) {
      var label = n.label;
      if (shaded && n.fail_rate !== null && n.fail_rate !== undefined) {
        label += "\n" + Math.round(n.fail_rate * 100) + " %";
      }
      var classes = [n.kind];
      if (n.problems) { classes.push("problem"); }
      if (n.unreachable) { classes.push("unreachable"); }
      if (n.dead_end) { classes.push("dead-end"); }
      if (n.start) { classes.push("start"); }
      elements.push({group: "nodes", data: {id: n.id, label: label, bg: colour(n, shaded), kind: n.kind},
                     classes: classes.join(" ")});
    });
    data.edges.forEach(function (e, i) {
      elements.push({group: "edges", data: {id: "e" + i, source: e.source, target: e.target, label: e.label},
                     classes: e.conditional ? "conditional" : ""});
    });
    var starts = data.nodes.filter(function (n) { return n.start; }).map(function (n) { return n.id; });
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      wheelSensitivity: 0.3,
      minZoom: 0.2,
      maxZoom: 2.5,
      style: [
        {selector: "node", style: {
          "shape": "round-rectangle", "background-color": "data(bg)", "label": "data(label)",
          "text-valign": "center", "text-halign": "center", "text-wrap": "wrap", "text-max-width": "110px",
          "font-size": "11px", "width": "label", "height": "label", "padding": "10px",
          "border-width": 1, "border-color": "#6c757d", "color": "#212529"}},
        {selector: "node.end", style: {"shape": "ellipse", "color": "#fff", "font-weight": "bold"}},
        {selector: "node.start", style: {"border-width": 3, "border-color": "#0d6efd"}},
        {selector: "node.missing", style: {"border-style": "dashed", "color": "#6c757d"}},
        {selector: "node.dead-end", style: {"border-width": 3, "border-style": "dotted", "border-color": "#fd7e14"}},
        {selector: "node.unreachable", style: {"opacity": 0.55, "border-style": "dashed", "border-width": 2}},
        {selector: "node.problem", style: {"border-width": 3, "border-color": "#dc3545"}},
        {selector: "edge", style: {
          "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5, "line-color": "#adb5bd",
          "target-arrow-color": "#adb5bd", "label": "data(label)", "font-size": "9px", "color": "#495057",
          "text-wrap": "ellipsis", "text-max-width": "120px", "text-background-color": "#fff",
          "text-background-opacity": 0.85, "text-background-padding": "2px", "text-rotation": "autorotate"}},
        {selector: "edge.conditional", style: {"line-style": "dashed", "line-color": "#6f42c1",
                                               "target-arrow-color": "#6f42c1", "color": "#6f42c1"}}
      ],
      layout: {name: "breadthfirst", directed: true, roots: starts.length ? starts : undefined, spacingFactor: 1.1,
               padding: 20, avoidOverlap: true}
    });
    var url = container.getAttribute("data-node-url");
    if (url) {
      cy.on("tap", "node", function (event) {
        var node = event.target;
        if (node.data("kind") === "missing") { return; }
        window.location.href = url.replace("__KEY__", encodeURIComponent(node.id()));
      });
      cy.on("mouseover", "node", function () { container.style.cursor = "pointer"; });
      cy.on("mouseout", "node", function () { container.style.cursor = ""; });
    }
    container.setAttribute("data-ready", "1");
  }

  document.querySelectorAll("[data-studio-graph]").forEach(draw);
})();
