// Batch actions on the ledger (supervisors): "select all" on the page and the count chosen.
// A file, not an inline script, for the strict CSP.
(function () {
  const all = document.querySelector("[data-batch-all]");
  const rows = Array.from(document.querySelectorAll("[data-batch-row]"));
  const count = document.querySelector("[data-batch-count]");
  if (!rows.length) { return; }
  const template = count ? count.textContent : "";
  function update() {
    const chosen = rows.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = chosen === rows.length;
      all.indeterminate = chosen > 0 && chosen < rows.length;
    }
    if (count) {
      count.textContent = chosen ? (count.dataset.chosen || "").replace("%(n)s", chosen) : template;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  rows.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
