#!/usr/bin/env node
/**
 * Make the installable npm package: `torsh-data-<version>.tgz`, the wheel inside.
 *
 *   node js/scripts/pack.mjs [--out DIR] [--no-build] [--wheel-dir DIR]
 *
 * - runs js/scripts/build.mjs (the browser wheel of the newest dist/torsh_data-*.whl into
 *   js/wheel/, pyodide_boot.mjs into js/) unless --no-build (js/ is already built);
 * - checks that every file the package needs is there (a tarball without its wheel would
 *   install and then fail at init());
 * - `npm pack` of js/ into DIR (default: build/pack/), and prints the tarball's path last.
 *
 * `npm install ./torsh-data-<version>.tgz` is then all a web developer does: the package
 * brings Pyodide (a dependency) and needs no Python toolchain.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(JS, "..");

function parse(argv) {
  const o = { out: path.join(ROOT, "build/pack"), build: true, wheelDir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") o.out = path.resolve(argv[++i]);
    else if (a === "--no-build") o.build = false;
    else if (a === "--wheel-dir") o.wheelDir = path.resolve(argv[++i]);
    else { console.error(`pack.mjs: unknown argument ${a}`); process.exit(2); }
  }
  return o;
}

function fail(message) {
  console.error(`pack.mjs: ${message}`);
  process.exit(1);
}

const o = parse(process.argv.slice(2));
if (o.build) {
  const args = [path.join(JS, "scripts/build.mjs"), ...(o.wheelDir ? ["--wheel-dir", o.wheelDir] : [])];
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) fail(`js/scripts/build.mjs failed (exit ${r.status ?? r.error})`);
}
const pkg = JSON.parse(fs.readFileSync(path.join(JS, "package.json"), "utf8"));
for (const f of ["wheel/torsh_data.whl", "pyodide_boot.mjs", ...pkg.files.filter((f) => !f.endsWith("/"))]) {
  if (!fs.existsSync(path.join(JS, f))) {
    fail(`js/${f} is missing; build the JS package first (node js/scripts/build.mjs, or drop --no-build)`);
  }
}
fs.mkdirSync(o.out, { recursive: true });
const r = spawnSync("npm", ["pack", "--json", "--pack-destination", o.out], { cwd: JS, encoding: "utf8" });
if (r.status !== 0) fail(`npm pack failed (exit ${r.status ?? r.error}):\n${r.stdout}${r.stderr}`);
const [info] = JSON.parse(r.stdout);
const tarball = path.join(o.out, info.filename);
const names = new Set(info.files.map((f) => f.path));
for (const f of ["wheel/torsh_data.whl", "pyodide_boot.mjs", "index.mjs", "index.d.ts"]) {
  if (!names.has(f)) fail(`${tarball} lacks ${f} (js/package.json's "files")`);
}
console.log(`${info.name}@${info.version}: ${info.entryCount} files, ${info.size} bytes (unpacked ${info.unpackedSize})`);
console.log(tarball);
