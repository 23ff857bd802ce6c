// DataLoader(num_workers=N) in Pyodide: Web Workers in each headless browser engine, worker_threads under
// Node.js. Same batches (shuffle + random transforms) for 0, 1 and 2 workers as native
// num_workers=0; a worker's error with its traceback; a worker that cannot start; in_order=False;
// and the loader state saved to IndexedDB resuming the epoch after a page reload (engines with
// a persistent profile).
//
// Run: PYTHON=$PWD/.venv/bin/python node --experimental-wasm-stack-switching --test tests/runtimes/workers.test.mjs
// TORSH_WHEEL_DIR: directory of the torsh_data wheel to install (default: dist).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES, skipReason } from "../../tools/pyodide/engines.mjs";
import { runInBrowser, runInNode } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = path.join(ROOT, "tests/runtimes/workers_checks.py");
const common = {
  wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"))],
  mounts: [`${path.join(ROOT, "tests")}:/work/tests`],
  cwd: "/work",
  timeout: 480,
};
const RUNTIMES = {
  node: runInNode,
  ...Object.fromEntries(ENGINES.map((e) => [e, (opts) => runInBrowser(e, opts)])),
};

let reference;
before(() => {
  const python = process.env.PYTHON ?? "python3";
  reference = JSON.parse(execFileSync(python, [SCRIPT, "reference"], { encoding: "utf8" }));
});

async function facts(run, args, extra = {}) {
  const r = await run({ ...common, ...extra, script: SCRIPT, args });
  assert.equal(r.code, 0, `workers_checks.py ${args.join(" ")} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// workers_checks.py blocks on JavaScript promises (asyncio.run): engines without JSPI skip.
for (const [name, run] of Object.entries(RUNTIMES)) {
  const skip = name === "node" ? false : skipReason(name, "jspi") ?? false;
  test(`${name}: 1 and 2 workers give the batches of native num_workers=0`, { skip }, async () => {
    const f = await facts(run, ["workers"]);
    assert.equal(f.runtime, name === "node" ? "pyodide-node" : "pyodide-browser");
    assert.equal(reference.map[0].length, 12);
    assert.notDeepEqual(reference.map[0], reference.map[1], "epochs must differ");
    assert.deepEqual(f.map1, reference.map, "1 worker (persistent, 2 epochs)");
    assert.deepEqual(f.map2, reference.map, "2 workers with worker_init_fn (2 epochs)");
    assert.deepEqual(f.stream2, reference.stream, "iterable dataset, 2 workers");
    const [warm, second] = f.unordered;
    const sorted = (xs) => [...xs].map((b) => b.join(",")).sort();
    for (const epoch of [warm, second]) {
      assert.deepEqual(sorted(epoch), sorted([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]));
    }
    assert.notDeepEqual(second[0], [0, 1, 2, 3], `the slow batch must be overtaken: ${JSON.stringify(second)}`);
    if (f.jspi) assert.deepEqual(f.sync_for, reference.map[0], "a plain for waits through JSPI");
    else assert.match(f.sync_for, /no JSPI.*'async for batch in loader'/);
  });

  test(`${name}: a worker's error reaches the caller with its traceback and indices`, { skip }, async () => {
    const f = await facts(run, ["failures"]);
    assert.equal(f.raised.type, "ValueError");
    assert.match(f.raised.message, /while loading indices \[12, 13, 14, 15\]/);
    assert.match(f.raised.message, /webworker_cases\.py", line \d+, in __getitem__/);
    assert.match(f.raised.message, /sample 13 is broken/);
    assert.equal(f.init.type, "RuntimeError");
    assert.match(f.init.message, /worker_init_fn[\s\S]*init of worker 0 failed/);
  });

  test(`${name}: a worker that cannot start is reported, not waited on`, { skip }, async () => {
    const f = await facts(run, ["boot", name === "node" ? "/nonexistent/pyodide/" : "/nope/pyodide/"]);
    assert.match(f.error, /DataLoader web worker \d failed to start: .*cannot import Pyodide from/);
    assert.ok(f.seconds < 30, `reported after ${f.seconds} s`);
  });
}

for (const engine of ENGINES) {
  test(`${engine}: the loader state in IndexedDB resumes the epoch after a page reload`,
    { skip: skipReason(engine, "persistentProfile", "jspi") ?? false }, async () => {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-workers-profile-"));
      try {
        const opts = { userDataDir: profile, port: await freePort() };
        const saved = await facts(RUNTIMES[engine], ["save"], opts);
        assert.equal(saved.backend, "indexeddb");
        assert.deepEqual(saved.state, { version: 1, seed: 7, epoch: 0, batches: 6, sampler: null });
        const restored = await facts(RUNTIMES[engine], ["restore"], opts);
        assert.equal(restored.found, true);
        assert.deepEqual([...saved.first, ...restored.rest], reference.map[0]);
      } finally {
        fs.rmSync(profile, { recursive: true, force: true });
      }
    });
}
