// The web developer's path through the JS package (issue 18), run the same way under Node.js
// (js.test.mjs) and in a page (js_page.mjs -> window.runApiChecks): the seed plan's example
// verbatim, the synchronous next_batch(), queued nextBatch() calls, string labels trained on
// with TensorFlow.js (fit with the accuracy metric, fitDataset through toTfDataset), and the
// loader's defects. Each check returns plain data; js.test.mjs asserts on it (assertApiChecks).

/** The seed plan's JavaScript example (/work/shared/wasm_support_plan.md, "JavaScript Integration"), verbatim. */
export const SEED_EXAMPLE = `import init, { WasmDataLoader } from './pkg/torsh_data.js';

async function loadData() {
    await init();
    
    const loader = new WasmDataLoader(32); // batch size
    await loader.load_from_url('/api/dataset');
    
    while (true) {
        try {
            const batch = loader.next_batch();
            // Process batch in JavaScript
            await processBatch(batch);
        } catch (e) {
            break; // End of dataset
        }
    }
}`;

/** The example as a module importing the package from `modulePath` (the only change), exporting loadData. */
export function seedModule(modulePath) {
  const from = "'./pkg/torsh_data.js'";
  if (!SEED_EXAMPLE.includes(from)) throw new Error("the example's import path changed");
  return `${SEED_EXAMPLE.replace(from, JSON.stringify(modulePath))}\nexport { loadData };\n`;
}

/** What /api/dataset answers (as text/csv, no extension): 70 rows, 3 numeric columns. */
export const API_CSV = "a,b,c\n" + Array.from({ length: 70 }, (_, i) => `${i},${(i * 7) % 10},${i % 4}`).join("\n") + "\n";

export const IRIS_CLASSES = ["setosa", "versicolor", "virginica"];
/** An iris-like CSV: 4 features, the species as a string, 90 rows, classes far apart (first-seen order: virginica first). */
export const IRIS_CSV = "sepal_length,sepal_width,petal_length,petal_width,species\n" +
  Array.from({ length: 90 }, (_, i) => {
    const k = [2, 0, 1][i % 3]; // virginica, setosa, versicolor, ...
    const f = [0, 1, 2, 3].map((j) => (k * 3 + ((i * (j + 3)) % 7) * 0.1 + j * 0.5).toFixed(2));
    return `${f.join(",")},${IRIS_CLASSES[k]}`;
  }).join("\n") + "\n";

let TD; // the package under test
const errorOf = (e) => ({ name: e?.name, pythonType: e?.pythonType, message: String(e?.message ?? e),
  isTorshDataError: e instanceof TD.TorshDataError, isError: e instanceof Error });

async function rejected(promise) {
  try { await promise; return null; } catch (e) { return errorOf(e); }
}

/**
 * Run every check. `td`: the package; `tf`: TensorFlow.js; `dataDir`: URL of a directory with
 * iris.csv; `apiBase`: the origin answering /api/dataset (text/csv) and /api/blob
 * (application/octet-stream); `importSeed()`: imports the seed example's module.
 */
