"""Zero-copy exchange of tensors with numpy, torch and JavaScript.

The optional packages are imported here, lazily, and only when asked for; a missing one raises
:class:`~torsh_data.MissingExtraError` naming the extra to install.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._errors import DataTypeError, MissingExtraError
from ._ffi import to_js

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "is_torch_tensor",
    "loaded_torch",
    "optional_import",
    "tensor_js_fields",
    "tensor_to_js",
    "tensor_to_numpy",
    "tensor_to_torch",
    "torch_contents",
]


def optional_import(package: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency or raise :class:`MissingExtraError` saying what to install."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingExtraError(package, extra, purpose) from None


def loaded_torch() -> Any:
    """The ``torch`` module if the program has imported it, else None (never imports it:
    torch's presence decides behaviour only where the program brought it in)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and hasattr(torch, "Tensor") else None


def is_torch_tensor(x: Any) -> bool:
    """Whether ``x`` is a ``torch.Tensor`` (False at once when torch is not loaded)."""
    torch = loaded_torch()
    return torch is not None and isinstance(x, torch.Tensor)


def tensor_to_numpy(t: Tensor) -> Any:
    np = optional_import("numpy", "numpy", "Tensor.numpy()")
    return np.asarray(t)


def tensor_to_torch(t: Tensor) -> Any:
    torch = optional_import("torch", "torch", "Tensor.torch()")
    tdtype = getattr(torch, "bool" if t.dtype.name == "bool" else t.dtype.name, None)
    if tdtype is None:
        raise DataTypeError(f"this torch has no {t.dtype} dtype")
    if t.numel() == 0:
        return torch.empty(t.shape, dtype=tdtype)
    data = t._data if not t._data.readonly else bytearray(t._data)  # torch needs writable memory
    return torch.frombuffer(data, dtype=tdtype).reshape(t.shape)


def torch_contents(obj: Any) -> tuple[Any, str | None]:
    """What a Tensor is made of for a torch tensor: its CPU memory as a numpy array (dtype
    None: the array's), or, for a torch built without numpy, its values and dtype name."""
    t = obj.detach().cpu().contiguous()
    name = str(t.dtype).removeprefix("torch.")
    if name == "bfloat16" or t.is_complex():
        raise DataTypeError(f"torch dtype {t.dtype} has no torsh_data equivalent; convert it first")
    try:
        return t.numpy(), None
    except (RuntimeError, TypeError):  # torch built without numpy support
        return t.tolist(), name


def tensor_js_fields(t: Tensor) -> dict[str, Any]:
    """``{data, shape, dtype}`` of ``t``, ``data`` a ``memoryview`` of its buffer in the format
    whose typed array Pyodide's ``to_js`` makes (one bulk copy into a new ``ArrayBuffer``).

    bool data comes as a ``Uint8Array`` of 0/1, float16 as a ``Uint16Array`` of the raw
    half-precision bits (Pyodide cannot hold a ``Float16Array``; build one from the buffer on
    the JavaScript side where the engine has it).
    """
    fmt = {"bool": "B", "float16": "H"}.get(t.dtype.name) or t.dtype.memoryview_format or "B"
    data = t._data.cast(fmt)  # type: ignore[call-overload]
    return {"data": data, "shape": list(t.shape), "dtype": t.dtype.name}


def tensor_to_js(t: Tensor) -> Any:
    """``{data, shape, dtype}`` as a JavaScript object (:func:`tensor_js_fields`), made by one
    ``to_js`` call; the data is a copy in its own ``ArrayBuffer``."""
    return to_js(tensor_js_fields(t))
