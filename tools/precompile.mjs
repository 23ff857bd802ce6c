#!/usr/bin/env node
/**
 * Precompile what a first visit's boot imports, inside the Pyodide the JS package ships
 * (NOTE [ Precompiled boot ] in tools/precompile.py):
 *
 *   node tools/precompile.mjs --wheel dist/browser/torsh_data-0.1.0-py3-none-any.whl --out-dir js/wheel
 *
 * - boots Pyodide (node_modules/pyodide, or --pyodide DIR) under Node.js, installs the wheel
 *   and does what init() and a first load do (import torsh_data._jsapi, warm_up(), load and
 *   batch each record format), to learn which standard library modules they import;
 * - writes OUT/python_stdlib.zip: Pyodide's standard library with those modules as bytecode;
 * - rewrites the wheel (in place, or to --wheel-out) with a pyc beside each of its modules they import;
 * - writes OUT/boot.json: the Pyodide version the pycs are for, and the decoded sizes of the
 *   files a first visit downloads (for init()'s download progress when a server compresses).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parse(argv) {
  const o = { pyodide: path.join(ROOT, "node_modules/pyodide"), wheel: null, wheelOut: null, outDir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--pyodide") o.pyodide = path.resolve(argv[++i]);
    else if (a === "--wheel") o.wheel = path.resolve(argv[++i]);
    else if (a === "--wheel-out") o.wheelOut = path.resolve(argv[++i]);
    else if (a === "--out-dir") o.outDir = path.resolve(argv[++i]);
    else throw new Error(`precompile.mjs: unknown argument ${a}`);
  }
  if (!o.wheel || !o.outDir) throw new Error("precompile.mjs: --wheel and --out-dir are required");
  return o;
}

// What init() and a first load of each record format import (a few records each).
const FIRST_LOADS = `
import asyncio, importlib, json, sys, sysconfig
import torsh_data._jsapi as api
api.warm_up()
SOURCES = [
    ("a.csv", b"x,y,label\\n1,2,0\\n3,4,1\\n", {"label": "label", "shuffle": True}),
    ("a.csv", b"x,y\\n1,2\\n3,4\\n", {}),
    ("a.jsonl", b'{"a": 1}\\n{"a": 2}\\n', {}),
    ("a.json", b'[{"a": 1}, {"a": 2}]', {}),
    ("a.txt", b"the cat\\na dog\\n", {"tokenize": True}),
    ("a-images-idx3-ubyte", bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(8), {}),
]
async def main():
    for name, data, opts in SOURCES:
        loader = api.JsLoader(2, json.dumps(opts))
        await loader.load_bytes(data, name)
        loader.info_json()
        while await loader.next_batch() is not None:
            pass
await main()
sorted(sys.modules)  # compile_stdlib takes those in the zip
`;

export async function precompile({ pyodide: dir, wheel, wheelOut = null, outDir }) {
  const { loadPyodide, version } = await import(path.join(dir, "pyodide.mjs"));
  const py = await loadPyodide({ indexURL: dir + "/" });
  py.FS.mkdirTree("/precompile");
  for (const f of ["browser_wheel.py", "precompile.py"]) {
    py.FS.writeFile(`/precompile/${f}`, fs.readFileSync(path.join(ROOT, "tools", f)));
  }
  const site = py.runPython("import sysconfig; sysconfig.get_path('purelib')");
  const wheelBytes = new Uint8Array(fs.readFileSync(wheel));
  py.unpackArchive(wheelBytes, "wheel", { extractDir: site });
  py.runPython("import importlib; importlib.invalidate_caches()");
  const modules = (await py.runPythonAsync(FIRST_LOADS)).toJs();
  const stdlibPath = path.join(dir, "python_stdlib.zip");
  py.FS.writeFile("/precompile/stdlib.zip", fs.readFileSync(stdlibPath));
  py.FS.writeFile("/precompile/in.whl", wheelBytes);
  py.globals.set("modules", py.toPy(modules));
  py.runPython(`
import sys
sys.path.insert(0, "/precompile")
import precompile
with open("/precompile/stdlib.zip", "rb") as f:
    data = precompile.compile_stdlib(f.read(), modules)
with open("/precompile/stdlib.out.zip", "wb") as f:
    f.write(data)
with open("/precompile/in.whl", "rb") as f:
    data = precompile.add_pycs(f.read(), modules)
with open("/precompile/out.whl", "wb") as f:
    f.write(data)
`);
  fs.mkdirSync(outDir, { recursive: true });
  const stdlibOut = path.join(outDir, "python_stdlib.zip");
  fs.writeFileSync(stdlibOut, py.FS.readFile("/precompile/stdlib.out.zip"));
  const wheelTarget = wheelOut ?? wheel;
  fs.writeFileSync(wheelTarget, py.FS.readFile("/precompile/out.whl"));
  const size = (f) => fs.statSync(f).size;
  const stdlibBytes = fs.readFileSync(stdlibOut);
  const boot = {
    pyodide: version,
    stdlib: "python_stdlib.zip",
    // part of the boot snapshot's key: a snapshot holds zipimport's index of this very zip
    stdlibSha256: (await import("node:crypto")).createHash("sha256").update(stdlibBytes).digest("hex"),
    precompiled: modules.length,
    // decoded sizes of what a first visit downloads, by file name
    sizes: {
      "pyodide.asm.wasm": size(path.join(dir, "pyodide.asm.wasm")),
      "pyodide.asm.mjs": size(path.join(dir, "pyodide.asm.mjs")),
      "pyodide-lock.json": size(path.join(dir, "pyodide-lock.json")),
      "python_stdlib.zip": size(stdlibOut),
      "torsh_data.whl": size(wheelTarget),
    },
  };
  fs.writeFileSync(path.join(outDir, "boot.json"), JSON.stringify(boot, null, 2) + "\n");
  return { boot, stdlib: stdlibOut, wheel: wheelTarget };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let made;
  try {
    made = await precompile(parse(process.argv.slice(2)));
  } catch (e) { // Pyodide's errors would print a line of its minified source
    console.error(`precompile.mjs: ${e?.message ?? e}`);
    process.exit(1);
  }
  const { boot, stdlib, wheel } = made;
  console.log(`precompiled ${boot.precompiled} standard library modules for Pyodide ${boot.pyodide}: ` +
    `${path.relative(ROOT, stdlib)} (${boot.sizes["python_stdlib.zip"]} bytes), ${path.relative(ROOT, wheel)} ` +
    `(${boot.sizes["torsh_data.whl"]} bytes)`);
}
