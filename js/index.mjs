/**
 * torsh-data for JavaScript: boot Pyodide, install the torsh-data wheel shipped in this package,
 * and hand out batches of typed arrays. The data logic (parsing, shuffling, transforms,
 * batching) is the Python package's (`torsh_data._jsapi`); this module is a thin facade.
 *
 *   import { init, WasmDataLoader } from "torsh-data";
 *   await init();
 *   const loader = new WasmDataLoader(32, { shuffle: true, seed: 0, label: "y" });
 *   await loader.loadFromUrl("data/train.csv");
 *   for await (const batch of loader) tf.tensor(batch.x.data, batch.x.shape);
 */

import * as bootCache from "./boot_cache.mjs";
// The boot steps a loader's Web Worker takes too (the Python package's torsh_data/loader/, copied here by npm run build).
import { bootOrRetry, checkRestored, reseedRandom, stampSnapshot, startPyodide, takeSnapshot, unpackWheel } from "./pyodide_boot.mjs";

const IS_NODE = typeof process !== "undefined" && !!process.versions?.node &&
  typeof window === "undefined" && typeof importScripts === "undefined";
const now = () => globalThis.performance?.now() ?? Date.now();
export const version = "0.1.0";

// ------------------------------------------------------------------ errors

/** A Python exception raised inside torsh-data, as a JavaScript Error. */
export class TorshDataError extends Error {
  constructor(message, { pythonType = "Error", traceback = "", cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = pythonType;
    /** The Python exception class name, e.g. "FormatError". */
    this.pythonType = pythonType;
    /** The Python traceback, as Python prints it. */
    this.traceback = traceback;
  }
}

/**
 * Thrown at the end of an epoch by the synchronous next_batch() (the seed plan's loop ends on
 * it), and by nextBatch() when the loader has { endOfEpoch: "throw" }. The next call starts
 * the next epoch. `epoch` is the epoch that ended (0 for the first).
 */
export class EndOfEpoch extends Error {
  constructor(epoch = 0) { super(`end of epoch ${epoch}`); this.name = "EndOfEpoch"; this.epoch = epoch; }
}

/** Pyodide's PythonError -> TorshDataError (message: the exception's last line). */
function fromPython(e) {
  if (!e || typeof e.type !== "string" || typeof e.message !== "string" ||
      (e.name !== "PythonError" && !e.message.startsWith("Traceback"))) return e;
  const lines = e.message.trimEnd().split("\n");
  let i = lines.length - 1;
  while (i > 0 && !lines[i].startsWith(e.type) && !/^\w[\w.]*(Error|Exception|Warning)\b/.test(lines[i])) i--;
  const head = lines.slice(i).join("\n");
  const prefix = head.match(/^[\w.]+: /)?.[0] ?? "";
  return new TorshDataError(head.slice(prefix.length) || e.type, {
    pythonType: e.type, traceback: e.message, cause: e,
  });
}

async function call(fn) {
  try { return await fn(); } catch (e) { throw fromPython(e); }
}

function callSync(fn) {
  try { return fn(); } catch (e) { throw fromPython(e); }
}

// -------------------------------------------------------------- capabilities

/**
 * What this runtime can do, probed in JavaScript (before booting Pyodide). The same keys and
 * values as Python's `torsh_data.capabilities()` once booted here.
 */
export function capabilities() {
  const g = globalThis;
  return {
    runtime: IS_NODE ? "pyodide-node" : "pyodide-browser",
    workers: typeof g.Worker === "function" || IS_NODE,
    indexeddb: "indexedDB" in g,
    streams: "ReadableStream" in g,
    shared_array_buffer: "SharedArrayBuffer" in g,
    cross_origin_isolated: Boolean(g.crossOriginIsolated),
    // JSPI: "Suspending" (the standard), "Suspender" (Node.js 20 with its flag)
    jspi: typeof g.WebAssembly === "object" && ("Suspending" in g.WebAssembly || "Suspender" in g.WebAssembly),
    hardware_concurrency: Number(g.navigator?.hardwareConcurrency ?? 1) || 1,
  };
}

// ---------------------------------------------------------------------- init

let runtime = null;

/** The wheel shipped in this package (copied there by `npm run build`). */
const PACKAGE_BASE = new URL("./", import.meta.url);
const WHEEL_URL = new URL("./wheel/torsh_data.whl", import.meta.url);
/** The precompiled standard library and what it is for (NOTE [ Precompiled boot ]). */
const STDLIB_URL = new URL("./wheel/python_stdlib.zip", import.meta.url);
const BOOT_URL = new URL("./wheel/boot.json", import.meta.url);
/** A file: URL as the path loadPyodide reads under Node.js (it strips "file://"). */
const fileURLToPathish = (u) => decodeURIComponent(u.pathname);

async function readBytes(src) {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  const url = src instanceof URL ? src : new URL(String(src), globalThis.location?.href ?? WHEEL_URL);
  if (url.protocol === "file:") {
    const fs = await import("node:fs/promises");
    return new Uint8Array(await fs.readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`torsh-data: GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function importPyodide(options) {
  if (options.indexURL) {
    const base = String(options.indexURL).replace(/\/?$/, "/");
    return import(/* @vite-ignore */ new URL("pyodide.mjs", new URL(base, globalThis.location?.href ?? import.meta.url)).href);
  }
  try {
    return await import("pyodide");
  } catch (e) {
    throw new Error("torsh-data: cannot import 'pyodide'; install the npm package, add it " +
      "to the page's import map, or pass init({ indexURL: '.../pyodide/' })", { cause: e });
  }
}

/** The precompiled standard library beside the wheel (NOTE [ Precompiled boot ]), or null. */
async function bootManifest(options) {
  if (options.wheel !== undefined || options.stdlib === false) return null; // another wheel: its own build
  try {
    const text = new TextDecoder().decode(await readBytes(BOOT_URL));
    return JSON.parse(text);
  } catch {
    return null; // a package built with --no-precompile: Pyodide's own standard library
  }
}

// NOTE [ Boot progress ]: init({ onProgress }) is called with `{ phase, loaded, total }`:
// phase "download" while the boot's files arrive (loaded/total: decoded bytes of Pyodide's
// files and the wheel; total null when a size is unknown), then "python" (CPython starts, or
// its snapshot is restored), "install" (the wheel), "import" (torsh-data), "snapshot"
// (making the next visit's), "ready". In a page, the bytes are counted on a clone of each
// response to Pyodide's fetches (the original goes to WebAssembly.instantiateStreaming
// untouched, so the browser's compiled-code cache still works); under Node.js the files
// are read from disk and only the phases are reported.
function bootProgress(options) {
  let sizes = {};
  const files = new Map(); // url -> { name, loaded, total (null: unknown), done }
  let phase = null;
  const report = () => {
    let loaded = 0, total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total = total === null || f.total === null ? null : total + f.total;
    }
    const event = { phase, loaded, total: files.size ? total : null };
    for (const fn of progressListeners) {
      try { fn(event); } catch (e) { console.error("torsh-data: an onProgress listener threw", e); }
    }
  };
  const setPhase = (p) => {
    if (p === phase) return;
    phase = p;
    globalThis.performance?.mark?.(`torsh-data:${p}`);
    report();
  };
  const downloaded = () => { // the interpreter and its standard library are in: CPython starts
    const names = [...files.values()].filter((f) => f.done).map((f) => f.name);
    if (phase === "download" && names.some((n) => n.endsWith(".wasm")) && names.some((n) => n.endsWith(".zip"))) {
      setPhase("python");
    }
  };
  const count = (url, res) => {
    const name = url.pathname.split("/").pop();
    const encoding = res.headers.get("Content-Encoding");
    const length = Number(res.headers.get("Content-Length"));
    const f = { name, loaded: 0, done: false,
      total: sizes[name] ?? ((!encoding || encoding === "identity") && length > 0 ? length : null) };
    files.set(url.href, f);
    const body = res.clone().body;
    if (!body) return;
    (async () => {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        f.loaded += value.byteLength;
        report();
      }
      f.total = f.loaded; // the decoded size, known now
      f.done = true;
      report();
      downloaded();
    })().catch(() => {});
  };
  const base = options.indexURL ? new URL(String(options.indexURL), globalThis.location?.href).href : null;
  const watched = (u) => u.href.startsWith(PACKAGE_BASE.href) || (base && u.href.startsWith(base)) ||
    /(^|\/)(pyodide\.asm\.wasm|python_stdlib\.zip|pyodide-lock\.json)$/.test(u.pathname);
  const original = globalThis.fetch;
  let wrapper = null;
  const unwrap = () => {
    if (wrapper && globalThis.fetch === wrapper) globalThis.fetch = original;
    wrapper = null;
  };
  if (!IS_NODE && typeof original === "function") {
    wrapper = async function fetch(input, init) {
      const res = await original.call(this ?? globalThis, input, init);
      try {
        const url = new URL(input instanceof Request ? input.url : String(input), globalThis.location?.href);
        if (res.ok && watched(url)) count(url, res);
      } catch { /* counting is best effort */ }
      return res;
    };
    globalThis.fetch = wrapper;
  }
  return {
    sizes(manifest) { sizes = manifest?.sizes ?? {}; },
    phase(p) {
      if (p !== "download") unwrap();
      setPhase(p);
    },
    done: unwrap,
  };
}

/** Boot once (`attempt`: see bootOrRetry in pyodide_boot.mjs). */
async function boot(options, attempt = { snapshot: true }) {
  const timings = {};
  let t = now();
  const manifestP = options.pyodide ? Promise.resolve(null) : bootManifest(options);
  const progress = bootProgress(options);
  progress.phase("download");
  const wheelBytes = options.wheel === false ? null : readBytes(options.wheel ?? WHEEL_URL);
  wheelBytes?.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  let pyodide = options.pyodide;
  let key = null;
  let restored = false, make = false;
  let snapshotSaved = Promise.resolve(false);
  let stdlibTag = "pyodide";
  // NOTE [ Boot snapshot ] (boot_cache.mjs): only for a Pyodide booted here with default
  // options; read while Pyodide's files and the wheel arrive (NOTE [ Snapshot read ahead ])
  const snapshots = !pyodide && wheelBytes && attempt.snapshot && options.snapshot !== false && !options.loadPyodideOptions &&
    bootCache.available();
  const stored = snapshots ? bootCache.readSnapshot() : null;
  let pycs; // the stored .pyc (NOTE [ Compiled modules cache ]), read ahead when the key is known early
  try {
    if (!pyodide) {
      const [mod, manifest] = await Promise.all([importPyodide(options), manifestP]);
      const userStdlib = options.loadPyodideOptions?.stdLibURL !== undefined;
      const ours = manifest && manifest.pyodide === mod.version && !userStdlib;
      if (ours) stdlibTag = manifest.stdlibSha256 ?? "precompiled";
      timings.stdlib = ours ? "precompiled" : "pyodide";
      const config = {
        ...(options.indexURL ? { indexURL: String(options.indexURL).replace(/\/?$/, "/") } : {}),
        ...(ours ? { stdLibURL: IS_NODE ? fileURLToPathish(STDLIB_URL) : STDLIB_URL.href } : {}),
        ...(options.loadPyodideOptions ?? {}),
      };
      progress.sizes(manifest);
      if (IS_NODE) progress.phase("python");
      let snap = null, ready = null, error = null;
      if (snapshots) {
        key = await bootCache.cacheKey(mod.version, await wheelBytes, stdlibTag);
        if (options.compileCache !== false) pycs = bootCache.readCompiled(key); // read while Pyodide starts
        const found = await stored.get(key);
        // NOTE [ Restore while reading ] (pyodide_boot.mjs): Pyodide starts while the pieces arrive
        ready = found?.bytes.catch((e) => { error = e; throw e; }) ?? null;
        ready?.catch(() => {}); // awaited by startPyodide's fsInit
        snap = found?.buffer ?? (found ? await ready.catch(() => null) : null);
      }
      const started = await startPyodide(mod.loadPyodide, config, { snapshot: snap, ready, make: Boolean(snapshots) });
      ({ pyodide, restored } = started);
      attempt.restored = restored;
      if (restored) checkRestored(pyodide); // NOTE [ Snapshot standard library ] (pyodide_boot.mjs)
      error ??= started.error;
      if (error) {
        await bootCache.dropSnapshots();
        timings.snapshotError = `the boot snapshot was not restored (booting without it): ${error?.message ?? error}`;
      }
      make = Boolean(snapshots) && !restored;
    }
    if (attempt.failed) timings.snapshotError = `${attempt.failed.message}; booted without it and dropped it`;
    timings.pyodide = now() - t;
    t = now();
    let compiled = null;
    if (wheelBytes) {
      const bytes = await wheelBytes;
      progress.phase("install");
      const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
      unpackWheel(pyodide, bytes, site); // NOTE [ Wheel unpack ] (pyodide_boot.mjs)
      pyodide.runPython("import importlib; importlib.invalidate_caches()");
      if (options.compileCache !== false && bootCache.available()) {
        key ??= await bootCache.cacheKey(pyodide.version, bytes, stdlibTag);
        compiled = await bootCache.compileCache(pyodide, `${site}/torsh_data`, key, pycs).catch(() => null);
      }
    }
    progress.phase("import");
    const api = pyodide.pyimport("torsh_data._jsapi");
    timings.wheel = now() - t;
    t = now();
    timings.snapshot = restored ? "restored" : make ? "made" : "off";
    if (restored) reseedRandom(pyodide);
    else if (options.warmUp !== false) api.warm_up();
    timings.warmUp = now() - t;
    timings.compiledFromCache = Boolean(compiled?.hit);
    compiled?.done();
    if (make) {
      progress.phase("snapshot");
      t = now();
      stampSnapshot(pyodide);
      const { made, error } = takeSnapshot(pyodide); // then Python's `js` is the page's globalThis
      if (made) {
        snapshotSaved = bootCache.saveSnapshot(key, made).then(() => true, () => false);
      } else {
        timings.snapshot = "off";
        timings.snapshotError = `no boot snapshot made: ${error?.message ?? error}`;
      }
      timings.makeSnapshot = now() - t;
    }
    progress.phase("ready");
    return { pyodide, api, timings, snapshotSaved };
  } finally {
    progress.done();
  }
}

// NOTE [ One runtime ]: a page has one Pyodide with torsh-data, booted by the first init();
// later calls share it. A later call that names different boot options (another indexURL,
// wheel, snapshot...) cannot have them: it rejects, naming the options that differ, instead
// of silently returning a runtime booted otherwise. A call with no options, or the same ones,
// gets the same runtime; `onProgress` is not a boot option (a later call's listener is added).
let runtimeOptions = null;
const progressListeners = new Set();

/** The boot options that differ between two init() calls (onProgress is not one). */
function differingOptions(a, b) {
  const same = (x, y) => {
    if (x === y) return true;
    if ((typeof x === "string" || x instanceof URL) && (typeof y === "string" || y instanceof URL)) {
      return String(x) === String(y);
    }
    const plain = (v) => v !== null && typeof v === "object" && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype);
    if (plain(x) && plain(y)) {
      try { return JSON.stringify(x) === JSON.stringify(y); } catch { return false; }
    }
    return false;
  };
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("onProgress");
  return [...keys].filter((k) => !same(a[k], b[k])).sort();
}

/**
 * Boot Pyodide and install torsh-data; later calls share that runtime (NOTE [ One runtime ]):
 * with no options or the same ones they resolve to it, with different ones they reject.
 * @param {import("./index.d.ts").InitOptions} [options]
 */
export async function init(options = {}) {
  const opts = options ?? {};
  if (typeof opts.onProgress === "function") progressListeners.add(opts.onProgress);
  if (!runtime) {
    runtimeOptions = opts;
    // NOTE [ Boot snapshot ]: a runtime restored from the snapshot that fails before it is
    // ready (seen once in WebKit: an out-of-bounds access unpacking the wheel right after a
    // restore) is dropped with the snapshot, and booted again without it
    runtime = bootOrRetry((attempt) => boot(opts, attempt), () => bootCache.dropSnapshots()).catch((e) => {
      runtime = null;
      runtimeOptions = null;
      progressListeners.clear();
      throw fromPython(e);
    });
  } else if (Object.keys(opts).some((k) => k !== "onProgress")) {
    const differ = differingOptions(runtimeOptions, opts);
    if (differ.length) {
      throw new Error(`torsh-data: init() was already called with other options (${differ.join(", ")} ` +
        "differ); a page has one runtime, booted by the first call. Call init() with the same " +
        "options, or with none to get the running one.");
    }
  }
  const rt = await runtime;
  return { pyodide: rt.pyodide, timings: rt.timings, snapshotSaved: rt.snapshotSaved, version };
}

async function api() {
  return (runtime ? await runtime : (await init(), await runtime)).api;
}

// ------------------------------------------------------------------ loader

const CAMEL = { dropLast: "drop_last", labelColumn: "label", endOfEpoch: "end_of_epoch" };
/** Recycled arrays kept per dtype and size (WasmDataLoader.recycle). */
const POOL_PER_KEY = 4;

/** Per-call JavaScript timings (W8), alongside Python's: running figures, in constant memory. */
class Monitor {
  constructor() { this.stats = new Map(); }
  record(name, ms) {
    const s = this.stats.get(name);
    if (!s) { this.stats.set(name, { count: 1, total_ms: ms, min_ms: ms, max_ms: ms, last_ms: ms }); return; }
    s.count++;
    s.total_ms += ms;
    if (ms < s.min_ms) s.min_ms = ms;
    if (ms > s.max_ms) s.max_ms = ms;
    s.last_ms = ms;
  }
  summary() {
    const out = {};
    for (const [k, s] of this.stats) {
      out[k] = { count: s.count, total_ms: s.total_ms, mean_ms: s.total_ms / s.count,
        min_ms: s.min_ms, max_ms: s.max_ms, last_ms: s.last_ms };
    }
    return out;
  }
}

/**
 * The typed array of each dtype a batch hands over (the arrays Pyodide's to_js made: bool as
 * 0/1 bytes, float16 as its raw bits: build a Float16Array from the buffer where the engine
 * has one).
 */
const TYPED_ARRAYS = {
  bool: Uint8Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, uint64: BigUint64Array, int64: BigInt64Array,
  float16: Uint16Array, float32: Float32Array, float64: Float64Array,
};

/**
 * Batches of typed arrays from a URL, a File/Blob, a ReadableStream or bytes.
 * A batch is `{name: {data: TypedArray, shape: number[], dtype: string}}` (strings come as
 * arrays); `data` goes straight to `tf.tensor(data, shape)` or `new ort.Tensor(dtype, data, shape)`.
 */
export class WasmDataLoader {
  /**
   * @param {number} batchSize
   * @param {import("./index.d.ts").LoaderOptions} [options]
   */
  constructor(batchSize, options = {}) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`batchSize must be an integer >= 1, not ${batchSize}`);
    }
    this.batchSize = batchSize;
    this.options = { ...options };
    this.endOfEpoch = options.endOfEpoch ?? options.end_of_epoch ?? "null";
    if (!["null", "throw"].includes(this.endOfEpoch)) {
      throw new TypeError(`endOfEpoch must be "null" or "throw", not ${this.endOfEpoch}`);
    }
    this._py = null;
    this._info = null;
    this._monitor = new Monitor();
    this._queue = Promise.resolve(); // nextBatch() calls, one after another
    this._inFlight = 0;
    this._pool = new Map(); // "dtype:byteLength" -> arrays of recycled batches (recycle())
    this._headers = new Map(); // header id -> the fields of a batch (NOTE [ Batch hand-off ])
    this._heapOf = null; // Pyodide's Emscripten module: its HEAPU8 is the memory batches are copied from
    this._next = null; // the Python loader's next_batch_js_sync / next_batch_js, kept (a PyProxy each)
  }

  async _loader() {
    if (!this._py) {
      const opts = {};
      for (const [k, v] of Object.entries(this.options)) {
        if (k === "endOfEpoch" || k === "end_of_epoch" || v === undefined) continue;
        opts[CAMEL[k] ?? k] = v;
      }
      const JsLoader = (await api()).JsLoader;
      const py = await call(() => JsLoader(this.batchSize, JSON.stringify(opts)));
      this._heapOf = (await runtime).pyodide._module;
      if (!(this._heapOf?.HEAPU8 instanceof Uint8Array)) {
        py.destroy();
        throw new Error("torsh-data: this Pyodide does not expose its memory (pyodide._module.HEAPU8), which batches are copied from");
      }
      // one PyProxy of each method for the loader's life, not one per batch
      this._next = { sync: py.next_batch_js_sync, async: py.next_batch_js };
      // NOTE [ Batch slots ] (convert.py): where batches' addresses and sizes are, as float64
      // (0: every batch comes as a descriptor string); asked once, it turns the slots on
      this._slots = callSync(() => py.slots_address()) / 8;
      this._py = py;
    }
    return this._py;
  }

  async _load(fn) {
    const t = now();
    const py = await this._loader();
    await call(async () => { await fn(py); this._info = JSON.parse(py.info_json()); });
    this._sync = py.synchronous; // NOTE [ Synchronous batches ] (src/torsh_data/_jsapi/loader.py)
    this._monitor.record("load", now() - t);
    return this;
  }

  // NOTE [ Streaming facade ] (src/torsh_data/_jsapi/stream.py): the loads below parse the bytes
  // as they arrive. With shuffle: true every record is kept in memory; otherwise a source that
  // ends within inMemoryBytes (64 MiB) is kept, and a larger one streams: batches in bounded
  // memory, len/samples null until an epoch has ended, each epoch re-reads the source (a
  // ReadableStream: one epoch), no workers, no fitted transforms. The load resolves once the
  // first records are read.

  /** Download and parse a dataset; the format comes from `format`, the extension or the type. */
  load_from_url(url, { contentType = null } = {}) {
    // Under Node.js (no page), a relative URL is resolved against globalThis.location when
    // one is set (as Deno's --location does); otherwise it is a path of Pyodide's file system.
    const relative = !/^[a-z][a-z0-9+.-]*:/i.test(String(url));
    const href = IS_NODE && relative && globalThis.location?.href ? new URL(String(url), globalThis.location.href).href : String(url);
    // an extensionless URL: the format comes from the Content-Type of the load's own response
    // (NOTE [ Format from the response ] in src/torsh_data/_jsapi/loader.py), cached with the bytes
    return this._load((py) => py.load_url(href, contentType ?? undefined));
  }

  /** Parse a user's File or Blob (read in slices). */
  load_from_file(file) {
    return this._load((py) => py.load_blob(file));
  }

  /** Parse a ReadableStream of bytes; give `total` (bytes) for a progress figure while reading. */
  load_from_stream(stream, { total = null } = {}) {
    return this._load((py) => py.load_stream(stream, total));
  }

  /** Parse bytes already in memory; `name` tells the format by its extension. */
  load_from_bytes(bytes, name = null) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this._load(async (py) => {
      const { pyodide } = await runtime;
      const data = pyodide.toPy(u8);
      try { return await py.load_bytes(data, name); } finally { data.destroy(); }
    });
  }

  /**
   * The next batch at once, for data in memory (loaded, not streaming, no `workers`): throws
   * EndOfEpoch at the end of the epoch, and the next call starts the next epoch, as the seed
   * plan's `while (true) { try { loader.next_batch() } catch (e) { break } }` expects.
   * A streaming source or `workers` throw a TorshDataError (CannotBlockError): use nextBatch().
   */
  next_batch() {
    if (!this._py) throw new Error("torsh-data: nothing loaded; call loadFromUrl/File/Stream first");
    if (this._inFlight) throw new Error("torsh-data: next_batch() while a nextBatch() is in flight; await it first");
    const t = now();
    const batch = this._take(callSync(this._next.sync));
    this._monitor.record("next_batch", now() - t);
    if (batch === null) throw new EndOfEpoch(this._endedEpoch());
    return batch;
  }

  /**
   * The next batch, or null at the end of the epoch (EndOfEpoch with { endOfEpoch: "throw" });
   * the next call starts the next epoch. Calls made before the last resolved are queued: each
   * resolves with the batch after the previous call's.
   */
  nextBatch() {
    if (this._inFlight === 0 && this._sync && this._py) {
      // nothing queued, and the batch is made at once (NOTE [ Synchronous batches ]): made
      // now, without the queue's promises (the order of calls is the order of batches anyway)
      try { return Promise.resolve(this._syncBatch()); } catch (e) { return Promise.reject(e); }
    }
    this._inFlight++;
    const run = this._queue.then(() => this._nextBatch());
    this._queue = run.then(() => {}, () => {});
    return run.finally(() => { this._inFlight--; });
  }

  async _nextBatch() {
    if (!this._py) throw new Error("torsh-data: nothing loaded; call loadFromUrl/File/Stream first");
    if (this._sync) return this._syncBatch();
    const t = now();
    const batch = this._take(await call(this._next.async));
    this._monitor.record("next_batch", now() - t);
    if (batch === null && this.endOfEpoch === "throw") throw new EndOfEpoch(this._endedEpoch());
    return batch;
  }

  /** nextBatch()'s batch made at once (in memory, no workers). */
  _syncBatch() {
    const t = now();
    const batch = this._take(callSync(this._next.sync));
    this._monitor.record("next_batch", now() - t);
    if (batch === null && this.endOfEpoch === "throw") throw new EndOfEpoch(this._endedEpoch());
    return batch;
  }

  /** The epoch a batch of null ended (Python counts the next one from then on). */
  _endedEpoch() { return this.epoch - 1; }

  /**
   * Hand back a batch you are done with (after `tf.tensor(...)` copied it to the GPU, after a
   * training step, ...): its arrays are reused for the arrays of later batches of the same
   * dtype and size, which then cost no fresh memory (in Chromium most of a batch's hand-off:
   * NOTE [ Recycled batches ] in src/torsh_data/_jsapi/convert.py). The batch's `data` fields
   * are set to null; an array of it you kept elsewhere is overwritten by a later batch, so
   * do not hand back a batch whose arrays something still reads (TensorFlow.js's CPU backend
   * keeps the array `tf.tensor` was given). Batches never handed back are never reused.
   * @param {import("./index.d.ts").Batch | null} batch
   */
  recycle(batch) {
    if (batch == null) return;
    for (const v of Object.values(batch)) {
      const d = v?.data;
      const own = ArrayBuffer.isView(d) && typeof v.dtype === "string" && d.byteLength > 0 &&
        d.byteOffset === 0 && d.byteLength === d.buffer.byteLength;
      if (!own) continue;
      const key = `${v.dtype}:${d.byteLength}`;
      const free = this._pool.get(key) ?? [];
      if (free.length < POOL_PER_KEY && !free.includes(d)) free.push(d);
      this._pool.set(key, free);
      v.data = null;
    }
  }

  /**
   * The batch Python handed over (src/torsh_data/_jsapi/convert.py, NOTE [ Batch hand-off ]):
   * a descriptor string `[id, header, address, nbytes, ...]`, or `[descriptor, value, ...]`
   * when some fields are not tensors, or the header's id alone, the addresses and sizes in
   * the slots (NOTE [ Batch slots ]); null/undefined at the end of an epoch. Each tensor's
   * bytes are copied out of Pyodide's heap now, before any Python runs again, into a recycled
   * array of the same dtype and size or a new one.
   */
  _take(packed) {
    if (packed == null) return null;
    let d, k, fields, plain = null;
    if (typeof packed === "number") { // a header's id: the pairs are in the slots (NOTE [ Batch slots ])
      d = this._heapOf.HEAPF64;
      k = this._slots;
      fields = this._headers.get(packed);
      if (!fields || !k) throw new Error(`torsh-data: batch header ${packed} was never sent (a loader's batches must all come through it)`);
    } else {
      plain = typeof packed === "string" ? null : packed;
      d = JSON.parse(plain ? plain[0] : packed);
      k = 2;
      fields = this._headers.get(d[0]);
      if (d[1] !== null) {
        fields = d[1].map(([name, shape, dtype]) => ({ name, shape, dtype, key: dtype === null ? null : `${dtype}:` }));
        this._headers.set(d[0], fields);
      }
      if (!fields) throw new Error(`torsh-data: batch header ${d[0]} was never sent (a loader's batches must all come through it)`);
    }
    const heap = this._heapOf.HEAPU8; // read after the call: the current memory (HEAPF64 too)
    const batch = {};
    let p = 1;
    for (const f of fields) {
      if (f.dtype === null) {
        batch[f.name] = plain[p++];
        continue;
      }
      const at = d[k++], n = d[k++];
      const Typed = TYPED_ARRAYS[f.dtype] ?? Uint8Array;
      const pooled = this._pool.get(f.key + n)?.pop();
      let data;
      if (pooled) {
        new Uint8Array(pooled.buffer, 0, n).set(heap.subarray(at, at + n));
        data = pooled;
      } else {
        data = new Typed(heap.slice(at, at + n).buffer);
      }
      batch[f.name] = { data, shape: f.shape.slice(), dtype: f.dtype };
    }
    return batch;
  }

  /** Iterate the rest of the current epoch. */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      let batch;
      try { batch = await this.nextBatch(); } catch (e) {
        if (e instanceof EndOfEpoch) return;
        throw e;
      }
      if (batch === null) return;
      yield batch;
    }
  }

  /**
   * A TensorFlow.js dataset of this loader's batches, for `model.fitDataset(ds, ...)`: each
   * iteration (each epoch of fitDataset) is one epoch of the loader; a batch `{x, y}` becomes
   * `{xs, ys}` (the field names: `{ xs: "x", ys: "y" }`), one field its tensor, other fields
   * an object of tensors. Pass the `tf` module: `loader.toTfDataset(tf)`.
   */
  toTfDataset(tf, { xs = "x", ys = "y" } = {}) {
    if (typeof tf?.data?.generator !== "function") {
      throw new TypeError("toTfDataset(tf) needs the TensorFlow.js module, e.g. import * as tf from '@tensorflow/tfjs'");
    }
    const loader = this;
    return tf.data.generator(async function* () {
      loader.reset(); // a fresh epoch, even after one left part-way
      for await (const batch of loader) yield tfElement(tf, batch, xs, ys);
    });
  }

  /** Start the next epoch at the following nextBatch() (a new shuffle when shuffling). */
  reset() { if (this._py) callSync(() => this._py.reset()); }

  /** Batches per epoch (0 before loading; null while a streaming source's is unknown). */
  get len() { return this._py ? callSync(() => this._py.num_batches()) ?? null : 0; }
  get length() { return this.len; }
  /** Samples per epoch (null while a streaming source's is unknown). */
  get samples() { return this._py ? callSync(() => this._py.num_samples()) ?? null : 0; }
  /** True when the source was too large to keep in memory and its batches stream. */
  get streaming() { return this._info?.streaming ?? false; }
  /**
   * Loading progress, 0 to 1, readable while a load is in flight; null while the source's
   * size is unknown (a compressed response has no decoded length): `loadedBytes` still counts.
   */
  get progress() { return this._py ? this._py.progress ?? null : 0; }
  /** Decoded bytes of the source read so far by the current (or last) load. */
  get loadedBytes() { return this._py ? this._py.bytes_loaded : 0; }
  /** True when the last loadFromUrl came from the cache. */
  get fromCache() { return this._info?.fromCache ?? false; }
  get from_cache() { return this.fromCache; }
  /** The fields of a batch: `[{name, dtype, shape, kind}]` (shape per sample). */
  get schema() { return this._info?.schema ?? []; }
  get format() { return this._info?.format ?? null; }
  /** The class names of a string `label` column, in index order (sorted, or the `classes` option); else null. */
  get classes() { return this._info?.classes ?? null; }
  get epoch() { return this._py ? this._py.epoch : 0; }
  /** Timings (ms) of loading and of each batch: Python's parts and JavaScript's calls. */
  get timings() {
    return { python: this._py ? JSON.parse(JSON.stringify(this._py.monitor.summary().toJs({
      dict_converter: Object.fromEntries }))) : {}, js: this._monitor.summary() };
  }

  /** Free the Python side; the loader is unusable afterwards. */
  destroy() {
    if (this._py) {
      this._next.sync.destroy();
      this._next.async.destroy();
      callSync(() => this._py.destroy());
    }
    this._py = null;
    this._next = null;
  }
}

// camelCase aliases of the seed plan's snake_case names.
const L = WasmDataLoader.prototype;
L.loadFromUrl = L.load_from_url;
L.loadFromFile = L.load_from_file;
L.loadFromStream = L.load_from_stream;
L.loadFromBytes = L.load_from_bytes;

/** One batch as TensorFlow.js tensors (toTfDataset). */
function tfElement(tf, batch, xs, ys) {
  const tensor = (name) => {
    const v = batch[name];
    if (!v?.data || !ArrayBuffer.isView(v.data)) {
      throw new TypeError(`torsh-data: field ${JSON.stringify(name)} is not a tensor (${typeof v}); pass toTfDataset(tf, { xs, ys }) naming tensor fields`);
    }
    if (typeof v.data[0] === "bigint" || v.data instanceof BigInt64Array || v.data instanceof BigUint64Array) {
      throw new TypeError(`torsh-data: field ${JSON.stringify(name)} is ${v.dtype} (a ${v.data.constructor.name}), which TensorFlow.js does not take; pass labelDtype: "int32" (a label) or cast: { ${v.dtype}: "int32" }`);
    }
    return tf.tensor(v.data, v.shape);
  };
  if (xs in batch && ys in batch) return { xs: tensor(xs), ys: tensor(ys) };
  const names = Object.keys(batch).filter((k) => batch[k]?.data);
  return names.length === 1 ? tensor(names[0]) : Object.fromEntries(names.map((k) => [k, tensor(k)]));
}

// --------------------------------------------------------------- processor

/** The ArrayBuffers of a result's batch, to pass as postMessage's transfer list. */
export function transferables(result) {
  const out = [];
  const batch = result?.batch;
  if (batch) {
    for (const v of Object.values(batch)) {
      if (v?.data?.buffer instanceof ArrayBuffer && !out.includes(v.data.buffer)) out.push(v.data.buffer);
    }
  }
  return out;
}

/**
 * For a Web Worker: `process(message)` answers the messages of a page.
 *
 *   { type: "init", init?: InitOptions }                        -> { type: "ready", capabilities }
 *   { type: "load", batchSize, options?, url | file | stream | data, name? }
 *                                                               -> { type: "loaded", len, samples, schema, fromCache }
 *   { type: "next" }                                            -> { type: "batch", batch | null, done }
 *   { type: "reset" }                                           -> { type: "reset", epoch }
 *   { type: "timings" }                                         -> { type: "timings", timings }
 *
 * `self.postMessage(result, transferables(result))` moves the batch's buffers without a copy.
 */
export class WasmDataProcessor {
  constructor(options = {}) {
    this.initOptions = options.init ?? options;
    this.loader = null;
  }

