"""The ``transforms`` option of the JavaScript package's loader: transforms by name.

``[{"name": "Normalize", "column": "x", ...params}]`` becomes transforms of
:mod:`torsh_data.transforms` applied to the loader's samples (see :func:`apply_transforms`).

NOTE [ Facade pipeline ]: the facade builds the pipeline a Python user would write: each run
of consecutive transforms on one field becomes one :class:`~torsh_data.transforms.Compose`,
and when the fields fit ``TransformDataset``'s shape (the first field, then optionally the
second, of a ``TensorDataset``; or the samples of a single tensor) the dataset is
``TransformDataset(dataset, Compose(...), Compose(...))`` under an ordinary ``DataLoader``
with ``default_collate``. So the facade runs exactly the Python path (the same bytes for the
same seed, and whatever that path gains: fused steps, batch kernels). Applying each transform
on its own, as the facade did, skipped ``Compose``'s fusion: ``Normalize`` then ran element by
element in Python instead of one lookup table with ``ToTensor`` (P2 at 0.07-0.15x of the
``DataLoader`` in the same runtime). Other shapes (dict samples, a third field, fields
interleaved) keep a per-sample step runner over the same composed runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..datasets import Dataset
from .stream import StreamedSamples

__all__ = ["apply_transforms"]


def apply_transforms(specs: list[Any], names: list[str] | None, dataset: Any) -> Any:
    """``dataset`` with the transforms ``[{"name": "Normalize", "column": "x", ...params}]``.

    ``name`` is a class of :mod:`torsh_data.transforms` (``"Normalize"`` or ``"normalize"``);
    the other keys are its keyword arguments, ``args`` its positional ones; ``column`` (default:
    the first) is the field it applies to. A transform with statistics to fit
    (``Standardize``, ``MinMaxScale``, ...) is fitted on that field of ``dataset``.

    NOTE [ Whole-column transforms ]: the tabular transforms are row-wise (``rowwise = True``,
    see NOTE [ Row-wise transforms ] in transforms/_tabular.py), so while they lead the list
    and the data is a ``TensorDataset`` they are applied once to the column (the same values
    as per row, one C-level pass instead of N Python calls: 4.9x the batches/s of P1 in
    Chromium); the rest run per sample in the loader.
    """
    from .. import transforms as T
    from ..datasets import TensorDataset

    if not specs:
        return dataset
    if not isinstance(specs, list):
        raise DataTypeError(f"transforms must be a list of {{name, ...params}}, not {specs!r}")
    table = {n.lower().replace("_", ""): n for n in T.__all__ if n[0].isupper()}
    steps: list[tuple[Any, Callable[[Any], Any]]] = []
    for spec in specs:
        key, column, args, kwargs = _parse_spec(spec, names)
        if key not in table:
            raise DataValueError(f"unknown transform {key!r}; known: {sorted(table.values())}")
        try:
            fn = getattr(T, table[key])(*args, **kwargs)
        except TypeError as exc:  # parameters that do not fit the class
            raise DataTypeError(f"transform {table[key]}: {exc}") from None
        if callable(getattr(fn, "fit", None)) and not getattr(fn, "fitted", True):
            if isinstance(dataset, StreamedSamples):
                raise DataValueError(
                    f"{table[key]} is fitted on the whole data, but this source streams (see "
                    "NOTE [ Streaming facade ]): pass shuffle: true or a larger inMemoryBytes"
                )
            field = column
            if names and column in names:
                field = names.index(column)
            so_far = _Mapped(dataset, _Steps(list(steps), names)) if steps else dataset
            fn.fit(so_far, field=0 if field is None and names else field)
        whole = getattr(fn, "rowwise", False) is True and not steps
        if whole and isinstance(dataset, TensorDataset) and (column is None or names):
            i = 0 if column is None else (names or []).index(column)
            tensors = list(dataset.tensors)
            tensors[i] = fn(tensors[i])
            dataset = TensorDataset(*tensors)
        else:
            steps.append((column, fn))
    if not steps:
        return dataset
    runs = _runs(steps)
    if isinstance(dataset, StreamedSamples):
        dataset.steps = _Steps(runs, names)
        return dataset
    lifted = _pipeline(dataset, runs, names)
    return lifted if lifted is not None else _Mapped(dataset, _Steps(runs, names))


def _runs(steps: list[tuple[Any, Callable[[Any], Any]]]) -> list[tuple[Any, Any]]:
    """``(column, Compose)`` for each run of consecutive steps on the same column (in order,
    so every sample's random draws are made in the order the steps were given)."""
    from ..transforms import Compose

    runs: list[tuple[Any, list[Callable[[Any], Any]]]] = []
    for column, fn in steps:
        if runs and runs[-1][0] == column:
            runs[-1][1].append(fn)
        else:
            runs.append((column, [fn]))
    return [(column, Compose(fns)) for column, fns in runs]


def _pipeline(dataset: Any, runs: list[tuple[Any, Any]], names: list[str] | None) -> Any:
    """``TransformDataset(...)`` doing ``runs`` when the fields allow it, else None (see
    NOTE [ Facade pipeline ])."""
    from ..datasets import TensorDataset, TransformDataset
    from ..transforms import Compose

    if not isinstance(dataset, TensorDataset):
        return None
    by_field: dict[int, Any] = {}
    for column, compose in runs:  # a column named and the default one may be the same field
        if column is not None and column not in (names or []):
            return None
        field = 0 if column is None else (names or []).index(column)
        if field in by_field and field != list(by_field)[-1]:
            return None  # fields interleaved: TransformDataset would reorder the draws
        if field in by_field:
            compose = Compose([*by_field[field].transforms, *compose.transforms])
        by_field[field] = compose
    tensors = dataset.tensors
    if len(tensors) == 1 and list(by_field) == [0]:
        return TransformDataset(tensors[0], by_field[0])  # the samples are the rows themselves
    if len(tensors) < 2 or list(by_field) not in ([0], [1], [0, 1]):
        return None
    return TransformDataset(dataset, by_field.get(0), by_field.get(1))


def _parse_spec(spec: Any, names: list[str] | None) -> tuple[str, Any, list[Any], dict[str, Any]]:
    """(lower-case name, column, args, keyword arguments) of one transform's spec."""
    spec = {"name": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise DataTypeError(f"a transform is a name or {{name, ...params}}, not {spec!r:.200}")
    kwargs = dict(spec)
    key = kwargs.pop("name").lower().replace("_", "")
    column, args = kwargs.pop("column", None), kwargs.pop("args", [])
    if not isinstance(args, list):
        raise DataTypeError(f"a transform's args must be a list, not {args!r:.200}")
    if column is not None and (not isinstance(column, str) or (names and column not in names)):
        raise DataValueError(f"a transform's column must be one of {names}, not {column!r:.200}")
    return key, column, args, kwargs


class _Steps:
    """Transforms applied in turn, each to one field of a sample (picklable, for workers)."""

    def __init__(self, steps: list[tuple[Any, Callable[[Any], Any]]], names: Any) -> None:
        self.steps, self.names = steps, names

    def __call__(self, sample: Any) -> Any:
        for column, fn in self.steps:
            if isinstance(sample, dict):
                col = column if column is not None else next(iter(sample))
                sample = {**sample, col: fn(sample[col])}
            elif isinstance(sample, tuple):
                i = 0 if column is None else (self.names or []).index(column)
                sample = (*sample[:i], fn(sample[i]), *sample[i + 1 :])
            else:
                sample = fn(sample)
        return sample


class _Mapped(Dataset[Any]):
    def __init__(self, dataset: Any, fn: Callable[[Any], Any]) -> None:
        self.dataset, self.fn = dataset, fn

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        return self.fn(self.dataset[index])
