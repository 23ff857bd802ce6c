// Train-loop shape with TensorFlow.js: batches of typed arrays straight into tf.tensor.
import * as tf from "@tensorflow/tfjs";
import { init, WasmDataLoader, type TensorData } from "torsh-data";

export async function meanOfFeatures(url: string): Promise<number> {
  await init();
  const loader = new WasmDataLoader(32, {
    shuffle: true, seed: 0, label: "label", cast: { int64: "int32" },
  });
  await loader.loadFromUrl(url);
  let total = 0;
  let count = 0;
  for await (const batch of loader) {
    const x = batch.x as TensorData;
    const y = batch.y as TensorData;
    const xs = tf.tensor(x.data as Float32Array, x.shape);
    const ys = tf.tensor(y.data as Int32Array, y.shape, "int32");
    total += (await xs.sum().data())[0];
    count += x.data.length;
    tf.dispose([xs, ys]);
  }
  console.log(`${loader.len} batches per epoch`, loader.timings.python.batch?.mean_ms);
  return total / count;
}
