// The installable package (issue #18): js/scripts/pack.mjs (`./dev pack`) writes
// torsh-data-<version>.tgz with the wheel inside; `npm install ./torsh-data-<version>.tgz` in a
// fresh folder is all a web developer does: it brings Pyodide, runs no install script (no
// Python needed), and a plain Node.js script gets a first batch from it.
//
// Run: node --test tests/runtimes/pack.test.mjs (PYTHON, TORSH_JS_BUILT, TORSH_WHEEL_DIR as in js_suite.mjs)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { ROOT, freshDir, npmInstall, packTarball, removeFreshDirs, run } from "./recipe_support.mjs";

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "js/package.json"), "utf8"));
const ROOT_PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
let tarball;

before(() => { tarball = packTarball(); });
after(removeFreshDirs);

test("the tarball: its name, the files a page needs and nothing else, no install scripts", () => {
  assert.equal(path.basename(tarball), `torsh-data-${PKG.version}.tgz`);
  const entries = run("tar", ["-tzf", tarball]).trim().split("\n").map((e) => e.replace(/^package\//, "")).sort();
  assert.deepEqual(entries, ["README.md", "boot_cache.mjs", "index.d.mts", "index.d.ts", "index.mjs", "package.json",
    "pyodide_boot.mjs", "wheel/boot.json", "wheel/python_stdlib.zip", "wheel/torsh_data.whl", "worker_client.d.ts",
    "worker_client.mjs"]);
  const packed = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"]));
  for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
    assert.equal(packed.scripts?.[hook], undefined, `an install script (${hook}) would run on npm install`);
  }
  // Pyodide comes with the package, at the version the repository tests it with
  assert.equal(packed.dependencies?.pyodide, ROOT_PKG.devDependencies.pyodide);
  for (const [sub, target] of Object.entries(packed.exports)) {
    const files = typeof target === "string" ? [target] : Object.values(target);
    for (const f of files) assert.ok(entries.includes(f.replace(/^\.\//, "")), `exports["${sub}"] names ${f}, not packed`);
  }
});

test("npm install of the tarball in a fresh folder; a Node.js script gets a first batch", { timeout: 600_000 }, async () => {
  const app = freshDir("app");
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npmInstall(app, tarball);
  const pyodide = JSON.parse(fs.readFileSync(path.join(app, "node_modules/pyodide/package.json"), "utf8"));
  assert.equal(pyodide.version, ROOT_PKG.devDependencies.pyodide);
  fs.writeFileSync(path.join(app, "app.mjs"), `
import { init, WasmDataLoader } from "torsh-data";
import { WorkerClient } from "torsh-data/worker";
await init();
const loader = new WasmDataLoader(2, { label: "y" });
await loader.loadFromBytes(new TextEncoder().encode("a,b,y\\n1,2,0\\n3,4,1\\n5,6,0\\n"), "d.csv");
const { x, y } = await loader.nextBatch();
console.log(JSON.stringify({ x: [...x.data], shape: x.shape, y: [...y.data].map(Number), len: loader.len,
  worker: typeof WorkerClient, printed: Date.now() }));
`);
  const out = await runNode(app, "app.mjs", 300_000);
  const exited = Date.now();
  const { printed, ...got } = JSON.parse(out.trim().split("\n").at(-1));
  assert.deepEqual(got, { x: [1, 2, 3, 4], shape: [2, 2], y: [0, 1], len: 2, worker: "function" });
  // The script ends by itself: no timer of a finished wait keeps Node.js alive (the load's
  // chunk_timeout of 120 s did, through Pyodide's uncleared setTimeout; see _runtime.wait_for)
  assert.ok(exited - printed < 60_000, `node stayed alive ${exited - printed} ms after its last line`);
});

function runNode(cwd, script, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`node ${script} timed out:\n${out}\n${err}`)); }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out); else reject(new Error(`node ${script} exited ${code}:\n${out}\n${err}`));
    });
  });
}
