// The JavaScript package (js/) under Node.js and in each headless browser engine: init, WasmDataLoader from
// bytes, a URL (served by `torsh-data serve`), a File/Blob and a ReadableStream; batches into the
// real @tensorflow/tfjs and onnxruntime-web (a tiny ONNX model is run on a batch); Python errors
// as JS Errors; WasmDataProcessor (in a module Web Worker in the browsers); the capability probe
// in JS against Python's; the IndexedDB cache hit; the page's CSP has no 'unsafe-eval'.
//
// The suite is split into test files that run in parallel: js.test.mjs (Node.js and the types) and
// js.<engine>.test.mjs (one browser engine each). Run: node --experimental-wasm-stack-switching
// --test tests/runtimes/js.test.mjs tests/runtimes/js.chromium.test.mjs (and so on).
// TORSH_WHEEL_DIR: directory of the torsh_data wheel to test (default: dist; TORSH_JS_BUILT=1: the
// JS package and demo are already built from it, by `node js/scripts/build.mjs --demo`); PYTHON: a CPython
// with the repository's dev environment (default: .venv/bin/python).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import http from "node:http";
import { CAPS, ENGINES, launch, skipReason } from "../../tools/pyodide/engines.mjs";
import { API_CSV, IRIS_CLASSES, IRIS_CSV, runApiChecks, seedModule } from "./jsapi_checks.mjs";
import { p2Checks, p2Idx } from "./p2_checks.mjs";
import { workerStdlib } from "./worker_stdlib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const WHEEL_DIR = path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"));
const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, "src") };

const CSV = "f1,f2,label\n" + Array.from({ length: 23 }, (_, i) =>
  `${(i * 0.5).toFixed(1)},${(i * i) % 7},${i % 3}`).join("\n") + "\n";
/** The CSV's rows parsed independently of torsh-data. */
const ROWS = CSV.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));

let data; // a directory served by `torsh-data serve`
let dataUrl; // its path on the repository's server (ROOT served), for the pages
let server, base;

/** Start `torsh-data serve DIR`; resolves to its base URL. */
export async function startServe(dir, args = []) {
  const proc = spawn(PYTHON, ["-m", "torsh_data", "serve", dir, "--port", "0", "--quiet", ...args], {
    env: ENV, stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("torsh-data serve printed no URL")), 20_000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+?)\/\s/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (c) => reject(new Error(`torsh-data serve exited (${c})`)));
  });
  return { proc, url };
}

/** A one-node ONNX model `y = x + x` (float32, any shape), protobuf encoded by hand. */
function addModel() {
  const varint = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
  const field = (no, wire, payload) => [...varint((no << 3) | wire), ...payload];
  const bytes = (no, b) => field(no, 2, [...varint(b.length), ...b]);
  const str = (no, s) => bytes(no, [...new TextEncoder().encode(s)]);
  const num = (no, n) => field(no, 0, varint(n));
  const valueInfo = (name) => [...str(1, name), ...bytes(2, bytes(1, num(1, 1)))]; // tensor(float)
  const node = [...str(1, "x"), ...str(1, "x"), ...str(2, "y"), ...str(4, "Add")];
  const graph = [...bytes(1, node), ...str(2, "g"), ...bytes(11, valueInfo("x")), ...bytes(12, valueInfo("y"))];
  return new Uint8Array([...num(1, 8), ...bytes(8, [...str(1, ""), ...num(2, 13)]), ...bytes(7, graph)]);
}

/**
 * The suite's shared set-up, for each test file that runs a part of it: builds the JS package
 * unless TORSH_JS_BUILT=1, and writes the test data into build/js-test-data-<part>/ (one directory
 * per part, so the parts run in parallel), served by `torsh-data serve`.
 */
export function setUp(part) {
  before(async () => {
    if (process.env.TORSH_JS_BUILT !== "1") { // ./dev builds it once, before running test files in parallel
      const built = spawnSync(process.execPath, [path.join(ROOT, "js/scripts/build.mjs"), "--wheel-dir", WHEEL_DIR],
        { encoding: "utf8" });
      assert.equal(built.status, 0, built.stderr);
    }
    // inside the repository, so the Chromium page (served from ROOT) fetches it same-origin
    data = path.join(ROOT, `build/js-test-data-${part}`);
    dataUrl = `/build/js-test-data-${part}`;
    fs.rmSync(data, { recursive: true, force: true });
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, "train.csv"), CSV);
    fs.writeFileSync(path.join(data, "rows.jsonl"), '{"a": 1, "t": "x y"}\n{"a": 2, "t": "z"}\n');
    fs.writeFileSync(path.join(data, "bad.csv"), "a,b\n1\n");
    // a sign-in page (served as text/html) and one saved under a data file's name (text/csv)
    const page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>form</body></html>";
    fs.writeFileSync(path.join(data, "signin.html"), page);
    fs.writeFileSync(path.join(data, "export.csv"), `\ufeff\n  ${page.replace("<!DOCTYPE", "<!doctype")}`);
    fs.writeFileSync(path.join(data, "add.onnx"), addModel());
    fs.writeFileSync(path.join(data, "iris.csv"), IRIS_CSV);
    // the seed plan's example, its import path the only change: for Node.js and for the page
    fs.writeFileSync(path.join(data, "seed_node.mjs"), seedModule(new URL("../../js/index.mjs", import.meta.url).href));
    fs.writeFileSync(path.join(data, "seed_page.mjs"), seedModule("/js/index.mjs"));
    ({ proc: server, url: base } = await startServe(data));
  });

  after(() => {
    server?.kill("SIGTERM");
    fs.rmSync(data, { recursive: true, force: true });
  });
}

/**
 * An HTTP server in front of `target`: /api/dataset answers API_CSV as text/csv (no extension
 * tells the format) and /api/blob bytes as application/octet-stream; the rest is `target`'s.
 * `requests` lists the "METHOD path" of each request to /api/.
 */
