"""Python side of the kernel in ``text.wat`` (NOTE [ WebAssembly kernels ]): the vocabulary
ids of torchtext's ``basic_english`` tokens of lines, truncated, in one pass over their bytes.

NOTE [ The text kernel ]: the pure path makes a string per token (``lower``, ten
``replace`` calls, ``split``), then hashes each in a dict look-up; in Pyodide those steps
keep only half their native speed. For ASCII lines the kernel does it all in one pass over
the UTF-8 bytes: lowercase A-Z, delete ``"``, read ``<br />`` (``"`` skipped, any case) as a
space, make ``' . , ( ) ! ?`` tokens of their own and ``; :`` and ``str.split``'s ASCII
whitespace separators, and look each token up in an open-addressing hash table of the
vocabulary's ASCII tokens, laid out once per vocabulary in a Python buffer (cached by its
token list, rebuilt when the vocabulary has grown). Only the first ``keep`` tokens of a line
are looked up, as after ``Truncate(keep)``. A line holding a byte >= 128 (any non-ASCII
character, whose lowercasing and whitespace are Unicode's) is left to the caller's pure
path, as is a call meeting an unknown token with no default index (the pure path raises the
error). Nothing here is a rule of its own: each is one of ``basic_english``'s rules on ASCII,
and the tests compare the ids with the pure path's on random text.

A call's fixed cost is one JavaScript call (2-8 us): the line is copied into a scratch
buffer whose addresses are taken once, not located per call (``addresses`` costs 15-45 us).

>>> itos = ["<unk>", "hello", ",", "world"]
>>> encode_line("Hello, World!", itos, 0, 128) in (None, [1, 2, 3, 0])
True
>>> encode_lines(["a b", "world"], itos, 0, 1) in (None, [[0], [3]])
True
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from . import addresses, kernels

__all__ = ["MIN_CHARS", "encode_line", "encode_lines"]

#: A line shorter than this is left to the pure path by :func:`encode_line`: its dozen string
#: calls cost about what a call of the kernel does (crossover near 4-16 characters in
#: Chromium and Node.js, measured on a loaded machine).
MIN_CHARS = 16

_I32 = 2**31 - 1
_ARGS = struct.Struct("<11i")
_LENGTH = struct.Struct("<i")  # the second argument: the input's length
_HEADER = 48  # the arguments (eleven int32), padded to a multiple of 8
_MAX_TABLES = 8


class _Table:
    """The hash table of one vocabulary's ASCII tokens (``text.wat``: insert)."""

    __slots__ = ("address", "itos", "mask", "pool", "pool_address", "size", "slots")

    def __init__(self, itos: list[str]) -> None:
        k = kernels("text")
        assert k is not None
        self.itos, self.size = itos, len(itos)
        ids = [i for i, t in enumerate(itos) if t and t.isascii()]
        tokens = [itos[i] for i in ids]
        capacity = 8
        while capacity < 2 * len(ids):
            capacity *= 2
        self.mask = capacity - 1
        self.slots = bytearray(16 * capacity)
        self.pool = "".join(tokens).encode("ascii") or b"\0"
        lens, idx = array("i", map(len, tokens)), array("i", ids)
        self.address, self.pool_address = addresses(self.slots, self.pool)
        if ids:
            _, _, lp, ip = addresses(self.slots, self.pool, lens, idx)
            k.insert(self.address, self.mask, self.pool_address, lp, ip, len(ids))


_tables: dict[int, _Table] = {}  # id(itos) -> its table; the entry keeps itos alive


def _table(itos: list[str]) -> _Table:
    found = _tables.get(id(itos))
    if found is None or found.itos is not itos or found.size != len(itos):
        if found is None and len(_tables) >= _MAX_TABLES:
            del _tables[next(iter(_tables))]
        found = _tables[id(itos)] = _Table(itos)
    return found


class _Scratch:
    """The kernel's arguments, input, token bytes, line lengths and ids, for up to ``size``
    input bytes and ``lines`` lines; its addresses are taken once."""

    def __init__(self, size: int, lines: int) -> None:
        self.size, self.lines = size, lines
        self.src = _HEADER
        self.lens = (_HEADER + 2 * size + 7) & ~7
        self.out = (self.lens + 4 * lines + 7) & ~7
        self.buf = bytearray(self.out + 8 * size)
        view = memoryview(self.buf)
        self.lengths = view[self.lens : self.lens + 4 * lines].cast("i")
        self.ids = view[self.out :].cast("q")
        (base,) = addresses(self.buf)
        self.base = base
        self.tmp = base + self.src + size