export async function runApiChecks({ td, tf, dataDir, apiBase, importSeed }) {
  TD = td;
  const out = {};

  // 1. the seed plan's example, verbatim
  const seen = [];
  globalThis.processBatch = async (batch) => { seen.push(batch); };
  try {
    const { loadData } = await importSeed();
    await loadData();
  } finally {
    delete globalThis.processBatch;
  }
  out.seed = { sizes: seen.map((b) => b.x.shape[0]), x: seen.flatMap((b) => Array.from(b.x.data)),
    keys: seen.map((b) => Object.keys(b).join(",")) };

  // 2. next_batch() is synchronous, throws EndOfEpoch, then starts the next epoch; mixed with
  // nextBatch() one epoch continues; a streaming source refuses it
  const text = new TextEncoder().encode(API_CSV);
  const sync = new td.WasmDataLoader(32, { shuffle: true, seed: 3 });
  await sync.loadFromBytes(text, "api.csv");
  const first = sync.next_batch();
  const second = await sync.nextBatch();
  const third = sync.next_batch();
  let end = null;
  try { sync.next_batch(); } catch (e) { end = { isEndOfEpoch: e instanceof td.EndOfEpoch, epoch: e.epoch, name: e.name }; }
  const again = sync.next_batch();
  const whole = new td.WasmDataLoader(32, { shuffle: true, seed: 3 });
  await whole.loadFromBytes(text, "api.csv");
  const asyncEpoch = [];
  for await (const b of whole) asyncEpoch.push(Array.from(b.x.data));
  const nextEpoch = [];
  for await (const b of whole) nextEpoch.push(Array.from(b.x.data));
  const streaming = new td.WasmDataLoader(8, { inMemoryBytes: 16 });
  await streaming.loadFromBytes(text, "api.csv");
  let refused = null;
  try { streaming.next_batch(); } catch (e) { refused = errorOf(e); }
  out.sync = {
    isPromise: first instanceof Promise, mixed: [first, second, third].map((b) => Array.from(b.x.data)),
    end, again: Array.from(again.x.data), asyncEpoch, nextEpoch, streaming: streaming.streaming, refused,
  };

  // 3. nextBatch() calls in flight are queued: each gets the following batch
  const q = new td.WasmDataLoader(16, { shuffle: true, seed: 4 });
  await q.loadFromBytes(text, "api.csv");
  const concurrent = await Promise.all(Array.from({ length: 6 }, () => q.nextBatch()));
  const s = new td.WasmDataLoader(16, { shuffle: true, seed: 4 });
  await s.loadFromBytes(text, "api.csv");
  const sequential = [];
  for (let i = 0; i < 6; i++) sequential.push(await s.nextBatch());
  const plain = (bs) => bs.map((b) => (b === null ? null : Array.from(b.x.data)));
  out.queue = { concurrent: plain(concurrent), sequential: plain(sequential) };

  // 4. labels: strings to class indices (loader.classes), float32 by default for TF.js
  const iris = new td.WasmDataLoader(16, { shuffle: true, seed: 0, label: "species" });
  await iris.loadFromUrl(`${dataDir}/iris.csv`);
  const xs = [], ys = [];
  let yInfo = null;
  for await (const { x, y } of iris) {
    yInfo ??= { dtype: y.dtype, ctor: y.data.constructor.name };
    xs.push(...x.data);
    ys.push(...y.data);
  }
  const model = () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: "softmax" })] });
    m.compile({ optimizer: tf.train.adam(0.05), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
    return m;
  };
  const m1 = model();
  const fit = await m1.fit(tf.tensor(xs, [ys.length, 4]), tf.tensor(ys, [ys.length]), { epochs: 1, batchSize: 16, verbose: 0 });
  const m2 = model();
  let batchesSeen = 0;
  const fitDataset = await m2.fitDataset(iris.toTfDataset(tf), {
    epochs: 2, verbose: 0, callbacks: { onBatchEnd: async () => { batchesSeen++; } },
  });
  const int32 = new td.WasmDataLoader(90, { label: "species", labelDtype: "int32", classes: [...IRIS_CLASSES].reverse() });
  await int32.loadFromUrl(`${dataDir}/iris.csv`);
  const i32 = await int32.nextBatch();
  const big = new td.WasmDataLoader(2, { label: "y" });
  out.labels = {
    classes: iris.classes, yInfo, ys, len: iris.len,
    fit: { acc: fit.history.acc, loss: fit.history.loss },
    fitDataset: { acc: fitDataset.history.acc, loss: fitDataset.history.loss, batchesSeen },
    int32: { ctor: i32.y.data.constructor.name, ys: Array.from(i32.y.data), classes: int32.classes },
    numericClasses: null,
    tooBig: await rejected(big.loadFromBytes(new TextEncoder().encode("x,y\n1,5\n2,16777217\n"), "big.csv")),
    streamingStrings: await rejected((async () => {
      const l = new td.WasmDataLoader(4, { label: "species", inMemoryBytes: 64 });
      await l.loadFromUrl(`${dataDir}/iris.csv`);
      for await (const _ of l) { /* the error comes at the first string label */ }
    })()),
  };
  const numeric = new td.WasmDataLoader(4, { label: "c" });
  await numeric.loadFromBytes(text, "api.csv");
  out.labels.numericClasses = numeric.classes;

  // 5. defects: errors from Python as TorshDataError; a content type used
  const csv = new TextEncoder().encode("a,b,label\n1,2,0\n3,4,1\n");
  out.defects = {
    readmeNormalize: await rejected(new td.WasmDataLoader(2, { label: "label",
      transforms: [{ name: "Normalize", column: "x", mean: 0.5, std: 0.2 }] }).loadFromBytes(csv, "t.csv")),
    badCast: await rejected(new td.WasmDataLoader(2, { cast: { float32: "int128" } }).loadFromBytes(csv, "t.csv")),
    unknownType: await rejected(new td.WasmDataLoader(2).loadFromUrl(`${apiBase}/api/blob`)),
  };
  const typed = new td.WasmDataLoader(100);
  await typed.loadFromUrl(`${apiBase}/api/dataset`);
  out.defects.byContentType = { format: typed.format, samples: typed.samples };
  // the same with the cache twice: the second load reads the bytes and their type from it
  out.defects.cachedByType = [];
  for (let i = 0; i < 2; i++) {
    const cached = new td.WasmDataLoader(100, { cache: "jsapi-checks-typed" });
    await cached.loadFromUrl(`${apiBase}/api/dataset?cached`);
    out.defects.cachedByType.push({ format: cached.format, samples: cached.samples, fromCache: cached.fromCache });
  }
  return out;
}
