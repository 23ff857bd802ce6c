"""Seeded random streams that give the same numbers on every runtime.

NOTE [ Determinism ]: every random decision in torsh-data comes from a :class:`Generator`
seeded by :func:`derive_seed` from a root seed and the coordinates of the decision (epoch,
sample index, purpose), never from global state or from the worker that ran it (only a root
seed nobody gave is drawn from one: NOTE [ Default seeds ] in :func:`fresh_seed`). The generator
is CPython's Mersenne Twister seeded with an integer, and only its ``getrandbits`` and
``random`` outputs are used, which are the same on every CPython build including Pyodide's.
A test compares batch digests across CPython 3.10+, Pyodide under Node and Chromium.

Inside a :class:`~torsh_data.DataLoader`, :func:`sample_generator` gives the stream of the
sample being loaded, so random transforms are reproducible per ``(seed, epoch, index)``:

>>> from torsh_data import random as tdr
>>> with tdr.sample_scope(seed=7, epoch=0, index=3):
...     a = tdr.sample_generator().random()
>>> with tdr.sample_scope(seed=7, epoch=0, index=3):
...     b = tdr.sample_generator().random()
>>> a == b
True
"""

from __future__ import annotations

import array
import contextlib
import contextvars
import hashlib
import os
import random as _pyrandom
import struct
from collections.abc import Iterator, Sequence
from typing import Any

from ._errors import DataTypeError, DataValueError
from ._interop import loaded_torch
from ._wasm import sort as _sort

__all__ = [
    "Generator",
    "SampleGenerator",
    "SampleStreams",
    "StreamLanes",
    "derive_seed",
    "draw_seed",
    "entropy_seed",
    "fresh_seed",
    "laplaces",
    "manual_seed",
    "normals",
    "randbelow_each",
    "random_each",
    "sample_generator",
    "sample_generators",
    "sample_scope",
]

_MASK64 = (1 << 64) - 1


def derive_seed(*parts: int | str) -> int:
    """A 64-bit seed from a root seed and coordinates, e.g. ``derive_seed(seed, "shuffle", 3)``.

    >>> derive_seed(0, "shuffle", 1) == derive_seed(0, "shuffle", 1) != derive_seed(0, "shuffle", 2)
    True
    """
    h = hashlib.blake2b(digest_size=8, person=b"torsh-data")
    for p in parts:
        if isinstance(p, bool) or not isinstance(p, (int, str)):
            raise DataValueError(f"seed parts must be int or str, not {type(p).__name__}")
        b = p.encode() if isinstance(p, str) else (p % (1 << 64)).to_bytes(8, "little")
        h.update(struct.pack("<BI", isinstance(p, str), len(b)) + b)
    return int.from_bytes(h.digest(), "little")


def entropy_seed() -> int:
    """A 64-bit seed from the operating system (``os.urandom``), which no ``manual_seed``
    reproduces: for privacy noise and other draws that must not be predictable."""
    return int.from_bytes(os.urandom(8), "little")


def _torch_draw(torch: Any, generator: Any) -> int:
    """A seed drawn as torch's samplers draw theirs: one int64 from ``generator`` (``None``:
    torch's global generator), which advances it."""
    device = getattr(generator, "device", "cpu")
    cell = torch.empty((), dtype=torch.int64, device=device)
    return int(cell.random_(generator=generator).item())


def fresh_seed() -> int:
    """The seed for ``seed=None``: from torch's global generator when the program has
    imported torch, else from Python's :mod:`random` module.

    NOTE [ Default seeds ]: so ``torch.manual_seed(s)`` (or ``random.seed(s)`` without torch,
    as in the browser) makes shuffles, splits and samplers reproducible, as in torch; each
    call advances that generator. A program that needs unpredictable seeds uses
    :func:`entropy_seed`.
    """
    torch = loaded_torch()
    if torch is not None:
        return _torch_draw(torch, None)
    return _pyrandom.getrandbits(64)


