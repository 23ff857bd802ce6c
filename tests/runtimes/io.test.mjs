// torsh_data.io in real runtimes: fetch against tests/io/server.py (a second origin: another
// port than the harness page) in each headless browser engine and in Pyodide under Node.js;
// the IndexedDB cache (and its surviving a page reload: a persistent browser profile on a
// fixed port) and a small storage quota; the directory fallback of the cache in Pyodide under
// Node.js; an encrypted cache whose raw IndexedDB records, read from JavaScript, hold no
// plaintext. A test needing what an engine lacks is skipped there, naming it.
//
// Run: PYTHON=$PWD/.venv/bin/python node --experimental-wasm-stack-switching --test tests/runtimes/io.test.mjs
// TORSH_WHEEL_DIR: directory of the torsh_data wheel to install (default: dist).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CAPS, ENGINES, skipReason } from "../../tools/pyodide/engines.mjs";
import { runInBrowser, runInNode } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BROWSER = path.join(ROOT, "tests/io/browser");
const common = {
  wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist")),
    path.join(ROOT, ".cache/pyodide-wheels")],
  mounts: [`${path.join(ROOT, "tests")}:/work/tests`],
  cwd: "/work",
  timeout: 300,
};

let server, base;
const profiles = []; // browser profiles made by a test and reused by the next (removed at the end)

/** A fresh profile directory and port, when `engine` keeps profiles (else a port only). */
async function origin(engine, prefix) {
  const port = await freePort();
  if (!CAPS[engine].persistentProfile) return { port };
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  profiles.push(userDataDir);
  return { userDataDir, port };
}

/** A port nobody listens on (for the connection-refused checks and a fixed page port). */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  const python = process.env.PYTHON ?? "python3";
  server = spawn(python, [path.join(ROOT, "tests/io/server.py"), "--lifetime", "900"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("tests/io/server.py printed no port")), 20_000);
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/PORT (\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    server.on("exit", (c) => reject(new Error(`tests/io/server.py exited (${c})`)));
  });
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  server?.kill("SIGTERM");
  for (const p of profiles) fs.rmSync(p, { recursive: true, force: true });
});

