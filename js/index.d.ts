// Type declarations of the torsh-data JavaScript package (js/index.mjs).

/** The TypedArray holding a field's data, by dtype (bool: Uint8Array; float16: Uint16Array bits). */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type DType =
  | "bool" | "uint8" | "int8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64"
  | "float16" | "float32" | "float64";

/** The TypedArray of a dtype's data. */
export type DataOf<D extends DType> =
  D extends "float32" ? Float32Array : D extends "float64" ? Float64Array :
  D extends "int32" ? Int32Array : D extends "int64" ? BigInt64Array :
  D extends "uint8" | "bool" ? Uint8Array : D extends "int8" ? Int8Array :
  D extends "int16" ? Int16Array : D extends "uint16" | "float16" ? Uint16Array :
  D extends "uint32" ? Uint32Array : D extends "uint64" ? BigUint64Array : never;

/**
 * One field of a batch: `tf.tensor(data, shape)` / `new ort.Tensor(dtype, data, shape)`.
 * `TensorData<"float32">` has a `Float32Array`; `TensorData` any dtype's array.
 */
export interface TensorData<D extends DType = DType> {
  data: DataOf<D>;
  shape: number[];
  dtype: D;
}

/** A batch: tensors by field name; text fields come as arrays of strings (or of tokens). */
export type Batch = Record<string, TensorData | string[] | string[][] | unknown[]>;

/** The dtypes labels can leave in (`labelDtype`); float32 by default, what TF.js's `fit` needs. */
export type LabelDtype = "float32" | "int32" | "int64";

type CastOf<D extends DType, O> =
  O extends { cast: infer C } ? (D extends keyof C ? (C[D] extends DType ? C[D] : D) : D) : D;
type LabelOf<O> = O extends { labelDtype: infer L extends LabelDtype } ? L : "float32";

/** The batch of a CSV read with a `label`: float32 features `x` (or as `cast` says) and labels `y`. */
export interface LabeledBatch<X extends DType = "float32", Y extends DType = "float32"> {
  x: TensorData<X>;
  y: TensorData<Y>;
}

/**
 * The batches a loader with options `O` gives: with a `label` (CSV), `{x, y}` typed from
 * `cast` and `labelDtype`; else any `Batch`.
 */
export type BatchOf<O> = O extends { label: string | number } | { labelColumn: string | number }
  ? LabeledBatch<CastOf<"float32", O>, LabelOf<O>>
  : Batch;

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
    /** Which standard library booted: the package's precompiled one, or Pyodide's own. */
    stdlib: "precompiled" | "pyodide";
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
  /** dtype casts on output, e.g. `{int64: "int32", float64: "float32"}` for TensorFlow.js (not of the label: see labelDtype). */
  cast?: Partial<Record<DType, DType>>;
  /**
   * The labels' dtype (default "float32": TensorFlow.js's sparseCategoricalCrossentropy and
   * accuracy need float32; "int32" for tf.oneHot; "int64" for ONNX models). A label the dtype
   * cannot hold exactly is an error naming the column and the value.
   */
  labelDtype?: LabelDtype;
  /**
   * The class names of a string label column in index order (default: its sorted distinct
   * values; a streaming source needs them given). `loader.classes` tells them.
   */
  classes?: string[];
  /** At the end of an epoch nextBatch() returns null (default) or throws EndOfEpoch (next_batch() always throws). */
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
/** `import init, { WasmDataLoader } from "torsh-data"`: the default export is init. */
export default init;

export function capabilities(): Capabilities;

/** A Python exception from torsh-data. `name` and `pythonType` are its class name. */
export class TorshDataError extends Error {
  pythonType: string;
  traceback: string;
}

/** The end of an epoch: thrown by next_batch() (and by nextBatch() with endOfEpoch: "throw"). */
export class EndOfEpoch extends Error {
  /** The epoch that ended (0 for the first). */
  readonly epoch: number;
}

/** The TensorFlow.js module, as far as toTfDataset uses it. */
export interface TfLike<D> {
  data: { generator(generator: () => AsyncIterator<never>): D };
}

