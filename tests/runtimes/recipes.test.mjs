// The no-bundler recipes (issue #18), each a fresh copy of its example with the packed tarball
// npm-installed, served by `torsh-data serve` (its CSP) and run in Chromium:
// - examples/importmap/: an inline import map maps "torsh-data" to the package; the server's
//   CSP allows it by its sha256 (NOTE [ Import maps under the CSP ]); a first batch arrives.
// - examples/worker/: the page's WorkerClient and the worker's serveWorker (torsh-data/worker):
//   a load and an epoch of batches, a failing load that rejects with the Python error, two
//   requests in flight, a buffer moved to the worker, a worker that cannot start and
//   terminate() rejecting instead of hanging.
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/recipes.test.mjs
// (PYTHON, TORSH_JS_BUILT, TORSH_WHEEL_DIR as in js_suite.mjs; TORSH_KEEP_RECIPES=1 keeps the copies)
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { ENGINES, launch } from "../../tools/pyodide/engines.mjs";
import { PYTHON, ROOT, copyExample, npmInstall, packTarball, removeFreshDirs, run } from "./recipe_support.mjs";
import { serveDir } from "./serve.mjs";

const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, "src") };
const servers = [];
let tarball;

before(() => { tarball = packTarball(); });

after(() => {
  for (const s of servers) s.kill("SIGTERM");
  removeFreshDirs();
});

/** A fresh copy of examples/<name> with the tarball installed, served; a Chromium page on it. */
async function openExample(name) {
  const dir = copyExample(name);
  npmInstall(dir, tarball);
  const { proc, url } = await serveDir(PYTHON, dir, [], ENV);
  servers.push(proc);
  const page = await launch("chromium", { timeoutMs: 240_000 });
  try {
    await page.goto(url + "/");
    await page.waitFor(() => window.result || window.error, null, 240_000);
    const error = await page.evaluate(() => window.error ?? null);
    assert.equal(error, null, `${error}\n${page.diagnostics.join("\n")}`);
  } catch (e) {
    await page.close();
    throw new Error(`${e.message}\n${page.diagnostics.join("\n")}`, { cause: e });
  }
  return { dir, url, page };
}

// (Chromium only: the recipes are about the package, not the engine; the engines are js_suite.mjs's)
const CHROMIUM = { timeout: 600_000, skip: ENGINES.includes("chromium") ? false : "TORSH_ENGINES leaves out chromium" };
const badDiagnostics = (page) => page.diagnostics.filter((d) => /^(page error|CSP|HTTP [45])/.test(d));

test("an import map under torsh-data serve's CSP reaches a first batch", CHROMIUM, async () => {
  const { dir, url, page } = await openExample("importmap");
  try {
    const r = await page.evaluate(() => window.result);
    assert.deepEqual(r.x, { shape: [8, 4], dtype: "float32", head: [5.2, 3.6, 1.3, 0.3].map(Math.fround) });
    assert.deepEqual(r.y, [0, 1, 2, 0, 1, 2, 0, 1]);
    assert.deepEqual([r.len, r.samples], [5, 40]);
    assert.deepEqual(badDiagnostics(page), [], page.diagnostics.join("\n"));
    // what let it run: the map's own hash in script-src, computed here from the file's text
    const html = fs.readFileSync(path.join(dir, "index.html"), "utf8");
    const map = html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1];
    const hash = `'sha256-${crypto.createHash("sha256").update(map).digest("base64")}'`;
    const csp = (await fetch(url + "/", { headers: { "Accept-Encoding": "identity" } })).headers.get("content-security-policy");
    assert.match(csp, new RegExp(`script-src [^;]*${hash.replace(/[+/]/g, "\\$&")}`));
  } finally {
    await page.close();
  }
});

