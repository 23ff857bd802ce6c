"""The exceptions of torsh-data.

Every error the package raises derives from :class:`TorshDataError`, and each leaf also
derives from the builtin a caller would already catch::

    TorshDataError
    ├── DataValueError      (ValueError)   a value is out of range or inconsistent
    │   └── ShapeError                     tensors or sequences whose shapes do not fit
    ├── DataTypeError       (TypeError)    an object of a kind that is not supported
    ├── DataIndexError      (IndexError)   an index outside a dataset or tensor
    └── MissingExtraError   (ImportError)  an optional dependency is not installed

>>> from torsh_data import TensorDataset, TorshDataError
>>> try:
...     TensorDataset()
... except ValueError as e:
...     isinstance(e, TorshDataError)
True
"""

from __future__ import annotations

__all__ = [
    "DataIndexError",
    "DataTypeError",
    "DataValueError",
    "MissingExtraError",
    "ShapeError",
    "TorshDataError",
]


class TorshDataError(Exception):
    """Base class of every exception raised by torsh-data."""


class DataValueError(TorshDataError, ValueError):
    """A value is invalid: out of range, inconsistent with another, or malformed."""


class ShapeError(DataValueError):
    """Shapes that must agree do not (stacking, collating, reshaping)."""


class DataTypeError(TorshDataError, TypeError):
    """An object of a type torsh-data does not accept in that place."""


class DataIndexError(TorshDataError, IndexError):
    """An index outside the bounds of a dataset or tensor."""


class MissingExtraError(TorshDataError, ImportError):
    """An optional dependency is needed and not installed; the message says what to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs {package}, which is not installed: pip install 'torsh-data[{extra}]'"
        )
        self.package = package
        self.extra = extra
