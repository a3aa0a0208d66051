// civicnet: small enhancements. Every feature works without this file.
(function () {
  "use strict";

  // Disclosures that are collapsed on phones and always open on wider screens (the main
  // navigation, the library's filters): data-open-when holds the media query for "wider".
  document.querySelectorAll("details[data-open-when]").forEach(function (details) {
    var wide = window.matchMedia(details.dataset.openWhen);
    function fitToScreen() { details.open = wide.matches; }
    fitToScreen();
    wide.addEventListener("change", fitToScreen);
  });

  // The phone menu closes on Escape (focus back on its button), a click elsewhere, or when
  // focus leaves it.
  document.querySelectorAll("[data-site-nav]").forEach(function (menu) {
    var summary = menu.querySelector("summary");
    var wide = window.matchMedia(menu.dataset.openWhen);
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !wide.matches && !menu.contains(event.target)) menu.open = false;
    });
    menu.addEventListener("focusout", function (event) {
      if (menu.open && !wide.matches && event.relatedTarget && !menu.contains(event.relatedTarget)) {
        menu.open = false;
      }
    });
  });

  // "Was this page helpful?": post the answer in the background and show the reply where
  // the person voted. Anything unexpected falls back to the ordinary form post.
  document.querySelectorAll("[data-feedback-form]").forEach(function (form) {
    var answer = form.parentElement.querySelector("[data-feedback-answer]");
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (form.dataset.plainPost || !window.fetch || !button) return;
      event.preventDefault();
      var body = new FormData(form);
      body.append(button.name, button.value);
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!data.message) throw new Error("no message");
            return data;
          });
        })
        .then(function (data) {
          var box = document.createElement("div");
          var message = document.createElement("p");
          box.className = "messages";
          message.className = "message message--" + data.level;
          message.textContent = data.message;
          box.appendChild(message);
          answer.replaceChildren(box);
          if (data.level !== "error") form.hidden = true;
          // The focused button may have gone: keep keyboard focus at the answer.
          answer.focus({ preventScroll: true });
          answer.scrollIntoView({ block: "nearest" });
          if (window.location.hash !== "#feedback") history.replaceState(null, "", "#feedback");
        })
        .catch(function () {
          form.dataset.plainPost = "1";
          form.requestSubmit(button);
        });
    });
  });
})();
