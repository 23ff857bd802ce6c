// Checks of the torsh-data JS package in a page (driven by tests/runtimes/js.test.mjs).
// No import map (an inline script would need 'unsafe-inline' under the server's CSP): paths.
import * as td from "/js/index.mjs";
import * as tf from "/node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js";
import * as ort from "/node_modules/onnxruntime-web/dist/ort.bundle.min.mjs";
import { runApiChecks } from "./jsapi_checks.mjs";

const INIT = { indexURL: "/node_modules/pyodide/" };

async function inWorker(dataDir) {
  const worker = new Worker("/tests/runtimes/js_worker.mjs", { type: "module" });
  const ask = (msg) => new Promise((resolve, reject) => {
    worker.onmessage = (e) => (e.data.type === "error" ? reject(new Error(e.data.message)) : resolve(e.data));
    worker.postMessage(msg);
  });
  try {
    await ask({ type: "init", init: INIT });
    const loaded = await ask({ type: "load", url: `${dataDir}/train.csv`, batchSize: 10, options: { label: "label" } });
    let batches = 0, transferred = true, r;
    while (!(r = await ask({ type: "next" })).done) {
      batches++;
      transferred &&= r.batch.x.data instanceof Float32Array && r.batch.x.data.length === r.batch.x.shape[0] * 2;
    }
    return { loaded, batches, transferred };
  } finally {
    worker.terminate();
  }
}

window.runChecks = async (dataDir) => {
  try {
    const caps = td.capabilities();
    const { pyodide } = await td.init(INIT);
    const pyCaps = JSON.parse(pyodide.runPython("import json, torsh_data; json.dumps(torsh_data.capabilities())"));
    const text = await (await fetch(`${dataDir}/train.csv`)).text();
    const rows = text.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const expected = rows.reduce((s, r) => s + r[0] + r[1], 0);

    const sums = [];
    for (const name of ["js-test", "js-test"]) {
      const l = new td.WasmDataLoader(5, { shuffle: true, seed: 1, label: "label", cache: name });
      await l.loadFromUrl(`${dataDir}/train.csv`);
      sums.push(l.fromCache);
      let s = 0;
      for await (const b of l) {
        const x = tf.tensor(b.x.data, b.x.shape);
        s += (await x.sum().data())[0];
        x.dispose();
      }
      sums.push(s);
    }
    const [firstFromCache, s1, secondFromCache, s2] = sums;

    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = "/node_modules/onnxruntime-web/dist/";
    const l = new td.WasmDataLoader(8, { label: "label" });
    await l.loadFromUrl(`${dataDir}/train.csv`);
    const b = await l.nextBatch();
    const model = new Uint8Array(await (await fetch(`${dataDir}/add.onnx`)).arrayBuffer());
    const session = await ort.InferenceSession.create(model);
    const out = (await session.run({ x: new ort.Tensor(b.x.dtype, b.x.data, b.x.shape) })).y;

    let errorType = null;
    try { await new td.WasmDataLoader(2).loadFromUrl(`${dataDir}/bad.csv`); } catch (e) { errorType = e.pythonType; }

    const worker = await inWorker(dataDir);
    // What the page really does, to hold capabilities() to: Python blocking on a promise (JSPI),
    // a SharedArrayBuffer made, a stream read. (IndexedDB: the cache hit above; workers: inWorker.)
    const observed = { shared_array_buffer: false, jspi: false, streams: false };
    try { new SharedArrayBuffer(8); observed.shared_array_buffer = true; } catch { /* not here */ }
    try {
      await pyodide.runPythonAsync("import asyncio\nfrom pyodide.ffi import run_sync\nrun_sync(asyncio.sleep(0))");
      observed.jspi = true;
    } catch { /* no stack switching */ }
    try {
      const r = new ReadableStream({ start(c) { c.enqueue(1); c.close(); } }).getReader();
      observed.streams = (await r.read()).value === 1;
    } catch { /* no streams */ }
    return {
      caps, pyCaps, observed, expected, sums: [s1, s2], firstFromCache, secondFromCache, errorType, worker,
      ortOut: Array.from(out.data), ortExpected: rows.slice(0, 8).flatMap((r) => [2 * r[0], 2 * r[1]]),
    };
  } catch (e) {
    return { error: `${e}\n${e?.stack ?? ""}` + (e?.traceback ? "\n" + e.traceback : "") };
  }
};

// The web developer's path (jsapi_checks.mjs), the same checks as under Node.js; the page is
// served through js.test.mjs's apiServer, so '/api/dataset' is this origin's.
window.runApiChecks = async (dataDir) => {
  try {
    await td.init(INIT); // the seed example's own init() then returns this runtime
    return await runApiChecks({ td, tf, dataDir, apiBase: location.origin,
      importSeed: () => import(`${dataDir}/seed_page.mjs`) });
  } catch (e) {
    return { error: `${e}\n${e?.stack ?? ""}` + (e?.traceback ? "\n" + e.traceback : "") };
  }
};
