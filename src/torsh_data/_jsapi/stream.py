"""How the JavaScript package's loader reads a source: through :func:`~torsh_data.io.open_dataset`.

Every ``load_from_url/file/stream/bytes`` of ``WasmDataLoader`` opens its source with
:func:`~torsh_data.io.open_dataset` (records parsed as the bytes arrive, see
:class:`~torsh_data.io.StreamingDataset`) and turns the records into the samples the loader
batches (:func:`to_samples`): CSV rows become ``(x, y)`` (float32 features, an int64 label: see
:func:`~torsh_data.tabular.records_to_tensors`),
text lines ``{"text"}``, NPY rows ``(x,)``, JSON/JSONL/tar records stay dicts.

NOTE [ Streaming facade ]: with ``shuffle`` the records are kept in memory
(``await ds.load()``), because a permutation needs them all. Without it the loader reads
records until the source ends or more than ``inMemoryBytes`` (64 MiB by default) of it have
been read: a source that ended is kept in memory (known ``len``, epochs need no re-read, even
of a one-shot stream); a larger one *streams*: its batches are made as its bytes arrive, in
bounded memory, ``len``/``samples`` are unknown (``null``) until an epoch has ended, each
epoch re-reads the source (a ``ReadableStream`` can be read once: one epoch), ``workers`` are
not used, and transforms that must be fitted on the data (``Standardize``...) are refused.
IDX and NPZ have no incremental reader: they are read whole, and so is a download with the
``cache`` option (:func:`~torsh_data.io.iter_fetch` keeps its bytes to store them).

NOTE [ Loading yields ]: in a page, Python runs on the main thread, and a chunk that has
already arrived resumes the load in a microtask, so without care a whole download is parsed
in one task and the page cannot repaint (a 12 MB CSV blocked it for 1-2 s). A load therefore
reads its source in small chunks (32 KiB) and, between chunks, gives the event loop a turn
(``asyncio.sleep(0)``: a new task on Pyodide's loop) once it has run for ``SLICE_SECONDS``; the
records of a CSV are made into columns a slice at a time the same way. ``progress`` counts
the decoded bytes read; it is ``None`` (indeterminate) while their total is unknown, as for
a compressed response, whose ``Content-Length`` is not the decoded size.

NOTE [ First pieces ]: the first chunk of a load is the first time the page runs the
reader's code on this data, and V8 compiles Pyodide's wasm functions lazily, at their first
call (about a hundred of them for a CSV, 7-20 ms, while its optimising compiler competes for
the cores on background threads): compiling and parsing a whole 32 KiB chunk was the longest
task of a 12 MB load (50-70 ms in Chromium). So the first bytes of a pass are handed to the
reader in small growing pieces (``FIRST_PIECES``) with a turn of the event loop after each:
the compilation falls in a task with a small parse, later chunks are full size.

NOTE [ Last steps ]: what a load does once with all the records must be slices too, or it
is the load's longest task (seen in a Chromium trace of a 12 MB CSV with marks at each step):
the labels checked and put in their dtype as one column (``LabelCodec.output`` walks every
label in Python: 30-60 ms, the last task) and the columns' bytes joined at once (~20 ms) are
done a slice at a time, and ``SLICE_RECORDS`` is small (512 records, a few ms of columns), as
a slice ends at the first pause after ``SLICE_SECONDS`` and its last step runs past it. A
shuffled load takes the records as the list they are: ``list(dataset)`` called
``__getitem__`` once a record (20-30 ms at the end of reading).

NOTE [ Warm load ]: the first pieces above spread the compiling over tasks, but still during
the load. A load from a URL whose format is CSV/TSV therefore also starts :func:`warm_load`
beside it: while the request is in flight, a two-record CSV is loaded from memory through
the same path (in a page, the body of a JavaScript ``Response``, as a fetch's is read), with a
turn of the event loop after every step, so that the functions the real data will need are
compiled before it arrives. It is a separate loader on its own bytes: it neither reads nor
changes the real load, an error in it is dropped, and it is cancelled if the real load ends
first. Natively there is nothing to compile, so only Pyodide runs it (``WARM_LOADS``).

Python's cycle collector is paused while a load runs (:func:`collector_paused`): from
Python 3.14 (Pyodide's) a dict stays tracked by the collector even when it holds only
numbers and strings, so every record of a CSV is one more object each collection walks, and
with 75,000 records alive one collection took 30-60 ms inside a 15 ms slice: the longest
task of a 12 MB load. The records hold no cycles (they are freed by their reference counts),
so there is nothing for the collector to find among them; it runs again once the load ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .._errors import DataValueError, SourceError
from .._ffi import to_uint8array
from .._runtime import IN_PYODIDE, js_module
from ..datasets import IterableDataset, TensorDataset
from ..formats import FORMATS
from ..io import iter_source
from ..io._sources import is_one_shot
from ..tabular import FeatureRow, feature_row, records_to_tensors
from ..tensor import Tensor, stack
from .labels import LabelCodec

__all__ = [
    "WARM_CSV",
    "WARM_LOADS",
    "CountedSource",
    "StreamedSamples",
    "TimeSlicer",
    "collector_paused",
    "materialise",
    "materialise_sliced",
    "reader_options",
    "to_samples",
    "warm_load",
]

DEFAULT_IN_MEMORY_BYTES = 64 << 20
#: Bytes read at a time by a load (NOTE [ Loading yields ]).
DEFAULT_LOAD_CHUNK = 1 << 15
#: Seconds of work after which a load gives the event loop a turn.
SLICE_SECONDS = 0.015
#: Records made into columns at a time.
SLICE_RECORDS = 512
#: The first bytes of a pass are handed to the reader in pieces this large, a turn of the
#: event loop after each (NOTE [ First pieces ]).
FIRST_PIECES = (2048, 4096, 8192, 16384)
#: What a warm load reads, and whether loads from a URL run one (NOTE [ Warm load ]).
WARM_CSV = b"a,b,label\n1,2.5,0\n3,-4,1\n"
WARM_LOADS = IN_PYODIDE


class TimeSlicer:
    """``await slicer.pause()`` gives the event loop a turn once the caller has run for
    ``seconds`` since the last turn (NOTE [ Loading yields ]); ``turns`` counts them.

    >>> import asyncio
    >>> slicer = TimeSlicer(0.0)
    >>> asyncio.run(slicer.pause()); slicer.turns
    1
    """

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = SLICE_SECONDS if seconds is None else seconds
        self.turns = 0
        self._since = time.perf_counter()

    async def pause(self) -> None:
        if time.perf_counter() - self._since >= self.seconds:
            await self.turn()

    async def turn(self) -> None:
        """Give the event loop a turn now."""
        await asyncio.sleep(0)
        self.turns += 1
        self._since = time.perf_counter()


class _Pause:
    depth = 0  # loads in flight
    resume = False  # whether the collector was on when the first of them began


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's automatic cycle collection off while the block runs, as it was once the
    last of the blocks running at once has ended (NOTE [ Loading yields ]); ``gc.collect()``
    still collects.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if _Pause.depth == 0:
        _Pause.resume = gc.isenabled()
        gc.disable()
    _Pause.depth += 1
    try:
        yield
    finally:
        _Pause.depth -= 1
        if _Pause.depth == 0 and _Pause.resume:
            gc.enable()


class CountedSource:
    """A source re-read on every pass, counting its bytes (for ``progress`` and the
    in-memory limit): what :func:`~torsh_data.io.open_dataset` is given."""

    def __init__(
        self,
        source: Any,
        name: str,
        content_type: str | None,
        on_progress: Callable[[int, int | None], None],
        *,
        total: int | None = None,
        chunk_size: int = DEFAULT_LOAD_CHUNK,
        fetch: dict[str, Any] | None = None,
        slicer: TimeSlicer | None = None,
    ) -> None:
        self.source, self.name, self.type = source, name, content_type or ""
        self.on_progress, self.total = on_progress, total
        self.chunk_size, self.fetch = chunk_size, dict(fetch or {})
        self.slicer = slicer or TimeSlicer()
        self.bytes_read = 0  # bytes of the current pass
        self.passes = 0
        self._begun: tuple[bytes | None, AsyncIterator[bytes]] | None = None

    def _progress(self, done: int, total: int | None) -> None:
        self.bytes_read = done
        self.on_progress(done, total or self.total)

    async def begin(self) -> None:
        """Start the first pass and read its first chunk, so that a URL's response headers
        are in (NOTE [ Format from the response ] in ``loader.py``); the pass goes on from
        that chunk at the next ``async for``. :meth:`aclose` ends it if none comes."""
        chunks = self.__aiter__()
        try:
            first: bytes | None = await anext(chunks)
        except StopAsyncIteration:
            first = None
        except BaseException:
            await chunks.aclose()  # type: ignore[attr-defined]
            raise
        self._begun = (first, chunks)

    async def aclose(self) -> None:
        """End a pass :meth:`begin` started (its request with it)."""
        begun, self._begun = self._begun, None
        if begun is not None:
            await begun[1].aclose()  # type: ignore[attr-defined]

    async def _resume(
        self, first: bytes | None, rest: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        try:
            if first is not None:
                yield first
                async for chunk in rest:
                    yield chunk
        finally:
            await rest.aclose()  # type: ignore[attr-defined]

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._begun is not None:
            begun, self._begun = self._begun, None
            return self._resume(*begun)
        if self.passes and is_one_shot(self.source):
            raise SourceError(
                f"{self.name}: a one-shot stream can be read once; pass shuffle: true (or a "
                "larger inMemoryBytes) to keep its records, or load a new stream"
            )
        self.passes += 1
        self.bytes_read = 0
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        chunks = iter_source(
            self.source,
            chunk_size=self.chunk_size,
            progress=self._progress,
            name=self.name,
            **self.fetch,
        )
        ramp = list(FIRST_PIECES)
        try:
            async for chunk in chunks:
                at = 0
                while ramp and len(chunk) - at > ramp[0]:  # NOTE [ First pieces ]
                    size = ramp.pop(0)
                    yield chunk[at : at + size]
                    at += size
                    await self.slicer.turn()
                yield chunk[at:] if at else chunk  # the reader parses it before the next
                await self.slicer.pause()
        finally:
            await chunks.aclose()


def reader_options(fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options of :func:`~torsh_data.io.reader_for` that the loader's options give (the
    format's own, such as ``tsv``'s tab, are the reader's defaults)."""
    out: dict[str, Any] = {}
    if FORMATS[fmt].records == "csv":
        for key in ("delimiter", "header"):
            if key in options:
                out[key] = options[key]
    elif fmt == "text":
        out["skip_empty"] = True
    if "max_bytes" in options:
        out["max_bytes"] = options["max_bytes"]
    return out


