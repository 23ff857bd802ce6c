// Cross-runtime tests: the same seeded pipelines give the same bytes on CPython 3.11 and 3.10,
// in Pyodide under Node.js and in each headless browser engine (Chromium, Firefox, WebKit); and
// a real-browser smoke test that reads a batch handed to JavaScript as a typed array.
//
// Run by ./dev test as: node --experimental-wasm-stack-switching --test tests/runtimes/
// with PYTHON and PYTHON310 pointing at the native interpreters (torsh_data installed).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES } from "../../tools/pyodide/engines.mjs";
import { runInBrowser, runInNode } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HERE = path.join(ROOT, "tests/runtimes");
const common = {
  wheelDirs: [path.join(ROOT, "dist"), path.join(ROOT, ".cache/pyodide-wheels")],
  mounts: [`${path.join(ROOT, "tests")}:/work/tests`],
  cwd: "/work",
  timeout: 300,
};

function native(python, script) {
  const exe = process.env[python];
  assert.ok(exe, `set ${python} to a Python with torsh_data installed`);
  return JSON.parse(execFileSync(exe, [path.join(HERE, script)], { encoding: "utf8" }));
}

async function inPyodide(run, script, extra = {}) {
  const r = await run({ ...common, ...extra, script: path.join(HERE, script) });
  assert.equal(r.code, 0, `${script} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return { json: JSON.parse(lines[lines.length - 1]), inspected: r.inspected };
}

let reference; // the native digests, computed once
const probeReference = () => (reference ??= native("PYTHON", "probe.py"));

test("seeded pipelines give identical digests on CPython 3.11, 3.10 and Pyodide/Node", async () => {
  const ref = probeReference();
  assert.ok(Object.keys(ref).length >= 9);
  assert.deepEqual(native("PYTHON310", "probe.py"), ref, "CPython 3.10 differs");
  const node = await inPyodide(runInNode, "probe.py");
  assert.deepEqual(node.json, ref, "Pyodide under Node.js differs");
});

for (const engine of ENGINES) {
  const run = (opts) => runInBrowser(engine, opts);

  test(`${engine}: seeded pipelines give the digests of CPython`, async () => {
    const { json } = await inPyodide(run, "probe.py");
    assert.deepEqual(json, probeReference(), `Pyodide in ${engine} differs`);
  });

  test(`${engine}: a seeded batch reaches JavaScript as a Float32Array equal to the native batch`, async () => {
    const expected = native("PYTHON", "smoke.py");
    const { json, inspected } = await inPyodide(run, "smoke.py", {
      inspect: () => {
        const b = globalThis.torshBatch;
        return { type: b.data.constructor.name, dtype: b.dtype, shape: Array.from(b.shape), data: Array.from(b.data) };
      },
    });
    assert.equal(json.runtime, "pyodide-browser");
    assert.equal(inspected.type, "Float32Array");
    assert.equal(inspected.dtype, "float32");
    assert.deepEqual(inspected.shape, expected.shape);
    assert.deepEqual(inspected.data, expected.values.flat());
    assert.deepEqual(json.values, expected.values);
  });
}

test("the quickstart prints the same batches natively and in Pyodide under Node.js", async () => {
  const exe = process.env.PYTHON;
  assert.ok(exe, "set PYTHON to a Python with torsh_data installed");
  const script = path.join(ROOT, "examples/quickstart.py");
  const nativeOut = execFileSync(exe, [script], { encoding: "utf8" });
  const r = await runInNode({ ...common, mounts: [...common.mounts, `${path.join(ROOT, "examples")}:/work/examples`],
    script });
  assert.equal(r.code, 0, r.stderr);
  const body = (s) => s.trim().split("\n").slice(1);  // all but the "runtime:" line
  assert.ok(body(nativeOut).length > 8);
  assert.deepEqual(body(r.stdout), body(nativeOut));
});
