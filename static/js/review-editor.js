// The review editor. Autosave that never fails and never loses text:
// - one save in flight per form; edits made meanwhile are coalesced into one next save;
// - each save names the revision it is based on, so a stale tab never overwrites a newer
//   draft: the server answers 409 with the stored text, and both are shown side by side;
// - a copy of every keystroke stays in this browser (localStorage) until the server has
//   the same text; after a crash, a reload or a lost connection it is restored and saved;
// - a submit waits for the save in flight, so the two never race.
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form) return;
  const key = `review-draft-${form.dataset.review}`;
  const url = form.dataset.autosaveUrl || "";
  const state = document.getElementById("save-state");
  const connection = document.getElementById("connection-state");
  const badge = document.getElementById("review-badge");
  const conflictBox = document.getElementById("save-conflict");
  const revision = form.querySelector('input[name="revision"]');
  let inFlight = null;
  let dirty = false;
  let halted = false;
  let submitting = false;
  let timer = null;
  let restoredNote = "";

  function say(text) { if (state) state.textContent = text; }
  function snapshot() {
    const data = {};
    new FormData(form).forEach((value, name) => {
      // The answers, and the LLM-use declaration where the workshop asks it.
      if (name.startsWith("q_") || name.startsWith("llm_")) data[name] = String(value);
    });
    return data;
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  function keepLocally() {
    localStorage.setItem(key, JSON.stringify({
      at: Date.now(), revision: revision ? revision.value : "", data: snapshot(),
    }));
  }
  function fill(data) {
    Object.entries(data).forEach(([name, value]) => {
      form.querySelectorAll(`[name="${name}"]`).forEach((field) => {
        if (field.type === "radio" || field.type === "checkbox") {
          field.checked = field.value === String(value) || (field.type === "checkbox" && value === true);
        } else if (field.tagName === "TEXTAREA" || field.type === "text") {
          field.value = value === null || value === undefined ? "" : String(value);
        }
      });
    });
  }
  function labelOf(name) {
    const field = form.querySelector(`[name="${name}"]`);
    const box = field && field.closest(".question");
    const label = box && box.querySelector("label, legend");
    return label ? label.textContent.replace(/\s+/g, " ").replace(/·.*$/, "").trim() : name;
  }

  function schedule(delay) {
    if (!url || halted || submitting) return;
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  async function save() {
    clearTimeout(timer);
    timer = null;
    if (!url || halted || submitting) return;
    if (inFlight) { dirty = true; return; }  // coalesced: sent when the one in flight ends
    dirty = false;
    const sent = snapshot();
    const body = new FormData(form);
    say("Saving…");
    inFlight = send(body, sent);
    try { await inFlight; } finally { inFlight = null; }
    if (dirty && !halted && !submitting) save();
  }

  async function send(body, sent) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (e) {
      offline("Connection lost: not saved yet. Your text is kept in this browser; retrying every 5 seconds…");
      return;
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.ok) return saved(data, sent);
    if (response.status === 409 || data.conflict) return conflict(data, sent);
    if (response.status >= 500) {
      offline("The server did not save the draft; your text is kept in this browser; retrying every 5 seconds…");
      return;
    }
    // A clear refusal (a score off the scale, the deadline passed): said, not retried until
    // the next edit; the text stays in this browser.
    say(data.error || `The draft was not saved (error ${response.status}).`);
  }

  function saved(data, sent) {
    if (revision && data.revision !== undefined) revision.value = String(data.revision);
    if (connection) connection.hidden = true;
    say(restoredNote + (data.message || "Saved."));
    restoredNote = "";
    if (badge && data.status === "draft" && !badge.classList.contains("warn")) {
      badge.textContent = "Draft";
      badge.className = "badge warn";
    }
    // The copy is not dropped but marked as saved with its revision: a reload can race the
    // save (the page rendered before the save was stored); the next page then knows the
    // text it shows is older than what the server has.
    if (same(snapshot(), sent)) {
      localStorage.setItem(key, JSON.stringify({
        at: Date.now(), saved: true, revision: revision ? revision.value : "", data: sent,
      }));
    } else keepLocally();
  }

  function offline(message) {
    say("Not saved yet.");
    if (connection) {
      connection.hidden = false;
      connection.textContent = message;
    }
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 5000);
  }

  function textColumn(title, text) {
    const column = document.createElement("div");
    const heading = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = title;
    heading.append(strong);
    const body = document.createElement("pre");
    body.textContent = text || "(empty)";
    column.append(heading, body);
    return column;
  }

  function conflict(data, sent) {
    halted = true;
    keepLocally();
    say("Not saved: see the message below the form.");
    if (!conflictBox) return;
    conflictBox.replaceChildren();
    const intro = document.createElement("p");
    intro.textContent = data.error || "This review was changed elsewhere.";
    conflictBox.append(intro);
    const stored = data.saved || {};
    // The answers side by side (the server's stored copy carries the answers only).
    Object.keys(sent).concat(Object.keys(stored))
      .filter((n, i, all) => n.startsWith("q_") && all.indexOf(n) === i)
      .forEach((name) => {
        const mine = sent[name] === undefined ? "" : String(sent[name]);
        const theirs = stored[name] === undefined || stored[name] === null ? "" : String(stored[name]);
        if (mine === theirs) return;
        const block = document.createElement("div");
        block.className = "conflict-pair";
        const h = document.createElement("h3");
        h.textContent = labelOf(name);
        block.append(h, textColumn("Stored (newer)", theirs), textColumn("In this tab", mine));
        conflictBox.append(block);
      });
    const actions = document.createElement("p");
    actions.className = "conflict-actions";
    if (data.submitted) {
      const note = document.createElement("span");
      note.textContent = "The review is submitted: reload the page to see it; this tab's text stays in this browser.";
      actions.append(note);
    } else {
      const keep = document.createElement("button");
      keep.type = "button";
      keep.textContent = "Keep this tab's text";
      keep.addEventListener("click", () => {
        if (revision) revision.value = String(data.revision);
        resolve();
        save();
      });
      const load = document.createElement("button");
      load.type = "button";
      load.className = "secondary";
      load.textContent = "Use the stored text";
      load.addEventListener("click", () => {
        if (revision) revision.value = String(data.revision);
        fill(stored);
        resolve();
        localStorage.removeItem(key);
        say("Showing the stored text.");
      });
      actions.append(keep, " ", load);
    }
    conflictBox.append(actions);
    conflictBox.hidden = false;
  }
  function resolve() {
    halted = false;
    if (conflictBox) { conflictBox.hidden = true; conflictBox.replaceChildren(); }
  }

  function restore() {
    const raw = localStorage.getItem(key);
    if (!raw) return;
    let kept;
    try { kept = JSON.parse(raw); } catch (e) { localStorage.removeItem(key); return; }
    if (!kept || !kept.data || same(kept.data, snapshot())) { localStorage.removeItem(key); return; }
    if (kept.saved) {
      // Saved already; shown only when this page was rendered before that save was stored.
      const shown = Number(revision ? revision.value : 0);
      if (Number(kept.revision) > shown) {
        fill(kept.data);
        if (revision) revision.value = String(kept.revision);
        say("Showing your latest saved draft.");
        localStorage.removeItem(key);
        if (url) save();  // a no-op on the server; confirms the revision and the time
        return;
      }
      localStorage.removeItem(key);
      return;
    }
    fill(kept.data);
    if (same(kept.data, snapshot()) === false) { /* fields of a retired question: ignored */ }
    if (revision && kept.revision !== "" && kept.revision !== undefined) revision.value = String(kept.revision);
    say("Restored text you typed earlier in this browser that was not saved yet.");
    restoredNote = "Restored text you typed earlier in this browser. ";
    const details = form.closest("details");
    if (details) details.open = true;
    if (url) save();
  }

  form.addEventListener("input", (e) => {
    keepLocally();
    if (e.target.tagName === "TEXTAREA") schedule(1500);
  });
  form.addEventListener("change", () => { keepLocally(); schedule(0); });
  form.addEventListener("submit", (e) => {
    keepLocally();
    if (submitting) return;
    submitting = true;
    clearTimeout(timer);
    if (!inFlight) return;
    // Let the save in flight answer first (it carries the revision the submit names).
    e.preventDefault();
    say("Finishing the last save, then submitting…");
    inFlight.finally(() => form.submit());
  });
  window.addEventListener("beforeunload", () => { if (!submitting) keepLocally(); });
  window.addEventListener("online", () => { if (dirty) save(); });
  window.reviewEditor = { save, pending: () => Boolean(inFlight || timer) };
  restore();
})();
