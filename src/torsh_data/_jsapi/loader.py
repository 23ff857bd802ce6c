"""The loader the JavaScript ``WasmDataLoader`` and ``WasmDataProcessor`` drive: a
:class:`JsLoader` loads a source, then hands out batches (see the package docstring)."""

from __future__ import annotations

import array
import asyncio
import json
import time
from typing import Any

from .._capabilities import PerformanceMonitor
from .._checks import check_bool, check_int
from .._errors import CannotBlockError, DataTypeError, DataValueError, TorshDataError
from ..formats import FORMATS as REGISTRY
from ..tabular import FeatureRow, collate_feature_rows
from ..tensor import Tensor
from . import stream
from .convert import BatchPacker
from .labels import LabelCodec
from .options import format_or_none, guess_format, parse_options
from .stream import (
    DEFAULT_IN_MEMORY_BYTES,
    DEFAULT_LOAD_CHUNK,
    CountedSource,
    StreamedSamples,
    TimeSlicer,
    collector_paused,
    materialise,
    materialise_sliced,
    reader_options,
    to_samples,
)
from .transforms import apply_transforms

__all__ = ["JsLoader", "collate_records", "warm_up"]


# NOTE [ Warm-up ]: in a page, Python runs on the main thread, so whatever a first load does
# for the first time (importing a module, compiling it from source when no .pyc is shipped,
# filling a cache) is one task the page cannot repaint during. ``warm_up()`` runs before the
# boot snapshot is taken (NOTE [ Boot snapshot ] in js/boot_cache.mjs), so what it imports or
# fills is in every later visit's memory too. It imports the load path's modules, the HTTP
# transport included: ``iter_fetch`` imports that at its first request, which was the
# longest task of a first URL load, before its first byte (the module was compiled from
# source there, as tools/precompile.mjs ships a .pyc only for what ``warm_up()`` and a few
# loads from memory import). Then it parses a CSV of two records and batches it, as a first
# load does. tests/runtimes/warm_up.test.mjs checks that a first URL load after ``init()``
# imports no module.
_WARM_LOADS: tuple[tuple[bytes, dict[str, Any]], ...] = (
    (b"a,b,label\n1,2.5,0\n3,-4,1\n", {"label": "label", "shuffle": True, "seed": 0}),
    (b"a,b\n1,2\n3,4\n", {}),
)


def warm_up() -> None:
    """Import and run once what loading a CSV and batching it need, so that ``init()`` pays
    for it, and the boot snapshot keeps it, not the first load (NOTE [ Warm-up ]).

    >>> warm_up()
    """
    from .. import formats, loader, transforms  # noqa: F401
    from ..io import fetch

    fetch._transport()  # the HTTP transport module, imported at the first request otherwise
    for data, options in _WARM_LOADS:
        _warm_load(data, options)


def _warm_load(data: bytes, options: dict[str, Any]) -> None:
    """Parse ``data`` (a CSV) as :meth:`JsLoader._open` does, synchronously (a load awaits
    the event loop, which a boot cannot), then batch it (to JavaScript in Pyodide)."""
    from ..io import open_dataset

    js_loader = JsLoader(2, json.dumps(options))  # JSON, as JavaScript gives them
    opts, name = js_loader.options, "warm-up.csv"
    label = opts.get("label")
    js_loader.labels = None if label is None else LabelCodec(label, None, "float32")
    js_loader.names = ["x", "y"] if label is not None else ["x"]
    records = list(open_dataset(data, "csv", name=name, **reader_options("csv", opts)))
    js_loader._setup(materialise("csv", records, opts, name, js_loader.labels))
    js_loader.info_json()
    while (batch := js_loader.next_batch_sync()) is not None:
        try:
            js_loader._to_js(batch)
        except TorshDataError:  # natively: no JavaScript to convert to (the _ffi seam)
            return


class _RecordingCache:
    """A cache wrapper that remembers whether a ``get`` found its entry."""

    def __init__(self, cache: Any) -> None:
        self.cache, self.hit = cache, False

    async def get(self, key: str) -> bytes | None:
        data: bytes | None = await self.cache.get(key)
        self.hit = self.hit or data is not None
        return data

    async def put(self, key: str, data: bytes) -> None:
        await self.cache.put(key, data)


