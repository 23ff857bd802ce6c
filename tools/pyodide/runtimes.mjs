/**
 * Run a Python script inside the real Pyodide runtime (npm `pyodide`),
 * either under Node.js (in a worker thread, so a timeout can stop it) or in a
 * headless browser (Chromium, Firefox or WebKit, driven through engines.mjs),
 * the page being served from a local static HTTP server on 127.0.0.1.
 *
 *   import { runInNode, runInBrowser } from "./tools/pyodide/runtimes.mjs";
 *   const { code, stdout, stderr, timings } = await runInNode({ script, ... });
 *   const r = await runInBrowser("firefox", { script, ... });
 *
 * Options (all runtimes):
 *   script      host path of the script (translated to its Pyodide path when it
 *               lies in a mounted dir, otherwise copied to /pyrun/<name>), or an
 *               absolute Pyodide path that does not exist on the host
 *   code        Python source to run instead of a script (like `python -c`)
 *   args        arguments after the script name (sys.argv[1:])
 *   wheels      host paths of .whl files to install into site-packages
 *   wheelDirs   host dirs whose *.whl files are installed too
 *   mounts      [{host, py}] or ["hostDir:/py/path"]; Node: mountNodeFS (live,
 *               writes reach the host); browsers: the files are copied in,
 *               once, skipping SKIP_DIRS (__pycache__, .git, node_modules,
 *               tool caches); nothing is written back
 *   cwd         working directory inside Pyodide
 *   env         {K: V} for os.environ (also given to loadPyodide)
 *   timeout     overall seconds for boot + run (default 120)
 *   onStdout/onStderr  callbacks receiving output text as it is written
 *   writeBytecode      allow __pycache__ writes (default false)
 * Browsers only (the executables: $PYRUN_CHROMIUM, $PYRUN_FIREFOX, see engines.mjs):
 *   inspect     a function (or expression) evaluated in the page after the script
 *               exits 0; its (serialisable) value is returned as `inspected`
 *   userDataDir a browser profile directory kept between runs, so IndexedDB and other
 *               storage survive into the next run; give the same `port` too, since
 *               storage belongs to the origin (caps.persistentProfile)
 *   port        port of the page server on 127.0.0.1 (default: a free one)
 *   storageQuota bytes of storage quota for the page's origin (Chromium only:
 *               DevTools Storage.overrideQuotaForOrigin), to exercise QuotaExceededError
 *   connectSrc  origins the page may also fetch from (added to the page's
 *               Content-Security-Policy as `connect-src 'self' ...`), e.g. a test server
 *   beforeRun   async function (session) called once the page is up and before the
 *               script starts, e.g. to hand it a file with session.setInputFiles
 *
 * Result: {code, stdout, stderr, timings}. `code` is the script's exit code, or
 * EXIT_TIMEOUT / EXIT_HARNESS when the harness itself failed (a message is
 * then written to onStderr and included in `stderr`).
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { ALL_ENGINES, CAPS, ERROR_COLLECTOR, launch, skipReason, withTimeout } from "./engines.mjs";

/**
 * JSPI lets Python block on JavaScript promises, so asyncio.run() works in Pyodide as in
 * CPython. Chromium has it; Node.js 20 needs this V8 flag on its command line (setting it at
 * run time crashes V8). pyrun.mjs re-executes itself with it; node:test files are started
 * with it by ./dev.
 */
export const NODE_JSPI_FLAG = "--experimental-wasm-stack-switching";
export const nodeHasJspi = () =>
  typeof WebAssembly.Suspending === "function" || process.execArgv.includes(NODE_JSPI_FLAG);

export const EXIT_TIMEOUT = 124; // like coreutils `timeout`
export const EXIT_HARNESS = 125; // Pyodide/browser/page failed before or around the script

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const PYODIDE_DIR = path.join(ROOT, "node_modules/pyodide");
const SKIP_DIRS = new Set([
  "__pycache__", ".pytest_cache", "node_modules", ".git", ".hypothesis", ".mypy_cache", ".ruff_cache",
]);
// worker-src blob:: the DataLoader's Web Workers are module workers made from a Blob URL.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";

// ---------------------------------------------------------------- options

/** Bad options (missing wheel, bad mount, ...): thrown before anything starts. */
export class UsageError extends Error {}

