#!/usr/bin/env node
/**
 * Size and speed of the JavaScript package in the browser (the figures of BENCHMARKS.md,
 * "The JavaScript package in the browser").
 *
 *   node js/scripts/build.mjs --demo && RUNS=3 RELEASE_WHEEL=dist/X.whl \
 *     node --experimental-wasm-stack-switching bench/bench_js.mjs
 *
 * RUNS (default 3): the timings are measured that many times; the medians are printed after
 * the runs, with the load average before each run (the machine may be shared).
 * The server is warmed first (each file the demo fetches requested once, gzip accepted), as a
 * deployed server is: `torsh-data serve` compresses a file at its first request only (NOTE
 * [ gzip responses ]); "cold" is the browser's profile. BENCH_COLD_SERVER=1 skips the warming.
 *
 * - bytes a first visit of the demo downloads, raw / gzip -9 / brotli -11 (as a server that
 *   compresses would send them), split into Pyodide and what torsh-data adds;
 * - page load -> first batch cold and warm with when each boot phase began (init()'s
 *   performance marks, NOTE [ Boot progress ]);
 * - Chromium: the main thread during a 12 MB CSV load served gzipped (NOTE [ Loading yields ]):
 *   the longest task (Long Tasks API; 0: none over 50 ms), the long tasks, animation frames,
 *   and the longest tasks each with when it began (ms after the load's start) and where the
 *   load was (still reading, or making columns after reading: `bigLoadTasks`, per run);
 *   BENCH_TRACE=file.json also records a Chromium trace of that load (with V8's sampling profiler
 *   and its wasm compilation events; performance marks "bench:load" and "bench:loaded" bound the
 *   load; one file per run: file.json, file.2.json, ...) and prints, for each task over 50 ms
 *   inside the load, its CPU time (cpuMs: far below ms when the renderer waited for a core, as on
 *   a busy machine) and the JavaScript functions that took most of it (a Python frame is
 *   Pyodide's wasm, the Python stack is not in the trace). BENCH_ONLY=bigload measures only
 *   that load (after one page visit that makes the boot snapshot it restores, as below).
 * - the demo in a browser (BENCH_ENGINE: chromium, the default, firefox or webkit): page load -> first batch, cold (empty profile), warm (reload:
 *   service worker + IndexedDB incl. the boot snapshot) and after a browser restart (same
 *   profile), and init() done -> first batch; BENCH_ONLY=pageload measures only these;
 * - batches/s through nextBatch() in that browser for P1 (CSV, 20 float columns + label,
 *   standardised, shuffled, batches of 256) and P2 (IDX 28x28 images, pad 2 + random crop 28,
 *   random flip, ToTensor, Normalize, shuffled, batches of 64), as in bench/bench_pipelines.py
 *   but smaller (ROWS, IMAGES below), through the facade's `transforms` option (which builds the
 *   TransformDataset(..., Compose(...)) a Python user writes). bench/bench_p2_js.mjs puts P2's
 *   nextBatch() beside the same runtime's Python DataLoader and hand-written JavaScript loops.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { launch as launchEngine } from "../tools/pyodide/engines.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEMO = path.join(ROOT, "examples/browser");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const ROWS = 20_000, IMAGES = 10_000, BIG_ROWS = 75_000;

function files() {
  return {
    pyodide: ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
      .map((f) => `vendor/pyodide/${f}`),
    "torsh-data wheel (browser build)": ["vendor/torsh-data/wheel/torsh_data.whl"],
    "precompiled standard library (replaces Pyodide's python_stdlib.zip)": ["vendor/torsh-data/wheel/python_stdlib.zip"],
    ...(process.env.RELEASE_WHEEL ? { "torsh-data release wheel": [path.resolve(process.env.RELEASE_WHEEL)] } : {}),
    "torsh-data JS (index.mjs, boot_cache.mjs, pyodide_boot.mjs)": ["vendor/torsh-data/index.mjs",
      "vendor/torsh-data/boot_cache.mjs", "vendor/torsh-data/pyodide_boot.mjs"],
    "demo page (html, css, app, sw)": ["index.html", "style.css", "app.mjs", "sw.js"],
    "demo dataset (shapes IDX)": ["data/shapes-images-idx3-ubyte"],
  };
}

function sizes() {
  const out = {};
  for (const [group, list] of Object.entries(files())) {
    const s = { raw: 0, gzip: 0, brotli: 0 };
    for (const f of list) {
      if (!fs.existsSync(path.resolve(DEMO, f))) continue; // built with --no-precompile
      const b = fs.readFileSync(path.resolve(DEMO, f));
      s.raw += b.length;
      s.gzip += zlib.gzipSync(b, { level: 9 }).length;
      s.brotli += zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    }
    out[group] = s;
  }
  return out;
}

function serve(dir) {
  const proc = spawn(PYTHON, ["-m", "torsh_data", "serve", dir, "--port", "0", "--quiet"], {
    env: { ...process.env, PYTHONPATH: path.join(ROOT, "src") }, stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+?)\/\s/);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.on("exit", (c) => reject(new Error(`serve exited ${c}`)));
  });
}

function p1Csv(n) {
  let seed = 1;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const head = Array.from({ length: 20 }, (_, j) => `f${j}`).join(",") + ",label\n";
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push(Array.from({ length: 20 }, () => (r() * 10 - 5).toFixed(4)).join(",") + `,${i % 10}`);
  }
  return head + rows.join("\n") + "\n";
}

function p2Idx(n) {
  const b = Buffer.alloc(16 + n * 784);
  b[2] = 8; b[3] = 3;
  b.writeUInt32BE(n, 4); b.writeUInt32BE(28, 8); b.writeUInt32BE(28, 12);
  for (let i = 16; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module" src="bench_page.mjs"></script>`;
const PAGE_MJS = `
import { init, WasmDataLoader } from "./vendor/torsh-data/index.mjs";
window.bench = async (url, batch, options) => {
  await init({ indexURL: new URL("./vendor/pyodide/", import.meta.url).href });
  const l = new WasmDataLoader(batch, options);
  const t0 = performance.now();
  await l.loadFromUrl(url);
  const loaded = performance.now() - t0;
  let best = 0, batches = 0;
  for (let e = 0; e < 2; e++) {
    const t = performance.now();
    batches = 0;
    while ((await l.nextBatch()) !== null) batches++;
    best = Math.max(best, batches / (performance.now() - t) * 1000);
  }
  return { loadMs: loaded, batches, batchesPerS: best, samplesPerS: best * batch, timings: l.timings.python };
};
// the main thread while a large CSV loads: long tasks (> 50 ms, PerformanceObserver) and frames;
// each long task with where the load was when it began (decoded bytes read, sampled each frame)
// a visit that only boots: the boot snapshot it makes is what the next visit restores
window.boot = async () => (await init({ indexURL: new URL("./vendor/pyodide/", import.meta.url).href })).snapshotSaved;
window.mainThread = async (url) => {
  await init({ indexURL: new URL("./vendor/pyodide/", import.meta.url).href });
  await new Promise((r) => setTimeout(r, 0)); // init()'s last task is the boot's, not the load's
  const tasks = [];
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push(e); });
  obs.observe({ type: "longtask" });
  const l = new WasmDataLoader(256, { shuffle: true, seed: 0, label: "label" });
  const read = []; // [ms, decoded bytes read so far], each frame
  let frames = 0, stop = false;
  const frame = () => { frames++; read.push([performance.now(), l.loadedBytes]); if (!stop) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  performance.mark("bench:load");
  const t0 = performance.now();
  await l.loadFromUrl(url);
  const loadMs = performance.now() - t0;
  performance.mark("bench:loaded");
  stop = true;
  await new Promise((r) => setTimeout(r, 100)); // the last entries
  obs.disconnect();
  const bytes = l.loadedBytes;
  const where = (t) => { // the bytes read at the last frame before t: reading, or making columns after
    const b = read.filter(([at]) => at <= t).pop()?.[1] ?? 0;
    return b < bytes ? \`reading (\${(b / 1e6).toFixed(1)} of \${(bytes / 1e6).toFixed(1)} MB)\` : "after reading (columns, labels, loader)";
  };
  const ms = tasks.map((e) => e.duration);
  return { loadMs, samples: l.samples, bytes, frames, longTasks: tasks.length,
    longestTaskMs: ms.length ? Math.max(...ms) : 0, longTaskMs: ms.reduce((a, b) => a + b, 0),
    tasks: tasks.map((e) => ({ atMs: Math.round(e.startTime - t0), ms: Math.round(e.duration), during: where(e.startTime) }))
      .sort((a, b) => b.ms - a.ms).slice(0, 8) };
};`;

/**
 * The tasks over 50 ms of the renderer's main thread between the marks "bench:load" and
 * "bench:loaded" of a Chromium trace: when each began (ms after "bench:load"), how long it ran
 * and the functions V8's sampling profiler saw most in it (self time, ms; "(wasm)" frames are
 * Pyodide's interpreter running Python).
 */
