// A path import of the module finds its types (index.d.mts beside index.mjs), and the
// worker protocol's `done: false` narrows the batch to non-null.
import init, { WasmDataProcessor, type ProcessorResult } from "../index.mjs";

export async function firstBatchSize(url: string): Promise<number> {
  await init();
  const p = new WasmDataProcessor();
  await p.process({ type: "load", url, batchSize: 4, options: { label: "y" } });
  const r: ProcessorResult = await p.process({ type: "next" });
  if (r.type === "batch" && !r.done) return Object.keys(r.batch).length;
  return 0;
}
