"""Helpers shared by the test modules: optional-dependency markers and digests."""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Any

import pytest

IN_PYODIDE = sys.platform == "emscripten"


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


NUMPY_REASON = (
    "numpy is not installed here (Pyodide's npm package has no numpy wheel; "
    "natively the test command installs it)"
)
TORCH_REASON = "torch is not installed here (the local torch==2.13.0 CPU wheel is for Python 3.11)"
needs_numpy = pytest.mark.skipif(not has_module("numpy"), reason=NUMPY_REASON)
needs_torch = pytest.mark.skipif(not has_module("torch"), reason=TORCH_REASON)


def digest(batches: Any) -> str:
    """A sha256 of nested batches (Tensors by dtype, shape and bytes), for comparing runs."""
    from torsh_data.testing import batch_digest

    return batch_digest(batches)


def all_order(name: str) -> tuple[int, list[str | int]]:
    """The order ruff's RUF022 keeps ``__all__`` in: constants, classes, functions; natural."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p]
