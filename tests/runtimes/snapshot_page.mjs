// One visit of a page using the JS package, for the boot snapshot test in js.test.mjs: what
// init() did, the batches of a seeded shuffled epoch and a few facts of the Python runtime.
import * as td from "/js/index.mjs";
import { checksum } from "/js/boot_cache.mjs";

window.visit = async (dataDir, options = {}) => {
  try {
    const rt = await td.init({ indexURL: "/node_modules/pyodide/", ...options });
    const saved = await rt.snapshotSaved;
    const l = new td.WasmDataLoader(5, { shuffle: true, seed: 3, label: "label" });
    await l.loadFromUrl(`${dataDir}/train.csv`);
    const batches = [];
    // numbers, not BigInts (int64 labels): WebDriver answers in JSON
    for await (const b of l) batches.push([Array.from(b.x.data), Array.from(b.y.data, Number)]);
    const [random, where, runtime] = rt.pyodide.runPython(
      "import random, js, torsh_data\n[random.random(), str(js.location.pathname), torsh_data.runtime_name()]").toJs();
    return { timings: rt.timings, saved, batches, random, where, runtime };
  } catch (e) {
    return { error: `${e}\n${e?.stack ?? ""}` + (e?.traceback ? "\n" + e.traceback : "") };
  }
};

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

/** Damage the stored snapshot of this page (NOTE [ Snapshot pieces ] in boot_cache.mjs):
 * "bytes" flips a byte of its middle piece (its checksum no longer matches); "missing" deletes
 * its last piece; "build" changes the Pyodide build id in its header (first piece) and stores
 * that piece's matching checksum. */
window.damage = async (how) => {
  const db = await done(indexedDB.open("torsh-data-compiled"));
  try {
    const store = (mode) => db.transaction("snapshot", mode).objectStore("snapshot");
    const keys = await done(store("readonly").getAllKeys());
    const key = keys.find((k) => k.startsWith("Window:") && !k.includes("#"));
    const pieceKeys = keys.filter((k) => k.startsWith(`${key}#`)).sort();
    const entry = await done(store("readonly").get(key));
    if (entry.sums.length !== pieceKeys.length || pieceKeys.length < 2) throw new Error(`${entry.sums.length} pieces, keys ${pieceKeys}`);
    if (how === "runs") { // the pages it says are stored do not fill the pieces
      entry.runs = [0, 1];
      await done(store("readwrite").put(entry, key));
      return key;
    }
    if (how === "missing") {
      await done(store("readwrite").delete(pieceKeys.at(-1)));
      return key;
    }
    const at = how === "bytes" ? pieceKeys.length >> 1 : 0;
    const piece = (await done(store("readonly").get(pieceKeys[at]))).slice();
    if (how === "bytes") {
      piece[piece.length >> 1] ^= 0xff;
    } else {
      piece[20] ^= 0xff; // inside the build id (header bytes 16-47)
      entry.sums[at] = checksum(piece);
    }
    const tx = store("readwrite");
    tx.put(piece, pieceKeys[at]);
    await done(tx.put(entry, key));
    return key;
  } finally {
    db.close();
  }
};

/** Store this page's snapshot under the key of a boot with Pyodide's own standard library
 * (`init({ stdlib: false })`): a record whose metadata does not match its bytes. */
window.rekey = async () => {
  const db = await done(indexedDB.open("torsh-data-compiled"));
  try {
    const store = (mode) => db.transaction("snapshot", mode).objectStore("snapshot");
    const keys = (await done(store("readonly").getAllKeys())).filter((k) => k.startsWith("Window:"));
    const key = keys.find((k) => !k.includes("#"));
    const other = key.replace(/:[^:]+$/, ":pyodide");
    if (other === key) throw new Error(`${key} is already Pyodide's standard library's`);
    const values = await Promise.all(keys.map((k) => done(store("readonly").get(k))));
    const tx = store("readwrite");
    keys.forEach((k, i) => { tx.delete(k); tx.put(values[i], other + k.slice(key.length)); });
    await done(tx.put(values[keys.indexOf(key)], other));
    return other;
  } finally {
    db.close();
  }
};

/** The stored snapshot's length and the bytes its pieces hold (NOTE [ Sparse snapshot ]). */
window.storedBytes = async () => {
  const db = await done(indexedDB.open("torsh-data-compiled"));
  try {
    const store = db.transaction("snapshot").objectStore("snapshot");
    const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
    const header = values[keys.findIndex((k) => k.startsWith("Window:") && !k.includes("#"))];
    const stored = values.filter((v, i) => keys[i].startsWith("Window:") && v instanceof Uint8Array).reduce((a, v) => a + v.byteLength, 0);
    return { length: header.length, stored };
  } finally {
    db.close();
  }
};

/** The keys of the snapshot store. */
window.storedKeys = async () => {
  const db = await done(indexedDB.open("torsh-data-compiled"));
  try {
    return await done(db.transaction("snapshot").objectStore("snapshot").getAllKeys());
  } finally {
    db.close();
  }
};