/**
 * Batches from a source; `O` is the options literal, which types the batches (`BatchOf<O>`).
 * `next_batch()` gives them at once for data in memory; `nextBatch()` and `for await` for any
 * source (streaming, workers).
 */
export class WasmDataLoader<const O extends LoaderOptions = LoaderOptions> implements AsyncIterable<BatchOf<O>> {
  constructor(batchSize: number, options?: O);
  readonly batchSize: number;
  load_from_url(url: string | URL, options?: { contentType?: string | null }): Promise<this>;
  loadFromUrl(url: string | URL, options?: { contentType?: string | null }): Promise<this>;
  load_from_file(file: Blob): Promise<this>;
  loadFromFile(file: Blob): Promise<this>;
  load_from_stream(stream: ReadableStream<Uint8Array>, options?: { total?: number | null }): Promise<this>;
  loadFromStream(stream: ReadableStream<Uint8Array>, options?: { total?: number | null }): Promise<this>;
  load_from_bytes(bytes: Uint8Array | ArrayBuffer, name?: string | null): Promise<this>;
  loadFromBytes(bytes: Uint8Array | ArrayBuffer, name?: string | null): Promise<this>;
  /**
   * The next batch at once, for data in memory (not streaming, no workers); throws EndOfEpoch
   * at the end of the epoch (the next call starts the next one), as the seed plan's loop expects.
   */
  next_batch(): BatchOf<O>;
  /**
   * The next batch, or null at the end of the epoch (EndOfEpoch with endOfEpoch: "throw");
   * any source. Calls in flight are queued: each resolves with the batch after the last.
   */
  nextBatch(): Promise<BatchOf<O> | null>;
  [Symbol.asyncIterator](): AsyncIterator<BatchOf<O>, undefined>;
  /**
   * A `tf.data` dataset of the batches for `model.fitDataset`: `{xs, ys}` per batch, one
   * loader epoch per dataset iteration. Pass the TensorFlow.js module.
   */
  toTfDataset<D>(tf: TfLike<D>, names?: { xs?: string; ys?: string }): D;
  reset(): void;
  /**
   * Hand back a batch you are done with: its arrays are reused for later batches of the same
   * dtype and size (no fresh memory per batch), and its `data` fields become null. Do not hand
   * back a batch whose arrays something still reads. Batches never handed back are never reused.
   */
  recycle(batch: Batch | BatchOf<O> | null): void;
  destroy(): void;
  /** Batches per epoch; null while a streaming source's is unknown (until an epoch ends). */
  readonly len: number | null;
  readonly length: number | null;
  /** Samples per epoch; null while a streaming source's is unknown. */
  readonly samples: number | null;
  /** Whether the source streams (larger than `inMemoryBytes`, no shuffle). */
  readonly streaming: boolean;
  /**
   * Loading progress, 0 to 1, readable while a load is in flight; `null` (indeterminate)
   * while the source's decoded size is unknown, as for a compressed response without a
   * usable Content-Length; 1 once loaded.
   */
  readonly progress: number | null;
  /** Decoded bytes of the source read so far (grows while loading, whatever `progress` is). */
  readonly loadedBytes: number;
  readonly fromCache: boolean;
  readonly from_cache: boolean;
  readonly schema: FieldInfo[];
  readonly format: Format | null;
  /** The class names of a string label column, in index order; null for numeric labels. */
  readonly classes: string[] | null;
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
  | { type: "batch"; batch: Batch; done: false }
  | { type: "batch"; batch: null; done: true }
  | { type: "reset"; epoch: number }
  | { type: "timings"; timings: Timings };

export class WasmDataProcessor {
  constructor(options?: InitOptions & { init?: InitOptions });
  process(message: ProcessorMessage): Promise<ProcessorResult>;
}

/** The ArrayBuffers of a result's batch: `postMessage(result, transferables(result))`. */
export function transferables(result: unknown): ArrayBuffer[];
