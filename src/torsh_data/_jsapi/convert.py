"""Batches as JavaScript objects (in Pyodide): tensors as ``{data, shape, dtype}``, other
values as JavaScript arrays and values."""

from __future__ import annotations

from typing import Any

from .._ffi import js_object, to_js
from ..tensor import Tensor

__all__ = ["batch_to_js"]


def batch_to_js(batch: dict[str, Any]) -> Any:
    """``{name: {data, shape, dtype}}`` for tensors; other values as JavaScript arrays/values."""
    obj = js_object()
    for k, v in batch.items():
        setattr(obj, k, v.to_js() if isinstance(v, Tensor) else to_js(_plain(v)))
    return obj


def _plain(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v
