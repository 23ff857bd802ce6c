"""The directory cache: one file per entry, written atomically.

An entry is ``<root>/<sha256 of key>.tdc``: the magic ``TDC1``, a 4-byte little-endian header
length, a JSON header ``{"key", "sha256", "size"}`` and the data. It is written to a temporary
file in the same directory and moved in place with ``os.replace``, so a reader sees the old
entry or the new one, never half of one. The file's modification time is its last use (set
on every ``get`` and ``put``), which drives the least-recently-used eviction. An encrypted
cache keeps its salt and passphrase verifier in ``<root>/crypt.json`` (see :mod:`._crypto`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
import time
from pathlib import Path

from .._errors import FormatError, SourceError
from .._json import load_json

__all__ = ["DirCache", "default_root"]

MAGIC = b"TDC1"
SUFFIX = ".tdc"
RECORD = "crypt.json"
MAX_HEADER = 1 << 16


def default_root() -> Path:
    """``$XDG_CACHE_HOME/torsh-data`` or ``~/.cache/torsh-data``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torsh-data"


class DirCache:
    """The native (and Pyodide-without-IndexedDB) implementation of :class:`Cache`."""

    def __init__(self, name: str, max_bytes: int | None, root: str | os.PathLike[str] | None):
        self.name, self.max_bytes = name, max_bytes
        self.path = Path(root) / name if root is not None else default_root() / name
        self._clock = 0

    # ---------------------------------------------------------------- files

    def _file(self, key: str) -> Path:
        return self.path / (hashlib.sha256(key.encode("utf-8")).hexdigest() + SUFFIX)

    def _touch(self, file: Path) -> None:
        # Strictly increasing use times, even within one clock tick.
        self._clock = max(time.time_ns(), self._clock + 1_000_000)
        with contextlib.suppress(OSError):
            os.utime(file, ns=(self._clock, self._clock))

    @staticmethod
    def _read_header(f: object) -> dict[str, object] | None:
        head = f.read(8)  # type: ignore[attr-defined]
        if len(head) != 8 or head[:4] != MAGIC:
            return None
        (n,) = struct.unpack("<I", head[4:])
        if n > MAX_HEADER:
            return None
        try:
            meta = load_json(f.read(n), source="cache entry header")  # type: ignore[attr-defined]
        except FormatError:
            return None
        return meta if isinstance(meta, dict) else None

    def _entries(self) -> list[tuple[Path, int, int]]:
        """(file, size on disk, last use) of every entry."""
        out = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.path):
                if entry.name.endswith(SUFFIX):
                    with contextlib.suppress(OSError):
                        st = entry.stat()
                        out.append((Path(entry.path), st.st_size, st.st_mtime_ns))
        return out

    def _drop(self, file: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()

    # ------------------------------------------------------------------ API

    async def get(self, key: str) -> bytes | None:
        file = self._file(key)
        try:
            with open(file, "rb") as f:
                meta = self._read_header(f)
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SourceError(f"cache {self.name!r}: cannot read {file}: {e}") from e
        if (
            meta is None
            or meta.get("key") != key
            or meta.get("size") != len(data)
            or meta.get("sha256") != hashlib.sha256(data).hexdigest()
        ):
            self._drop(file)  # corrupt or truncated: never hand it out
            return None
        self._touch(file)
        return data

    async def put(self, key: str, data: bytes) -> None:
        data = bytes(data)
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise SourceError(
                f"cache {self.name!r}: an entry of {len(data)} bytes does not fit in "
                f"max_bytes={self.max_bytes}"
            )
        meta = json.dumps(
            {"key": key, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        ).encode("utf-8")
        file = self._file(key)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.path)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + struct.pack("<I", len(meta)) + meta)
                    f.write(data)
                os.replace(tmp, file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as e:
            raise SourceError(f"cache {self.name!r}: cannot write {file}: {e}") from e
        self._touch(file)
        self._evict(keep=file)

    def _evict(self, keep: Path) -> None:
        if self.max_bytes is None:
            return
        entries = sorted(self._entries(), key=lambda e: e[2])
        used = sum(size for _, size, _ in entries)
        for file, size, _ in entries:
            if used <= self.max_bytes:
                break
            if file != keep:
                self._drop(file)
                used -= size

    async def has(self, key: str) -> bool:
        return self._file(key).is_file()

    async def delete(self, key: str) -> bool:
        file = self._file(key)
        existed = file.is_file()
        self._drop(file)
        return existed

    async def keys(self) -> list[str]:
        out = []
        for file, _, _ in self._entries():
            with contextlib.suppress(OSError):
                with open(file, "rb") as f:
                    meta = self._read_header(f)
                if meta is not None and isinstance(meta.get("key"), str):
                    out.append(str(meta["key"]))
                else:
                    self._drop(file)  # corrupt: never listed, and gone like on a get
        return sorted(out)

    async def usage(self) -> int:
        return sum(size for _, size, _ in self._entries())

    async def clear(self) -> None:
        for file, _, _ in self._entries():
            self._drop(file)

    async def read_record(self) -> bytes | None:
        """The encryption record of this cache, or None."""
        try:
            return (self.path / RECORD).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SourceError(f"cache {self.name!r}: cannot read {self.path / RECORD}: {e}") from e

    async def write_record(self, record: bytes) -> bytes:
        """Store ``record`` unless one exists; return the record in force."""
        file = self.path / RECORD
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.path)
            with os.fdopen(fd, "wb") as f:
                f.write(record)
            try:
                os.link(tmp, file)  # atomic and exclusive: a racing writer's record wins
            except FileExistsError:
                pass
            except (OSError, AttributeError):  # no hard links (Pyodide, some file systems)
                if not file.exists():
                    os.replace(tmp, file)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return file.read_bytes()
        except OSError as e:
            raise SourceError(f"cache {self.name!r}: cannot write {file}: {e}") from e
