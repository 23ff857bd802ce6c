"""A dataset of the records of any byte source, parsed as the bytes arrive.

:class:`StreamingDataset` is an :class:`~torsh_data.IterableDataset` over a URL, a path, a
file object, bytes, a browser ``File``/``Blob``/``ReadableStream`` or an (async) iterable of
bytes (see :func:`~torsh_data.io.iter_source`), read with the format's incremental reader
(see :func:`~torsh_data.io.reader_for`).

NOTE [ Bounded streaming ]: at any moment the dataset holds one chunk (``chunk_size``, 256 KiB
by default), the reader's unfinished record (at most ``max_line_bytes`` for line formats,
``max_member_bytes`` for tar) and the records completed by that chunk; a gzip stream is
decompressed in steps of at most 256 KiB of output. So memory stays bounded however long
the stream is, and a line or member without an end raises
:class:`~torsh_data.FormatError` instead of growing. Records are yielded only once complete:
a malformed or truncated stream raises after the last whole record, never half of one.

NOTE [ Streaming resume ]: :meth:`StreamingDataset.state_dict` counts the records this copy
has yielded in the current pass; after :meth:`~StreamingDataset.load_state_dict` the next
pass re-reads the source from its start and skips that many records (parsed, not yielded).
This is exact for every source and format (a CSV header, a gzip stream and a tar sample need
the bytes before them anyway) but re-reads the skipped bytes; a one-shot stream cannot be
re-read, so resume it by handing the new dataset a new stream of the same data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError, SourceError
from ..datasets import IterableDataset
from ..formats import IncrementalReader, RecordDataset, source_name
from ..formats import lookup_format as lookup
from ..formats import sniff_format as sniff
from ._readers import detect_format, reader_for
from ._sources import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CHUNK_TIMEOUT,
    is_one_shot,
    iter_source,
    sync_chunks,
)
from ._urls import is_remote

__all__ = ["StreamingDataset", "open_dataset"]


def _feed(reader: IncrementalReader[Any], chunk: bytes) -> Iterator[list[Any]]:
    pieces = getattr(reader, "feed_pieces", None)
    return pieces(chunk) if pieces is not None else iter((reader.feed(chunk),))


def _content_type(source: Any) -> str | None:
    ctype = getattr(source, "type", None)  # a browser Blob/File's MIME type
    return ctype if isinstance(ctype, str) and ctype else None


class StreamingDataset(IterableDataset[Any]):
    """The records of a byte source, parsed incrementally in bounded memory.

    Iterate with ``async for`` (any source) or ``for`` (sources readable synchronously:
    paths, file objects, bytes, sync iterables); inside a
    :class:`~torsh_data.DataLoader`, iterate the loader the same way. Every worker of a
    loader reads the stream and keeps its own batches, so any ``num_workers`` gives the
    batches of ``num_workers=0`` (a one-shot stream needs ``num_workers=0``).

    Args:
        source: a URL, a path, a binary file object, bytes, a browser
            ``File``/``Blob``/``ReadableStream``/``Response``, or an (async) iterable of
            bytes-like chunks.
        format: ``"csv"``, ``"jsonl"``, ``"json"``, ``"text"``, ``"npy"``, ``"tar"`` (add
            ``".gz"`` for gzip); default: from the name (extension) or content type.
        name: the source's name for errors and format detection (default: its URL, path or
            file name).
        content_type: a MIME type, for format detection (a ``Blob`` gives its own).
        rank, world_size: keep every ``world_size``-th record starting at ``rank`` (a
            distributed process's share); default: the whole stream.
        chunk_size: bytes read at a time.
        chunk_timeout: seconds to wait for each chunk of a stream (None: no limit).
        fetch: options for :func:`~torsh_data.io.iter_fetch` when ``source`` is a URL
            (``timeout``, ``retries``, ``cache``, ``sha256``, ``headers``, ...).
        **options: the format reader's options (see :func:`~torsh_data.io.reader_for`).

    >>> ds = StreamingDataset([b'{"a": 1}\\n{"a"', b': 2}\\n'], format="jsonl")
    >>> list(ds)
    [{'a': 1}, {'a': 2}]
    >>> ds = StreamingDataset(b"x,y\\n1,a\\n2,b\\n3,c\\n", format="csv", rank=1, world_size=2)
    >>> list(ds)
    [{'x': 2, 'y': 'b'}]
    """

    def __init__(
        self,
        source: Any,
        format: str | None = None,
        *,
        name: str | None = None,
        content_type: str | None = None,
        rank: int | None = None,
        world_size: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_timeout: float | None = DEFAULT_CHUNK_TIMEOUT,
        fetch: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.source = source
        self.name = source_name(source, name)
        self.content_type = content_type or _content_type(source)
        self.format, _ = detect_format(format, self.name, self.content_type)
        self._format_arg = format
        self.options = options
        self.world_size = check_int("world_size", 1 if world_size is None else world_size, 1)
        self.rank = check_int("rank", 0 if rank is None else rank, 0, self.world_size - 1)
        self.chunk_size = check_int("chunk_size", chunk_size, 1)
        if chunk_timeout is not None and not chunk_timeout > 0:
            raise DataValueError(f"chunk_timeout must be > 0 or None, not {chunk_timeout!r}")
        self.chunk_timeout = chunk_timeout
        self.fetch = dict(fetch or {})
        if self.fetch and not is_remote(source):
            raise DataTypeError("fetch= options apply to a URL source only")
        self._reader()  # check the options now, not on first iteration
        self._one_shot = is_one_shot(source)
        self._used = False
        self._position = 0  # records yielded in the current pass
        self._skip = 0  # records to pass over at the start of the next pass

    def _reader(self) -> IncrementalReader[Any]:
        return reader_for(
            self._format_arg,
            name=self.name,
            content_type=self.content_type,
            **self.options,
        )

    # --- passes ----------------------------------------------------------------------------
    def _begin(self) -> tuple[IncrementalReader[Any], int]:
        if self._one_shot and self._used:
            raise SourceError(
                f"{self.name}: a one-shot stream can be read once; keep its records with "
                "'await ds.load()' or give a new stream"
            )
        self._used = True
        skip, self._skip, self._position = self._skip, 0, 0
        return self._reader(), skip

    def _take(self, records: list[Any], index: int) -> tuple[list[Any], int]:
        """This rank's records among ``records`` (the first at stream index ``index``), and
        the stream index after them."""
        n, w = len(records), self.world_size
        if w > 1:
            records = records[(self.rank - index) % w :: w]
        return records, index + n

    def __iter__(self) -> Iterator[Any]:
        chunks = sync_chunks(self.source, self.chunk_size, self.name)
        if chunks is None:
            raise DataTypeError(
                f"{self.name}: this source can only be read asynchronously; use 'async for' "
                "(or 'await ds.load()')"
            )
        reader, skip = self._begin()
        index = 0
        for chunk in chunks:
            for recs in _feed(reader, chunk):
                recs, index = self._take(recs, index)
                yield from self._emit(recs, skip)
        recs, index = self._take(reader.close(), index)
        yield from self._emit(recs, skip)

    async def __aiter__(self) -> AsyncIterator[Any]:
        reader, skip = self._begin()
        index = 0
        # an HTML page from a URL is an error naming the format (see fetch's ``expect``)
        fetch = {"expect": f"{self.format} data", **self.fetch} if is_remote(self.source) else {}
        stream = iter_source(
            self.source,
            chunk_size=self.chunk_size,
            chunk_timeout=self.chunk_timeout,
            name=self.name,
            **fetch,
        )
        try:
            async for chunk in stream:
                for recs in _feed(reader, chunk):
                    recs, index = self._take(recs, index)
                    for rec in self._emit(recs, skip):
                        yield rec
            recs, index = self._take(reader.close(), index)
            for rec in self._emit(recs, skip):
                yield rec
        finally:
            await stream.aclose()

    def _emit(self, records: list[Any], skip: int) -> Iterator[Any]:
        for rec in records:
            self._position += 1
            if self._position > skip:
                yield rec

    async def load(self) -> RecordDataset[Any]:
        """All the records (this rank's share) as a map-style dataset, e.g. to shuffle data
        that fits in memory.

        >>> import asyncio
        >>> len(asyncio.run(StreamingDataset(b"a\\nb\\n", format="text").load()))
        2
        """
        return RecordDataset([rec async for rec in self])

    # --- resume ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Where the current pass is, as JSON-ready data: the records yielded so far (see
        NOTE [ Streaming resume ]).

        >>> ds = StreamingDataset(b"a\\nb\\nc\\n", format="text")
        >>> it = iter(ds); next(it)
        'a'
        >>> state = ds.state_dict()
        >>> ds2 = StreamingDataset(b"a\\nb\\nc\\n", format="text")
        >>> ds2.load_state_dict(state); list(ds2)
        ['b', 'c']
        """
        return {
            "version": 1,
            "records": max(self._position, self._skip),
            "format": self.format,
            "rank": self.rank,
            "world_size": self.world_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Make the next pass continue after the records counted in ``state``."""
        if not isinstance(state, dict) or state.get("version") != 1:
            raise DataValueError(f"not a StreamingDataset state (version 1): {state!r:.200}")
        records = state.get("records")
        if isinstance(records, bool) or not isinstance(records, int) or records < 0:
            raise DataValueError(f"state 'records' must be an int >= 0, not {records!r}")
        for key in ("format", "rank", "world_size"):
            if key in state and state[key] != getattr(self, key):
                raise DataValueError(
                    f"the state is of a dataset with {key}={state[key]!r}, this one has "
                    f"{getattr(self, key)!r}"
                )
        self._skip, self._position = records, 0

    def __repr__(self) -> str:
        return f"StreamingDataset({self.name!r}, format={self.format!r})"


def _opener(source: Any, format: str | None, name: str | None) -> Any:
    """The format's own dataset factory when ``source`` is opened as a dataset of its own (a
    shard manifest: by ``format``, by name, or given as a dict), else None."""
    if format is not None:
        found = lookup(format) if isinstance(format, str) else None
    elif isinstance(source, dict):
        found = lookup("shards")
    else:
        found, gz = sniff(source_name(source, name))
        found = None if gz else found
    return None if found is None else found.dataset


def open_dataset(source: Any, format: str | None = None, **options: Any) -> Any:
    """A dataset of ``source``: a :class:`~torsh_data.io.ShardedDataset` for a shard manifest
    (``format="shards"``, a ``*.shards.json`` name, or the manifest as a dict), else a
    :class:`StreamingDataset` (arguments as for it).

    >>> open_dataset(b"1\\n2\\n", "jsonl")
    StreamingDataset('<bytes>', format='jsonl')
    """
    opener = _opener(source, format, options.get("name"))
    if opener is not None:
        options.pop("name", None)
        return opener(source, **options)
    return StreamingDataset(source, format, **options)
