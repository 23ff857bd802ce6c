// One visit of a page using the JS package, for the boot snapshot test in js.test.mjs: what
// init() did, the batches of a seeded shuffled epoch and a few facts of the Python runtime.
import * as td from "/js/index.mjs";

window.visit = async (dataDir) => {
  try {
    const rt = await td.init({ indexURL: "/node_modules/pyodide/" });
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
 * "bytes" flips a byte of its middle piece (the sha256 no longer matches); "build" changes the
 * Pyodide build id in its header (first piece) and stores a matching sha256. */
window.damage = async (how) => {
  const db = await done(indexedDB.open("torsh-data-compiled"));
  try {
    const store = (mode) => db.transaction("snapshot", mode).objectStore("snapshot");
    const keys = await done(store("readonly").getAllKeys());
    const key = keys.find((k) => k.startsWith("Window:") && !k.includes("#"));
    const pieceKeys = keys.filter((k) => k.startsWith(`${key}#`)).sort();
    const entry = await done(store("readonly").get(key));
    if (entry.pieces !== pieceKeys.length || entry.pieces < 2) throw new Error(`${entry.pieces} pieces, keys ${pieceKeys}`);
    const pieces = await Promise.all(pieceKeys.map((k) => done(store("readonly").get(k))));
    const at = how === "bytes" ? pieces.length >> 1 : 0;
    pieces[at] = pieces[at].slice();
    if (how === "bytes") {
      pieces[at][pieces[at].length >> 1] ^= 0xff;
    } else {
      pieces[at][20] ^= 0xff; // inside the build id (header bytes 16-47)
      const all = new Uint8Array(await new Blob(pieces).arrayBuffer());
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
      entry.sha256 = Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    const tx = store("readwrite");
    tx.put(pieces[at], pieceKeys[at]);
    await done(tx.put(entry, key));
    return key;
  } finally {
    db.close();
  }
};
