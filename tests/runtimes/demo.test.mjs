// The browser demo (examples/browser) driven in each headless browser engine: it loads its
// generated dataset, takes a picked file (the harness's setInputFiles) and a dropped one (a
// DataTransfer drop dispatched in the page), iterates an epoch, shows a cache hit after a
// reload, and still works with the server gone (offline). Screenshots (where the engine takes
// them) and the measured timings go to build/screenshots/.
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/demo.test.mjs
// TORSH_WHEEL_DIR: directory of the torsh_data wheel (default: dist); PYTHON, TORSH_JS_BUILT as in js_suite.mjs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES, launch, skipReason } from "../../tools/pyodide/engines.mjs";
import { serveDir } from "./serve.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const WHEEL_DIR = path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"));
const SHOTS = path.join(ROOT, "build/screenshots");
const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, "src") };

let server, base;
const serve = () => serveDir(PYTHON, path.join(ROOT, "examples/browser"), [], ENV);

before(async () => {
  if (process.env.TORSH_JS_BUILT !== "1") { // see js_suite.mjs
    const built = spawnSync(process.execPath,
      [path.join(ROOT, "js/scripts/build.mjs"), "--wheel-dir", WHEEL_DIR, "--demo"], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  ({ proc: server, url: base } = await serve());
});

after(() => server?.kill("SIGTERM"));

const loads = (page, n) => page.waitFor((k) => window.demo && (window.demo.error || (window.demo.loads.length >= k &&
  window.demo.epochs.length >= k)), n, 180_000);
const count = (page, sel) => page.evaluate((s) => document.querySelectorAll(s).length, sel);
const textOf = (page, sel) => page.evaluate((s) => document.querySelector(s).textContent, sel);

async function lastLoad(page) {
  const s = await page.evaluate(() => window.demo);
  assert.equal(s.error, null, s.error);
  return { load: s.loads.at(-1), epoch: s.epochs.at(-1), state: s };
}

for (const engine of ENGINES) test(`${engine}: the demo: load, pick and drop a file, an epoch, a cache hit after reload, offline`,
  { skip: skipReason(engine, "setInputFiles") ?? false }, async () => {
  if (!server) ({ proc: server, url: base } = await serve()); // the previous engine's run stopped it
  const page = await launch(engine, { timeoutMs: 240_000, viewport: { width: 1000, height: 900 } });
  const shot = async (name) => { if (page.caps.screenshot) await page.screenshot(path.join(SHOTS, `demo-${engine}-${name}.png`)); };
  const errors = async () => {
    await page.collectErrors?.();
    return page.diagnostics.filter((d) => /^(page error|CSP)/.test(d));
  };
  const visit = async (reload) => {
    if (reload) await page.reload(); else await page.goto(base + "/");
    await page.installErrorCollector();
  };
  const timings = {};
  try {
    // 1. first visit: the generated image dataset, downloaded (cache miss)
    await visit(false);
    await loads(page, 1);
    let { load, epoch, state } = await lastLoad(page);
    assert.equal(load.fromCache, false);
    assert.equal(load.samples, 600);
    assert.deepEqual(load.schema, [{ name: "x", dtype: "uint8", shape: [16, 16], kind: "image" }]);
    assert.equal(epoch.samples, 600);
    assert.equal(epoch.batches, Math.ceil(600 / 32));
    assert.equal(await count(page, "#preview canvas"), 32);
    assert.match(await textOf(page, "#cache"), /miss/);
    assert.match(await textOf(page, "#throughput"), /batches\/s/);
    assert.equal(state.initTimings.compiledFromCache, false);
    assert.equal(state.initTimings.snapshot, "made");
    timings.cold = { firstBatchMs: load.firstBatchAt, initMs: state.initMs, init: state.initTimings, epoch };
    await shot("1-first-visit");

    // 2. a file picked with the file input
    const csv = "a,b,c\n" + Array.from({ length: 50 }, (_, i) => `${i},${i * 2},${i % 5}`).join("\n") + "\n";
    const picked = path.join(fs.mkdtempSync(path.join(SHOTS, ".pick-")), "picked.csv");
    fs.writeFileSync(picked, csv);
    try {
      await page.setInputFiles("#file", [picked]);
      await loads(page, 2);
    } finally {
      fs.rmSync(path.dirname(picked), { recursive: true, force: true });
    }
    ({ load, epoch } = await lastLoad(page));
    assert.deepEqual([load.label, load.samples, epoch.samples], ["picked.csv", 50, 50]);
    assert.equal(await count(page, "#preview table tr"), 13); // header + 12 rows
    await shot("2-picked-csv");

    // 3. a file dropped on the drop zone (a real DataTransfer in a drop event)
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["The cat sat on the mat.\nA dog reads the data!\n"], "dropped.txt", { type: "text/plain" }));
      document.querySelector("#drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await loads(page, 3);
    ({ load } = await lastLoad(page));
    assert.equal(load.label, "dropped.txt");
    assert.equal(load.samples, 2);
    const toks = await page.evaluate(() => [...document.querySelectorAll("#preview .tok")].map((e) => e.textContent));
    assert.deepEqual(toks.sort(), // shuffled lines, tokenized by torsh_data.text.basic_english
      ["the", "cat", "sat", "on", "the", "mat", ".", "a", "dog", "reads", "the", "data", "!"].sort());
    await shot("3-dropped-text");

    // 4. the tabular dataset
    await page.evaluate(() => {
      const sel = document.querySelector("#dataset");
      sel.value = "data/flowers.csv";
      sel.dispatchEvent(new Event("input", { bubbles: true }));
      sel.dispatchEvent(new Event("change", { bubbles: true }));
      document.querySelector("#load-dataset").click();
    });
    await loads(page, 4);
    ({ load } = await lastLoad(page));
    assert.equal(load.samples, 1500);
    assert.deepEqual(load.schema.map((f) => f.name), ["x", "y"]);
    await shot("4-table");

    // 5. reload: the dataset comes from the cache (IndexedDB). Firefox keeps a form's values
    // over a reload, so the select is set back to the images first (Chromium resets it).
    await page.evaluate(() => { document.querySelector("#dataset").selectedIndex = 0; });
    await visit(true);
    await loads(page, 1);
    ({ load, state } = await lastLoad(page));
    assert.equal(load.fromCache, true);
    assert.equal(load.samples, 600);
    assert.match(await textOf(page, "#cache"), /hit/);
    assert.equal(state.initTimings.compiledFromCache, true, "the .pyc kept in IndexedDB are reused");
    assert.equal(state.initTimings.snapshot, "restored", "the boot snapshot kept in IndexedDB is used");
    timings.warm = { firstBatchMs: load.firstBatchAt, initMs: state.initMs, init: state.initTimings };
    await shot("5-reload-cache-hit");

    // 6. offline: the server is gone, the service worker and IndexedDB still serve everything
    await visit(true); // this visit's requests all went through the service worker
    await loads(page, 1);
    timings.warmServiceWorker = { firstBatchMs: (await lastLoad(page)).load.firstBatchAt };
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    server = null;
    await visit(true);
    await loads(page, 1);
    ({ load } = await lastLoad(page));
    assert.equal(load.fromCache, true);
    assert.equal(load.samples, 600);
    timings.offline = { firstBatchMs: load.firstBatchAt };
    await shot("6-offline");
    assert.deepEqual(await errors(), []);
  } finally {
    fs.writeFileSync(path.join(SHOTS, `demo-timings-${engine}.json`), JSON.stringify(timings, null, 2));
    console.log(`demo timings in ${engine} (ms):`, JSON.stringify(timings));
    await page.close();
  }
});

// The page's promises, each held in a fresh profile: offline after ONE online visit (the
// service worker precaches at install), boot progress with numbers, labelled controls, a live
// status, a drop zone that opens on Enter and Space, and a failed URL that clears what was shown.
for (const engine of ENGINES) test(`${engine}: the demo keeps its promises: offline after one visit, boot progress, keyboard, labels, a failed URL clears`,
  { skip: skipReason(engine, "setInputFiles") ?? false }, async () => {
  const own = await serve(); // stopped below: the page must then boot from the service worker
  const page = await launch(engine, { timeoutMs: 240_000, viewport: { width: 1000, height: 900 } });
  try {
    await page.goto(own.url + "/");
    await loads(page, 1);
    let { state } = await lastLoad(page);
    // boot progress: phases in order, with byte counts that grow to a known total
    const phases = [...new Set(state.boot.map((e) => e.phase))];
    assert.deepEqual(phases.filter((p) => p !== "snapshot"), ["download", "python", "install", "import", "ready"]);
    const downloads = state.boot.filter((e) => e.phase === "download");
    assert.ok(downloads.length >= 3, `download progress reported ${downloads.length} times`);
    assert.ok(downloads.at(-1).loaded > 1e6, `only ${downloads.at(-1).loaded} bytes counted`);
    assert.ok(state.boot.some((e) => e.total !== null && e.loaded > 0 && e.loaded <= e.total));
    assert.equal(state.initTimings.stdlib, "precompiled", "the precompiled standard library is used");
    // accessible names and a live status
    const a11y = await page.evaluate(() => ({
      url: document.querySelector("#url").labels.length,
      progress: document.querySelector("#progress").labels.length,
      live: document.querySelector("#status").getAttribute("aria-live"),
      role: document.querySelector("#status").getAttribute("role"),
      drop: [document.querySelector("#drop").getAttribute("role"), document.querySelector("#drop").tabIndex],
    }));
    assert.deepEqual(a11y, { url: 1, progress: 1, live: "polite", role: "status", drop: ["button", 0] });
    // Enter and Space on the focused drop zone open the file picker
    await page.evaluate(() => {
      window.picks = 0;
      document.querySelector("#file").addEventListener("click", (e) => { window.picks++; e.preventDefault(); });
      const drop = document.querySelector("#drop");
      drop.focus();
      for (const key of ["Enter", " "]) drop.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
      drop.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true, cancelable: true }));
    });
    assert.equal(await page.evaluate(() => window.picks), 2);
    // a URL that fails: the previous dataset is no longer shown, the error is
    assert.equal(await count(page, "#preview canvas"), 32);
    await page.evaluate((u) => {
      document.querySelector("#url").value = u;
      document.querySelector("#url-form").requestSubmit();
    }, `${own.url}/data/missing.csv`);
    await page.waitFor(() => window.demo.error !== null, null, 60_000);
    const shown = await page.evaluate(() => ({
      status: document.querySelector("#status").textContent, source: document.querySelector("#source").textContent,
      schema: document.querySelector("#schema").rows.length, preview: document.querySelector("#preview").childElementCount,
      epoch: document.querySelector("#epoch").disabled,
    }));
    assert.match(shown.status, /missing\.csv/);
    assert.match(shown.status, /404/);
    assert.deepEqual([shown.source, shown.schema, shown.preview, shown.epoch], ["–", 0, 0, true]);
    // offline after this one visit: the service worker was installed once the first batch was in
    await page.waitFor(() => window.demo.offlineReady === true, null, 120_000);
    own.proc.kill("SIGTERM");
    await new Promise((r) => own.proc.once("exit", r));
    await page.reload();
    await loads(page, 1);
    ({ state } = await lastLoad(page));
    assert.equal(state.loads[0].samples, 600);
    assert.equal(await count(page, "#preview canvas"), 32);
  } finally {
    own.proc.kill("SIGTERM");
    await page.close();
  }
});

