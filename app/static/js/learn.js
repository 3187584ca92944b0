// Course library: progress charts, the lesson editor's server-rendered preview, and the print button.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function barChart(canvas, data, options) {
    if (!window.Chart || !data) { return; }
    var datasets = data.series ? data.series.map(function (s, i) {
      return { label: s.label, data: s.values, backgroundColor: i === 0 ? "#0d6efd" : "#dc3545" };
    }) : [{ label: data.label, data: data.values, backgroundColor: ["#0d6efd", "#6610f2", "#198754"] }];
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: Object.assign({
        responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: !!data.series } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
      }, options || {})
    });
  }

  function drawCharts() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.getAttribute("data-chart");
      var data = readJson(kind + "-data");
      if (kind === "learn-progress") {
        barChart(canvas, data, { indexAxis: "y", scales: { x: { min: 0, max: 100 } } });
      } else if (kind === "learn-funnel") {
        barChart(canvas, data, { indexAxis: "y" });
      } else if (kind === "learn-stops") {
        barChart(canvas, data, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
      }
    });
  }

  function lessonPreview(form) {
    var body = form.querySelector("textarea[name=body]");
    var pane = form.querySelector("[data-preview]");
    var status = form.querySelector("[data-preview-status]");
    var token = form.querySelector("input[name=csrf_token]");
    var url = form.getAttribute("data-preview-url");
    var timer = null;
    if (!body || !pane || !url) { return; }
    function refresh() {
      var payload = new URLSearchParams();
      payload.set("body", body.value);
      if (status) { status.textContent = "…"; }
      fetch(url, {
        method: "POST", body: payload, credentials: "same-origin",
        headers: token ? { "X-CSRFToken": token.value } : {}
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (data) {
        pane.innerHTML = data.html;  // already sanitised by the server (nh3)
        if (status) { status.textContent = ""; }
      }).catch(function () {
        if (status) { status.textContent = "⚠"; }
      });
    }
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }

  function ready() {
    drawCharts();
    document.querySelectorAll("form[data-lesson-editor]").forEach(lessonPreview);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
