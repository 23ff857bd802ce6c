/**
 * The boot-snapshot steps every Pyodide that torsh-data starts goes through: a page's or a
 * Node.js program's (the JavaScript package's `index.mjs`, NOTE [ Boot snapshot ] in its
 * `boot_cache.mjs`) and each loader worker's (`worker.mjs`, NOTE [ Worker boot snapshot ] in
 * `_webworkers.py`). One file, shipped in the Python wheel (`torsh_data/loader/`) and copied
 * into the JavaScript package by `js/scripts/build.mjs`. The worker's source inlines it (a
 * worker made from a Blob or `data:` URL cannot import a file beside it).
 */

/**
 * Start Pyodide (`loadPyodide` with `config`): from `snapshot` (bytes) when given, else, or
 * when it fails to restore, the ordinary way, ready to make a snapshot when `make`.
 * Resolves to `{ pyodide, restored, error }`, `error` being why the snapshot did not restore.
 */
export async function startPyodide(loadPyodide, config, { snapshot = null, make = false } = {}) {
  let error = null;
  if (snapshot) {
    try {
      return { pyodide: await loadPyodide({ ...config, _loadSnapshot: snapshot }), restored: true, error };
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
