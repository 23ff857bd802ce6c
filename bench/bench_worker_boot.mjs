#!/usr/bin/env node
/**
 * A loader Web Worker's start in a page of the JS package, with the page's precompiled standard
 * library (NOTE [ Worker standard library ]) beside Pyodide's own (init({ stdlib: false }), what
 * a package built with --no-precompile gives, and what every worker used before).
 *
 *   node js/scripts/build.mjs && RUNS=3 node bench/bench_worker_boot.mjs
 *
 * Each run opens a fresh headless page (BENCH_ENGINE, default chromium) for each variant in
 * turn, boots the page, then starts a 1-worker pool afresh (no boot snapshot) and takes one
 * epoch (tests/runtimes/worker_stdlib.mjs). Printed: the worker's start by phase (import
 * pyodide.mjs, loadPyodide, packages and files, import torsh_data), its total in ms, the
 * medians over RUNS and their ratio, and the load average before each run (the machine may be
 * shared: compare the variants of one sitting).
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../tools/pyodide/engines.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const RUNS = Number(process.env.RUNS ?? 3);
const ENGINE = process.env.BENCH_ENGINE ?? "chromium";
const VARIANTS = { precompiled: {}, pyodide: { stdlib: false } };

async function serve() {
  const proc = spawn(PYTHON, ["-m", "torsh_data", "serve", ROOT, "--port", "0", "--quiet"], {
    env: { ...process.env, PYTHONPATH: path.join(ROOT, "src") }, stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+?)\/\s/);
      if (m) resolve(m[1]);
    });
    proc.on("exit", (c) => reject(new Error(`torsh-data serve exited (${c})`)));
  });
  return { proc, url };
}

async function once(base, options) {
  const page = await launch(ENGINE, { timeoutMs: 240_000 });
  try {
    await page.goto(`${base}/tests/runtimes/js_page.html`);
    await page.waitFor((n) => typeof window[n] === "function", "runChecks", 60_000);
    return await page.evaluate((o) => import("/tests/runtimes/worker_stdlib.mjs").then((m) => m.pageWorkerStdlib(o)), options);
  } finally {
    await page.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const site = await serve();
const totals = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
try {
  for (let run = 0; run < RUNS; run++) {
    console.log(`run ${run + 1}/${RUNS}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    for (const [name, options] of Object.entries(VARIANTS)) {
      const r = await once(site.url, options);
      if (r.error || !r.same || r.worker !== name) throw new Error(`${name}: ${JSON.stringify(r)}`);
      const ms = Object.values(r.boot).reduce((a, b) => a + b, 0) * 1000;
      totals[name].push(ms);
      const phases = Object.entries(r.boot).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)}`).join(", ");
      console.log(`  worker stdlib ${name.padEnd(11)} ${ms.toFixed(0).padStart(6)} ms (${phases})`);
    }
  }
} finally {
  site.proc.kill("SIGTERM");
}
const [p, q] = [median(totals.precompiled), median(totals.pyodide)];
console.log(`${ENGINE}: a Web Worker's start, median of ${RUNS}: precompiled ${p.toFixed(0)} ms, ` +
  `Pyodide's own ${q.toFixed(0)} ms (${(q / p).toFixed(2)}x)`);