/** Normalise user options into what both runtimes need. */
function prepare(opts) {
  const mounts = (opts.mounts ?? []).map((m) => {
    if (typeof m === "string") {
      const i = m.lastIndexOf(":");
      if (i <= 0) throw new UsageError(`bad mount ${JSON.stringify(m)}; want hostDir:/py/path`);
      m = { host: m.slice(0, i), py: m.slice(i + 1) };
    }
    const host = path.resolve(m.host);
    if (!fs.statSync(host, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`mount source is not a directory: ${host}`);
    }
    if (!m.py.startsWith("/")) throw new UsageError(`mount target must be absolute: ${m.py}`);
    return { host, py: m.py.replace(/\/+$/, "") || "/" };
  });

  const wheels = (opts.wheels ?? []).map((w) => path.resolve(w));
  for (const dir of opts.wheelDirs ?? []) {
    for (const name of fs.readdirSync(dir).sort()) {
      if (name.endsWith(".whl")) wheels.push(path.resolve(dir, name));
    }
  }
  for (const w of wheels) if (!fs.existsSync(w)) throw new UsageError(`wheel not found: ${w}`);

  const files = {};
  let scriptPath = null;
  if (opts.script != null) {
    const host = path.resolve(opts.script);
    const m = mounts.find((m) => host.startsWith(m.host + path.sep));
    if (m) {
      scriptPath = path.posix.join(m.py, path.relative(m.host, host).split(path.sep).join("/"));
    } else if (fs.existsSync(host)) {
      scriptPath = `/pyrun/${path.basename(host)}`;
      files[scriptPath] = fs.readFileSync(host, "utf8");
    } else if (opts.script.startsWith("/")) {
      scriptPath = opts.script; // a path inside Pyodide
    } else {
      throw new UsageError(`script not found: ${opts.script}`);
    }
  } else if (opts.code == null) {
    throw new UsageError("give a script or code");
  }

  return {
    mounts, wheels,
    run: {
      scriptPath, code: opts.code ?? null, files, argv: (opts.args ?? []).map(String),
      cwd: opts.cwd ?? null, env: { ...(opts.env ?? {}) }, writeBytecode: !!opts.writeBytecode,
    },
    timeoutMs: (opts.timeout ?? 120) * 1000,
  };
}

/** Output collector shared by both runtimes. */
function sink(opts) {
  const out = [], err = [];
  return {
    out: (s) => { out.push(s); opts.onStdout?.(s); },
    err: (s) => { err.push(s); opts.onStderr?.(s); },
    result: (code, timings) => ({ code, stdout: out.join(""), stderr: err.join(""), timings }),
  };
}

// ------------------------------------------------------------------- Node

/** Run in Pyodide under Node.js, in a worker thread that is killed on timeout. */
export async function runInNode(opts) {
  const p = prepare(opts);
  const io = sink(opts);
  const timings = {};
  const t0 = performance.now();
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { pyrunWorker: true, mounts: p.mounts, wheels: p.wheels, run: p.run },
  });
  let phase = "starting worker";
  let timer;
  const code = await new Promise((resolve) => {
    let settled = false;
    const finish = (code, msg) => {
      if (settled) return;
      settled = true;
      if (msg) io.err(`\n[pyrun] ${msg}\n`);
      resolve(code);
    };
    timer = setTimeout(() => finish(EXIT_TIMEOUT,
      `timed out after ${p.timeoutMs / 1000}s (node, during: ${phase})`), p.timeoutMs);
    worker.on("message", (m) => {
      if (settled) return;
      if (m.t === "out") io.out(m.s);
      else if (m.t === "err") io.err(m.s);
      else if (m.t === "phase") { if (m.done) timings[m.done] = m.ms; phase = m.next; }
      else if (m.t === "done") finish(m.code);
      else if (m.t === "fatal") finish(EXIT_HARNESS, `Pyodide (node) failed during ${phase}: ${m.error}`);
    });
    worker.on("error", (e) => finish(EXIT_HARNESS, `worker error during ${phase}: ${e?.stack ?? e}`));
    // Let already-posted messages land first.
    worker.on("exit", (c) => setImmediate(() =>
      finish(EXIT_HARNESS, `worker exited (code ${c}) during ${phase}`)));
  });
  clearTimeout(timer);
  await worker.terminate();
  timings.total = performance.now() - t0;
  return io.result(code, timings);
}

