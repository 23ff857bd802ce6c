#!/usr/bin/env node
/**
 * Put the torsh-data wheel inside the JS package, and (with --demo) assemble the browser demo.
 *
 *   node js/scripts/build.mjs [--wheel FILE.whl | --wheel-dir DIR] [--demo]
 *
 * - copies src/torsh_data/loader/pyodide_boot.mjs (the boot steps index.mjs shares with the
 *   loader's Web Workers) into js/;
 * - makes the browser build of the newest torsh_data-*.whl of DIR (default: the repository's
 *   dist/) with tools/browser_wheel.py (NOTE [ Browser wheel ]: docstrings stripped, files
 *   STORED so the server's gzip/brotli compresses across files) into DIR/browser/, and copies
 *   it to js/wheel/torsh_data.whl (the name init() loads); --release-wheel copies the release
 *   wheel as it is. PYTHON (default: the repository's .venv/bin/python) runs the tool.
 * - precompiles, inside Pyodide, what a first visit imports (tools/precompile.mjs, NOTE
 *   [ Precompiled boot ]): js/wheel/python_stdlib.zip, js/wheel/boot.json and the browser
 *   wheel's pycs (--no-precompile: neither; init() then uses Pyodide's own standard library).
 * - --demo: copies js/ (index.mjs, the wheel) and Pyodide's core files from node_modules/pyodide
 *   into examples/browser/vendor/, and writes the demo's generated datasets into
 *   examples/browser/data/ (deterministic; no network).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(JS, "..");
const DEMO = path.join(ROOT, "examples/browser");
// The files loadPyodide() fetches for the core interpreter and its standard library.
const PYODIDE_FILES = [
  "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json",
];

function parse(argv) {
  const o = { wheel: null, wheelDir: path.join(ROOT, "dist"), demo: false, release: false, precompile: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--wheel") o.wheel = path.resolve(argv[++i]);
    else if (a === "--wheel-dir") o.wheelDir = path.resolve(argv[++i]);
    else if (a === "--demo") o.demo = true;
    else if (a === "--release-wheel") o.release = true;
    else if (a === "--no-precompile") o.precompile = false;
    else { console.error(`build.mjs: unknown argument ${a}`); process.exit(2); }
  }
  return o;
}

function newestWheel(dir) {
  const wheels = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((n) => /^torsh_data-.*\.whl$/.test(n))
      .map((n) => path.join(dir, n)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
    : [];
  if (!wheels.length) {
    console.error(`build.mjs: no torsh_data-*.whl in ${dir}; build it first: ` +
      "python -m pip wheel --no-deps --no-build-isolation -w dist .");
    process.exit(1);
  }
  return wheels[0];
}

function copy(src, dst) {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
}

// ------------------------------------------------------------ demo data

/** Mulberry32: a tiny seeded PRNG so the generated data is the same on every build. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 16x16 images of three shapes (IDX3, uint8) and their labels (IDX1). */
function shapes(n, size = 16) {
  const r = rng(7);
  const head = (code, dims) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b[2] = 0x08; b[3] = dims.length;
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };
  const px = Buffer.alloc(n * size * size);
  const labels = Buffer.alloc(n);
  for (let k = 0; k < n; k++) {
    const kind = k % 3; // 0 disc, 1 square, 2 cross
    labels[k] = kind;
    const cx = 5 + r() * 6, cy = 5 + r() * 6, rad = 2.5 + r() * 2.5;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x - cx, dy = y - cy;
        const on = kind === 0 ? dx * dx + dy * dy <= rad * rad
          : kind === 1 ? Math.abs(dx) <= rad && Math.abs(dy) <= rad
            : (Math.abs(dx) <= 1 && Math.abs(dy) <= rad) || (Math.abs(dy) <= 1 && Math.abs(dx) <= rad);
        px[k * size * size + y * size + x] = on ? 200 + Math.floor(r() * 55) : Math.floor(r() * 40);
      }
    }
  }
  return {
    images: Buffer.concat([head(8, [n, size, size]), px]),
    labels: Buffer.concat([head(8, [n]), labels]),
  };
}

/** A tabular CSV: four features and a class label from a fixed linear rule plus noise. */
function tabular(n) {
  const r = rng(11);
  const rows = ["sepal_length,sepal_width,petal_length,petal_width,label"];
  for (let i = 0; i < n; i++) {
    const f = [4 + r() * 4, 2 + r() * 2.5, 1 + r() * 6, r() * 2.5].map((v) => v.toFixed(2));
    const s = Number(f[2]) + Number(f[3]) + (r() - 0.5);
    rows.push(`${f.join(",")},${s < 3 ? 0 : s < 6 ? 1 : 2}`);
  }
  return rows.join("\n") + "\n";
}

