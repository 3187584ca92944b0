/* Scenario studio node editor: show only the section (choices, free text, ending) of the chosen type.
 * Without JavaScript every section shows and the server reads the chosen type. */
(function () {
  "use strict";

  var form = document.querySelector("[data-node-form]");
  if (!form) { return; }
  var radios = form.querySelectorAll("input[data-way]");
  function update() {
    var chosen = form.querySelector("input[data-way]:checked");
    form.querySelectorAll("[data-way-section]").forEach(function (section) {
      section.hidden = chosen ? section.getAttribute("data-way-section") !== chosen.value : false;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
