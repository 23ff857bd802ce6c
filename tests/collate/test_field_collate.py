"""Per-field collates, ready-made pair/dict collates, PadCollate to a max length, and
stacking into reused buffers."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.collate import (
    CachedCollate,
    FieldCollate,
    PadCollate,
    SparseCOO,
    TensorStacker,
    collate_data_label,
    collate_dict,
    collate_strategies,
    default_collate,
)
from torsh_data.testing import batch_digest


def test_field_collate_mixes_strategies() -> None:
    samples = [
        {
            "img": td.Tensor([1.0, 2.0]),
            "tokens": [1, 2, 3],
            "sp": SparseCOO.from_dense(td.Tensor([0.0, 4.0])),
            "meta": {"path": "a"},
            "y": 0,
        },
        {
            "img": td.Tensor([3.0, 4.0]),
            "tokens": [5],
            "sp": SparseCOO.from_dense(td.Tensor([6.0, 0.0])),
            "meta": {"path": "b"},
            "y": 1,
        },
    ]
    out = FieldCollate({"tokens": "pad", "sp": "sparse", "meta": "passthrough", "img": "stack"})(
        samples
    )
    assert list(out) == ["img", "tokens", "sp", "meta", "y"]
    assert out["img"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert out["tokens"].data.tolist() == [[1, 2, 3], [5, 0, 0]]
    assert out["tokens"].lengths.tolist() == [3, 1]
    assert out["sp"].to_dense().tolist() == [[0.0, 4.0], [6.0, 0.0]]
    assert out["meta"] == [{"path": "a"}, {"path": "b"}]
    assert out["y"].tolist() == [0, 1]


def test_field_collate_tuples_callables_and_named_tuples() -> None:
    Pair = collections.namedtuple("Pair", "x label")
    fc = FieldCollate({0: sum})
    assert fc([(1, "a"), (2, "b")]) == [3, ["a", "b"]]
    out = FieldCollate({1: "list"})([Pair(td.Tensor([1]), "a"), Pair(td.Tensor([2]), "b")])
    assert isinstance(out, Pair) and out.label == ["a", "b"] and out.x.tolist() == [[1], [2]]
    assert set(collate_strategies) >= {"default", "stack", "pad", "sparse", "list", "dynamic"}


def test_field_collate_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="one of"):
        FieldCollate({"x": "squash"})
    with pytest.raises(td.DataTypeError, match="mapping"):
        FieldCollate(["x"])  # type: ignore[arg-type]
    fc = FieldCollate({"x": "pad"})
    with pytest.raises(td.DataValueError, match="no field 'x'"):
        fc([{"y": 1}])
    with pytest.raises(td.DataValueError, match="sample 1"):
        fc([{"x": [1]}, {"x": [1], "z": 2}])
    with pytest.raises(td.DataTypeError, match="dict or tuple"):
        fc([3, 4])
    with pytest.raises(td.DataValueError, match="empty"):
        fc([])


def test_pair_and_dict_collates() -> None:
    x, y = collate_data_label([([1.0, 2.0], 3), ([3.0, 4.0], 5)])
    assert y.tolist() == [3, 5] and y.dtype is td.int64
    assert [t.tolist() for t in x] == [[1.0, 3.0], [2.0, 4.0]]  # default_collate transposes
    d = collate_dict([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert d["a"].tolist() == [1, 2] and d["b"] == ["x", "y"]
    with pytest.raises(td.DataValueError, match="pair"):
        collate_data_label([(1, 2, 3)])
    with pytest.raises(td.DataTypeError, match="label tensor"):
        collate_data_label([(1, "cat")])
    with pytest.raises(td.DataTypeError, match="not a dict"):
        collate_dict([{"a": 1}, [1]])  # type: ignore[list-item]
    with pytest.raises(td.DataValueError, match="keys"):
        collate_dict([{"a": 1}, {"b": 1}])


def test_pad_collate_to_max_length() -> None:
    out = PadCollate(padding_value=-1, max_length=3)([[1, 2, 3, 4, 5], [6]])
    assert out.data.tolist() == [[1, 2, 3], [6, -1, -1]]
    assert out.lengths.tolist() == [3, 1]
    assert out.mask.tolist() == [[True] * 3, [True, False, False]]
    left = PadCollate(padding_side="left", max_length=4)([[1, 2], [3]])
    assert left.data.tolist() == [[0, 0, 1, 2], [0, 0, 0, 3]]
    with pytest.raises(td.DataValueError, match="max_length"):
        PadCollate(max_length=-1)
    with pytest.raises(td.DataValueError, match="padding_side"):
        PadCollate(padding_side="middle")


# --- reused buffers ----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(-(2**31), 2**31 - 1), min_size=3, max_size=3), min_size=1, max_size=8
    )
)
def test_stacker_equals_stack(rows: list[list[int]]) -> None:
    tensors = [td.Tensor(r, dtype="int32") for r in rows]
    assert TensorStacker()(tensors).equal(td.stack(tensors))


def test_stacker_large_rows_take_the_copy_path() -> None:
    rows = [td.full((20000,), float(i), "float32") for i in range(3)]  # 80 kB per row
    stacker = TensorStacker(buffers=1)
    first = stacker(rows)
    assert first.equal(td.stack(rows)) and first.shape == (3, 20000)
    again = stacker(rows[::-1])
    assert again.equal(td.stack(rows[::-1])) and stacker.allocations == 1


def test_cached_collate_reuses_buffers_and_matches_default() -> None:
    def batch(k: int) -> list[dict[str, object]]:
        return [{"x": td.Tensor([float(k), float(i)]), "y": i} for i in range(4)]

    cached = CachedCollate(buffers=2)
    outs = []
    for k in range(6):
        out = cached(batch(k))
        assert batch_digest(out) == batch_digest(default_collate(batch(k)))
        outs.append(out)
    assert cached._stackers["sample['x']"].allocations == 2  # two buffers, reused
    # batch 4 reused batch 2's buffer: the ring keeps only the last two intact
    assert outs[2]["x"].tolist() == outs[4]["x"].tolist() != default_collate(batch(2))["x"].tolist()
    assert outs[5]["x"].tolist() == default_collate(batch(5))["x"].tolist()
    # a new shape gets new buffers
    cached([{"x": td.Tensor([1.0]), "y": 0}])
    assert cached._stackers["sample['x']"].allocations == 3


def test_cached_collate_in_a_loader_gives_default_batches() -> None:
    ds = td.TensorDataset([[i, i + 1] for i in range(10)], list(range(10)))
    plain = [batch_digest(b) for b in td.DataLoader(ds, batch_size=3, shuffle=True, seed=1)]
    cached = [
        batch_digest(b)
        for b in td.DataLoader(ds, batch_size=3, shuffle=True, seed=1, collate_fn=CachedCollate())
    ]
    assert plain == cached


def test_stacker_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="buffers"):
        TensorStacker(0)
    with pytest.raises(td.ShapeError, match="shape"):
        TensorStacker()([td.Tensor([1]), td.Tensor([1, 2])])
    with pytest.raises(td.DataTypeError):
        TensorStacker()([td.Tensor([1]), [1]])  # type: ignore[list-item]
    with pytest.raises(td.DataValueError, match="empty"):
        TensorStacker()([])
