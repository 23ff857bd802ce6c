// Offline after the first visit: every same-origin GET is answered from the cache when there,
// and refreshed from the network in the background (stale-while-revalidate). Pyodide (about
// 10 MB) and the wheel are fetched once. Datasets are cached by torsh-data itself (IndexedDB).
const CACHE = "torsh-demo-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin || req.headers.has("range")) return;
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req);
    const update = fetch(req).then(async (res) => {
      // rewrite only what changed: a rewritten entry loses the browser's compiled code for it
      const etag = res.headers.get("ETag");
      if (res.ok && res.status === 200 && !(etag && hit?.headers.get("ETag") === etag)) {
        await cache.put(req, res.clone());
      }
      return res;
    });
    if (hit) {
      e.waitUntil(update.catch(() => {}));
      return hit;
    }
    return update;
  })());
});
