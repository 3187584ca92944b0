/* Deal insights: draw behaviour-importance charts with 95 % interval whiskers.
 * Data comes from <script type="application/json" id="..."> named by the canvas's data-chart. */
(function () {
  "use strict";

  var GREEN = "rgba(25, 135, 84, ALPHA)";
  var RED = "rgba(220, 53, 69, ALPHA)";
  var GREY = "rgba(108, 117, 125, ALPHA)";

  function colour(direction, alpha) {
    var base = direction === "+" ? GREEN : direction === "-" ? RED : GREY;
    return base.replace("ALPHA", String(alpha));
  }

  /* Draw each bar's interval as a horizontal whisker with end caps. */
  var whiskers = {
    id: "whiskers",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var scale = chart.scales.x;
      ctx.save();
      ctx.strokeStyle = "#212529";
      ctx.lineWidth = 1.5;
      chart.data.datasets.forEach(function (ds, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) { return; }
        meta.data.forEach(function (bar, j) {
          var low = ds.low[j], high = ds.high[j];
          if (low === null || high === null || low === undefined || high === undefined) { return; }
          var x1 = scale.getPixelForValue(low), x2 = scale.getPixelForValue(high);
          var y = bar.y, cap = Math.min(6, (bar.height || 12) / 3);
          ctx.beginPath();
          ctx.moveTo(x1, y); ctx.lineTo(x2, y);
          ctx.moveTo(x1, y - cap); ctx.lineTo(x1, y + cap);
          ctx.moveTo(x2, y - cap); ctx.lineTo(x2, y + cap);
          ctx.stroke();
        });
      });
      ctx.restore();
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var several = data.datasets.length > 1;
    var datasets = data.datasets.map(function (ds, i) {
      var alpha = several && i === 0 ? 0.35 : 0.75;
      return {
        label: ds.label,
        data: ds.values,
        low: ds.low,
        high: ds.high,
        backgroundColor: ds.directions.map(function (d) { return colour(d, alpha); }),
        borderColor: ds.directions.map(function (d) { return colour(d, 1); }),
        borderWidth: 1
      };
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      plugins: [whiskers],
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            title: { display: true, text: canvas.dataset.axis || "" },
            suggestedMin: Math.min(0, Math.min.apply(null, data.datasets.flatMap(function (d) { return d.low.filter(function (v) { return v !== null; }); }))),
            suggestedMax: Math.max.apply(null, data.datasets.flatMap(function (d) { return d.high.filter(function (v) { return v !== null; }); }).concat([0.01]))
          },
          y: { ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { display: several },
          tooltip: {
            callbacks: {
              label: function (item) {
                var ds = item.dataset, j = item.dataIndex;
                if (ds.data[j] === null) { return ds.label + ": –"; }
                return ds.label + ": " + ds.data[j].toFixed(3) + " [" + ds.low[j].toFixed(3) + ", " + ds.high[j].toFixed(3) + "]";
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
