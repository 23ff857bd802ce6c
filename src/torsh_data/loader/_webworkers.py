"""Web Workers (browser) and ``worker_threads`` (Node.js): the loader's worker pool in Pyodide.

NOTE [ Web Worker pool ]: inside Pyodide, ``DataLoader(num_workers=N)`` uses
:class:`WebWorkerExecutor`. Each worker boots its own Pyodide from the main runtime's
``indexURL`` (module Web Workers made from a Blob URL in a page or a worker, ``worker_threads``
from a ``data:`` URL under Node.js) and gets its code from the main runtime's file system: the
files of ``torsh_data`` and of every module the pickled dataset, ``collate_fn`` and
``worker_init_fn`` refer to (the top-level package, or the single file) are copied over, and
Pyodide packages such as numpy that the main runtime loaded are loaded by name. So, as with
native ``spawn``, the dataset's classes must live in an importable module (not in
``__main__``), and modules those import must be importable in a fresh Pyodide too.

The rest is :mod:`._workers`' contract: the main runtime decides every task and hands tasks
out round-robin; results come back in order (or as ready, ``in_order=False``); each sample's
random stream depends only on ``(seed, epoch, index)``, so batches are those of
``num_workers=0``, bit for bit. A batch crosses as a pickle whose Tensors travel out of band:
their buffers are copied once out of the worker's WebAssembly memory into ``ArrayBuffer``\\ s,
*transferred* (not copied) with the message and copied once into the main runtime's memory.
A page with a Content-Security-Policy must allow ``worker-src blob:``.

NOTE [ Worker boot snapshot ]: most of a worker's start is CPython starting inside
WebAssembly (``loadPyodide``, 3-4 s here), as for a page (see NOTE [ Boot snapshot ] in the
JavaScript package's ``boot_cache.mjs``). So the first pool's worker 0, once it has imported
torsh_data, saves Pyodide's memory (``makeMemorySnapshot``) and the main runtime keeps it in a
:class:`~torsh_data.io.Cache` (IndexedDB in a browser, so across visits too); later pools
start every worker from it (``loadPyodide({_loadSnapshot})``), then write the files and load
the packages again (the file system is not in the snapshot) and reseed Python's ``random``.
The key is Pyodide's version and URL, the packages and torsh_data's files (nothing else is
imported before the snapshot); the cache checks each entry's sha256 and Pyodide its build id.
A worker that fails to restore starts the ordinary way and the entry is dropped. In a browser
the page compiles ``pyodide.asm.wasm`` once and hands the ``WebAssembly.Module`` to every
worker: no worker fetches and compiles it again, and WebKit, which runs a fresh module's code
in its interpreter first, reuses the code the earlier workers warmed (a 2-worker pool's boot
took a third of the CPU there; Chromium unchanged).

Iterate with ``async for``: waiting on workers must not block the browser's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import pickle
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError
from .._runtime import IN_BROWSER, IN_PYODIDE, js_module
from . import _worker_info
from ._fetch import Exhausted, Fetcher, build_fetcher
from ._transfer import code_for, dumps, js_bytes, pack, unpack
from ._workers import _EXHAUSTED, NOTHING, Ledger, WorkerError, _Failure, epoch_spec, follows

if TYPE_CHECKING:
    from ..io import Cache

__all__ = ["WebWorkerExecutor"]

_POLL = 0.25  # seconds between checks while waiting for a message
_BOOT_PHASES = ("import pyodide.mjs", "loadPyodide", "packages and files", "import torsh_data")
_SNAPSHOTS = "torsh-data-workers"  # the default cache of boot snapshots

# The worker's JavaScript, the same for a browser module worker and a Node.js worker thread.
_WORKER_JS = r"""
const node = typeof process === "object" && process.versions != null && process.versions.node != null;
let post, listen;
if (node) {
  const { parentPort } = await import("node:worker_threads");
  post = (m, t) => parentPort.postMessage(m, t);
  listen = (f) => parentPort.on("message", f);
} else {
  post = (m, t) => self.postMessage(m, t);
  listen = (f) => { self.onmessage = (e) => f(e.data); };
}
const fatal = (e) => post({ t: "fatal", error: String((e && e.stack) || e) });
let step = null;
let chain = Promise.resolve();
async function boot(m) {
  const t = [performance.now()];
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(m.module));
  } catch (e) {
    throw new Error(`cannot import Pyodide from ${m.module} (${e.code || e.name})`);
  }
  t.push(performance.now());
  if (m.wasm) {
    // The main runtime's compiled pyodide.asm.wasm: no fetch and compile here, and an engine
    // that shares a module's optimised code between instances (WebKit) starts warm.
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const r = await source;
      if (!String(r.url).endsWith("/pyodide.asm.wasm")) return streaming.call(WebAssembly, r, imports);
      return { module: m.wasm, instance: await WebAssembly.instantiate(m.wasm, imports) };
    };
  }
  let py = null, snapshot = "off", made = null;
  if (m.snapshot) {
    try {
      py = await loadPyodide({ indexURL: m.indexURL, _loadSnapshot: m.snapshot });
      snapshot = "restored";
    } catch (e) {
      snapshot = `failed to restore: ${(e && e.message) || e}`;
    }
  }
  py ??= await loadPyodide({ indexURL: m.indexURL, ...(m.makeSnapshot ? { _makeSnapshot: true } : {}) });
  t.push(performance.now());
  if (m.packages.length) await py.loadPackage(m.packages, { messageCallback: () => {} });
  for (const [file, data] of m.files) {
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")) || "/");
    py.FS.writeFile(file, data);
  }
  py.runPython("import importlib; importlib.invalidate_caches()");
  t.push(performance.now());
  step = py.pyimport("torsh_data.loader._webworkers")._worker_step;
  if (snapshot === "restored") {
    py.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
  } else if (m.makeSnapshot) {
    try {
      made = py.makeMemorySnapshot();
      snapshot = "made";
    } catch (e) {
      snapshot = `not made: ${(e && e.message) || e}`;
    }
    py.registerJsModule("js", globalThis); // the plain globals, not the snapshot's proxy of them
    py.runPython("import sys; sys.modules.pop('js', None)");
  }
  t.push(performance.now());
  return { seconds: t.slice(1).map((x, i) => (x - t[i]) / 1000), snapshot, made };
}
listen((m) => {
  if (m.t === "boot") {
    chain = chain.then(() => boot(m)).then(
      (r) => post({ t: "ready", ...r }, r.made ? [r.made.buffer] : []),
      (e) => { fatal(e); chain = new Promise(() => {}); });
    return;
  }
  chain = chain.then(async () => {
    const r = await step(m.data);
    if (r) post(r, r.parts.map((p) => p.buffer));
  }).catch(fatal);
});
"""


# --- inside a worker ------------------------------------------------------------------------
_here: dict[str, Any] = {}


async def _worker_step(data: Any) -> Any:
    """Handle one message from the main runtime; the reply (a JS object) or None."""
    js = js_module()
    kind, payload = pickle.loads(data.to_bytes())
    failure = batch = None
    tid = -1
    if kind == "setup":
        path, setup = payload
        sys.path[:] = [p for p in path if p] + [p for p in sys.path if p not in path]
        wid, num_workers, seed, shared = setup
        dataset, collate_fn, init_fn = pickle.loads(shared)
        _here.update(wid=wid, dataset=dataset, collate_fn=collate_fn)
        try:
            _worker_info.enter_worker(wid, num_workers, seed, dataset, init_fn)
            return None
        except BaseException as exc:
            failure = _Failure(wid, "worker_init_fn", exc)
    elif kind == "epoch":
        _here["fetcher"] = build_fetcher(payload, _here["dataset"], _here["collate_fn"])
        return None
    else:
        tid, task = payload
        try:
            batch = await _here["fetcher"].afetch(task)
        except Exhausted:
            batch = _EXHAUSTED
        except BaseException as exc:
            failure = _Failure(_here["wid"], task, exc)
    mode = follows(_here["fetcher"]) if "fetcher" in _here else None
    try:
        parts = pack((tid, batch, failure, mode))
    except Exception as exc:  # an unpicklable batch
        parts = pack((tid, None, _Failure(_here.get("wid", -1), payload, exc), mode))
    reply = js.Object.new()
    reply.t = "result"
    reply.parts = js.Array.new()
    for part in parts:
        reply.parts.push(js_bytes(part))
    return reply


# --- in the main runtime --------------------------------------------------------------------
def _index_url(url: str | None) -> str:
    """``url`` or the main runtime's Pyodide indexURL, absolute (a URL, or a directory under
    Node.js)."""
    if url is None:
        import pyodide_js  # type: ignore[import-not-found]

        url = str(pyodide_js._api.config.indexURL)
    if IN_BROWSER:
        js = js_module()
        return str(js.URL.new(url, js.location.href).href)
    return url


def _module_url(index_url: str) -> str:
    if "://" in index_url:
        return index_url.rstrip("/") + "/pyodide.mjs"
    return "file://" + os.path.abspath(index_url) + "/pyodide.mjs"


class _Pool:
    """N started workers, their listeners and one inbox of ``(kind, worker, data)``.

    ``snapshot(made)``: called with the boot snapshot a worker made (bytes), or with None
    when one failed to restore from the snapshot it was given.
    """

    def __init__(
        self,
        n: int,
        boot: dict[str, Any],
        setups: list[Any],
        snapshot: Callable[[bytes | None], None],
    ) -> None:
        from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

        js = js_module()
        self.inbox: asyncio.Queue[tuple[str, int, Any]] = asyncio.Queue()
        self.ready: set[int] = set()
        self.boot_times: dict[int, dict[str, float]] = {}
        self.snapshots: dict[int, str] = {}
        self._snapshot = snapshot
        self.started = time.monotonic()
        self.workers: list[Any] = []
        self.proxies: list[Any] = []
        source = _WORKER_JS
        if IN_BROWSER:
            blob = js.Blob.new(to_js([source]), to_js({"type": "text/javascript"}))
            self._url = js.URL.createObjectURL(blob)
        else:
            self._url = js.URL.new("data:text/javascript," + js.encodeURIComponent(source))
        boot_js = to_js(boot, dict_converter=js.Object.fromEntries)
        maker = 0 if boot.get("makeSnapshot") else -1  # one worker makes the snapshot
        for wid in range(n):
            boot_js.makeSnapshot = wid == maker
            if IN_BROWSER:
                opts = {"type": "module", "name": f"torsh-data-worker-{wid}"}
                w = js.Worker.new(self._url, to_js(opts, dict_converter=js.Object.fromEntries))
                on_msg = create_proxy(lambda e, wid=wid: self._on_message(wid, e.data))
                on_err = create_proxy(lambda e, wid=wid: self._on_error(wid, e))
                w.onmessage, w.onerror, w.onmessageerror = on_msg, on_err, on_err
                self.proxies += [on_msg, on_err]
            else:
                w = _node_worker.new(self._url)
                on_msg = create_proxy(lambda m, wid=wid: self._on_message(wid, m))
                on_err = create_proxy(lambda e, wid=wid: self._on_error(wid, e))
                on_exit = create_proxy(lambda code, wid=wid: self._on_exit(wid, code))
                w.on("message", on_msg)
                w.on("error", on_err)
                w.on("exit", on_exit)
                self.proxies += [on_msg, on_err, on_exit]
            self.workers.append(w)
            w.postMessage(boot_js)
            self.send(wid, ("setup", setups[wid]))

    # callbacks from JavaScript: only put what arrived in the inbox
    def _on_message(self, wid: int, m: Any) -> None:
        kind = str(m.t)
        if kind == "result":
            parts = []
            for ab in m.parts:
                buf = bytearray(ab.byteLength)
                if buf:
                    ab.assign_to(buf)
                parts.append(buf)
            self.inbox.put_nowait(("result", wid, parts))
        elif kind == "ready":
            self.ready.add(wid)
            self.boot_times[wid] = dict(
                zip(_BOOT_PHASES, (float(x) for x in m.seconds), strict=True)
            )
            self.snapshots[wid] = str(m.snapshot)
            if self.snapshots[wid] == "made":
                self._snapshot(m.made.to_bytes())
            elif self.snapshots[wid].startswith("failed"):
                self._snapshot(None)
        else:
            self.inbox.put_nowait(("fatal", wid, str(m.error)))

    def _on_error(self, wid: int, e: Any) -> None:
        text = getattr(e, "stack", None) or getattr(e, "message", None) or str(e)
        self.inbox.put_nowait(("fatal", wid, str(text) or "a script error (see the console)"))

    def _on_exit(self, wid: int, code: Any) -> None:
        self.inbox.put_nowait(("fatal", wid, f"its thread exited with code {code}"))

    def send(self, wid: int, message: Any) -> None:
        from pyodide.ffi import to_js

        js = js_module()
        data = js_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        m = js.Object.new()
        m.t, m.data = "msg", data
        self.workers[wid].postMessage(m, to_js([data.buffer]))

    def close(self) -> None:
        js = js_module()
        for w in self.workers:
            if IN_BROWSER:
                w.onmessage = w.onerror = w.onmessageerror = None
            else:
                w.removeAllListeners()
            w.terminate()
        for p in self.proxies:
            p.destroy()
        if IN_BROWSER:
            js.URL.revokeObjectURL(self._url)
        self.workers, self.proxies = [], []


_node_worker: Any = None  # node:worker_threads' Worker, imported once
_wasm: dict[str, Any] = {}  # index URL -> its compiled pyodide.asm.wasm (a browser's workers)
_background: set[Any] = set()  # snapshots being stored (a task needs a reference until done)


async def _quietly(job: Awaitable[Any]) -> Any:
    """``await job``, or None if it failed: a boot snapshot only ever saves time."""
    try:
        return await job
    except Exception:
        return None


async def _wasm_module(index_url: str) -> Any:
    """Pyodide's WebAssembly module compiled once per page for all its workers (None under
    Node.js or if it cannot be compiled: each worker then compiles its own)."""
    if not IN_BROWSER:
        return None
    if index_url not in _wasm:
        js = js_module()
        url = index_url.rstrip("/") + "/pyodide.asm.wasm"
        _wasm[index_url] = await _quietly(js.WebAssembly.compileStreaming(js.fetch(url)))
    return _wasm[index_url]


def _snapshot_key(index_url: str, packages: list[str], files: dict[str, bytes]) -> str:
    """What a boot snapshot depends on: Pyodide (version, where it is), the packages loaded
    and torsh_data's files (a worker imports nothing else before the snapshot)."""
    import pyodide_js

    import torsh_data

    package = next(iter(torsh_data.__path__))
    digest = hashlib.sha256("\0".join(sorted(packages)).encode())
    for path in sorted(p for p in files if p.startswith(package + os.sep)):
        digest.update(f"\0{path}\0".encode() + hashlib.sha256(files[path]).digest())
    return f"{pyodide_js.version} {index_url} {digest.hexdigest()}"