def _pick(record: Any, columns: list[Any], name: str, i: int) -> dict[Any, Any]:
    if not isinstance(record, dict):
        raise DataValueError(f"{name}: record {i} is a {type(record).__name__}, not an object")
    missing = [c for c in columns if c not in record]
    if missing:
        raise DataValueError(f"{name}: record {i} has no {missing}; it has {sorted(record)}")
    return {c: record[c] for c in columns}


def to_samples(
    fmt: str, options: dict[str, Any], name: str, labels: LabelCodec | None = None
) -> Callable[[Any, int], Any]:
    """The function ``(record, index) -> sample`` of a format's records (``labels``: the
    label column's class indices, NOTE [ Labels for TensorFlow.js ])."""
    columns = options.get("columns")
    if FORMATS[fmt].records == "csv":
        label = options.get("label")
        if labels is not None:
            return lambda r, i: feature_row(
                labels.encode(r, name, i), columns=columns, label=label, name=name, index=i
            )
        return lambda r, i: feature_row(r, columns=columns, label=label, name=name, index=i)
    if fmt == "npy":

        def npy_sample(row: Any, i: int) -> Any:
            if isinstance(row, Tensor) and not row.shape and i == 0:
                raise DataValueError(f"{name}: a 0-d array has no samples to batch")
            return (row,)

        return npy_sample
    if fmt == "text":
        if options.get("tokenize"):
            from ..text import basic_english

            return lambda s, i: {"text": s, "tokens": basic_english(s)}
        return lambda s, i: {"text": s}
    if columns is not None:
        return lambda r, i: _pick(r, columns, name, i)
    return lambda r, i: r


