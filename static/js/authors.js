// The authors page: add several co-authors without a round trip (rows cloned from the
// formset's empty form in a <template>), order them with Move up / Move down (the hidden
// ORDER fields follow the order on screen). Without JavaScript the numeric Position field
// and "save for a new row" still work.
(function () {
  "use strict";
  function init() {
    const rows = document.getElementById("author-rows");
    const template = document.getElementById("author-empty");
    const add = document.getElementById("add-author");
    if (!rows || !template || !add) return;
    const total = document.querySelector("input[name$='-TOTAL_FORMS']");
    const prefix = total.name.replace(/-TOTAL_FORMS$/, "");

    function renumber() {
      rows.querySelectorAll("[data-author-row]").forEach((row, i) => {
        // An untouched empty row keeps no position, so that the formset skips it.
        const order = row.querySelector(`input[name$='-ORDER']`);
        const filled = [...row.querySelectorAll("input[name$='-name'], input[name$='-email']")]
          .some((input) => input.value.trim());
        if (order) order.value = filled ? i + 1 : "";
        const label = row.querySelector("[data-author-number]");
        if (label) label.textContent = `Author ${i + 1}`;
        row.querySelector("[data-move=up]").disabled = i === 0;
        row.querySelector("[data-move=down]").disabled = !row.nextElementSibling;
      });
    }
    function enhance(row) {
      row.querySelector(".order-field").hidden = true;
      row.querySelector(".move-buttons").hidden = false;
    }
    rows.querySelectorAll("[data-author-row]").forEach(enhance);
    document.querySelectorAll(".no-js-note").forEach((n) => { n.hidden = true; });
    add.hidden = false;

    add.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      const holder = document.createElement("div");
      holder.innerHTML = html.trim();
      const row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = index + 1;
      enhance(row);
      renumber();
      row.querySelector(`input[name='${prefix}-${index}-name']`).focus();
    });
    rows.addEventListener("click", (event) => {
      const button = event.target.closest("[data-move]");
      if (!button) return;
      const row = button.closest("[data-author-row]");
      if (button.dataset.move === "up" && row.previousElementSibling) {
        rows.insertBefore(row, row.previousElementSibling);
      } else if (button.dataset.move === "down" && row.nextElementSibling) {
        rows.insertBefore(row.nextElementSibling, row);
      }
      renumber();
      button.focus();
    });
    rows.addEventListener("input", renumber);
    renumber();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
