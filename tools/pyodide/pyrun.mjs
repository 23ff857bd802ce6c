#!/usr/bin/env node
/**
 * Run a Python script inside Pyodide, under Node.js or in a headless browser.
 *
 *   node tools/pyodide/pyrun.mjs --runtime node|chromium|firefox|webkit [--wheel x.whl ...]
 *     [--wheel-dir dir ...] [--mount hostDir:/py/path ...] [--cwd /py/path]
 *     [--env K=V ...] [--timeout seconds] [--timings] [--no-jspi] (script.py | -c code) [args...]
 *
 * --no-jspi (Node.js only) runs Pyodide without JSPI, as WebKit does: Python cannot block on
 * a promise there (asyncio.run, pyodide.ffi.run_sync fail).
 *
 * Output is streamed; the process exits with the script's exit code, or 124
 * (timeout) / 125 (harness failure: Pyodide, browser or page) / 2 (bad usage).
 * Everything after the script (or -c code) is passed to it untouched.
 */
import { spawnSync } from "node:child_process";
import { ALL_ENGINES } from "./engines.mjs";
import { EXIT_HARNESS, NODE_JSPI_FLAG, UsageError, nodeHasJspi, runInBrowser, runInNode } from "./runtimes.mjs";

// Re-run with JSPI enabled (see runtimes.mjs) unless --no-jspi (parse() checks where it stands).
if (!nodeHasJspi() && !process.argv.slice(2).includes("--no-jspi")) {
  const args = [NODE_JSPI_FLAG, ...process.execArgv, ...process.argv.slice(1)];
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const USAGE = `usage: pyrun.mjs --runtime node|chromium|firefox|webkit [--wheel F.whl] [--wheel-dir DIR]
  [--mount HOSTDIR:/py/path] [--cwd /py/path] [--env K=V] [--timeout SECONDS]
  [--timings] [--no-jspi] (script.py | -c CODE) [args...]`;

function usage(msg) {
  process.stderr.write(`pyrun: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** Parse argv; options stop at the script (or -c CODE). */
function parse(argv) {
  const o = { runtime: null, wheels: [], wheelDirs: [], mounts: [], env: {}, args: [] };
  const multi = { "--wheel": "wheels", "--wheel-dir": "wheelDirs", "--mount": "mounts" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "-h" || a === "--help") { process.stdout.write(USAGE + "\n"); process.exit(0); }
    else if (a in multi) o[multi[a]].push(val());
    else if (a === "--runtime") o.runtime = val();
    else if (a === "--cwd") o.cwd = val();
    else if (a === "--timeout") o.timeout = Number(val());
    else if (a === "--timings") o.timings = true;
    else if (a === "--no-jspi") o.noJspi = true;
    else if (a === "--env") {
      const kv = val();
      const j = kv.indexOf("=");
      if (j <= 0) usage(`--env wants K=V, got ${kv}`);
      o.env[kv.slice(0, j)] = kv.slice(j + 1);
    } else if (a === "-c") { o.code = val(); o.args = argv.slice(i + 1); break; }
    else if (a.startsWith("-") && a !== "-") usage(`unknown option ${a}`);
    else { o.script = a; o.args = argv.slice(i + 1); break; }
  }
  if (!["node", ...ALL_ENGINES].includes(o.runtime)) usage(`--runtime must be one of node, ${ALL_ENGINES.join(", ")}`);
  if (o.script == null && o.code == null) usage("no script given");
  if (o.noJspi && o.runtime !== "node") usage("--no-jspi is for --runtime node (a browser has JSPI or not)");
  if (o.noJspi && nodeHasJspi()) usage(`--no-jspi: this Node.js has JSPI (started with ${NODE_JSPI_FLAG}?)`);
  if (!o.noJspi && !nodeHasJspi()) usage("--no-jspi goes before the script (after it, it is the script's)");
  if (o.timeout !== undefined && !(o.timeout > 0)) usage("--timeout must be a positive number");
  return o;
}

const o = parse(process.argv.slice(2));
const run = o.runtime === "node" ? runInNode : (opts) => runInBrowser(o.runtime, opts);
let result;
try {
  result = await run({
    ...o,
    onStdout: (s) => process.stdout.write(s),
    onStderr: (s) => process.stderr.write(s),
  });
} catch (e) {
  if (e instanceof UsageError) usage(e.message);
  process.stderr.write(`[pyrun] harness error: ${e?.stack ?? e}\n`);
  process.exit(EXIT_HARNESS);
}
if (o.timings) {
  const t = Object.entries(result.timings).map(([k, v]) => `${k}=${(v / 1000).toFixed(2)}s`);
  process.stderr.write(`[pyrun] ${o.runtime} timings: ${t.join(" ")}\n`);
}
// Make sure piped output is flushed before exiting.
await new Promise((r) => process.stdout.write("", r));
await new Promise((r) => process.stderr.write("", r));
process.exit(result.code);
