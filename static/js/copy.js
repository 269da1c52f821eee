// Copy buttons: <button data-copy="ID-of-an-input" data-copy-status="ID-of-a-live-region">.
// The button stays hidden without JavaScript (the field can still be selected and copied by
// hand). The clipboard API needs a secure context (https or localhost); elsewhere the field
// is selected and the browser's copy command is used. The live region says what happened.
(function () {
  "use strict";
  function say(status, text) {
    if (!status) return;
    status.textContent = "";
    // A fresh text node each time, so that screen readers announce a second "Copied" too.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }
  function fallback(field) {
    field.focus();
    field.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  function copy(button) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!field) return;
    const done = function () { say(status, "Copied"); };
    const failed = function () {
      if (fallback(field)) { done(); return; }
      say(status, "Could not copy: the token is selected, press Ctrl+C (or ⌘C) to copy it.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, failed);
    } else {
      failed();
    }
  }
  function init() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
