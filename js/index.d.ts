// Type declarations of the torsh-data JavaScript package (js/index.mjs).

/** The TypedArray holding a field's data, by dtype (bool: Uint8Array; float16: Uint16Array bits). */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type DType =
  | "bool" | "uint8" | "int8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64"
  | "float16" | "float32" | "float64";

/** One field of a batch: `tf.tensor(data, shape)` / `new ort.Tensor(dtype, data, shape)`. */
export interface TensorData {
  data: TypedArray;
  shape: number[];
  dtype: DType;
}

/** A batch: tensors by field name; text fields come as arrays of strings (or of tokens). */
export type Batch = Record<string, TensorData | string[] | string[][] | unknown[]>;

export interface InitOptions {
  /** Where pyodide.mjs and its files are (default: the npm `pyodide` package, or an import map). */
  indexURL?: string;
  /** An already loaded Pyodide to install torsh-data into. */
  pyodide?: unknown;
  /** The torsh-data wheel: bytes or a URL (default: the wheel inside this package); false: already installed. */
  wheel?: Uint8Array | ArrayBuffer | string | URL | false;
  /** Import torsh-data's loading modules during init() (default true), not at the first load. */
  warmUp?: boolean;
  /** In a browser, keep the compiled modules (.pyc) in IndexedDB for the next visit (default true). */
  compileCache?: boolean;
  /**
   * In a browser, keep a memory snapshot of Pyodide with torsh-data imported (~30 MB) in
   * IndexedDB and boot the next visit from it: a warm boot in a fraction of the time (default
   * true; only when init() boots Pyodide itself and no `loadPyodideOptions` are given).
   */
  snapshot?: boolean;
  /** More options for loadPyodide(). */
  loadPyodideOptions?: Record<string, unknown>;
  /**
   * Called as the boot goes (NOTE [ Boot progress ]): `phase` "download" (`loaded`/`total`:
   * decoded bytes; `total` null while a size is unknown), "python", "install", "import",
   * "snapshot", "ready". Not a boot option: a later init() call may add a listener.
   */
  onProgress?: (event: { phase: "download" | "python" | "install" | "import" | "snapshot" | "ready";
    loaded: number; total: number | null }) => void;
  /** false: boot with Pyodide's own standard library, not the precompiled one this package ships. */
  stdlib?: boolean;
}

export interface Runtime {
  pyodide: any;
  /** Milliseconds: booting Pyodide, installing the wheel. */
  timings: {
    pyodide: number; wheel: number; warmUp: number; compiledFromCache: boolean;
    /** The boot snapshot (NOTE [ Boot snapshot ]): this boot restored one, made one, or neither. */
    snapshot: "restored" | "made" | "off";
    /** Why a snapshot was not restored or not made, when one should have been. */
    snapshotError?: string;
    /** Milliseconds taken by making the snapshot (first visit). */
    makeSnapshot?: number;
  };
  /** Resolves once this visit's boot snapshot is in IndexedDB (true), or none was made (false). */
  snapshotSaved: Promise<boolean>;
  version: string;
}

export type Format = "csv" | "tsv" | "json" | "jsonl" | "npy" | "npz" | "idx" | "tar" | "text" | "shards";

/** A transform of `torsh_data.transforms` by class name, with its keyword arguments. */
export type TransformSpec = string | ({ name: string; column?: string; args?: unknown[] } & Record<string, unknown>);

export interface LoaderOptions {
  /**
   * Shuffle each epoch (seeded). A permutation needs every record, so the whole source is
   * read into memory first; without shuffle, a source larger than `inMemoryBytes` streams.
   */
  shuffle?: boolean;
  /**
   * Without shuffle, a source that ends within this many bytes (default 64 MiB) is kept in
   * memory; a larger one streams with bounded memory: `len`/`samples` are null until an epoch
   * has ended, each epoch re-reads the source (a ReadableStream gives one epoch), `workers`
   * are not used and fitted transforms (Standardize, MinMaxScale) are refused.
   */
  inMemoryBytes?: number;
  /** Root seed: the same seed gives the same batches on every runtime (default 0). */
  seed?: number;
  dropLast?: boolean;
  drop_last?: boolean;
  /** Columns (CSV), keys (JSON, tar) or arrays (NPZ) to keep, in order. */
  columns?: (string | number)[];
  /** The label column (CSV): batches are then `{x, y}`. */
  label?: string | number;
  labelColumn?: string | number;
  /** Per-sample transforms, e.g. `[{name: "Normalize", column: "x", mean: 0.5, std: 0.2}]`. */
  transforms?: TransformSpec[];
  /** Cache downloads (IndexedDB in a browser): true or a cache name (the download is then held whole to store it). */
  cache?: boolean | string;
  /** Loading workers (Web Workers / worker_threads, where torsh_data supports them). */
  workers?: number;
  /** The format, instead of guessing from the extension or the content type. */
  format?: Format;
  /** A name telling the format (streams), e.g. "data.csv". */
  name?: string;
  contentType?: string;
  /** Names of tuple fields (default ["x", "y"]). */
  names?: string[];
  /** dtype casts on output, e.g. `{int64: "int32", float64: "float32"}` for TensorFlow.js. */
  cast?: Partial<Record<DType, DType>>;
  /** At the end of an epoch nextBatch() returns null (default) or throws EndOfEpoch. */
  endOfEpoch?: "null" | "throw";
  /** Text: also split each line into tokens (`torsh_data.text.basic_english`). */
  tokenize?: boolean;
  /** CSV field separator (TSV: a tab). */
  delimiter?: string;
  /** CSV: whether the first row names the columns, or the names. */
  header?: boolean | string[];
  /** Bytes per slice when reading a File. */
  chunkSize?: number;
}

