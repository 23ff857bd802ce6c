// Load a CSV with torsh-data and train a TensorFlow.js model on it for one epoch.
import * as tf from "@tensorflow/tfjs";
import { init, WasmDataLoader } from "torsh-data";

const status = document.getElementById("status");
const show = (text: string) => { if (status) status.textContent = text; };

async function main() {
  // Pyodide's files as vite.config.ts ships them
  await init({ indexURL: `${import.meta.env.BASE_URL}pyodide/` });
  const loader = new WasmDataLoader(16, { shuffle: true, seed: 0, label: "species", cast: { int64: "int32" } });
  await loader.loadFromUrl(`${import.meta.env.BASE_URL}flowers.csv`);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 16, activation: "relu" }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });

  let batches = 0, samples = 0, loss = 0;
  for await (const { x, y } of loader) { // one epoch
    const xs = tf.tensor2d(x.data, [x.shape[0], x.shape[1]]);
    const ys = tf.oneHot(tf.tensor1d(y.data, "int32"), 3);
    loss = Number(await model.trainOnBatch(xs, ys));
    tf.dispose([xs, ys]);
    batches += 1;
    samples += x.shape[0];
  }
  show(`Trained one epoch: ${samples} samples in ${batches} batches, last loss ${loss.toFixed(3)}`);
  return { batches, samples, loss, len: loader.len };
}

main().then(
  (result) => { Object.assign(window, { result }); },
  (e: unknown) => { show(`Failed: ${e}`); Object.assign(window, { error: String(e) }); },
);
