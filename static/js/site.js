// civicnet: small enhancements. Every feature works without this file.
(function () {
  "use strict";

  // Main navigation: a <details> menu on phones, always open on wider screens.
  var wide = window.matchMedia("(min-width: 48.0625rem)");
  document.querySelectorAll("[data-site-nav]").forEach(function (menu) {
    var summary = menu.querySelector("summary");
    function fitToScreen() { menu.open = wide.matches; }
    fitToScreen();
    wide.addEventListener("change", fitToScreen);
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        summary.focus();
      }
    });
    // Close the phone menu when the person moves on: a click or focus elsewhere.
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