// sw.js: the install takes what the page has just fetched from the HTTP cache as it is, not
// from the server again (a revalidation holds the HTTP cache's entry while its body streams
// into the Cache Storage, and a reload meanwhile waits for it)
for (const engine of ENGINES) test(`${engine}: the demo's service worker installs from the HTTP cache, asking the server nothing again`,
  // WebKit's automation session sends every request to the server (the page's own fetches of a
  // file are each answered 200): there is no HTTP cache to install from
  { skip: engine === "webkit" ? "WebKit's automation session keeps no HTTP cache" : false }, async () => {
  const own = await serveDir(PYTHON, path.join(ROOT, "examples/browser"), [], ENV, { log: true });
  const page = await launch(engine, { timeoutMs: 240_000 });
  try {
    await page.goto(own.url + "/");
    await loads(page, 1);
    await page.waitFor(() => window.demo.offlineReady === true, null, 120_000);
    const asked = (file) => own.requests.filter((r) => r.startsWith(`GET /${file} `));
    for (const file of ["vendor/pyodide/pyodide.asm.wasm", "vendor/torsh-data/wheel/torsh_data.whl", "vendor/torsh-data/index.mjs", "app.mjs"]) {
      assert.equal(asked(file).length, 1, `${file}: ${JSON.stringify(asked(file))}`);
    }
  } finally {
    own.proc.kill("SIGTERM");
    await page.close();
  }
});

