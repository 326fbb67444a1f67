// Identity review: keyboard shortcuts for the decision buttons (Y same, N different, S skip).
// The buttons carry data-key; htmx swaps the next pair in after each decision.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var key = (event.key || "").toLowerCase();
    var button = document.querySelector('#review-pair button[data-key="' + key + '"]');
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });
  // While a decision is on its way, the buttons cannot be pressed twice.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest(".review-actions");
    if (!form) return;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  });
  // The new pair takes the focus, so a screen reader reads it and the keys keep working.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = document.querySelector("#review-pair h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
  });
})();
