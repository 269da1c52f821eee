// The workshop settings page: each milestone is typed as the wall-clock time of the
// workshop's deadline zone (AoE, or the venue's). Under each field the server prints the
// stored UTC instant; here, as the chair types or picks another zone, the line says what
// the typed time is in UTC and in the viewer's own time, and the labels name the zone.
// Without JavaScript the server's line stays, and the server does every conversion.
(function () {
  "use strict";
  const AOE = "AoE";
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];
  const pad = (n) => String(n).padStart(2, "0");
  // As the server writes it under the field: "Tue 2 Mar 2027, 11:59 UTC".
  const utcText = (at) => `${DAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} `
    + `${at.getUTCFullYear()}, ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} UTC`;
  const localFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  // Minutes east of UTC of `zone` at the instant `ms` (AoE is always UTC-12).
  function offset(zone, ms) {
    if (zone === AOE) return -720;
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms));
    const get = (type) => Number(parts.find((p) => p.type === type).value);
    const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24,
      get("minute"), get("second"));
    return Math.round((wall - ms) / 60000);
  }

  // The instant of a "YYYY-MM-DDTHH:MM" wall-clock time in `zone`, or null.
  function instant(text, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
    if (!m) return null;
    const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    const first = guess - offset(zone, guess) * 60000;
    return new Date(guess - offset(zone, first) * 60000);
  }

  // The "YYYY-MM-DDTHH:MM" wall-clock time of the instant `at` in `zone`.
  function wall(at, zone) {
    return new Date(at.getTime() + offset(zone, at.getTime()) * 60000).toISOString().slice(0, 16);
  }

  function show(input, zone) {
    const out = document.getElementById(input.dataset.preview);
    if (!out) return;
    if (!input.value) {
      out.textContent = "Not set.";
      return;
    }
    try {
      const at = instant(input.value, zone);
      if (at === null) return;
      out.textContent = `= ${utcText(at)} · your time: ${localFormat.format(at)}`;
    } catch (e) {
      // A zone this browser does not know: the server's line stays.
    }
  }

  function relabel(input, zone) {
    const label = document.querySelector(`label[for="${input.id}"]`);
    if (label && input.dataset.label) label.textContent = `${input.dataset.label} (${zone}):`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const select = document.getElementById("id_deadline_timezone");
    const zone = () => (select && select.value) || AOE;
    const inputs = Array.from(document.querySelectorAll("input[data-milestone]"));
    const typed = new Set();  // the milestones the chair has typed in
    inputs.forEach((input) => {
      input.addEventListener("input", () => {
        typed.add(input);
        show(input, zone());
      });
      show(input, zone());
    });
    if (!select) return;
    let before = zone();
    // Another zone re-expresses the milestones not typed in (the same instants, as the
    // server keeps them); a typed one is read in the new zone, as the server reads it.
    select.addEventListener("change", () => {
      const now = zone();
      inputs.forEach((input) => {
        try {
          const at = typed.has(input) ? null : instant(input.value, before);
          if (at !== null) input.value = wall(at, now);
        } catch (e) {
          // A zone this browser does not know: the value stays as typed.
        }
        relabel(input, now);
        show(input, now);
      });
      before = now;
    });
  });
})();
