/* Role-play player and end page.
 * - keeps the current turn in view and sends the typed line with Ctrl+Enter;
 * - disables the answer buttons once one is sent (the server also ignores repeats);
 * - draws the score-per-dimension chart from <script type="application/json" id="roleplay-scores-data">. */
(function () {
  "use strict";

  var form = document.querySelector("[data-roleplay-answer]");
  if (form) {
    var turn = document.getElementById("turn");
    if (turn && turn.scrollIntoView) { turn.scrollIntoView({block: "center"}); }
    var text = form.querySelector("textarea");
    if (text) {
      text.focus({preventScroll: true});
      text.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && text.value.trim()) {
          event.preventDefault();
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        }
      });
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      /* Disable after the browser has read the pressed button's name/value. */
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }

  var canvas = document.querySelector("canvas[data-chart='roleplay-scores']");
  var source = document.getElementById("roleplay-scores-data");
  if (canvas && source && window.Chart) {
    var data = JSON.parse(source.textContent);
    var values = data.values.map(function (v) { return v === null ? null : Math.round(v * 100); });
    var colours = values.map(function (v) {
      if (v === null) { return "rgba(108, 117, 125, 0.4)"; }
      return v >= 80 ? "rgba(25, 135, 84, 0.8)" : (v >= 50 ? "rgba(255, 193, 7, 0.85)" : "rgba(220, 53, 69, 0.8)");
    });
    new window.Chart(canvas, {
      type: "bar",
      data: {labels: data.labels, datasets: [{label: data.label, data: values, backgroundColor: colours, borderRadius: 4}]},
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: {duration: 400},
        scales: {x: {min: 0, max: 100, ticks: {callback: function (v) { return v + " %"; }}}},
        plugins: {legend: {display: false}}
      }
    });
  }
})();
