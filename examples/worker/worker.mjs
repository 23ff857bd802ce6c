// The worker: a WasmDataProcessor answering the page's WorkerClient.
// Import maps do not reach workers, so the package is imported by its URL and init() is told
// where Pyodide is (its `import "pyodide"` would not resolve here).
import { serveWorker } from "./node_modules/torsh-data/worker_client.mjs";

serveWorker({ init: { indexURL: new URL("./node_modules/pyodide/", import.meta.url).href } });
