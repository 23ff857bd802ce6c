// The browser demo (examples/browser) driven in headless Chromium: it loads its generated
// dataset, takes a dropped file (setInputFiles and a DataTransfer drop), iterates an epoch,
// shows a cache hit after a reload, and still works with the server gone (offline). Screenshots
// and the measured timings go to build/screenshots/.
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/demo.test.mjs
// TORSH_WHEEL_DIR: directory of the torsh_data wheel (default: dist); PYTHON as in js.test.mjs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { serveDir } from "./serve.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const WHEEL_DIR = path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"));
const SHOTS = path.join(ROOT, "build/screenshots");
const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, "src") };

let server, base;

before(async () => {
  const built = spawnSync(process.execPath,
    [path.join(ROOT, "js/scripts/build.mjs"), "--wheel-dir", WHEEL_DIR, "--demo"], { encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  fs.mkdirSync(SHOTS, { recursive: true });
  ({ proc: server, url: base } = await serveDir(PYTHON, path.join(ROOT, "examples/browser"), [], ENV));
});

after(() => server?.kill("SIGTERM"));

const loads = (page, n) => page.waitForFunction((k) => window.demo.error || (window.demo.loads.length >= k &&
  window.demo.epochs.length >= k), n, { timeout: 120_000 });

async function lastLoad(page) {
  const s = await page.evaluate(() => window.demo);
  assert.equal(s.error, null, s.error);
  return { load: s.loads.at(-1), epoch: s.epochs.at(-1), state: s };
}

test("the demo: load, drop a file, an epoch, a cache hit after reload, offline", async () => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: process.env.PYRUN_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const timings = {};
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    // 1. first visit: the generated image dataset, downloaded (cache miss)
    await page.goto(base + "/");
    await loads(page, 1);
    let { load, epoch, state } = await lastLoad(page);
    assert.equal(load.fromCache, false);
    assert.equal(load.samples, 600);
    assert.deepEqual(load.schema, [{ name: "x", dtype: "uint8", shape: [16, 16], kind: "image" }]);
    assert.equal(epoch.samples, 600);
    assert.equal(epoch.batches, Math.ceil(600 / 32));
    assert.equal(await page.locator("#preview canvas").count(), 32);
    assert.match(await page.textContent("#cache"), /miss/);
    assert.match(await page.textContent("#throughput"), /batches\/s/);
    assert.equal(state.initTimings.compiledFromCache, false);
    assert.equal(state.initTimings.snapshot, "made");
    timings.cold = { firstBatchMs: load.firstBatchAt, initMs: state.initMs, init: state.initTimings, epoch };
    await page.screenshot({ path: path.join(SHOTS, "demo-1-first-visit.png"), fullPage: true });

    // 2. a file picked with the file input
    const csv = "a,b,c\n" + Array.from({ length: 50 }, (_, i) => `${i},${i * 2},${i % 5}`).join("\n") + "\n";
    await page.setInputFiles("#file", { name: "picked.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await loads(page, 2);
    ({ load, epoch } = await lastLoad(page));
    assert.deepEqual([load.label, load.samples, epoch.samples], ["picked.csv", 50, 50]);
    assert.equal(await page.locator("#preview table tr").count(), 13); // header + 12 rows
    await page.screenshot({ path: path.join(SHOTS, "demo-2-picked-csv.png"), fullPage: true });

    // 3. a file dropped on the drop zone (a real DataTransfer)
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["The cat sat on the mat.\nA dog reads the data!\n"], "dropped.txt", { type: "text/plain" }));
      return dt;
    });
    await page.dispatchEvent("#drop", "drop", { dataTransfer });
    await loads(page, 3);
    ({ load } = await lastLoad(page));
    assert.equal(load.label, "dropped.txt");
    assert.equal(load.samples, 2);
    const toks = await page.locator("#preview .tok").allTextContents();
    assert.deepEqual(toks.sort(), // shuffled lines, tokenized by torsh_data.text.basic_english
      ["the", "cat", "sat", "on", "the", "mat", ".", "a", "dog", "reads", "the", "data", "!"].sort());
    await page.screenshot({ path: path.join(SHOTS, "demo-3-dropped-text.png"), fullPage: true });

    // 4. the tabular dataset
    await page.selectOption("#dataset", "data/flowers.csv");
    await page.click("#load-dataset");
    await loads(page, 4);
    ({ load } = await lastLoad(page));
    assert.equal(load.samples, 1500);
    assert.deepEqual(load.schema.map((f) => f.name), ["x", "y"]);
    await page.screenshot({ path: path.join(SHOTS, "demo-4-table.png"), fullPage: true });

    // 5. reload: the dataset comes from the cache (IndexedDB)
    await page.reload();
    await loads(page, 1);
    ({ load, state } = await lastLoad(page));
    assert.equal(load.fromCache, true);
    assert.match(await page.textContent("#cache"), /hit/);
    assert.equal(state.initTimings.compiledFromCache, true, "the .pyc kept in IndexedDB are reused");
    assert.equal(state.initTimings.snapshot, "restored", "the boot snapshot kept in IndexedDB is used");
    timings.warm = { firstBatchMs: load.firstBatchAt, initMs: state.initMs, init: state.initTimings };
    await page.screenshot({ path: path.join(SHOTS, "demo-5-reload-cache-hit.png"), fullPage: true });

    // 6. offline: the server is gone, the service worker and IndexedDB still serve everything
    await page.reload(); // this visit's requests all went through the service worker
    await loads(page, 1);
    timings.warmServiceWorker = { firstBatchMs: (await lastLoad(page)).load.firstBatchAt };
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    await page.reload();
    await loads(page, 1);
    ({ load } = await lastLoad(page));
    assert.equal(load.fromCache, true);
    assert.equal(load.samples, 600);
    timings.offline = { firstBatchMs: load.firstBatchAt };
    await page.screenshot({ path: path.join(SHOTS, "demo-6-offline.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    fs.writeFileSync(path.join(SHOTS, "demo-timings.json"), JSON.stringify(timings, null, 2));
    console.log("demo timings (ms):", JSON.stringify(timings));
    await browser.close();
  }
});
