// Moved out of templates/reviews/bidding.html for the strict CSP (issue 13).
(function () {
  "use strict";
  // 1..5 on a focused paper presses that bid button (htmx saves it at once).
  document.addEventListener("keydown", (e) => {
    const paper = document.activeElement && document.activeElement.closest("article.paper");
    if (!paper || e.altKey || e.ctrlKey || e.metaKey || !/^[1-5]$/.test(e.key)) return;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
    const button = paper.querySelector(`button[data-key="${e.key}"]`);
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  });
})();