async function facts(run, script, args, extra = {}) {
  const r = await run({ ...common, ...extra, script: path.join(BROWSER, script), args });
  assert.equal(r.code, 0, `${script} ${args.join(" ")} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** The checks that hold on every runtime (see tests/io/browser/fetch_checks.py). */
function assertFetchProtocol(f) {
  for (const [name, v] of Object.entries(f)) assert.ok(!v?.crashed, `${name} crashed: ${JSON.stringify(v)}`);
  assert.ok(f.ok.equal && f.ok.monotonic);
  assert.deepEqual(f.ok.last, [300000, 300000]);
  assert.ok(f.chunks.equal && f.chunks.max <= 1000);
  assert.ok(f.gzipped.equal, `a gzip-encoded body: ${JSON.stringify(f.gzipped)}`);
  for (const [kind, fact] of [["typed", "Content-Type: text/html; charset=utf-8"],
    ["sniffed", "the body starts with '<HTML'"]]) {
    const h = f.html_pages[kind];
    assert.equal(h.fetch.error, "HTMLResponseError", JSON.stringify(h));
    assert.ok(h.fetch.is_source_error);
    assert.ok(h.fetch.message.startsWith(`${base}/page/${kind}: the server sent an HTML page (`));
    assert.ok(h.fetch.message.includes(fact) && h.fetch.message.includes("where data was expected"));
    for (const fmt of ["csv", "json"]) {
      assert.equal(h[fmt].error, "HTMLResponseError");
      assert.ok(h[fmt].message.includes(`where ${fmt} data was expected`), h[fmt].message);
    }
    assert.ok(h.allowed, "expect=None downloads the page");
  }
  assert.deepEqual(f.ranges, { ok: [true, true, true], norange: [true, true, true] });
  assert.equal(f.not_found.error, "HTTPError");
  assert.equal(f.not_found.status, 404);
  assert.match(f.not_found.message, new RegExp(`^${base}/status/404: HTTP 404`));
  assert.ok(f.retry_after.equal);
  assert.equal(f.retry_after.requests, 3);
  assert.ok(f.retry_after.gaps.every((g) => g >= 0.9), `Retry-After: ${f.retry_after.gaps}`);
  assert.ok(f.backoff.equal);
  assert.ok(f.backoff.gaps[0] >= 0.09 && f.backoff.gaps[1] >= 0.19 && f.backoff.gaps[2] >= 0.39,
    `backoff: ${f.backoff.gaps}`);
  assert.equal(f.exhausted.status, 500);
  assert.match(f.exhausted.message, /after 3 attempts/);
  assert.ok(f.resume.equal && f.resume.monotonic, JSON.stringify(f.resume));
  assert.deepEqual(f.resume.last, [100000, 100000]);
  assert.deepEqual(f.resume.ranges, [null, "bytes=40000-"]);
  assert.deepEqual(f.resume.if_range, [null, '"drop-100000"']);
  assert.equal(f.bad_length.error, "NetworkError");
  assert.ok(f.integrity.fine);
  assert.equal(f.integrity.error, "IntegrityError");
  assert.ok(f.integrity.is_source_error);
  assert.equal(f.timeout.error, "FetchTimeoutError");
  assert.ok(f.timeout.calls > 0 && f.timeout.monotonic);
  assert.ok(f.timeout.last[0] < 5000);
  assert.equal(f.cancel.error, "FetchCancelledError");
  assert.equal(f.cancel_event.error, "FetchCancelledError");
  assert.equal(f.dead.error, "NetworkError");
  assert.ok(f.cached.equal && f.cached.keys);
  assert.equal(f.cached.requests, 1, "the second fetch must come from the cache");
}

test("fetch protocol in Pyodide under Node.js (fetch of Node, no CORS there)", async () => {
  const dead = `http://127.0.0.1:${await freePort()}/x`;
  const f = await facts(runInNode, "fetch_checks.py", [base, dead]);
  assert.equal(f.runtime, "pyodide-node");
  assertFetchProtocol(f);
  assert.equal(f.cached.backend, "directory"); // no IndexedDB in Node.js
  assert.equal(f.nocors.error, null);
});

test("in Pyodide under Node.js the cache falls back to a directory", async () => {
  const w = await facts(runInNode, "cache_checks.py", ["write"]);
  assert.equal(w.runtime, "pyodide-node");
  assert.equal(w.backend, "directory");
  assert.deepEqual(w.keys, ["dataset.bin", "small"]);
  assert.equal(w.corrupt_get, 102400); // not corrupted there: read back whole
  assert.deepEqual(w.lru_keys, ["a", "c"]);
});

/** Every record of an IndexedDB database, read from JavaScript: keys, bytes as hex, others as JSON. */
function dumpIndexedDb(dbName) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const names = [...db.objectStoreNames];
      const tx = db.transaction(names, "readonly");
      const out = { stores: names, keys: [], hex: [], other: [] };
      for (const name of names) {
        const store = tx.objectStore(name);
        store.getAllKeys().onsuccess = (e) => out.keys.push(...e.target.result.map(String));
        store.getAll().onsuccess = (e) => {
          for (const v of e.target.result) {
            if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
              out.hex.push([...new Uint8Array(v)].map((b) => b.toString(16).padStart(2, "0")).join(""));
            } else out.other.push(JSON.stringify(v));
          }
        };
      }
      tx.oncomplete = () => { db.close(); resolve(out); };
      tx.onerror = () => reject(tx.error);
    };
  });
}

