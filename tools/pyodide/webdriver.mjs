/**
 * A minimal W3C WebDriver client for WebKit (WebKitGTK's MiniBrowser driven by
 * WebKitWebDriver), with no npm dependency: plain HTTP + JSON through Node's fetch.
 *
 *   import { launchWebKit } from "./tools/pyodide/webdriver.mjs";
 *   const s = await launchWebKit({ timeoutMs: 60_000 });
 *   try {
 *     await s.goto("http://127.0.0.1:8000/");
 *     await s.evaluate((n) => new Promise((r) => setTimeout(() => r(n * 2), 10)), 21); // 42
 *   } finally {
 *     await s.close();
 *   }
 *
 * WebKitWebDriver runs under `xvfb-run -a` (MiniBrowser has no working headless mode here: with
 * `--headless` it hung), in a process group of its own, so close() -- and any timeout or a
 * driver that dies -- ends Xvfb, the driver, MiniBrowser and WebKit's web/network processes
 * together.
 *
 * `evaluate(fnOrSource, arg)` runs in the page through `execute/async`, so the function may
 * return a Promise; the value crosses as JSON. An exception in the page rejects with a
 * `PageError` carrying the page's message (the session stays usable). A call that takes longer
 * than `timeoutMs` rejects with a `WebDriverTimeoutError` and ends the browser: a page stuck in
 * a loop cannot be interrupted through WebDriver.
 *
 * `caps` says what this engine offers to tests (see CAPS below).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

const DRIVER = process.env.TORSH_WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver";
const MINIBROWSER = process.env.TORSH_MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const XVFB_RUN = "/usr/bin/xvfb-run";
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf"; // W3C web element identifier

/**
 * What WebKit (MiniBrowser under WebKitWebDriver) offers to tests, as measured here
 * (WebKitGTK 2.50.6, Debian):
 * - persistentProfile: false. MiniBrowser in `--automation` mode uses an ephemeral website data
 *   manager and has no option for a data directory (`MiniBrowser --help`; WebKitWebDriver's
 *   `webkitgtk:browserOptions` name none), so IndexedDB written in one
 *   launch is gone in the next, whatever `userDataDir` says.
 * - jspi: false. JavaScriptCore has no WebAssembly JS Promise Integration.
 * - storageQuota: false. No WebDriver/automation command sets an origin's quota.
 * - setInputFiles: true. Element Send Keys on an `<input type=file>` with a host path hands
 *   that file to the page (`setInputFiles(selector, paths)`).
 */
const CAPS = Object.freeze({
  persistentProfile: false,
  jspi: false,
  storageQuota: false,
  setInputFiles: true,
});

/** WebDriver answered with an error (its `error` code is kept as `code`). */
export class WebDriverError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "WebDriverError";
    this.code = code;
  }
}

/** A call ran past its time limit; the browser has been ended. */
export class WebDriverTimeoutError extends WebDriverError {
  constructor(message) {
    super(message, "timeout");
    this.name = "WebDriverTimeoutError";
  }
}

/** The page's code threw (or its Promise rejected); `message` is the page's message. */
export class PageError extends Error {
  constructor(message, { name, stack } = {}) {
    super(message);
    this.name = "PageError";
    this.pageName = name;
    this.pageStack = stack;
  }
}

