"""Batches for JavaScript (in Pyodide): :func:`batch_to_js` packs a batch into one JavaScript
array, ``[header, value, ...]``, that ``unpackBatch`` in js/index.mjs turns into the batch
``{name: {data, shape, dtype}}`` (tensors) or ``{name: value}`` (other values).

NOTE [ Batch buffers in JavaScript ]: a batch crosses to JavaScript with one ``to_js`` call,
which copies each tensor's buffer once, in bulk (one ``memcpy``), into a new ``ArrayBuffer``
of its own (``tensor_js_fields`` picks the typed array). The names, shapes and dtypes travel
as one JSON string in the same call, so no JavaScript object is built from Python (each
``dict`` converted by ``to_js`` is a call back into JavaScript, ``Object.fromEntries``, and
each list an array built item by item); ``unpackBatch`` builds the batch's objects in
JavaScript. The copy is kept on purpose; a zero-copy view of the batch's Python buffer
(``PyProxy.getBuffer()``, or a typed array over the WebAssembly heap) is not handed out,
because such a view cannot stay valid for as long as JavaScript holds the batch:

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
made, can be transferred, and need no release. What the copy costs is mostly the fresh
memory it writes, not the copy: in Chromium a new 200 KB ``ArrayBuffer`` filled from the heap
took 130-160 us against 5 us for the same ``memcpy`` into a buffer written before (the new
pages are faulted in; under Node.js 25-60 us against 5 us); going through ``getBuffer()`` and
``slice()`` in JavaScript instead makes the same copy plus four calls across the boundary.

NOTE [ Recycled batches ]: the fresh memory is saved by an opt-in with a lifetime rule the
caller states: ``loader.recycle(batch)`` in JavaScript hands a batch back ("I am done with
it"); its arrays go to the loader's pool (and the batch's ``data`` fields are set to null, so
a later read of that batch fails loudly), and the next batches are copied into pooled arrays
of the same dtype and byte length (``reuse``) instead of new ones: the same one ``memcpy``,
into memory already written. A batch that is never handed back is never reused.
"""

from __future__ import annotations

import json
from typing import Any

from .._ffi import to_js
from .._interop import tensor_js_fields
from ..tensor import Tensor

__all__ = ["batch_to_js"]


def batch_to_js(batch: dict[str, Any], reuse: Any = None) -> Any:
    """``[header, value, ...]`` as one JavaScript array (one ``to_js`` call; see NOTE [ Batch
    buffers in JavaScript ]).

    ``header`` is JSON: a ``[name, shape, dtype]`` per field, in the batch's order; a tensor's
    value is its data as a typed array (its shape and dtype in the header), another field's
    (``shape`` and ``dtype`` null) its value as JavaScript arrays and values.

    ``reuse`` (NOTE [ Recycled batches ]): None, or a JavaScript array ``[keys, array, ...]``:
    ``keys`` names, per field in order, the ``"dtype:byteLength"`` of the typed array offered
    for it (``""``: none); a tensor field of that dtype and size is copied into its array
    (``TypedArray.assign``) instead of a new one.
    """
    keys = str(reuse[0]).split(",") if reuse is not None else []
    header: list[list[Any]] = []
    values: list[Any] = [None]
    for i, (k, v) in enumerate(batch.items()):
        if isinstance(v, Tensor):
            fields = tensor_js_fields(v)
            data = fields["data"]
            if i < len(keys) and keys[i] == f"{fields['dtype']}:{data.nbytes}":
                target = reuse[i + 1]
                target.assign(data)
                data = target
            header.append([str(k), fields["shape"], fields["dtype"]])
            values.append(data)
        else:
            header.append([str(k), None, None])
            values.append(_plain(v))
    values[0] = json.dumps(header, separators=(",", ":"))
    return to_js(values)


def _plain(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v
