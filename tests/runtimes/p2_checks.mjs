// P2 through the JavaScript package's nextBatch(), the same checks under Node.js and in a page
// (tests/runtimes/js.test.mjs): the batches' bytes (compared there with CPython's DataLoader),
// that a batch JavaScript holds stays correct after the later batches and a growth of
// Pyodide's heap (NOTE [ Batch buffers in JavaScript ] in src/torsh_data/_jsapi/convert.py),
// and that batches handed back with recycle() are refilled, not changed (NOTE [ Recycled
// batches ]).

/** IDX bytes of `n` `side`x`side` uint8 images (deterministic). */
export function p2Idx(n, side) {
  const b = new Uint8Array(16 + n * side * side);
  const v = new DataView(b.buffer);
  v.setUint8(2, 8); v.setUint8(3, 3);
  v.setUint32(4, n); v.setUint32(8, side); v.setUint32(12, side);
  for (let i = 16; i < b.length; i++) b[i] = Math.imul(i, 2654435761) >>> 24;
  return b;
}

/** P2's transforms (bench/bench_pipelines.py) as the loader's `transforms` option. */
export const p2Transforms = (crop, padding) => [
  { name: "RandomCrop", args: [crop], padding }, { name: "RandomHorizontalFlip", args: [0.5] },
  "ToTensor", { name: "Normalize", args: [0.1307, 0.3081] },
];

const hex = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
  (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * Two epochs of `next()`'s batches: x as hex, shape and array type when each came, the batch
 * itself kept; `done(batch)` is called after that.
 */
async function twoEpochs(next, done = () => {}) {
  const epochs = [];
  for (let e = 0; e < 2; e++) {
    const batches = [];
    let b;
    while ((b = await next()) !== null) {
      batches.push({ hex: hex(b.x.data), shape: b.x.shape, dtype: b.x.dtype, type: b.x.data.constructor.name, batch: b });
      done(b);
    }
    epochs.push(batches);
  }
  return epochs;
}

/**
 * Two epochs of P2 through nextBatch(), every batch kept: each batch's x as hex when it came
 * (`epochs`) and again once both epochs are made (`held`), its shape and array type; the same
 * from a second loader whose every batch is handed back with recycle() once read
 * (`recycled`: the batches, whether each one's data became null, how many came in an array
 * of an earlier batch). Then the lifetime check: batch a, batch b, then Python allocates more
 * than the heap holds, so the WebAssembly memory grows (a view over the heap made before, the
 * control, reads 0 bytes after).
 */
export async function p2Checks(td, { n, side, crop, padding, batchSize, seed }) {
  const { pyodide } = await td.init();
  const make = async () => {
    const l = new td.WasmDataLoader(batchSize, { shuffle: true, seed, transforms: p2Transforms(crop, padding) });
    return l.loadFromBytes(p2Idx(n, side), "p2-images-idx3-ubyte");
  };
  const strip = (epochs) => epochs.map((e) => e.map(({ batch, ...rest }) => rest));
  const l = await make();
  const kept = await twoEpochs(() => l.nextBatch());
  const epochs = strip(kept);
  const held = kept.map((e) => e.map(({ batch: b }) => hex(b.x.data)));
  const r = await make();
  const arrays = new Set();
  let refilled = 0, emptied = true;
  const recycledEpochs = await twoEpochs(() => r.nextBatch(), (b) => {
    if (arrays.has(b.x.data)) refilled++;
    arrays.add(b.x.data);
    r.recycle(b);
    emptied &&= b.x.data === null;
  });
  const recycled = { epochs: strip(recycledEpochs), emptied, refilled };
  r.destroy();
  const a = await l.nextBatch();
  const before = { hex: hex(a.x.data), length: a.x.data.length };
  const next = await l.nextBatch();
  pyodide.runPython("_p2_control = bytearray(b'control')");
  const control = pyodide.globals.get("_p2_control");
  const view = control.getBuffer("u8");
  const heapBefore = view.data.buffer.byteLength;
  pyodide.runPython(`_p2_grow = bytearray(${heapBefore + (64 << 20)}); del _p2_grow, _p2_control`);
  const lifetime = {
    before, after: { hex: hex(a.x.data), length: a.x.data.length },
    heapViewLengthAfterGrowth: view.data.length, heapBefore,
    ownBuffers: a.x.data.buffer !== next.x.data.buffer && a.x.data.buffer.byteLength === a.x.data.byteLength,
    nextStillReadable: hex(next.x.data).length === 2 * next.x.data.byteLength,
  };
  view.release();
  control.destroy();
  l.destroy();
  return { epochs, held, recycled, lifetime };
}
