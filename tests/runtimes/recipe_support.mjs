// What the recipe tests share: pack the npm tarball (js/scripts/pack.mjs), copy an example
// project into a fresh folder, npm-install the tarball there as a web developer would.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv/bin/python");
const WHEEL_DIR = path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist"));

const made = [];

/** A new empty directory under the system's temporary one (not inside the repository). */
export function freshDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `torsh-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Remove the directories freshDir() made (TORSH_KEEP_RECIPES=1 keeps them to look at). */
export function removeFreshDirs() {
  if (process.env.TORSH_KEEP_RECIPES === "1") return;
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Run a command; fail the test with its output unless it exits 0 within `timeoutMs`. */
export function run(cmd, args, { cwd, timeoutMs = 120_000, env } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, encoding: "utf8", timeout: timeoutMs });
  const what = `${cmd} ${args.join(" ")} (in ${cwd ?? process.cwd()})`;
  assert.equal(r.error?.code === "ETIMEDOUT" ? "timed out" : r.status, 0,
    `${what} failed (exit ${r.status}, ${r.error ?? "no error"}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * `torsh-data-<version>.tgz` in a fresh folder, by js/scripts/pack.mjs: from the JS package as
 * ./dev built it (TORSH_JS_BUILT=1), else built first from TORSH_WHEEL_DIR's wheel.
 */
export function packTarball() {
  const out = freshDir("pack");
  const built = process.env.TORSH_JS_BUILT === "1" ? ["--no-build"] : ["--wheel-dir", WHEEL_DIR];
  const stdout = run(process.execPath, [path.join(ROOT, "js/scripts/pack.mjs"), "--out", out, ...built],
    { env: { ...process.env, PYTHON } });
  const tarball = stdout.trim().split("\n").at(-1);
  assert.ok(fs.existsSync(tarball), `pack.mjs printed ${tarball}, which does not exist:\n${stdout}`);
  return tarball;
}

/** A copy of the example project `examples/<name>/` in a fresh folder (no node_modules, dist/). */
export function copyExample(name) {
  const dest = path.join(freshDir(name), name);
  const skip = new Set(["node_modules", "dist", "pyodide"]);
  fs.cpSync(path.join(ROOT, "examples", name), dest,
    { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
  return dest;
}

/**
 * `npm install <tarball>` in `dir`, from the local npm cache where it can (the npm registry
 * otherwise, for what the cache lacks); nothing else is fetched.
 */
export function npmInstall(dir, tarball, timeoutMs = 300_000) {
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball],
    { cwd: dir, timeoutMs });
}
