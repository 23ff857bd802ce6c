"""The per-sample random streams of a loader, one by one and a batch at a time.

:class:`SampleGenerator` is one sample's stream (NOTE [ Per-sample streams ]);
:class:`StreamLanes` a batch's streams with their states in lanes, and :func:`random_each` /
:func:`randbelow_each` one draw from each of many streams (NOTE [ Streams in lanes ]).
:mod:`torsh_data.random` seeds them and re-exports what users see.

>>> g = SampleGenerator(0)
>>> lanes = lane_streams(0, range(8))
>>> [h.seed for h in lanes][:1] == [lane_seed(0, 0)]
True
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ._errors import DataValueError
from ._wasm import streams as _wasm_streams

__all__ = [
    "GOLDEN",
    "MASK64",
    "SampleGenerator",
    "StreamLanes",
    "in_lanes",
    "lane_seed",
    "lane_streams",
    "randbelow_each",
    "randbelow_lanes",
    "random_each",
    "random_lanes",
    "window_coin_lanes",
]

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's step


def _mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scatters every bit."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def lane_seed(base: int, index: int) -> int:
    """The seed of sample ``index``'s stream (an int >= 0) under the epoch's ``base`` seed."""
    return _mix64((base + (index + 1) * GOLDEN) & MASK64)


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
        self.seed = seed & MASK64
        self._state = self.seed

    def next64(self) -> int:
        """The next uniform 64-bit integer."""
        self._state = s = (self._state + GOLDEN) & MASK64
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
        self._state = z = (self._state + GOLDEN) & MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
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
            self._state = z = (self._state + GOLDEN) & MASK64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
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


# --- one draw from each of many streams (batch kernels) ---------------------------------------
#
# NOTE [ Streams in lanes ]: a batch kernel draws once from each sample's stream. Written per
# stream, SplitMix64 is a dozen operations on 64-bit Python ints per draw, which costs five
# times as much in WebAssembly as natively. Here the N states sit in one big integer, one
# 128-bit lane each (64 bits of state, 64 bits of room), so each step of the mix is one
# big-integer operation for the whole batch (a C loop), masked back to 64 bits per lane
# before anything can carry into the next lane. The numbers are the per-stream ones.
# :func:`~torsh_data.random.sample_generators` gives a loader's batch its streams as
# :class:`StreamLanes`, whose states stay in the lanes from one draw to the next: no object
# per stream is made, read or written unless a step asks for the streams one by one (a
# per-sample fallback does). The lanes are also bytes, 16 a stream (the state little-endian,
# then 8 zero bytes), which is how WebAssembly kernels read and draw them in place (NOTE
# [ WebAssembly kernels ]): in Pyodide the streams are seeded that way
# (:func:`torsh_data._wasm.streams.seed_lanes`), and turned into one integer only when a
# Python draw needs it.

_LANE_MIN = 8  # fewer streams than this are drawn one by one
_lane_cache: dict[int, tuple[int, int, struct.Struct]] = {}


def _lanes(n: int) -> tuple[int, int, struct.Struct]:
    """(the 64-bit mask of every lane, GOLDEN in every lane, the lane packing) for ``n``."""
    found = _lane_cache.get(n)
    if found is None:
        if len(_lane_cache) > 64:
            _lane_cache.clear()
        packing = struct.Struct("<" + "Q8x" * n)
        found = _lane_cache[n] = (
            int.from_bytes(packing.pack(*[MASK64] * n), "little"),
            int.from_bytes(packing.pack(*[GOLDEN] * n), "little"),
            packing,
        )
    return found


def _mix_lanes(z: int, mask: int) -> int:
    """:func:`_mix64` of every lane of ``z``."""
    z = (((z ^ (z >> 30)) & mask) * 0xBF58476D1CE4E5B9) & mask
    z = (((z ^ (z >> 27)) & mask) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) & mask


def in_lanes(indices: Sequence[Any]) -> bool:
    """Whether the streams of samples ``indices`` are kept in lanes: enough of them, all
    ints >= 0 (other sample names are hashed one by one)."""
    return len(indices) >= _LANE_MIN and {*map(type, indices)} == {int} and min(indices) >= 0


def lane_streams(base: int, indices: Sequence[int]) -> StreamLanes:
    """The streams of samples ``indices`` (ints >= 0) under the epoch's ``base`` seed, in
    lanes: stream ``i`` seeded :func:`lane_seed` ``(base, indices[i])``."""
    n = len(indices)
    seeded = _wasm_streams.seed_lanes(base, indices)
    if seeded is None and (np := sys.modules.get("numpy")) is not None:
        seeded = _np_seed_lanes(np, base, indices)  # NOTE [ Streams in numpy ]
    if seeded is not None:
        return StreamLanes(n, seeded)
    mask, _, packing = _lanes(n)
    bases = int.from_bytes(packing.pack(*[base & MASK64] * n), "little")
    ones = [(i + 1) & MASK64 for i in indices]
    steps = int.from_bytes(packing.pack(*ones), "little")
    return StreamLanes(n, _mix_lanes((((steps * GOLDEN) & mask) + bases) & mask, mask))


class StreamLanes(Sequence[SampleGenerator]):
    """The streams of a batch, their states kept in lanes (NOTE [ Streams in lanes ]):
    :func:`random_each` and :func:`randbelow_each` draw from all of them without a Python
    object per stream, and a WebAssembly kernel draws from :meth:`lanes` in place. Indexing
    or iterating gives the :class:`SampleGenerator` objects (made once, where the lanes
    stand; from then on they hold the states).

    ``seeds`` are the lanes the streams start from: one integer (lane ``i`` its bits
    ``128 i`` to ``128 i + 63``) or their 16-byte little-endian form (a ``bytearray``, then
    the states themselves).
    """

    __slots__ = ("_buf", "_gens", "_n", "_seeds", "_states")

    def __init__(self, n: int, seeds: int | bytearray) -> None:
        self._n = n
        self._gens: list[SampleGenerator] | None = None
        # the states: one integer, or the bytes of the lanes; exactly one is not None
        self._states: int | None
        self._buf: bytearray | None
        self._seeds: int | bytes
        if isinstance(seeds, int):
            self._seeds, self._states, self._buf = seeds, seeds, None
        else:
            if len(seeds) != 16 * n:
                raise ValueError(f"StreamLanes: {len(seeds)} bytes of lanes for {n} streams")
            self._seeds, self._states, self._buf = bytes(seeds), None, seeds

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        return self.generators()[i]

    def __iter__(self) -> Iterator[SampleGenerator]:
        return iter(self.generators())

    def _int(self) -> int:
        """The states as one integer (from then on, until :meth:`lanes` is asked for)."""
        if self._states is None:
            self._states, self._buf = int.from_bytes(self._buf, "little"), None  # type: ignore[arg-type]
        return self._states

    def generators(self) -> list[SampleGenerator]:
        """The streams as objects."""
        if self._gens is None:
            packing = _lanes(self._n)[2]
            seeds = self._seeds
            start = seeds if type(seeds) is bytes else seeds.to_bytes(packing.size, "little")  # type: ignore[union-attr]
            now = (
                self._buf if self._buf is not None else self._int().to_bytes(packing.size, "little")
            )
            gens = self._gens = list(map(SampleGenerator, packing.unpack(start)))
            if now != start:
                for g, state in zip(gens, packing.unpack(now), strict=True):
                    g._state = state
        return self._gens

    def next_each(self) -> list[int]:
        """``[g.next64() for g in self]``, in lanes while no object was asked for."""
        if self._gens is not None:
            return [g.next64() for g in self._gens]
        mask, golden, packing = _lanes(self._n)
        self._states = states = (self._int() + golden) & mask
        return list(packing.unpack(_mix_lanes(states, mask).to_bytes(packing.size, "little")))

    def redraw(self, rejected: list[int], n: int, out: list[int]) -> None:
        """``out[i] = randbelow(n)`` drawn on from stream ``i`` for each ``i`` in ``rejected``
        (their last draw was refused), as :meth:`SampleGenerator.randbelow` goes on."""
        if self._gens is not None:
            for i in rejected:
                out[i] = self._gens[i].randbelow(n)
            return
        mask, _, packing = _lanes(self._n)
        states = packing.unpack(self._int().to_bytes(packing.size, "little"))
        steps = [0] * self._n
        scratch = SampleGenerator(0)
        for i in rejected:
            scratch._state = states[i]
            out[i] = scratch.randbelow(n)
            steps[i] = (scratch._state - states[i]) & MASK64
        delta = int.from_bytes(packing.pack(*steps), "little")
        self._states = (self._int() + delta) & mask

    def lanes(self) -> bytearray | None:
        """The states as bytes, one 16-byte lane a stream (the 64-bit state little-endian,
        then 8 zero bytes): the streams' own states, for a kernel to draw from in place
        (keeping the zero bytes); None once the streams are objects (they hold the states
        then)."""
        if self._gens is not None:
            return None
        if self._buf is None:
            self._buf, self._states = bytearray(self._int().to_bytes(16 * self._n, "little")), None
        return self._buf

    def set_lanes(self, lanes: Any) -> None:
        """Make ``lanes`` (bytes as :meth:`lanes` gives them) the states."""
        if self._gens is not None or len(lanes) != 16 * self._n:
            raise ValueError(f"set_lanes: {len(lanes)} bytes for {self._n} streams in lanes")
        if lanes is not self._buf:
            self._buf, self._states = bytearray(lanes), None


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

    >>> a, b = lane_streams(0, range(9)), lane_streams(0, range(9))
    >>> random_each(a) == [g.random() for g in b]
    True
    """
    np = sys.modules.get("numpy")
    drawn = None if np is None else random_lanes(np, gens)  # NOTE [ Streams in numpy ]
    if drawn is not None:
        return drawn.tolist()
    words = _next_each(gens)
    if words is None:
        return [g.random() for g in gens]
    return [(z >> 11) * 2.0**-53 for z in words]


