"""A batch's per-sample streams seeded in lanes (``_wasm/streams.wat``, NOTE [ Streams in
lanes ] in ``torsh_data/_streams.py``): the same seeds and the same draws as the streams
:func:`~torsh_data.random.sample_scope` gives one by one, whichever path seeded them, and the
lanes kept as bytes give what the lanes kept as one integer give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data import _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._streams import StreamLanes, lane_seed, lane_streams
from torsh_data._wasm.streams import seed_lanes
from torsh_data.random import randbelow_each, random_each, sample_generators, sample_scope

WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python path; natively there is none"
)
U64 = 2**64 - 1

indices_st = st.lists(
    st.integers(0, U64) | st.integers(0, 100) | st.sampled_from([U64, U64 - 1, 2**63]),
    min_size=8,
    max_size=80,
)


def one_by_one(seed: int, epoch: int, indices: list[int]) -> list[Any]:
    out = []
    for i in indices:
        with sample_scope(seed, epoch, i):
            out.append(td.random.sample_generator())
    return out


def draws(gens: Any, n: int) -> list[Any]:
    """A few draws of every kind from each stream, the lanes' and the objects' ways."""
    return [
        randbelow_each(gens, n),
        random_each(gens),
        randbelow_each(gens, 3),
        [g.next64() for g in gens],  # the objects, made where the lanes stand
        randbelow_each(gens, n),
    ]


@given(
    seed=st.integers(0, U64),
    epoch=st.integers(0, 2**40),
    indices=indices_st,
    n=st.integers(1, 2**64 + 1) | st.integers(1, 40),
)
def test_streams_in_lanes_are_the_streams_one_by_one(
    seed: int, epoch: int, indices: list[int], n: int
) -> None:
    lanes = sample_generators(seed, epoch, indices)  # in Pyodide, seeded by the kernel
    assert type(lanes) is StreamLanes
    assert draws(lanes, n) == draws(one_by_one(seed, epoch, indices), n)
    assert [g.seed for g in lanes] == [g.seed for g in one_by_one(seed, epoch, indices)]


@WASM_ONLY
@given(base=st.integers(0, U64), indices=indices_st)
def test_seed_lanes_is_the_python_seeding(base: int, indices: list[int]) -> None:
    lanes = seed_lanes(base, indices)
    assert lanes is not None and len(lanes) == 16 * len(indices)
    assert lanes == b"".join(lane_seed(base, i).to_bytes(8, "little") + bytes(8) for i in indices)
    with _wasm.disabled():
        assert seed_lanes(base, indices) is None
        pure = lane_streams(base, indices)
    fast = lane_streams(base, indices)
    assert fast.lanes() == pure.lanes()


@WASM_ONLY
def test_seed_lanes_leaves_indices_beyond_64_bits_to_python() -> None:
    assert seed_lanes(5, [2**64] + [0] * 7) is None
    assert seed_lanes(5, []) is None
    big = [2**64 + 3, 2**70, *range(6)]  # the pure lanes keep index mod 2**64 + 1
    assert draws(sample_generators(1, 2, big), 25) == draws(one_by_one(1, 2, big), 25)


@pytest.mark.native_only(reason="natively no WebAssembly kernel is used; says why")
def test_natively_the_streams_are_seeded_in_python() -> None:
    assert seed_lanes(0, list(range(8))) is None


@given(
    base=st.integers(0, U64),
    indices=indices_st,
    n=st.integers(1, 2**64 + 1) | st.integers(1, 40),
)
def test_lanes_as_bytes_draw_as_lanes_as_one_integer(base: int, indices: list[int], n: int) -> None:
    with _wasm.disabled():
        as_int = lane_streams(base, indices)
        as_bytes = StreamLanes(len(indices), bytearray(lane_streams(base, indices).lanes() or b""))
        assert draws(as_bytes, n) == draws(as_int, n)


def test_lanes_are_the_states_in_place() -> None:
    gens, peer = sample_generators(3, 1, range(9)), sample_generators(3, 1, range(9))
    lanes = gens.lanes()  # type: ignore[attr-defined]
    assert lanes is not None and gens.lanes() is lanes  # type: ignore[attr-defined]
    peer_lanes = peer.lanes()  # type: ignore[attr-defined]
    lanes[0:8] = lanes[16:24]  # a kernel's draw: stream 0 now stands where stream 1 does
    assert random_each(gens)[:2] == random_each(peer)[1:2] * 2
    assert peer_lanes is not None and len(peer_lanes) == 16 * 9
    with pytest.raises(ValueError, match="8 bytes of lanes for 1 streams"):
        StreamLanes(1, bytearray(8))


def test_sample_generators_check_the_seed_each_time() -> None:
    for _ in range(2):  # the epoch's root is kept; a bad seed is refused every time
        with pytest.raises(td.DataValueError, match="int or str"):
            sample_generators(True, 0, list(range(8)))  # type: ignore[arg-type]
    assert [g.seed for g in sample_generators(1, 0, list(range(8)))] == [
        g.seed for g in one_by_one(1, 0, list(range(8)))
    ]
    assert IN_PYODIDE or _wasm.kernels("streams") is None
