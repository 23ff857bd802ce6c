/**
 * P2 (bench/bench_pipelines.py: 28x28 uint8 images -> pad 2 + random crop 28 -> flip p=0.5 ->
 * ToTensor -> Normalize -> shuffled batches of 64) three ways in one JavaScript runtime, for
 * bench/bench_p2_js.mjs (which runs this under Node.js and in a browser page):
 *
 *   handJs   hand-written JavaScript: plain loops over a Uint8Array into a new Float32Array
 *            per batch, a 256-entry Float32Array lookup table for ToTensor + Normalize;
 *   python   Pyodide's Python: DataLoader(TransformDataset(images, Compose([...])), 64,
 *            shuffle=True, seed=0), iterated in Python;
 *   facade   the JavaScript package: WasmDataLoader(64, { shuffle, seed, transforms })
 *            .nextBatch() until null (each batch's arrays copied out to JavaScript);
 *   recycled the same, each batch handed back with loader.recycle(batch) once read (its
 *            arrays are refilled by later batches: NOTE [ Recycled batches ]).
 *
 * All three read the same IDX bytes (images only: the facade's IDX source has no labels) and
 * report the best samples/s of `repeat` epochs.
 */

const MEAN = 0.1307, STD = 0.3081;

/** IDX bytes of `n` 28x28 uint8 images (deterministic pseudo-random pixels). */
export function p2Idx(n) {
  const b = new Uint8Array(16 + n * 784);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x803); v.setUint32(4, n); v.setUint32(8, 28); v.setUint32(12, 28);
  let s = 0x9e3779b9;
  for (let i = 16; i < b.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; b[i] = s >>> 24; }
  return b;
}

const now = () => performance.now();

/** The hand-written typed-array P2; returns the best samples/s of `repeat` epochs. */
export function handJs(idx, { batchSize = 64, repeat = 3, seed = 1 } = {}) {
  const n = new DataView(idx.buffer, idx.byteOffset).getUint32(4);
  const src = idx.subarray(16);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = (Math.fround(v / 255) - Math.fround(MEAN)) / Math.fround(STD);
  const pad = lut[0];
  let s = seed >>> 0 || 1;
  const rand = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let best = 0, checksum = 0;
  for (let e = 0; e < repeat; e++) {
    const t = now();
    for (let i = n - 1; i > 0; i--) { const j = (rand() * (i + 1)) | 0; const x = order[i]; order[i] = order[j]; order[j] = x; }
    for (let b = 0; b < n; b += batchSize) {
      const m = Math.min(batchSize, n - b);
      const out = new Float32Array(m * 784);
      let o = 0;
      for (let k = 0; k < m; k++) {
        const base = order[b + k] * 784;
        const top = (rand() * 5) | 0, left = (rand() * 5) | 0, flip = rand() < 0.5;
        for (let y = 0; y < 28; y++) {
          const sy = y + top - 2;
          if (sy < 0 || sy >= 28) { out.fill(pad, o, o + 28); o += 28; continue; }
          const row = base + sy * 28;
          for (let x = 0; x < 28; x++) {
            const sx = (flip ? 27 - x : x) + left - 2;
            out[o++] = sx < 0 || sx >= 28 ? pad : lut[src[row + sx]];
          }
        }
      }
      checksum += out[(b * 7) % out.length];
    }
    best = Math.max(best, n / ((now() - t) / 1000));
  }
  return { samples_per_s: best, checksum };
}

const PYTHON_P2 = `
import time
from torsh_data import DataLoader, TransformDataset
from torsh_data import transforms as T
from torsh_data.formats import read_idx

def _p2_python(data):
    pipeline = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(0.5),
                          T.ToTensor(), T.Normalize((${MEAN},), (${STD},))])
    loader = DataLoader(TransformDataset(read_idx(bytes(data)), pipeline), batch_size=64,
                        shuffle=True, seed=0)
    epochs = iter(range(1 << 30))

    def epoch():
        loader.set_epoch(next(epochs))
        t, n = time.perf_counter(), 0
        for b in loader:
            n += len(b)
        return n / (time.perf_counter() - t)

    return epoch
`;

/** One epoch at a time of Python's DataLoader on P2 inside this runtime's Pyodide. */
function python(pyodide, idx) {
  pyodide.runPython(PYTHON_P2);
  const make = pyodide.globals.get("_p2_python");
  const data = pyodide.toPy(idx);
  const epoch = make(data);
  data.destroy();
  make.destroy();
  return { epoch: () => epoch(), close: () => epoch.destroy() };
}

/** One epoch at a time of P2 through the JavaScript package's nextBatch() (recycle: hand each batch back). */
async function facade(td, idx, { recycle = false } = {}) {
  const l = new td.WasmDataLoader(64, { shuffle: true, seed: 0, transforms: [
    { name: "RandomCrop", args: [28], padding: 2 }, { name: "RandomHorizontalFlip", args: [0.5] },
    "ToTensor", { name: "Normalize", args: [MEAN, STD] }] });
  await l.loadFromBytes(idx, "p2-images-idx3-ubyte");
  return {
    epoch: async () => {
      const t = now();
      let n = 0, b;
      while ((b = await l.nextBatch()) !== null) {
        n += b.x.shape[0];
        if (recycle) l.recycle(b);
      }
      return n / ((now() - t) / 1000);
    },
    close: () => l.destroy(),
    timings: () => l.timings,
    loader: l,
  };
}

