// A progressive sharded dataset in each real headless browser engine against a real local HTTP server:
// 24 shards packed natively by `torsh-data pack` into a temp dir and served by a small
// Node.js file server on another origin (each shard answer delayed, so loading takes a
// while). Checked: progress is monotonic and iteration starts before loading ends; every
// record comes from a complete, verified shard; the epoch equals the native one; after a
// page reload (same browser profile and origin) the shards come from the IndexedDB cache
// (the server sees no shard request; engines without a persistent profile skip this); a corrupted shard is refetched once, then reported,
// and none of its records is yielded.
//
// Run: PYTHON=$PWD/.venv/bin/python TORSH_WHEEL_DIR=/tmp/x-dist \
//        node --experimental-wasm-stack-switching --test tests/runtimes/shards.test.mjs
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CAPS, ENGINES, skipReason } from "../../tools/pyodide/engines.mjs";
import { runInBrowser } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const SHARDS = 24;
const RECORDS = 10 * SHARDS;

// The same check runs natively and in the page: it prints one JSON object of facts.
const CHECK = String.raw`
import asyncio, hashlib, json, sys
from torsh_data._runtime import runtime_name
from torsh_data.io import Cache, IntegrityError, ShardedDataset, open_dataset

url, mode = sys.argv[1], sys.argv[2]

def shard_of(record):
    return int(record["__url__"].rsplit("-", 1)[1].split(".")[0])

async def main():
    out = {"runtime": runtime_name()}
    cache = None
    if mode in ("first", "reload"):
        cache = Cache("shards-test")
        if mode == "first":
            await cache.clear()
        out["backend"] = cache.backend
    calls = []
    # open_dataset (what the JS package's load_from_url calls) dispatches a manifest URL here
    ds = open_dataset(url, cache=cache, on_progress=lambda d, t: calls.append([d, t]))
    out["class"] = type(ds).__name__
    records, complete, during = [], [], []
    try:
        async for r in ds:
            complete.append(ds.is_loaded(shard_of(r)))
            during.append(ds.progress)
            records.append([r["__key__"], r["json"]])
    except IntegrityError as exc:
        out["error"] = type(exc).__name__
        out["message"] = str(exc)
    out["records"] = len(records)
    out["shards_seen"] = sorted({int(k) // 10 for k, _ in records})
    out["digest"] = hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()
    out["all_complete"] = all(complete)
    out["min_progress_during"] = min(during) if during else None
    out["progress"] = ds.progress
    out["unit"] = ds.progress_unit
    done = [d for d, _ in calls]
    out["monotonic"] = done == sorted(done) and len(set(done)) == len(done)
    out["calls"] = len(calls)
    out["len"] = len(ds)
    print(json.dumps(out))

asyncio.run(main())
`;

let dir, server, base;
const requests = [];

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-shards-"));
  const lines = [];
  for (let i = 0; i < RECORDS; i++) {
    lines.push(JSON.stringify({ i, text: "é".repeat(i % 17) + "x".repeat((i * 37) % 300) }));
  }
  fs.writeFileSync(path.join(dir, "rows.jsonl"), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "check.py"), CHECK);
  const pack = spawnSync(PYTHON, ["-m", "torsh_data", "pack", path.join(dir, "rows.jsonl"),
    "-o", path.join(dir, "out"), "--max-records", "10"], { encoding: "utf8" });
  assert.equal(pack.status, 0, pack.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "out/data.shards.json"), "utf8"));
  assert.equal(manifest.shards.length, SHARDS);

  // /d/<file>: the packed files; /bad/<file>: the same, but shard 3 has a byte flipped.
  server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    requests.push(url.pathname);
    const m = url.pathname.match(/^\/(d|bad)\/([\w.-]+)$/);
    const file = m && path.join(dir, "out", m[2]);
    const cors = { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Content-Length" };
    if (!file || !fs.existsSync(file)) { res.writeHead(404, cors); res.end(); return; }
    let data = fs.readFileSync(file);
    if (m[1] === "bad" && m[2] === "data-000003.tar") { data = Buffer.from(data); data[700] ^= 0xff; }
    const send = () => {
      res.writeHead(200, { ...cors, "Content-Type": "application/octet-stream", "Content-Length": data.length,
        "Cache-Control": "no-store" });
      res.end(data);
    };
    if (m[2].endsWith(".tar")) setTimeout(send, 60); else send();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const common = () => ({
  wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist")),
    path.join(ROOT, ".cache/pyodide-wheels")],
  script: path.join(dir, "check.py"),
  timeout: 300,
  connectSrc: [base],
});

