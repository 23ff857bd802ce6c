"""A batch's streams seeded and drawn by numpy (NOTE [ Streams in numpy ] in
``torsh_data/_streams.py``): the same seeds, numbers and states as the pure path's lanes and
as the streams one by one, numpy loaded or hidden."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import NUMPY_REASON, has_module

from torsh_data import _streams
from torsh_data._streams import SampleGenerator, StreamLanes, lane_seed, lane_streams
from torsh_data.random import randbelow_each, random_each

pytestmark = [
    pytest.mark.native_only(reason="compares numpy's draws with the pure ones (no numpy there)"),
    pytest.mark.skipif(not has_module("numpy"), reason=NUMPY_REASON),
]

U64 = 2**64 - 1
indices_st = st.lists(
    st.integers(0, U64) | st.integers(0, 100) | st.sampled_from([U64, U64 - 1, 2**63]),
    min_size=8,
    max_size=80,
)
# bounds around powers of two (no refusal, or nearly half refused), tiny, huge, beyond 64 bits
bound_st = (
    st.integers(1, 40)
    | st.integers(1, 2**64 + 1)
    | st.integers(1, 64).map(lambda k: 2 ** (k - 1) + 1)
    | st.integers(0, 64).map(lambda k: 2**k)
)


@contextlib.contextmanager
def numpy_hidden() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "numpy", None)
        yield


def draws(gens: Any, ns: list[int]) -> list[Any]:
    """Draws of every kind from each stream, then each stream's next word (its state)."""
    out: list[Any] = []
    for n in ns:
        out += [randbelow_each(gens, n), random_each(gens)]
    return [*out, [g.next64() for g in gens]]


@given(base=st.integers(0, U64), indices=indices_st, ns=st.lists(bound_st, max_size=4))
def test_numpy_lanes_are_the_pure_lanes(base: int, indices: list[int], ns: list[int]) -> None:
    importlib.import_module("numpy")
    with numpy_hidden():
        pure = lane_streams(base, indices)
        want_lanes = bytes(pure.lanes() or b"")
        want = draws(pure, ns)
    fast = lane_streams(base, indices)
    assert bytes(fast.lanes() or b"") == want_lanes
    assert want_lanes == b"".join(
        lane_seed(base, i).to_bytes(8, "little") + bytes(8) for i in indices
    )
    assert draws(fast, ns) == want


@given(indices=indices_st, ns=st.lists(bound_st, min_size=1, max_size=6))
def test_numpy_draws_follow_each_stream(indices: list[int], ns: list[int]) -> None:
    """``randbelow_lanes`` / ``random_lanes`` are each stream's ``randbelow`` / ``random``,
    refused words and the streams' states included; a bound beyond 64 bits is left to the
    caller (None, nothing drawn)."""
    np = importlib.import_module("numpy")
    lanes = lane_streams(7, indices)
    objects = [SampleGenerator(lane_seed(7, i)) for i in indices]
    for n in ns:
        got = _streams.randbelow_lanes(np, lanes, n)
        if n.bit_length() > 64:
            assert got is None
            continue
        assert got.dtype == np.uint64 and got.tolist() == [g.randbelow(n) for g in objects]
        assert _streams.random_lanes(np, lanes).tolist() == [g.random() for g in objects]
    assert [g.next64() for g in lanes] == [g.next64() for g in objects]


@given(indices=indices_st, ns=st.lists(bound_st, min_size=1, max_size=4))
def test_a_window_and_a_coin_are_the_two_draws(indices: list[int], ns: list[int]) -> None:
    """``window_coin_lanes`` is ``randbelow(n)`` then ``random()`` from each stream."""
    np = importlib.import_module("numpy")
    lanes = lane_streams(11, indices)
    objects = [SampleGenerator(lane_seed(11, i)) for i in indices]
    for n in ns:
        got = _streams.window_coin_lanes(np, lanes, n)
        if n.bit_length() > 64:
            assert got is None
            continue
        ks, coins = got
        want = [(g.randbelow(n), g.random()) for g in objects]
        assert list(zip(ks.tolist(), coins.tolist(), strict=True)) == want
    assert [g.next64() for g in lanes] == [g.next64() for g in objects]


@pytest.mark.parametrize("coin", [False, True], ids=["randbelow", "window_coin"])
def test_a_stream_that_refuses_every_round_draws_on(coin: bool) -> None:
    """A bound just above a power of two refuses nearly half the words: over many streams
    some refuse all ``_ROUNDS`` words and finish in Python, where the lanes left off."""
    np = importlib.import_module("numpy")
    n, count = 2**40 + 1, 4000
    lanes = lane_streams(3, range(count))
    objects = [SampleGenerator(lane_seed(3, i)) for i in range(count)]
    if coin:
        ks, coins = _streams.window_coin_lanes(np, lanes, n)  # type: ignore[misc]
        got = list(zip(ks.tolist(), coins.tolist(), strict=True))
        assert got == [(g.randbelow(n), g.random()) for g in objects]
    else:
        got = _streams.randbelow_lanes(np, lanes, n).tolist()
        assert got == [g.randbelow(n) for g in objects]
    assert [g.next64() for g in lanes] == [g.next64() for g in objects]


def test_objects_or_few_streams_are_left_to_the_pure_path() -> None:
    np = importlib.import_module("numpy")
    few = lane_streams(0, range(8))
    assert _streams.random_lanes(np, [SampleGenerator(1)] * 8) is None
    assert _streams.random_lanes(np, StreamLanes(7, 0)) is None
    few.generators()  # the objects hold the states now
    assert _streams.randbelow_lanes(np, few, 5) is None
    with pytest.raises(_streams.DataValueError):
        _streams.randbelow_lanes(np, few, 0)


def test_an_index_beyond_64_bits_is_seeded_by_the_integers() -> None:
    importlib.import_module("numpy")
    indices = [2**64, *range(8)]
    lanes = lane_streams(5, indices)
    assert [g.seed for g in lanes] == [lane_seed(5, i) for i in indices]
