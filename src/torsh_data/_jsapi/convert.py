"""Batches as JavaScript objects (in Pyodide): tensors as ``{data, shape, dtype}``, other
values as JavaScript arrays and values.

NOTE [ Batch buffers in JavaScript ]: a batch crosses to JavaScript with one ``to_js`` call
for the whole batch, which copies each tensor's buffer once, in bulk, into a new
``ArrayBuffer`` of its own (``tensor_js_fields`` picks the typed array). That copy is kept on
purpose; a zero-copy view of the batch's Python buffer (``PyProxy.getBuffer()``, or a typed
array over the WebAssembly heap) is not handed out, because such a view cannot stay valid for
as long as JavaScript holds the batch:

- the WebAssembly memory is an ``ArrayBuffer`` that is *detached* whenever Pyodide's heap
  grows, and any later Python allocation (the next batch) may grow it: every view over it
  then reads as length 0 (measured under Node.js: a 256,000-byte view became 0 bytes after a
  400 MB allocation). Pyodide's memory is not a ``SharedArrayBuffer`` and Node.js/Chromium
  give no resizable view of it that we could rely on;
- a view's bytes stay Python's only while the buffer is held (``PyBuffer.release()``), so
  JavaScript would have to release every batch by hand, or leave it to a
  ``FinalizationRegistry`` that the garbage collector runs late (it does not see the heap
  memory behind a small JS object);
- a view's ``ArrayBuffer`` is the whole heap, so ``postMessage`` could not move one batch
  (``WasmDataProcessor`` and ``transferables()`` in js/index.mjs transfer ``data.buffer``).

So a batch's arrays belong to JavaScript alone: they stay correct after the next batch is
made, can be transferred, and need no release. The copy itself is a ``memcpy`` (about 25 us
for a 64x1x28x28 float32 batch under Node.js); crossing the boundary once per tensor, shape
and object, as this module did before, cost about twice the one ``to_js`` (65 vs 38 us for a
batch of two small tensors, Node.js).
"""

from __future__ import annotations

from typing import Any

from .._ffi import to_js
from .._interop import tensor_js_fields
from ..tensor import Tensor

__all__ = ["batch_to_js"]


def batch_to_js(batch: dict[str, Any]) -> Any:
    """``{name: {data, shape, dtype}}`` for tensors; other values as JavaScript arrays/values
    (one ``to_js`` call; see NOTE [ Batch buffers in JavaScript ])."""
    return to_js(
        {
            str(k): tensor_js_fields(v) if isinstance(v, Tensor) else _plain(v)
            for k, v in batch.items()
        }
    )


def _plain(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v
