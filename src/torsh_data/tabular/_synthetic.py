"""Seeded synthetic datasets: :func:`make_blobs`, :func:`make_classification`,
:func:`make_regression` (scikit-learn's generators and parameters; the same numbers for a seed
on every runtime, though not scikit-learn's numbers, which come from numpy's generator).

>>> ds = make_blobs(n_samples=6, centers=[[0.0, 0.0], [10.0, 10.0]], cluster_std=0.1, seed=0)
>>> ds.target.tolist()
[0, 0, 0, 1, 1, 1]
>>> [round(v) for v in ds.data[3].tolist()]
[10, 10]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _dtype
from .._checks import check_int
from .._distributions import normals
from .._errors import DataValueError
from ..random import Generator, derive_seed, fresh_seed
from ..tensor import Tensor
from ._dataset import TabularDataset

__all__ = ["make_blobs", "make_classification", "make_regression"]


def _gen(seed: int | None, purpose: str) -> Generator:
    return Generator(derive_seed(fresh_seed() if seed is None else seed, purpose))


def _finish(
    rows: list[list[float]], target: list[Any], gen: Generator, shuffle: bool, dtype: Any
) -> TabularDataset:
    if shuffle:
        order = gen.permutation(len(rows))
        rows, target = [rows[i] for i in order], [target[i] for i in order]
    width = len(rows[0]) if rows else 0
    x = (
        Tensor(rows, dtype=_dtype.float64)
        if rows
        else Tensor([], dtype=_dtype.float64).reshape(0, width)
    )
    return TabularDataset(x, Tensor(target, dtype=dtype))


def _split(n: int, k: int) -> list[int]:
    """``n`` samples over ``k`` groups, the remainder to the first groups."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def make_blobs(
    n_samples: int = 100,
    n_features: int = 2,
    centers: int | Sequence[Sequence[float]] = 3,
    cluster_std: float | Sequence[float] = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = False,
    seed: int | None = None,
) -> TabularDataset:
    """Isotropic Gaussian blobs: ``n_samples`` points split evenly over the centers (drawn
    uniformly in ``center_box`` when ``centers`` is a count), each ``N(center, std**2 I)``;
    the target is the blob index. ``ds.centers`` holds the centers."""
    check_int("n_samples", n_samples, minimum=0)
    gen = _gen(seed, "make_blobs")
    if isinstance(centers, int):
        check_int("centers", centers, minimum=1)
        check_int("n_features", n_features, minimum=1)
        lo, hi = center_box
        points = [
            [lo + (hi - lo) * gen.random() for _ in range(n_features)] for _ in range(centers)
        ]
    else:
        points = [[float(v) for v in c] for c in centers]
        if not points or len({len(c) for c in points}) != 1:
            raise DataValueError(
                "make_blobs: centers must be a non-empty list of equal-length points"
            )
    stds = (
        [float(cluster_std)] * len(points)
        if isinstance(cluster_std, (int, float))
        else [float(s) for s in cluster_std]
    )
    if len(stds) != len(points) or any(s < 0 or not math.isfinite(s) for s in stds):
        raise DataValueError(
            "make_blobs: cluster_std must be one finite value >= 0 or one per center"
        )
    rows: list[list[float]] = []
    target: list[int] = []
    for j, (c, count) in enumerate(zip(points, _split(n_samples, len(points)), strict=True)):
        for _ in range(count):
            rows.append([m + z for m, z in zip(c, normals(gen, len(c), 0.0, stds[j]), strict=True)])
            target.append(j)
    ds = _finish(rows, target, gen, shuffle, _dtype.int64)
    ds.centers = points  # type: ignore[attr-defined]
    return ds


