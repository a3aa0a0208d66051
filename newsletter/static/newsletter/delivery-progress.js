// Live delivery figures for staff: poll the edition's progress JSON while it is sending.
(function () {
  "use strict";
  const box = document.querySelector("[data-newsletter-progress]");
  if (!box || !window.fetch) return;
  const url = box.getAttribute("data-newsletter-progress");
  let finished = false;

  function update(data) {
    box.querySelectorAll("[data-field]").forEach(function (node) {
      const value = data[node.getAttribute("data-field")];
      node.textContent = value === null || value === undefined ? "–" : String(value);
    });
    finished = data.status !== "sending";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) update(data);
        if (!finished) window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
