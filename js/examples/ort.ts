// Inference with ONNX Runtime Web on batches from a user's file (no casts: x is float32).
import * as ort from "onnxruntime-web";
import { WasmDataLoader, TorshDataError } from "torsh-data";

export async function predict(file: File, model: Uint8Array): Promise<number[][]> {
  const session = await ort.InferenceSession.create(model);
  const loader = new WasmDataLoader(64, { label: "label", labelDtype: "int64" });
  try {
    await loader.load_from_file(file);
  } catch (e) {
    if (e instanceof TorshDataError) console.error(e.pythonType, e.message, e.traceback);
    throw e;
  }
  const out: number[][] = [];
  let batch;
  while ((batch = await loader.nextBatch()) !== null) {
    const input = new ort.Tensor(batch.x.dtype, batch.x.data, batch.x.shape);
    const labels = new ort.Tensor(batch.y.dtype, batch.y.data, batch.y.shape); // int64 for the model
    const result = await session.run({ x: input, labels });
    out.push(Array.from(result.y.data, Number));
  }
  return out;
}
