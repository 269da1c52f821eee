// The paper's forum: keyboard shortcuts (j/k next/previous paper, e edit one's review,
// c comment) and the mention picker (inserts "@Reviewer B" at the caret).
(function () {
  "use strict";
  function typing(el) {
    return el && (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable);
  }
  function go(id) {
    const link = document.getElementById(id);
    if (link) window.location.assign(link.href);
  }
  function edit() {
    const details = document.getElementById("edit-review");
    if (details) details.open = true;
    const field = document.querySelector("#review-form textarea:not([readonly])");
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }
  function comment() {
    const field = document.getElementById("comment-body");
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(document.activeElement)) return;
    const action = { j: () => go("next-paper"), k: () => go("prev-paper"), e: edit, c: comment }[e.key];
    if (action) { e.preventDefault(); action(); }
  });

  let lastField = null;
  document.addEventListener("focusin", (e) => {
    if (e.target.classList && e.target.classList.contains("mentionable")) lastField = e.target;
  });
  document.querySelectorAll("button.mention").forEach((button) => {
    button.addEventListener("click", () => {
      const field = lastField || document.getElementById("comment-body");
      if (!field) return;
      const text = `${button.dataset.mention} `;
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? field.value.length;
      const before = field.value.slice(0, start);
      const spacer = before && !/\s$/.test(before) ? " " : "";
      field.value = before + spacer + text + field.value.slice(end);
      const caret = (before + spacer + text).length;
      field.focus();
      field.setSelectionRange(caret, caret);
    });
  });
})();
