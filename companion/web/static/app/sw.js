/*
 * The companion's service worker, at the root so it controls the whole app.
 *
 * - The app shell is precached and served cache-first, so the app opens without a network.
 * - The patient's own reads (profile, today's check-ins, history, crisis resources, the safety
 *   plan) go to the network first and fall back to the last copy, so they still show offline. A copy is kept under
 *   its address alone, never with the request that fetched it: that request's Authorization header
 *   is the patient's token, and no token is ever put in a cache. Nothing else of the API is kept,
 *   the sign-in and link answers that carry tokens least of all (they are POSTs, which this worker
 *   leaves to the network), and signing out deletes the copies.
 * - Check-ins and saves of the safety plan wait in the outbox (outbox.js) until the companion has
 *   them; a Background Sync event sends them when the network is back, as the page itself does.
 * - A push (docs/push.md) shows its notification: a title and a line that say no more than the SMS
 *   would, tagged by check-in so a reminder replaces its prompt's. A tap opens the check-in's link
 *   in the app's open window (focused) or in a new one; only links to the companion itself.
 */
/* global CompanionOutbox */
importScripts("/outbox.js");

// Change VERSION with any change to a file in SHELL: the new worker precaches the new shell and
// drops the old one when it takes over.
const VERSION = "2026-12-03.1";
const SHELL_CACHE = `companion-shell-${VERSION}`;
const API_CACHE = "companion-api";
const SHELL = [
  "/",
  "/index.html",
  "/app.js",
  "/charts.js",
  "/plan.js",
  "/outbox.js",
  "/notifications.js",
  "/styles.css",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/icon-maskable-512.png",
  "/icons/apple-touch-icon.png",
];
const CACHED_READS = new Set([
  "/api/v1/me", "/api/v1/me/checkins/pending", "/api/v1/me/history", "/api/v1/crisis", "/api/v1/me/crisis",
  "/api/v1/me/safety-plan",
]);
const NOT_OURS = ["/staff", "/schema", "/webhooks", "/health", "/ready"];
const SYNC_TAG = "send-checkins";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("companion-shell-") && name !== SHELL_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

async function shellFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true, cacheName: SHELL_CACHE });
  if (cached) return cached;
  return fetch(request);
}

async function appPage(request) {
  const cached = await caches.match("/index.html", { cacheName: SHELL_CACHE });
  if (cached) return cached;
  return fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(API_CACHE);
  // The address alone, without the request's headers (its Authorization header is the token).
  const key = new Request(request.url);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    else if (response.status === 401) await cache.delete(key);
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NOT_OURS.some((prefix) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) return;
  if (url.pathname.startsWith("/api/")) {
    if (CACHED_READS.has(url.pathname)) event.respondWith(networkFirst(request));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(appPage(request));
    return;
  }
  event.respondWith(shellFirst(request));
});

async function tellPages(message) {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) page.postMessage(message);
}

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    CompanionOutbox.flush().then(async (result) => {
      if (result.sent.length) {
        const plans = result.sent.filter((item) => item.kind === "safety-plan").length;
        await tellPages({ type: "checkins-sent", count: result.sent.length - plans, plans });
      }
      // Still waiting for the network: failing the event asks the browser to try again later.
      if (result.offline) throw new Error("check-ins are still waiting for the network");
    }),
  );
});

function ownUrl(value) {
  try {
    const url = new URL(value || "/", self.location.origin);
    return url.origin === self.location.origin ? url.href : new URL("/", self.location.origin).href;
  } catch (error) {
    return new URL("/", self.location.origin).href;
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Time for your check-in";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === "string" ? data.body : "Tap to answer.",
      tag: typeof data.tag === "string" && data.tag ? data.tag : "checkin",
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: ownUrl(data.url) },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = ownUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const page = pages.find((client) => new URL(client.url).origin === self.location.origin);
      if (page) {
        const focused = await page.focus().catch(() => page);
        // The link signs in and opens the check-in; the app takes it out of the address bar.
        try {
          return await (focused || page).navigate(target);
        } catch (error) {
          return self.clients.openWindow(target); // a window this worker does not control
        }
      }
      return self.clients.openWindow(target);
    })(),
  );
});
