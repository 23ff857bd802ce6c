#!/usr/bin/env node
/**
 * P2 in JavaScript runtimes: the hand-written typed-array loops, Pyodide's Python DataLoader and
 * the JavaScript package's nextBatch(), each pair measured in the same runtime (bench/p2_js.mjs).
 *
 *   .venv/bin/python -m pip wheel --no-deps --no-build-isolation -w dist . && node js/scripts/build.mjs
 *   node --experimental-wasm-stack-switching bench/bench_p2_js.mjs [--quick] [--images N] [--repeat N] [--parts]
 *
 * Runs under Node.js, then in BENCH_ENGINE (default chromium; "none": Node.js only; the engine
 * table tools/pyodide/engines.mjs) on a page served by `torsh-data serve` (needs a real
 * node_modules, not a symlink). --quick: 10,000 images and 4 epochs (default 60,000 and 3;
 * best epoch; --images N --repeat N: other sizes, e.g. many short epochs on a busy machine). Prints, per runtime, the samples/s and the ratios of issue 14's table:
 * Python P2 / hand-written JS (goal >= 0.7 in Chromium) and nextBatch() / Python DataLoader
 * (goal >= 0.8; also with each batch handed back by recycle(), the opt-in that spares the
 * fresh memory per batch), with the load average before each run (the machine may be
 * shared). The data is generated in each runtime, not read from disk.
 *
 * --parts: instead, where a nextBatch() batch's time goes: the µs per batch of each layer of
 * the path, from Python's DataLoader alone to nextBatch() with fresh memory (p2Layers in
 * bench/p2_js.mjs; 6,400 images, the best of 8 interleaved epochs unless --images/--repeat
 * say otherwise): wall clock, and CPU time (a loaded machine's wall clock is mostly waiting),
 * that of the Node.js process (its GC threads too), the page's main thread in Chromium.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../tools/pyodide/engines.mjs";
import { serveDir } from "../tests/runtimes/serve.mjs";
import { p2Layers, runP2 } from "./p2_js.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const QUICK = process.argv.includes("--quick");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PARTS = process.argv.includes("--parts");
const OPTS = PARTS ? { images: arg("--images", 6400), repeat: arg("--repeat", 8) }
  : { images: arg("--images", QUICK ? 10_000 : 60_000), repeat: arg("--repeat", QUICK ? 4 : 3) };
const ENGINE = process.env.BENCH_ENGINE ?? "chromium";
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

function partsLine(name, r) {
  const us = Object.entries(r.us_per_batch).map(([k, v]) =>
    `${k} ${v.wall.toFixed(0)}${v.cpu === null ? "" : ` (cpu ${v.cpu.toFixed(0)})`}`).join(", ");
  return `${name.padEnd(9)} load ${r.loadavg.join(" ")} | µs per batch, wall (cpu): ${us}`;
}

/** The best µs per batch of `repeat` interleaved epochs of each layer (a warm-up round first). */
async function parts(names, run, cpuMs) {
  const best = {};
  for (let r = 0; r <= OPTS.repeat; r++) {
    for (const name of names) {
      const c = await cpuMs();
      const { batches, ms } = await run(name);
      const cpu = c === null ? null : ((await cpuMs()) - c) * 1000 / batches;
      if (r === 0) continue;
      const b = best[name] ??= { wall: Infinity, cpu: cpu === null ? null : Infinity };
      b.wall = Math.min(b.wall, ms * 1000 / batches);
      if (cpu !== null) b.cpu = Math.min(b.cpu, cpu);
    }
  }
  return { ...OPTS, us_per_batch: best };
}

function line(name, r) {
  if (PARTS) return partsLine(name, r);
  const k = (x) => `${(x / 1000).toFixed(1)} k`;
  return `${name.padEnd(9)} load ${r.loadavg.join(" ")} | hand-written JS ${k(r.handJs.samples_per_s)}, ` +
    `Python DataLoader ${k(r.python.samples_per_s)}, nextBatch() ${k(r.facade.samples_per_s)}, ` +
    `with recycle() ${k(r.recycled.samples_per_s)} samples/s | Python / JS ${r.pythonOverHandJs.toFixed(2)}x, ` +
    `nextBatch() / Python ${r.facadeOverPython.toFixed(2)}x (with recycle() ${r.recycledOverPython.toFixed(2)}x)`;
}

const results = {};
{
  const before = loadavg();
  const td = await import("../js/index.mjs");
  if (PARTS) {
    const layers = await p2Layers(td, OPTS);
    const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    try { results.node = { loadavg: before, ...(await parts(layers.names, (n) => layers.run(n), cpuMs)) }; }
    finally { layers.close(); }
  } else {
    results.node = { loadavg: before, ...(await runP2(td, OPTS)) };
  }
  console.error(line("node", results.node));
}
if (ENGINE !== "none") {
  const page = path.join(ROOT, "build/bench-p2.html");
  fs.mkdirSync(path.dirname(page), { recursive: true });
  fs.writeFileSync(page, '<!doctype html><meta charset="utf-8"><script type="module" src="/bench/p2_js.mjs"></script>');
  const server = await serveDir(PYTHON, ROOT, [], { ...process.env, PYTHONPATH: path.join(ROOT, "src") });
  const session = await launch(ENGINE, { timeoutMs: 900_000 });
  try {
    await session.goto(`${server.url}/build/bench-p2.html`);
    await session.waitFor(() => typeof window.runP2 === "function", null, 60_000);
    const before = loadavg();
    if (PARTS) {
      const names = await session.evaluate((o) => window.p2Layers(o), OPTS);
      // the page's main-thread CPU time, where the engine's driver tells it (Chromium's CDP)
      const cdp = session.page?.context ? await session.page.context().newCDPSession(session.page) : null;
      await cdp?.send("Performance.enable", { timeDomain: "threadTicks" });
      const cpuMs = async () => {
        if (!cdp) return null;
        const { metrics } = await cdp.send("Performance.getMetrics");
        return metrics.find((m) => m.name === "ThreadTime").value * 1000;
      };
      const run = (n) => session.evaluate((name) => window.p2LayersRun.run(name), n);
      results[ENGINE] = { loadavg: before, ...(await parts(names, run, cpuMs)) };
    } else {
      results[ENGINE] = { loadavg: before, ...(await session.evaluate((o) => window.runP2(o), OPTS)) };
    }
    console.error(line(ENGINE, results[ENGINE]));
  } finally {
    await session.close();
    server.proc.kill("SIGTERM");
    fs.rmSync(page, { force: true });
  }
}
console.log(JSON.stringify(results, null, 2));