def make_classification(
    n_samples: int = 100,
    n_features: int = 20,
    n_informative: int = 2,
    n_redundant: int = 2,
    n_classes: int = 2,
    n_clusters_per_class: int = 2,
    class_sep: float = 1.0,
    flip_y: float = 0.01,
    shuffle: bool = True,
    seed: int | None = None,
) -> TabularDataset:
    """Guyon's design (the MADELON data), as scikit-learn's ``make_classification``: each
    class is ``n_clusters_per_class`` Gaussian clusters around vertices of a hypercube of side
    ``2 * class_sep`` in the ``n_informative`` first features, each cluster given a random
    covariance; then ``n_redundant`` random linear combinations of the informative features;
    the rest is ``N(0, 1)`` noise. A fraction ``flip_y`` of labels is then set at random."""
    for name, v, lo in (("n_samples", n_samples, 0), ("n_features", n_features, 1), ("n_informative", n_informative, 1),
                        ("n_redundant", n_redundant, 0), ("n_classes", n_classes, 1), ("n_clusters_per_class", n_clusters_per_class, 1)):  # fmt: skip
        check_int(name, v, minimum=lo)
    if n_informative + n_redundant > n_features:
        raise DataValueError("n_informative + n_redundant must be <= n_features")
    clusters = n_classes * n_clusters_per_class
    if clusters > 2**n_informative:
        raise DataValueError(
            f"n_classes * n_clusters_per_class = {clusters} needs n_informative >= {math.ceil(math.log2(clusters))}"
        )
    if not 0.0 <= flip_y <= 1.0:
        raise DataValueError(f"flip_y must be in [0, 1], got {flip_y!r}")
    gen = _gen(seed, "make_classification")
    vertices = gen.permutation(2**n_informative)[:clusters] if n_informative <= 20 else None
    if vertices is None:  # too many vertices to permute: draw distinct ones
        seen: set[int] = set()
        while len(seen) < clusters:
            seen.add(gen.randbelow(2**n_informative))
        vertices = sorted(seen)
    centroids = [
        [class_sep * (2.0 * ((v >> b) & 1) - 1.0) for b in range(n_informative)] for v in vertices
    ]
    mix = [[2.0 * gen.random() - 1.0 for _ in range(n_redundant)] for _ in range(n_informative)]
    rows: list[list[float]] = []
    target: list[int] = []
    for c, count in enumerate(_split(n_samples, clusters)):
        cov = [
            [2.0 * gen.random() - 1.0 for _ in range(n_informative)] for _ in range(n_informative)
        ]
        for _ in range(count):
            z = normals(gen, n_informative)
            inf = [
                math.fsum(z[i] * cov[i][j] for i in range(n_informative)) + centroids[c][j]
                for j in range(n_informative)
            ]
            red = [
                math.fsum(inf[i] * mix[i][j] for i in range(n_informative))
                for j in range(n_redundant)
            ]
            rows.append(inf + red + normals(gen, n_features - n_informative - n_redundant))
            target.append(c % n_classes)
    for i in range(len(target)):
        if gen.random() < flip_y:
            target[i] = gen.randbelow(n_classes)
    return _finish(rows, target, gen, shuffle, _dtype.int64)


def make_regression(
    n_samples: int = 100,
    n_features: int = 100,
    n_informative: int = 10,
    bias: float = 0.0,
    noise: float = 0.0,
    shuffle: bool = True,
    coef: bool = False,
    seed: int | None = None,
) -> Any:
    """A random linear problem: ``X ~ N(0, 1)``, ``y = X @ w + bias + N(0, noise**2)`` where
    the first ``n_informative`` weights are ``100 * U(0, 1)`` and the rest 0. With ``coef``,
    returns ``(dataset, w)``."""
    check_int("n_samples", n_samples, minimum=0)
    check_int("n_features", n_features, minimum=1)
    check_int("n_informative", n_informative, minimum=0, maximum=n_features)
    if noise < 0:
        raise DataValueError(f"noise must be >= 0, got {noise!r}")
    gen = _gen(seed, "make_regression")
    w = [100.0 * gen.random() if j < n_informative else 0.0 for j in range(n_features)]
    rows = [normals(gen, n_features) for _ in range(n_samples)]
    target = [math.fsum(a * b for a, b in zip(r, w, strict=True)) + bias for r in rows]
    if noise > 0:
        target = [t + e for t, e in zip(target, normals(gen, n_samples, 0.0, noise), strict=True)]
    ds = _finish(rows, target, gen, shuffle, _dtype.float64)
    return (ds, w) if coef else ds
