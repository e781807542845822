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

// The batch page (/issues/batch/): only the fields of the chosen action show
// (data-batch-fields lists the actions a block belongs to; "none" shows before a choice).
(function () {
  const radios = Array.from(document.querySelectorAll("input[name=action][type=radio]"));
  const blocks = Array.from(document.querySelectorAll("[data-batch-fields]"));
  if (!radios.length || !blocks.length) { return; }
  function update() {
    const chosen = radios.find(function (radio) { return radio.checked; });
    const action = chosen ? chosen.value : "none";
    blocks.forEach(function (block) {
      block.hidden = block.dataset.batchFields.split(" ").indexOf(action) === -1;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
