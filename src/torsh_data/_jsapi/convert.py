"""Batches as JavaScript objects (in Pyodide): tensors as ``{data, shape, dtype}``, other
values as JavaScript arrays and values."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor

__all__ = ["batch_to_js"]


def batch_to_js(batch: dict[str, Any]) -> Any:
    """``{name: {data, shape, dtype}}`` for tensors; other values as JavaScript arrays/values."""
    from .._runtime import js_module

    js = js_module()
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    obj = js.Object.new()
    for k, v in batch.items():
        if isinstance(v, Tensor):
            value = v.to_js()
        else:
            value = to_js(_plain(v), dict_converter=js.Object.fromEntries)
        setattr(obj, k, value)
    return obj


def _plain(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v
