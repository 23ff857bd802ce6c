"""Argument checks shared by the public constructors, with one wording for their errors."""

from __future__ import annotations

from typing import Any

from ._errors import ArgumentError, DataTypeError

__all__ = ["check_bool", "check_int", "check_seed"]


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` if it is an int (not a bool) within ``[minimum, maximum]``, else an
    :class:`ArgumentError` (a ``ValueError`` and a ``TypeError``, as torch raises one or the
    other) in torch's words, saying what is allowed."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        if minimum is not None and maximum is not None:
            allowed = f"an integer in [{minimum}, {maximum}]"
        elif minimum == 1:
            allowed = "a positive integer value"
        elif minimum == 0:
            allowed = "a non-negative integer value"
        elif minimum is not None:
            allowed = f"an integer >= {minimum}"
        else:
            allowed = "an integer"
        raise ArgumentError(f"{name} should be {allowed}, but got {name}={value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is True or False, else an :class:`ArgumentError` in torch's words."""
    if not isinstance(value, bool):
        raise ArgumentError(
            f"{name} should be a boolean value, but got {name}={value!r} (use True or False)"
        )
    return value


def check_seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataTypeError(f"seed must be an int, got {value!r}")
    return value