def randbelow_each(gens: Sequence[Any], n: int) -> list[int]:
    """``[g.randbelow(n) for g in gens]``, each stream advanced as that call advances it,
    rejected draws included (NOTE [ Streams in lanes ]).

    >>> a, b = lane_streams(0, range(9)), lane_streams(0, range(9))
    >>> randbelow_each(a, 25) == [g.randbelow(25) for g in b]
    True
    """
    if n <= 0:
        raise DataValueError(f"randbelow needs n > 0, got {n}")
    np = sys.modules.get("numpy")
    drawn = None if np is None else randbelow_lanes(np, gens, n)  # NOTE [ Streams in numpy ]
    if drawn is not None:
        return drawn.tolist()
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


# --- the lanes in numpy ------------------------------------------------------------------------
#
# NOTE [ Streams in numpy ]: where numpy is already imported (``sys.modules``; torsh-data never
# imports it), a batch's streams are seeded into the bytes of the lanes by numpy's uint64
# arithmetic, which wraps modulo 2**64 as the masks above do, and drawn from in place:
# ``np.frombuffer(lanes, "<u8")[::2]`` is every stream's state, written back by the draw. A
# ``randbelow`` takes the first of the next ``_ROUNDS`` words of each stream below ``n`` (the
# words SplitMix64 would give one after the other: state + t * GOLDEN, mixed), and advances
# the stream past it, as :meth:`SampleGenerator.randbelow` does; a stream that refused all of
# them (rare: each refusal has odds below 1/2) draws on in Python. The numbers and the states
# are the per-stream ones, bit for bit.

