// NOTE [ Warm-up ] (src/torsh_data/_jsapi/loader.py), in Chromium: after init() a page's first
// loads of a CSV from a URL import no Python module, on a first visit (init() ran warm_up())
// and on the next (restored from the boot snapshot that warm_up() ran before). A module a load
// imports is compiled or executed on the page's main thread while the load runs: one long
// task. Speed itself is measured by bench/bench_js.mjs, never asserted.
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/warm_up.test.mjs
// TORSH_WHEEL_DIR / TORSH_JS_BUILT / PYTHON: as for js_suite.mjs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launch } from "../../tools/pyodide/engines.mjs";
import { serveDir } from "./serve.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const WHEEL_DIR = path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"));
const DATA = path.join(ROOT, "build/warm-up-test-data");

// as the demo and bench/bench_js.mjs load them: numeric labels shuffled, and a CSV read in order
const ROWS = 40;
const LOADS = [
  ["numbers.csv", { shuffle: true, seed: 0, label: "label" }],
  ["plain.csv", {}],
];

let site;
before(async () => {
  if (process.env.TORSH_JS_BUILT !== "1") {
    const built = spawnSync(process.execPath, [path.join(ROOT, "js/scripts/build.mjs"), "--wheel-dir", WHEEL_DIR],
      { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
  }
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const rows = (f) => Array.from({ length: ROWS }, (_, i) => f(i)).join("\n") + "\n";
  fs.writeFileSync(path.join(DATA, "numbers.csv"), "a,b,label\n" + rows((i) => `${i * 0.25},${-i},${i % 3}`));
  fs.writeFileSync(path.join(DATA, "plain.csv"), "x,y,z\n" + rows((i) => `${i},${i / 8},${i % 5}`));
  site = await serveDir(PYTHON, ROOT, [], { ...process.env, PYTHONPATH: path.join(ROOT, "src") });
});
after(() => site?.proc.kill("SIGTERM"));

test("a first load from a URL after init() imports no module: a first visit, and one restored from the boot snapshot", async () => {
  const page = await launch("chromium", { timeoutMs: 240_000 });
  try {
    const visit = async (reload) => {
      if (reload) await page.reload(); else await page.goto(`${site.url}/tests/runtimes/warm_up_page.html`);
      await page.waitFor(() => typeof window.visit === "function", null, 60_000);
      const r = await page.evaluate((loads) => window.visit("/build/warm-up-test-data", loads), LOADS);
      assert.equal(r.error, undefined, r.error);
      return r;
    };
    const expected = [
      { file: "numbers.csv", samples: ROWS, batches: ROWS / 4, imported: [] },
      { file: "plain.csv", samples: ROWS, batches: ROWS / 4, imported: [] },
    ];
    const first = await visit(false);
    assert.deepEqual([first.snapshot, first.saved], ["made", true]);
    // making the snapshot drops Python's `js` (takeSnapshot in pyodide_boot.mjs): the page's
    // global scope, a registered module with no code, is imported again by the first load
    assert.deepEqual(first.loads, [{ ...expected[0], imported: ["js"] }, expected[1]]);
    const restored = await visit(true);
    assert.equal(restored.snapshot, "restored");
    assert.deepEqual(restored.loads, expected);
  } finally {
    await page.close();
  }
});
