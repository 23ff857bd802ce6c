/**
 * One way to drive a page in each browser engine the suite runs on:
 *
 *   chromium  Debian's /usr/bin/chromium through playwright-core (CDP)
 *   firefox   /usr/bin/firefox-esr through puppeteer-core (WebDriver BiDi)
 *   webkit    WebKitWebDriver + MiniBrowser (WebKitGTK) under xvfb-run, through the
 *             W3C WebDriver client in webdriver.mjs
 *
 *   import { ENGINES, launch } from "./tools/pyodide/engines.mjs";
 *   const s = await launch("firefox", { timeoutMs: 60_000 });
 *   await s.goto(url);
 *   const v = await s.evaluate((a) => a + 1, 41);   // or a source string (an expression)
 *   await s.close();
 *
 * Every session has the same small interface:
 *   engine, caps         the engine's name and what it can do (CAPS below)
 *   goto(url), reload()  navigate and wait for the load event
 *   evaluate(fn, arg)    run fn(arg) (or an expression string) in the page; promises are
 *                        awaited; the value comes back as JSON
 *   waitFor(fn, arg, ms) poll fn(arg) in the page until it is truthy (TimeoutError after ms)
 *   diagnostics          page errors, console errors/warnings, failed requests and HTTP
 *                        errors seen so far (strings). Engines without such events
 *                        (webkit) get the page-side ones through installErrorCollector()
 *   crashed              a promise resolved with a message when the page crashes (never
 *                        resolves where the engine reports no crashes: caps.crashEvents)
 *   setInputFiles(sel, paths)  hand host files to an <input type=file> (caps.setInputFiles)
 *   overrideQuota(origin, bytes)  the origin's storage quota (caps.storageQuota)
 *   screenshot(file)     a PNG of the page (caps.screenshot)
 *   close()
 *
 * Page -> harness messages use no engine feature: runtimes.mjs's page POSTs them to its own
 * server (synchronous XHR, so in order, and even while Python keeps the page busy).
 * Every wait has a timeout: a page that never loads (a wrong wasm MIME type, a CSP refusal)
 * ends in a TimeoutError naming what was awaited, not a hang.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const ALL_ENGINES = ["chromium", "firefox", "webkit"];

/**
 * The engines the browser-level tests run in: all, or the comma-separated $TORSH_ENGINES
 * (e.g. TORSH_ENGINES=firefox to run tests/runtimes/ in Firefox only).
 */
export const ENGINES = process.env.TORSH_ENGINES
  ? process.env.TORSH_ENGINES.split(",").map((e) => e.trim()).filter(Boolean)
  : ALL_ENGINES;
for (const e of ENGINES) {
  if (!ALL_ENGINES.includes(e)) throw new Error(`TORSH_ENGINES names ${JSON.stringify(e)}; want some of ${ALL_ENGINES}`);
}

/**
 * What each engine's session can do. Tests that need a capability skip the engines without
 * it, naming the capability (see skipReason).
 */
export const CAPS = {
  chromium: {
    persistentProfile: true, storageQuota: true, setInputFiles: true, screenshot: true,
    crashEvents: true, networkEvents: true, jspi: true, crossOriginIsolation: true,
  },
  firefox: {
    persistentProfile: true, storageQuota: false, setInputFiles: true, screenshot: true,
    crashEvents: false, networkEvents: true, jspi: true, crossOriginIsolation: true,
  },
  // MiniBrowser in automation mode keeps no data between launches (see webdriver.mjs); under
  // COOP/COEP headers its pages still report crossOriginIsolated false (WebKitGTK, measured).
  webkit: {
    persistentProfile: false, storageQuota: false, setInputFiles: true, screenshot: false,
    crashEvents: false, networkEvents: false, jspi: false, crossOriginIsolation: false,
  },
};

