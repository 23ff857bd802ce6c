// A module Web Worker answering a page with torsh-data's WasmDataProcessor (js.test.mjs).
import { WasmDataProcessor, transferables } from "/js/index.mjs";

const processor = new WasmDataProcessor({ indexURL: "/node_modules/pyodide/" });
self.onmessage = async (e) => {
  try {
    const result = await processor.process(e.data);
    self.postMessage(result, transferables(result));
  } catch (err) {
    self.postMessage({ type: "error", name: err.name, message: err.message, traceback: err.traceback });
  }
};