function sentences(n) {
  const r = rng(3);
  const subj = ["The cat", "A dog", "The model", "Every batch", "The browser", "A tensor"];
  const verb = ["reads", "shuffles", "loads", "caches", "streams", "decodes"];
  const obj = ["the data.", "a shard.", "each sample.", "the file!", "typed arrays.", "tokens."];
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: n }, () => `${pick(subj)} ${pick(verb)} ${pick(obj)}`).join("\n") + "\n";
}

function writeDemoData() {
  const dir = path.join(DEMO, "data");
  fs.mkdirSync(dir, { recursive: true });
  const s = shapes(600);
  fs.writeFileSync(path.join(dir, "shapes-images-idx3-ubyte"), s.images);
  fs.writeFileSync(path.join(dir, "shapes-labels-idx1-ubyte"), s.labels);
  fs.writeFileSync(path.join(dir, "flowers.csv"), tabular(1500));
  fs.writeFileSync(path.join(dir, "sentences.txt"), sentences(400));
}

// ------------------------------------------------------------------ main

/** The browser build of `wheel` (tools/browser_wheel.py), in `browser/` beside it. */
function browserWheel(wheel) {
  const python = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
  const out = path.join(path.dirname(wheel), "browser");
  const r = spawnSync(python, [path.join(ROOT, "tools/browser_wheel.py"), wheel, "-o", out],
    { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`build.mjs: tools/browser_wheel.py failed (${python}, exit ${r.status ?? r.error}):\n` +
      `${r.stdout ?? ""}${r.stderr ?? ""}`);
    process.exit(1);
  }
  const built = path.join(out, path.basename(wheel));
  if (!fs.existsSync(built)) {
    console.error(`build.mjs: tools/browser_wheel.py wrote no ${built}`);
    process.exit(1);
  }
  return built;
}

const o = parse(process.argv.slice(2));
// The boot steps index.mjs shares with the Python package's loader workers: one file, kept there.
copy(path.join(ROOT, "src/torsh_data/loader/pyodide_boot.mjs"), path.join(JS, "pyodide_boot.mjs"));
const release = o.wheel ?? newestWheel(o.wheelDir);
const wheel = o.release ? release : browserWheel(release);
for (const f of ["boot.json", "python_stdlib.zip"]) fs.rmSync(path.join(JS, "wheel", f), { force: true });
if (o.precompile && !o.release) {
  const { precompile } = await import(path.join(ROOT, "tools/precompile.mjs"));
  try {
    const { boot } = await precompile({ pyodide: path.join(ROOT, "node_modules/pyodide"), wheel,
      outDir: path.join(JS, "wheel") });
    console.log(`precompiled for Pyodide ${boot.pyodide}: js/wheel/python_stdlib.zip, the wheel's modules`);
  } catch (e) { // Pyodide's errors would print a line of its minified source
    console.error(`build.mjs: tools/precompile.mjs failed: ${e?.message ?? e}`);
    process.exit(1);
  }
}
copy(wheel, path.join(JS, "wheel/torsh_data.whl"));
console.log(`wheel: ${path.relative(ROOT, wheel)} -> js/wheel/torsh_data.whl (${fs.statSync(wheel).size} bytes` +
  `${o.release ? "" : `; release wheel ${fs.statSync(release).size}`})`);
if (o.demo) {
  const vendor = path.join(DEMO, "vendor");
  fs.rmSync(path.join(vendor, "torsh-data"), { recursive: true, force: true });
  for (const f of ["index.mjs", "boot_cache.mjs", "pyodide_boot.mjs", "index.d.ts", "wheel/torsh_data.whl",
    "wheel/boot.json", "wheel/python_stdlib.zip"]) {
    if (fs.existsSync(path.join(JS, f))) copy(path.join(JS, f), path.join(vendor, "torsh-data", f));
  }
  const pyodide = path.join(ROOT, "node_modules/pyodide");
  for (const f of PYODIDE_FILES) copy(path.join(pyodide, f), path.join(vendor, "pyodide", f));
  writeDemoData();
  console.log(`demo: ${path.relative(ROOT, vendor)}/ and ${path.relative(ROOT, DEMO)}/data/ written`);
}
