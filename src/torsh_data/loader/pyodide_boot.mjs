/**
 * The boot-snapshot steps every Pyodide that torsh-data starts goes through: a page's or a
 * Node.js program's (the JavaScript package's `index.mjs`, NOTE [ Boot snapshot ] in its
 * `boot_cache.mjs`) and each loader worker's (`worker.mjs`, NOTE [ Worker boot snapshot ] in
 * `_webworkers.py`). One file, shipped in the Python wheel (`torsh_data/loader/`) and copied
 * into the JavaScript package by `js/scripts/build.mjs`. The worker's source inlines it (a
 * worker made from a Blob or `data:` URL cannot import a file beside it).
 */

// NOTE [ Restore while reading ]: a warm visit reads its ~17 MB snapshot from IndexedDB for
// 150-400 ms, and Pyodide's start before the restore proper (importing pyodide.asm.mjs,
// instantiating the wasm from the browser's compiled-code cache, Emscripten's dynamic linking:
// 150-300 ms on a loaded machine) needs only the snapshot's length (the memory's size). So
// loadPyodide is called once the snapshot's header is read, given the buffer its pieces are
// still being written into, and an `fsInit` hook (a run dependency Emscripten waits for before
// Pyodide restores the memory) that waits for the last piece. A snapshot found damaged then
// (`ready` rejects) must not be restored: its magic number is zeroed, so Pyodide's
// restoreSnapshot throws and the boot goes the ordinary way (an error in fsInit would not stop
// it: Emscripten does not await its preRun hooks' promises).

/**
 * Start Pyodide (`loadPyodide` with `config`): from `snapshot` (bytes) when given, else, or
 * when it fails to restore, the ordinary way, ready to make a snapshot when `make`. With
 * `ready`, a promise that resolves once `snapshot` is whole (its bytes still arriving: NOTE
 * [ Restore while reading ]), Pyodide starts meanwhile and restores it once `ready` resolves
 * (when `ready` rejects, it boots the ordinary way). Resolves to `{ pyodide, restored, error }`,
 * `error` being why the snapshot did not restore.
 */
export async function startPyodide(loadPyodide, config, { snapshot = null, ready = null, make = false } = {}) {
  let error = null;
  if (snapshot) {
    const wait = ready ? {
      fsInit: async () => {
        try {
          await ready;
        } catch {
          snapshot.fill(0, 0, 4); // its magic number: Pyodide refuses to restore it
        }
      },
    } : {};
    try {
      return { pyodide: await loadPyodide({ ...config, _loadSnapshot: snapshot, ...wait }), restored: true, error };
    } catch (e) {
      error = e;
    }
  }
  const pyodide = await loadPyodide({ ...config, ...(make ? { _makeSnapshot: true } : {}) });
  return { pyodide, restored: false, error };
}

// NOTE [ Snapshot standard library ]: a snapshot holds zipimport's index of the standard
// library zip the runtime read when it was made; restored beside another zip (a record stored
// under the wrong key: its metadata does not match its bytes) it would import from the wrong
// offsets. So the zip's path and size are kept in the snapshot (`torsh_data._snapshot_stdlib`)
// and compared after a restore: a mismatch fails the boot, and bootOrRetry boots again.
const STDLIB_ZIP = "next((f'{p} {os.path.getsize(p)}' for p in sys.path if p.endswith('.zip') and os.path.isfile(p)), '')";

/** Before takeSnapshot (torsh-data imported): keep which standard library zip the runtime reads. */
export function stampSnapshot(pyodide) {
  pyodide.runPython(`import os, sys, torsh_data\ntorsh_data._snapshot_stdlib = ${STDLIB_ZIP}`);
}

/** After a restore: throw when the runtime reads another standard library zip than the snapshot's. */
export function checkRestored(pyodide) {
  const was = pyodide.runPython("import sys\ngetattr(sys.modules.get('torsh_data'), '_snapshot_stdlib', None)");
  const now = pyodide.runPython(`import os, sys\n${STDLIB_ZIP}`);
  if (was != null && was !== now) {
    throw new Error(`the snapshot was made with the standard library ${was}, this runtime has ${now}`);
  }
}

/** After a restore: reseed Python's `random`, so unseeded draws differ as after a fresh start. */
export function reseedRandom(pyodide) {
  pyodide.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
}

/**
 * Once torsh-data is imported into a Pyodide started with `make`: its memory snapshot,
 * `{ made }` (bytes) or `{ error }`. Either way Python's `js` is then the plain global scope,
 * not the snapshot's proxy of it.
 */
