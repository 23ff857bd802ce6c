"""Reading JSON documents that come from files, caches, servers or callers.

:func:`load_json` is :func:`json.loads` for every document torsh-data reads outside the JSON
formats' record readers (``tokenizer.json``, vocabularies, fitted transforms, cache entries
and records, saved loader states, manifests, JavaScript options). It measures the nesting
depth first and refuses a document nested deeper than ``max_depth`` (default
:data:`MAX_DEPTH`), and it turns every failure into a :class:`~torsh_data.FormatError` (also a
``ValueError``) that names the source and says what was wrong.

NOTE [ JSON depth ]: :mod:`json`'s parser recurses once per level of ``[``/``{``. Natively a
deep document raises ``RecursionError`` near 1,000 levels; in Pyodide a few thousand levels
overflow the WebAssembly stack and kill the interpreter (a fatal error, not an exception). So
the depth is measured before parsing, in one pass over the text (C-level string operations,
linear in its length whatever it holds), the same on every runtime.

>>> load_json('{"a": [1, 2]}', source="settings.json")
{'a': [1, 2]}
>>> load_json("[" * 600 + "]" * 600, source="deep.json")
Traceback (most recent call last):
...
torsh_data.FormatError: deep.json: JSON nested deeper than 500 levels (600 or more)
>>> load_json('{"a": 1,}', source="bad.json")
Traceback (most recent call last):
...
torsh_data.FormatError: bad.json: not valid JSON at line 1, column 9: Expecting property name enclosed in double quotes
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ._errors import DataTypeError, FormatError

__all__ = ["MAX_DEPTH", "load_json", "nesting_depth"]

#: Deepest nesting of arrays and objects :func:`load_json` accepts.
MAX_DEPTH = 500

# A string, or the rest of an unterminated one: after the loop the next character is a quote,
# a backslash that ends the text, or the end, so the tail always matches and nothing is
# re-scanned (an unterminated string cannot make this quadratic).
_STRING = re.compile(r'"(?:[^"\\]+|\\[\s\S])*(?:"|\\?\Z)')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings in ``text`` (linear time).

    For an invalid document this is at least the depth of its longest valid prefix, which is
    as deep as a parser can get before it fails.

    >>> nesting_depth('[{"a": "[[["}, [1]]'), nesting_depth("1"), nesting_depth('["\\\\"", [')
    (2, 0, 2)
    """
    # Without a backslash-quote every quote opens or closes a string: keep every other piece.
    outside = "".join(text.split('"')[::2]) if '\\"' not in text else _STRING.sub("", text)
    brackets = outside.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def _text(data: str | bytes | bytearray | memoryview, source: str) -> str:
    if isinstance(data, str):
        return data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DataTypeError(f"{source}: a JSON document is str or bytes, not {type(data).__name__}")
    raw = bytes(data)
    try:
        return raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"not JSON text: invalid {exc.encoding} ({exc.reason})", source=source, offset=exc.start
        ) from None


def load_json(
    data: str | bytes | bytearray | memoryview, *, source: str, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse a JSON document, refusing one nested deeper than ``max_depth``.

    Args:
        data: the document: text, or bytes in UTF-8 (a byte order mark is allowed), UTF-16 or
            UTF-32, as :func:`json.loads` takes them.
        source: how errors name the document (a path, URL, ``cache 'x' entry 'k'``, ...).
        max_depth: deepest nesting of arrays and objects accepted.

    Returns:
        The parsed value (``NaN`` and ``Infinity`` are accepted, as :mod:`json` does).

    Raises:
        FormatError: (also ``ValueError``) the bytes are not text, the document is nested too
            deeply, or it is not valid JSON; the message names ``source`` and, for a syntax
            error, the line and column.
        DataTypeError: (also ``TypeError``) ``data`` is neither text nor bytes.
    """
    text = _text(data, source)
    if text.count("[") + text.count("{") > max_depth:
        depth = nesting_depth(text)
        if depth > max_depth:
            raise FormatError(
                f"JSON nested deeper than {max_depth} levels ({depth} or more)", source=source
            )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=source
        ) from None
    except ValueError as exc:  # a number of more digits than int() takes (4300 by default)
        raise FormatError(f"not valid JSON: {exc}", source=source) from None
    except RecursionError:  # a native stack smaller than MAX_DEPTH levels needs
        raise FormatError(
            f"JSON nested too deeply for this interpreter's stack (limit {max_depth})",
            source=source,
        ) from None
