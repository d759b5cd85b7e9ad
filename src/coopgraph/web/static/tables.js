// Sortable tables: a click on a column's heading orders a <table class="sortable"> by that column
// (again: the other way). Numbers and dates sort as such, text by the reader's language. Without
// JavaScript the table stays in the order the server gave.
(function () {
  "use strict";
  function key(cell) {
    var text = (cell.textContent || "").trim();
    var number = text.replace(/,/g, "");
    if (/^-?\d+(\.\d+)?$/.test(number)) return { n: parseFloat(number) };
    return { t: text };
  }
  function compare(a, b, lang) {
    if (a.n !== undefined && b.n !== undefined) return a.n - b.n;
    if (a.n !== undefined) return -1;
    if (b.n !== undefined) return 1;
    return a.t.localeCompare(b.t, lang, { numeric: true, sensitivity: "base" });
  }
  function makeSortable(table) {
    var head = table.tHead;
    if (!head || !table.tBodies.length) return;
    var lang = document.documentElement.lang || "en";
    Array.prototype.forEach.call(head.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (other) {
          other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c1 = r1.cells[column], c2 = r2.cells[column];
          var order = compare(key(c1 || r1), key(c2 || r2), lang);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
})();
