// The import map in index.html resolves "torsh-data" (and, inside it, "pyodide").
import { init, WasmDataLoader } from "torsh-data";

const status = document.querySelector("#status");
try {
  await init();
  const loader = new WasmDataLoader(8, { label: "species" });
  await loader.loadFromUrl("flowers.csv");
  const { x, y } = await loader.nextBatch();
  document.querySelector("#batch").textContent =
    `x: ${x.dtype} [${x.shape}] ${Array.from(x.data.slice(0, 4))} ...\ny: ${y.dtype} [${y.shape}] ${Array.from(y.data, Number)}`;
  status.textContent = `First batch of ${loader.len} (${loader.samples} samples)`;
  window.result = { x: { shape: x.shape, dtype: x.dtype, head: Array.from(x.data.slice(0, 4)) },
    y: Array.from(y.data, Number), len: loader.len, samples: loader.samples };
} catch (e) {
  status.textContent = `Failed: ${e}`;
  window.error = String(e);
}