class JsLoader:
    """Load a source, then hand out batches: what the JavaScript ``WasmDataLoader`` drives.

    Args:
        batch_size: samples per batch.
        options: JSON (or a dict) of the JavaScript options: ``shuffle``, ``seed``,
            ``dropLast``, ``columns``, ``label``, ``transforms``, ``cache`` (a cache name, or
            ``true`` for ``"torsh-data"``), ``workers``, ``format``, ``names`` (of tuple
            fields, default ``x``, ``y``), ``cast`` (e.g. ``{"int64": "int32"}`` for
            TensorFlow.js), ``tokenize`` (text), ``delimiter``/``header`` (CSV).
    """

    def __init__(self, batch_size: int, options: str | dict[str, Any] | None = None) -> None:
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.options = parse_options(options)
        check_bool("shuffle", self.options.get("shuffle", False))
        check_bool("drop_last", self.options.get("drop_last", False))
        self.progress: float | None = 0.0
        self.bytes_loaded = 0
        self.from_cache = False
        self.source_name: str | None = None
        self.format: str | None = None
        self.dataset: Any = None
        self.loader: Any = None
        self.names: list[str] | None = None
        self._monitor = PerformanceMonitor()
        # the lean path's (batch, to_js) seconds not yet in the monitor (NOTE [ Lean batch path ])
        self._lean_times = array.array("d")
        # a batch that is one tensor is {_first: batch}, unconverted (NOTE [ One-tensor batches ])
        self._first: str | None = None
        self._it: Any = None
        self._sync = False  # whether _it is a synchronous iterator
        self.labels: LabelCodec | None = None
        self.epoch = 0
        self.synchronous = False
        self._packer = BatchPacker()

    @property
    def monitor(self) -> PerformanceMonitor:
        """The timings of loading and of each batch (with every batch made so far)."""
        self._fold_times()
        return self._monitor

    def _fold_times(self) -> None:
        """The lean path's pending durations into the monitor (NOTE [ Lean batch path ])."""
        pending = self._lean_times
        if pending:
            record = self._monitor.record
            for i in range(0, len(pending), 2):
                record("batch", pending[i])
                record("to_js", pending[i + 1])
            del pending[:]

    def slots_address(self) -> int:
        """Where JavaScript reads a batch's addresses and sizes (NOTE [ Batch slots ] in
        convert.py); 0: from the descriptor string only."""
        return self._packer.slots_address()

    # ------------------------------------------------------------------ loading
    def _on_progress(self, done: int, total: int | None) -> None:
        """Decoded bytes read so far, of ``total`` (None: unknown; NOTE [ Loading yields ])."""
        self.bytes_loaded = done
        if self.progress is None or self.progress < 1.0:
            self.progress = min(done / total, 1.0) * 0.99 if total else None  # 1.0 once parsed

    async def load_url(self, url: str, content_type: str | None = None) -> int:
        """Download and parse ``url`` as it arrives (through the cache when the ``cache``
        option is set; see NOTE [ Streaming facade ]).

        NOTE [ Format from the response ]: when neither the ``format`` option, the URL's
        extension nor ``content_type`` tells the format (``/api/dataset`` served as
        ``text/csv``), it is decided from the ``Content-Type`` of the load's own response:
        the download starts, its first chunk is read (the headers are in by then, given
        through ``iter_fetch(info=...)``), the format is chosen and the parse goes on from that
        chunk. One request, no HEAD before it; with the ``cache`` option the type is stored
        beside the bytes, so a reload offline finds both.
        """
        fmt = self.options.get("format") or format_or_none(url, content_type)
        if fmt in REGISTRY and REGISTRY[fmt].dataset is not None:
            return await self._load_shards(url)
        cache = _cache(self.options.get("cache"))
        recording = _RecordingCache(cache) if cache is not None else None
        fetch: dict[str, Any] = {"expect": f"{fmt} data" if fmt else "data"}
        if fmt is None:
            fetch["info"] = {}  # the response's Content-Type (NOTE [ Format from the response ])
        if recording is not None:
            fetch["cache"] = recording
        warm = None  # NOTE [ Warm load ] (stream.py): while the request is in flight
        if stream.WARM_LOADS and fmt is not None and REGISTRY[fmt].records == "csv":
            warm = asyncio.ensure_future(stream.warm_load(self.options))
        try:
            n = await self.load_source(url, name=url, content_type=content_type, fetch=fetch)
        finally:
            if warm is not None:
                await stream.end_warm_load(warm)
        self.from_cache = bool(recording and recording.hit)
        return n

    async def load_blob(self, blob: Any) -> int:
        """Parse a browser ``File``/``Blob``, read in slices (format from its name/type)."""
        name = str(getattr(blob, "name", "") or "") or None
        return await self.load_source(blob, name=name, content_type=str(blob.type or "") or None)

    async def load_stream(self, stream: Any, total: int | None = None) -> int:
        """Parse a JavaScript ``ReadableStream`` (or any async iterable of bytes)."""
        return await self.load_source(stream, total=total)

    async def load_bytes(
        self, data: bytes, name: str | None = None, content_type: str | None = None
    ) -> int:
        """Parse ``data``; returns the number of samples."""
        return await self.load_source(bytes(data), name=name, content_type=content_type)

    async def load_source(
        self,
        source: Any,
        *,
        name: str | None = None,
        content_type: str | None = None,
        total: int | None = None,
        fetch: dict[str, Any] | None = None,
        slice_seconds: float | None = None,
    ) -> int:
        """Open ``source`` with :func:`~torsh_data.io.open_dataset` and set up the loader;
        returns the number of samples, or -1 while a streaming source's is unknown (see
        NOTE [ Streaming facade ]); ``slice_seconds``: of :class:`TimeSlicer`."""
        t0 = time.perf_counter()
        opts = self.options
        name = opts.get("name") or name or "<data>"
        ctype = opts.get("content_type") or content_type
        self.source_name, self.progress, self.bytes_loaded = name, 0.0, 0
        src = CountedSource(
            source, name, ctype, self._on_progress, total=total,
            chunk_size=int(opts.get("chunk_size", DEFAULT_LOAD_CHUNK)), fetch=fetch,
            slicer=TimeSlicer(slice_seconds),
        )  # fmt: skip
        info = (fetch or {}).get("info")
        if info is not None and not ctype and not opts.get("format"):
            if format_or_none(name) is None:  # NOTE [ Format from the response ]
                await src.begin()
                ctype = info.get("content_type") or None
                src.type = ctype or ""
        try:
            fmt = guess_format(opts.get("format"), name=name, content_type=ctype)
            return await self._open(src, fmt, ctype, t0)
        finally:
            await src.aclose()  # a pass begun above and never read (an error before)

    async def _open(self, src: CountedSource, fmt: str, ctype: str | None, t0: float) -> int:
        """The rest of :meth:`load_source`, once the format is known."""
        from ..io import open_dataset

        opts, name = self.options, src.name
        self.format = fmt
        self.names = None
        entry = REGISTRY[fmt]
        label = opts.get("label")
        self.labels = None
        if entry.records == "csv" and label is not None:
            self.labels = LabelCodec(label, opts.get("classes"), opts.get("label_dtype", "float32"))
        with collector_paused():  # NOTE [ Loading yields ]
            if entry.reader is None:  # idx, npz: read whole
                if entry.whole is None:
                    raise DataValueError(
                        f"{name}: format {fmt!r} is not read whole; see guess_format"
                    )
                data = b"".join([chunk async for chunk in src])
                dataset, names = entry.whole(data, name, opts.get("columns"))
                self.names = list(opts.get("names") or names)
            else:
                ds = open_dataset(
                    src, fmt, name=name, content_type=ctype, **reader_options(fmt, opts)
                )
                tabular = entry.records == "csv"
                if tabular or fmt == "npy":
                    self.names = ["x", "y"] if tabular and opts.get("label") is not None else ["x"]
                self.names = list(opts.get("names") or self.names or []) or None
                dataset = await self._read(ds, src, fmt)
            self._setup(apply_transforms(opts.get("transforms") or [], self.names, dataset))
        self.monitor.record("parse", time.perf_counter() - t0)
        if not isinstance(self.dataset, StreamedSamples):
            self.progress = 1.0
            return len(self.dataset)
        return -1

    async def _read(self, ds: Any, src: CountedSource, fmt: str) -> Any:
        """All records in memory (shuffle, or the source ended within ``in_memory_bytes``),
        else a :class:`StreamedSamples` continuing where the reading stopped."""
        opts, name = self.options, src.name
        if opts.get("shuffle"):
            records = list((await ds.load()).records)  # not list(dataset): a call a record
            return await materialise_sliced(fmt, records, opts, name, src.slicer, self.labels)
        limit = check_int(
            "in_memory_bytes", opts.get("in_memory_bytes", DEFAULT_IN_MEMORY_BYTES), 0
        )
        it = ds.__aiter__()
        head: list[Any] = []
        try:
            async for rec in it:
                head.append(rec)
                if src.bytes_read > limit:
                    sample = to_samples(fmt, opts, name, self.labels)
                    return StreamedSamples(ds, sample, head, it)
        except BaseException:
            await it.aclose()
            raise
        return await materialise_sliced(fmt, head, opts, name, src.slicer, self.labels)

    async def _load_shards(self, url: str) -> int:
        """Every shard of a manifest (:class:`~torsh_data.io.ShardedDataset`), in memory."""
        from ..io import open_dataset

        t0 = time.perf_counter()
        ds = open_dataset(
            url, "shards", cache=_cache(self.options.get("cache")), on_progress=self._on_progress
        )
        await ds.load()
        records = [r async for r in ds]
        self.format, self.source_name = "shards", url
        self._setup(materialise("json", records, self.options, url))
        self.monitor.record("parse", time.perf_counter() - t0)
        self.progress = 1.0
        return len(self.dataset)

    def _setup(self, dataset: Any) -> None:
        from ..loader import DataLoader

        opts = self.options
        self.dataset = dataset
        streamed = isinstance(dataset, StreamedSamples)
        workers = 0 if streamed else int(opts.get("workers", 0))
        # NOTE [ Synchronous batches ]: in memory and without workers, the batches are made
        # by iterating the loader synchronously, so JavaScript's nextBatch() calls
        # next_batch_js_sync() and Pyodide's event loop is not entered: under Node.js with
        # JSPI each await of a Python coroutine from JavaScript took 4.7 ms of timer turns
        # (0.7 ms without JSPI; a busy machine), and the async iterator adds an
        # asyncio.sleep(0) per batch: more than a P2 batch takes to make (nextBatch() went
        # from 0.19x to 0.7x of the DataLoader there). Streaming sources and workers stay async.
        self.synchronous = not streamed and workers == 0
        plain = not opts.get("cast") and self.labels is None
        self._first = (self.names or ["x"])[0] if plain else None
        self.loader = DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=bool(opts.get("shuffle", False)),
            drop_last=bool(opts.get("drop_last", False)),
            seed=opts.get("seed", 0),
            num_workers=workers,
            collate_fn=_collate_for(dataset),
        )
        self._it = None

    # ------------------------------------------------------------------ batches
    def num_batches(self) -> int | None:
        """Batches per epoch: 0 before loading, None while a streaming source's is unknown."""
        if self.loader is None:
            return 0
        if isinstance(self.dataset, StreamedSamples):
            return self.dataset.batches(self.batch_size, bool(self.options.get("drop_last")))
        return len(self.loader)

    def num_samples(self) -> int | None:
        """Samples per epoch (None while a streaming source's is unknown)."""
        if isinstance(self.dataset, StreamedSamples):
            return self.dataset.total
        return 0 if self.dataset is None else len(self.dataset)

    def __len__(self) -> int:
        """Batches per epoch (0 before loading); a DataTypeError while unknown."""
        n = self.num_batches()
        if n is None:
            raise DataTypeError("a streaming source's length is known once an epoch has ended")
        return n

    def reset(self) -> None:
        """Start the next epoch at the following :meth:`next_batch`."""
        if self._it is not None:
            self.epoch += 1
        self._it = None

    async def next_batch(self) -> dict[str, Any] | None:
        """The next batch as ``{name: Tensor | list}``, or ``None`` at the end of the epoch."""
        if self.synchronous or self.loader is None:
            return self.next_batch_sync()
        t0 = time.perf_counter()
        try:
            batch = await self._epoch(sync=False).__anext__()
        except StopAsyncIteration:
            self._ended()
            return None
        return self._made(batch, t0)

    def _ended(self) -> None:
        self._it = None
        self.epoch += 1
        self.progress = 1.0

    def _made(self, batch: Any, t0: float) -> dict[str, Any]:
        out = self._named(batch)
        self.monitor.record("batch", time.perf_counter() - t0)
        return out

    def next_batch_sync(self) -> dict[str, Any] | None:
        """:meth:`next_batch` without awaiting anything: for data in memory, loaded without
        ``workers`` (what the JavaScript ``next_batch()`` calls). Mixed with
        :meth:`next_batch`, the two continue one epoch.

        Raises:
            CannotBlockError: the source streams, or the loader has workers: their batches
                arrive asynchronously (use ``await loader.nextBatch()``).
        """
        streams = isinstance(self.dataset, StreamedSamples)
        if streams or self.options.get("workers"):
            why = "this source streams" if streams else "workers load it"
            raise CannotBlockError(
                f"next_batch() returns a batch at once only for data in memory, and {why}: "
                "use 'await loader.nextBatch()' or 'for await (const batch of loader)'"
            )
        t0 = time.perf_counter()
        try:
            batch = next(self._epoch(sync=True))
        except StopIteration:
            self._ended()
            return None
        return self._made(batch, t0)

    def _epoch(self, sync: bool) -> Any:
        """The current epoch's iterator, synchronous or not; switching kinds mid-epoch
        continues the epoch where it was (:meth:`DataLoader.state_dict`)."""
        if self.loader is None:
            raise DataValueError("no data loaded: call load_from_url/file/stream first")
        if self._it is not None and self._sync != sync:
            state = self.loader.state_dict()
            if state["epoch"] != self.epoch:  # every batch handed out: the epoch ends now
                raise StopIteration if sync else StopAsyncIteration
            self.loader.load_state_dict(state)
        elif self._it is None:
            self.loader.set_epoch(self.epoch)
        else:
            return self._it
        self._it, self._sync = (iter(self.loader) if sync else self.loader.__aiter__()), sync
        return self._it

    def _named(self, batch: Any) -> dict[str, Any]:
        if isinstance(batch, dict):
            named = {str(k): v for k, v in batch.items()}
        elif isinstance(batch, (list, tuple)):
            names = self.names or [f"x{i}" for i in range(len(batch))]
            named = dict(zip(names, batch, strict=False))
        else:
            named = {(self.names or ["x"])[0]: batch}
        cast = self.options.get("cast")
        if not cast and self.labels is None:
            return named  # nothing to convert (every batch of most loaders)
        cast = cast or {}
        label = self.names[-1] if self.labels is not None and self.names else None
        for k, v in named.items():
            if k == label and self.labels is not None:
                named[k] = self.labels.output(v)  # NOTE [ Labels for TensorFlow.js ]
            elif isinstance(v, Tensor) and v.dtype.name in cast:
                named[k] = v.astype(cast[v.dtype.name])
        return named

    def schema(self) -> list[dict[str, Any]]:
        """Each field of a batch: name, dtype, per-sample shape and kind (image/tabular/...)."""
        if isinstance(self.dataset, StreamedSamples):
            example, steps = self.dataset.example, self.dataset.steps
            if example is None:
                return []
            if steps is not None:
                example = steps(example.tensors() if type(example) is FeatureRow else example)
            first = example
        elif self.dataset is None or not len(self.dataset):
            return []
        else:
            first = self.dataset[0]
        one = self._named(collate_records([first]))
        fields = []
        for k, v in one.items():
            if isinstance(v, Tensor):
                shape = list(v.shape[1:])
                image = v.dtype.name == "uint8" and len(shape) in (2, 3)
                kind = "image" if image else "tensor" if shape else "scalar"
                fields.append({"name": k, "dtype": v.dtype.name, "shape": shape, "kind": kind})
            else:
                fields.append({"name": k, "dtype": "object", "shape": [], "kind": "text"})
        return fields

    def info_json(self) -> str:
        """``{len, samples, progress, fromCache, format, name, schema}`` as JSON."""
        return json.dumps(
            {
                "len": self.num_batches(),
                "samples": self.num_samples(),
                "streaming": isinstance(self.dataset, StreamedSamples),
                "progress": self.progress,
                "fromCache": self.from_cache,
                "format": self.format,
                "name": self.source_name,
                "epoch": self.epoch,
                "classes": None if self.labels is None else self.labels.classes,
                "schema": self.schema(),
            }
        )

    async def next_batch_js(self) -> Any:
        """:meth:`next_batch` handed to JavaScript (in Pyodide; NOTE [ Batch hand-off ] in
        convert.py): a descriptor string (or an array when some fields are not tensors),
        None at the end of the epoch."""
        self._packer.release()
        return self._to_js(await self.next_batch())

    def next_batch_js_sync(self) -> Any:
        """:meth:`next_batch_sync` handed to JavaScript (see NOTE [ Synchronous batches ]).

        NOTE [ Lean batch path ]: what nextBatch() calls once per batch for data in memory.
        Inside an epoch already begun synchronously it does only what a batch needs: the
        loader's next batch, named, packed, and both timed with three clock reads (in Pyodide
        each is a call out to JavaScript); the checks and the epoch's start go through
        :meth:`next_batch_sync` (the first batch of each epoch, errors, streaming, workers).
        The two durations are appended to an array and folded into :attr:`monitor` when it
        is read (or every 512 batches): two running statistics updated per batch cost 6-7 us
        of a P2 batch in Pyodide under Node.js, the appends well under one.
        """
        packer = self._packer
        packer.release()  # the last batch's buffers: JavaScript has copied them
        it = self._it
        if it is None or not self._sync or not self.synchronous:
            return self._to_js(self.next_batch_sync())
        clock = time.perf_counter
        t0 = clock()
        try:
            batch = next(it)
        except StopIteration:
            self._ended()
            return None
        first = self._first
        if first is not None and type(batch) is Tensor:  # NOTE [ One-tensor batches ]
            t1 = clock()
            out = packer.tensor_to_js(first, batch)
        else:
            named = self._named(batch)
            t1 = clock()
            out = packer.to_js(named)
        t2 = clock()
        pending = self._lean_times
        pending.append(t1 - t0)
        pending.append(t2 - t1)
        if len(pending) >= 1024:
            self._fold_times()
        return out

    def _to_js(self, batch: dict[str, Any] | None) -> Any:
        if batch is None:
            return None
        t0 = time.perf_counter()
        out = self._packer.to_js(batch)
        self.monitor.record("to_js", time.perf_counter() - t0)
        return out


def collate_records(samples: list[Any]) -> Any:
    """:func:`~torsh_data.default_collate`, except that the fields of dict samples holding
    strings or lists (text, tokens) stay lists of the samples' values."""
    from ..collate import default_collate

    if samples and type(samples[0]) is FeatureRow:
        return collate_feature_rows(samples)
    if samples and isinstance(samples[0], dict):
        out = {}
        for key in samples[0]:
            values = [s[key] for s in samples]
            first = values[0]
            keep = isinstance(first, (str, list)) or first is None
            out[key] = values if keep else default_collate(values)
        return out
    return default_collate(samples)


def _collate_for(dataset: Any) -> Any:
    """``default_collate`` for the datasets of tensors (so the loader takes the path of a
    Python user's ``DataLoader``, batched fetches included: NOTE [ Facade pipeline ] in
    transforms.py), :func:`collate_records` for records."""
    from ..collate import default_collate
    from ..datasets import TensorDataset, TransformDataset

    tensors = isinstance(dataset, (TensorDataset, TransformDataset))
    return default_collate if tensors else collate_records


def _cache(option: Any) -> Any:
    if option in (None, False):
        return None
    from ..io import Cache

    return Cache("torsh-data" if option is True else str(option))