for (const engine of ENGINES) {
  const run = (opts) => runInBrowser(engine, opts);
  const browserOrigin = {}; // the profile + port of the cache test, for its reload test

  // The check scripts block on JavaScript promises (asyncio.run): engines without JSPI skip.
  test(`${engine}: fetch protocol against a second origin`, { skip: skipReason(engine, "jspi") ?? false }, async () => {
    const dead = `http://127.0.0.1:${await freePort()}/x`;
    // The harness page's CSP allows only its own origin: let it reach the test server.
    const f = await facts(run, "fetch_checks.py", [base, dead],
      { connectSrc: [base, new URL(dead).origin] });
    assert.equal(f.runtime, "pyodide-browser");
    assertFetchProtocol(f);
    assert.equal(f.cached.backend, "indexeddb");
    assert.equal(f.nocors.error, "CORSError", JSON.stringify(f.nocors));
    assert.match(f.nocors.message, /CORS/);
    assert.match(f.nocors.message, /Access-Control-Allow-Origin/);
    // credentials: the page's cookie is not sent cross-origin by default nor with "omit";
    // "include" sends it (and a server answering "Access-Control-Allow-Origin: *" is then refused)
    assert.deepEqual(f.credentials["same-origin"].cookies, [null]);
    assert.equal(f.credentials["same-origin"].error, null);
    assert.deepEqual(f.credentials.omit.cookies, [null]);
    // then the no-cors probe that tells CORS from an unreachable server, without credentials
    assert.deepEqual(f.credentials.include.cookies, ["torsh=secret", null]);
    assert.equal(f.credentials.include.error, "CORSError");
  });

  test(`${engine}: the IndexedDB cache; corruption and LRU eviction`, { skip: skipReason(engine, "jspi") ?? false }, async () => {
    Object.assign(browserOrigin, await origin(engine, "torsh-io-profile-"));
    const w = await facts(run, "cache_checks.py", ["write"], browserOrigin);
    assert.equal(w.runtime, "pyodide-browser");
    assert.equal(w.backend, "indexeddb");
    assert.deepEqual(w.keys, ["dataset.bin", "small"]);
    assert.equal(w.corrupt_get, null, "a corrupted entry must not be returned");
    assert.equal(w.corrupt_still_there, false, "a corrupted entry must be dropped");
    assert.deepEqual(w.lru_keys, ["a", "c"]);
    assert.equal(w.lru_usage, 2400);
  });

  test(`${engine}: the IndexedDB cache survives a page reload`,
    { skip: skipReason(engine, "persistentProfile", "jspi") ?? false }, async () => {
      assert.ok(browserOrigin.userDataDir, "the cache test above must have written the profile");
      const r = await facts(run, "cache_checks.py", ["read"], browserOrigin);
      assert.equal(r.backend, "indexeddb");
      assert.deepEqual(r.keys, ["dataset.bin", "small"]);
      assert.equal(r.dataset_sha, r.expected_sha);
      assert.equal(r.small, "hello");
      assert.deepEqual(r.lru_keys, ["a", "c"]);
    });

  test(`${engine}: a full storage quota (QuotaExceededError) evicts and retries, or fails cleanly`,
    { skip: skipReason(engine, "storageQuota", "jspi") ?? false }, async () => {
      // DevTools Storage.overrideQuotaForOrigin: ~3 entries of 300 kB fit in 1 MB.
      const q = await facts(run, "cache_checks.py", ["quota"], { storageQuota: 1_000_000 });
      assert.equal(q.runtime, "pyodide-browser");
      q.after.forEach((keys, i) => assert.ok(keys.includes(`k${i}`), `put k${i}: ${keys}`));
      assert.ok(!q.after[5].includes("k0") && q.after[5].length <= 3, `${q.after[5]}`);
      assert.ok(q.last_ok);
      assert.match(q.big_error, /storage quota for this site is full/);
      assert.ok(!q.keys_after_big.includes("big"), "a failed put must leave no entry");
    });

  const crypt = {}; // the written facts and origin, for the reload test

  test(`${engine}: an encrypted IndexedDB cache holds no plaintext; wrong passphrases and tampering`,
    { skip: skipReason(engine, "jspi") ?? false }, async () => {
    crypt.opts = await origin(engine, "torsh-crypt-profile-");
    const r = await run({ ...common, ...crypt.opts, script: path.join(BROWSER, "crypto_checks.py"),
      args: ["write"], inspect: `(${dumpIndexedDb})("torsh-data:secret")` });
    assert.equal(r.code, 0, r.stderr);
    const w = (crypt.written = JSON.parse(r.stdout.trim().split("\n").pop()));
    assert.equal(w.runtime, "pyodide-browser");
    assert.equal(w.backend, "indexeddb");
    assert.ok(w.roundtrip);
    assert.deepEqual(w.keys, [w.key, "victim"].sort());
    assert.equal(w.wrong, "PassphraseError");
    assert.equal(w.unencrypted, "PassphraseError");
    assert.equal(w.tampered_get, null, "a tampered entry must not be returned");
    assert.ok(w.tampered_dropped);
    assert.deepEqual(w.after, [w.key]);
    assert.ok(w.still_right, "a wrong passphrase must destroy nothing");
    assert.deepEqual(w.upgraded, { v1: 1, plain_get: "plain" }, "a version-1 database upgrades");

    const raw = r.inspected;
    assert.deepEqual([...raw.stores].sort(), ["data", "meta", "settings"]);
    assert.ok(raw.hex.length >= 2 && raw.hex.join("").length > 2 * 60000, "the ciphertext is stored");
    const everything = [...raw.keys, ...raw.hex, ...raw.other].join("\n");
    const hexOf = (s) => Buffer.from(s).toString("hex");
    for (const [what, needle] of [
      ["plaintext", w.payload_hex], ["plaintext sha256", w.payload_sha256],
      ["plaintext sha256 as text bytes", hexOf(w.payload_sha256)], ["key name", w.key],
      ["key name bytes", hexOf(w.key)], ["host name", "private.example"],
      ["host name bytes", hexOf("private.example")], ["passphrase", w.passphrase],
      ["passphrase bytes", hexOf(w.passphrase)],
    ]) assert.ok(!everything.includes(needle), `${what} found in IndexedDB`);
    assert.ok(!raw.keys.some((k) => k.includes("victim")), "key names are encrypted");
  });

  test(`${engine}: the encrypted cache survives a page reload`,
    { skip: skipReason(engine, "persistentProfile", "jspi") ?? false }, async () => {
      assert.ok(crypt.written, "the encrypted cache test above must have written the profile");
      const again = await facts(run, "crypto_checks.py", ["read"], crypt.opts);
      assert.equal(again.backend, "indexeddb");
      assert.deepEqual(again.keys, [crypt.written.key]);
      assert.ok(again.roundtrip, "the encrypted entries survive a page reload");
      assert.equal(again.wrong, "PassphraseError");
    });
}