export function takeSnapshot(pyodide) {
  let made = null, error = null;
  try {
    made = pyodide.makeMemorySnapshot();
  } catch (e) {
    error = e;
  }
  pyodide.registerJsModule("js", globalThis);
  pyodide.runPython("import sys; sys.modules.pop('js', None)");
  return { made, error };
}

// NOTE [ Wheel unpack ]: every boot, a restored one too (the file system is not in the boot
// snapshot), unpacks torsh-data's wheel. Pyodide's unpackArchive does it in Python (zipfile,
// shutil: a file and a few syscalls at a time through the interpreter), 150-700 ms for the
// browser build's 340 files on a loaded machine; the browser build stores its entries
// uncompressed, so writing them from JavaScript straight into Emscripten's file system is a
// few copies (50-120 ms there). Anything but a plain zip of stored entries under `dir`
// (compressed entries, zip64, a shared library: unpackArchive also loads those, a name with
// `..` or a leading `/`, sizes past the end) goes to unpackArchive, whose zipfile checks and
// errors stay the authority; CRC-32s are not checked here (the bytes are the package's own
// wheel, and the boot key holds their sha256).

/** Unpack wheel `bytes` into directory `dir` of `pyodide`'s file system (NOTE [ Wheel unpack ]). */
export function unpackWheel(pyodide, bytes, dir) {
  const files = storedEntries(bytes);
  if (!files) {
    pyodide.unpackArchive(bytes, "wheel", { extractDir: dir });
    return;
  }
  const FS = pyodide.FS, made = new Set();
  for (const [name, data] of files) {
    const path = `${dir}/${name}`, parent = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(parent)) { FS.mkdirTree(parent); made.add(parent); }
    if (!name.endsWith("/")) FS.writeFile(path, data);
  }
}

/** A zip's entries as [name, bytes] when every one is stored (uncompressed) and safe to write, else null. */
function storedEntries(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), end = bytes.byteLength;
  let eocd = end - 22; // the end of central directory record, before a comment of up to 64 KiB
  while (eocd >= Math.max(0, end - 22 - 0xffff) && v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0 || end - eocd < 22 || v.getUint32(eocd, true) !== 0x06054b50) return null;
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  if (count === 0xffff || p === 0xffffffff) return null; // zip64
  const names = new TextDecoder("utf-8", { fatal: true }), out = [];
  try {
    for (let i = 0; i < count; i++) {
      if (p + 46 > end || v.getUint32(p, true) !== 0x02014b50) return null;
      const method = v.getUint16(p + 10, true), size = v.getUint32(p + 20, true), stored = v.getUint32(p + 24, true);
      const nameLength = v.getUint16(p + 28, true), local = v.getUint32(p + 42, true);
      const name = names.decode(bytes.subarray(p + 46, p + 46 + nameLength));
      p += 46 + nameLength + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
      if (method !== 0 || size !== stored || local + 30 > end || v.getUint32(local, true) !== 0x04034b50) return null;
      if (!name || name.startsWith("/") || name.includes("\\") || name.split("/").some((s) => s === ".." || s === ".") || /\.so(\.|$)/.test(name)) return null;
      const at = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
      if (at + size > end) return null;
      out.push([name, bytes.subarray(at, at + size)]);
    }
  } catch {
    return null; // a name that is not UTF-8
  }
  return out;
}

/**
 * Boot with the snapshot, and once more without it when the runtime restored from it fails
 * before it is ready (a restore can succeed and the runtime still be broken: seen once in
 * WebKit, an out-of-bounds access unpacking the wheel right after a restore; or a snapshot
 * stored under the wrong key). `boot(attempt)` boots the whole way, to ready: with
 * `attempt.snapshot` true it may use the snapshot, and sets `attempt.restored` once it did;
 * on the second attempt `attempt.snapshot` is false and `attempt.failed` is the error that
 * ended the first (for the boot to report). `drop(error)` is awaited in between: forget the
 * stored snapshot. A boot that fails without having restored is not tried again: its error
 * is the caller's. So a snapshot costs or saves speed, never correctness.
 */
export async function bootOrRetry(boot, drop) {
  const first = { snapshot: true, restored: false, failed: null };
  try {
    return await boot(first);
  } catch (e) {
    if (!first.restored) throw e;
    const failed = new Error(`the runtime restored from the boot snapshot failed: ${(e && e.message) || e}`, { cause: e });
    await drop(failed);
    return boot({ snapshot: false, restored: false, failed });
  }
}
