// The review editor: a copy of every keystroke in this browser (localStorage) until the
// server confirms the draft is saved, a visible connection state, and retries while offline.
// Nothing typed is lost: after a crash, a reload or a dropped connection, the newer local
// copy is restored into the form and saved again.
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form) return;
  const key = `review-draft-${form.dataset.review}`;
  const state = document.getElementById("save-state");
  const connection = document.getElementById("connection-state");
  const autosaves = form.hasAttribute("hx-post");
  let retryTimer = null;
  let restored = false;

  function snapshot() {
    const data = {};
    new FormData(form).forEach((value, name) => {
      if (name.startsWith("q_")) data[name] = value;
    });
    return data;
  }
  function keepLocally() {
    localStorage.setItem(key, JSON.stringify({ at: Date.now(), data: snapshot() }));
  }
  function restore() {
    const raw = localStorage.getItem(key);
    if (!raw) return;
    let saved;
    try { saved = JSON.parse(raw); } catch (e) { localStorage.removeItem(key); return; }
    const serverTime = Number(form.dataset.serverTime || 0) * 1000;
    if (!saved || saved.at <= serverTime) { localStorage.removeItem(key); return; }
    let changed = false;
    Object.entries(saved.data).forEach(([name, value]) => {
      const fields = form.querySelectorAll(`[name="${name}"]`);
      fields.forEach((field) => {
        if (field.type === "radio" || field.type === "checkbox") {
          const on = field.value === value;
          if (field.checked !== on) { field.checked = on; changed = true; }
        } else if (field.value !== value) { field.value = value; changed = true; }
      });
    });
    if (changed && state) {
      state.textContent = "Restored text you typed earlier in this browser that was not saved yet.";
      restored = true;
      if (autosaves && window.htmx) window.htmx.trigger(form, "retry-save");
    }
  }
  function offline(message) {
    if (state) state.textContent = "Not saved yet.";
    if (!connection) return;
    connection.hidden = false;
    connection.textContent = message;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => window.htmx && window.htmx.trigger(form, "retry-save"), 5000);
  }

  form.addEventListener("input", keepLocally);
  form.addEventListener("change", keepLocally);
  form.addEventListener("submit", keepLocally);
  document.addEventListener("htmx:beforeRequest", (e) => {
    if (e.detail.elt === form && state) state.textContent = "Saving…";
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail.elt !== form) return;
    if (e.detail.successful) {
      localStorage.removeItem(key);
      if (connection) connection.hidden = true;
    }
  });
  document.addEventListener("htmx:afterSwap", (e) => {
    if (restored && state && e.detail.target === state) {
      restored = false;
      state.insertAdjacentText("afterbegin", "Restored text you typed earlier in this browser. ");
    }
  });
  document.addEventListener("htmx:sendError", (e) => {
    if (e.detail.elt === form) offline("Connection lost: not saved yet. Your text is kept in this browser; retrying every 5 seconds…");
  });
  document.addEventListener("htmx:responseError", (e) => {
    if (e.detail.elt !== form) return;
    const status = e.detail.xhr.status;
    if (status >= 500 || status === 0) offline("The server did not save the draft; retrying every 5 seconds…");
    else if (state) state.innerHTML = e.detail.xhr.responseText;  // a clear refusal: deadline passed
  });
  window.addEventListener("beforeunload", keepLocally);
  // htmx wires up the form on DOMContentLoaded; restore after that, or the save it
  // triggers for restored text would have no listener yet.
  if (document.readyState === "complete") restore();
  else document.addEventListener("DOMContentLoaded", () => setTimeout(restore));
})();
