// chiso pages: charts from embedded Plotly JSON, selects that submit their form, sortable tables.
(function () {
  "use strict";

  function drawCharts() {
    if (typeof Plotly === "undefined") return;
    document.querySelectorAll("script[data-chart]").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-chart"));
      if (!target) return;
      var fig = JSON.parse(node.textContent);
      Plotly.newPlot(target, fig.data, fig.layout, { displaylogo: false, responsive: true, locale: "vi" });
    });
  }

  function autosubmit() {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (!numeric) return raw.toLocaleLowerCase("vi");
    var n = parseFloat(String(raw).replace(/\./g, "").replace(",", "."));
    if (cell.hasAttribute("data-v")) n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function sortable() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var heads = table.tHead ? table.tHead.rows[0].cells : [];
      Array.prototype.forEach.call(heads, function (th, index) {
        th.classList.add("sorter");
        th.setAttribute("tabindex", "0");
        th.setAttribute("title", "Bấm để sắp xếp");
        function sort() {
          var numeric = th.getAttribute("data-type") === "n";
          var asc = th.getAttribute("aria-sort") !== "ascending";
          Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", asc ? "ascending" : "descending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
            var c = numeric ? x - y : String(x).localeCompare(String(y), "vi");
            return asc ? c : -c;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        }
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    autosubmit();
    sortable();
  });
})();
