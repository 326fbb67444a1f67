/* The dispatch board and the duty card refresh themselves every second (htmx polling of their
   [data-live] element). Each poll sends the fingerprint of what is on screen; the server answers
   204 while nothing changed, so the page is only redrawn when something did. A poll waits while
   a team is being picked in a list (a redraw would close it) or while the tab is hidden. */
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var live = event.target.closest && event.target.closest("[data-live]");
    if (live && event.detail.verb === "get") {
      event.detail.parameters.v = live.getAttribute("data-version") || "";
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.target;
    if (!elt.matches || !elt.matches("[data-live]")) return;
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
    var active = document.activeElement;
    var picking = active && active.tagName === "SELECT" && elt.contains(active);
    if (document.hidden || picking) event.preventDefault();
  });
})();
