"""Argument checks with the package's wording, for datasets and transforms users write.

Each returns the value it checked (so ``self.p = validate_probability("p", p)`` reads well)
or raises :class:`~torsh_data.DataValueError` / :class:`~torsh_data.DataTypeError` with a
message that names the argument, what is allowed and what was given.

>>> validate_probability("p", 0.5)
0.5
>>> validate_range("lr", 2.0, 0.0, 1.0)
Traceback (most recent call last):
...
torsh_data.DataValueError: lr must be in [0.0, 1.0], got 2.0
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence, Sized
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError, ShapeError, SourceError

__all__ = [
    "validate_extension",
    "validate_path",
    "validate_positive",
    "validate_probability",
    "validate_range",
    "validate_same_length",
    "validate_shape",
]


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataTypeError(f"{name} must be a number, got {value!r}")
    if math.isnan(value):
        raise DataValueError(f"{name} must be a number, got NaN")
    return value


def validate_range(
    name: str, value: Any, low: float | None = None, high: float | None = None
) -> Any:
    """``value`` if it is a number in ``[low, high]`` (either bound may be ``None``)."""
    _number(name, value)
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            allowed = f"in [{low}, {high}]"
        else:
            allowed = f">= {low}" if low is not None else f"<= {high}"
        raise DataValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def validate_probability(name: str, value: Any) -> float:
    """``value`` if it is a probability, a number in ``[0, 1]``."""
    return validate_range(name, value, 0.0, 1.0)


def validate_positive(name: str, value: Any, *, integer: bool = False) -> Any:
    """``value`` if it is a number > 0 (an int >= 1 with ``integer=True``)."""
    if integer:
        return check_int(name, value, 1)
    if _number(name, value) <= 0:
        raise DataValueError(f"{name} must be > 0, got {value!r}")
    return value


def validate_same_length(**sequences: Sized) -> int:
    """The common length of the keyword arguments, or an error listing each length.

    >>> validate_same_length(images=[1, 2], labels=[0, 1])
    2
    """
    lengths = {k: len(v) for k, v in sequences.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise DataValueError(f"lengths must be equal: {listed}")
    return next(iter(lengths.values()), 0)


def validate_shape(
    name: str, shape: Sequence[int], expected: Sequence[int | None]
) -> tuple[int, ...]:
    """``shape`` if it matches ``expected``, where ``None`` matches any size.

    >>> validate_shape("image", (3, 32, 32), (3, None, None))
    (3, 32, 32)
    """
    got = tuple(shape)
    if len(got) != len(expected) or any(
        e is not None and g != e for g, e in zip(got, expected, strict=True)
    ):
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ShapeError(f"{name} must have shape {want}, got {got}")
    return got


def validate_extension(name: str, path: str | os.PathLike[str], extensions: Sequence[str]) -> str:
    """``path`` as a string if it ends with one of ``extensions`` (case-insensitive)."""
    text = os.fspath(path)
    lowered = text.lower()
    if not any(lowered.endswith(e.lower()) for e in extensions):
        raise DataValueError(f"{name} must end with one of {', '.join(extensions)}; got {text!r}")
    return text


def validate_path(
    name: str,
    path: Any,
    *,
    must_exist: bool = True,
    kind: str = "any",
    extensions: Sequence[str] | None = None,
) -> str:
    """``path`` as a string: a ``str`` or ``os.PathLike`` that (with ``must_exist``) exists
    and is a ``"file"``, a ``"dir"`` or ``"any"``; with ``extensions``, has one of them."""
    if not isinstance(path, (str, os.PathLike)):
        raise DataTypeError(f"{name} must be a path (str or os.PathLike), got {path!r}")
    if kind not in ("any", "file", "dir"):
        raise DataValueError(f"kind must be 'any', 'file' or 'dir', got {kind!r}")
    text = os.fspath(path)
    if extensions is not None:
        validate_extension(name, text, extensions)
    if must_exist:
        if not os.path.exists(text):
            raise SourceError(f"{name}: {text}: no such file or directory")
        if kind == "file" and not os.path.isfile(text):
            raise SourceError(f"{name}: {text} is not a file")
        if kind == "dir" and not os.path.isdir(text):
            raise SourceError(f"{name}: {text} is not a directory")
    return text
