"""Packing sequences into rows and the dynamic-batch collate: unpacking gives back every
sequence, rows respect the length, first-fit decreasing on worked examples, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.collate import DynamicBatchCollate, pack_sequences


def unpack(packed: td.collate.Packed) -> dict[int, list[int]]:
    """Rebuild each sample from segment ids alone (the model's view of a packed row)."""
    out: dict[int, list[int]] = {}
    data, seg, pos = (t.tolist() for t in packed[:3])
    for r, members in enumerate(packed.rows):
        for k, i in enumerate(members, 1):
            cells = [c for c in range(len(seg[r])) if seg[r][c] == k]
            assert [pos[r][c] for c in cells] == list(range(len(cells)))
            out[i] = [data[r][c] for c in cells]
    return out


@settings(max_examples=80, deadline=None)
@given(
    seqs=st.lists(st.lists(st.integers(1, 99), min_size=1, max_size=10), min_size=1, max_size=12),
    extra=st.integers(0, 6),
)
def test_pack_round_trip(seqs: list[list[int]], extra: int) -> None:
    max_length = max(map(len, seqs)) + extra
    p = pack_sequences(seqs, max_length, padding_value=0)
    assert p.data.shape == (len(p.rows), max_length)
    assert sorted(i for r in p.rows for i in r) == list(range(len(seqs)))
    assert unpack(p) == dict(enumerate(seqs))
    seg = p.segment_ids.tolist()
    for r, row in enumerate(p.data.tolist()):
        assert all(x == 0 for x, s in zip(row, seg[r], strict=True) if s == 0)  # padding
    # a lower bound any packing obeys: total length / row length
    total = sum(map(len, seqs))
    assert len(p.rows) >= -(-total // max_length)


def test_first_fit_decreasing_worked_example() -> None:
    # lengths 5, 4, 3, 3, 2, 2, 1 into rows of 8: 5 -> r0, 4 -> r1, 3 -> r0 (8), 3 -> r1 (7),
    # 2 -> r2, 2 -> r2, 1 -> r1 (8)
    lengths = [3, 5, 2, 4, 1, 3, 2]
    p = pack_sequences([[7] * n for n in lengths], 8)
    assert p.rows == [[1, 0], [3, 5, 4], [2, 6]]
    assert p.segment_ids.tolist()[2] == [1, 1, 2, 2, 0, 0, 0, 0]


def test_pack_tensors_with_features() -> None:
    seqs = [td.Tensor([[1.0, 1.5], [2.0, 2.5]]), td.Tensor([[3.0, 3.5]])]
    p = pack_sequences(seqs, 4, padding_value=-1.0)
    assert p.data.shape == (1, 4, 2)
    assert p.data.tolist() == [[[1.0, 1.5], [2.0, 2.5], [3.0, 3.5], [-1.0, -1.0]]]


def test_dynamic_collate_pads_or_packs_a_field() -> None:
    batch = [{"ids": [1, 2, 3], "y": 0}, {"ids": [4], "y": 1}]
    padded = DynamicBatchCollate(field="ids")(batch)
    assert padded["ids"].data.tolist() == [[1, 2, 3], [4, 0, 0]] and padded["y"].tolist() == [0, 1]
    packed = DynamicBatchCollate(pack_length=4, field="ids")(batch)
    assert packed["ids"].data.tolist() == [[1, 2, 3, 4]] and packed["ids"].rows == [[0, 1]]
    pairs = DynamicBatchCollate(pack_length=5, field=0)([([1, 2], 7), ([3], 8)])
    assert pairs[0].data.tolist() == [[1, 2, 3, 0, 0]] and pairs[1].tolist() == [7, 8]


def test_packing_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="truncate"):
        pack_sequences([[1, 2, 3]], 2)
    with pytest.raises(td.DataValueError, match="max_length"):
        pack_sequences([[1]], 0)
    with pytest.raises(td.DataValueError, match="empty"):
        pack_sequences([], 4)
    with pytest.raises(td.ShapeError, match="only the first dimension"):
        pack_sequences([td.Tensor([[1, 2]]), td.Tensor([[1, 2, 3]])], 4)
    with pytest.raises(td.DataTypeError, match="not a list"):
        pack_sequences([[1], "ab"], 4)
    with pytest.raises(td.DataValueError, match="no field"):
        DynamicBatchCollate(field="ids")([{"x": [1]}])
    with pytest.raises(td.DataValueError, match="padding_side"):
        DynamicBatchCollate(padding_side="up")
    with pytest.raises(td.DataValueError, match="pack_length"):
        DynamicBatchCollate(pack_length=0)
