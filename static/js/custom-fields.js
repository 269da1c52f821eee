// The chairs' custom questions (issue 27): a row is shown only while its condition holds
// (another question's answer, the submission type). The server checks the same conditions;
// this only spares authors questions that do not concern them.
(function () {
  "use strict";
  const rows = () => Array.from(document.querySelectorAll(".custom-field"));

  function answerOf(code) {
    const row = document.getElementById("cf-" + code);
    if (!row || row.hidden) return null;
    const inputs = Array.from(row.querySelectorAll("input, select, textarea"));
    const values = [];
    for (const input of inputs) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) values.push(input.type === "checkbox" && input.value === "on" ? "yes" : input.value);
      } else if (input.type === "file") {
        if (input.files && input.files.length) values.push("file");
      } else if (input.value.trim()) {
        values.push(input.value.trim());
      }
    }
    return values;
  }

  function holds(row) {
    const typeInput = document.getElementById("id_submission_type");
    if (row.dataset.types && typeInput) {
      if (!row.dataset.types.split(",").includes(typeInput.value)) return false;
    }
    if (row.dataset.whenField) {
      const given = answerOf(row.dataset.whenField);
      if (given === null) return false;
      const wanted = (row.dataset.whenValue || "").trim().toLowerCase();
      if (!wanted) return given.length > 0;
      return given.some((v) => v.toLowerCase() === wanted);
    }
    return true;
  }

  function refresh() {
    // Conditions may chain: settle them in as many passes as there are rows.
    for (let pass = 0; pass < rows().length; pass += 1) {
      let changed = false;
      for (const row of rows()) {
        const show = holds(row);
        if (row.hidden === show) {
          row.hidden = !show;
          changed = true;
        }
      }
      if (!changed) break;
    }
  }

  document.addEventListener("change", refresh);
  document.addEventListener("input", refresh);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
