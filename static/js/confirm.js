// Forms and buttons with data-confirm ask before they submit (instead of inline onsubmit
// handlers, which the strict Content-Security-Policy blocks).
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);
})();