def seed_source(seed: int | None, generator: Any, where: str) -> Any:
    """What ``seed=`` and torch's ``generator=`` ask for: an int seed, a ``torch.Generator``
    to draw seeds from, or ``None`` (draw with :func:`fresh_seed`).

    >>> seed_source(None, 5, "RandomSampler")
    5
    >>> seed_source(1, 5, "RandomSampler")
    Traceback (most recent call last):
    ...
    torsh_data.DataValueError: RandomSampler: pass seed= or generator=, not both
    """
    if seed is not None and generator is not None:
        raise DataValueError(f"{where}: pass seed= or generator=, not both")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise DataTypeError(f"{where}: seed must be an int, got {seed!r:.80}")
        return seed
    if generator is None or (isinstance(generator, int) and not isinstance(generator, bool)):
        return generator
    torch = loaded_torch()
    if torch is not None and isinstance(generator, torch.Generator):
        return generator
    raise DataTypeError(
        f"{where}: generator must be a torch.Generator or an int seed, got "
        f"{type(generator).__name__}; pass generator=torch.Generator().manual_seed(n), "
        "generator=n, or seed=n"
    )


def draw_seed(source: Any) -> int:
    """A root seed from a :func:`seed_source`: the int itself, one drawn from the
    ``torch.Generator`` (advancing it), or :func:`fresh_seed`.

    >>> draw_seed(7)
    7
    """
    if source is None:
        return fresh_seed()
    if isinstance(source, int):
        return source
    return _torch_draw(loaded_torch(), source)


class Generator:
    """A random stream for a 64-bit seed; bulk draws run at C speed.

    >>> g = Generator(42)
    >>> sorted(g.permutation(5))
    [0, 1, 2, 3, 4]
    """

    __slots__ = ("_r", "seed")

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise DataValueError(f"seed must be an int, not {type(seed).__name__}")
        self.seed = seed & _MASK64
        self._r = _pyrandom.Random(self.seed)

    def _words(self, n: int) -> array.array[int]:
        """``n`` uniform 64-bit integers."""
        out = array.array("Q")
        if n:
            out.frombytes(self._r.getrandbits(64 * n).to_bytes(8 * n, "little"))
            if out.itemsize != 8:  # pragma: no cover - 'Q' is 8 bytes on every platform we know
                raise RuntimeError("array('Q') is not 64-bit here")
        return out

    def bytes(self, n: int) -> bytes:
        """``n`` uniformly random bytes."""
        return self._r.getrandbits(8 * n).to_bytes(n, "little") if n > 0 else b""

    def random(self) -> float:
        """A float in [0, 1)."""
        return self._r.random()

    def randbelow(self, n: int) -> int:
        """An integer in [0, n), without modulo bias."""
        if n <= 0:
            raise DataValueError(f"randbelow needs n > 0, got {n}")
        k = n.bit_length()
        while True:
            r = self._r.getrandbits(k)
            if r < n:
                return r

    def permutation(self, n: int) -> list[int]:
        """A uniformly random permutation of ``range(n)``: the indices sorted by ``n`` random
        64-bit keys, equal keys in index order (in Pyodide a compiled radix sort gives the
        same order: :func:`torsh_data._wasm.sort.argsort_u64`)."""
        keys = self._words(n)
        if n >= _sort.MIN_KEYS:
            order = array.array("I", bytes(4 * n))
            if _sort.argsort_u64(keys, order):
                return order.tolist()
        return sorted(range(n), key=keys.__getitem__)

    def integers(self, n: int, size: int) -> list[int]:
        """``size`` integers in [0, n), drawn with replacement (bias below n / 2**64)."""
        if n <= 0:
            raise DataValueError(f"cannot draw integers below {n}")
        return [w % n for w in self._words(size)]

    def uniforms(self, size: int) -> list[float]:
        """``size`` floats in [0, 1) with 53 random bits each."""
        scale = 2.0**-53
        return [(w >> 11) * scale for w in self._words(size)]

    def getstate(self) -> object:
        return self._r.getstate()

    def setstate(self, state: object) -> None:
        self._r.setstate(state)  # type: ignore[arg-type]


# --- the stream of the sample being loaded ------------------------------------------------