async function freePort() {
  const s = net.createServer();
  await new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(0, "127.0.0.1", resolve);
  });
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Linux: a process's children and command name (empty when it is gone). */
const childPids = (pid) => {
  try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number); } catch { return []; }
};
const comm = (pid) => {
  try { return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; }
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The page-side wrapper: call the function (or evaluate the source) and answer as JSON. */
function pageScript(source) {
  return `
const done = arguments[arguments.length - 1];
const arg = JSON.parse(arguments[0]);
const answer = (ok, v) => {
  try {
    done(ok ? { ok: true, json: v === undefined ? null : JSON.stringify(v), undef: v === undefined }
            : { ok: false, message: String(v && v.message !== undefined ? v.message : v),
                name: String((v && v.name) || "Error"), stack: String((v && v.stack) || "") });
  } catch (e) {
    done({ ok: false, message: "the result is not JSON-serialisable: " + e.message, name: "TypeError" });
  }
};
new Promise((resolve) => {
  const f = (${source});
  resolve(typeof f === "function" ? f(arg) : f);
}).then((v) => answer(true, v), (e) => answer(false, e));
`;
}

/**
 * Start WebKitWebDriver (under Xvfb) and open a MiniBrowser session.
 *
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs=60000]  limit for the launch and for each goto/evaluate
 * @param {string} [opts.userDataDir]      accepted for the engine table's sake; WebKit has no
 *                                         persistent profile (caps.persistentProfile is false)
 * @returns {Promise<{engine: "webkit", caps: object, goto(url: string): Promise<void>,
 *   evaluate(fnOrSource: Function|string, arg?: any, opts?: {timeoutMs?: number}): Promise<any>,
 *   setInputFiles(selector: string, paths: string|string[]): Promise<void>,
 *   close(): Promise<void>, pid: number}>}
 */
export async function launchWebKit({ timeoutMs = 60_000, userDataDir } = {}) {
  void userDataDir;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  // detached: a new process group (xvfb-run, Xvfb, the driver, MiniBrowser, WebKit's helpers).
  const child = spawn(XVFB_RUN, ["-a", DRIVER, `--port=${port}`, "--host=127.0.0.1"], {
    detached: true, stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (b) => { log.push(String(b)); if (log.length > 50) log.shift(); };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  const exit = new Promise((r) => child.once("exit", (code, sig) => { exited = true; r({ code, sig }); }));
  child.once("error", (e) => keep(`spawn failed: ${e.message}`));

  let sessionId = null;
  let closing = null;

  const killGroup = (sig) => {
    try { process.kill(-child.pid, sig); } catch { /* already gone */ }
  };
  // End everything: the session first (MiniBrowser closes), then the group, SIGKILL at the last.
  const close = () => closing ??= (async () => {
    if (sessionId && !exited) {
      const id = sessionId;
      sessionId = null;
      await fetch(`${base}/session/${id}`, { method: "DELETE", signal: AbortSignal.timeout(5000) })
        .catch(() => {});
    }
    // Stop the driver alone first, so that xvfb-run's own clean-up ends Xvfb and removes its
    // /tmp/xvfb-run.* directory; a SIGTERM to the whole group would kill the shell before.
    const driver = childPids(child.pid).find((p) => comm(p) === "WebKitWebDriver");
    if (driver) {
      try { process.kill(driver, "SIGTERM"); } catch { /* already gone */ }
    } else {
      killGroup("SIGTERM");
    }
    const gone = await Promise.race([exit.then(() => true), sleep(3000).then(() => false)]);
    // xvfb-run's shell may be gone while a straggler of its group is not: SIGKILL the group.
    killGroup("SIGKILL");
    if (!gone) await Promise.race([exit, sleep(2000)]);
  })();

  const failure = (what, e) => {
    const tail = log.join("").trim().split("\n").slice(-10).join("\n");
    return `${what}: ${e?.message ?? e}${tail ? `\n[WebKitWebDriver output]\n${tail}` : ""}`;
  };

  /** One WebDriver command; rejects with WebDriverError, or times out and ends the browser. */
  async function command(method, path, body, ms = timeoutMs) {
    if (closing) throw new WebDriverError(`the WebKit session is closed (${method} ${path})`, "closed");
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ms),
      });
    } catch (e) {
      if (e.name === "TimeoutError") {
        await close();
        throw new WebDriverTimeoutError(`WebKit: ${method} ${path} took longer than ${ms} ms; the browser was closed`);
      }
      throw new WebDriverError(failure(`WebKit: ${method} ${path} failed`, e), "transport");
    }
    const data = await res.json().catch(() => ({ value: { error: "bad response", message: `HTTP ${res.status}` } }));
    const v = data.value;
    if (res.ok) return v;
    if (v?.error === "script timeout" || v?.error === "timeout") {
      await close();
      throw new WebDriverTimeoutError(`WebKit: ${method} ${path}: ${v.message || v.error} (after ${ms} ms); the browser was closed`);
    }
    throw new WebDriverError(`WebKit: ${method} ${path}: ${v?.error}: ${v?.message}`, v?.error);
  }

  try {
    // The driver listens once it has started; poll /status until it does.
    const ready = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new Error("WebKitWebDriver exited at start");
      const ok = await fetch(`${base}/status`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > ready) throw new WebDriverTimeoutError(`WebKitWebDriver did not answer within ${timeoutMs} ms`);
      await sleep(100);
    }
    const created = await command("POST", "/session", {
      capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] } } },
    });
    sessionId = created.sessionId;
    // The driver's own limits sit above ours: our fetch timeout decides and ends the browser.
    const limit = timeoutMs + 5000;
    await command("POST", `/session/${sessionId}/timeouts`, { script: limit, pageLoad: limit, implicit: 0 });
  } catch (e) {
    await close();
    if (e instanceof WebDriverError && e.code !== "transport") throw e;
    throw new WebDriverError(failure("WebKit did not start", e), "launch");
  }

  const sid = () => `/session/${sessionId}`;
  return {
    engine: "webkit",
    caps: CAPS,
    pid: child.pid,
    async goto(url) {
      await command("POST", `${sid()}/url`, { url });
    },
    async evaluate(fnOrSource, arg = null, opts = {}) {
      const source = typeof fnOrSource === "function" ? fnOrSource.toString() : String(fnOrSource);
      const ms = opts.timeoutMs ?? timeoutMs;
      const r = await command("POST", `${sid()}/execute/async`,
        { script: pageScript(source), args: [JSON.stringify(arg ?? null)] }, ms);
      if (!r || typeof r !== "object") throw new WebDriverError(`WebKit: unexpected answer ${JSON.stringify(r)}`, "protocol");
      if (!r.ok) throw new PageError(r.message, r);
      return r.undef ? undefined : JSON.parse(r.json);
    },
    async evaluateSync(source, ...args) {
      return command("POST", `${sid()}/execute/sync`, { script: source, args });
    },
    async setInputFiles(selector, paths) {
      const el = await command("POST", `${sid()}/element`, { using: "css selector", value: selector });
      const list = Array.isArray(paths) ? paths : [paths];
      await command("POST", `${sid()}/element/${el[ELEMENT]}/value`, { text: list.join("\n") });
    },
    close,
  };
}
