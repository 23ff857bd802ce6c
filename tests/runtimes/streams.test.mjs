// torsh_data.io.StreamingDataset in each real headless browser engine: the harness's
// setInputFiles (Playwright's, Puppeteer's uploadFile, WebDriver's Element Send Keys) hands
// an <input type=file> real multi-MB CSV and JSONL files, which Python streams (Blob slices)
// through StreamingDataset + DataLoader with `async for`; the same files also reach Python as
// JavaScript ReadableStreams fed in odd-sized chunks (1, 2, 3, ... bytes: they split records
// and multi-byte UTF-8 characters). Every result must equal the native run over the same files.
//
// Run: PYTHON=$PWD/.venv/bin/python node --experimental-wasm-stack-switching --test tests/runtimes/streams.test.mjs
// TORSH_WHEEL_DIR: directory of the torsh_data wheel to install (default: dist).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES, skipReason } from "../../tools/pyodide/engines.mjs";
import { runInBrowser } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// The same script runs natively (argv: native csv jsonl broken) and in the page (argv: page).
const SCRIPT = String.raw`
import asyncio, hashlib, json, sys, tracemalloc
from torsh_data import DataLoader, FormatError
from torsh_data._runtime import runtime_name
from torsh_data.io import StreamingDataset

def plain(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    return [plain(v) for v in x] if isinstance(x, (list, tuple)) else x

async def batches(ds):
    """Batch count, record count, sha256 of the batches, first ids: nothing kept."""
    h, n, rows, first = hashlib.sha256(), 0, 0, None
    async for batch in DataLoader(ds, batch_size=64):
        batch = plain(batch)
        h.update(json.dumps(batch, ensure_ascii=False).encode())
        n, rows, first = n + 1, rows + len(batch["id"]), first or batch["id"][:3]
    return {"batches": n, "records": rows, "digest": h.hexdigest(), "first": first}

async def main():
    res = {"runtime": runtime_name()}
    if sys.argv[1] == "native":
        csv_src, jsonl_src, broken = sys.argv[2:5]
        streams = {"csv": csv_src, "jsonl": jsonl_src}
    else:
        import js
        files = js.document.getElementById("upload").files
        csv_src, jsonl_src, broken = files.item(0), files.item(1), files.item(2)
        streams = {"csv": js.oddStream(csv_src), "jsonl": js.oddStream(jsonl_src)}
        res["names"] = [files.item(i).name for i in range(files.length)]
    await batches(StreamingDataset(b"id\n1\n", "csv"))  # warm up: lazy imports are not data
    await batches(StreamingDataset(b'{"id": 1}\n', "jsonl"))
    tracemalloc.start()
    for fmt, src in (("csv", csv_src), ("jsonl", jsonl_src)):
        # the format from the file name; 64 KiB slices of the File
        res[fmt] = await batches(StreamingDataset(src, chunk_size=1 << 16))
        res[fmt + "_stream"] = await batches(StreamingDataset(streams[fmt], fmt))
    res["peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    loaded = await StreamingDataset(jsonl_src).load()
    res["loaded"] = [len(loaded), loaded[len(loaded) - 1]["text"]]
    good = 0
    try:
        async for rec in StreamingDataset(broken):
            good += 1
    except FormatError as exc:
        res["broken"] = {"source": exc.source, "good": good, "message": str(exc)}
    print(json.dumps(res, ensure_ascii=False))

asyncio.run(main())
`;

// A ReadableStream over a File, fed in odd-sized chunks (defined in the page before the run).
const ODD_STREAM = () => {
  window.oddStream = (file) => {
    const sizes = [1, 2, 3, 5, 7, 4093, 65537, 11];
    let reader;
    let buf = new Uint8Array(0);
    let k = 0;
    let done = false;
    return new ReadableStream({
      start() { reader = file.stream().getReader(); },
      async pull(c) {
        const want = sizes[k++ % sizes.length];
        while (buf.length < want && !done) {
          const r = await reader.read();
          if (r.done) { done = true; break; }
          const n = new Uint8Array(buf.length + r.value.length);
          n.set(buf);
          n.set(r.value, buf.length);
          buf = n;
        }
        if (buf.length === 0) { c.close(); return; }
        c.enqueue(buf.slice(0, want));
        buf = buf.subarray(Math.min(want, buf.length));
      },
    }, { highWaterMark: 0 });
  };
  const input = document.createElement("input");
  input.type = "file";
  input.id = "upload";
  input.multiple = true;
  document.body.append(input);
};

