// The deals board: drag a card onto another column to move the deal there.
// Dropping fills in the card's own "move to" form and submits it, so the server
// does exactly what the no-JavaScript form does (htmx posts it when loaded: a
// dialog asks for missing fields, a move reloads the board).
(function () {
  "use strict";

  function init(board) {
    board.querySelectorAll(".deal-card[data-deal]").forEach(function (card) {
      card.draggable = true;
      card.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", card.id);
        event.dataTransfer.effectAllowed = "move";
        card.classList.add("is-dragging");
      });
      card.addEventListener("dragend", function () {
        card.classList.remove("is-dragging");
      });
    });
    board.querySelectorAll(".deal-column[data-stage]").forEach(function (column) {
      column.addEventListener("dragover", function (event) {
        event.preventDefault();
        column.classList.add("is-drop");
      });
      column.addEventListener("dragleave", function () {
        column.classList.remove("is-drop");
      });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        column.classList.remove("is-drop");
        var card = document.getElementById(event.dataTransfer.getData("text/plain"));
        if (!card || card.closest(".deal-column") === column) return;
        var form = card.querySelector("form.deal-move");
        var select = form && form.querySelector("select[name=stage]");
        if (!select) return;
        select.value = column.dataset.stage;
        if (select.value !== column.dataset.stage) return;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector(".deal-board");
    if (board) init(board);
  });
})();
