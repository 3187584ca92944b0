/* Scenario studio node editor.
 * - Show only the section (choices, free text, ending) of the chosen type. Without JavaScript every
 *   section shows and the server reads the chosen type.
 * - "Add branch" copies the list's empty-row <template> with the next index, so several score-conditional
 *   branches can be added in one save. Without JavaScript the button stays hidden and the one empty row
 *   the server renders adds a branch per save. */
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

  function addBranch(list) {
    var template = list.querySelector("template[data-branch-template]");
    var rows = list.querySelector("[data-branch-rows]");
    var index = parseInt(list.getAttribute("data-next-index"), 10) || 0;
    var row = template.content.firstElementChild.cloneNode(true);
    ["name", "id", "for"].forEach(function (attr) {
      row.querySelectorAll("[" + attr + "]").forEach(function (el) {
        el.setAttribute(attr, el.getAttribute(attr).split("__index__").join(String(index)));
      });
    });
    var title = row.querySelector("[data-branch-title]");
    var count = rows.querySelectorAll("[data-branch-row]").length + 1;
    title.textContent = list.getAttribute("data-title").split("__n__").join(String(count)) + title.textContent;
    rows.appendChild(row);
    list.setAttribute("data-next-index", String(index + 1));
    var first = row.querySelector("select, input");
    if (first) { first.focus(); }
  }

  form.querySelectorAll("[data-branch-list]").forEach(function (list) {
    var button = list.querySelector("[data-add-branch]");
    if (!button || !list.querySelector("template[data-branch-template]")) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { addBranch(list); });
  });
})();