function facts(r, what) {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** The check run natively (asynchronously: the server answers from this process). */
async function native(mode, prefix = "d") {
  const child = spawn(PYTHON, [path.join(dir, "check.py"), `${base}/${prefix}/data.shards.json`, mode]);
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const code = await new Promise((r) => child.on("close", r));
  clearTimeout(timer);
  return facts({ code, stdout, stderr }, `native ${mode}`);
}

const shardRequests = (prefix) => requests.filter((p) => p.startsWith(`/${prefix}/`) && p.endsWith(".tar"));

let ref, nativeBad; // the native runs, once
const profiles = [];
after(() => { for (const p of profiles) fs.rmSync(p, { recursive: true, force: true }); });

test("natively: the reference epoch and the corrupted shard", async () => {
  ref = await native("plain");
  assert.equal(ref.runtime, "cpython");
  assert.equal(ref.class, "ShardedDataset");
  assert.equal(ref.records, RECORDS);
  assert.ok(ref.all_complete && ref.monotonic);
  nativeBad = await native("nocache", "bad");
  assert.equal(nativeBad.error, "IntegrityError");
  assert.deepEqual(nativeBad.shards_seen, [0, 1, 2]);
});

for (const engine of ENGINES) {
  const run = (opts) => runInBrowser(engine, opts);
  let opts; // the origin (and profile) of the first load, for the reload

  // CHECK blocks on JavaScript promises (asyncio.run): engines without JSPI skip.
  test(`${engine}: progressive loading into the IndexedDB cache`, { skip: skipReason(engine, "jspi") ?? false }, async () => {
    assert.ok(ref, "the native reference run failed");
    opts = { ...common(), port: await freePort() };
    if (CAPS[engine].persistentProfile) {
      opts.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-shards-profile-"));
      profiles.push(opts.userDataDir);
    }
    requests.length = 0;
    const first = facts(await run({ ...opts, args: [`${base}/d/data.shards.json`, "first"] }), "first");
    assert.equal(first.runtime, "pyodide-browser");
    assert.equal(first.backend, "indexeddb");
    assert.equal(first.class, "ShardedDataset");
    assert.equal(first.records, RECORDS);
    assert.equal(first.digest, ref.digest, "the browser epoch must equal the native one");
    assert.equal(first.len, RECORDS);
    assert.ok(first.all_complete, "every record must come from a complete, verified shard");
    assert.ok(first.monotonic && first.calls === SHARDS, JSON.stringify(first));
    assert.equal(first.unit, "bytes");
    assert.equal(first.progress, 1);
    assert.ok(first.min_progress_during < 0.5, `iteration must start while loading: ${first.min_progress_during}`);
    assert.equal(shardRequests("d").length, SHARDS);
  });

  test(`${engine}: after a page reload the shards come from the IndexedDB cache`,
    { skip: skipReason(engine, "persistentProfile", "jspi") ?? false }, async () => {
      assert.ok(opts?.userDataDir, "the first load above must have filled the profile");
      requests.length = 0;
      const again = facts(await run({ ...opts, args: [`${base}/d/data.shards.json`, "reload"] }), "reload");
      assert.equal(again.backend, "indexeddb");
      assert.equal(again.digest, ref.digest);
      assert.deepEqual(shardRequests("d"), [], "after a reload the shards must come from IndexedDB");
      assert.ok(requests.includes("/d/data.shards.json"));
    });

  test(`${engine}: a corrupted shard is refetched once, then reported; none of its records is yielded`,
    { skip: skipReason(engine, "jspi") ?? false }, async () => {
    requests.length = 0;
    const bad = facts(await run({ ...common(), args: [`${base}/bad/data.shards.json`, "nocache"] }), "corrupt");
    assert.equal(bad.error, "IntegrityError");
    assert.match(bad.message, /data-000003\.tar.*sha256 mismatch/);
    assert.deepEqual(bad.shards_seen, [0, 1, 2], "no record of the corrupted shard (or after it)");
    assert.equal(bad.records, 30);
    assert.equal(shardRequests("bad").filter((p) => p.endsWith("data-000003.tar")).length, 2,
      "a mismatching shard is fetched once more before it is reported");
  });
}
