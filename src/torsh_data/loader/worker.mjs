import { bootOrRetry, checkRestored, reseedRandom, stampSnapshot, startPyodide, takeSnapshot } from "./pyodide_boot.mjs";
/**
 * A loader worker (NOTE [ Web Worker pool ] in `_webworkers.py`): the same for a browser module
 * Web Worker and a Node.js worker thread. It boots its own Pyodide from the boot message, then
 * hands every other message to Python's `torsh_data.loader._webworkers._worker_step`.
 */
const node = typeof process === "object" && process.versions != null && process.versions.node != null;
let post, listen;
if (node) {
  const { parentPort } = await import("node:worker_threads");
  post = (m, t) => parentPort.postMessage(m, t);
  listen = (f) => parentPort.on("message", f);
} else {
  post = (m, t) => self.postMessage(m, t);
  listen = (f) => { self.onmessage = (e) => f(e.data); };
}
// V8's stack starts with "Name: message"; SpiderMonkey's and JavaScriptCore's hold frames only.
const describe = (e) => (e && e.stack && !String(e.stack).includes(e.message) ? `${e}\n${e.stack}` : String((e && e.stack) || e));
const fatal = (e) => post({ t: "fatal", error: describe(e) });
let step = null;
let chain = Promise.resolve();
async function boot(m) {
  const t = [performance.now()];
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(m.module));
  } catch (e) {
    throw new Error(`cannot import Pyodide from ${m.module} (${e.code || e.name})`);
  }
  t.push(performance.now());
  if (m.wasm) {
    // The page's compiled pyodide.asm.wasm: no fetch and compile here, and an engine that
    // shares a module's optimised code between instances (WebKit) starts warm.
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const r = await source;
      if (!String(r.url).endsWith("/pyodide.asm.wasm")) return streaming.call(WebAssembly, r, imports);
      return { module: m.wasm, instance: await WebAssembly.instantiate(m.wasm, imports) };
    };
  }
  // the main runtime's standard library (NOTE [ Worker standard library ] in _webworkers.py)
  const config = { indexURL: m.indexURL, ...(m.stdLibURL ? { stdLibURL: m.stdLibURL } : {}) };
  // NOTE [ Worker boot snapshot ]: a runtime restored from the snapshot that fails before it
  // is ready is dropped, and the worker boots again without the snapshot
  return bootOrRetry((attempt) => start(m, loadPyodide, config, attempt, t.slice()), async () => {});
}

async function start(m, loadPyodide, config, attempt, t) {
  const started = await startPyodide(loadPyodide, config,
    { snapshot: attempt.snapshot ? m.snapshot : null, make: attempt.snapshot && m.makeSnapshot });
  const py = started.pyodide;
  attempt.restored = started.restored;
  let snapshot = started.restored ? "restored" : "off", made = null;
  if (started.error) snapshot = `failed to restore: ${(started.error && started.error.message) || started.error}`;
  if (attempt.failed) snapshot = `failed after the restore: ${attempt.failed.message}; booted without it`;
  t.push(performance.now());
  if (started.restored) checkRestored(py); // NOTE [ Snapshot standard library ]
  if (m.packages.length) await py.loadPackage(m.packages, { messageCallback: () => {} });
  for (const [file, data] of m.files) {
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")) || "/");
    py.FS.writeFile(file, data);
  }
  py.runPython("import importlib; importlib.invalidate_caches()");
  t.push(performance.now());
  const here = py.pyimport("torsh_data.loader._webworkers");
  const stdlib = here._stdlib_kind();
  if (started.restored) {
    reseedRandom(py);
  } else if (attempt.snapshot && m.makeSnapshot) {
    stampSnapshot(py);
    const r = takeSnapshot(py);
    made = r.made;
    snapshot = made ? "made" : `not made: ${(r.error && r.error.message) || r.error}`;
  }
  step = here._worker_step;
  t.push(performance.now());
  return { seconds: t.slice(1).map((x, i) => (x - t[i]) / 1000), snapshot, made, stdlib };
}
listen((m) => {
  if (m.t === "boot") {
    chain = chain.then(() => boot(m)).then(
      (r) => post({ t: "ready", ...r }, r.made ? [r.made.buffer] : []),
      (e) => { fatal(e); chain = new Promise(() => {}); });
    return;
  }
  chain = chain.then(async () => {
    const r = await step(m.data);
    if (r) post(r, r.parts.map((p) => p.buffer));
  }).catch(fatal);
});
