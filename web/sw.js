// Kith service worker: the app shell offline, the last-seen API answers as a fallback.
// VERSION changes with every change under web/ (tests/api/test_web_assets.py checks it against a
// hash of the shell), so an update installs new caches and the page offers "Reload".

const VERSION = "969471c6";
const SHELL_CACHE = `kith-shell-${VERSION}`;
const DATA_CACHE = `kith-data-${VERSION}`;
const NETWORK_TIMEOUT_MS = 4000;

const PRECACHE = [
  "/",
  "/offline.html",
  "/manifest.webmanifest",
  "/css/app.css",
  "/js/main.js",
  "/js/api.js",
  "/js/util.js",
  "/js/offline-queue.js",
  "/js/pwa.js",
  "/js/sheet.js",
  "/js/actions.js",
  "/js/sparkline.js",
  "/js/views/today.js",
  "/js/views/log.js",
  "/js/views/contacts.js",
  "/js/views/contact.js",
  "/js/views/contact-merges.js",
  "/js/views/triage.js",
  "/js/views/import.js",
  "/js/views/calendar.js",
  "/js/views/settings.js",
  "/js/views/dav-source.js",
  "/js/views/signin.js",
  "/js/views/setup.js",
  "/js/views/guide.js",
  "/icons/favicon.png",
  "/icons/apple-touch-icon.png",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-192.png",
  "/icons/maskable-512.png",
];
const SHELL_PATHS = new Set(PRECACHE);

self.addEventListener("install", (event) => {
  // Awaited: install only succeeds once every shell file is cached (cache: "reload" skips the
  // HTTP cache, so a new version never stores an old file).
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([SHELL_CACHE, DATA_CACHE]);
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith("kith-") && !keep.has(n)).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Writes always go to the network (the page queues offline logs itself).
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The calendar feed is for calendar apps: never cached, never answered from here.
  if (url.pathname.startsWith("/feed/")) return;
  if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(event, request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigation(request));
  } else if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || fetch(request);
}

/** The page itself: the network, else the cached shell, else the offline page. */
async function navigation(request) {
  try {
    return await fetch(request);
  } catch {
    const cache = await caches.open(SHELL_CACHE);
    return (await cache.match("/")) || (await cache.match("/offline.html")) || Response.error();
  }
}

/**
 * /api GETs: the network first (fresh data), the last answer seen when offline or when the
 * network takes too long. A 401 (or a signed-out session probe) means the session ended: drop
 * what was kept for that user.
 */
async function networkFirst(event, request) {
  const network = fetch(request).then(async (response) => {
    // 401, or the session probe saying "signed out": what was kept belongs to nobody now.
    if (response.status === 401 || response.headers.get("x-kith-signed-out") === "1") {
      await caches.delete(DATA_CACHE);
    } else if (response.ok && !/no-store/.test(response.headers.get("Cache-Control") || "")) {
      const cache = await caches.open(DATA_CACHE); // opened only to keep something
      await cache.put(request, stamp(response.clone()));
    }
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  const cached = caches.match(request, { cacheName: DATA_CACHE });
  try {
    return await Promise.race([network, timeout(NETWORK_TIMEOUT_MS, cached)]);
  } catch {
    const saved = await cached;
    if (saved) return markCached(saved);
    throw new TypeError("offline and not cached");
  }
}

/** Rejects after `ms` when there is a cached answer to fall back to; otherwise waits forever. */
function timeout(ms, cached) {
  return new Promise((_, reject) => {
    setTimeout(() => cached.then((hit) => hit && reject(new Error("slow network"))), ms);
  });
}

/** Keep when an answer was saved, so the page can say how old the offline data is. */
function stamp(response) {
  const headers = new Headers(response.headers);
  headers.set("x-kith-saved-at", new Date().toISOString());
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function markCached(response) {
  const headers = new Headers(response.headers);
  headers.set("x-kith-from-cache", "1");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
