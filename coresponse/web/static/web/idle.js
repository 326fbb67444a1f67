/* The idle lock in the browser (docs/security.md). After data-idle-seconds without a key,
   click, touch or scroll in any tab of this site, the page hides itself at once and goes to
   the lock screen, so a screen left open on a patrol-car laptop stops showing data; the server
   locks the session at the same moment. Activity without requests (reading, typing into a long
   form) is reported to the server at most once a minute, and htmx's background polls are
   marked so that the server does not count them as activity. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var idleMs = Number(script.getAttribute("data-idle-seconds")) * 1000;
  var lockUrl = script.getAttribute("data-lock-url");
  var aliveUrl = script.getAttribute("data-alive-url");
  if (!idleMs || !lockUrl) return;

  var KEY = "coresponse.lastActivity";
  var lastLocal = Date.now();
  var lastReported = Date.now();
  var locked = false;

  function shared() {
    var value = 0;
    try {
      value = Number(window.localStorage.getItem(KEY)) || 0;
    } catch (e) {
      value = 0;
    }
    return Math.max(value, lastLocal);
  }

  function lockNow() {
    if (locked) return;
    locked = true;
    document.body.hidden = true; // nothing stays on screen, even before the lock page loads
    var here = window.location.pathname + window.location.search;
    window.location.replace(lockUrl + "?next=" + encodeURIComponent(here));
  }

  function report() {
    if (!aliveUrl) return;
    lastReported = Date.now();
    window
      .fetch(aliveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) lockNow();
      })
      .catch(function () {});
  }

  function active() {
    if (locked) return;
    lastLocal = Date.now();
    try {
      window.localStorage.setItem(KEY, String(lastLocal));
    } catch (e) {
      /* private mode: this tab alone */
    }
    if (Date.now() - lastReported > 60000) report();
  }

  ["keydown", "pointerdown", "wheel", "touchstart", "scroll"].forEach(function (type) {
    window.addEventListener(type, active, { passive: true, capture: true });
  });
  window.addEventListener("pageshow", function (event) {
    // Back from the cache after a lock: ask the server again rather than show the old page.
    if (event.persisted) report();
  });
  active();

  window.setInterval(function () {
    if (Date.now() - shared() >= idleMs) lockNow();
  }, 1000);

  // Polls (hx-trigger="every ...") have no triggering event; a click or a typed search does.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.triggeringEvent) event.detail.headers["X-Coresponse-Poll"] = "1";
  });
})();
