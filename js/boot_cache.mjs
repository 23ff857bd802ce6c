/**
 * What a browser keeps in IndexedDB so that the next visit boots faster: a memory snapshot of
 * Pyodide with torsh-data imported, and the compiled modules (.pyc) torsh-data imports later.
 * Both are keyed by Pyodide's version and the wheel's sha256 and hold one entry: the current
 * wheel's. Anything that goes wrong here costs speed, never correctness: the caller boots the
 * ordinary way instead.
 */

const DB = "torsh-data-compiled";
const STORES = ["pyc", "snapshot"];

function idb(store, mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 2);
    open.onupgradeneeded = () => {
      for (const s of STORES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
    };
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      let tx, req;
      try { // a request can throw at once (a value IndexedDB cannot store): reject, not hang
        tx = db.transaction(store, mode);
        req = fn(tx.objectStore(store));
      } catch (error) {
        db.close();
        reject(error);
        return;
      }
      tx.oncomplete = () => { db.close(); resolve(req?.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    };
  });
}

const sha256 = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
  (b) => b.toString(16).padStart(2, "0")).join("");

/** True where both caches can work: a browser page or worker with IndexedDB and WebCrypto. */
export const available = () => "indexedDB" in globalThis && Boolean(globalThis.crypto?.subtle);

/**
 * The key of both caches: Pyodide's version, the wheel's sha256 and which standard library
 * (`stdlib`: the precompiled one's sha256, NOTE [ Precompiled boot ], or Pyodide's own).
 */
export async function cacheKey(pyodideVersion, wheel, stdlib = "pyodide") {
  return `${pyodideVersion}:${await sha256(wheel)}:${stdlib}`;
}

// NOTE [ Boot snapshot ]: most of a warm visit's boot is CPython starting inside WebAssembly
// (unpacking the standard library, importing Pyodide's and torsh-data's modules), not
// compiling the wasm, which the browser's code cache already keeps. On the first visit, once
// torsh-data is imported, Pyodide's memory is saved (`makeMemorySnapshot`, ~30 MB) and the next
// visit restores it (`loadPyodide({ _loadSnapshot })`) instead of starting CPython again. The
// file system is not in the snapshot: the wheel is unpacked again (its modules are already
// imported). Python's `random` is reseeded after a restore, so unseeded draws differ between
// visits as they would after a fresh start (str hashes, PYTHONHASHSEED, stay the first
// visit's). The snapshot API is Pyodide's private one, so its use is pinned to the exact
// version (the key) and checked by Pyodide's own build id; a snapshot that fails to restore
// is deleted and the visit boots the ordinary way.

// A snapshot holds what Python computed while importing, e.g. whether it runs in a page or a
// worker: one snapshot per kind of global scope.
const scope = () => globalThis.constructor?.name ?? "global";

// NOTE [ Snapshot pieces ]: the snapshot is stored as Uint8Array pieces of PIECE bytes, each
// put from the success event of the one before (one transaction, so the pieces and their
// header entry are written all or not at all): IndexedDB copies a value on the main thread
// when it is put, and the ~30 MB snapshot put as one value held the page 55-80 ms, during
// the first load of a first visit (init() resolves before the snapshot is saved); a 4 MiB
// piece took 17 ms of CPU on a busy machine, a 2 MiB one 3-8 ms. Pieces
// are Uint8Arrays, not Blobs: WebKit never restored a snapshot kept in Blob pieces. The
// header entry under the snapshot's id says how many pieces and the sha256 of their bytes;
// piece i is under `${id}#${i}` (zero-padded, so the keys sort in order).
const PIECE = 2 << 20;
// Restoring, the ~30 MB snapshot was joined and hashed in one task (~65 ms of a 113 ms one,
// Chromium): the pieces are joined 8 MiB a task, and the page gets a turn between the tasks
// (a message to itself, which browsers do not delay as they do a nested setTimeout).
const JOIN_TURN = 8 << 20;
const turn = () => new Promise((resolve) => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => { port1.close(); resolve(); };
  port2.postMessage(null);
});
const pieceKey = (id, i) => `${id}#${String(i).padStart(6, "0")}`;
const piecesOf = (id) => IDBKeyRange.bound(`${id}#`, `${id}#\uffff`);

/**
 * The stored snapshot for `key`: its bytes, or undefined when there is none; throws when the
 * stored bytes are not what was saved (their sha256 differs).
 */
