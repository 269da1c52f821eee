// Deadlines are printed in AoE by the server; here we add the viewer's local time and a
// countdown. Without JavaScript the AoE time stays, which is the binding one.
(function () {
  "use strict";
  const fmt = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  function left(ms) {
    if (ms <= 0) return "passed";
    const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
      m = Math.floor((s % 3600) / 60);
    if (d > 0) return `${d} d ${h} h left`;
    if (h > 0) return `${h} h ${m} min left`;
    return `${m} min ${s % 60} s left`;
  }
  function update() {
    const now = Date.now();
    document.querySelectorAll("time.deadline").forEach((el) => {
      const at = new Date(el.getAttribute("datetime"));
      const out = el.nextElementSibling;
      if (!out || !out.classList.contains("deadline-local")) return;
      let text = ` · your time: ${fmt.format(at)}`;
      if (el.dataset.countdown === "1") text += ` · ${left(at - now)}`;
      out.textContent = text;
      out.classList.toggle("urgent", at - now > 0 && at - now < 86400000);
    });
  }
  function mathify(root) {
    if (!window.katex) return;
    root.querySelectorAll(".math.inline, .math.block").forEach((el) => {
      if (el.dataset.rendered) return;
      try {
        window.katex.render(el.textContent, el, {
          displayMode: el.classList.contains("block"), throwOnError: false,
        });
        el.dataset.rendered = "1";
      } catch (e) { /* leave the TeX source visible */ }
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    update();
    setInterval(update, 1000);
    mathify(document);
  });
  document.addEventListener("htmx:afterSwap", (e) => mathify(e.target));
  window.workshopMathify = mathify;
})();