def materialise(
    fmt: str,
    records: list[Any],
    options: dict[str, Any],
    name: str,
    labels: LabelCodec | None = None,
) -> Any:
    """The records of a whole source as a map-style dataset of samples: CSV and NPY as
    columns (one ``[N, ...]`` tensor each), the rest as a list (``labels``: as for
    :func:`to_samples`, its classes learnt from ``records``)."""
    from ..formats import RecordDataset

    tabular = FORMATS[fmt].records == "csv"
    if tabular and records:
        records = _encode_labels(records, labels, name)
        table = records_to_tensors(
            records, columns=options.get("columns"), label=options.get("label"), name=name
        )
        return _labelled(table, labels)
    if fmt == "npy" and records:
        to_samples(fmt, options, name)(records[0], 0)  # a 0-d array raises
        return TensorDataset(stack(records))
    if tabular or fmt == "npy":
        return RecordDataset([])
    sample = to_samples(fmt, options, name)
    return RecordDataset([sample(r, i) for i, r in enumerate(records)])


def _encode_labels(records: list[Any], labels: LabelCodec | None, name: str) -> list[Any]:
    """The records with their string labels as class indices (the classes learnt from
    ``records``); the records themselves without ``labels`` or with numeric labels."""
    if labels is None:
        return records
    labels.fit(records, name)
    if labels.classes is None:
        return records
    return [labels.encode(r, name, i) for i, r in enumerate(records)]


