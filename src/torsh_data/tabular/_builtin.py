"""The small classic datasets by name: Iris, Wine, Diabetes (shipped in the wheel, 13 KB
compressed), Breast Cancer and Digits (fetched once, checked against a pinned sha256, and kept
in a :class:`~torsh_data.io.Cache` if you pass one).

The files are scikit-learn's (BSD-3-Clause; the data come from the UCI repository, CC BY 4.0,
and Efron et al. 2004 for Diabetes), with the same layouts and values.

>>> iris = load_builtin_dataset("iris")
>>> len(iris), iris.feature_names[0], iris.target_names
(150, 'sepal length (cm)', ['setosa', 'versicolor', 'virginica'])
"""

from __future__ import annotations

import gzip
import math
from importlib import resources
from typing import Any

from .. import _dtype
from .._errors import DataValueError, FormatError
from ..tensor import Tensor
from ._dataset import TabularDataset

__all__ = ["BUILTIN_DATASETS", "fetch_builtin_dataset", "load_builtin_dataset"]

_SKLEARN = (
    "https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.9.1/sklearn/datasets/data/"
)
_CANCER = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
           "concave points", "symmetry", "fractal dimension"]  # fmt: skip

#: name -> (file, url or None when shipped, sha256 of the fetched file, feature names)
BUILTIN_DATASETS: dict[str, tuple[str, str | None, str | None, list[str]]] = {
    "iris": ("iris.csv.gz", None, None, [f"{p} {d} (cm)" for p in ("sepal", "petal") for d in ("length", "width")]),
    "wine": ("wine.csv.gz", None, None, [
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines",
        "proline"]),
    "diabetes": ("diabetes_data_raw.csv.gz", None, None, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]),
    "breast_cancer": ("breast_cancer.csv", _SKLEARN + "breast_cancer.csv",
                      "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
                      [f"mean {b}" for b in _CANCER] + [f"{b} error" for b in _CANCER] + [f"worst {b}" for b in _CANCER]),
    "digits": ("digits.csv.gz", _SKLEARN + "digits.csv.gz",
               "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
               [f"pixel_{i}_{j}" for i in range(8) for j in range(8)]),
}  # fmt: skip

_fetched: dict[str, bytes] = {}


def _shipped(file: str) -> bytes:
    return gzip.decompress((resources.files(__package__) / "data" / file).read_bytes())


def _numbers(line: str, sep: str | None, where: str, row: int) -> list[float]:
    try:
        vals = [float(v) for v in line.split(sep)]
    except ValueError:
        raise FormatError(
            f"not a row of numbers: {line[:60]!r}", source=where, record=row
        ) from None
    if not all(map(math.isfinite, vals)):
        raise FormatError("non-finite value", source=where, record=row)
    return vals


def _parse(name: str, raw: bytes) -> TabularDataset:
    file, _, _, features = BUILTIN_DATASETS[name]
    text = (gzip.decompress(raw) if file.endswith(".gz") and name in _fetched else raw).decode(
        "ascii", "replace"
    )
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if name == "digits":
        rows = [_numbers(ln, ",", file, i) for i, ln in enumerate(lines)]
        target_names: list[str] | None = [str(d) for d in range(10)]
        n_rows = len(rows)
    else:  # scikit-learn's header: n_samples, n_features, class names...
        head = lines[0].split(",")
        try:
            n_rows, n_features = int(head[0]), int(head[1])
        except (ValueError, IndexError):
            raise FormatError(f"bad header {lines[0][:60]!r}", source=file, record=0) from None
        target_names = head[2:] or None
        rows = [_numbers(ln, ",", file, i + 1) for i, ln in enumerate(lines[1:])]
        if n_features != len(features):
            raise FormatError(
                f"header says {n_features} features, expected {len(features)}", source=file
            )
    if len(rows) != n_rows or any(len(r) != len(features) + 1 for r in rows):
        raise FormatError(f"expected {n_rows} rows of {len(features) + 1} values", source=file)
    x = [r[:-1] for r in rows]
    y = Tensor([int(r[-1]) for r in rows], dtype=_dtype.int64)
    return TabularDataset(
        Tensor(x, dtype=_dtype.float64), y, features, target_names, f"{name} ({file})"
    )


def _diabetes(scaled: bool) -> TabularDataset:
    file, _, _, features = BUILTIN_DATASETS["diabetes"]
    rows = [
        _numbers(ln, None, file, i)
        for i, ln in enumerate(_shipped(file).decode().splitlines())
        if ln.strip()
    ]
    target = [float(v) for v in _shipped("diabetes_target.csv.gz").decode().split()]
    if len(rows) != len(target) or any(len(r) != 10 for r in rows):
        raise FormatError("rows and targets do not match", source=file)
    if scaled:  # scikit-learn's default: each column centred and scaled to unit L2 norm
        n, cols = len(rows), list(zip(*rows, strict=True))
        means = [math.fsum(c) / n for c in cols]
        norms = [
            math.sqrt(math.fsum((v - m) ** 2 for v in c)) for c, m in zip(cols, means, strict=True)
        ]
        rows = [[(v - m) / s for v, m, s in zip(r, means, norms, strict=True)] for r in rows]
    return TabularDataset(
        Tensor(rows, dtype=_dtype.float64),
        Tensor(target, dtype=_dtype.float64),
        features,
        None,
        "diabetes",
    )


def load_builtin_dataset(name: str, *, scaled: bool = True) -> TabularDataset:
    """A classic dataset by name (see :data:`BUILTIN_DATASETS`). The fetched ones must have
    been fetched in this session with :func:`fetch_builtin_dataset` first.

    Args:
        name: ``"iris"``, ``"wine"``, ``"diabetes"``, ``"breast_cancer"`` or ``"digits"``.
        scaled: Diabetes only: centre each feature and scale it to unit norm (scikit-learn's
            default); ``False`` gives the raw values.
    """
    if name not in BUILTIN_DATASETS:
        raise DataValueError(
            f"unknown dataset {name!r}; the built-in ones are {sorted(BUILTIN_DATASETS)}"
        )
    file, url, _, _ = BUILTIN_DATASETS[name]
    if name == "diabetes":
        return _diabetes(scaled)
    if url is None:
        return _parse(name, _shipped(file))
    if name not in _fetched:
        raise DataValueError(
            f"{name!r} is downloaded on first use: `await fetch_builtin_dataset({name!r})` first"
        )
    return _parse(name, _fetched[name])


async def fetch_builtin_dataset(
    name: str, *, url: str | None = None, cache: Any = None, **fetch_options: Any
) -> TabularDataset:
    """Download a built-in dataset that is not shipped (verified by its pinned sha256; from
    ``cache`` when it holds it), then :func:`load_builtin_dataset` it. Shipped ones load at
    once. ``url`` replaces the default location (a mirror); ``fetch_options`` go to
    :func:`torsh_data.io.fetch_bytes`."""
    if name not in BUILTIN_DATASETS:
        raise DataValueError(
            f"unknown dataset {name!r}; the built-in ones are {sorted(BUILTIN_DATASETS)}"
        )
    _, default, sha, _ = BUILTIN_DATASETS[name]
    if default is not None and name not in _fetched:
        from ..io import fetch_bytes

        _fetched[name] = await fetch_bytes(url or default, sha256=sha, cache=cache, **fetch_options)
    return load_builtin_dataset(name)
