// Inference with ONNX Runtime Web on batches from a user's file.
import * as ort from "onnxruntime-web";
import { WasmDataLoader, TorshDataError, type TensorData } from "torsh-data";

export async function predict(file: File, model: Uint8Array): Promise<number[][]> {
  const session = await ort.InferenceSession.create(model);
  const loader = new WasmDataLoader(64, { label: "label", endOfEpoch: "null" });
  try {
    await loader.load_from_file(file);
  } catch (e) {
    if (e instanceof TorshDataError) console.error(e.pythonType, e.message, e.traceback);
    throw e;
  }
  const out: number[][] = [];
  let batch;
  while ((batch = await loader.next_batch()) !== null) {
    const x = batch.x as TensorData;
    const input = new ort.Tensor(x.dtype as "float32", x.data as Float32Array, x.shape);
    const result = await session.run({ x: input });
    out.push(Array.from(result.y.data as Float32Array));
  }
  return out;
}