async function apiServer(target) {
  const requests = [];
  const api = { requests, offline: false }; // offline: /api/ requests are refused
  const server = http.createServer((req, res) => {
    if (req.url.startsWith("/api/")) {
      requests.push(`${req.method} ${req.url}`);
      if (api.offline) { req.socket.destroy(); return; }
    }
    const route = req.url.split("?")[0];
    if (route === "/api/dataset" || route === "/api/blob") {
      const csv = route === "/api/dataset";
      res.writeHead(200, { "content-type": csv ? "text/csv; charset=utf-8" : "application/octet-stream" });
      res.end(req.method === "HEAD" ? undefined : csv ? API_CSV : "\x00\x01\x02");
      return;
    }
    const up = http.request(new URL(req.url, target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(api, { server, url: `http://127.0.0.1:${server.address().port}` });
}

/** runApiChecks' requests to /api/ (NOTE [ Format from the response ]): one GET per load, no HEAD. */
function assertApiRequests(requests) {
  const count = (r) => requests.filter((x) => x === r).length;
  assert.deepEqual(requests.filter((r) => !r.startsWith("GET ")), [], "only GETs");
  assert.equal(count("GET /api/dataset"), 2, "the seed example's load and one typed load");
  assert.equal(count("GET /api/blob"), 1);
  assert.equal(count("GET /api/dataset?cached"), 1, "the cached reload made no request");
  assert.equal(requests.length, 4, requests.join(", "));
}

/** The results of runApiChecks (jsapi_checks.mjs), under Node.js or in a page. */
function assertApiChecks(r) {
  const rows = API_CSV.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  // the seed example: every row once, in order, in batches of 32, then the loop ended
  assert.deepEqual(r.seed.sizes, [32, 32, 6]);
  assert.deepEqual(r.seed.keys, ["x", "x", "x"]);
  assert.deepEqual(r.seed.x, rows.flat());
  // next_batch(): a batch, not a Promise; mixed with nextBatch() one epoch; EndOfEpoch; next epoch
  assert.equal(r.sync.isPromise, false);
  assert.deepEqual(r.sync.mixed, r.sync.asyncEpoch);
  assert.deepEqual(r.sync.end, { isEndOfEpoch: true, epoch: 0, name: "EndOfEpoch" });
  assert.deepEqual(r.sync.again, r.sync.nextEpoch[0]);
  assert.notDeepEqual(r.sync.nextEpoch, r.sync.asyncEpoch); // reshuffled
  assert.equal(r.sync.streaming, true);
  assert.equal(r.sync.refused.isTorshDataError, true);
  assert.equal(r.sync.refused.pythonType, "CannotBlockError");
  assert.match(r.sync.refused.message, /await loader\.nextBatch\(\)/);
  // six nextBatch() in flight: the batches of six awaited one by one (5 batches, then null)
  assert.deepEqual(r.queue.concurrent, r.queue.sequential);
  assert.equal(r.queue.sequential[5], null);
  assert.equal(new Set(r.queue.sequential.slice(0, 5).map(String)).size, 5);
  // labels: sorted classes, float32 indices TF.js trains on (fit with accuracy, fitDataset)
  const species = IRIS_CSV.trim().split("\n").slice(1).map((l) => l.split(",").at(-1));
  assert.deepEqual(r.labels.classes, IRIS_CLASSES);
  assert.deepEqual(r.labels.yInfo, { dtype: "float32", ctor: "Float32Array" });
  assert.deepEqual([...r.labels.ys].sort(), species.map((c) => IRIS_CLASSES.indexOf(c)).sort());
  for (const h of [r.labels.fit, r.labels.fitDataset]) {
    assert.ok(h.acc.every((a) => a >= 0 && a <= 1) && h.loss.every(Number.isFinite), JSON.stringify(h));
  }
  assert.equal(r.labels.fit.acc.length, 1);
  assert.equal(r.labels.fitDataset.acc.length, 2);
  assert.equal(r.labels.fitDataset.batchesSeen, 2 * r.labels.len); // each fitDataset epoch one loader epoch
  assert.deepEqual(r.labels.int32.classes, [...IRIS_CLASSES].reverse());
  assert.equal(r.labels.int32.ctor, "Int32Array");
  assert.deepEqual(r.labels.int32.ys, species.map((c) => 2 - IRIS_CLASSES.indexOf(c)));
  assert.equal(r.labels.numericClasses, null);
  assert.equal(r.labels.tooBig.pythonType, "DataValueError");
  assert.match(r.labels.tooBig.message, /the label 16777217 of column 'y' does not fit float32 exactly.*labelDtype: int32/);
  assert.equal(r.labels.streamingStrings.pythonType, "FormatError");
  assert.match(r.labels.streamingStrings.message, /'virginica' of column 'species' is a class name.*classes option/);
  // defects: Python's errors as TorshDataError, the response's content type used or named
  for (const [key, type, why] of [["readmeNormalize", "ShapeError", /shape \(2,\)/],
    ["badCast", "DataTypeError", /option 'cast': unknown dtype 'int128'/],
    ["unknownType", "DataValueError", /content type 'application\/octet-stream'.*format option/]]) {
    const e = r.defects[key];
    assert.deepEqual([e.isTorshDataError, e.isError, e.name, e.pythonType], [true, true, type, type], key);
    assert.match(e.message, why, key);
    assert.doesNotMatch(e.message, /jsnull|Traceback/, key);
  }
  assert.deepEqual(r.defects.byContentType, { format: "csv", samples: 70 });
  assert.deepEqual(r.defects.cachedByType, [{ format: "csv", samples: 70, fromCache: false },
    { format: "csv", samples: 70, fromCache: true }]);
}

/** Batches of a CSV with a seed, computed by CPython (the same loader, natively). */
function nativeBatches(options, batchSize) {
  const code = `
import asyncio, json, sys
from torsh_data._jsapi import JsLoader
async def main():
    l = JsLoader(${batchSize}, sys.argv[1])
    await l.load_bytes(open(sys.argv[2], "rb").read(), name="train.csv")
    out = []
    while (b := await l.next_batch()) is not None:
        out.append({k: v.tolist() for k, v in b.items()})
    print(json.dumps(out))
asyncio.run(main())`;
  const r = spawnSync(PYTHON, ["-c", code, JSON.stringify(options), path.join(data, "train.csv")],
    { env: ENV, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const plain = (batch) => Object.fromEntries(Object.entries(batch).map(([k, v]) =>
  [k, Array.from(v.data, Number)]));

/** P2 (tests/runtimes/p2_checks.mjs) small enough for a test: 23 8x8 images, batches of 5 (the last short). */
const P2 = { n: 23, side: 8, crop: 7, padding: 2, batchSize: 5, seed: 11 };

/** Two epochs of P2 from CPython's DataLoader(TransformDataset(images, Compose(...))): x as hex. */
function pythonP2() {
  const code = `
import json, sys
from torsh_data import DataLoader, TransformDataset
from torsh_data import transforms as T
from torsh_data.formats import read_idx
o = json.loads(sys.argv[1])
pipeline = T.Compose([T.RandomCrop(o["crop"], padding=o["padding"]), T.RandomHorizontalFlip(0.5),
                      T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
ds = TransformDataset(read_idx(open(sys.argv[2], "rb").read()), pipeline)
loader = DataLoader(ds, batch_size=o["batchSize"], shuffle=True, seed=o["seed"])
out = []
for e in range(2):
    loader.set_epoch(e)
    out.append([{"hex": b.tobytes().hex(), "shape": list(b.shape)} for b in loader])
print(json.dumps(out))`;
  const file = path.join(data, "p2-images-idx3-ubyte");
  fs.writeFileSync(file, p2Idx(P2.n, P2.side));
  const r = spawnSync(PYTHON, ["-c", code, JSON.stringify(P2), file], { env: ENV, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The checks of a p2Checks() result against CPython's batches. */
function checkP2(r, expected) {
  const bytes = (epochs) => epochs.map((e) => e.map((b) => ({ hex: b.hex, shape: b.shape })));
  assert.deepEqual(bytes(r.epochs), expected);
  assert.ok(r.epochs.flat().every((b) => b.dtype === "float32" && b.type === "Float32Array"));
  assert.deepEqual(r.held, expected.map((e) => e.map((b) => b.hex)), "every batch kept is unchanged after the later ones");
  // recycle(): the same batches, in arrays of earlier batches once the first full one is handed back
  assert.deepEqual(bytes(r.recycled.epochs), expected);
  assert.ok(r.recycled.epochs.flat().every((b) => b.dtype === "float32" && b.type === "Float32Array"));
  assert.ok(r.recycled.emptied, "a batch handed back has data null");
  const full = expected.flat().filter((b) => b.shape[0] === P2.batchSize).length;
  assert.ok(r.recycled.refilled >= full - 2, `${r.recycled.refilled} of ${full} full batches came in recycled arrays`);
  const { before, after, heapViewLengthAfterGrowth, ownBuffers, nextStillReadable } = r.lifetime;
  assert.equal(heapViewLengthAfterGrowth, 0, "the heap grew (a view over it was detached)");
  assert.deepEqual(after, before, "the batch held by JavaScript is unchanged after the heap grew");
  assert.ok(ownBuffers && nextStillReadable);
}

/** The tests under Node.js, and the type checks. */
export function nodeTests() {
  describe("under Node.js", () => {
    let td;
    before(async () => {
      td = await import(path.join(ROOT, "js/index.mjs"));
      await td.init();
    });

    test("init() twice reuses the runtime; different options reject, naming them", async () => {
      const a = await td.init();
      const b = await td.init({});
      assert.equal(a.pyodide, b.pyodide);
      assert.equal(a.pyodide.runPython("import torsh_data; torsh_data.__version__"), td.version);
      await assert.rejects(td.init({ indexURL: "/elsewhere/", snapshot: false }),
        /init\(\) was already called with other options \(indexURL, snapshot differ\)/);
      const c = await td.init({ onProgress: () => {} }); // a listener is not a boot option
      assert.equal(c.pyodide, a.pyodide);
    });

    test("unpackWheel: stored entries written from JavaScript as unpackArchive writes them; others go to unpackArchive", async () => {
      // NOTE [ Wheel unpack ] (pyodide_boot.mjs)
      const { unpackWheel } = await import(path.join(ROOT, "src/torsh_data/loader/pyodide_boot.mjs"));
      const py = (await td.init()).pyodide;
      const zip = (method, names) => py.runPython(`import io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.${method}) as z:
    for n in ${JSON.stringify(names)}:
        z.writestr(n, "" if n.endswith("/") else f"# {n}\\n" * 50)
b.getvalue()`).toJs();
      const tree = (dir) => {
        const out = {};
        const walk = (d) => {
          for (const n of py.FS.readdir(d)) {
            if (n === "." || n === "..") continue;
            const p = `${d}/${n}`;
            if (py.FS.isDir(py.FS.stat(p).mode)) walk(p); else out[p.slice(dir.length)] = new TextDecoder().decode(py.FS.readFile(p));
          }
        };
        walk(dir);
        return out;
      };
      const names = ["pkg/__init__.py", "pkg/sub/", "pkg/sub/m.py", "pkg/sub/deep/d.txt", "pkg-0.1.dist-info/RECORD", "empty.py"];
      let n = 0;
      for (const method of ["ZIP_STORED", "ZIP_DEFLATED"]) {
        const bytes = zip(method, names), a = `/tmp/unpack${n++}`, b = `/tmp/unpack${n++}`;
        unpackWheel(py, bytes, a);
        py.unpackArchive(bytes, "wheel", { extractDir: b });
        assert.deepEqual(tree(a), tree(b), method);
        assert.equal(tree(a)["/pkg/sub/m.py"], "# pkg/sub/m.py\n".repeat(50), method);
      }
      // a name that climbs out of the directory is not written outside it (unpackArchive skips it)
      const dir = `/tmp/unpack${n++}/in`;
      unpackWheel(py, zip("ZIP_STORED", ["ok.py", "../climbed.py"]), dir);
      assert.deepEqual(Object.keys(tree(dir.slice(0, -3))), ["/in/ok.py"]);
    });

    test("startPyodide: with `ready`, Pyodide starts before the snapshot is whole and restores it once it is; a damaged one is not restored", async () => {
      // NOTE [ Restore while reading ] (pyodide_boot.mjs), against a stand-in loadPyodide that
      // does what Pyodide and Emscripten do: size the memory by the snapshot, wait for the
      // fsInit hook (a run dependency), then check the snapshot's magic number and restore it
      const { startPyodide } = await import(path.join(ROOT, "src/torsh_data/loader/pyodide_boot.mjs"));
      const MAGIC = 0x12345678, log = [];
      const loadPyodide = async (config) => {
        const snap = config._loadSnapshot;
        if (!snap) {
          log.push("ordinary");
          return "fresh";
        }
        log.push(`started with ${snap.length} bytes`);
        await config.fsInit?.({}, { sitePackages: "/lib" });
        if (new Uint32Array(snap.buffer, snap.byteOffset, 1)[0] !== MAGIC) throw new Error("Snapshot has invalid magic number");
        log.push(`restored ${snap.subarray(4).join(",")}`);
        return "restored";
      };
      const whole = (buffer) => { new Uint32Array(buffer.buffer, 0, 1)[0] = MAGIC; buffer.set([7, 8, 9], 4); };
      const deferred = () => { let resolve, reject; const p = new Promise((a, b) => { resolve = a; reject = b; }); return { p, resolve, reject }; };
      for (const damaged of [false, true]) {
        log.length = 0;
        const buffer = new Uint8Array(7), ready = deferred();
        const started = startPyodide(loadPyodide, {}, { snapshot: buffer, ready: ready.p, make: true });
        await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(log, ["started with 7 bytes"], "Pyodide starts while the pieces arrive");
        whole(buffer); // the last piece (a damaged snapshot's pieces arrive too, then one fails its check)
        if (damaged) ready.reject(new Error("piece 3 is damaged")); else ready.resolve(buffer);
        const r = await started;
        if (damaged) {
          assert.deepEqual([r.pyodide, r.restored, r.error?.message, log], ["fresh", false, "Snapshot has invalid magic number",
            ["started with 7 bytes", "ordinary"]]);
        } else {
          assert.deepEqual([r.pyodide, r.restored, r.error, log], ["restored", true, null, ["started with 7 bytes", "restored 7,8,9"]]);
        }
      }
      // whole bytes, no `ready`: restored at once, as before
      log.length = 0;
      const bytes = new Uint8Array(7);
      whole(bytes);
      assert.deepEqual((await startPyodide(loadPyodide, {}, { snapshot: bytes })).restored, true);
    });

    test("loadFromUrl: CSV batches, shuffled as natively, into TensorFlow.js", async () => {
      const tf = await import("@tensorflow/tfjs");
      const opts = { shuffle: true, seed: 5, label: "label", labelDtype: "int32" };
      const loader = new td.WasmDataLoader(4, opts);
      await loader.loadFromUrl(`${base}/train.csv`);
      assert.equal(loader.len, 6);
      assert.equal(loader.progress, 1);
      assert.equal(loader.fromCache, false);
      assert.deepEqual(loader.schema.map((f) => [f.name, f.dtype, f.shape]),
        [["x", "float32", [2]], ["y", "int32", []]]);
      const batches = [];
      for await (const b of loader) batches.push(b);
      assert.equal(batches.length, 6);
      assert.deepEqual(batches.map(plain), nativeBatches(opts, 4).map((b) =>
        ({ x: b.x.flat(), y: b.y })));
      assert.ok(batches[0].x.data instanceof Float32Array && batches[0].y.data instanceof Int32Array);
      // every row once, and TensorFlow.js sums what the CSV holds
      let sum = 0;
      for (const b of batches) {
        const x = tf.tensor(b.x.data, b.x.shape);
        const y = tf.tensor(b.y.data, b.y.shape, "int32");
        assert.deepEqual(x.shape, b.x.shape);
        sum += (await x.sum().data())[0] + (await y.sum().data())[0];
        tf.dispose([x, y]);
      }
      const expected = ROWS.reduce((s, r) => s + r[0] + r[1] + r[2], 0);
      assert.ok(Math.abs(sum - expected) < 1e-3, `${sum} != ${expected}`);
      // next epoch: a different order, same rows
      const again = [];
      for await (const b of loader) again.push(...b.y.data);
      assert.equal(again.length, 23);
      assert.equal(loader.epoch, 2);
    });

    test("onnxruntime-web runs a model on a batch", async () => {
      const ort = await import("onnxruntime-web");
      const loader = new td.WasmDataLoader(8, { label: "label", labelDtype: "int64" });
      await loader.load_from_url(`${base}/train.csv`);
      const batch = loader.next_batch();
      const x = new ort.Tensor(batch.x.dtype, batch.x.data, batch.x.shape);
      const y = new ort.Tensor(batch.y.dtype, batch.y.data, batch.y.shape); // int64: BigInt64Array
      assert.equal(y.type, "int64");
      const session = await ort.InferenceSession.create(fs.readFileSync(path.join(data, "add.onnx")));
      const out = (await session.run({ x })).y;
      assert.deepEqual(out.dims, [8, 2]);
      assert.deepEqual(Array.from(out.data), ROWS.slice(0, 8).flatMap((r) => [2 * r[0], 2 * r[1]]));
    });

    test("loadFromFile (Blob/File) and loadFromStream", async () => {
      const file = new File(['{"a": 1, "t": "x y"}\n{"a": 2, "t": "z"}\n{"a": 3, "t": ""}\n'], "r.jsonl");
      const l1 = new td.WasmDataLoader(2, { chunkSize: 7 });
      await l1.loadFromFile(file);
      const b = await l1.nextBatch();
      assert.deepEqual(Array.from(b.a.data, Number), [1, 2]);
      assert.deepEqual(b.t, ["x y", "z"]);
      assert.equal(l1.progress, 1);

      const bytes = new TextEncoder().encode(CSV);
      let i = 0;
      const stream = new ReadableStream({
        pull(c) { if (i >= bytes.length) c.close(); else { c.enqueue(bytes.slice(i, i + 13)); i += 13; } },
      });
      const l2 = new td.WasmDataLoader(23, { name: "s.csv", labelColumn: "label" });
      await l2.loadFromStream(stream, { total: bytes.length });
      const all = await l2.nextBatch();
      assert.deepEqual(Array.from(all.x.data), ROWS.flatMap((r) => [r[0], r[1]].map(Math.fround)));
      assert.equal(await l2.nextBatch(), null);
    });

    test("a large generated ReadableStream streams through nextBatch() in bounded memory", async () => {
      // ~1.8 MB of CSV, pulled in 16 KiB slices
      const n = 100_000, bs = 1000;
      const text = "a,b,label\n" + Array.from({ length: n }, (_, i) => `${i * 0.25},${(i * i) % 11},${i % 3}`).join("\n") + "\n";
      const bytes = new TextEncoder().encode(text);
      const file = path.join(data, "big.csv");
      fs.writeFileSync(file, bytes);
      // the native batches of the same data (CPython, kept in memory): count, first, last
      const r = spawnSync(PYTHON, ["-c", `
import asyncio, json, sys
from torsh_data._jsapi import JsLoader
async def main():
    l = JsLoader(${bs}, '{"label": "label"}')
    await l.load_bytes(open(sys.argv[1], "rb").read(), name="big.csv")
    bs = []
    while (b := await l.next_batch()) is not None:
        bs.append(b)
    f = lambda b: {k: v.tolist() for k, v in b.items()}
    print(json.dumps([len(bs), f(bs[0]), f(bs[-1])]))
asyncio.run(main())`, file], { env: ENV, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const [count, first, last] = JSON.parse(r.stdout);
      const { pyodide } = await td.init();
      // Python's peak memory (tracemalloc) over the load and the epoch: kept in memory as
      // records, the rows would take many times the stream's bytes
      pyodide.runPython("import tracemalloc; tracemalloc.start()");
      let i = 0;
      const stream = new ReadableStream({
        pull(c) { if (i >= bytes.length) c.close(); else { c.enqueue(bytes.slice(i, i + 16384)); i += 16384; } },
      });
      const l = new td.WasmDataLoader(bs, { name: "big.csv", label: "label", inMemoryBytes: 1 << 16 });
      await l.loadFromStream(stream, { total: bytes.length });
      assert.equal(l.streaming, true);
      assert.equal(l.len, null);
      assert.ok(l.progress < 0.5, `progress ${l.progress}`);
      const batches = [];
      let got = 0, firstBatch = null, lastBatch = null;
      for await (const b of l) {
        got += b.y.data.length;
        firstBatch ??= b;
        lastBatch = b;
        batches.push(b.y.data.length);
      }
      const peak = pyodide.runPython("p = tracemalloc.get_traced_memory()[1]; tracemalloc.stop(); p");
      assert.equal(got, n);
      assert.equal(batches.length, count);
      assert.deepEqual(plain(firstBatch), { x: first.x.flat(), y: first.y });
      assert.deepEqual(plain(lastBatch), { x: last.x.flat(), y: last.y });
      assert.equal(l.len, count);
      assert.equal(l.samples, n);
      assert.ok(peak < 3 * bytes.length, `a peak of ${peak} bytes for a ${bytes.length}-byte stream`);
      await assert.rejects(l.nextBatch(), (e) => e.pythonType === "SourceError" && /one-shot/.test(e.message));
      l.destroy();
      fs.rmSync(file);
    });

    test("Python errors arrive as JS Errors with type, message and traceback", async () => {
      const l = new td.WasmDataLoader(2);
      await assert.rejects(l.loadFromUrl(`${base}/bad.csv`), (e) => {
        assert.ok(e instanceof Error && e instanceof td.TorshDataError);
        assert.equal(e.name, "FormatError");
        assert.equal(e.pythonType, "FormatError");
        assert.match(e.message, /bad\.csv.*expected 2 fields, found 1/);
        assert.match(e.traceback, /^Traceback/);
        return true;
      });
      await assert.rejects(new td.WasmDataLoader(2).loadFromUrl(`${base}/missing.csv`),
        (e) => e.pythonType === "HTTPError" && /404/.test(e.message));
      // issue 17 cause 6: an HTML page where data was expected, not 0 records or "invalid JSON"
      for (const [file, format, fact] of [["signin.html", "csv", "Content-Type: text/html"],
        ["signin.html", "json", "Content-Type: text/html"], ["export.csv", null, "starts with '<!doctype html'"]]) {
        const url = `${base}/${file}`;
        await assert.rejects(new td.WasmDataLoader(2, format ? { format } : {}).loadFromUrl(url), (e) => {
          assert.ok(e instanceof td.TorshDataError);
          assert.equal(e.pythonType, "HTMLResponseError");
          assert.ok(e.message.startsWith(`${url}: the server sent an HTML page (`), e.message);
          assert.ok(e.message.includes(fact) && e.message.includes("title 'Sign in'"), e.message);
          assert.ok(e.message.includes(`where ${format ?? "csv"} data was expected`), e.message);
          return true;
        });
      }
      await assert.rejects(new td.WasmDataLoader(2).loadFromBytes(new Uint8Array(3), "x.bin"),
        (e) => e.pythonType === "DataValueError" && /format option/.test(e.message));
      await assert.rejects(new td.WasmDataLoader(2, { shufle: true }).loadFromBytes(new Uint8Array(3), "x.csv"),
        (e) => e.pythonType === "DataValueError" && /unknown option 'shufle'/.test(e.message));
      assert.throws(() => new td.WasmDataLoader(0), TypeError);
      await assert.rejects(new td.WasmDataLoader(2).nextBatch(), /nothing loaded/);
    });

    test("a failing or hostile stream rejects, it does not hang", async () => {
      let n = 0;
      const failing = new ReadableStream({
        pull(c) { if (n++ < 2) c.enqueue(new TextEncoder().encode("a,b\n1,2\n")); else c.error(new Error("network gone")); },
      });
      await assert.rejects(new td.WasmDataLoader(2, { name: "s.csv" }).loadFromStream(failing),
        (e) => e instanceof td.TorshDataError && /network gone/.test(e.message));
      const strings = new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } });
      await assert.rejects(new td.WasmDataLoader(2, { name: "s.csv" }).loadFromStream(strings),
        (e) => e instanceof td.TorshDataError);
      const noName = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2])); c.close(); } });
      await assert.rejects(new td.WasmDataLoader(2).loadFromStream(noName),
        (e) => e.pythonType === "DataValueError" && /format option/.test(e.message));
    });

    test("endOfEpoch: 'throw' and reset()", async () => {
      const l = new td.WasmDataLoader(20, { endOfEpoch: "throw", label: "label" });
      await l.loadFromBytes(new TextEncoder().encode(CSV), "t.csv");
      await l.nextBatch();
      await l.nextBatch();
      await assert.rejects(l.nextBatch(), td.EndOfEpoch);
      await l.nextBatch();
      l.reset();
      let n = 0;
      for await (const _ of l) n++;
      assert.equal(n, 2);
    });

    test("WasmDataProcessor answers messages with transferable batches", async () => {
      const p = new td.WasmDataProcessor();
      assert.equal((await p.process({ type: "init" })).type, "ready");
      const loaded = await p.process({ type: "load", url: `${base}/train.csv`, batchSize: 10, options: { label: "label" } });
      assert.deepEqual([loaded.type, loaded.len, loaded.samples], ["loaded", 3, 23]);
      const r = await p.process({ type: "next" });
      assert.equal(r.done, false);
      assert.deepEqual(td.transferables(r), [r.batch.x.data.buffer, r.batch.y.data.buffer]);
      await p.process({ type: "next" });
      await p.process({ type: "next" });
      assert.deepEqual(await p.process({ type: "next" }), { type: "batch", batch: null, done: true });
      const t = await p.process({ type: "timings" });
      assert.equal(t.timings.python.batch.count, 3);
      assert.equal(t.timings.js.next_batch.count, 4);
      await assert.rejects(p.process({ type: "nope" }), TypeError);
    });

    test("workers: 2 (worker_threads) gives the batches of workers: 0", async () => {
      const run = async (workers) => {
        const l = new td.WasmDataLoader(5, { label: "label", shuffle: true, seed: 2, workers,
          transforms: [{ name: "Standardize", column: "x" }] });
        await l.loadFromUrl(`${base}/train.csv`);
        const out = [];
        for await (const b of l) out.push(plain(b));
        l.destroy();
        return out;
      };
      const serial = await run(0);
      assert.equal(serial.length, 5);
      assert.deepEqual(await run(2), serial);
    });

    test("P2 through nextBatch() gives CPython's DataLoader batches; held batches outlive the later ones; recycle() refills", async () => {
      checkP2(await p2Checks(td, P2), pythonP2());
    });

    test("a loader worker boots with the precompiled standard library init() booted with", async () => {
      const r = await workerStdlib(td, {});
      assert.deepEqual([r.page, r.worker, r.same, r.batches, r.snapshot], ["precompiled", "precompiled", true, 8, "off"]);
    });

    test("the web developer's path: the seed example verbatim, sync next_batch, queued nextBatch, labels, defects", async () => {
      const tf = await import("@tensorflow/tfjs");
      const api = await apiServer(base);
      // Node.js has no page: the example's '/api/dataset' resolves against globalThis.location
      globalThis.location = { href: `${api.url}/` };
      try {
        const r = await runApiChecks({ td, tf, dataDir: base, apiBase: api.url,
          importSeed: () => import(path.join(data, "seed_node.mjs")) });
        assertApiChecks(r);
        assertApiRequests(api.requests);
      } finally {
        delete globalThis.location;
        api.server.close();
      }
    });

    test("the default export is init", async () => {
      assert.equal(td.default, td.init);
    });

    test("the capability probe agrees with Python's", async () => {
      const { pyodide } = await td.init();
      const py = JSON.parse(pyodide.runPython("import json, torsh_data; json.dumps(torsh_data.capabilities())"));
      assert.deepEqual(td.capabilities(), py);
      assert.equal(py.runtime, "pyodide-node");
    });
  });

  test("index.d.ts: tsc --noEmit --strict accepts the typed examples and js/README.md's code, without casts", () => {
    // js/README.md's code blocks that are modules, compiled beside js/examples/*.ts
    const dir = path.join(ROOT, "build/js-readme-ts");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const readme = fs.readFileSync(path.join(ROOT, "js/README.md"), "utf8");
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).filter((c) => c.startsWith("import "));
    assert.ok(blocks.length >= 1 && blocks[0].includes("fitDataset(loader.toTfDataset(tf)"), "the README's TF.js example");
    blocks.forEach((code, i) => fs.writeFileSync(path.join(dir, `readme_${i}.mts`), code));
    const js = path.relative(dir, path.join(ROOT, "js"));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      extends: `${js}/tsconfig.json`,
      compilerOptions: { paths: { "torsh-data": [`${js}/index.d.ts`] } },
      include: ["*.mts", `${js}/examples/*.ts`],
    }));
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir],
      { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // no type assertions: the types must fit TF.js and ONNX Runtime Web as they are
    const examples = fs.readdirSync(path.join(ROOT, "js/examples")).filter((f) => f.endsWith(".ts"));
    for (const [name, code] of [...examples.map((f) => [f, fs.readFileSync(path.join(ROOT, "js/examples", f), "utf8")]),
      ...blocks.map((c, i) => [`README block ${i}`, c])]) {
      const casts = code.split("\n").filter((l) => /\)\s+as\s|\w\s+as\s+(?!\w+\s+from\b)[\w"'{[]/.test(l.replace(/import \* as \w+|\/\/.*$/g, "")));
      assert.deepEqual(casts, [], `${name} has a cast`);
    }
  });

}

