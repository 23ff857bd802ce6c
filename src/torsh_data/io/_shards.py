"""ShardedDataset: a progressive dataset of shards loaded one after another in the background.

NOTE [ Progressive loading ]: a background ``asyncio`` task (in Pyodide, on the page's event
loop) downloads this copy's shards in the order the current epoch reads them, verifies each
(sha256 and size from the manifest; a mismatch is fetched once more, then reported, never
parsed) and only then makes it visible. Iteration waits for the shard it needs next, so it
can start as soon as the first shard is there and it only ever parses complete, verified
shards. ``progress`` counts verified bytes when the manifest gives every size, else verified
shards (``progress_unit`` says which); it only grows.

NOTE [ Shard split ]: shards are split first by rank (shard ``i`` belongs to rank
``i % world_size``), then, inside a loader worker, between the rank's workers the same way;
the shares are disjoint and together hold every shard. ``shuffle_shards`` reorders a copy's
share each epoch (seeded by ``(seed, epoch)``), so what a copy loads never changes, only the
order it reads it in.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from .._checks import check_bool, check_int, check_seed
from .._errors import DataTypeError, DataValueError, FormatError, SourceError
from .._runtime import IN_PYODIDE, run_blocking
from ..datasets import IterableDataset
from ..formats import Format, register_format
from ..random import Generator, derive_seed, fresh_seed
from ._http import IntegrityError
from ._manifest import (
    Manifest,
    fetch_capped,
    load_manifest,
    parse_manifest,
    read_manifest_file,
)
from ._urls import is_remote

__all__ = ["ShardedDataset"]

_CHUNK = 1 << 16
#: Largest local shard read (a manifest that promises a size is held to it first).
MAX_SHARD_BYTES = min(1 << 32, sys.maxsize)  # NOTE [wasm32]: sizes are a C ssize_t there


#: What synchronous iteration should be replaced by where it cannot wait for a download.
_ASYNC_ITER = "'async for record in ds' (or 'await ds.load()' first)"


def _parse(reader: Any, view: memoryview) -> Iterator[list[Any]]:
    for i in range(0, len(view), _CHUNK):
        yield reader.feed(view[i : i + _CHUNK].tobytes())
    yield reader.close()


class ShardedDataset(IterableDataset[Any]):
    """The records of a sharded dataset, loaded shard by shard in the background.

    Args:
        manifest: a manifest URL, a path of a ``*.shards.json`` file, a dict, or a
            :class:`~torsh_data.io.Manifest` (see :func:`~torsh_data.io.load_manifest`).
        cache: a :class:`~torsh_data.io.Cache`; downloaded shards are stored there and a
            later load (after a page reload, offline) reads them without a request.
        rank, world_size: this process's share of the shards (default: torch.distributed,
            then torchrun's ``RANK``/``WORLD_SIZE``, then a single process).
        shuffle_shards: read this copy's shards in a new order each epoch.
        seed: root seed of the shard order (needed with ``shuffle_shards`` across ranks).
        on_progress: called as ``on_progress(done, total)`` after each verified shard, in
            bytes or shards (see ``progress_unit``).
        decode, handler: passed to the shard reader (for tar shards see
            :class:`~torsh_data.formats.TarSampleReader`).
        retries, timeout: passed to :func:`~torsh_data.io.fetch_bytes` for each shard.
        verify_retries: fetches more after a shard fails its sha256 or size check.
        base: for a dict manifest, where its relative shard names point (a URL or a
            directory; see :func:`~torsh_data.io._manifest.parse_manifest`).
        **reader_options: further options of the format's reader.

    Tar-shard samples are dicts; each also gets ``"__url__"``, the shard it came from. Shards
    of other formats (the manifest's ``format``: any of :func:`~torsh_data.io.reader_for`)
    give that reader's records as they are.

    >>> import asyncio, io, tarfile
    >>> buf = io.BytesIO()
    >>> with tarfile.open(fileobj=buf, mode="w") as tf:
    ...     for key in ("a", "b"):
    ...         info = tarfile.TarInfo(f"{key}.txt"); info.size = 1
    ...         tf.addfile(info, io.BytesIO(key.encode()))
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     with open(os.path.join(d, f"s{i}.tar"), "wb") as f: _ = f.write(buf.getvalue())
    >>> ds = ShardedDataset({"shards": "s{0..1}.tar"}, base=d)
    >>> [s["txt"] for s in ds], ds.progress
    (['a', 'b', 'a', 'b'], 1.0)
    """

    worker_sharding = "dataset"  # NOTE [ Same batches with workers ] in loader/_pool.py

    def __init__(
        self,
        manifest: str | os.PathLike[str] | Mapping[str, Any] | Manifest,
        *,
        cache: Any = None,
        rank: int | None = None,
        world_size: int | None = None,
        shuffle_shards: bool = False,
        seed: int | None = None,
        on_progress: Callable[[int, int], Any] | None = None,
        decode: Any = True,
        handler: Callable[[Exception], bool] | None = None,
        retries: int = 3,
        timeout: float | None = None,
        verify_retries: int = 1,
        base: str | None = None,
        **reader_options: Any,
    ) -> None:
        from .._distributed import distributed_defaults

        if rank is None or world_size is None:
            env_world, env_rank = distributed_defaults()
            world_size = env_world if world_size is None else world_size
            rank = env_rank if rank is None else rank
        self.world_size = check_int("world_size", world_size, 1)
        self.rank = check_int("rank", rank, 0, self.world_size - 1)
        self.shuffle_shards = check_bool("shuffle_shards", shuffle_shards)
        if seed is None and shuffle_shards and self.world_size > 1:
            raise DataValueError("shuffle_shards across ranks needs a seed shared by all ranks")
        self.seed = fresh_seed() if seed is None else check_seed(seed)
        self.retries = check_int("retries", retries, 0)
        self.verify_retries = check_int("verify_retries", verify_retries, 0)
        if on_progress is not None and not callable(on_progress):
            raise DataTypeError("on_progress must be callable")
        self.cache, self.timeout, self.on_progress = cache, timeout, on_progress
        # only what was asked for: formats other than tar take no decode/handler
        self.reader_options = dict(reader_options)
        if decode is not True:
            self.reader_options["decode"] = decode
        if handler is not None:
            self.reader_options["handler"] = handler
        self.epoch = 0
        self._url: str | None = None
        self.manifest: Manifest | None = None
        if isinstance(manifest, Manifest):
            self.manifest = manifest
        elif isinstance(manifest, Mapping):
            self.manifest = parse_manifest(manifest, base=base)
        elif is_remote(manifest):
            self._url = manifest
        elif isinstance(manifest, (str, os.PathLike)):
            self.manifest = read_manifest_file(manifest)
        else:
            raise DataTypeError(
                f"a manifest is a URL, a path or a dict, not {type(manifest).__name__}"
            )
        self._reset()

    def _reset(self) -> None:
        self._data: dict[int, bytes] = {}
        self._errors: dict[int, BaseException] = {}
        self._task: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._pos = (0, 0)
        self._resume: tuple[int, int] | None = None

    def __getstate__(self) -> dict[str, Any]:  # a loader worker gets no task and no bytes
        state = dict(self.__dict__)
        for key in ("_data", "_errors", "_task", "_waiters", "_pos", "_resume"):
            state.pop(key)
        state["on_progress"] = None  # the caller's callback stays with the caller's copy
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    def __repr__(self) -> str:
        n = "?" if self.manifest is None else len(self.manifest.shards)
        return f"ShardedDataset({n} shards, rank {self.rank}/{self.world_size})"

    # --- which shards, in which order --------------------------------------------------------
    def _need_manifest(self) -> Manifest:
        if self.manifest is None:
            raise DataTypeError(
                f"the manifest {self._url} is not loaded yet: 'await ds.load()' or 'async for'"
            )
        return self.manifest

    def shard_indices(self) -> list[int]:
        """Manifest indices of the shards this copy loads (NOTE [ Shard split ])."""
        from .._worker_info import get_worker_info

        n = len(self._need_manifest().shards)
        share = list(range(self.rank, n, self.world_size))
        info = get_worker_info()
        if info is not None and info.num_workers > 1:
            share = share[info.id :: info.num_workers]
        return share

    def set_epoch(self, epoch: int) -> None:
        """Read the next iteration in the shard order of ``epoch`` (with ``shuffle_shards``)."""
        self.epoch = check_int("epoch", epoch, 0)

    def _order(self) -> list[int]:
        share = self.shard_indices()
        if self.shuffle_shards:
            perm = Generator(derive_seed(self.seed, "shards", self.epoch)).permutation(len(share))
            share = [share[i] for i in perm]
        return share

    def __len__(self) -> int:
        manifest = self._need_manifest()
        counts = [manifest.shards[i].records for i in self.shard_indices()]
        if any(c is None for c in counts):
            raise DataTypeError("the manifest does not give every shard's record count")
        return sum(c for c in counts if c is not None)

    # --- progress -------------------------------------------------------------------------------
    @property
    def progress_unit(self) -> str:
        """``"bytes"`` when the manifest gives every shard's size, else ``"shards"``."""
        if self.manifest is None:
            return "shards"
        sizes = [self.manifest.shards[i].size for i in self.shard_indices()]
        return "bytes" if all(s is not None for s in sizes) else "shards"

    def _amounts(self) -> tuple[int, int]:
        if self.manifest is None:
            return 0, 1
        share = self.shard_indices()
        if self.progress_unit == "bytes":
            size = [self.manifest.shards[i].size or 0 for i in share]
            done = sum(s for i, s in zip(share, size, strict=True) if i in self._data)
            return done, sum(size)
        return sum(i in self._data for i in share), len(share)

    @property
    def progress(self) -> float:
        """Fraction of this copy's shards loaded and verified, from 0.0 to 1.0."""
        done, total = self._amounts()
        return 1.0 if total == 0 else done / total

    def is_loaded(self, index: int) -> bool:
        """True once shard ``index`` (of the manifest) is loaded and verified."""
        return index in self._data

    # --- loading --------------------------------------------------------------------------------
    async def _ensure_manifest(self) -> Manifest:
        if self.manifest is None:
            assert self._url is not None
            self.manifest = await load_manifest(
                self._url, cache=self.cache, retries=self.retries, timeout=self.timeout
            )
        return self.manifest

    def start(self) -> asyncio.Task[None]:
        """Start loading in the background on the running event loop (idempotent)."""
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.get_loop() is not loop or task.done():
            self._errors.clear()
            task = self._task = loop.create_task(self._load_all())
        return task

    async def load(self) -> ShardedDataset:
        """Load every shard of this copy (in the background task) and return the dataset.

        Raises the first error once all shards were tried: a
        :class:`~torsh_data.io.IntegrityError` for a shard that fails its check,
        :class:`~torsh_data.SourceError` or :class:`~torsh_data.FormatError` otherwise.
        """
        await asyncio.shield(self.start())
        await self._task_result()
        for i in self.shard_indices():
            if i in self._errors:
                raise self._errors[i]
        return self

    async def _task_result(self) -> None:
        task = self._task
        if task is not None and task.done() and not task.cancelled():
            exc = task.exception()
            if exc is not None:
                raise exc

    async def _load_all(self) -> None:
        try:
            await self._ensure_manifest()
            for i in self._order():
                if i in self._data:
                    continue
                try:
                    self._data[i] = await self._fetch(i)
                except (SourceError, FormatError) as exc:
                    self._errors[i] = exc
                else:
                    if self.on_progress is not None:
                        self.on_progress(*self._amounts())
                self._notify()
        finally:
            self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _fetch(self, index: int) -> bytes:
        shard = self._need_manifest().shards[index]
        if shard.local:
            if IN_PYODIDE:
                return self._read_local(index)
            return await asyncio.to_thread(self._read_local, index)
        last: IntegrityError | None = None
        for _ in range(self.verify_retries + 1):
            try:
                limit = MAX_SHARD_BYTES if shard.size is None else shard.size
                data = await fetch_capped(
                    shard.url,
                    limit,
                    sha256=shard.sha256,
                    cache=self.cache,
                    retries=self.retries,
                    timeout=self.timeout,
                )
                self._check(index, data)
                return data
            except IntegrityError as exc:
                last = exc
                if self.cache is not None:
                    await self.cache.delete(shard.url)
        assert last is not None
        raise last

    def _read_local(self, index: int) -> bytes:
        shard = self._need_manifest().shards[index]
        try:
            with open(shard.url, "rb") as f:
                if os.fstat(f.fileno()).st_size > MAX_SHARD_BYTES:
                    raise SourceError(f"{shard.url}: larger than {MAX_SHARD_BYTES} bytes; refused")
                data = f.read()
        except OSError as exc:
            if isinstance(exc, SourceError):
                raise
            raise SourceError(
                f"{shard.url}: cannot read the shard: {exc.strerror or exc}"
            ) from None
        self._check(index, data)
        return data

    def _check(self, index: int, data: bytes) -> None:
        shard = self._need_manifest().shards[index]
        if shard.size is not None and len(data) != shard.size:
            raise IntegrityError(
                shard.url,
                f"shard {index} has {len(data)} bytes, the manifest says {shard.size} "
                "(truncated or changed)",
            )
        if shard.sha256 is not None:
            got = hashlib.sha256(data).hexdigest()
            if got != shard.sha256:
                raise IntegrityError(
                    shard.url, f"sha256 mismatch: expected {shard.sha256}, got {got}"
                )

    async def _wait(self, index: int) -> bytes:
        while True:
            if index in self._data:
                return self._data[index]
            if index in self._errors:
                raise self._errors[index]
            task = self.start()
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            await asyncio.wait({fut, task}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                await self._task_result()

    def _get_sync(self, index: int) -> bytes:
        if index in self._data:
            return self._data[index]
        shard = self._need_manifest().shards[index]
        if shard.local:
            data = self._read_local(index)
        else:
            data = run_blocking(
                self._fetch(index),
                operation=f"reading shard {shard.url} with 'for'",
                alternative=_ASYNC_ITER,
            )
        self._data[index] = data
        return data

    # --- records --------------------------------------------------------------------------------
    def _reader(self, index: int) -> Any:
        from ._readers import reader_for

        manifest = self._need_manifest()
        return reader_for(manifest.format, name=manifest.shards[index].url, **self.reader_options)

    def _records(self, k: int, index: int, data: bytes, skip: int) -> Iterator[Any]:
        shard = self._need_manifest().shards[index]
        reader = self._reader(index)
        n = 0
        for batch in _parse(reader, memoryview(data)):
            for record in batch:
                n += 1
                if n <= skip:
                    continue
                if isinstance(record, dict) and "__key__" in record and "__url__" not in record:
                    record["__url__"] = shard.url
                self._pos = (k, n)
                yield record
        if shard.records is not None and n != shard.records:
            raise FormatError(
                f"the shard has {n} records, the manifest says {shard.records}", source=shard.url
            )

    def _begin(self) -> tuple[list[int], int, int]:
        start, skip = self._resume or (0, 0)
        self._resume = None
        self._pos = (start, skip)
        return self._order(), start, skip

    def _end(self, order: list[int]) -> None:
        self.epoch += 1
        self._pos = (0, 0)

    def __iter__(self) -> Iterator[Any]:
        if self.manifest is None:
            run_blocking(
                self._ensure_manifest(),
                operation=f"reading the manifest {self._url} with 'for'",
                alternative=_ASYNC_ITER,
            )
        order, start, skip = self._begin()
        for k in range(start, len(order)):
            yield from self._records(k, order[k], self._get_sync(order[k]), skip)
            skip = 0
            self._pos = (k + 1, 0)
        self._end(order)

    async def __aiter__(self) -> AsyncIterator[Any]:
        await self._ensure_manifest()
        order, start, skip = self._begin()
        if start < len(order):
            self.start()
        for k in range(start, len(order)):
            for record in self._records(k, order[k], await self._wait(order[k]), skip):
                yield record
            skip = 0
            self._pos = (k + 1, 0)
        self._end(order)

    def iter_loaded(self) -> Iterator[Any]:
        """The records of the shards loaded so far, in this epoch's order, without waiting
        (a preview while loading; does not move the resume position)."""
        pos = self._pos
        try:
            for k, index in enumerate(self._order()):
                if index in self._data:
                    yield from self._records(k, index, self._data[index], 0)
        finally:
            self._pos = pos

    # --- exact resume -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Where iteration is (JSON-ready): epoch, shard position in the epoch, records done."""
        shard, record = self._resume or self._pos
        return {
            "version": 1,
            "seed": self.seed,
            "epoch": self.epoch,
            "shard": shard,
            "record": record,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Make the next iteration continue exactly where :meth:`state_dict` was taken."""
        if not isinstance(state, Mapping) or state.get("version") != 1:
            raise DataValueError(f"not a ShardedDataset state (version 1): {state!r:.200}")
        try:
            seed, epoch, shard, record = (state[k] for k in ("seed", "epoch", "shard", "record"))
        except KeyError as exc:
            raise DataValueError(f"ShardedDataset state lacks {exc.args[0]!r}") from None
        self.seed = check_seed(seed)
        self.epoch = check_int("epoch", epoch, 0)
        self._resume = (check_int("shard", shard, 0), check_int("record", record, 0))


# A manifest of shards is read as a dataset of its own: the format lives here, above formats/.
register_format(Format("shards", extensions=(".shards.json",), dataset=ShardedDataset))
