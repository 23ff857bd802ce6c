"""Hypothesis strategies used by more than one test module, each written once here.

(The fuzz targets' strategies for hostile input are in ``tests/fuzz/mutations.py``.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from torsh_data import Tensor
from torsh_data._dtype import _ALL

#: Every dtype torsh-data has, by name.
DTYPES = [d.name for d in _ALL]


@st.composite
def tensors(
    draw: st.DrawFn, max_dims: int = 3, max_side: int = 4, dtypes: Sequence[str] = DTYPES
) -> Tensor:
    """A tensor of any of ``dtypes`` and shape (up to ``max_dims`` sides of 0..``max_side``)
    whose elements are random bytes (``bool`` ones 0 or 1)."""
    dtype = draw(st.sampled_from(list(dtypes)))
    shape = tuple(draw(st.lists(st.integers(0, max_side), max_size=max_dims)))
    size = math.prod(shape) * Tensor([], dtype=dtype).dtype.itemsize
    raw = draw(st.binary(min_size=size, max_size=size))
    if dtype == "bool":
        raw = bytes(b & 1 for b in raw)
    return Tensor(raw, dtype=dtype, shape=shape)


@st.composite
def uint8_images(
    draw: st.DrawFn, max_side: int = 7, channels: Sequence[int | None] = (None, 1, 3, 4)
) -> Tensor:
    """A uint8 image ``(H, W)`` (channels ``None``) or ``(H, W, C)`` with random pixels."""
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    c = draw(st.sampled_from(list(channels)))
    shape = (h, w) if c is None else (h, w, c)
    data = draw(st.binary(min_size=math.prod(shape), max_size=math.prod(shape)))
    return Tensor(data, shape=shape)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function, not a lambda: on Python 3.10 Hypothesis cannot read a multi-line
    # lambda's source and warns that it "doesn't use its argument".
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)


def nested(leaves: st.SearchStrategy[Any], max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """``leaves`` and lists and string-keyed dicts of up to three of them, nested."""
    return st.recursive(leaves, _containers, max_leaves=max_leaves)


def json_values(
    strings: st.SearchStrategy[str] | None = None, floats: bool = True, max_leaves: int = 8
) -> st.SearchStrategy[Any]:
    """Values ``json.dumps`` can write: nulls, booleans, integers, finite floats (if
    ``floats``) and ``strings``, nested in lists and objects (:func:`nested`)."""
    leaves: st.SearchStrategy[Any] = (
        st.none()
        | st.booleans()
        | st.integers()
        | (st.text(max_size=6) if strings is None else strings)
    )
    if floats:
        leaves |= st.floats(allow_nan=False)
    return nested(leaves, max_leaves)


def cuts(length: int, max_cuts: int = 4) -> st.SearchStrategy[list[int]]:
    """Where to cut data of up to ``length`` bytes into chunks, to feed a reader piecewise."""
    return st.lists(st.integers(0, length), max_size=max_cuts)
