// Quiz pages: attempt timer, single submission, question editor, statistics charts.
(function () {
  "use strict";

  // Buttons marked data-once disable themselves after the first click: a double click sends one request.
  // The server is idempotent anyway; this only spares the learner a second round trip.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.hasAttribute("data-once")) return;
      if (button.dataset.sent) { event.preventDefault(); return; }
      button.dataset.sent = "1";
      if (button.name) {
        var copy = document.createElement("input");
        copy.type = "hidden"; copy.name = button.name; copy.value = button.value;
        form.appendChild(copy);
      }
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });

  // Countdown to the server's deadline; at zero the form is submitted (the server grades what was saved in time).
  var timer = document.querySelector("[data-deadline]");
  if (timer) {
    var deadline = Date.parse(timer.dataset.deadline);
    var skew = Date.parse(timer.dataset.now) - Date.now();
    var label = timer.querySelector("[data-remaining]");
    var form = document.getElementById("attempt-form");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      label.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 60) timer.classList.replace("text-bg-dark", "text-bg-danger");
      if (left === 0 && form && !form.dataset.autoSent) {
        form.dataset.autoSent = "1";
        var action = document.createElement("input");
        action.type = "hidden"; action.name = "action"; action.value = "submit";
        form.appendChild(action);
        form.submit();
        return;
      }
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  // Question editor: show the fields of the chosen type only.
  var editor = document.querySelector("[data-question-form]");
  if (editor) {
    var typeSelect = editor.querySelector("select[name=type]");
    var apply = function () {
      var kind = typeSelect.value;
      editor.querySelectorAll("[data-show-for]").forEach(function (el) {
        el.hidden = el.dataset.showFor.split(" ").indexOf(kind) < 0;
      });
      editor.querySelectorAll("[data-help-for]").forEach(function (el) { el.hidden = el.dataset.helpFor !== kind; });
    };
    typeSelect.addEventListener("change", apply);
    apply();
  }

  // Quiz settings: fixed questions or a random draw.
  var settings = document.querySelector("[data-quiz-settings]");
  if (settings) {
    var mode = settings.querySelector("select[name=mode]");
    if (mode) {
      var showMode = function () {
        settings.querySelectorAll("[data-show-mode]").forEach(function (el) { el.hidden = el.dataset.showMode !== mode.value; });
      };
      mode.addEventListener("change", showMode);
      showMode();
    }
  }

  // Statistics charts, from the JSON block the page carries.
  var dataBlock = document.getElementById("quiz-stats-data");
  if (dataBlock && window.Chart) {
    var data = JSON.parse(dataBlock.textContent);
    new window.Chart(document.getElementById("quiz-question-chart"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.facilityLabel, data: data.facility, backgroundColor: "rgba(13,110,253,0.7)" },
          { label: data.discriminationLabel, data: data.discrimination, backgroundColor: "rgba(25,135,84,0.7)" }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: { min: -100, max: 100 } } }
    });
    new window.Chart(document.getElementById("quiz-score-chart"), {
      type: "bar",
      data: { labels: data.histogramLabels, datasets: [{ label: data.attemptsLabel, data: data.histogram, backgroundColor: "rgba(111,66,193,0.7)" }] },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
