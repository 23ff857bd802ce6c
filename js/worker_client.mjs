/**
 * torsh-data/worker: a WasmDataProcessor in a module Web Worker, with no message protocol to
 * write. The worker calls `serveWorker()`; the page holds a `WorkerClient`:
 *
 *   // worker.mjs                              // the page
 *   import { serveWorker }                     import { WorkerClient } from "torsh-data/worker";
 *     from "torsh-data/worker";                const client = new WorkerClient(
 *   serveWorker();                               new URL("./worker.mjs", import.meta.url));
 *                                              await client.load({ url: "train.csv", batchSize: 32 });
 *                                              for await (const batch of client) { ... }
 *
 * NOTE [ Worker protocol ]: the page posts `{torshData: 1, id, message}`; the worker answers
 * `{torshData: 1, id, result}` or `{torshData: 1, id, error: {message, pythonType, traceback}}`
 * (messages without the `torshData` tag are left to other listeners). The worker runs its
 * requests one at a time, in the order they came (a loader's batches are a sequence, and two
 * `next_batch()` at once would race), so any number may be in flight. A batch's buffers are
 * moved (transferred), not copied; a load's `stream` is transferred too. An error rejects that
 * request's promise with a `TorshDataError`; a worker that fails to start or throws outside a
 * request before serveWorker() started (its script 404s, an import fails, its top level
 * throws) rejects every pending and later request, so nothing hangs; serveWorker() says
 * `{torshData: 1, serving: true}` when it starts. `terminate()` rejects the pending ones.
 */
import { TorshDataError, WasmDataProcessor, transferables } from "./index.mjs";

const TAG = 1;

/** An error as plain data (structured clone keeps no class). */
function errorData(e) {
  return {
    message: String(e?.message ?? e),
    pythonType: e?.pythonType ?? e?.name ?? "Error",
    traceback: e?.traceback ?? e?.stack ?? "",
  };
}

/**
 * The worker's side: answer the page's WorkerClient with a WasmDataProcessor.
 * @param {{ init?: object, processor?: WasmDataProcessor }} [options]  `init`: init()'s options
 * @param {object} [scope] the worker's global scope (default: globalThis)
 */
export function serveWorker(options = {}, scope = globalThis) {
  const processor = options.processor ?? new WasmDataProcessor(options.init ?? {});
  let queue = Promise.resolve();
  const answer = async (id, message) => {
    let result;
    try {
      result = await processor.process(message);
    } catch (e) {
      scope.postMessage({ torshData: TAG, id, error: errorData(e) });
      return;
    }
    try {
      scope.postMessage({ torshData: TAG, id, result }, transferables(result));
    } catch (e) { // not cloneable: say so rather than leave the page waiting
      scope.postMessage({ torshData: TAG, id, error: errorData(e) });
    }
  };
  scope.addEventListener("message", (event) => {
    const d = event.data;
    if (d?.torshData !== TAG || typeof d.id !== "number") return;
    queue = queue.then(() => answer(d.id, d.message)).catch(() => {}); // one failure never stalls the rest
  });
  scope.postMessage({ torshData: TAG, serving: true });
  return processor;
}

/** The page's side: promises for the requests of a worker that runs serveWorker(). */
export class WorkerClient {
  /**
   * @param {Worker | URL | string} worker  a Worker, or the URL of a module worker script
   */
  constructor(worker) {
    this.worker = worker instanceof URL || typeof worker === "string"
      ? new Worker(worker, { type: "module" }) : worker;
    this._next = 1;
    this._pending = new Map(); // id -> {resolve, reject}
    this._broken = null; // the error every request rejects with once the worker is gone
    this._serving = false; // serveWorker() has started in the worker
    this._onMessage = (event) => {
      const d = event.data;
      if (d?.torshData !== TAG) return;
      if (d.serving) { this._serving = true; return; }
      const p = this._pending.get(d.id);
      if (!p) return;
      this._pending.delete(d.id);
      if (d.error) {
        p.reject(new TorshDataError(d.error.message, { pythonType: d.error.pythonType, traceback: d.error.traceback }));
      } else {
        p.resolve(d.result);
      }
    };
    this._onError = (event) => {
      // Once serving, the worker answers every request (errors included): an error outside one
      // is the worker's own business, left to the console.
      if (this._serving) return;
      const why = event.message ? `it threw ${event.message}` +
        (event.filename ? ` (${event.filename}:${event.lineno})` : "") + " before serveWorker() started"
        : "its script or one of its imports could not be loaded (see the browser console)";
      this._fail(new TorshDataError(`torsh-data: the worker failed to start: ${why}`, { pythonType: "WorkerError" }));
    };
    this._onMessageError = () => {
      this._fail(new TorshDataError("torsh-data: a message from the worker could not be deserialized",
        { pythonType: "WorkerError" }), false);
    };
    this.worker.addEventListener("message", this._onMessage);
    this.worker.addEventListener("error", this._onError);
    this.worker.addEventListener("messageerror", this._onMessageError);
  }

  _fail(error, forever = true) {
    if (forever) this._broken = error;
    for (const p of this._pending.values()) p.reject(error);
    this._pending.clear();
  }

  /**
   * Send one WasmDataProcessor message; resolves to its result.
   * @param {object} message
   * @param {Transferable[]} [transfer]  what to move to the worker rather than copy
   */
  request(message, transfer = []) {
    if (this._broken) return Promise.reject(this._broken);
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ torshData: TAG, id, message }, transfer);
      } catch (e) {
        this._pending.delete(id);
        reject(e);
      }
    });
  }

  /** Boot Pyodide and torsh-data in the worker (a load does it too); resolves to its capabilities. */
  async init(options) {
    return (await this.request({ type: "init", ...(options ? { init: options } : {}) })).capabilities;
  }

  /**
   * Load a dataset in the worker: `{url | file | stream | data, name?, total?, batchSize?, options?}`
   * (`options`: WasmDataLoader's). A `stream` is moved to the worker; resolves to
   * `{len, samples, schema, fromCache}`.
   */
  async load(source, transfer = []) {
    const moved = source?.stream ? [source.stream, ...transfer] : transfer;
    const { type: _type, ...info } = await this.request({ ...source, type: "load" }, moved);
    return info;
  }

  /** The next batch (its buffers moved to this side), or null at the end of the epoch. */
  async next() {
    return (await this.request({ type: "next" })).batch;
  }

  /** Start the next epoch at the following next(); resolves to the epoch number. */
  async reset() {
    return (await this.request({ type: "reset" })).epoch;
  }

  /** The worker loader's timings. */
  async timings() {
    return (await this.request({ type: "timings" })).timings;
  }

  /** The rest of the current epoch's batches. */
  async *[Symbol.asyncIterator]() {
    for (let b = await this.next(); b !== null; b = await this.next()) yield b;
  }

  /** Stop the worker; pending and later requests reject. */
  terminate() {
    this.worker.terminate();
    this._fail(new TorshDataError("torsh-data: the worker was terminated", { pythonType: "WorkerError" }));
    this.worker.removeEventListener("message", this._onMessage);
    this.worker.removeEventListener("error", this._onError);
    this.worker.removeEventListener("messageerror", this._onMessageError);
  }
}