/**
 * All four on `images` 28x28 images, with the ratios BENCHMARKS.md quotes. The Python and
 * nextBatch() epochs alternate (the best of `repeat` each), so a busy moment of a shared
 * machine falls on all.
 */
export async function runP2(td, { images = 10_000, repeat = 3 } = {}) {
  const { pyodide } = await td.init();
  const idx = p2Idx(images);
  const out = { images, repeat };
  out.handJs = handJs(idx, { repeat });
  const py = python(pyodide, idx), js = await facade(td, idx), rjs = await facade(td, idx, { recycle: true });
  let bestPy = 0, bestJs = 0, bestR = 0;
  try {
    for (let r = 0; r < repeat; r++) {
      bestPy = Math.max(bestPy, py.epoch());
      bestJs = Math.max(bestJs, await js.epoch());
      bestR = Math.max(bestR, await rjs.epoch());
    }
    const timings = (t) => ({ python_batch_ms: t.python.batch?.mean_ms, to_js_ms: t.python.to_js?.mean_ms,
      next_batch_ms: t.js.next_batch?.mean_ms });
    out.python = { samples_per_s: bestPy };
    out.facade = { samples_per_s: bestJs, ...timings(js.timings()) };
    out.recycled = { samples_per_s: bestR, ...timings(rjs.timings()) };
  } finally {
    py.close();
    js.close();
    rjs.close();
  }
  out.pythonOverHandJs = out.python.samples_per_s / out.handJs.samples_per_s;
  out.facadeOverPython = out.facade.samples_per_s / out.python.samples_per_s;
  out.recycledOverPython = out.recycled.samples_per_s / out.python.samples_per_s;
  return out;
}

const PYTHON_PARTS = `
def _p2_parts_python(loader, method):
    def epoch():
        step, n = getattr(loader, method), 0
        while step() is not None:
            n += 1
        return n
    return epoch
`;

/**
 * Where a batch's time goes on the facade's path (bench_p2_js.mjs --parts): one epoch at a
 * time of each layer, each adding one step to the one before:
 *
 *   python      Python's DataLoader alone (as runP2's python);
 *   wrapper     Python calling the facade's loader, JsLoader.next_batch_sync (naming, timing);
 *   packed      Python calling next_batch_js_sync (+ the descriptor: NOTE [ Batch hand-off ]);
 *   call        JavaScript calling next_batch_js_sync through its PyProxy (+ the call);
 *   copied      + _take into recycled arrays (+ JSON.parse and one copy per tensor);
 *   recycled    nextBatch() with recycle() (+ the promise, the Monitor);
 *   fresh       nextBatch() (+ fresh memory per batch).
 *
 * `run(name)` resolves to `{ batches, ms }` of one epoch; the harness times it (wall clock
 * here, CPU time around it). Private members of WasmDataLoader (_py, _next, _take) are read:
 * measurement only.
 */
export async function p2Layers(td, { images = 6400 } = {}) {
  const { pyodide } = await td.init();
  const idx = p2Idx(images);
  pyodide.runPython(PYTHON_P2 + PYTHON_PARTS);
  const make = pyodide.globals.get("_p2_python"), parts = pyodide.globals.get("_p2_parts_python");
  const data = pyodide.toPy(idx);
  const pyEpoch = make(data);
  const loaders = [];
  const loader = async () => {
    const l = (await facade(td, idx)).loader;
    loaders.push(l);
    return l;
  };
  const proxies = [pyEpoch, data, make, parts];
  const byPython = async (method) => {
    const f = parts((await loader())._py, method);
    proxies.push(f);
    return () => f();
  };
  const lc = await loader(), lt = await loader(), lr = await loader(), lf = await loader();
  const layers = {
    python: () => { pyEpoch(); return Math.ceil(images / 64); },
    wrapper: await byPython("next_batch_sync"),
    packed: await byPython("next_batch_js_sync"),
    call: () => { const f = lc._next.sync; let n = 0; while (f() != null) n++; return n; },
    copied: () => {
      const f = lt._next.sync;
      let n = 0, b;
      while ((b = lt._take(f())) !== null) { n++; lt.recycle(b); }
      return n;
    },
    recycled: async () => { let n = 0, b; while ((b = await lr.nextBatch()) !== null) { n++; lr.recycle(b); } return n; },
    fresh: async () => { let n = 0, b; while ((b = await lf.nextBatch()) !== null) n++; return n; },
  };
  return {
    names: Object.keys(layers),
    async run(name) {
      const t = now();
      const batches = await layers[name]();
      return { batches, ms: now() - t };
    },
    close() {
      for (const p of proxies) p.destroy();
      for (const l of loaders) l.destroy();
    },
  };
}

if (typeof window !== "undefined") {
  window.runP2 = async (opts) => {
    const td = await import("/js/index.mjs");
    await td.init({ indexURL: "/node_modules/pyodide/" });
    return runP2(td, opts);
  };
  window.p2Layers = async (opts) => {
    const td = await import("/js/index.mjs");
    await td.init({ indexURL: "/node_modules/pyodide/" });
    window.p2LayersRun = await p2Layers(td, opts);
    return window.p2LayersRun.names;
  };
}