def _off() -> bool:
    return kernels("text") is None


_scratch: _Scratch | None = None  # made at the first call (addresses exist in Pyodide only)
# What the arguments in ``_scratch`` were packed for: (itos, its length, default, keep, the
# scratch, the table, which it keeps alive). A line of the same vocabulary writes only its
# length and bytes (NOTE [ One line's call ]).
_packed: tuple[Any, ...] = ()


def _run(
    data: bytes, lines: int, itos: list[str], default: int | None, keep: int
) -> tuple[int, _Scratch | None]:
    """The kernel on ``data`` (``lines`` NUL-separated lines): the number of ids written and
    the scratch holding them, or -1 where the pure path must run."""
    global _scratch, _packed
    k = kernels("text")
    if k is None or len(itos) > _I32 or len(data) > _I32 // 16:
        return -1, None
    n = len(data)
    s = _scratch
    if s is None or n > s.size or lines > s.lines:
        size, most = (4096, 64) if s is None else (2 * s.size, s.lines)
        s = _scratch = _Scratch(max(n, size), max(lines, most))
    t = _table(itos)
    s.buf[s.src : s.src + n] = data
    unk = -1 if default is None else default
    _ARGS.pack_into(
        s.buf,
        0,
        s.base + s.src,
        n,
        t.address,
        t.mask,
        t.pool_address,
        min(keep, _I32),
        unk,
        s.base + s.out,
        s.base + s.lens,
        s.lines,
        s.tmp,
    )
    _packed = (itos, len(itos), default, keep, s, t) if lines == 1 else ()
    found: int = k.encode_lines(s.base)
    return found, s


def encode_line(line: str, itos: list[str], default: int | None, keep: int) -> list[int] | None:
    """The ids of the first ``keep`` of ``basic_english(line)``'s tokens in the vocabulary
    whose tokens in index order are ``itos`` (unknown ones ``default``); None where the kernel
    is not used or does not handle the line (shorter than :data:`MIN_CHARS`, not ASCII,
    holding NUL, an unknown token with ``default`` None): the caller runs its pure path."""
    # NOTE [ One line's call ]: a loader calls this once per sample, so the checks cost as
    # much as the kernel. When the arguments packed by the last call were for this vocabulary
    # (the same list, not grown), default and keep, and the scratch holds the line, only the
    # line's bytes and length are written: no table look-up, no eleven-field pack.
    n = len(line)
    if n < MIN_CHARS or not line.isascii() or "\0" in line:
        return None
    k = kernels("text")
    if k is None:
        return None
    p = _packed
    if (
        p
        and p[0] is itos
        and p[1] == len(itos)
        and p[2] == default
        and p[3] == keep
        and n <= p[4].size
    ):
        s: _Scratch | None = p[4]
        assert s is not None
        buf, at = s.buf, s.src
        buf[at : at + n] = line.encode()
        _LENGTH.pack_into(buf, 4, n)
        found: int = k.encode_lines(s.base)
    else:
        found, s = _run(line.encode(), 1, itos, default, keep)
    return None if s is None or found < 0 else s.ids[:found].tolist()


def encode_lines(
    lines: Sequence[str], itos: list[str], default: int | None, keep: int
) -> list[list[int] | None] | None:
    """:func:`encode_line` for each line, at once: None where the kernel is not used (or a
    line holds NUL, or a token is unknown with ``default`` None), else a list with None
    for each line the kernel left to the caller (not ASCII)."""
    if _off() or not lines:
        return None
    joined = "\0".join(lines)
    if joined.count("\0") != len(lines) - 1:
        return None
    found, s = _run(joined.encode(), len(lines), itos, default, keep)
    if s is None or found < 0:
        return None
    flat = s.ids[:found].tolist()
    counts = s.lengths[: len(lines)].tolist()
    if min(counts) >= 0:  # every line ASCII: cut the ids at the running totals
        ends = list(accumulate(counts))
        return list(map(flat.__getitem__, map(slice, [0, *ends[:-1]], ends)))
    out: list[list[int] | None] = []
    pos = 0
    for n in counts:
        out.append(None if n < 0 else flat[pos : pos + n])
        pos += max(n, 0)
    return out