let dir;
const TEXTS = ["naïve café", "日本語のテキスト", "emoji 🚀🎉", 'a "quoted", comma', "line\nbreak", "plain"];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-streams-"));
  const csv = ["id,text,value,label"];
  const jsonl = [];
  for (let i = 0; i < 30000; i++) {
    const text = `${TEXTS[i % TEXTS.length]} #${i} ${"x".repeat(i % 97)}`;
    csv.push(`${i},"${text.replaceAll('"', '""')}",${(i * 0.37).toFixed(3)},${i % 10}`);
    jsonl.push(JSON.stringify({ id: i, text, v: [i % 7, i % 11] }));
  }
  fs.writeFileSync(path.join(dir, "data.csv"), csv.join("\r\n") + "\r\n");
  fs.writeFileSync(path.join(dir, "data.jsonl"), jsonl.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "broken.jsonl"), '{"id": 1}\n{"id": 2}\n{"id": 3, "te');
  fs.writeFileSync(path.join(dir, "check.py"), SCRIPT);
});

after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

let reference; // the native run, once
function native() {
  if (reference) return reference;
  const python = process.env.PYTHON ?? "python3";
  const files = ["data.csv", "data.jsonl", "broken.jsonl"].map((f) => path.join(dir, f));
  const r = spawnSync(python, [path.join(dir, "check.py"), "native", ...files],
    { encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, `native run failed:\n${r.stderr}`);
  return (reference = JSON.parse(r.stdout.trim().split("\n").pop()));
}

for (const engine of ENGINES) test(`${engine}: a user's files and JavaScript streams through StreamingDataset + DataLoader`,
  { skip: skipReason(engine, "setInputFiles", "jspi") ?? false }, async (t) => {
  const sizes = ["data.csv", "data.jsonl"].map((f) => fs.statSync(path.join(dir, f)).size);
  assert.ok(sizes.every((s) => s > 2_000_000), `files of several MB: ${sizes}`);
  const r = await runInBrowser(engine, {
    wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist")),
      path.join(ROOT, ".cache/pyodide-wheels")],
    script: path.join(dir, "check.py"),
    args: ["page"],
    timeout: 600,
    beforeRun: async (session) => {
      await session.evaluate(ODD_STREAM);
      await session.setInputFiles("#upload",
        ["data.csv", "data.jsonl", "broken.jsonl"].map((f) => path.join(dir, f)));
    },
  });
  assert.equal(r.code, 0, `the page run failed:\n${r.stderr}`);
  const page = JSON.parse(r.stdout.trim().split("\n").pop());
  const ref = native();
  assert.equal(page.runtime, "pyodide-browser");
  assert.equal(ref.runtime, "cpython");
  assert.deepEqual(page.names, ["data.csv", "data.jsonl", "broken.jsonl"]);
  for (const fmt of ["csv", "jsonl"]) {
    assert.equal(page[fmt].records, 30000);
    assert.deepEqual(page[fmt].first, [0, 1, 2]);
    assert.deepEqual(page[fmt], ref[fmt], `${fmt}: the browser's batches differ from native`);
    assert.deepEqual(page[`${fmt}_stream`], ref[`${fmt}_stream`]);
    assert.equal(page[`${fmt}_stream`].digest, page[fmt].digest, `${fmt}: stream vs file`);
  }
  t.diagnostic(`Python peak allocation ${page.peak} bytes (native ${ref.peak}) for files of ${sizes}`);
  // Bounded memory: the files are streamed, never held whole (Python-side allocations).
  assert.ok(page.peak < Math.min(...sizes) / 2, `peak ${page.peak} bytes for files of ${sizes}`);
  assert.deepEqual(page.loaded, ref.loaded);
  assert.equal(page.broken.source, "broken.jsonl");
  assert.equal(page.broken.good, 2);
  const reason = (b) => b.message.replace(b.source, "<src>");
  assert.equal(reason(page.broken), reason(ref.broken));
  assert.equal(ref.broken.good, 2);
});