export async function loadSnapshot(key) {
  const id = `${scope()}:${key}`;
  const entry = await idb("snapshot", "readonly", (s) => s.get(id)).catch(() => undefined);
  if (!entry) return undefined;
  const pieces = await idb("snapshot", "readonly", (s) => s.getAll(piecesOf(id))).catch(() => []);
  let bytes = null;
  if (pieces.length === entry.pieces && pieces.every((p) => p instanceof Uint8Array)) {
    // joined JOIN_TURN bytes a task, then hashed in a task of its own (NOTE [ Snapshot pieces ])
    bytes = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
    let at = 0, since = 0;
    for (const p of pieces) {
      bytes.set(p, at);
      at += p.byteLength;
      since += p.byteLength;
      if (since >= JOIN_TURN) { since = 0; await turn(); }
    }
    await turn();
  }
  const actual = bytes ? await sha256(bytes) : null;
  if (actual !== entry.sha256) {
    throw new Error(`the boot snapshot in IndexedDB '${DB}' is damaged: sha256 ${actual} of ` +
      `${bytes?.byteLength} bytes, saved as ${entry.sha256} of ${entry.length} bytes ` +
      `(${pieces.length} of its ${entry.pieces} pieces read)`);
  }
  return bytes;
}

/** In `store`'s transaction: delete this scope's snapshots (and their pieces) but `keep`'s. */
function dropScope(store, keep) {
  store.getAllKeys().onsuccess = (e) => {
    for (const k of e.target.result) {
      if (k.startsWith(`${scope()}:`) && k !== keep && !k.startsWith(`${keep}#`)) store.delete(k);
    }
  };
}

/**
 * Store `bytes` as this scope's snapshot (NOTE [ Snapshot pieces ]), dropping other wheels'
 * and versions'; resolves when written.
 */
export async function saveSnapshot(key, bytes) {
  const digest = await sha256(bytes);
  const id = `${scope()}:${key}`;
  const count = Math.ceil(bytes.byteLength / PIECE);
  return idb("snapshot", "readwrite", (s) => {
    dropScope(s, id);
    const header = () => s.put({ sha256: digest, length: bytes.byteLength, pieces: count }, id);
    // a piece is sliced (copied) when put: a view would be stored with its whole buffer
    const put = (i) => {
      if (i === count) return header();
      const req = s.put(bytes.slice(i * PIECE, (i + 1) * PIECE), pieceKey(id, i));
      req.onsuccess = () => put(i + 1);
      return req;
    };
    return put(0);
  });
}

/** Forget this scope's snapshots (one failed to restore). */
export function dropSnapshots() {
  return idb("snapshot", "readwrite", (s) => dropScope(s, null)).catch(() => {});
}

// NOTE [ Compiled modules cache ]: in WebAssembly, compiling torsh-data's modules from source
// is most of what importing them costs. The .pyc files Python writes while importing are kept
// and written back before the next visit's import: this covers what the boot snapshot does
// not, the modules imported on demand later. The sources' mtimes are pinned (unpacking stamps
// them with the current time, which would invalidate the .pyc); bytecode writing is on only
// while torsh-data is imported.
const PINNED_MTIME = 1580601600000; // the wheel's own entry date, 2020-02-02

function walk(FS, dir, out = []) {
  for (const name of FS.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const p = `${dir}/${name}`;
    if (FS.isDir(FS.stat(p).mode)) walk(FS, p, out); else out.push(p);
  }
  return out;
}

/**
 * Write the stored .pyc of package directory `pkg` back and turn bytecode writing on; call
 * `done()` once imported (turns it off, stores what was compiled if nothing was stored).
 */
export async function compileCache(pyodide, pkg, key) {
  const FS = pyodide.FS;
  const files = walk(FS, pkg);
  for (const p of files) if (p.endsWith(".py")) FS.utime(p, PINNED_MTIME, PINNED_MTIME);
  // the wheel's own pycs (NOTE [ Precompiled boot ]) are neither stored nor written back
  const shipped = new Set(files.filter((p) => p.endsWith(".pyc")));
  const stored = await idb("pyc", "readonly", (s) => s.get(key)).catch(() => undefined);
  if (stored) {
    for (const [p, b] of stored) { FS.mkdirTree(p.slice(0, p.lastIndexOf("/"))); FS.writeFile(p, b); }
  }
  const before = pyodide.runPython("import sys; _b, sys.dont_write_bytecode = sys.dont_write_bytecode, False; _b");
  return {
    hit: Boolean(stored),
    done() {
      pyodide.runPython(`import sys; sys.dont_write_bytecode = ${before ? "True" : "False"}`);
      if (stored) return;
      const made = walk(FS, pkg).filter((p) => p.endsWith(".pyc") && !shipped.has(p)).map((p) => [p, FS.readFile(p)]);
      idb("pyc", "readwrite", (s) => { s.clear(); return s.put(made, key); }).catch(() => {});
    },
  };
}