_ROUNDS = 4  # words a randbelow looks at per stream before drawing on in Python
_np_consts: dict[tuple[int, int], Any] = {}


def _np_constants(np: Any, rounds: int) -> tuple[Any, Any, Any, Any]:
    """(GOLDEN, the mixing multipliers, ``t * GOLDEN`` for ``t = 1 .. rounds`` as a column)
    as uint64 (kept per numpy module and ``rounds``)."""
    key = (id(np), rounds)
    found = _np_consts.get(key)
    if found is None or found[0] is not np:
        u64 = np.uint64
        steps = np.arange(1, rounds + 1, dtype=u64).reshape(rounds, 1) * u64(GOLDEN)
        found = _np_consts[key] = (
            np,
            (u64(GOLDEN), u64(0xBF58476D1CE4E5B9), u64(0x94D049BB133111EB), steps),
        )
    return found[1]


def _np_mix(np: Any, z: Any) -> Any:
    """:func:`_mix64` of every element of the uint64 array ``z`` (a new array)."""
    _, m1, m2, _ = _np_constants(np, 1)
    z = z ^ (z >> np.uint64(30))
    z *= m1
    z ^= z >> np.uint64(27)
    z *= m2
    z ^= z >> np.uint64(31)
    return z


def _np_seed_lanes(np: Any, base: int, indices: Sequence[int]) -> bytearray | None:
    """:func:`lane_streams`' lanes (16 bytes a stream) computed by numpy; None when an
    index does not fit 64 bits (the integers seed those)."""
    try:
        i = np.array(indices, dtype=np.uint64)
    except (OverflowError, TypeError, ValueError):
        return None
    golden = _np_constants(np, 1)[0]
    i += np.uint64(1)
    i *= golden
    i += np.uint64(base & MASK64)
    out = bytearray(16 * len(i))
    np.frombuffer(out, dtype="<u8")[::2] = _np_mix(np, i)
    return out


