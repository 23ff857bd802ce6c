"""The public surface: __all__, the exception tree, the runtime flag, no dependencies."""

from __future__ import annotations

import sys
import types

import pytest
from support import IN_PYODIDE

import torsh_data as td


def test_all_is_sorted_and_exported() -> None:
    from support import all_order

    assert td.__all__ == sorted(td.__all__, key=all_order)
    for name in td.__all__:
        assert hasattr(td, name), name
    public = {
        n
        for n, v in vars(td).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public - set(td.__all__) == set()


def test_exception_tree() -> None:
    assert issubclass(td.DataValueError, ValueError) and issubclass(
        td.DataValueError, td.TorshDataError
    )
    assert issubclass(td.ShapeError, td.DataValueError)
    assert issubclass(td.DataTypeError, TypeError) and issubclass(
        td.DataTypeError, td.TorshDataError
    )
    assert issubclass(td.DataIndexError, IndexError) and issubclass(
        td.DataIndexError, td.TorshDataError
    )
    assert issubclass(td.MissingExtraError, ImportError)


def test_runtime_flag() -> None:
    assert td.IN_PYODIDE is IN_PYODIDE
    assert td.runtime_name() in (
        ("pyodide-node", "pyodide-browser") if IN_PYODIDE else ("cpython",)
    )


@pytest.mark.native_only(reason="starts a fresh interpreter in a subprocess")
def test_import_does_not_pull_optional_packages() -> None:
    import subprocess

    code = (
        "import sys, torsh_data; "
        "print(sorted(m for m in ('numpy', 'torch', 'js', 'pyodide') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
