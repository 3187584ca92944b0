/* Scenario studio: charts of the scenario analytics and A/B test result pages.
 * Data comes from <script type="application/json"> blocks (the CSP forbids inline scripts). */
(function () {
  "use strict";

  var BLUE = "rgba(13, 110, 253, 0.75)";
  var GREEN = "rgba(25, 135, 84, 0.75)";
  var PURPLE = "rgba(111, 66, 193, 0.75)";
  var ORANGE = "rgba(253, 126, 20, 0.8)";
  var OUTCOME_COLOURS = { won: "rgba(25, 135, 84, 0.8)", lost: "rgba(220, 53, 69, 0.8)" };
  var SERIES = [BLUE, ORANGE, GREEN, PURPLE, "rgba(32, 201, 151, 0.8)", "rgba(214, 51, 132, 0.8)"];

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") { return null; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    return new Chart(canvas, config);
  }

  var countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  /* Draw [low, high] whiskers over bars of datasets that carry them (confidence intervals). */
  var whiskers = {
    id: "whiskers",
    afterDatasetsDraw: function (c) {
      var ctx = c.ctx, scale = c.scales.y;
      ctx.save();
      ctx.strokeStyle = "#212529";
      ctx.lineWidth = 1.5;
      c.data.datasets.forEach(function (ds, i) {
        var meta = c.getDatasetMeta(i);
        if (!ds.intervals || meta.hidden) { return; }
        meta.data.forEach(function (bar, j) {
          var iv = ds.intervals[j];
          if (!iv) { return; }
          var y1 = scale.getPixelForValue(iv[0]), y2 = scale.getPixelForValue(iv[1]);
          var cap = Math.min(6, (bar.width || 12) / 4);
          ctx.beginPath();
          ctx.moveTo(bar.x, y1); ctx.lineTo(bar.x, y2);
          ctx.moveTo(bar.x - cap, y1); ctx.lineTo(bar.x + cap, y1);
          ctx.moveTo(bar.x - cap, y2); ctx.lineTo(bar.x + cap, y2);
          ctx.stroke();
        });
      });
      ctx.restore();
    }
  };

  /* New test form: the team pickers matter only for a split by team. */
  var teams = document.querySelector("[data-split-teams]");
  if (teams) {
    var radios = document.querySelectorAll("input[name=split]");
    var showTeams = function () {
      var picked = document.querySelector("input[name=split]:checked");
      teams.hidden = !picked || picked.value !== "team";
    };
    radios.forEach(function (r) { r.addEventListener("change", showTeams); });
    showTeams();
  }

  var analytics = readJson("studio-analytics-data");
  if (analytics) {
    chart("analytics-outcomes-chart", {
      type: "bar",
      data: {
        labels: analytics.outcomes.labels,
        datasets: [{
          label: analytics.outcomes.label, data: analytics.outcomes.counts,
          backgroundColor: analytics.outcomes.keys.map(function (k) { return OUTCOME_COLOURS[k] || "rgba(13, 202, 240, 0.8)"; })
        }]
      },
      options: { plugins: { legend: { display: false } }, scales: { y: countAxis } }
    });
    chart("analytics-scores-chart", {
      type: "bar",
      data: { labels: analytics.scores.labels, datasets: [{ label: analytics.scores.label, data: analytics.scores.counts, backgroundColor: PURPLE }] },
      options: { plugins: { legend: { display: false } }, scales: { y: countAxis } }
    });
    chart("analytics-dimensions-chart", {
      type: "bar",
      data: {
        labels: analytics.dimensions.labels,
        datasets: [
          { label: analytics.dimensions.facilityLabel, data: analytics.dimensions.facility, backgroundColor: BLUE },
          { label: analytics.dimensions.discriminationLabel, data: analytics.dimensions.discrimination, backgroundColor: GREEN }
        ]
      },
      options: { scales: { y: { min: -100, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
    chart("analytics-dimension-scores-chart", {
      type: "bar",
      data: {
        labels: analytics.dimensionScores.labels,
        datasets: analytics.dimensionScores.series.map(function (s, i) {
          return { label: s.label, data: s.counts, backgroundColor: SERIES[i % SERIES.length] };
        })
      },
      options: { scales: { y: countAxis } }
    });
  }

  var results = readJson("experiment-results-data");
  if (results) {
    var variantColours = [BLUE, ORANGE];
    chart("experiment-rates-chart", {
      type: "bar",
      data: {
        labels: results.rates.labels,
        datasets: results.rates.series.map(function (s, i) {
          return { label: s.label, data: s.values, intervals: s.intervals, backgroundColor: variantColours[i] };
        })
      },
      plugins: [whiskers],
      options: { scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
    chart("experiment-scores-chart", {
      type: "bar",
      data: {
        labels: results.scores.labels,
        datasets: results.scores.series.map(function (s, i) {
          return { label: s.label, data: s.values, backgroundColor: variantColours[i] };
        })
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } } },
        plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + ctx.parsed.y + " %"; } } } }
      }
    });
  }
})();