/** A CSV of `rows` rows of 20 floats and a label, about 125 bytes a row. */
export function bigCsv(rows) {
  let seed = 1;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = [Array.from({ length: 20 }, (_, j) => `f${j}`).join(",") + ",label"];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: 20 }, () => (r() * 10 - 5).toFixed(4)).join(",") + `,${i % 10}`);
  return out.join("\n") + "\n";
}

// NOTE [ Loading yields ] (src/torsh_data/_jsapi/stream.py): a CSV served gzipped (no usable
// Content-Length) is loaded while the page keeps painting: progress is indeterminate (null)
// and the decoded bytes grow, timers and animation frames keep coming during the load. Counts,
// not timings (the longest task is bench_js.mjs's figure).
for (const engine of ENGINES) test(`${engine}: a gzipped CSV loads with moving progress while the page repaints`,
  { skip: engine === "chromium" ? false : "animation frames of a headless page are Chromium's here" }, async () => {
  const rows = 32_000; // ~4 MB
  const file = path.join(ROOT, "examples/browser/data/big-test.csv");
  fs.writeFileSync(file, bigCsv(rows));
  const own = await serve();
  const page = await launch(engine, { timeoutMs: 240_000 });
  try {
    await page.goto(own.url + "/");
    await loads(page, 1);
    const r = await page.evaluate(async () => {
      const td = await import("./vendor/torsh-data/index.mjs");
      await td.init(); // the page's runtime
      const loader = new td.WasmDataLoader(256, { shuffle: true, seed: 0, label: "label" });
      let frames = 0, stop = false;
      const frame = () => { frames++; if (!stop) requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      const seen = [];
      const timer = setInterval(() => seen.push([loader.progress, loader.loadedBytes]), 10);
      const res = await fetch("data/big-test.csv", { method: "HEAD" });
      await loader.loadFromUrl("data/big-test.csv");
      stop = true;
      clearInterval(timer);
      return { frames, seen, samples: loader.samples, progress: loader.progress, loadedBytes: loader.loadedBytes,
        encoding: res.headers.get("Content-Encoding") };
    });
    const size = fs.statSync(file).size;
    assert.equal(r.samples, rows);
    assert.equal(r.progress, 1);
    assert.equal(r.loadedBytes, size, "the decoded bytes are counted");
    const during = r.seen.filter(([p]) => p !== 1);
    assert.ok(during.some(([p]) => p === null), `progress was never indeterminate: ${JSON.stringify(r.seen.slice(0, 5))}`);
    const distinct = new Set(during.map(([, b]) => b)).size;
    assert.ok(distinct >= 5, `the byte count moved only ${distinct} times while loading`);
    assert.ok(r.seen.length >= 20, `timers ran ${r.seen.length} times during the load`);
    assert.ok(r.frames >= 10, `${r.frames} animation frames during the load`);
  } finally {
    own.proc.kill("SIGTERM");
    fs.rmSync(file, { force: true });
    await page.close();
  }
});