  async process(message) {
    const m = message ?? {};
    switch (m.type) {
      case "init":
        this.initOptions = m.init ?? this.initOptions; // the options of the loads that follow
        await init(this.initOptions);
        return { type: "ready", capabilities: capabilities() };
      case "load": {
        await init(this.initOptions);
        this.loader?.destroy();
        this.loader = new WasmDataLoader(m.batchSize ?? 32, m.options ?? {});
        if (m.url) await this.loader.load_from_url(m.url);
        else if (m.file) await this.loader.load_from_file(m.file);
        else if (m.stream) await this.loader.load_from_stream(m.stream, { total: m.total ?? null });
        else if (m.data) await this.loader.load_from_bytes(m.data, m.name ?? null);
        else throw new TypeError("load needs one of url, file, stream or data");
        const l = this.loader;
        return { type: "loaded", len: l.len, samples: l.samples, schema: l.schema, fromCache: l.fromCache };
      }
      case "next": {
        const batch = await this._need().nextBatch();
        return { type: "batch", batch, done: batch === null };
      }
      case "reset":
        this._need().reset();
        return { type: "reset", epoch: this.loader.epoch };
      case "timings":
        return { type: "timings", timings: this._need().timings };
      default:
        throw new TypeError(`unknown message type ${JSON.stringify(m.type)}`);
    }
  }

  _need() {
    if (!this.loader) throw new Error("torsh-data: send a load message first");
    return this.loader;
  }
}

export default init;
