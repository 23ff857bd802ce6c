"""A table of features and targets with its column names: :class:`TabularDataset`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import DataValueError, ShapeError
from ..datasets import TensorDataset
from ..tensor import Tensor

__all__ = ["TabularDataset"]


class TabularDataset(TensorDataset):
    """``(features, target)`` samples from a ``[N, F]`` feature tensor and ``[N]`` targets,
    with ``feature_names`` and ``target_names`` (class names, for classification).

    It is a :class:`~torsh_data.TensorDataset`, so the loader fetches whole batches at once;
    ``data`` and ``target`` are the two tensors (scikit-learn's names).

    >>> ds = TabularDataset([[1.0, 2.0], [3.0, 4.0]], [0, 1], ["a", "b"], ["no", "yes"])
    >>> x, y = ds[1]
    >>> x.tolist(), y.item(), ds.feature_names
    ([3.0, 4.0], 1, ['a', 'b'])
    """

    def __init__(
        self,
        data: Any,
        target: Any,
        feature_names: Sequence[str] | None = None,
        target_names: Sequence[str] | None = None,
        description: str = "",
    ) -> None:
        x = data if isinstance(data, Tensor) else Tensor(data)
        y = target if isinstance(target, Tensor) else Tensor(target)
        if len(x.shape) != 2:
            raise ShapeError(f"TabularDataset features must be [N, F], got {x.shape}")
        super().__init__(x, y)
        names = (
            [f"x{j}" for j in range(x.shape[1])] if feature_names is None else list(feature_names)
        )
        if len(names) != x.shape[1]:
            raise DataValueError(f"{len(names)} feature names for {x.shape[1]} features")
        self.data, self.target = x, y
        self.feature_names, self.description = names, description
        self.target_names = None if target_names is None else list(target_names)

    @classmethod
    def from_csv(
        cls,
        source: Any,
        target: str | int,
        features: Sequence[str | int] | None = None,
        **options: Any,
    ) -> TabularDataset:
        """Features and a target column from a CSV source (a path, file or bytes) with a
        header; ``features`` picks and orders columns (all but ``target`` by default);
        ``options`` go to :func:`torsh_data.formats.read_csv` (``dtypes``, ``missing``...).

        >>> ds = TabularDataset.from_csv(b"h,w,y\\n1,2,0\\n3,4,1\\n", target="y")
        >>> ds.feature_names, ds[0][0].tolist()
        (['h', 'w'], [1.0, 2.0])
        """
        from ..formats import CsvReader, read_bytes, read_csv, source_name

        options.setdefault("name", source_name(source, None))
        raw = read_bytes(source, options["name"])
        if features is None:
            head = CsvReader(
                options["name"],
                delimiter=options.get("delimiter", ","),
                encoding=options.get("encoding", "utf-8"),
            )
            head.feed(raw[: raw.find(b"\n") + 1 or len(raw)])
            head.close()
            features = [c for c in (head.header or []) if c != target]
        x, y = read_csv(
            raw, columns=[*features, target], label=target, output="columnar", **options
        )
        return cls(x, y, [str(f) for f in features])

    def __repr__(self) -> str:
        return f"TabularDataset({len(self)} rows, features={self.feature_names})"
