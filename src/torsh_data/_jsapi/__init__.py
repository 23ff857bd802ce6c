"""The Python half of the JavaScript package ``torsh-data`` (``js/``).

``options`` reads the JavaScript options and tells a source's format (from the format
registry, ``torsh_data.formats._registry``); ``stream`` opens sources through
:func:`~torsh_data.io.open_dataset` and makes samples of their records; ``labels`` turns a
string label column into class indices and gives labels their dtype (NOTE [ Labels for
TensorFlow.js ]); ``transforms`` applies the ``transforms`` option; ``loader`` holds
:class:`JsLoader`; ``convert`` hands batches to JavaScript.

``WasmDataLoader`` and ``WasmDataProcessor`` in JavaScript hold a :class:`JsLoader` and call
its coroutines (and, for an in-memory source without workers, its synchronous
:meth:`JsLoader.next_batch_js_sync`); everything that parses, shuffles, transforms and batches
data happens here, so the JavaScript layer stays a thin facade. Options arrive as one JSON
string (the JavaScript option names, camelCase or snake_case), batches leave as
``{name: Tensor | list}`` (handed to JavaScript by :meth:`JsLoader.next_batch_js` in
Pyodide as the addresses of their bytes, which JavaScript copies into typed arrays of its
own, ``{name: {data, shape, dtype}}``: NOTE [ Batch hand-off ] in convert.py). The
``transforms`` option builds the ``TransformDataset(..., Compose(...))`` and ``DataLoader`` a
Python user would write, so the facade's batches are that pipeline's, byte for byte.

>>> import asyncio
>>> loader = JsLoader(2, '{"label": "y", "shuffle": true, "seed": 3}')
>>> asyncio.run(loader.load_bytes(b"a,b,y\\n1,2,0\\n3,4,1\\n5,6,0\\n", name="t.csv"))
3
>>> batch = asyncio.run(loader.next_batch())
>>> sorted(batch), batch["x"].shape, loader.progress
(['x', 'y'], (2, 2), 1.0)
"""

from .._capabilities import PerformanceMonitor, capabilities
from .loader import JsLoader, warm_up
from .options import FORMATS, format_or_none, guess_format, parse_options
from .transforms import apply_transforms

__all__ = [
    "FORMATS",
    "JsLoader",
    "PerformanceMonitor",
    "apply_transforms",
    "capabilities",
    "format_or_none",
    "guess_format",
    "parse_options",
    "warm_up",
]
