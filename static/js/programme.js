// The programme prints its times in the workshop's time zone; here each session gets the
// viewer's own time after it (from the <time datetime> UTC instants). Without JavaScript the
// workshop's time stays, which is the one on the door.
(function () {
  "use strict";
  const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const full = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });
  document.addEventListener("DOMContentLoaded", () => {
    const spans = document.querySelectorAll(".local-time[data-start]");
    spans.forEach((el) => {
      const start = new Date(el.dataset.start);
      const end = new Date(el.dataset.end);
      if (Number.isNaN(start.getTime())) return;
      el.textContent = ` · your time: ${full.format(start)}–${time.format(end)}`;
    });
    if (spans.length) document.querySelectorAll(".viewer-zone").forEach((el) => { el.hidden = false; });
  });
})();
