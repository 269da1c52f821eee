// The decision desk: a "tick every paper of this page" box (shown only when this runs).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector(".desk-all");
  if (!all) return;
  all.hidden = false;
  const boxes = () => document.querySelectorAll('.desk-table input[name="ids"]');
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
  });
});
