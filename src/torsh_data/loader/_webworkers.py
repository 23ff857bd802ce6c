"""Web Workers (browser) and ``worker_threads`` (Node.js): the loader's worker pool in Pyodide.

NOTE [ Web Worker pool ]: inside Pyodide, ``DataLoader(num_workers=N)`` uses
:class:`WebWorkerExecutor`. Each worker boots its own Pyodide from the main runtime's
``indexURL`` (module Web Workers made from a Blob URL in a page or a worker, ``worker_threads``
from a ``data:`` URL under Node.js) and gets its code from the main runtime's file system: the
files of ``torsh_data`` and of every module the pickled dataset, ``collate_fn`` and
``worker_init_fn`` refer to (the top-level package, or the single file) are copied over, and
Pyodide packages such as numpy that the main runtime loaded are loaded by name. So, as with
native ``spawn``, the dataset's classes must live in an importable module (not in
``__main__``), and modules those import must be importable in a fresh Pyodide too. The
worker's JavaScript is ``worker.mjs`` beside this module (:func:`worker_source`).

The scheduling is :mod:`._pool`'s, shared with the process pool: the main runtime decides
every task and hands tasks out round-robin; results come back in order (or as ready,
``in_order=False``); each sample's random stream depends only on ``(seed, epoch, index)``, so
batches are those of ``num_workers=0``, bit for bit. A batch crosses as a pickle whose Tensors
travel out of band: their buffers are copied once out of the worker's WebAssembly memory into
``ArrayBuffer``\\ s, *transferred* (not copied) with the message and copied once into the main
runtime's memory. A page with a Content-Security-Policy must allow ``worker-src blob:``.

NOTE [ Worker boot snapshot ]: most of a worker's start is CPython starting inside
WebAssembly (``loadPyodide``, 3-4 s here), as for a page (see NOTE [ Boot snapshot ] in the
JavaScript package's ``boot_cache.mjs``; a page and a worker take the same steps,
``pyodide_boot.mjs``). So the first pool's worker 0, once it has imported torsh_data, saves
Pyodide's memory (``makeMemorySnapshot``) and the main runtime keeps it in a
:class:`~torsh_data.io.Cache` (IndexedDB in a browser, so across visits too); later pools
start every worker from it (``loadPyodide({_loadSnapshot})``), then write the files and load
the packages again (the file system is not in the snapshot) and reseed Python's ``random``.
The key is Pyodide's version and URL, the packages and torsh_data's files (nothing else is
imported before the snapshot); the cache checks each entry's sha256 and Pyodide its build id.
A worker that fails to restore, or whose restored runtime fails before it is ready (its
standard library is not the one the snapshot was made with, say), starts the ordinary way
(``bootOrRetry`` in ``pyodide_boot.mjs``, the page's mechanism too) and the entry is dropped. In a browser
the page compiles ``pyodide.asm.wasm`` once and hands the ``WebAssembly.Module`` to every
worker: no worker fetches and compiles it again, and WebKit, which runs a fresh module's code
in its interpreter first, reuses the code the earlier workers warmed (a 2-worker pool's boot
took a third of the CPU there; Chromium unchanged).

NOTE [ Worker standard library ]: a worker boots with the standard library the main runtime
booted with (Pyodide's ``config.stdLibURL``): in a page of the JavaScript package that is its
precompiled ``python_stdlib.zip`` (NOTE [ Precompiled boot ] in ``tools/precompile.py``),
whose modules a boot imports are bytecode, so a worker does not compile them from source
either; a main runtime on Pyodide's own zip (a package built with ``--no-precompile``, or
Pyodide started directly) gives its workers Pyodide's own too. The hash-based pycs beside
the files a worker gets (the precompiled wheel's) come along (:func:`._transfer.code_for`).
A worker reports which it has (:attr:`WebWorkerExecutor.stdlib`); the zip's sha256 is part of
the boot snapshot's key (a snapshot holds ``zipimport``'s index of that very zip).

Iterate with ``async for``: a plain ``for`` waits for each batch through JSPI (NOTE [ Blocking
on a promise ] in ``_runtime.py``), which WebKit/Safari does not have.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.resources
import os
import pickle
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import _worker_info
from .._errors import DataValueError
from .._ffi import create_proxy, js_array, js_object, to_js, to_uint8array
from .._runtime import IN_BROWSER, IN_PYODIDE, iterate_blocking, js_module, wait_for
from ._fetch import Fetcher
from ._pool import PoolExecutor, Reply, WorkerEnd, WorkerError, WorkerFailure, adrive, epoch_spec
from ._transfer import code_for, dumps, pack, unpack

if TYPE_CHECKING:
    from ..io import Cache

__all__ = ["WebWorkerExecutor"]

_BOOT_PHASES = ("import pyodide.mjs", "loadPyodide", "packages and files", "import torsh_data")
_SNAPSHOTS = "torsh-data-workers"  # the default cache of boot snapshots

#: The line of ``worker.mjs`` that imports the shared boot steps, replaced by their source.
_BOOT_IMPORT = re.compile(r'^import \{[^}]*\} from "\./pyodide_boot\.mjs";\n', re.MULTILINE)


def worker_source() -> str:
    """The worker's JavaScript, one module: ``worker.mjs`` with ``pyodide_boot.mjs`` (the boot
    steps it shares with the JavaScript package) inlined, as a worker started from a Blob or
    ``data:`` URL cannot import a file beside it."""
    here = importlib.resources.files(__package__)
    worker = (here / "worker.mjs").read_text(encoding="utf-8")
    boot = (here / "pyodide_boot.mjs").read_text(encoding="utf-8")
    source, found = _BOOT_IMPORT.subn(lambda _: boot, worker, count=1)
    if not found:
        raise AssertionError("worker.mjs no longer imports ./pyodide_boot.mjs on a line of its own")
    return source


# --- inside a worker ------------------------------------------------------------------------
_here: dict[str, WorkerEnd] = {}


async def _worker_step(data: Any) -> Any:
    """Handle one message from the main runtime; the reply (a JS object) or None."""
    js = js_module()
    kind, payload = pickle.loads(data.to_bytes())
    reply: Reply | None
    if kind == "setup":
        path, (wid, num_workers, seed, shared) = payload
        sys.path[:] = [p for p in path if p] + [p for p in sys.path if p not in path]
        dataset, collate_fn, init_fn = pickle.loads(shared)
        end = _here["end"] = WorkerEnd(wid, dataset, collate_fn)
        reply = end.setup(num_workers, seed, init_fn)
    elif kind == "epoch":
        _here["end"].epoch(payload)
        reply = None
    else:
        end = _here["end"]
        tid, task = payload
        assert end.fetcher is not None
        try:
            reply = end.reply(tid, task, await end.fetcher.afetch(task))
        except BaseException as exc:
            reply = end.reply(tid, task, exc=exc)
    if reply is None:
        return None
    try:
        parts = pack(reply)
    except Exception as exc:  # an unpicklable batch
        parts = pack((reply[0], None, WorkerFailure(end.wid, payload, exc), reply[3]))
    out = js.Object.new()
    out.t = "result"
    out.parts = js.Array.new()
    for part in parts:
        out.parts.push(to_uint8array(part))
    return out


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


def _stdlib_url() -> str | None:
    """The standard library zip the main runtime booted with (NOTE [ Worker standard
    library ]), absolute; None: Pyodide's own beside ``indexURL``."""
    import pyodide_js

    url = getattr(pyodide_js._api.config, "stdLibURL", None)
    if url is None:
        return None
    if IN_BROWSER:
        js = js_module()
        return str(js.URL.new(str(url), js.location.href).href)
    return str(url) if "://" in str(url) else os.path.abspath(str(url))