function traceTasks(events) {
  const mark = (name) => events.find((e) => e.name === name && e.cat?.includes("user_timing"));
  const [start, end] = [mark("bench:load"), mark("bench:loaded")];
  if (!start || !end) return null;
  const main = (e) => e.pid === start.pid && e.tid === start.tid;
  const tasks = events.filter((e) => main(e) && e.ph === "X" && e.name === "RunTask" && e.dur > 50_000 &&
    e.ts + e.dur >= start.ts && e.ts <= end.ts);
  // the profiler's samples: nodes (id -> frame); each chunk's sample ids and time deltas (µs)
  // continue from the profile's startTime
  const nodes = new Map(), samples = [];
  let t = events.find((e) => e.name === "Profile" && e.pid === start.pid)?.args?.data?.startTime;
  for (const e of events) {
    if (e.name !== "ProfileChunk" || e.pid !== start.pid || t === undefined) continue;
    const d = e.args?.data ?? {};
    for (const n of d.cpuProfile?.nodes ?? []) nodes.set(n.id, n.callFrame);
    (d.cpuProfile?.samples ?? []).forEach((id, i) => {
      t += d.timeDeltas?.[i] ?? 0;
      samples.push({ id, ts: t });
    });
  }
  return tasks.map((task) => {
    const self = new Map();
    const inside = samples.filter((p) => p.ts >= task.ts && p.ts <= task.ts + task.dur);
    inside.forEach((p, i) => {
      const f = nodes.get(p.id);
      const name = !f ? "?" : f.codeType === "wasm" || /\.wasm/.test(f.url ?? "") ? `(wasm) ${f.functionName}`
        : `${f.functionName || "(anonymous)"} ${(f.url ?? "").split("/").pop()}`;
      const next = inside[i + 1]?.ts ?? task.ts + task.dur;
      self.set(name, (self.get(name) ?? 0) + (next - p.ts) / 1000);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, ms]) => [n, Math.round(ms)]);
    // cpuMs: the thread's own time in the task (less than ms when the machine is busy and the
    // renderer waited for a core: such a task is long by the load, not by its work)
    return { atMs: Math.round((task.ts - start.ts) / 1000), ms: Math.round(task.dur / 1000),
      cpuMs: task.tdur === undefined ? null : Math.round(task.tdur / 1000), top };
  });
}

