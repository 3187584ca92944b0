/* The mentor workspace's charts: sparklines on the mentees list, score charts on a mentee's page. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  const palette = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];

  function sparkline(canvas) {
    let values;
    try { values = JSON.parse(canvas.dataset.sparkline || "[]"); } catch (e) { return; }
    if (!values.length) { return; }
    new Chart(canvas, {
      type: "line",
      data: { labels: values.map((_, i) => i + 1), datasets: [{ data: values, borderColor: palette[0], borderWidth: 1.5, pointRadius: values.length === 1 ? 2 : 0, tension: 0.3, fill: false }] },
      options: {
        responsive: false, animation: false, events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false, min: 0, max: 100 } }
      }
    });
  }

  function timeChart(canvas, datasets) {
    const labels = Array.from(new Set(datasets.flatMap((d) => d.points.map((p) => p[0])))).sort();
    new Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: datasets.map((d, i) => {
          const byDay = new Map(d.points.map((p) => [p[0], p[1]]));
          return { label: d.label, data: labels.map((l) => (byDay.has(l) ? byDay.get(l) : null)), spanGaps: true, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], tension: 0.25 };
        })
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + " %" } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  document.querySelectorAll("canvas[data-sparkline]").forEach(sparkline);

  const source = document.getElementById("mentor-chart-data");
  if (!source) { return; }
  const data = JSON.parse(source.textContent);
  const scores = document.getElementById("mentor-scores");
  if (scores) {
    timeChart(scores, [
      { label: data.labels.quiz, points: data.quiz },
      { label: data.labels.play, points: data.play }
    ].filter((d) => d.points.length));
  }
  const dims = document.getElementById("mentor-dimensions");
  if (dims) {
    timeChart(dims, Object.entries(data.dimensions).map(([name, points]) => ({ label: name.replace(/_/g, " "), points: points })));
  }
})();
