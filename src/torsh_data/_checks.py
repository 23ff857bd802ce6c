"""Argument checks shared by the public constructors, with one wording for their errors."""

from __future__ import annotations

from typing import Any

from ._errors import DataTypeError, DataValueError

__all__ = ["check_bool", "check_int", "check_seed"]


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` if it is an int (not a bool) within ``[minimum, maximum]``, else a
    :class:`DataValueError` that says what is allowed."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        if minimum is not None and maximum is not None:
            allowed = f"in [{minimum}, {maximum}]"
        elif minimum is not None:
            allowed = f"an integer >= {minimum}"
        else:
            allowed = "an integer"
        raise DataValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DataTypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataTypeError(f"seed must be an int, got {value!r}")
    return value
