"""BatchTransform: the batch path gives the per-sample path's bytes."""

from __future__ import annotations

import pytest

import torsh_data as td
from torsh_data import transforms as T
from torsh_data.testing import batch_digest


def images(n: int = 20) -> td.TensorDataset:
    g = td.random.Generator(1)
    return td.TensorDataset(td.Tensor(g.bytes(n * 28 * 28), shape=(n, 28, 28)), list(range(n)))


def test_batch_transform_equals_per_sample_pipeline() -> None:
    geometry = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip()])
    tail = T.Compose([T.ToTensor(), T.Normalize(0.1307, 0.3081)])
    whole = T.Compose(
        [
            T.RandomCrop(28, padding=2),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(0.1307, 0.3081),
        ]
    )
    per_sample = td.DataLoader(
        td.TransformDataset(images(), whole), batch_size=6, shuffle=True, seed=3
    )
    batched = td.DataLoader(
        td.TransformDataset(images(), geometry),
        batch_size=6,
        shuffle=True,
        seed=3,
        collate_fn=T.BatchTransform(tail),
    )
    assert [batch_digest(b) for b in per_sample] == [batch_digest(b) for b in batched]


def test_batch_transform_fields_and_errors() -> None:
    samples = [{"img": td.zeros((2, 2), dtype="uint8"), "y": 1}] * 3
    out = T.BatchTransform(T.ToTensor(), field="img")(samples)
    assert out["img"].shape == (3, 1, 2, 2) and out["y"].tolist() == [1, 1, 1]
    plain = T.BatchTransform(T.ToTensor(), field=None)([td.zeros((2, 2), dtype="uint8")] * 2)
    assert plain.shape == (2, 1, 2, 2)
    with pytest.raises(td.DataTypeError, match="no batch mode"):
        T.BatchTransform(T.RandomHorizontalFlip())
    with pytest.raises(td.DataValueError, match="no field 'x'"):
        T.BatchTransform(T.ToTensor(), field="x")(samples)