test("a module Worker through torsh-data/worker: batches, errors, requests in flight, no hangs", CHROMIUM, async () => {
  const { page } = await openExample("worker");
  try {
    const r = await page.evaluate(() => window.result);
    assert.deepEqual(r, { info: { len: 5, samples: 40, fromCache: false, schema: r.info.schema }, batches: 5, samples: 40 });
    assert.deepEqual(r.info.schema.map((f) => f.name), ["x", "y"]);
    assert.deepEqual(badDiagnostics(page), [], page.diagnostics.join("\n")); // (the checks below provoke errors on purpose)
    const checks = await page.evaluate(async () => {
      const { TorshDataError } = await import("torsh-data");
      const { WorkerClient } = await import("torsh-data/worker");
      const client = window.client;
      const settle = (p) => p.then((value) => ({ value }), (e) => ({
        error: { isTorsh: e instanceof TorshDataError, name: e.name, pythonType: e.pythonType, message: e.message,
          traceback: typeof e.traceback === "string" && e.traceback.length > 0 } }));
      const out = {};
      // two nexts in flight at once: answered in order, each its own batch
      await client.reset();
      const [a, b] = await Promise.all([client.next(), client.next()]);
      out.inFlight = [Array.from(a.y.data, Number), Array.from(b.y.data, Number)];
      // a failing load rejects (the worker lives on)
      out.failed = await settle(client.load({ url: new URL("missing.csv", location.href).href }));
      out.afterFailure = await settle(client.load({ data: new TextEncoder().encode("a,b\n1,2\n3,4\n").buffer, name: "t.csv", batchSize: 2 }));
      // a buffer given in the transfer list is moved to the worker
      const bytes = new TextEncoder().encode("a,b\n1,4\n2,5\n3,6\n").buffer;
      out.moved = await settle(client.load({ data: bytes, name: "m.csv", batchSize: 3, options: { label: "b" } }, [bytes]));
      out.detached = bytes.byteLength;
      out.movedBatch = Array.from((await client.next()).y.data, Number);
      // an unknown message rejects too
      out.unknown = await settle(client.request({ type: "nope" }));
      // a worker whose script cannot load rejects, not hangs
      const dead = new WorkerClient(new URL("./no-such-worker.mjs", location.href));
      out.dead = await settle(Promise.race([dead.init(),
        new Promise((r) => setTimeout(() => r("still pending after 30 s"), 30_000))]));
      out.deadAgain = await settle(dead.next());
      // ... and so does one whose top level throws before serveWorker() (a blob: module worker)
      const script = URL.createObjectURL(new Blob(['throw new Error("boom at the top level");'], { type: "text/javascript" }));
      const thrown = new WorkerClient(new Worker(script, { type: "module" }));
      out.thrown = await settle(Promise.race([thrown.load({ url: "x.csv" }),
        new Promise((r) => setTimeout(() => r("still pending after 30 s"), 30_000))]));
      // terminate(): the pending request rejects
      const pending = settle(client.next());
      client.terminate();
      out.terminated = await pending;
      return out;
    });
    assert.deepEqual(checks.inFlight, [[0, 1, 2, 0, 1, 2, 0, 1], [2, 0, 1, 2, 0, 1, 2, 0]]);
    assert.equal(checks.failed.error?.isTorsh, true, JSON.stringify(checks.failed));
    assert.match(checks.failed.error.message, /missing\.csv/);
    assert.match(checks.failed.error.message, /404/);
    assert.equal(checks.failed.error.name, checks.failed.error.pythonType);
    assert.notEqual(checks.failed.error.pythonType, "WorkerError");
    assert.equal(checks.failed.error.traceback, true);
    assert.deepEqual(checks.afterFailure.value?.samples, 2, JSON.stringify(checks.afterFailure));
    assert.deepEqual(checks.moved.value?.samples, 3, JSON.stringify(checks.moved));
    assert.equal(checks.detached, 0);
    assert.deepEqual(checks.movedBatch, [4, 5, 6]);
    assert.equal(checks.unknown.error?.pythonType, "TypeError");
    assert.match(checks.unknown.error.message, /unknown message type "nope"/);
    assert.equal(checks.dead.error?.pythonType, "WorkerError", JSON.stringify(checks.dead));
    assert.match(checks.dead.error.message, /failed to start/);
    assert.equal(checks.deadAgain.error?.pythonType, "WorkerError");
    assert.equal(checks.thrown.error?.pythonType, "WorkerError", JSON.stringify(checks.thrown));
    assert.match(checks.thrown.error.message, /failed to start: it threw .*boom at the top level/);
    assert.equal(checks.terminated.error?.pythonType, "WorkerError");
    assert.match(checks.terminated.error.message, /terminated/);
  } finally {
    await page.close();
  }
});

test("torsh-data/worker's types, from the installed package, compile under tsc --strict", () => {
  const dir = copyExample("worker");
  npmInstall(dir, tarball);
  fs.writeFileSync(path.join(dir, "check.ts"), `
import { TorshDataError, type Batch } from "torsh-data";
import { WorkerClient, serveWorker, type WorkerLoaded } from "torsh-data/worker";

export async function page(url: URL): Promise<number> {
  const client = new WorkerClient(url);
  const info: WorkerLoaded = await client.load({ url: "train.csv", batchSize: 8, options: { label: "y" } });
  let n = info.len ?? 0;
  for await (const batch of client) { const b: Batch = batch; n += Object.keys(b).length; }
  const next: Batch | null = await client.next();
  try { n += await client.reset(); } catch (e) { if (e instanceof TorshDataError) n += e.traceback.length; }
  client.terminate();
  return n + (next ? 1 : 0);
}
export const worker = () => serveWorker({ init: { indexURL: "/pyodide/" } });
`);
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext",
      lib: ["es2022", "dom", "dom.iterable"], types: [], skipLibCheck: false },
    files: ["check.ts"],
  }));
  run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir], { cwd: dir });
});
