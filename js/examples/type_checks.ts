// What the types refuse (each line marked below must be an error, else tsc reports the
// directive as unused) and what they narrow to: checked by tsc --strict in js.test.mjs.
import * as tf from "@tensorflow/tfjs";
import { WasmDataLoader, EndOfEpoch, type ProcessorResult } from "torsh-data";

export function checks(r: ProcessorResult): void {
  const labeled = new WasmDataLoader(4, { label: "y" });
  const { x, y } = labeled.next_batch();
  const f32: Float32Array = y.data; // float32 labels by default
  tf.tensor(x.data, x.shape);
  // @ts-expect-error: next_batch() is synchronous, no Promise
  labeled.next_batch().then(() => {});

  const int64 = new WasmDataLoader(4, { label: "y", labelDtype: "int64" });
  // @ts-expect-error: a BigInt64Array is no input of tf.tensor
  tf.tensor(int64.next_batch().y.data);
  const i32: Int32Array = new WasmDataLoader(4, { label: 0, labelDtype: "int32" }).next_batch().y.data;
  const f64: Float64Array = new WasmDataLoader(4, { label: "y", cast: { float32: "float64" } }).next_batch().x.data;

  const plain = new WasmDataLoader(4);
  // @ts-expect-error: without a label, a field may be text: narrow it first
  plain.next_batch().x.data;
  // @ts-expect-error: an unknown labelDtype
  new WasmDataLoader(4, { label: "y", labelDtype: "uint8" });

  if (r.type === "batch") {
    // @ts-expect-error: the batch is null at the end of the epoch
    r.batch.x;
    if (!r.done) console.log(r.batch.x);
  }
  const e: unknown = null;
  if (e instanceof EndOfEpoch) console.log(e.epoch, f32, i32, f64);
}