def _np_states(np: Any, gens: Any) -> Any:
    """The states of the streams ``gens`` as a writable uint64 view of their lanes, or None
    when they are not :class:`StreamLanes` still in lanes."""
    if type(gens) is not StreamLanes or gens._gens is not None or gens._n < _LANE_MIN:
        return None
    return np.frombuffer(gens.lanes(), dtype="<u8")[::2]


def random_lanes(np: Any, gens: Sequence[Any]) -> Any:
    """:func:`random_each` as a float64 array drawn by numpy (NOTE [ Streams in numpy ]), or
    None when the streams are not in lanes (nothing is drawn then)."""
    states = _np_states(np, gens)
    if states is None:
        return None
    states += _np_constants(np, 1)[0]
    words = _np_mix(np, states) >> np.uint64(11)
    return words.astype(np.float64) * 2.0**-53


def randbelow_lanes(np: Any, gens: Sequence[Any], n: int) -> Any:
    """:func:`randbelow_each` as a uint64 array drawn by numpy (NOTE [ Streams in numpy ]),
    or None when the streams are not in lanes or ``n`` exceeds 64 bits (nothing is drawn
    then)."""
    drawn = _np_below(np, gens, n, False)
    return None if drawn is None else drawn[0]


def window_coin_lanes(np: Any, gens: Sequence[Any], n: int) -> tuple[Any, Any] | None:
    """``(randbelow_lanes(np, gens, n), random_lanes(np, gens))`` drawn together: each
    stream's ``randbelow(n)``, then its ``random()`` (a crop's window, then a flip's coin),
    the words of both from one mixing of each stream's next ``_ROUNDS + 1`` states. None
    when the streams are not in lanes or ``n`` exceeds 64 bits (nothing is drawn then)."""
    return _np_below(np, gens, n, True)


def _np_below(np: Any, gens: Sequence[Any], n: int, coin: bool) -> tuple[Any, Any] | None:
    """``(randbelow(n) of each stream, then random() of each if coin else None)``."""
    if n <= 0:
        raise DataValueError(f"randbelow needs n > 0, got {n}")
    k = n.bit_length()
    states = None if k > 64 else _np_states(np, gens)
    if states is None:
        return None
    rounds = 1 if n == 1 << (k - 1) else _ROUNDS  # a power of two refuses nothing
    golden, _, _, steps = _np_constants(np, rounds + coin)
    raw = _np_mix(np, states + steps)  # (rounds [+ 1], N): each stream's next words
    words = raw[:rounds] >> np.uint64(64 - k)
    below = words < np.uint64(n)
    first = below.argmax(axis=0)
    lanes = np.arange(len(states))
    ks = words[first, lanes]
    coins = None
    if coin:
        coins = (raw[first + 1, lanes] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    missed = np.flatnonzero(~below[first, lanes])
    states += (first.astype(np.uint64) + np.uint64(1 + coin)) * golden
    if len(missed):  # every word refused: this stream draws on, as randbelow does
        scratch = SampleGenerator(0)
        for i in missed.tolist():
            scratch._state = (int(states[i]) + (rounds - 1 - coin) * GOLDEN) & MASK64
            ks[i] = scratch.randbelow(n)
            if coins is not None:
                coins[i] = scratch.random()
            states[i] = scratch._state
    return ks, coins
