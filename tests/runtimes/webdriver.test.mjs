// tools/pyodide/webdriver.mjs against a real WebKit (MiniBrowser under WebKitWebDriver + Xvfb)
// and a page on a 127.0.0.1 server: navigation, evaluate (sync and Promise values, a source
// string, execute/sync), page exceptions as rejections, a timeout that ends the browser,
// setInputFiles, the caps it claims, close() leaving no process behind, and the real Pyodide
// booting in the page.
//
// Run: node --test --test-reporter=spec tests/runtimes/webdriver.test.mjs
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PageError, WebDriverTimeoutError, launchWebKit } from "../../tools/pyodide/webdriver.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PYODIDE_DIR = path.join(ROOT, "node_modules/pyodide");
const TYPES = { ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
  ".json": "application/json", ".zip": "application/zip" };
const PAGE = `<!doctype html><meta charset="utf-8"><title>webdriver test</title>
<input type="file" id="upload"><script>window.loaded = 1 + 1;</script>`;

let server, base, session;

/** Processes of the process group `pgid` still alive (zombies are gone already). */
function groupAlive(pgid) {
  const out = execFileSync("ps", ["-eo", "pid=,pgid=,stat=,comm="], { encoding: "utf8" });
  return out.split("\n").map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pgid && !f[2]?.startsWith("Z")).map((f) => f.join(" "));
}

async function waitGone(pgid, ms = 5000) {
  const end = Date.now() + ms;
  while (groupAlive(pgid).length && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return groupAlive(pgid);
}

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x").pathname;
    if (url === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(PAGE);
    }
    const file = path.resolve(PYODIDE_DIR, "." + decodeURIComponent(url.replace(/^\/pyodide/, "")));
    if (!url.startsWith("/pyodide/") || !file.startsWith(PYODIDE_DIR + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  session = await launchWebKit({ timeoutMs: 60_000 });
});

after(async () => {
  await session?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

test("navigates and evaluates sync values, Promises, source strings and execute/sync", async () => {
  assert.equal(session.engine, "webkit");
  await session.goto(base + "/");
  assert.equal(await session.evaluate(() => document.title), "webdriver test");
  assert.equal(await session.evaluate(() => window.loaded), 2);
  assert.deepEqual(await session.evaluate((a) => ({ sum: a.x + a.y, list: [a.x, null, "é"] }), { x: 2, y: 3 }),
    { sum: 5, list: [2, null, "é"] });
  const slow = await session.evaluate((n) => new Promise((r) => setTimeout(() => r(n * 2), 200)), 21);
  assert.equal(slow, 42);
  assert.equal(await session.evaluate("6 * 7"), 42);
  assert.equal(await session.evaluate("(n) => n + 1", 41), 42);
  assert.equal(await session.evaluate(() => {}), undefined);
  assert.equal(await session.evaluateSync("return arguments[0] + arguments[1];", 40, 2), 42);
  assert.match(await session.evaluate(() => navigator.userAgent), /AppleWebKit/);
});

test("a page exception and a rejected Promise come back as rejections; the session goes on", async () => {
  await assert.rejects(session.evaluate(() => { throw new TypeError("bad sample 13"); }),
    (e) => e instanceof PageError && e.message === "bad sample 13" && e.pageName === "TypeError");
  await assert.rejects(session.evaluate(() => Promise.reject(new RangeError("late failure"))),
    (e) => e instanceof PageError && e.message === "late failure");
  await assert.rejects(session.evaluate("no_such_name + 1"), (e) => e instanceof PageError && /no_such_name/.test(e.message));
  assert.equal(await session.evaluate(() => 1), 1);
});

test("setInputFiles hands a host file to <input type=file>", async () => {
  assert.equal(session.caps.setInputFiles, true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webdriver-test-"));
  const file = path.join(dir, "shard-000.txt");
  fs.writeFileSync(file, "ünïcode bytes\n");
  try {
    await session.goto(base + "/");
    await session.setInputFiles("#upload", file);
    const got = await session.evaluate(async () => {
      const f = document.getElementById("upload").files[0];
      return [f.name, f.size, await f.text()];
    });
    assert.deepEqual(got, ["shard-000.txt", Buffer.byteLength("ünïcode bytes\n"), "ünïcode bytes\n"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("caps say what WebKit lacks", () => {
  assert.deepEqual({ ...session.caps },
    { persistentProfile: false, jspi: false, storageQuota: false, setInputFiles: true });
});

test("jspi: false holds: the page has no WebAssembly.Suspending", async () => {
  assert.equal(await session.evaluate(() => typeof WebAssembly.Suspending), "undefined");
});

test("the real Pyodide boots in the page and runs Python", { timeout: 180_000 }, async () => {
  await session.goto(base + "/");
  const r = await session.evaluate(async () => {
    const t0 = performance.now();
    const { loadPyodide } = await import("/pyodide/pyodide.mjs");
    const py = await loadPyodide({ indexURL: "/pyodide/" });
    const out = py.runPython("import sys, json; json.dumps([sys.platform, sum(range(10))])");
    return { out: JSON.parse(out), seconds: (performance.now() - t0) / 1000 };
  }, null, { timeoutMs: 150_000 });
  assert.deepEqual(r.out, ["emscripten", 45]);
  console.log(`loadPyodide in WebKit: ${r.seconds.toFixed(1)} s`);
});

test("a call past its time limit rejects and ends the browser", { timeout: 60_000 }, async () => {
  const s = await launchWebKit({ timeoutMs: 30_000 });
  try {
    await s.goto(base + "/");
    const t = performance.now();
    await assert.rejects(s.evaluate(() => new Promise(() => {}), null, { timeoutMs: 1500 }),
      (e) => e instanceof WebDriverTimeoutError && /1500 ms/.test(e.message));
    assert.ok(performance.now() - t < 15_000);
    assert.deepEqual(await waitGone(s.pid), [], "the timeout must end the browser's processes");
    await assert.rejects(s.evaluate(() => 1), /closed/);
  } finally {
    await s.close();
  }
});

test("close() leaves no process behind and can be called twice", async () => {
  const s = await launchWebKit({ timeoutMs: 30_000 });
  await s.goto(base + "/");
  const names = groupAlive(s.pid).map((l) => l.split(" ").at(-1)).join(" ");
  assert.match(names, /Xvfb/);
  assert.match(names, /WebKitWebDriver/);
  assert.match(names, /MiniBrowser/);
  // xvfb-run's directory (its Xauthority file), named on Xvfb's command line, goes too.
  const xvfb = groupAlive(s.pid).find((l) => l.endsWith(" Xvfb")).split(" ")[0];
  const auth = fs.readFileSync(`/proc/${xvfb}/cmdline`, "utf8").split("\0")
    .find((a) => a.includes("xvfb-run."));
  assert.ok(auth && fs.existsSync(auth), `Xvfb's -auth file: ${auth}`);
  await s.close();
  await s.close();
  assert.deepEqual(await waitGone(s.pid), []);
  assert.equal(fs.existsSync(path.dirname(auth)), false, `${path.dirname(auth)} was left behind`);
});
