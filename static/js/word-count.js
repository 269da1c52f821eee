// Word counts under the author-response textareas (moved out of author_reviews.html for the
// strict CSP, issue 13). Over the limit, the count turns red through a class, not a style.
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("textarea[data-word-limit]").forEach((area) => {
      const out = area.closest("form").querySelector(".word-count");
      const limit = Number(area.dataset.wordLimit);
      const update = () => {
        const words = (area.value.match(/\S+/g) || []).length;
        out.textContent = `${words} of ${limit} words`;
        out.classList.toggle("over-limit", words > limit);
      };
      area.addEventListener("input", update);
      update();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