/** Run `fn(session, errors)` in a new headless `engine`; `errors()` lists the page's errors. */
async function inPage(engine, fn) {
  const session = await launch(engine, { timeoutMs: 240_000 });
  try {
    const errors = async () => {
      await session.collectErrors?.();
      return session.diagnostics.filter((d) => /^(page error|console\.error|CSP)/.test(d));
    };
    await fn(session, errors);
  } finally {
    await session.close();
  }
}

/** Go to `url` and wait for `window[name]` (the page module's entry point). */
async function open(session, url, name, reload = false) {
  if (reload) await session.reload(); else await session.goto(url);
  await session.installErrorCollector();
  await session.waitFor((n) => typeof window[n] === "function", name, 60_000);
}

/** The tests in one browser engine (skipped where $TORSH_ENGINES leaves it out). */
export function engineTests(engine) {
  if (!ENGINES.includes(engine)) return;
  describe(`in ${engine}`, () => {
    let site;
    before(async () => {
      // serve the repository (js/, node_modules/) with the default CSP of `torsh-data serve`
      site = await startServe(ROOT);
    });
    after(() => site?.proc.kill("SIGTERM"));

    test("page and module Web Worker, TF.js + ORT, IndexedDB cache hit, CSP without unsafe-eval", async () => {
      const url = `${site.url}/tests/runtimes/js_page.html`;
      const csp = (await fetch(url)).headers.get("content-security-policy");
      assert.match(csp, /'wasm-unsafe-eval'/);
      assert.doesNotMatch(csp, /'unsafe-eval'/);
      await inPage(engine, async (page, errors) => {
        await open(page, url, "runChecks");
        const r = await page.evaluate((d) => window.runChecks(d), dataUrl);
        assert.equal(r.error, undefined, r.error);
        assert.equal(r.caps.runtime, "pyodide-browser");
        assert.deepEqual(r.caps, r.pyCaps);
        assert.ok(r.caps.workers && r.caps.indexeddb && r.caps.streams);
        assert.equal(r.caps.jspi, CAPS[engine].jspi);
        for (const key of Object.keys(r.observed)) assert.equal(r.caps[key], r.observed[key], `capabilities().${key}`);
        assert.deepEqual(r.sums.map(Math.round), [r.expected, r.expected].map(Math.round));
        assert.deepEqual(r.ortOut, r.ortExpected);
        assert.deepEqual([r.firstFromCache, r.secondFromCache], [false, true]);
        assert.equal(r.worker.loaded.samples, 23);
        assert.equal(r.worker.batches, 3);
        assert.equal(r.worker.transferred, true);
        assert.equal(r.errorType, "FormatError");
        assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
      });
    });

    test("the web developer's path: the seed example verbatim, sync next_batch, queued nextBatch, labels, defects", async () => {
      const api = await apiServer(site.url); // the repository, and /api/dataset as text/csv
      try {
        await inPage(engine, async (page, errors) => {
          await open(page, `${api.url}/tests/runtimes/js_page.html`, "runApiChecks");
          const r = await page.evaluate((d) => window.runApiChecks(d), dataUrl);
          assert.equal(r.error, undefined, r.error);
          assertApiChecks(r);
          assertApiRequests(api.requests);
          assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
        });
      } finally {
        api.server.close();
      }
    });

    test("an extensionless URL with the cache: one GET, then after a reload offline from IndexedDB, type and all", async () => {
      const api = await apiServer(site.url);
      try {
        await inPage(engine, async (page, errors) => {
          const visit = async (reload) => {
            await open(page, `${api.url}/tests/runtimes/js_page.html`, "runChecks", reload);
            return page.evaluate(async () => {
              const td = await import("/js/index.mjs");
              await td.init({ indexURL: "/node_modules/pyodide/" });
              const l = new td.WasmDataLoader(100, { cache: "js-test-typed" });
              try {
                await l.loadFromUrl("/api/dataset");
              } catch (e) {
                return { error: `${e}` };
              }
              return { format: l.format, samples: l.samples, fromCache: l.fromCache, rows: (await l.nextBatch()).x.shape[0] };
            });
          };
          assert.deepEqual(await visit(false), { format: "csv", samples: 70, fromCache: false, rows: 70 });
          assert.deepEqual(api.requests, ["GET /api/dataset"]);
          api.offline = true;
          assert.deepEqual(await visit(true), { format: "csv", samples: 70, fromCache: true, rows: 70 });
          assert.deepEqual(api.requests, ["GET /api/dataset"], "offline: no request, the type came from the cache");
          assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
        });
      } finally {
        api.server.close();
      }
    });

    test("the boot snapshot: made, restored with the same batches, a damaged one replaced", async () => {
      await inPage(engine, async (page, errors) => {
        const visit = async (first) => {
          await open(page, `${site.url}/tests/runtimes/snapshot_page.html`, "visit", !first);
          const r = await page.evaluate((d) => window.visit(d), dataUrl);
          assert.equal(r.error, undefined, r.error);
          return r;
        };
        const made = await visit(true);
        assert.equal(made.timings.snapshot, "made");
        assert.equal(made.timings.snapshotError, undefined);
        assert.equal(made.saved, true);
        assert.equal(made.batches.length, 5); // 23 rows in batches of 5
        // NOTE [ Sparse snapshot ]: the zero pages are not stored
        const { length, stored } = await page.evaluate(() => window.storedBytes());
        assert.ok(stored > 0 && stored < length * 0.9, `${stored} bytes stored of a ${length}-byte snapshot`);
        const restored = await visit(false);
        assert.equal(restored.timings.snapshot, "restored");
        assert.equal(restored.saved, false);
        assert.deepEqual(restored.batches, made.batches);
        assert.notEqual(restored.random, made.random, "Python's random is reseeded after a restore");
        assert.deepEqual([restored.where, restored.runtime], ["/tests/runtimes/snapshot_page.html", "pyodide-browser"]);
        assert.equal(restored.timings.snapshotError, undefined);

        for (const [how, why] of [["bytes", /is damaged: piece \d+ of \d+ has checksum [0-9a-f]{16}, saved as [0-9a-f]{16}/],
          ["missing", /is damaged: piece (\d+) of (\d+) is missing/], ["build", /build id mismatch/],
          ["runs", /is damaged: its header \(length, runs, sums\) gives no length, pages and piece checksums/]]) {
          await page.evaluate((h) => window.damage(h), how);
          const again = await visit(false);
          assert.equal(again.timings.snapshot, "made", how);
          assert.match(again.timings.snapshotError, why);
          assert.deepEqual(again.batches, made.batches, how);
          assert.equal(again.saved, true);
          assert.equal((await visit(false)).timings.snapshot, "restored", `after the ${how} damage`);
        }
        // restored beside another standard library: the runtime fails before it is ready, and
        // init() boots again without the snapshot (bootOrRetry) and drops it
        await page.evaluate(() => window.rekey());
        await open(page, `${site.url}/tests/runtimes/snapshot_page.html`, "visit", true);
        const other = await page.evaluate((d) => window.visit(d, { stdlib: false }), dataUrl);
        assert.equal(other.error, undefined, other.error);
        assert.equal(other.timings.stdlib, "pyodide");
        assert.equal(other.timings.snapshot, "off");
        assert.match(other.timings.snapshotError, /^the runtime restored from the boot snapshot failed: the snapshot was made with the standard library \S+ \d+, this runtime has \S+ \d+; booted without it and dropped it$/);
        assert.deepEqual(other.batches, made.batches);
        assert.deepEqual(await page.evaluate(() => window.storedKeys()), [], "the record was dropped");
        assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
      });
    });

    test("loader Web Workers boot with the page's standard library: precompiled, or Pyodide's when the page has none", async () => {
      for (const [init, stdlib] of [[{}, "precompiled"], [{ stdlib: false }, "pyodide"]]) {
        await inPage(engine, async (page, errors) => {
          await open(page, `${site.url}/tests/runtimes/js_page.html`, "runChecks");
          const r = await page.evaluate((o) => import("/tests/runtimes/worker_stdlib.mjs").then((m) => m.pageWorkerStdlib(o)), init);
          assert.equal(r.error, undefined, r.error);
          assert.deepEqual([r.page, r.worker, r.same, r.batches, r.snapshot], [stdlib, stdlib, true, 8, "off"], JSON.stringify(r));
          assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
        });
      }
    });

    test("a loader worker given a boot snapshot that does not fit it boots again without it and says why", async () => {
      await inPage(engine, async (page, errors) => {
        await open(page, `${site.url}/tests/runtimes/js_page.html`, "runChecks");
        const r = await page.evaluate(() => import("/tests/runtimes/worker_snapshot.mjs").then((m) => m.pageWorkerSnapshot()));
        assert.equal(r.error, undefined, r.error);
        assert.deepEqual(r.make, { same: true, snapshot: "made", stdlib: "precompiled", stored: 1 });
        assert.deepEqual(r.restore, { same: true, snapshot: "restored", stdlib: "precompiled", stored: 1 });
        const other = r["other stdlib"];
        assert.match(other.snapshot, /^failed after the restore: .*made with the standard library \S+ \d+, this runtime has \S+ \d+; booted without it$/);
        assert.deepEqual([other.same, other.stdlib, other.stored], [true, "pyodide", 0], "booted without it; the record dropped");
        assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
      });
    });

    test("P2 through nextBatch() gives CPython's DataLoader batches; held batches outlive the later ones; recycle() refills", async () => {
      const expected = pythonP2();
      await inPage(engine, async (page, errors) => {
        await open(page, `${site.url}/tests/runtimes/js_page.html`, "runChecks");
        const r = await page.evaluate(async (p2) => {
          const td = await import("/js/index.mjs");
          await td.init({ indexURL: "/node_modules/pyodide/" });
          return (await import("/tests/runtimes/p2_checks.mjs")).p2Checks(td, p2);
        }, P2);
        checkP2(r, expected);
        assert.deepEqual((await errors()).filter((e) => !/favicon|404/.test(e)), []);
      });
    });
  });

    test(`${engine}: torsh-data serve --coop-coep makes the page cross-origin isolated (the probe says so)`,
      { skip: skipReason(engine, "crossOriginIsolation") ?? false }, async () => {
      const isolated = await startServe(ROOT, ["--coop-coep"]);
      try {
        await inPage(engine, async (page) => {
          await page.goto(`${isolated.url}/tests/runtimes/js_page.html`);
          const caps = await page.evaluate(async () => (await import("/js/index.mjs")).capabilities());
          assert.equal(caps.cross_origin_isolated, true);
          assert.equal(caps.shared_array_buffer, true);
        });
      } finally {
        isolated.proc.kill("SIGTERM");
      }
    });
}

