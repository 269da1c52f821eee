// The programme editor: drag a paper card into a session (or back to "Unplaced"). Each drop
// posts to the place view (the same service the Move buttons use) and only moves the card
// once the server has accepted it. Without JavaScript the Move buttons do the same.
(function () {
  "use strict";
  const board = document.querySelector(".board[data-place-url]");
  if (!board) return;
  const url = board.dataset.placeUrl;
  const tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const status = document.getElementById("editor-status");
  let dragged = null;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }
  function updateCounts() {
    board.querySelectorAll(".column").forEach((column) => {
      const count = column.querySelector(".count");
      const zone = column.querySelector(".dropzone");
      if (count && zone) count.textContent = zone.querySelectorAll(":scope > .paper-card").length;
    });
  }
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".paper-card");
    if (!card) return;
    dragged = card;
    event.dataTransfer.setData("text/plain", card.dataset.submission);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((z) => z.classList.remove("drop-target"));
  });
  board.addEventListener("dragover", (event) => {
    const zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drop-target");
  });
  board.addEventListener("dragleave", (event) => {
    const zone = event.target.closest && event.target.closest(".dropzone");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drop-target");
  });
  board.addEventListener("drop", async (event) => {
    const zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone || !dragged) return;
    event.preventDefault();
    zone.classList.remove("drop-target");
    const card = dragged;
    dragged = null;
    const before = event.target.closest(".paper-card");
    const others = Array.from(zone.querySelectorAll(":scope > .paper-card")).filter((c) => c !== card);
    const position = before && before !== card ? others.indexOf(before) : others.length;
    const body = new URLSearchParams({
      submission: card.dataset.submission,
      session: zone.dataset.session,
      position: String(position),
    });
    let data = {};
    let ok = false;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "", Accept: "application/json" },
        body,
      });
      data = await response.json();
      ok = response.ok && data.ok;
    } catch (err) {
      data = { message: "The move could not be saved: no connection." };
    }
    if (!ok) {
      say(data.message || "The move could not be saved.", true);
      return;
    }
    if (before && before !== card) zone.insertBefore(card, before);
    else zone.appendChild(card);
    const select = card.querySelector("select[name=session]");
    if (select) select.value = zone.dataset.session;
    updateCounts();
    say(data.message, false);
  });
})();
