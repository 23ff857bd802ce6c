// Train-loop shape with TensorFlow.js: batches of typed arrays straight into tf.tensor, and
// model.fitDataset through loader.toTfDataset(tf). No casts: the batches are typed from the
// options ({x, y} with a label, float32 labels by default).
import * as tf from "@tensorflow/tfjs";
import init, { WasmDataLoader } from "torsh-data";

export async function meanOfFeatures(url: string): Promise<number> {
  await init();
  const loader = new WasmDataLoader(32, { shuffle: true, seed: 0, label: "species" });
  await loader.loadFromUrl(url);
  let total = 0;
  let count = 0;
  for await (const { x, y } of loader) {
    const xs = tf.tensor(x.data, x.shape);
    const ys = tf.tensor(y.data, y.shape);
    total += (await xs.sum().data())[0];
    count += x.data.length;
    tf.dispose([xs, ys]);
  }
  console.log(`${loader.len} batches per epoch of`, loader.classes, loader.timings.python.batch?.mean_ms);
  return total / count;
}

export async function train(url: string): Promise<tf.History> {
  const loader = new WasmDataLoader(16, { shuffle: true, label: "species" });
  await loader.loadFromUrl(url);
  const classes = loader.classes?.length ?? 2;
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [loader.schema[0].shape[0]], units: classes, activation: "softmax" })] });
  model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  return model.fitDataset(loader.toTfDataset(tf), { epochs: 3 });
}

/** int32 labels for tf.oneHot; the seed plan's synchronous loop over data in memory. */
export async function oneHotLabels(bytes: Uint8Array): Promise<tf.Tensor[]> {
  const loader = new WasmDataLoader(8, { label: "label", labelDtype: "int32" });
  await loader.loadFromBytes(bytes, "data.csv");
  const out: tf.Tensor[] = [];
  while (true) {
    try {
      const { y } = loader.next_batch();
      out.push(tf.oneHot(tf.tensor1d(y.data, "int32"), 3));
    } catch (e) {
      break; // EndOfEpoch
    }
  }
  return out;
}