/** Worker-thread side of runInNode. */
async function workerMain({ mounts, wheels, run }) {
  const post = (m) => parentPort.postMessage(m);
  let t = performance.now();
  const phase = (done, next) => {
    const now = performance.now();
    post({ t: "phase", done, next, ms: now - t });
    t = now;
  };
  try {
    post({ t: "phase", next: "loadPyodide" });
    const { loadPyodide } = await import("pyodide");
    const { runPython } = await import("./boot.mjs");
    const pyodide = await loadPyodide({ env: run.env });
    phase("loadPyodide", "mount+read wheels");
    for (const m of mounts) pyodide.mountNodeFS(m.py, m.host);
    const wheelBytes = wheels.map((w) => new Uint8Array(fs.readFileSync(w))); // not a Buffer
    phase("mount+read wheels", "install+run");
    const code = await runPython(pyodide, {
      ...run, wheels: wheelBytes,
      onStdout: (s) => post({ t: "out", s }),
      onStderr: (s) => post({ t: "err", s }),
    });
    phase("install+run", "finished");
    post({ t: "done", code });
  } catch (e) {
    post({ t: "fatal", error: String(e?.stack ?? e) });
  }
}

if (!isMainThread && workerData?.pyrunWorker) workerMain(workerData);

// ---------------------------------------------------------------- browsers

const MIME = {
  ".html": "text/html; charset=utf-8", ".mjs": "text/javascript", ".js": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".map": "application/json",
  ".zip": "application/zip", ".whl": "application/zip", ".py": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8", ".d.ts": "text/plain",
};

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>pyrun</title>
<script src="/diag.js"></script>
<script type="module" src="/page.mjs"></script></head>
<body>pyrun</body></html>
`;

/** Page module: loads Pyodide + boot.mjs, exposes window.pyrun(cfg). */
const PAGE_MJS = `
import { loadPyodide } from "/pyodide/pyodide.mjs";
import { runPython } from "/boot.mjs";

// Messages go to the harness as synchronous POSTs to this page's own server: in order, and
// also while Python keeps the page busy (an engine without JSPI runs the whole script in
// one task, when no evaluate from the harness can read anything in the page).
const post = (kind, data) => {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/msg", false);
  xhr.setRequestHeader("Content-Type", "application/json");
  xhr.send(JSON.stringify([kind, data]));
};

// Output is coalesced: a write goes out at once after a quiet spell, rapid
// writes are batched (<= 25 ms or 64 KiB), since each message costs a request.
// Caveat: if Python then blocks the page forever, that last batch stays here.
let buf = [], bufLen = 0, last = 0, timer = null;
const flush = () => {
  clearTimeout(timer);
  timer = null;
  if (buf.length) post("io", buf);
  buf = [];
  bufLen = 0;
  last = performance.now();
};
const write = (kind) => (s) => {
  const tail = buf[buf.length - 1];
  if (tail && tail[0] === kind) tail[1] += s; else buf.push([kind, s]);
  bufLen += s.length;
  if (bufLen >= 65536 || performance.now() - last >= 25) flush();
  else if (!timer) timer = setTimeout(flush, 25);
};
const emit = (kind, data) => { flush(); post(kind, data); };
const bytes = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error("GET " + url + ": HTTP " + r.status);
  return new Uint8Array(await r.arrayBuffer());
};
const enc = (rel) => rel.split("/").map(encodeURIComponent).join("/");

