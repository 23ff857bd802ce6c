/**
 * Runtime-agnostic part of the Pyodide harness: given an already loaded
 * Pyodide instance, install wheels, write files, set argv/env/cwd and run a
 * script like `python script.py` would. Imported both by Node
 * (runtimes.mjs) and by the browser page served in Chromium mode, so it must
 * not import anything.
 */

/** Python driver; gets its arguments as one JSON string (no proxies to free). */
const DRIVER = String.raw`
import json, os, runpy, sys, traceback

def _abs(filename):
    return filename if filename.startswith("<") else os.path.abspath(filename)

def _pyrun_main(cfg_json):
    cfg = json.loads(cfg_json)
    os.environ.update(cfg["env"])
    sys.dont_write_bytecode = not cfg["writeBytecode"]
    if cfg["cwd"]:
        os.makedirs(cfg["cwd"], exist_ok=True)
        os.chdir(cfg["cwd"])
    path = cfg["scriptPath"]
    sys.argv = [path or "-c", *cfg["argv"]]
    sys.path[0] = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    try:
        try:
            if path:
                runpy.run_path(path, run_name="__main__")
            else:
                import types
                main = types.ModuleType("__main__")
                sys.modules["__main__"] = main
                exec(compile(cfg["code"], "<string>", "exec"), main.__dict__)
            code = 0
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException as e:
            # Hide the driver/runpy frames, like "python script.py" does.
            target = os.path.abspath(path) if path else "<string>"
            tb = e.__traceback__
            while tb is not None and _abs(tb.tb_frame.f_code.co_filename) != target:
                tb = tb.tb_next
            traceback.print_exception(type(e), e, tb)
            code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    return code
`;

/**
 * Route a Pyodide output stream to `cb(text)`. Uses the raw-bytes `write`
 * interface so nothing is re-split or dropped; a streaming TextDecoder keeps
 * multi-byte characters split across writes intact.
 */
function streamTo(cb) {
  const dec = new TextDecoder("utf-8");
  return {
    isatty: false,
    fsync() {},
    write(buf) {
      const text = dec.decode(buf, { stream: true });
      if (text) cb(text);
      return buf.length;
    },
  };
}

/** True when WebAssembly JavaScript Promise Integration (stack switching) is available. */
function jspiSupported() {
  return typeof WebAssembly.Suspending === "function" || typeof WebAssembly.Suspender === "function";
}

/** Create all parent directories of an absolute POSIX path in Pyodide's FS. */
function mkdirs(FS, dir) {
  if (dir && dir !== "/") FS.mkdirTree(dir);
}

/**
 * Install wheels, write files and run a Python script inside `pyodide`.
 *
 * @param {object} pyodide           result of loadPyodide()
 * @param {object} opts
 * @param {Uint8Array[]} [opts.wheels]   wheel archives, unpacked into site-packages
 * @param {Object<string, Uint8Array|string>} [opts.files]  absolute path -> content
 * @param {string} [opts.scriptPath]     script to run (path inside Pyodide), or
 * @param {string} [opts.code]           source to run as `python -c`
 * @param {string[]} [opts.argv]         arguments after the script name
 * @param {string} [opts.cwd]            working directory (created if missing)
 * @param {Object<string,string>} [opts.env]  added to os.environ
 * @param {boolean} [opts.writeBytecode] allow __pycache__ writes (default false,
 *                                       so mounted host dirs stay clean)
 * @param {(s: string) => void} [opts.onStdout]  receives stdout text as written
 * @param {(s: string) => void} [opts.onStderr]  receives stderr text as written
 * @returns {Promise<number>} exit code (SystemExit semantics; uncaught exception -> 1)
 */
export async function runPython(pyodide, opts = {}) {
  const {
    wheels = [], files = {}, scriptPath = null, code = null, argv = [],
    cwd = null, env = {}, writeBytecode = false,
    onStdout = () => {}, onStderr = () => {},
  } = opts;
  if (Boolean(scriptPath) === (code != null)) {
    throw new Error("runPython: give exactly one of scriptPath or code");
  }

  // stdin is empty, like `< /dev/null` (the defaults are process.stdin, which
  // is unusable in a Node worker, or window.prompt in a browser).
  pyodide.setStdin({ read: () => 0 });
  pyodide.setStdout(streamTo(onStdout));
  pyodide.setStderr(streamTo(onStderr));

  // unpackArchive defaults to the *cwd*; wheels belong in site-packages.
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  for (const whl of wheels) pyodide.unpackArchive(whl, "wheel", { extractDir: site });
  pyodide.runPython("import importlib; importlib.invalidate_caches()");

  const FS = pyodide.FS;
  for (const [path, content] of Object.entries(files)) {
    mkdirs(FS, path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, content);
  }

  const ns = pyodide.globals.get("dict")();
  try {
    pyodide.runPython(DRIVER, { globals: ns });
    const main = ns.get("_pyrun_main");
    try {
      const cfg = { scriptPath, code, argv, cwd, env, writeBytecode };
      // With JSPI (Chromium; Node.js with --experimental-wasm-stack-switching), a promising
      // call lets Python block on JavaScript promises: asyncio.run() works as in CPython.
      const arg = JSON.stringify(cfg);
      return jspiSupported() ? await main.callPromising(arg) : main(arg);
    } finally {
      main.destroy();
    }
  } finally {
    ns.destroy();
  }
}
