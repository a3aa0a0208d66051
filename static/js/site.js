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
})();