const CAP_NAMES = {
  persistentProfile: "a persistent browser profile kept between runs",
  storageQuota: "a storage quota override for an origin (Chromium's DevTools Storage domain)",
  setInputFiles: "handing host files to an <input type=file>",
  screenshot: "page screenshots",
  crashEvents: "page crash events",
  networkEvents: "failed-request and HTTP-error events",
  jspi: "WebAssembly JavaScript Promise Integration (JSPI)",
  crossOriginIsolation: "cross-origin isolation from COOP/COEP headers (SharedArrayBuffer)",
};

/** Why `engine` cannot run a test needing `needs` (capability names), or null if it can. */
export function skipReason(engine, ...needs) {
  const missing = needs.filter((c) => !CAPS[engine][c]);
  if (!missing.length) return null;
  return `${engine} lacks ${missing.map((c) => CAP_NAMES[c] ?? c).join(" and ")}`;
}

export class TimeoutError extends Error {
  constructor(msg) { super(msg); this.name = "TimeoutError"; }
}

/** `promise`, or a TimeoutError saying what was awaited once `ms` have passed. */
export function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${Math.round(ms / 1000)}s ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * Chromium features the suite turns off, beside playwright-core's own list.
 *
 * HeapProfilerReporting: Chromium's in-process sampling heap profiler, on by default for a
 * random few of its child processes (`--subproc-heap-profiling` on their command line). Its
 * stack walk from a sampled allocation runs off the end of a JSPI stack, the secondary stack
 * Pyodide runs Python on when it may suspend: the renderer dies with SIGSEGV (Chromium 156;
 * ~4 % of pyrun runs of tests/runtimes/probe.py; every such crash's minidump had the switch,
 * none of the other crashes had it). It is a profiler of Chromium's own, nothing a page sees.
 */
export const CHROMIUM_DISABLED_FEATURES = ["HeapProfilerReporting"];

/**
 * playwright-core's own `--disable-features` list, read from its bundle. Chromium honours only
 * the last `--disable-features` switch, so ours must carry Playwright's list too (and replace
 * its switch through `ignoreDefaultArgs`).
 */
let playwrightFeatures;
function playwrightDisabledFeatures() {
  if (playwrightFeatures) return playwrightFeatures;
  const pkg = createRequire(import.meta.url).resolve("playwright-core/package.json");
  const bundle = path.join(path.dirname(pkg), "lib/coreBundle.js");
  const m = fs.readFileSync(bundle, "utf8").match(/\bdisabledFeatures = \[([^\]]*)\]\.filter\(Boolean\)/);
  if (!m) {
    throw new Error(`no disabledFeatures list in ${bundle}: this playwright-core builds Chromium's `
      + "--disable-features otherwise; update playwrightDisabledFeatures() in tools/pyodide/engines.mjs");
  }
  playwrightFeatures = [...m[1].replace(/\/\/.*$/gm, "").matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  return playwrightFeatures;
}

/** playwright-core launch options for Debian's Chromium with the suite's switches. */
export function chromiumLaunchOptions(extra = {}) {
  const theirs = playwrightDisabledFeatures();
  return {
    executablePath: EXECUTABLES.chromium(), headless: true,
    ignoreDefaultArgs: [`--disable-features=${theirs.join(",")}`],
    args: [...CHROMIUM_ARGS, `--disable-features=${[...theirs, ...CHROMIUM_DISABLED_FEATURES].join(",")}`],
    ...extra,
  };
}

/** Executable of each engine's browser ($PYRUN_<ENGINE> overrides). */
const EXECUTABLES = {
  chromium: () => process.env.PYRUN_CHROMIUM ?? "/usr/bin/chromium",
  firefox: () => process.env.PYRUN_FIREFOX ?? "/usr/bin/firefox-esr",
};

/**
 * Start `engine` with one page.
 *
 * @param {string} engine   one of ENGINES
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]   bound for the launch and for each later call (default 60 s)
 * @param {string} [opts.userDataDir] a profile directory kept between launches (IndexedDB,
 *                                    service workers and other storage survive)
 * @param {{width:number,height:number}} [opts.viewport]
 */