class WebWorkerExecutor:
    """Run fetches in ``num_workers`` Web Workers (``worker_threads`` under Node.js).

    The Pyodide counterpart of :class:`~torsh_data.loader.ProcessExecutor`, with the same
    arguments and batches; ``DataLoader(num_workers=N)`` picks it inside Pyodide. See the
    module docstring (NOTE [ Web Worker pool ]) for what a worker gets.

    Args:
        num_workers: workers in the pool.
        prefetch_factor: batches in flight per worker.
        persistent_workers: keep the workers (and their Pyodide) between epochs.
        timeout: seconds to wait for a batch once the workers are up (0: forever).
        in_order: False lets a batch that is ready overtake one that is not.
        worker_init_fn: called in each worker with its id, before loading.
        index_url: where workers load Pyodide from (default: the main runtime's indexURL).
        boot_timeout: seconds a worker may take to start before the loader gives up.
        boot_snapshot: keep a memory snapshot of a started worker in a
            :class:`~torsh_data.io.Cache` (True: ``Cache("torsh-data-workers")``, IndexedDB in
            a browser) and start later pools from it (NOTE [ Worker boot snapshot ]);
            False: every worker starts Pyodide from scratch.

    Attributes:
        boot_times: for each worker of the latest pool that is up, the seconds its start
            took, by phase (import of pyodide.mjs, ``loadPyodide``, packages and files,
            import of torsh_data).
        snapshots: for each worker of the latest pool that is up, ``"restored"`` (started
            from a boot snapshot), ``"made"`` (made one), ``"off"``, or why it failed.
    """

    def __init__(
        self,
        num_workers: int,
        prefetch_factor: int = 2,
        persistent_workers: bool = False,
        timeout: float = 0,
        in_order: bool = True,
        worker_init_fn: Callable[[int], None] | None = None,
        *,
        index_url: str | None = None,
        boot_timeout: float = 120.0,
        boot_snapshot: bool | Cache = True,
    ) -> None:
        check_int("num_workers", num_workers, 1)
        check_int("prefetch_factor", prefetch_factor, 1)
        for name, value in (("timeout", timeout), ("boot_timeout", boot_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise DataValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.timeout = timeout
        self.in_order = in_order
        self.worker_init_fn = worker_init_fn
        self.index_url = index_url
        self.boot_timeout = boot_timeout
        self.boot_snapshot = boot_snapshot
        self._pool: _Pool | None = None
        self._pool_key: tuple[Any, ...] | None = None
        self._task_ids = itertools.count()
        self.boot_times: dict[int, dict[str, float]] = {}
        self.snapshots: dict[int, str] = {}

    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
        raise DataTypeError(
            "a DataLoader with num_workers > 0 in Pyodide loads in Web Workers and must not "
            "block the event loop: iterate it with 'async for' (or use num_workers=0)"
        )

    async def _start(self, fetcher: Fetcher) -> _Pool:
        key = (id(fetcher.dataset), id(fetcher.collate_fn), fetcher.seed)
        if self._pool is not None and self._pool_key == key:
            return self._pool
        self.shutdown()
        if not IN_PYODIDE:
            raise DataValueError("WebWorkerExecutor runs only in Pyodide; natively use processes")
        global _node_worker
        if not IN_BROWSER and _node_worker is None:
            _node_worker = (await js_module().eval("import('node:worker_threads')")).Worker
        # NOTE: the caller's own objects (as for native processes): pickled, so trusted.
        shared, modules = dumps((fetcher.dataset, fetcher.collate_fn, self.worker_init_fn))
        files, packages = code_for(modules)
        path = list(sys.path)
        base = _worker_info.worker_base_seed(fetcher.seed, fetcher.epoch)
        setups = [(path, (wid, self.num_workers, base, shared)) for wid in range(self.num_workers)]
        index = _index_url(self.index_url)
        cache = self.boot_snapshot
        if cache is True:
            from ..io import Cache

            cache = Cache(_SNAPSHOTS, max_bytes=256 << 20)
        snapshot, snap_key = None, ""
        if cache:
            snap_key = _snapshot_key(index, packages, files)
            snapshot = await _quietly(cache.get(snap_key))
        boot = {
            "t": "boot",
            "module": _module_url(index),
            "indexURL": index,
            "packages": packages,
            "files": [[path, js_bytes(data)] for path, data in files.items()],
            "snapshot": js_bytes(snapshot) if snapshot else None,
            "makeSnapshot": bool(cache) and not snapshot,
            "wasm": await _wasm_module(index),
        }

        def keep(made: bytes | None) -> None:
            if cache:
                job = cache.put(snap_key, made) if made else cache.delete(snap_key)
                task = asyncio.ensure_future(_quietly(job))
                _background.add(task)
                task.add_done_callback(_background.discard)

        self._pool = _Pool(self.num_workers, boot, setups, keep)
        self._pool_key = key
        self.boot_times = self._pool.boot_times
        self.snapshots = self._pool.snapshots
        return self._pool

    def shutdown(self) -> None:
        """Terminate the workers (done after each epoch unless ``persistent_workers``)."""
        pool, self._pool, self._pool_key = self._pool, None, None
        if pool is not None:
            pool.close()

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:
            pass

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        spec, sharded = epoch_spec(fetcher)
        pool = await self._start(fetcher)
        for wid in range(self.num_workers):
            pool.send(wid, ("epoch", spec))
        try:
            async for batch in self._schedule(pool, tasks, sharded):
                yield batch
        finally:
            if not self.persistent_workers:
                self.shutdown()

    async def _schedule(self, pool: _Pool, tasks: Iterator[Any], sharded: bool | None) -> Any:
        def send(wid: int, tid: int, task: Any) -> None:
            pool.send(wid, ("task", (tid, task)))

        ledger = Ledger(self, tasks, sharded)
        ledger.hand_out(send)
        waited = 0.0
        while True:
            batch = ledger.take()
            if batch is not NOTHING:
                ledger.hand_out(send)
                yield batch
                continue
            if not ledger.order:
                return
            try:
                kind, wid, data = await asyncio.wait_for(pool.inbox.get(), _POLL)
            except asyncio.TimeoutError:
                waited = self._idle(pool, waited)
                continue
            waited = 0.0
            if kind == "fatal":
                self.shutdown()
                what = "failed to start" if wid not in pool.ready else "stopped"
                raise WorkerError(f"DataLoader web worker {wid} {what}: {data}")
            try:
                ledger.receive(*unpack(data))
            except BaseException:
                self.shutdown()
                raise
            ledger.hand_out(send)

    def _idle(self, pool: Any, waited: float) -> float:
        """One poll passed without a message: the seconds waited for a batch so far, which
        count only once every worker is up; raise on the boot or the batch timeout."""
        if len(pool.ready) < self.num_workers:
            if self.boot_timeout and time.monotonic() - pool.started > self.boot_timeout:
                late = sorted(set(range(self.num_workers)) - pool.ready)
                self.shutdown()
                raise WorkerError(
                    f"DataLoader web workers {late} did not start within {self.boot_timeout} s "
                    "(is Pyodide reachable at the index URL?)"
                )
            return 0.0
        waited += _POLL
        if self.timeout and waited >= self.timeout:
            self.shutdown()
            raise WorkerError(
                f"DataLoader timed out after {self.timeout} seconds: no batch came from the "
                "workers; raise timeout (0 waits forever)"
            )
        return waited
