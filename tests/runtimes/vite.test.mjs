// The Vite recipe (examples/vite/, issue #18's "Done when"): the tarball `./dev pack` makes is
// installed into a fresh copy of the example, which compiles under `tsc --strict`, bundles with
// `vite build` (its vite.config.ts ships Pyodide's files) and, served from dist/ by
// `torsh-data serve`, trains a TF.js model for one epoch in Chromium.
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/vite.test.mjs
// (PYTHON, TORSH_JS_BUILT, TORSH_WHEEL_DIR as in js_suite.mjs; TORSH_KEEP_RECIPES=1 keeps the copy)
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { ENGINES, launch } from "../../tools/pyodide/engines.mjs";
import { PYTHON, ROOT, copyExample, npmInstall, packTarball, removeFreshDirs, run } from "./recipe_support.mjs";
import { serveDir } from "./serve.mjs";

let app, server;

before(() => {
  const tarball = packTarball();
  app = copyExample("vite");
  npmInstall(app, tarball); // the tarball, and the example's own TF.js, Vite and TypeScript
});

after(() => {
  server?.kill("SIGTERM");
  removeFreshDirs();
});

test("the example compiles under tsc --strict", () => {
  run(path.join(app, "node_modules/.bin/tsc"), ["--strict", "--noEmit", "-p", app], { cwd: app });
});

test("vite build, then one epoch of TF.js training in Chromium from dist/",
  { timeout: 600_000, skip: ENGINES.includes("chromium") ? false : "TORSH_ENGINES leaves out chromium" }, async () => {
  run(path.join(app, "node_modules/.bin/vite"), ["build"], { cwd: app, timeoutMs: 300_000 });
  const dist = path.join(app, "dist");
  for (const f of ["index.html", "flowers.csv", "pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip"]) {
    assert.ok(fs.existsSync(path.join(dist, f)), `vite build wrote no dist/${f}`);
  }
  let url;
  ({ proc: server, url } = await serveDir(PYTHON, dist, [], { ...process.env, PYTHONPATH: path.join(ROOT, "src") }));
  const page = await launch("chromium", { timeoutMs: 240_000 });
  try {
    await page.goto(url + "/");
    await page.waitFor(() => window.result || window.error, null, 240_000);
    const { result, error, status } = await page.evaluate(() => ({
      result: window.result, error: window.error ?? null, status: document.querySelector("#status").textContent }));
    assert.equal(error, null, `${error}\n${page.diagnostics.join("\n")}`);
    // 150 rows in batches of 16: every sample trained on once
    assert.deepEqual({ batches: result.batches, samples: result.samples, len: result.len }, { batches: 10, samples: 150, len: 10 });
    assert.ok(Number.isFinite(result.loss) && result.loss > 0, `loss ${result.loss}`);
    assert.match(status, /Trained one epoch: 150 samples in 10 batches/);
    assert.deepEqual(page.diagnostics.filter((d) => /^(page error|HTTP 4|CSP)/.test(d)), []);
  } finally {
    await page.close();
  }
});