export async function launch(engine, opts = {}) {
  if (!ALL_ENGINES.includes(engine)) throw new Error(`unknown browser engine ${JSON.stringify(engine)}; want one of ${ALL_ENGINES}`);
  const timeoutMs = Math.ceil(opts.timeoutMs ?? 60_000); // whole ms: AbortSignal.timeout wants an integer
  const impl = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKitSession }[engine];
  return withTimeout(impl({ ...opts, timeoutMs }), timeoutMs, `launching ${engine}`);
}

/** Page diagnostics of a Playwright or Puppeteer page (their events have the same names). */
function watchPage(page, diag, { failure, status }) {
  page.on("pageerror", (e) => diag.push(`page error: ${e?.stack ?? e}`));
  page.on("console", (m) => {
    const type = m.type();
    if (type === "error" || type === "warning" || type === "warn") diag.push(`console.${type}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => diag.push(`request failed: ${r.url()} (${failure(r)})`));
  page.on("response", (r) => { if (status(r) >= 400) diag.push(`HTTP ${status(r)}: ${r.url()}`); });
}

/** The engine-independent part of a session around `page` (Playwright or Puppeteer). */
function pageSession(engine, page, timeoutMs, extra) {
  const diag = [];
  let crash;
  const crashed = new Promise((r) => { crash = r; });
  const s = {
    engine, caps: CAPS[engine], diagnostics: diag, crashed, page,
    goto: (url) => withTimeout(page.goto(url, { timeout: timeoutMs }), timeoutMs, `loading ${url} in ${engine}`),
    reload: () => withTimeout(page.reload({ timeout: timeoutMs }), timeoutMs, `reloading the page in ${engine}`),
    evaluate: (fn, arg) => withTimeout(page.evaluate(fn, arg), timeoutMs, `for a script in the ${engine} page`),
    waitFor: (fn, arg, ms = timeoutMs) => waitFor(s, fn, arg, ms),
    screenshot: (file) => page.screenshot({ path: file, fullPage: true }),
    installErrorCollector: async () => {},
    ...extra,
  };
  s._crash = crash;
  s._diag = diag;
  return s;
}

async function waitFor(session, fn, arg, ms) {
  const end = performance.now() + ms;
  const src = typeof fn === "function" ? `(${fn})(${JSON.stringify(arg ?? null)})` : fn;
  for (;;) {
    const left = end - performance.now();
    if (left <= 0) throw new TimeoutError(`timed out after ${Math.round(ms / 1000)}s waiting for ${src.slice(0, 120)} in ${session.engine}`);
    if (await withTimeout(session.evaluate(`(async () => !!(${src}))()`), left, `waiting in ${session.engine}`)) return;
    await sleep(Math.min(100, Math.max(1, end - performance.now())));
  }
}

/**
 * Browsers shared by the sessions of one process (Chromium and Firefox without a profile
 * directory): each session gets its own browser context (its own storage, cookies and cache),
 * and the browser is closed once no session has used it for a moment. This saves a launch
 * (seconds; Firefox's are the longest) per run; TORSH_BROWSER_REUSE=0 turns it off.
 */
const shared = new Map(); // engine -> {browser: Promise, users, idle}
const SHARED_IDLE_MS = 1500;

async function sharedBrowser(engine, start) {
  let entry = shared.get(engine);
  if (!entry) {
    entry = { users: 0, idle: null };
    entry.browser = start().then((b) => {
      b.on("disconnected", () => { if (shared.get(engine) === entry) shared.delete(engine); });
      return b;
    });
    entry.browser.catch(() => { if (shared.get(engine) === entry) shared.delete(engine); });
    shared.set(engine, entry);
  }
  entry.users++;
  clearTimeout(entry.idle);
  let browser;
  try {
    browser = await entry.browser;
  } catch (e) {
    entry.users--;
    throw e;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--entry.users > 0) return;
    entry.idle = setTimeout(() => {
      if (shared.get(engine) === entry) shared.delete(engine);
      browser.close().catch(() => {});
    }, SHARED_IDLE_MS);
  };
  return { browser, release };
}

const reuse = () => process.env.TORSH_BROWSER_REUSE !== "0";
const LONG_MS = 3_600_000; // protocol limit of a shared browser: each call has its own timeout

async function launchChromium({ timeoutMs, userDataDir, viewport }) {
  const { chromium } = await import("playwright-core");
  const options = chromiumLaunchOptions({ timeout: timeoutMs });
  let context, page, close, crashes;
  if (userDataDir) {
    // A persistent context is its own browser: closing it closes Chromium.
    context = await chromium.launchPersistentContext(path.resolve(userDataDir),
      { ...options, ...(viewport ? { viewport } : {}) });
    page = context.pages()[0] ?? await context.newPage();
    close = () => context.close().catch(() => {});
  } else {
    const { browser, release } = reuse() ? await sharedBrowser("chromium", () => chromium.launch(options))
      : { browser: await chromium.launch(options), release: null };
    crashes = crashLog(browser);
    await crashes.ready;
    try {
      context = await browser.newContext(viewport ? { viewport } : {});
      page = await context.newPage();
    } catch (e) {
      release?.();
      throw e;
    }
    close = async () => {
      if (release) { await context.close().catch(() => {}); release(); } else await browser.close().catch(() => {});
    };
  }
  const s = pageSession("chromium", page, timeoutMs, {
    setInputFiles: (selector, files) => page.setInputFiles(selector, files),
    overrideQuota: async (origin, bytes) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: bytes });
    },
    close,
  });
  watchPage(page, s._diag, { failure: (r) => r.failure()?.errorText, status: (r) => r.status() });
  const target = crashes ? await targetId(context, page) : null;
  page.on("crash", async () => {
    const why = crashes ? await crashes.reason(target) : null;
    s._crash(`the page crashed${why ? ` (${why})` : ""}`);
  });
  return s;
}

/**
 * Why Chromium's renderers crashed, from the DevTools protocol's Target.targetCrashed events
 * (a status such as "crashed", "oom" or "killed", and the signal or exit code), which
 * Playwright's "crash" event does not carry. One log per browser; none for a persistent context,
 * whose browser object Playwright does not expose.
 */
const crashLogs = new WeakMap();
function crashLog(browser) {
  let log = crashLogs.get(browser);
  if (log) return log;
  const events = new Map(); // targetId -> event
  const waiting = new Map(); // targetId -> resolve
  const ready = browser.newBrowserCDPSession().then(async (cdp) => {
    cdp.on("Target.targetCrashed", (e) => {
      events.set(e.targetId, e);
      waiting.get(e.targetId)?.(e);
    });
    await cdp.send("Target.setDiscoverTargets", { discover: true });
  }).catch(() => {});
  log = {
    ready,
    /** "status, signal/exit code N" for target `id`, or null if no event comes within 2 s. */
    async reason(id) {
      if (!id) return null;
      const e = events.get(id) ?? await Promise.race([
        new Promise((r) => waiting.set(id, r)), sleep(2000).then(() => null)]);
      waiting.delete(id);
      return e ? `${e.status}, signal or exit code ${e.errorCode}` : null;
    },
  };
  crashLogs.set(browser, log);
  return log;
}

async function targetId(context, page) {
  try {
    const cdp = await context.newCDPSession(page);
    const { targetInfo } = await cdp.send("Target.getTargetInfo");
    await cdp.detach().catch(() => {});
    return targetInfo.targetId;
  } catch {
    return null;
  }
}

async function launchFirefox({ timeoutMs, userDataDir, viewport }) {
  const { default: puppeteer } = await import("puppeteer-core");
  const start = (protocolTimeout) => puppeteer.launch({
    browser: "firefox", executablePath: EXECUTABLES.firefox(), headless: true, timeout: timeoutMs,
    protocolTimeout, ...(userDataDir ? { userDataDir: path.resolve(userDataDir) } : {}),
    defaultViewport: null,
    extraPrefsFirefox: {
      // JSPI (Python blocking on JS promises) is on by default from Firefox 14x; keep it on.
      "javascript.options.wasm_js_promise_integration": true,
    },
  });
  let page, close;
  if (userDataDir || !reuse()) {
    const browser = await start(timeoutMs);
    page = (await browser.pages())[0] ?? await browser.newPage();
    close = () => browser.close().catch(() => {});
  } else {
    const { browser, release } = await sharedBrowser("firefox", () => start(LONG_MS));
    let context;
    try {
      context = await browser.createBrowserContext();
      page = await context.newPage();
    } catch (e) {
      release();
      throw e;
    }
    close = async () => { await context.close().catch(() => {}); release(); };
  }
  await page.setViewport(viewport ?? { width: 1280, height: 720 });
  const s = pageSession("firefox", page, timeoutMs, {
    setInputFiles: async (selector, files) => {
      const input = await page.$(selector);
      if (!input) throw new Error(`no element ${selector} in the page`);
      await input.uploadFile(...files.map((f) => path.resolve(f)));
    },
    overrideQuota: unsupported("firefox", "storageQuota"),
    close,
  });
  watchPage(page, s._diag, { failure: (r) => r.failure()?.errorText, status: (r) => r.status() });
  return s;
}

function unsupported(engine, cap) {
  return async () => { throw new Error(skipReason(engine, cap)); };
}

/** Page-side error collection for engines without page events (WebDriver classic). */
export const ERROR_COLLECTOR = () => {
  if (window.__harnessErrors) return;
  const errs = (window.__harnessErrors = []);
  addEventListener("error", (e) => errs.push(`page error: ${e.message} (${e.filename}:${e.lineno})`));
  addEventListener("unhandledrejection", (e) => errs.push(`page error: unhandled rejection: ${e.reason?.stack ?? e.reason}`));
  addEventListener("securitypolicyviolation", (e) => errs.push(`CSP refused ${e.blockedURI} (${e.violatedDirective})`));
  for (const k of ["error", "warn"]) {
    const orig = console[k].bind(console);
    console[k] = (...a) => { errs.push(`console.${k}: ${a.map(String).join(" ")}`); orig(...a); };
  }
};

async function launchWebKitSession({ timeoutMs, userDataDir, viewport }) {
  const { launchWebKit } = await import("./webdriver.mjs");
  void viewport; // MiniBrowser's window size is Xvfb's
  const wd = await launchWebKit({ timeoutMs, userDataDir });
  const diag = [];
  const s = {
    engine: "webkit", caps: { ...CAPS.webkit, ...wd.caps },
    diagnostics: diag, crashed: new Promise(() => {}), webdriver: wd,
    goto: async (url) => { await withTimeout(wd.goto(url), timeoutMs, `loading ${url} in webkit`); },
    reload: async () => {
      if (wd.reload) await withTimeout(wd.reload(), timeoutMs, "reloading the page in webkit");
      else await withTimeout(wd.goto(await wd.evaluate("location.href")), timeoutMs, "reloading the page in webkit");
    },
    evaluate: (fn, arg) => withTimeout(wd.evaluate(fn, arg), timeoutMs, "for a script in the webkit page"),
    waitFor: (fn, arg, ms = timeoutMs) => waitFor(s, fn, arg, ms),
    /** Collect the page's own errors from now on (call after each navigation). */
    installErrorCollector: () => s.evaluate(ERROR_COLLECTOR),
    /** Move the page-side errors into `diagnostics`. */
    collectErrors: async () => {
      const e = await s.evaluate(() => (window.__harnessErrors ?? []).splice(0)).catch(() => []);
      diag.push(...(e ?? []));
    },
    setInputFiles: (sel, files) => wd.setInputFiles(sel, files.map((f) => path.resolve(f))),
    overrideQuota: unsupported("webkit", "storageQuota"),
    screenshot: wd.screenshot ? (file) => wd.screenshot(file) : unsupported("webkit", "screenshot"),
    close: () => wd.close().catch(() => {}),
  };
  return s;
}