def _labelled(table: Any, labels: LabelCodec | None) -> Any:
    """``(x, y)`` columns with ``y`` in the label dtype: every label checked and converted
    once, at load."""
    if labels is None:
        return table
    x, y = table.tensors
    return TensorDataset(x, labels.output(y))


async def materialise_sliced(
    fmt: str,
    records: list[Any],
    options: dict[str, Any],
    name: str,
    slicer: TimeSlicer,
    labels: LabelCodec | None = None,
) -> Any:
    """:func:`materialise`, giving the event loop turns: a CSV's records are made into
    columns ``SLICE_RECORDS`` at a time, then freed that many at a time (freeing a large
    list of records at once is itself a long task); ``records`` is left empty then
    (NOTE [ Loading yields ])."""
    if FORMATS[fmt].records != "csv" or len(records) <= SLICE_RECORDS:
        return materialise(fmt, records, options, name, labels)
    if labels is not None:  # the classes learnt a slice at a time, then each slice encoded
        values: set[Any] = set()
        for start in range(0, len(records), SLICE_RECORDS):
            values |= labels.values(records[start : start + SLICE_RECORDS])
            await slicer.pause()
        labels.learn(values)
    columns, label = options.get("columns"), options.get("label")
    parts: list[tuple[Any, ...]] = []
    for start in range(0, len(records), SLICE_RECORDS):
        chunk = records[start : start + SLICE_RECORDS]
        if labels is not None and labels.classes is not None:
            chunk = [labels.encode(r, name, start + i) for i, r in enumerate(chunk)]
        try:
            part = records_to_tensors(chunk, columns=columns, label=label, name=name)
        except DataValueError:
            break  # the whole list again below, so that the error names the record's index
        if not all(isinstance(t, Tensor) for t in part.tensors):
            break
        parts.append(part.tensors)
        await slicer.pause()
    else:
        if labels is not None:  # each slice's labels in the label dtype (NOTE [ Last steps ])
            for k, (x, y) in enumerate(parts):
                parts[k] = (x, labels.output(y))
                await slicer.pause()
        joined = []
        for i, first in enumerate(parts[0]):
            data = bytearray()
            for p in parts:
                data += p[i].tobytes()
                await slicer.pause()
            joined.append(
                Tensor(bytes(data), dtype=first.dtype.name, shape=(len(records), *first.shape[1:]))
            )
        while records:
            del records[-SLICE_RECORDS:]
            await slicer.pause()
        return _labelled(TensorDataset(*joined), labels)
    return materialise(fmt, records, options, name, labels)


