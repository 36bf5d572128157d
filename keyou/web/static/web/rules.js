// The rule editor: show the inputs that fit the choices made, add rows, confirm deletes.
// Every input is on the page without this script too; it only hides what does not apply.
(function () {
  "use strict";

  function showIf(element, visible) {
    element.hidden = !visible;
  }

  // "after N" and the schedule belong to some triggers only.
  function applyTrigger(editor) {
    var select = editor.querySelector("select[data-rule-trigger]");
    if (!select) return;
    editor.querySelectorAll("[data-trigger-only]").forEach(function (element) {
      var triggers = element.getAttribute("data-trigger-only").split(" ");
      showIf(element, triggers.indexOf(select.value) !== -1);
    });
  }

  // "is set" takes no value.
  function applyOp(row) {
    var op = row.querySelector("select[data-rule-op]");
    var value = row.querySelector("[data-rule-value]");
    var rows = row.closest("[data-no-value-ops]");
    if (!op || !value || !rows) return;
    var noValue = rows.getAttribute("data-no-value-ops").split(" ");
    showIf(value, noValue.indexOf(op.value) === -1);
  }

  // An action row shows the parameters of its type only.
  function applyAction(row) {
    var select = row.querySelector("select[data-rule-action]");
    if (!select) return;
    row.querySelectorAll("[data-action-params]").forEach(function (group) {
      showIf(group, group.getAttribute("data-action-params") === select.value);
    });
  }

  // A person is one of the named roles, or someone typed as user:, team: or lead:.
  function applyPerson(select) {
    var other = select.parentElement.querySelector("[data-person-other]");
    if (other) showIf(other, select.value === "other");
  }

  // A removed row stays in the form (its "remove" box is ticked) but is dimmed.
  function applyRemove(box) {
    var row = box.closest("[data-row]");
    if (row) row.classList.toggle("rule-row-removed", box.checked);
  }

  function applyRow(row) {
    applyOp(row);
    applyAction(row);
    row.querySelectorAll("select[data-rule-person]").forEach(applyPerson);
  }

  function addRow(prefix) {
    var template = document.getElementById(prefix + "-empty");
    var rows = document.querySelector('[data-rows="' + prefix + '"]');
    var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    if (!template || !rows || !total) return false;
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    applyRow(row);
    var first = row.querySelector("select, input, textarea");
    if (first) first.focus();
    return true;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var editor = target.closest && target.closest("[data-rule-editor]");
    if (!editor) return;
    if (target.matches("select[data-rule-trigger]")) applyTrigger(editor);
    if (target.matches("select[data-rule-op]")) applyOp(target.closest("[data-row]"));
    if (target.matches("select[data-rule-action]")) applyAction(target.closest("[data-row]"));
    if (target.matches("select[data-rule-person]")) applyPerson(target);
    if (target.matches('input[type="checkbox"][name$="-DELETE"]')) applyRemove(target);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (button && addRow(button.getAttribute("data-add-row"))) {
      event.preventDefault();
      return;
    }
    var confirming = event.target.closest && event.target.closest("[data-confirm]");
    if (confirming && !window.confirm(confirming.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rule-editor]").forEach(function (editor) {
      applyTrigger(editor);
      editor.querySelectorAll("[data-row]").forEach(applyRow);
      editor.querySelectorAll('input[type="checkbox"][name$="-DELETE"]').forEach(applyRemove);
    });
  });
})();
