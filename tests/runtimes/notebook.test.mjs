// torsh-data in a browser notebook: the JupyterLite site that tools/jupyterlite/setup.sh builds
// offline (build/jupyterlite), served on 127.0.0.1 and opened in headless Chromium. Its notebook
// (tools/jupyterlite/torsh-data.ipynb) installs the wheel (`%pip install torsh-data`, or
// micropip.install(<url>) in a second run), runs the README pipeline with num_workers=0 and 2
// (Web Workers) and a dataset class written with %%writefile; every digest must equal the one
// the same cells print on native CPython (tests/runtimes/notebook_native.py).
//
// The notebook is driven through JupyterLab's own API (window.jupyterapp, which the site exposes
// with exposeAppInBrowser): "notebook:run-all-cells" and the outputs read from the notebook's
// model. Neither depends on where buttons are or how outputs render. No request may leave
// 127.0.0.1 (checked on every request).
//
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/notebook.test.mjs
// (PYTHON: a Python with torsh_data installed, as the other tests here).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { serveDir } from "./serve.mjs";
import { chromiumLaunchOptions } from "../../tools/pyodide/engines.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const SITE = path.join(ROOT, "build/jupyterlite");
const NOTEBOOK = path.join(ROOT, "tools/jupyterlite/torsh-data.ipynb");
const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, "src") };
const RUN_TIMEOUT = 600_000; // kernel start, install and every cell (Chromium on 2 busy cores)

let server, base, browser, reference;

/** "digest <what>: <hex>" lines of a run's output, as {what: hex}. */
function digests(text) {
  return Object.fromEntries([...text.matchAll(/^digest (.+): ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]));
}

before(async () => {
  assert.ok(fs.existsSync(path.join(SITE, "jupyter-lite.json")), "no site: run tools/jupyterlite/setup.sh (./dev setup)");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-notebook-"));
  try {
    const out = execFileSync(PYTHON, [path.join(ROOT, "tests/runtimes/notebook_native.py"), NOTEBOOK, work],
      { env: ENV, encoding: "utf8", timeout: 300_000 });
    reference = { text: out, digests: digests(out) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  assert.equal(Object.keys(reference.digests).length, 4, reference.text);
  ({ proc: server, url: base } = await serveDir(PYTHON, SITE, ["--no-csp"], ENV));
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch(chromiumLaunchOptions());
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

/** Open the notebook in a fresh profile, set the install cell, run all; outputs and timings. */
async function runNotebook(installSource) {
  const context = await browser.newContext();
  const outside = [];
  context.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) outside.push(r.url()); });
  try {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${base}/notebooks/index.html?path=torsh-data.ipynb`, { timeout: 60_000 });
    const cellsNow = () => {
      const cells = window.jupyterapp?.shell.currentWidget?.content?.model?.cells;
      return cells ? Array.from({ length: cells.length }, (_, i) => cells.get(i)) : [];
    };
    await page.evaluate(`window.__cells = ${cellsNow}`);
    await page.waitForFunction(() => window.__cells().some((c) => c.sharedModel.getSource().startsWith("%pip install")),
      null, { timeout: 120_000 });
    await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === "idle",
      null, { timeout: 300_000 }); // the kernel up (micropip, IPython, ... loaded): run-all before it is lost
    const kernelSeconds = (Date.now() - t0) / 1000;
    await page.evaluate((src) => {
      const cell = window.__cells().find((c) => c.sharedModel.getSource().startsWith("%pip install"));
      cell.sharedModel.setSource(src);
      return window.jupyterapp.commands.execute("notebook:run-all-cells");
    }, installSource);
    // poll the model: every code cell ran (an execution count and, for the last, an output), or
    // one failed; the time the first batch was printed is kept
    const poll = () => {
      const cells = window.__cells().filter((c) => c.type === "code");
      const outs = cells.map((c) => c.outputs.toJSON());
      const text = outs.flat().map((o) => (o.output_type === "stream" ? o.text : o.output_type === "error"
        ? `${o.ename}: ${o.evalue}\n${o.traceback.join("\n")}` : JSON.stringify(o.data ?? {}))).join("");
      if (text.includes("first batch:")) window.__firstBatchAt ??= Date.now();
      const failed = outs.flat().some((o) => o.output_type === "error");
      const done = failed || (cells.every((c) => c.executionCount) && outs.at(-1).length > 0);
      return done && { text, failed, firstBatchAt: window.__firstBatchAt };
    };
    const handle = await page.waitForFunction(poll, null, { timeout: RUN_TIMEOUT, polling: 200 });
    const result = await handle.jsonValue();
    return { ...result, kernelSeconds, firstBatchSeconds: (result.firstBatchAt - t0) / 1000, outside,
      totalSeconds: (Date.now() - t0) / 1000 };
  } finally {
    await context.close();
  }
}

for (const [how, install] of [
  ["%pip install torsh-data (the wheel bundled into the site)", null],
  ["micropip.install(<the wheel's URL>)", (url) => `import micropip\nawait micropip.install(${JSON.stringify(url)})`],
]) {
  test(`JupyterLite, ${how}: the README pipeline with 0 and 2 workers and a %%writefile dataset give the native digests`,
    { timeout: RUN_TIMEOUT + 120_000 }, async () => {
      const wheel = fs.readdirSync(path.join(SITE, "pypi")).find((f) => /^torsh_data-.*\.whl$/.test(f));
      assert.ok(wheel, "the site has no torsh_data wheel in pypi/");
      const r = await runNotebook(install ? install(`${base}/pypi/${wheel}`) : "%pip install torsh-data");
      assert.equal(r.failed, false, r.text);
      assert.deepEqual(r.outside, [], "requests left 127.0.0.1");
      assert.match(r.text, /first batch: \(64, 1, 28, 28\) float32 uint8/);
      assert.deepEqual(digests(r.text), reference.digests, r.text);
      console.log(`# ${how}: notebook open -> kernel idle ${r.kernelSeconds.toFixed(1)} s, ` +
        `-> first batch seen in the notebook ${r.firstBatchSeconds.toFixed(1)} s, ` +
        `all cells ${r.totalSeconds.toFixed(1)} s`);
    });
}