class StreamedSamples(IterableDataset[Any]):
    """The samples of a source too large to keep: the first pass continues the records
    already read (``head``, then the open iterator ``rest``); later passes re-read it."""

    def __init__(
        self,
        dataset: Any,
        sample: Callable[[Any, int], Any],
        head: list[Any],
        rest: AsyncIterator[Any],
    ) -> None:
        self.dataset, self.sample = dataset, sample
        self._head: list[Any] | None = head
        self._rest: AsyncIterator[Any] | None = rest
        self.example = sample(head[0], 0) if head else None
        self.total: int | None = None  # samples of a whole pass, once one has ended
        self.steps: Callable[[Any], Any] | None = None

    async def __aiter__(self) -> AsyncIterator[Any]:
        head, rest, self._head, self._rest = self._head, self._rest, None, None
        records: AsyncIterator[Any] = rest if rest is not None else self.dataset.__aiter__()
        i = 0
        sample = self.sample
        if self.steps is not None:
            steps = self.steps
            one = sample

            def sample(rec: Any, i: int) -> Any:
                s = one(rec, i)
                return steps(s.tensors() if type(s) is FeatureRow else s)

        try:
            for rec in head or ():
                yield sample(rec, i)
                i += 1
            head = None  # the records read while loading are not kept for the whole pass
            async for rec in records:
                yield sample(rec, i)
                i += 1
        finally:
            aclose = getattr(records, "aclose", None)
            if aclose is not None:
                await aclose()
        self.total = i

    def batches(self, batch_size: int, drop_last: bool) -> int | None:
        if self.total is None:
            return None
        return self.total // batch_size if drop_last else math.ceil(self.total / batch_size)


def warm_source(data: bytes) -> Any:
    """``data`` as a fetch's response is read: a JavaScript ``Response`` in Pyodide."""
    if not IN_PYODIDE:
        return data
    return js_module().Response.new(to_uint8array(data))


async def warm_load(options: dict[str, Any]) -> bool:
    """Load :data:`WARM_CSV` from memory as a load with ``options`` (their ``label`` and
    ``shuffle``) loads a CSV, a turn of the event loop after every step; True when it went
    through. Any error is dropped: a warm load changes nothing (NOTE [ Warm load ])."""
    from .loader import JsLoader

    opts: dict[str, Any] = {"format": "csv", "shuffle": options.get("shuffle") is True}
    if options.get("label") is not None:
        opts["label"] = "label"
    try:
        loader = JsLoader(2, opts)
        await loader.load_source(warm_source(WARM_CSV), name="warm-load.csv", slice_seconds=0.0)
    except Exception:
        return False
    return True


async def end_warm_load(task: asyncio.Future[bool]) -> None:
    """Cancel a warm load that is still running once the real load has ended, and wait for
    it to end (NOTE [ Warm load ])."""
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
