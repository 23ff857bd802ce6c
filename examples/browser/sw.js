// Offline after the first visit. At install the service worker keeps everything the page
// needs (PAGE: the page, Pyodide, torsh-data and its wheel; the generated datasets too), so
// the next visit boots with the server gone; app.mjs registers it once the first batch is in,
// so that these downloads do not compete with the first boot's (most come from the HTTP
// cache then). Afterwards every same-origin GET is answered from the cache when there and
// refreshed from the network in the background (stale-while-revalidate). Datasets loaded
// from elsewhere are cached by torsh-data itself (IndexedDB).
const CACHE = "torsh-demo-v2";

const PAGE = [
  "./", "index.html", "style.css", "app.mjs",
  "vendor/torsh-data/index.mjs", "vendor/torsh-data/boot_cache.mjs", "vendor/torsh-data/pyodide_boot.mjs",
  "vendor/torsh-data/wheel/torsh_data.whl",
  "vendor/pyodide/pyodide.mjs", "vendor/pyodide/pyodide.asm.mjs", "vendor/pyodide/pyodide.asm.wasm",
  "vendor/pyodide/pyodide-lock.json",
];
// Kept when present: the precompiled standard library (else Pyodide's own is used) and the datasets.
const OPTIONAL = [
  "vendor/torsh-data/wheel/boot.json", "vendor/torsh-data/wheel/python_stdlib.zip", "vendor/pyodide/python_stdlib.zip",
  "data/shapes-images-idx3-ubyte", "data/flowers.csv", "data/sentences.txt",
];

// The page that registers the worker has just fetched (and revalidated) all of these, so the
// install takes them from the HTTP cache as they are ("force-cache": the network only for what
// is not there), not asking the server again: a revalidating request holds the HTTP cache's
// entry while its body streams into the Cache Storage, and a reload meanwhile waits for it.
const fetchKept = async (u) => {
  const res = await fetch(new Request(u, { cache: "force-cache" }));
  if (!res.ok) throw new Error(`sw.js: GET ${u}: HTTP ${res.status}`);
  return res;
};

self.addEventListener("install", (e) => e.waitUntil((async () => {
  const cache = await caches.open(CACHE);
  // all or nothing: an install that misses one fails (nothing of PAGE is put), and is retried
  const page = await Promise.all(PAGE.map(fetchKept));
  await Promise.all(page.map((res, i) => cache.put(PAGE[i], res)));
  await Promise.all(OPTIONAL.map((u) => fetchKept(u).then((res) => cache.put(u, res)).catch(() => {})));
  await self.skipWaiting();
})()));

self.addEventListener("activate", (e) => e.waitUntil((async () => {
  for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
  await self.clients.claim();
})()));

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin || req.headers.has("range")) return;
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // the server varies its responses on Accept-Encoding; the body is the same either way
    const hit = await cache.match(req, { ignoreVary: true });
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