// BENCH_ENGINE picks the browser (chromium, firefox or webkit; tools/pyodide/engines.mjs).
const ENGINE = process.env.BENCH_ENGINE ?? "chromium";
const open = (userDataDir) => launchEngine(ENGINE, { timeoutMs: 300_000, ...(userDataDir ? { userDataDir } : {}) });

const RUNS = Number(process.env.RUNS ?? 3);
const ONLY_BIG_LOAD = process.env.BENCH_ONLY === "bigload", ONLY_PAGE_LOAD = process.env.BENCH_ONLY === "pageload";
if (process.env.BENCH_ONLY && !ONLY_BIG_LOAD && !ONLY_PAGE_LOAD) {
  throw new Error(`BENCH_ONLY: "bigload", "pageload" or unset, not ${process.env.BENCH_ONLY}`);
}
const runs = [];
const result = { engine: ENGINE, sizes: sizes(), runs };
const tmp = path.join(DEMO, "bench");
fs.mkdirSync(tmp, { recursive: true });
fs.writeFileSync(path.join(tmp, "p1.csv"), p1Csv(ROWS));
fs.writeFileSync(path.join(tmp, "p2-images-idx3-ubyte"), p2Idx(IMAGES));
fs.writeFileSync(path.join(tmp, "big.csv"), p1Csv(BIG_ROWS)); // ~12 MB, served gzipped
fs.writeFileSync(path.join(DEMO, "bench.html"), PAGE);
fs.writeFileSync(path.join(DEMO, "bench_page.mjs"), PAGE_MJS);
const server = await serve(DEMO);
if (!process.env.BENCH_COLD_SERVER) { // NOTE [ gzip responses ]: a deployed server is warm
  for (const f of Object.values(files()).flat()) {
    if (!path.isAbsolute(f) && fs.existsSync(path.join(DEMO, f))) {
      await (await fetch(`${server.url}/${f}`, { headers: { "accept-encoding": "gzip" } })).arrayBuffer();
    }
  }
}
try {
for (let run = 0; run < RUNS; run++) {
  const result = { loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
  runs.push(result);
  // the demo, cold then warm, in a persistent profile as a person's browser has (a fresh
  // Playwright context keeps no compiled wasm), then again after the browser restarted
  const profile = ONLY_BIG_LOAD ? null : fs.mkdtempSync(path.join(os.tmpdir(), "bench-js-profile-"));
  const first = async (page) => {
    await page.waitFor(() => window.demo?.loads.length >= 1 || window.demo?.error, null, 300_000);
    return page.evaluate(() => ({ firstBatchMs: window.demo.loads[0].firstBatchAt, initMs: window.demo.initMs,
      initDoneToFirstBatchMs: window.demo.loads[0].loadMs, initTimings: window.demo.initTimings,
      // NOTE [ Boot progress ] (index.mjs): when each boot phase began, ms after navigation
      phases: Object.fromEntries(performance.getEntriesByType("mark").filter((m) => m.name.startsWith("torsh-data:"))
        .map((m) => [m.name.slice(11), Math.round(m.startTime)])),
      // before the boot: the navigation's and each same-origin request's times, ms after navigation
      navigation: (({ fetchStart, responseStart, responseEnd, domInteractive, domContentLoadedEventEnd }) =>
        Object.fromEntries(Object.entries({ fetchStart, responseStart, responseEnd, domInteractive, domContentLoadedEventEnd })
          .map(([k, v]) => [k, Math.round(v)])))(performance.getEntriesByType("navigation")[0] ?? {}),
      requests: performance.getEntriesByType("resource").filter((e) => e.startTime < 3000)
        .map((e) => `${new URL(e.name).pathname.split("/").pop()} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}` +
          ` ${e.transferSize}B`) }));
  };
  if (profile) try {
    let page = await open(profile);
    try {
      await page.goto(server.url + "/");
      result.demoCold = await first(page);
      // the next visit, as a person's: after this one's boot snapshot is saved
      await page.evaluate(() => window.demo.snapshotSaved);
      await page.reload();
      result.demoWarm = await first(page);
      await page.reload();
      result.demoWarmServiceWorker = await first(page);
    } finally {
      await page.close();
    }
    if (page.caps.persistentProfile) { // WebKit's automation profile is not kept
      page = await open(profile);
      try {
        await page.goto(server.url + "/");
        result.demoRestarted = await first(page);
      } finally {
        await page.close();
      }
    }
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  // P1 and P2 through nextBatch()
  const page = ONLY_PAGE_LOAD ? null : await open();
  if (page) try {
    await page.goto(server.url + "/bench.html");
    await page.waitFor(() => typeof window.bench === "function");
    if (ONLY_BIG_LOAD) await page.evaluate(() => window.boot());
    else result.p1 = await page.evaluate(() => window.bench("bench/p1.csv", 256,
      { label: "label", shuffle: true, seed: 0, transforms: [{ name: "Standardize", column: "x" }] }));
    if (!ONLY_BIG_LOAD) result.p2 = await page.evaluate(() => window.bench("bench/p2-images-idx3-ubyte", 64, { shuffle: true, seed: 0,
      transforms: [{ name: "RandomCrop", args: [28], padding: 2 }, { name: "RandomHorizontalFlip", args: [0.5] },
        "ToTensor", { name: "Normalize", args: [0.1307, 0.3081] }] }));
    if (ENGINE === "chromium") { // the Long Tasks API is Chromium's
      await page.goto(server.url + "/bench.html"); // a fresh page: the loads above are gone
      await page.waitFor(() => typeof window.mainThread === "function");
      // BENCH_TRACE=file.json: a Chromium trace of this load (each long task's content)
      const cdp = process.env.BENCH_TRACE ? await page.page.context().newCDPSession(page.page) : null;
      const events = [];
      if (cdp) {
        cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
        await cdp.send("Tracing.start", { transferMode: "ReportEvents", traceConfig: { includedCategories:
          ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.execute", "blink.user_timing", "IndexedDB", "toplevel", "disabled-by-default-v8.cpu_profiler", "v8.wasm", "disabled-by-default-v8.wasm.detailed"] } });
      }
      result.bigLoad = await page.evaluate(() => window.mainThread("bench/big.csv"));
      if (cdp) {
        const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
        await cdp.send("Tracing.end");
        await done;
        // one file per run: trace.json, trace.2.json, ...
        const file = run ? process.env.BENCH_TRACE.replace(/(\.json)?$/, `.${run + 1}$1`) : process.env.BENCH_TRACE;
        fs.writeFileSync(file, JSON.stringify({ traceEvents: events }));
        result.bigLoadTrace = traceTasks(events);
      }
    }
  } finally {
    await page.close();
  }
  console.error(`run ${run + 1}/${RUNS}:`, JSON.stringify(result));
}
} finally {
  server.proc.kill("SIGTERM");
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(path.join(DEMO, "bench.html"));
  fs.rmSync(path.join(DEMO, "bench_page.mjs"));
}
const median = (xs) => { const v = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  return v.length ? v[(v.length - 1) >> 1] + (v.length % 2 ? 0 : (v[v.length >> 1] - v[(v.length - 1) >> 1]) / 2) : null; };
const pick = (f) => median(runs.map((r) => { try { return f(r); } catch { return null; } }));
result.median = {
  coldFirstBatchMs: pick((r) => r.demoCold.firstBatchMs),
  coldInitDoneToFirstBatchMs: pick((r) => r.demoCold.initDoneToFirstBatchMs),
  coldPyodideMs: pick((r) => r.demoCold.initTimings.pyodide),
  coldWheelMs: pick((r) => r.demoCold.initTimings.wheel),
  coldWarmUpMs: pick((r) => r.demoCold.initTimings.warmUp),
  warmFirstBatchMs: pick((r) => r.demoWarm.firstBatchMs),
  warmInitDoneToFirstBatchMs: pick((r) => r.demoWarm.initDoneToFirstBatchMs),
  warmPyodideMs: pick((r) => r.demoWarm.initTimings.pyodide),
  warmWheelMs: pick((r) => r.demoWarm.initTimings.wheel),
  warmWarmUpMs: pick((r) => r.demoWarm.initTimings.warmUp),
  swFirstBatchMs: pick((r) => r.demoWarmServiceWorker.firstBatchMs),
  swInitDoneToFirstBatchMs: pick((r) => r.demoWarmServiceWorker.initDoneToFirstBatchMs),
  swPyodideMs: pick((r) => r.demoWarmServiceWorker.initTimings.pyodide),
  swWheelMs: pick((r) => r.demoWarmServiceWorker.initTimings.wheel),
  swWarmUpMs: pick((r) => r.demoWarmServiceWorker.initTimings.warmUp),
  restartedFirstBatchMs: pick((r) => r.demoRestarted?.firstBatchMs),
  restartedPyodideMs: pick((r) => r.demoRestarted?.initTimings.pyodide),
  restartedWheelMs: pick((r) => r.demoRestarted?.initTimings.wheel),
  coldMakeSnapshotMs: pick((r) => r.demoCold.initTimings.makeSnapshot),
  // boot phases (NOTE [ Boot progress ]): ms from navigation to each phase's start
  coldPhases: Object.fromEntries(["download", "python", "install", "import", "snapshot", "ready"]
    .map((p) => [p, pick((r) => r.demoCold.phases[p])])),
  warmPhases: Object.fromEntries(["download", "python", "install", "import", "ready"]
    .map((p) => [p, pick((r) => r.demoWarm.phases[p])])),
  bigLoadMs: pick((r) => r.bigLoad.loadMs),
  bigLoadLongestTaskMs: pick((r) => r.bigLoad.longestTaskMs),
  bigLoadLongTasks: pick((r) => r.bigLoad.longTasks),
  bigLoadFrames: pick((r) => r.bigLoad.frames),
  p1BatchesPerS: pick((r) => r.p1.batchesPerS),
  p1PythonBatchMs: pick((r) => r.p1.timings.batch.mean_ms),
  p1ToJsMs: pick((r) => r.p1.timings.to_js.mean_ms),
  p2BatchesPerS: pick((r) => r.p2.batchesPerS),
  p2PythonBatchMs: pick((r) => r.p2.timings.batch.mean_ms),
  p2ToJsMs: pick((r) => r.p2.timings.to_js.mean_ms),
};
result.bigLoadTasks = runs.map((r) => r.bigLoad?.tasks ?? null);
console.log(JSON.stringify(result, null, 2));