def _stdlib_sha256() -> str:
    """The sha256 of the standard library zip in this runtime's file system ("" if none)."""
    digest = hashlib.sha256()
    for path in sys.path:
        if path.endswith(".zip") and os.path.isfile(path):
            with open(path, "rb") as f:
                digest.update(f.read())
            return digest.hexdigest()
    return ""


def _stdlib_kind() -> str:
    """``"precompiled"`` when this runtime imported standard library modules from bytecode
    in its zip (NOTE [ Precompiled boot ]), else ``"pyodide"`` (compiled from sources)."""
    zips = tuple(p + os.sep for p in sys.path if p.endswith(".zip"))
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if zips and where.startswith(zips) and where.endswith(".pyc"):
            return "precompiled"
    return "pyodide"


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
        js = js_module()
        self.inbox: asyncio.Queue[tuple[str, int, Any]] = asyncio.Queue()
        self.ready: set[int] = set()
        self.boot_times: dict[int, dict[str, float]] = {}
        self.snapshots: dict[int, str] = {}
        self.stdlib: dict[int, str] = {}
        self._snapshot = snapshot
        self.started = time.monotonic()
        self.workers: list[Any] = []
        self.proxies: list[Any] = []
        source = worker_source()
        if IN_BROWSER:
            blob = js.Blob.new(js_array([source]), js_object(type="text/javascript"))
            self._url = js.URL.createObjectURL(blob)
        else:
            self._url = js.URL.new("data:text/javascript," + js.encodeURIComponent(source))
        boot_js = to_js(boot)
        maker = 0 if boot.get("makeSnapshot") else -1  # one worker makes the snapshot
        for wid in range(n):
            boot_js.makeSnapshot = wid == maker
            if IN_BROWSER:
                opts = js_object(type="module", name=f"torsh-data-worker-{wid}")
                w = js.Worker.new(self._url, opts)
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
            self.stdlib[wid] = str(m.stdlib)
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
        js = js_module()
        data = to_uint8array(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        m = js.Object.new()
        m.t, m.data = "msg", data
        self.workers[wid].postMessage(m, js_array([data.buffer]))

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
    """What a boot snapshot depends on: Pyodide (version, where it is), the standard library
    zip (its sha256), the packages loaded and torsh_data's files (a worker imports nothing
    else before the snapshot)."""
    import pyodide_js

    package = next(iter(sys.modules[__name__.partition(".")[0]].__path__))  # torsh_data's folder
    digest = hashlib.sha256(f"{_stdlib_sha256()}\0".encode() + "\0".join(sorted(packages)).encode())
    for path in sorted(p for p in files if p.startswith(package + os.sep)):
        digest.update(f"\0{path}\0".encode() + hashlib.sha256(files[path]).digest())
    return f"{pyodide_js.version} {index_url} {digest.hexdigest()}"


class WebWorkerExecutor(PoolExecutor):
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
        stdlib: for each worker of the latest pool that is up, ``"precompiled"`` (it booted
            with the main runtime's precompiled standard library, NOTE [ Worker standard
            library ]) or ``"pyodide"`` (Pyodide's own, compiled from sources).
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
        super().__init__(
            num_workers, prefetch_factor, persistent_workers, timeout, in_order, worker_init_fn
        )
        if (
            isinstance(boot_timeout, bool)
            or not isinstance(boot_timeout, (int, float))
            or boot_timeout < 0
        ):
            raise DataValueError(
                f"boot_timeout must be a number of seconds >= 0, got {boot_timeout!r}"
            )
        self.index_url = index_url
        self.boot_timeout = boot_timeout
        self.boot_snapshot = boot_snapshot
        self._pool: _Pool | None = None
        self._pool_key: tuple[Any, ...] | None = None
        self.boot_times: dict[int, dict[str, float]] = {}
        self.snapshots: dict[int, str] = {}
        self.stdlib: dict[int, str] = {}

    poll = 0.25  # seconds between checks while waiting for a message

    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
        # NOTE [ Blocking on a promise ] in _runtime.py: each batch is waited for through JSPI
        return iterate_blocking(
            self.arun(fetcher, tasks),
            operation="'for batch in loader' with num_workers > 0 (Web Workers)",
            alternative="'async for batch in loader' (or num_workers=0)",
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
        path = [p or os.getcwd() for p in sys.path]  # a notebook imports from its folder
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
            "stdLibURL": _stdlib_url(),
            "packages": packages,
            "files": [[path, to_uint8array(data)] for path, data in files.items()],
            "snapshot": to_uint8array(snapshot) if snapshot else None,
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
        self.stdlib = self._pool.stdlib
        return self._pool

    def shutdown(self) -> None:
        """Terminate the workers (done after each epoch unless ``persistent_workers``)."""
        pool, self._pool, self._pool_key = self._pool, None, None
        if pool is not None:
            pool.close()

    def _send(self, wid: int, message: Any) -> None:
        assert self._pool is not None
        self._pool.send(wid, message)

    async def _recv(self) -> Reply | None:
        pool = self._pool
        assert pool is not None
        try:
            kind, wid, data = await wait_for(pool.inbox.get(), self.poll)
        except asyncio.TimeoutError:
            return None
        if kind == "fatal":
            self.shutdown()
            what = "failed to start" if wid not in pool.ready else "stopped"
            raise WorkerError(f"DataLoader web worker {wid} {what}: {data}")
        reply: Reply = unpack(data)
        return reply

    def _idle(self) -> bool:
        pool = self._pool
        assert pool is not None
        if len(pool.ready) == self.num_workers:
            return True
        if self.boot_timeout and time.monotonic() - pool.started > self.boot_timeout:
            late = sorted(set(range(self.num_workers)) - pool.ready)
            self.shutdown()
            raise WorkerError(
                f"DataLoader web workers {late} did not start within {self.boot_timeout} s "
                "(is Pyodide reachable at the index URL?)"
            )
        return False

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        spec, sharded = epoch_spec(fetcher)
        await self._start(fetcher)
        try:
            async for batch in adrive(self._epoch(spec, sharded, tasks), self._recv):
                yield batch
        finally:
            if not self.persistent_workers:
                self.shutdown()
