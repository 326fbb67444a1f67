/* Coresponse Field service worker: keeps the app shell and its files on the phone so the app
   opens without a network; never keeps API answers (the app keeps what it needs itself). */
"use strict";
const VERSION = "{{ version }}";
const CACHE = "coresponse-field-" + VERSION;
const SHELL = "{{ shell }}";
const PRECACHE = {{ precache|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const files = PRECACHE.filter((path) => path !== SHELL);
      await cache.addAll(files);
      // The shell only when signed in: a redirect to the sign-in page is not the app.
      const shell = await fetch(SHELL, { credentials: "same-origin", cache: "no-store" });
      if (shell.ok && !shell.redirected) await cache.put(SHELL, shell);
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith("coresponse-field-") && n !== CACHE).map((n) => caches.delete(n))
      );
      await self.clients.claim();
    })()
  );
});

async function shell(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(SHELL);
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok && !response.redirected) cache.put(SHELL, response.clone());
      return response;
    })
    .catch(() => null);
  if (kept) return kept;
  const answer = await fresh;
  return (
    answer ||
    new Response("You are offline and the field app is not on this phone yet. Open it once online.", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    })
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shell(request));
  } else if (PRECACHE.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
  // Everything else (the API above all) goes to the network as if there were no worker.
});
