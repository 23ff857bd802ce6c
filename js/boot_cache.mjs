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
// header entry under the snapshot's id says the snapshot's length, which of its pages are
// stored (below) and each piece's checksum; piece i is under `${id}#${i}` (zero-padded, so the
// keys sort in order).
//
// NOTE [ Sparse snapshot ]: only the pages (PAGE bytes) that are not all zero are stored:
// about half of the 31 MB snapshot of Pyodide 314 with torsh-data imported is zero pages
// (WebAssembly memory never touched, or freed and never written again; the last 3 MB are all
// zero), so the pieces hold the non-zero pages one after the other and the header's `runs`
// says where they go: `[first page, page count, ...]`. A warm visit's read is its longest
// step, and it reads, checks and copies 17 MB instead of 31; the zero pages of the restored
// memory are those of a new Uint8Array. The pages are found while the pieces are put (each
// piece's pages scanned in the task that puts it), not before: the snapshot is taken before
// init() resolves. A header without `runs` (stored before) is all pages.
//
// Reading (NOTE [ Snapshot read ahead ]): init() starts the read before the snapshot's key is
// known (the key needs Pyodide's version and the wheel's bytes): this scope has one snapshot
// (saving one drops the others), so its header and pieces are read at once, in one
// transaction, while Pyodide's files and the wheel arrive; the header's id is compared with
// the key once that is known. Each piece is checked and copied into place as it arrives,
// while IndexedDB still reads the next ones. The check is a checksum per piece (checksum()),
// not a sha256: the damage it guards against is an accident (a piece lost, cut short or
// changed on disk), and whoever could change the bytes on purpose could change their stored
// digest too; a sha256 of the whole ~30 MB cost a warm visit 50-160 ms after the last piece
// was read, the checksums 1 ms a piece as the pieces arrive. loadPyodide is given the checked
// bytes, not a promise of them (with which it fetches pyodide.asm.wasm meanwhile): given the
// promise, the first batch came later (0.45 s after init() against 0.19 s, medians of a few
// warm visits on a loaded machine, not understood).
const PIECE = 2 << 20;
const PAGE = 4096; // PIECE is a multiple: a piece holds whole pages (the snapshot's last may be short)
const pieceKey = (id, i) => `${id}#${String(i).padStart(6, "0")}`;
const piecesOf = (id) => IDBKeyRange.bound(`${id}#`, `${id}#\uffff`);

/**
 * A 64-bit checksum of `bytes` as 16 hex digits: two hashes, one over the even and one over
 * the odd 32-bit words, each taking a word into its state as `state = mix(state) + word`,
 * `mix` a bijection (an xor-shift and a multiply by an odd number): so changing any one word,
 * or swapping two neighbours, always changes the checksum, and other changes do but by a
 * chance of about 2^-64. Not a cryptographic hash.
 *
 * @example
 * checksum(new Uint8Array([1, 2, 3, 4, 5])) !== checksum(new Uint8Array([1, 2, 3, 4, 6])) // true
 */
export function checksum(bytes) {
  const n = bytes.byteLength >> 2;
  const words = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, n)
    : new Int32Array(bytes.slice(0, n * 4).buffer);
  let a = bytes.byteLength | 0, b = 0x6a09e667;
  const even = n & ~1;
  for (let i = 0; i < even; i += 2) {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + words[i]) | 0;
    b = (Math.imul(b ^ (b >>> 13), 0x297a2d39) + words[i + 1]) | 0;
  }
  if (n & 1) a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + words[n - 1]) | 0;
  for (let i = n * 4; i < bytes.byteLength; i++) b = (Math.imul(b ^ (b >>> 13), 0x297a2d39) + bytes[i]) | 0;
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/**
 * Where a header's stored pages go (NOTE [ Sparse snapshot ]): `{ pages, bytes }`, pages[k]
 * the snapshot page of stored page k and `bytes` the stored length; null when `runs` does
 * not describe increasing, non-overlapping pages inside the snapshot.
 */
function storedPages({ length, runs = [0, Math.ceil(length / PAGE)] }) {
  const total = Math.ceil(length / PAGE), pages = [];
  if (!Array.isArray(runs) || runs.length % 2) return null;
  for (let r = 0; r < runs.length; r += 2) {
    const [first, n] = [runs[r], runs[r + 1]];
    if (!Number.isInteger(first) || !Number.isInteger(n) || n < 1 || first < (pages.at(-1) ?? -1) + 1 || first + n > total) return null;
    for (let k = 0; k < n; k++) pages.push(first + k);
  }
  const last = pages.at(-1);
  return { pages, bytes: pages.length * PAGE - (last === total - 1 ? total * PAGE - length : 0) };
}

/** Copy stored piece `piece`, whose first page is stored page `k`, to its pages of `out`. */
function place(out, piece, k, pages) {
  for (let j = 0; j * PAGE < piece.byteLength;) {
    let n = 1; // consecutive pages in one copy
    while ((j + n) * PAGE < piece.byteLength && pages[k + j + n] === pages[k + j] + n) n++;
    out.set(piece.subarray(j * PAGE, (j + n) * PAGE), pages[k + j] * PAGE);
    j += n;
  }
}