_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scatters every bit."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class SampleGenerator:
    """The random stream of one sample: SplitMix64, so it costs nothing to create.

    NOTE [ Per-sample streams ]: a loader gives every sample its own stream. Seeding CPython's
    Mersenne Twister (and hashing the coordinates) for each one cost 10-20 us natively and
    four times that in WebAssembly, more than the transforms it served; this generator is
    seeded by integer mixing and draws with a few integer operations. It has the small-draw
    methods of :class:`Generator`, with the same meaning.
    """

    __slots__ = ("_state", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed & _MASK64
        self._state = self.seed

    def next64(self) -> int:
        """The next uniform 64-bit integer."""
        self._state = s = (self._state + _GOLDEN) & _MASK64
        return _mix64(s)

    def getrandbits(self, k: int) -> int:
        if k <= 64:
            return self.next64() >> (64 - k) if k > 0 else 0
        words = (k + 63) // 64
        value = 0
        for _ in range(words):
            value = (value << 64) | self.next64()
        return value >> (words * 64 - k)

    def random(self) -> float:
        """A float in [0, 1)."""
        # next64() written out: these two draws are most of a batch kernel's Python work
        self._state = z = (self._state + _GOLDEN) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return ((z ^ (z >> 31)) >> 11) * 2.0**-53

    def randbelow(self, n: int) -> int:
        """An integer in [0, n), without modulo bias."""
        if n <= 0:
            raise DataValueError(f"randbelow needs n > 0, got {n}")
        k = n.bit_length()
        if k > 64:
            while True:
                r = self.getrandbits(k)
                if r < n:
                    return r
        shift = 64 - k
        while True:  # getrandbits(k) with next64() written out
            self._state = z = (self._state + _GOLDEN) & _MASK64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
            r = (z ^ (z >> 31)) >> shift
            if r < n:
                return r

    def uniforms(self, size: int) -> list[float]:
        return [self.random() for _ in range(size)]

    def integers(self, n: int, size: int) -> list[int]:
        if n <= 0:
            raise DataValueError(f"cannot draw integers below {n}")
        return [self.next64() % n for _ in range(size)]

    def permutation(self, n: int) -> list[int]:
        out = list(range(n))
        for i in range(n - 1, 0, -1):  # Fisher-Yates
            j = self.randbelow(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def bytes(self, n: int) -> bytes:
        return self.getrandbits(8 * n).to_bytes(n, "little") if n > 0 else b""


class _Scope:
    __slots__ = ("base", "gen", "index")

    def __init__(self, base: int, index: int | str) -> None:
        self.base, self.index = base, index
        self.gen: SampleGenerator | None = None

    def generator(self) -> SampleGenerator:
        if self.gen is None:
            i = self.index
            seed = (
                _mix64((self.base + (i + 1) * _GOLDEN) & _MASK64)
                if isinstance(i, int)
                else derive_seed(self.base, i)
            )
            self.gen = SampleGenerator(seed)
        return self.gen


_current: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "torsh_sample", default=None
)
# NOTE [ Default seeds ] does not apply here: importing torsh_data must not advance torch's
# global generator, so the stream outside a loader starts from the operating system.
_global: Generator | SampleGenerator = Generator(entropy_seed())


class SampleStreams:
    """Cheap per-sample switching of :func:`sample_generator`, for loaders.

    ``with streams:`` makes this object the current scope; ``streams.at(index)`` then moves it
    to another sample with two attribute writes (the generator is built only if asked for).
    """

    __slots__ = ("_scope", "_token", "epoch", "seed")

    def __init__(self, seed: int, epoch: int) -> None:
        self.seed, self.epoch = seed, epoch
        self._scope = _Scope(derive_seed(seed, "sample", epoch), 0)
        self._token: contextvars.Token[_Scope | None] | None = None

    def at(self, index: int | str, gen: SampleGenerator | None = None) -> None:
        """Make the current sample ``index``; with ``gen``, that stream as it stands (a batch
        kernel's fallback hands each sample's own stream back this way)."""
        self._scope.index = index
        self._scope.gen = gen

    def __enter__(self) -> SampleStreams:
        self._token = _current.set(self._scope)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


@contextlib.contextmanager
def sample_scope(seed: int, epoch: int, index: int | str) -> Iterator[None]:
    """Make :func:`sample_generator` return the stream of ``(seed, epoch, index)`` inside."""
    with SampleStreams(seed, epoch) as streams:
        streams.at(index)
        yield


def sample_generators(
    seed: int, epoch: int, indices: Sequence[int | str]
) -> Sequence[SampleGenerator]:
    """Fresh streams of the samples ``(seed, epoch, i)`` for ``i`` in ``indices``: the streams
    :func:`sample_scope` and a loader give those samples, for batch kernels
    (NOTE [ Batch kernels ] in :mod:`torsh_data.transforms`).

    >>> a, = sample_generators(0, 0, [5])
    >>> with sample_scope(0, 0, 5):
    ...     b = sample_generator().next64()
    >>> a.next64() == b
    True
    """
    base = derive_seed(seed, "sample", epoch)
    n = len(indices)
    if not all(type(i) is int and i >= 0 for i in indices) or n < _LANE_MIN:
        return [_Scope(base, i).generator() for i in indices]
    mask, _, packing = _lanes(n)  # NOTE [ Streams in lanes ]
    bases = int.from_bytes(packing.pack(*[base & _MASK64] * n), "little")
    ones = [(i + 1) & _MASK64 for i in indices]  # type: ignore[operator]
    steps = int.from_bytes(packing.pack(*ones), "little")
    seeds = _mix_lanes((((steps * _GOLDEN) & mask) + bases) & mask, mask)
    return StreamLanes(n, seeds)


class StreamLanes(Sequence[SampleGenerator]):
    """The streams of a batch, their states kept in lanes (NOTE [ Streams in lanes ]):
    :func:`random_each` and :func:`randbelow_each` draw from all of them without a Python
    object per stream. Indexing or iterating gives the :class:`SampleGenerator` objects
    (made once, where the lanes stand; from then on they hold the states)."""

    __slots__ = ("_gens", "_n", "_seeds", "_states")

    def __init__(self, n: int, seeds: int) -> None:
        self._n, self._seeds, self._states = n, seeds, seeds
        self._gens: list[SampleGenerator] | None = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        return self.generators()[i]

    def __iter__(self) -> Iterator[SampleGenerator]:
        return iter(self.generators())

    def generators(self) -> list[SampleGenerator]:
        """The streams as objects."""
        if self._gens is None:
            packing = _lanes(self._n)[2]
            seeds = packing.unpack(self._seeds.to_bytes(packing.size, "little"))
            gens = self._gens = list(map(SampleGenerator, seeds))
            if self._states != self._seeds:
                states = packing.unpack(self._states.to_bytes(packing.size, "little"))
                for g, state in zip(gens, states, strict=True):
                    g._state = state
        return self._gens

    def next_each(self) -> list[int]:
        """``[g.next64() for g in self]``, in lanes while no object was asked for."""
        if self._gens is not None:
            return [g.next64() for g in self._gens]
        mask, golden, packing = _lanes(self._n)
        self._states = states = (self._states + golden) & mask
        return list(packing.unpack(_mix_lanes(states, mask).to_bytes(packing.size, "little")))

    def redraw(self, rejected: list[int], n: int, out: list[int]) -> None:
        """``out[i] = randbelow(n)`` drawn on from stream ``i`` for each ``i`` in ``rejected``
        (their last draw was refused), as :meth:`SampleGenerator.randbelow` goes on."""
        if self._gens is not None:
            for i in rejected:
                out[i] = self._gens[i].randbelow(n)
            return
        mask, _, packing = _lanes(self._n)
        states = packing.unpack(self._states.to_bytes(packing.size, "little"))
        steps = [0] * self._n
        scratch = SampleGenerator(0)
        for i in rejected:
            scratch._state = states[i]
            out[i] = scratch.randbelow(n)
            steps[i] = (scratch._state - states[i]) & _MASK64
        delta = int.from_bytes(packing.pack(*steps), "little")
        self._states = (self._states + delta) & mask

    def lanes(self) -> bytearray | None:
        """The states as bytes, one 16-byte lane a stream (the 64-bit state little-endian,
        then 8 zero bytes), for a kernel that draws in place and hands them back to
        :meth:`set_lanes`; None once the streams are objects (they hold the states then)."""
        if self._gens is not None:
            return None
        return bytearray(self._states.to_bytes(16 * self._n, "little"))

    def set_lanes(self, lanes: Any) -> None:
        """Take the states back from :meth:`lanes`' bytes, drawn on."""
        if self._gens is not None or len(lanes) != 16 * self._n:
            raise ValueError(f"set_lanes: {len(lanes)} bytes for {self._n} streams in lanes")
        self._states = int.from_bytes(lanes, "little")


# --- one draw from each of many streams (batch kernels) ---------------------------------------
#
# NOTE [ Streams in lanes ]: a batch kernel draws once from each sample's stream. Written per
# stream, SplitMix64 is a dozen operations on 64-bit Python ints per draw, which costs five
# times as much in WebAssembly as natively. Here the N states sit in one big integer, one
# 128-bit lane each (64 bits of state, 64 bits of room), so each step of the mix is one
# big-integer operation for the whole batch (a C loop), masked back to 64 bits per lane
# before anything can carry into the next lane. The numbers are the per-stream ones.
# :func:`sample_generators` gives a loader's batch its streams as :class:`StreamLanes`, whose
# states stay in the lanes from one draw to the next: no object per stream is made, read or
# written unless a step asks for the streams one by one (a per-sample fallback does).

_LANE_MIN = 8  # fewer streams than this are drawn one by one
_lane_cache: dict[int, tuple[int, int, struct.Struct]] = {}


def _lanes(n: int) -> tuple[int, int, struct.Struct]:
    """(the 64-bit mask of every lane, _GOLDEN in every lane, the lane packing) for ``n``."""
    found = _lane_cache.get(n)
    if found is None:
        if len(_lane_cache) > 64:
            _lane_cache.clear()
        packing = struct.Struct("<" + "Q8x" * n)
        found = _lane_cache[n] = (
            int.from_bytes(packing.pack(*[_MASK64] * n), "little"),
            int.from_bytes(packing.pack(*[_GOLDEN] * n), "little"),
            packing,
        )
    return found


def _mix_lanes(z: int, mask: int) -> int:
    """:func:`_mix64` of every lane of ``z``."""
    z = (((z ^ (z >> 30)) & mask) * 0xBF58476D1CE4E5B9) & mask
    z = (((z ^ (z >> 27)) & mask) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) & mask


def _next_each(gens: Sequence[Any]) -> list[int] | None:
    """``[g.next64() for g in gens]`` in lanes, or None when the streams are not all
    :class:`SampleGenerator` or too few."""
    n = len(gens)
    if type(gens) is StreamLanes:
        return gens.next_each()
    if n < _LANE_MIN or any(type(g) is not SampleGenerator for g in gens):
        return None
    mask, golden, packing = _lanes(n)
    states = (int.from_bytes(packing.pack(*[g._state for g in gens]), "little") + golden) & mask
    for g, state in zip(gens, packing.unpack(states.to_bytes(packing.size, "little")), strict=True):
        g._state = state
    return list(packing.unpack(_mix_lanes(states, mask).to_bytes(packing.size, "little")))


def random_each(gens: Sequence[Any]) -> list[float]:
    """``[g.random() for g in gens]``, each stream advanced as that call advances it (NOTE
    [ Streams in lanes ]).

    >>> a, b = sample_generators(0, 0, range(9)), sample_generators(0, 0, range(9))
    >>> random_each(a) == [g.random() for g in b]
    True
    """
    words = _next_each(gens)
    if words is None:
        return [g.random() for g in gens]
    return [(z >> 11) * 2.0**-53 for z in words]


def randbelow_each(gens: Sequence[Any], n: int) -> list[int]:
    """``[g.randbelow(n) for g in gens]``, each stream advanced as that call advances it,
    rejected draws included (NOTE [ Streams in lanes ]).

    >>> a, b = sample_generators(0, 0, range(9)), sample_generators(0, 0, range(9))
    >>> randbelow_each(a, 25) == [g.randbelow(25) for g in b]
    True
    """
    if n <= 0:
        raise DataValueError(f"randbelow needs n > 0, got {n}")
    k = n.bit_length()
    words = _next_each(gens) if k <= 64 else None
    if words is None:
        return [g.randbelow(n) for g in gens]
    shift = 64 - k
    out = [z >> shift for z in words]
    rejected = [i for i, r in enumerate(out) if r >= n]
    if not rejected:
        return out
    if type(gens) is StreamLanes:
        gens.redraw(rejected, n, out)
        return out
    for i in rejected:  # this stream draws on, as randbelow does
        out[i] = gens[i].randbelow(n)
    return out


def sample_generator() -> Generator | SampleGenerator:
    """The random stream of the sample being loaded (a :class:`SampleGenerator`), or the
    global :class:`Generator` outside a loader."""
    scope = _current.get()
    return _global if scope is None else scope.generator()


def manual_seed(seed: int) -> None:
    """Seed the global stream used outside a loader (transforms called by hand)."""
    global _global
    _global = Generator(seed)


from ._distributions import laplaces, normals  # noqa: E402  (they take a Generator)
