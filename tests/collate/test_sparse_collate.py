"""Sparse COO samples: batching against dense stacking (and torch's sparse stack), round
trips, hostile indices."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import needs_torch

import torsh_data as td
from torsh_data.collate import SparseCOO, collate_sparse, default_collate


@st.composite
def dense_batches(draw: st.DrawFn) -> list[list[list[float]]]:
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    value = st.sampled_from([0.0, 0.0, 0.0, 1.5, -2.0, 3.25])
    return draw(
        st.lists(
            st.lists(st.lists(value, min_size=cols, max_size=cols), min_size=rows, max_size=rows),
            min_size=1,
            max_size=5,
        )
    )


@settings(max_examples=60, deadline=None)
@given(dense_batches())
def test_sparse_batch_equals_stacked_dense(batch: list[list[list[float]]]) -> None:
    samples = [SparseCOO.from_dense(td.Tensor(d, dtype="float32")) for d in batch]
    for s, d in zip(samples, batch, strict=True):
        assert s.to_dense().tolist() == d  # round trip
        assert s.nnz == sum(x != 0 for row in d for x in row)
    out = collate_sparse(samples)
    assert out.shape == (len(batch), len(batch[0]), len(batch[0][0]))
    assert out.indices.shape == (3, sum(s.nnz for s in samples))
    assert out.to_dense().tolist() == batch
    via_default = default_collate(samples)
    assert isinstance(via_default, SparseCOO) and via_default.indices.equal(out.indices)


def test_sparse_inside_structured_samples() -> None:
    s = [
        {"x": SparseCOO.create([[0], [2]], [5.0], (2, 3)), "y": 0},
        {"x": SparseCOO.create([[], []], td.Tensor(b"", dtype="float32"), (2, 3)), "y": 1},
    ]
    out = default_collate(s)
    assert out["y"].tolist() == [0, 1]
    assert out["x"].to_dense().tolist() == [[[0, 0, 5.0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]


@needs_torch
def test_sparse_batch_matches_torch() -> None:
    import torch

    dense = [[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 3.0]]]
    ours = collate_sparse([SparseCOO.from_dense(td.Tensor(d)) for d in dense])
    ref = torch.stack([torch.tensor(d).to_sparse() for d in dense]).coalesce()
    assert ours.indices.tolist() == ref.indices().tolist()
    assert ours.values.tolist() == ref.values().tolist()
    assert torch.equal(ours.torch().to_dense(), ref.to_dense())


def test_sparse_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="dimension 1"):
        SparseCOO.create([[0], [3]], [1.0], (2, 3))  # column 3 of 3
    with pytest.raises(td.DataValueError, match="dimension 0"):
        SparseCOO.create([[-1], [0]], [1.0], (2, 3))
    with pytest.raises(td.ShapeError, match="values"):
        SparseCOO.create([[0, 1], [0, 1]], [1.0], (2, 3))
    with pytest.raises(td.ShapeError, match="ndim"):
        SparseCOO.create([[0]], [1.0], (2, 3))
    with pytest.raises(td.DataValueError, match="shape"):
        SparseCOO.create([[0]], [1.0], (-2,))
    a = SparseCOO.from_dense(td.Tensor([[1.0, 0.0]]))
    b = SparseCOO.from_dense(td.Tensor([[1.0, 0.0, 0.0]]))
    with pytest.raises(td.ShapeError, match="sparse"):
        collate_sparse([a, b])
    with pytest.raises(td.DataTypeError, match="SparseCOO"):
        collate_sparse([a, td.Tensor([1.0])])  # type: ignore[list-item]
    with pytest.raises(td.DataValueError, match="empty"):
        collate_sparse([])