window.pyrun = async (cfg) => {
  let t = performance.now();
  const phase = (done, next) => {
    const now = performance.now();
    emit("phase", { done, next, ms: now - t });
    t = now;
  };
  try {
    phase(undefined, "loadPyodide");
    const pyodide = await loadPyodide({ indexURL: "/pyodide/", env: cfg.run.env });
    phase("loadPyodide", "fetch wheels+files");
    const wheels = await Promise.all(cfg.wheelUrls.map(bytes));
    const files = { ...cfg.run.files };
    for (const m of cfg.mounts) {
      pyodide.FS.mkdirTree(m.py);
      const r = await fetch("/manifest/" + m.id + ".json");
      if (!r.ok) throw new Error("manifest " + m.id + ": HTTP " + r.status);
      const list = await r.json();
      await Promise.all(list.map(async (rel) => {
        files[(m.py === "/" ? "" : m.py) + "/" + rel] = await bytes("/mount/" + m.id + "/" + enc(rel));
      }));
    }
    phase("fetch wheels+files", "install+run");
    const code = await runPython(pyodide, {
      ...cfg.run, wheels, files,
      onStdout: write(1),
      onStderr: write(2),
    });
    phase("install+run", "finished");
    emit("done", code);
  } catch (e) {
    // V8's stack starts with the message; Firefox's and WebKit's hold frames only.
    const stack = String((e && e.stack) || "");
    emit("fatal", stack.includes(String(e && e.message)) ? stack : String(e) + "\\n" + stack);
  }
};
`;

/** Relative POSIX paths of all files under dir, skipping SKIP_DIRS. */
function listFiles(dir, prefix = "") {
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, ent.name);
    const rel = prefix + ent.name;
    const st = fs.statSync(abs, { throwIfNoEntry: false }); // follows symlinks
    if (!st) continue;
    if (st.isDirectory()) { if (!SKIP_DIRS.has(ent.name)) out.push(...listFiles(abs, rel + "/")); }
    else if (st.isFile()) out.push(rel);
  }
  return out;
}

/** Serve `file` if it lies inside `root` (no ../ escapes). */
function sendFile(res, root, rel, extraHeaders = {}) {
  const file = path.resolve(root, "." + path.sep + rel);
  if (file !== root && !file.startsWith(root + path.sep)) return notFound(res);
  fs.stat(file, (e, st) => {
    if (e || !st.isFile()) return notFound(res);
    const ext = file.endsWith(".d.ts") ? ".d.ts" : path.extname(file);
    res.writeHead(200, {
      "Content-Type": MIME[ext] ?? "application/octet-stream",
      "Content-Length": st.size, "Cache-Control": "no-store", ...extraHeaders,
    });
    fs.createReadStream(file).pipe(res);
  });
}

function notFound(res) {
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found");
}

function sendText(res, type, body, headers = {}) {
  res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store", ...headers });
  res.end(body);
}

/** Static server for the page, Pyodide, boot.mjs, wheels and mounted dirs. */
async function startServer(p, port = 0, connectSrc = [], onMessage = () => {}) {
  const csp = connectSrc.length ? `${CSP}; connect-src 'self' ${connectSrc.join(" ")}` : CSP;
  const wheelDirs = p.wheels.map((w) => path.dirname(w));
  const server = http.createServer((req, res) => {
    if (req.method === "POST" && req.url === "/msg") { // the page's messages (PAGE_MJS post)
      const body = [];
      req.on("data", (d) => body.push(d));
      req.on("end", () => {
        res.writeHead(204);
        res.end();
        try { onMessage(JSON.parse(Buffer.concat(body).toString("utf8"))); } catch (e) { onMessage(["fatal", `bad message: ${e}`]); }
      });
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") { res.writeHead(405); return res.end(); }
    let url;
    try { url = decodeURIComponent(new URL(req.url, "http://x").pathname); } catch { return notFound(res); }
    let m;
    if (url === "/" || url === "/index.html") {
      sendText(res, MIME[".html"], INDEX_HTML, { "Content-Security-Policy": csp });
    } else if (url === "/favicon.ico") {
      res.writeHead(204);
      res.end();
    } else if (url === "/diag.js") {
      sendText(res, MIME[".js"], `(${ERROR_COLLECTOR})();`);
    } else if (url === "/page.mjs") {
      sendText(res, MIME[".mjs"], PAGE_MJS);
    } else if (url === "/boot.mjs") {
      sendFile(res, HERE, "boot.mjs");
    } else if (url.startsWith("/pyodide/")) {
      sendFile(res, PYODIDE_DIR, url.slice("/pyodide/".length));
    } else if ((m = url.match(/^\/wheels\/(\d+)\/([^/]+)$/)) && wheelDirs[m[1]]) {
      if (path.basename(p.wheels[m[1]]) !== m[2]) return notFound(res);
      sendFile(res, wheelDirs[m[1]], m[2]);
    } else if ((m = url.match(/^\/manifest\/(\d+)\.json$/)) && p.mounts[m[1]]) {
      sendText(res, MIME[".json"], JSON.stringify(listFiles(p.mounts[m[1]].host)));
    } else if ((m = url.match(/^\/mount\/(\d+)\/(.+)$/)) && p.mounts[m[1]]) {
      const rel = m[2];
      if (rel.split("/").some((seg) => SKIP_DIRS.has(seg))) return notFound(res);
      sendFile(res, p.mounts[m[1]].host, rel, { "Content-Type": "application/octet-stream" });
    } else {
      notFound(res);
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => {
    server.closeAllConnections?.();
    server.close(() => r());
  }) };
}

/**
 * Run in Pyodide inside a page of a headless browser: `engine` is one of ENGINES
 * ("chromium", "firefox", "webkit"; see engines.mjs).
 */
export async function runInBrowser(engine, opts) {
  if (!ALL_ENGINES.includes(engine)) throw new UsageError(`unknown browser engine ${engine}; want one of ${ALL_ENGINES}`);
  if (opts.storageQuota != null && !CAPS[engine].storageQuota) throw new UsageError(skipReason(engine, "storageQuota"));
  if (opts.userDataDir && !CAPS[engine].persistentProfile) throw new UsageError(skipReason(engine, "persistentProfile"));
  const p = prepare(opts);
  const io = sink(opts);
  const timings = {};
  const t0 = performance.now();
  const deadline = t0 + p.timeoutMs;
  const left = () => Math.max(1, deadline - performance.now());
  let phase = "starting server";
  let server, session;

  let settle;
  let settled = false;
  const finished = new Promise((r) => { settle = (v) => { settled = true; r(v); }; });
  const handle = ([kind, data]) => {
    if (settled) return;
    if (kind === "io") for (const [k, s] of data) (k === 1 ? io.out : io.err)(s);
    else if (kind === "phase") { if (data.done) timings[data.done] = data.ms; phase = data.next; }
    else if (kind === "done") settle({ code: data });
    else if (kind === "fatal") settle({ code: EXIT_HARNESS, msg: `Pyodide (${engine}) failed during ${phase}: ${data}` });
  };

  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(() => r({ code: EXIT_TIMEOUT, msg: null }), p.timeoutMs);
  });
  const step = async (name, promise) => {
    phase = name;
    const r = await Promise.race([promise.then((v) => ({ v })), timeout]);
    if ("v" in r) return r.v;
    throw Object.assign(new Error("timeout"), { exitCode: EXIT_TIMEOUT });
  };

  let outcome;
  let inspected;
  try {
    server = await startServer(p, opts.port ?? 0, opts.connectSrc ?? [], handle);
    const tl = performance.now();
    session = await step(`launching ${engine}`, launch(engine, { timeoutMs: left(), userDataDir: opts.userDataDir }));
    timings[`launch_${engine}`] = performance.now() - tl;
    session.crashed.then((msg) => settle({ code: EXIT_HARNESS, msg }));

    const tp = performance.now();
    await step("loading page", session.goto(server.url + "/"));
    // page.mjs only imports two modules: if it is not up in 30 s, it never will be.
    await step("waiting for page.mjs", session.waitFor(() => typeof window.pyrun === "function", null,
      Math.min(left(), 30_000)));
    timings.loadPage = performance.now() - tp;
    if (opts.storageQuota != null) {
      await step("setting the storage quota", session.overrideQuota(server.url, opts.storageQuota));
    }
    if (opts.beforeRun) await step("before run", opts.beforeRun(session));
    const cfg = {
      run: p.run,
      wheelUrls: p.wheels.map((w, i) => `/wheels/${i}/${encodeURIComponent(path.basename(w))}`),
      mounts: p.mounts.map((m, i) => ({ id: i, py: m.py })),
    };
    // Not awaited in the page: pyrun reports through POST /msg.
    await step("starting pyrun", session.evaluate((c) => { window.pyrun(c); }, cfg));
    outcome = await Promise.race([finished, timeout]);
    if (opts.inspect && outcome.code === 0) {
      inspected = await step("inspect", session.evaluate(opts.inspect));
    }
  } catch (e) {
    outcome = e.exitCode === EXIT_TIMEOUT || e.name === "TimeoutError"
      ? { code: EXIT_TIMEOUT, msg: e.exitCode ? null : `timed out during ${phase}: ${e.message}` }
      : { code: EXIT_HARNESS, msg: `${engine} harness failed during ${phase}: ${e.stack ?? e}` };
  } finally {
    clearTimeout(timer);
    settled = true;
  }
  const ph = phase;
  if (outcome.msg !== undefined && session && !session.caps.networkEvents) {
    await withTimeout(session.evaluate(() => (window.__harnessErrors ?? []).splice(0)), 5000, "")
      .then((e) => session.diagnostics.push(...(e ?? [])), () => {});
  }
  await session?.close();
  await server?.close();
  if (outcome.code === EXIT_TIMEOUT && outcome.msg === null) {
    outcome.msg = `timed out after ${p.timeoutMs / 1000}s (${engine}, during: ${ph})`;
  }
  if (outcome.msg) {
    const diag = [...(session?.diagnostics ?? [])];
    const extra = diag.length ? `\n[pyrun] page diagnostics:\n  ${diag.join("\n  ")}` : "";
    io.err(`\n[pyrun] ${outcome.msg}${extra}\n`);
  }
  timings.total = performance.now() - t0;
  return { ...io.result(outcome.code, timings), inspected };
}

/** runInBrowser("chromium", opts). */
export const runInChromium = (opts) => runInBrowser("chromium", opts);
