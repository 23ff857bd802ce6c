// Types of torsh-data/worker (worker_client.mjs): a WasmDataProcessor in a module Web Worker.
import type { Batch, Capabilities, FieldInfo, InitOptions, LoaderOptions, Timings, WasmDataProcessor } from "torsh-data";

/** Where a worker's load reads from: exactly what WasmDataProcessor's "load" message takes. */
export type WorkerSource = {
  batchSize?: number;
  /** WasmDataLoader's options. */
  options?: LoaderOptions;
  url?: string;
  file?: Blob;
  /** Moved (transferred) to the worker. */
  stream?: ReadableStream<Uint8Array>;
  /** Bytes of `stream`, for a progress figure. */
  total?: number;
  data?: Uint8Array | ArrayBuffer;
  /** The file name of `data` (its extension tells the format). */
  name?: string;
};

export interface WorkerLoaded {
  len: number | null;
  samples: number | null;
  schema: FieldInfo[];
  fromCache: boolean;
}

/** The worker's side: answer a WorkerClient's requests (one at a time, in order). */
export function serveWorker(
  options?: { init?: InitOptions; processor?: WasmDataProcessor },
  scope?: { addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
    postMessage(message: unknown, transfer?: Transferable[]): void },
): WasmDataProcessor;

/** The page's side: each request a promise; errors reject with a TorshDataError. */
export class WorkerClient implements AsyncIterable<Batch> {
  /** A Worker, or the URL of a module worker script that calls serveWorker(). */
  constructor(worker: Worker | URL | string);
  readonly worker: Worker;
  /** Send one WasmDataProcessor message; resolves to its result. */
  request(message: { type: string } & Record<string, unknown>, transfer?: Transferable[]): Promise<any>;
  /** Boot Pyodide and torsh-data in the worker (a load does it too). */
  init(options?: InitOptions): Promise<Capabilities>;
  /** Load a dataset in the worker (a `stream` is moved there). */
  load(source: WorkerSource, transfer?: Transferable[]): Promise<WorkerLoaded>;
  /** The next batch (its buffers moved here), or null at the end of the epoch. */
  next(): Promise<Batch | null>;
  /** Start the next epoch at the following next(); resolves to the epoch number. */
  reset(): Promise<number>;
  timings(): Promise<Timings>;
  [Symbol.asyncIterator](): AsyncIterator<Batch>;
  /** Stop the worker; pending and later requests reject. */
  terminate(): void;
}