export interface FieldInfo {
  name: string;
  dtype: DType | "object";
  /** Shape of one sample's field. */
  shape: number[];
  kind: "image" | "tensor" | "scalar" | "text";
}

export interface TimingStats {
  count: number; total_ms: number; mean_ms: number; min_ms: number; max_ms: number; last_ms: number;
}

export interface Timings {
  /** Python's parts: parse (reading included), batch (load + collate), to_js. */
  python: Record<string, TimingStats>;
  /** JavaScript calls: load, next_batch. */
  js: Record<string, TimingStats>;
}

export interface Capabilities {
  runtime: "pyodide-node" | "pyodide-browser";
  workers: boolean;
  indexeddb: boolean;
  streams: boolean;
  shared_array_buffer: boolean;
  cross_origin_isolated: boolean;
  jspi: boolean;
  hardware_concurrency: number;
}

export const version: string;

export function init(options?: InitOptions): Promise<Runtime>;

export function capabilities(): Capabilities;

/** A Python exception from torsh-data. `name` and `pythonType` are its class name. */
export class TorshDataError extends Error {
  pythonType: string;
  traceback: string;
}

export class EndOfEpoch extends Error {}

export class WasmDataLoader implements AsyncIterable<Batch> {
  constructor(batchSize: number, options?: LoaderOptions);
  readonly batchSize: number;
  load_from_url(url: string | URL, options?: { contentType?: string | null }): Promise<this>;
  loadFromUrl(url: string | URL, options?: { contentType?: string | null }): Promise<this>;
  load_from_file(file: Blob): Promise<this>;
  loadFromFile(file: Blob): Promise<this>;
  load_from_stream(stream: ReadableStream<Uint8Array>, options?: { total?: number | null }): Promise<this>;
  loadFromStream(stream: ReadableStream<Uint8Array>, options?: { total?: number | null }): Promise<this>;
  load_from_bytes(bytes: Uint8Array | ArrayBuffer, name?: string | null): Promise<this>;
  loadFromBytes(bytes: Uint8Array | ArrayBuffer, name?: string | null): Promise<this>;
  /** The next batch, or null at the end of the epoch (or EndOfEpoch thrown, see endOfEpoch). */
  next_batch(): Promise<Batch | null>;
  nextBatch(): Promise<Batch | null>;
  [Symbol.asyncIterator](): AsyncIterator<Batch>;
  reset(): void;
  destroy(): void;
  /** Batches per epoch; null while a streaming source's is unknown (until an epoch ends). */
  readonly len: number | null;
  readonly length: number | null;
  /** Samples per epoch; null while a streaming source's is unknown. */
  readonly samples: number | null;
  /** Whether the source streams (larger than `inMemoryBytes`, no shuffle). */
  readonly streaming: boolean;
  /** 0 to 1; readable while loading. */
  /**
   * Loading progress, 0 to 1, readable while a load is in flight; `null` (indeterminate)
   * while the source's decoded size is unknown, as for a compressed response without a
   * usable Content-Length; 1 once loaded.
   */
  readonly progress: number | null;
  readonly fromCache: boolean;
  readonly from_cache: boolean;
  readonly schema: FieldInfo[];
  readonly format: Format | null;
  readonly epoch: number;
  readonly timings: Timings;
}

export type ProcessorMessage =
  | { type: "init"; init?: InitOptions }
  | { type: "load"; batchSize?: number; options?: LoaderOptions; url?: string; file?: Blob;
      stream?: ReadableStream<Uint8Array>; total?: number; data?: Uint8Array | ArrayBuffer; name?: string }
  | { type: "next" }
  | { type: "reset" }
  | { type: "timings" };

export type ProcessorResult =
  | { type: "ready"; capabilities: Capabilities }
  | { type: "loaded"; len: number | null; samples: number | null; schema: FieldInfo[]; fromCache: boolean }
  | { type: "batch"; batch: Batch | null; done: boolean }
  | { type: "reset"; epoch: number }
  | { type: "timings"; timings: Timings };

export class WasmDataProcessor {
  constructor(options?: InitOptions & { init?: InitOptions });
  process(message: ProcessorMessage): Promise<ProcessorResult>;
}

/** The ArrayBuffers of a result's batch: `postMessage(result, transferables(result))`. */
export function transferables(result: unknown): ArrayBuffer[];
