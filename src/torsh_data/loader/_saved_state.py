"""Keep a loader's position in a :class:`~torsh_data.io.Cache`, so a reload resumes the epoch.

In a browser the cache is IndexedDB: a page that saves its loader's state after each batch
(or every few) and restores it when it starts again continues the interrupted epoch with
exactly the batches it would have had (see :meth:`DataLoader.state_dict`). The state is
stored as JSON under one key; a cache write is atomic, so a reload mid-write finds the old
state or the new one, never half of one.

>>> import asyncio, tempfile
>>> from torsh_data import DataLoader, TensorDataset
>>> from torsh_data.io import Cache
>>> async def demo(root):
...     cache = Cache("states", root=root)
...     loader = DataLoader(TensorDataset(list(range(8))), batch_size=2, shuffle=True, seed=5)
...     it = aiter(loader)
...     first = (await anext(it))[0].tolist()
...     await save_state(loader, cache, "run-1")
...     fresh = DataLoader(TensorDataset(list(range(8))), batch_size=2, shuffle=True)
...     found = await restore_state(fresh, cache, "run-1")
...     rest = [x.tolist() async for (x,) in fresh]
...     return found, len(rest), sorted(first + sum(rest, [])) == list(range(8))
>>> with tempfile.TemporaryDirectory() as root:
...     asyncio.run(demo(root))
(True, 3, True)
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import DataTypeError, DataValueError, FormatError
from .._json import load_json

__all__ = ["restore_state", "save_state"]


async def save_state(loader: Any, cache: Any, key: str = "loader-state") -> None:
    """Store ``loader.state_dict()`` as JSON in ``cache`` under ``key`` (atomically).

    Args:
        loader: a :class:`~torsh_data.DataLoader` (anything with ``state_dict()``).
        cache: a :class:`~torsh_data.io.Cache` (IndexedDB in a browser).
        key: the entry's name, e.g. one per training run.
    """
    _check_key(key)
    data = json.dumps(loader.state_dict(), sort_keys=True, separators=(",", ":"))
    await cache.put(key, data.encode())


async def restore_state(loader: Any, cache: Any, key: str = "loader-state") -> bool:
    """Load the state saved by :func:`save_state` into ``loader``; False if there is none.

    Raises:
        FormatError: (a ``ValueError``) the entry is not a loader state, or one whose numbers
            are out of range; the message names the cache entry and the field.
    """
    _check_key(key)
    data = await cache.get(key)
    if data is None:
        return False
    source = f"cache {getattr(cache, 'name', '?')!r} entry {key!r}"
    try:
        state = load_json(bytes(data), source=source)
    except FormatError as exc:
        raise FormatError(f"not a saved loader state: {exc.reason}", source=source) from None
    try:
        loader.load_state_dict(state)
    except DataValueError as exc:
        raise FormatError(
            f"not a saved loader state this loader can resume: {exc}", source=source
        ) from None
    return True


def _check_key(key: Any) -> None:
    if not isinstance(key, str) or not key:
        raise DataTypeError(f"key must be a non-empty str, got {key!r}")