/** True when `bytes[at, at + n)` are all zero. */
function zero(bytes, at, n) {
  let i = at;
  if ((bytes.byteOffset + at) % 4 === 0) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + at, n >> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i += words.length * 4;
  }
  for (; i < at + n; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The non-zero pages of `bytes` as pieces of at most PIECE bytes, one piece per call of the
 * returned function (null after the last); appends to `runs` the pages they hold.
 */
function sparsePieces(bytes, runs) {
  const total = Math.ceil(bytes.byteLength / PAGE);
  let page = 0;
  return () => {
    const piece = new Uint8Array(PIECE);
    let fill = 0;
    for (; page < total && fill < PIECE; page++) {
      const at = page * PAGE, n = Math.min(PAGE, bytes.byteLength - at);
      if (zero(bytes, at, n)) continue;
      if (runs.length && runs.at(-2) + runs.at(-1) === page) runs[runs.length - 1]++;
      else runs.push(page, 1);
      piece.set(bytes.subarray(at, at + n), fill);
      fill += n;
    }
    return fill ? piece.slice(0, fill) : null; // a copy: a view would be stored with its whole buffer
  };
}

const damaged = (id, what) => new Error(`the boot snapshot '${id}' in IndexedDB '${DB}' is damaged: ${what}`);

/**
 * Begin reading this scope's stored snapshot now, before its key is known (NOTE [ Snapshot
 * read ahead ]). `await read.get(key)`: undefined when none is stored for `key`, else
 * `{ bytes, buffer }`: `bytes` a promise of the snapshot's bytes that rejects when they are
 * not what was saved (a piece missing, of another length or with another checksum), `buffer`
 * the Uint8Array of the snapshot's length they are written into as they arrive (whole once
 * `bytes` resolves; null when the header is damaged) for a restore that begins meanwhile
 * (NOTE [ Restore while reading ] in pyodide_boot.mjs).
 */
export function readSnapshot() {
  const prefix = `${scope()}:`;
  let header, bytes, fail;
  const got = new Promise((resolve) => { header = resolve; });
  const done = new Promise((resolve, reject) => { bytes = resolve; fail = reject; });
  done.catch(() => {}); // awaited only when the key matches
  idb("snapshot", "readonly", (s) => {
    s.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)).onsuccess = (e) => {
      const ids = e.target.result.filter((k) => !k.includes("#"));
      if (ids.length !== 1) return;
      const id = ids[0];
      s.get(id).onsuccess = (h) => {
        const entry = h.target.result;
        const count = entry?.sums?.length, where = entry?.length > 0 ? storedPages(entry) : null;
        if (!where || !(count > 0) || Math.ceil(where.bytes / PIECE) !== count) {
          header({ id, out: null });
          fail(damaged(id, `its header (${entry ? Object.keys(entry).join(", ") : entry}) gives no length, pages and piece checksums`));
          return;
        }
        const out = new Uint8Array(entry.length);
        header({ id, out });
        let left = count;
        for (let i = 0; i < count; i++) {
          s.get(pieceKey(id, i)).onsuccess = (r) => {
            const p = r.target.result, want = Math.min(PIECE, where.bytes - i * PIECE);
            if (!(p instanceof Uint8Array) || p.byteLength !== want) {
              fail(damaged(id, `piece ${i} of ${count} is ${p instanceof Uint8Array ? `${p.byteLength} bytes, not ${want}` : "missing"}`));
            } else if (checksum(p) !== entry.sums[i]) {
              fail(damaged(id, `piece ${i} of ${count} has checksum ${checksum(p)}, saved as ${entry.sums[i]}`));
            } else {
              place(out, p, i * (PIECE / PAGE), where.pages);
              if (--left === 0) {
                globalThis.performance?.mark?.("torsh-data:snapshot-read"); // NOTE [ Boot progress ] in index.mjs
                bytes(out);
              }
            }
          };
        }
      };
    };
  }).then(() => { header(undefined); fail(new Error("no boot snapshot read")); },
    (e) => { header(undefined); fail(e); });
  return {
    async get(key) {
      const h = await got;
      return h && h.id === `${prefix}${key}` ? { bytes: done, buffer: h.out } : undefined;
    },
  };
}

/**
 * The stored snapshot for `key`: its bytes, or undefined when there is none; throws when the
 * stored bytes are not what was saved.
 */
export async function loadSnapshot(key) {
  const found = await readSnapshot().get(key);
  return found && found.bytes;
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
  const id = `${scope()}:${key}`;
  const sums = [], runs = [];
  const next = sparsePieces(bytes, runs);
  return idb("snapshot", "readwrite", (s) => {
    dropScope(s, id);
    const put = (i) => {
      const piece = next();
      if (!piece) return s.put({ length: bytes.byteLength, runs, sums }, id);
      sums.push(checksum(piece));
      const req = s.put(piece, pieceKey(id, i));
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

/** Begin reading the stored .pyc for `key` (for compileCache; undefined when none). */
export const readCompiled = (key) => idb("pyc", "readonly", (s) => s.get(key)).catch(() => undefined);

/**
 * Write the stored .pyc of package directory `pkg` back (`stored`: their read, begun earlier)
 * and turn bytecode writing on; call `done()` once imported (turns it off, stores what was
 * compiled if nothing was stored).
 */
export async function compileCache(pyodide, pkg, key, stored = readCompiled(key)) {
  const FS = pyodide.FS;
  const files = walk(FS, pkg);
  for (const p of files) if (p.endsWith(".py")) FS.utime(p, PINNED_MTIME, PINNED_MTIME);
  // the wheel's own pycs (NOTE [ Precompiled boot ]) are neither stored nor written back
  const shipped = new Set(files.filter((p) => p.endsWith(".pyc")));
  stored = await stored;
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
