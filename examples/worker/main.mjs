// The page: loads and batches run in worker.mjs; each batch's buffers are moved here.
import { WorkerClient } from "torsh-data/worker";

const status = document.querySelector("#status");
const client = new WorkerClient(new URL("./worker.mjs", import.meta.url));
window.client = client; // for the browser console (and the tests)
try {
  const info = await client.load({ url: new URL("flowers.csv", location.href).href, batchSize: 8,
    options: { label: "species" } });
  let batches = 0, samples = 0;
  for await (const { x } of client) { // one epoch
    batches += 1;
    samples += x.shape[0];
  }
  status.textContent = `${samples} samples in ${batches} batches, from the worker`;
  window.result = { info, batches, samples };
} catch (e) {
  status.textContent = `Failed: ${e}`;
  window.error = String(e);
}
