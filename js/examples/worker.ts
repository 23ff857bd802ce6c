// A module Web Worker: the page posts messages, batches come back with their buffers moved.
import { WasmDataProcessor, transferables, type ProcessorMessage } from "torsh-data";

declare const self: { onmessage: ((e: { data: ProcessorMessage }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void };

const processor = new WasmDataProcessor({ indexURL: "/vendor/pyodide/" });
self.onmessage = async (e) => {
  const result = await processor.process(e.data);
  self.postMessage(result, transferables(result));
};
