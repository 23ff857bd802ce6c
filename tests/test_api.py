"""The public surface: __all__, the exception tree, the runtime flag, no dependencies."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import re
import sys
import types

import pytest
from support import IN_PYODIDE

import torsh_data as td


def public_packages() -> list[types.ModuleType]:
    """``torsh_data`` and each of its public subpackages."""
    names = sorted(
        m.name for m in pkgutil.iter_modules(td.__path__) if m.ispkg and not m.name.startswith("_")
    )
    return [td, *(importlib.import_module(f"torsh_data.{name}") for name in names)]


def exported_errors() -> dict[str, type[BaseException]]:
    """Every exception class in a public package's ``__all__``, by name."""
    found: dict[str, type[BaseException]] = {}
    for package in public_packages():
        for name in package.__all__:
            obj = getattr(package, name)
            if isinstance(obj, type) and issubclass(obj, BaseException):
                assert found.setdefault(name, obj) is obj, f"two exceptions named {name}"
    return found


_DRAWN = re.compile(r"^(?P<tree>[│├└─ ]*)(?P<name>[A-Z]\w*)(?: *\((?P<builtins>[\w, ]+)\))?")


def drawn_tree() -> dict[str, tuple[str | None, set[str]]]:
    """``{name: (drawn parent, builtins drawn beside it)}`` from the drawing in the docstring of
    ``torsh_data._errors``."""
    from torsh_data import _errors

    doc = _errors.__doc__ or ""
    lines = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    tree: dict[str, tuple[str | None, set[str]]] = {}
    stack: list[str] = []
    for line in lines:
        m = _DRAWN.match(line.strip("\n")[4:])  # the drawing is indented by four spaces
        assert m, f"not a line of the drawing: {line!r}"
        depth = len(m["tree"]) // 4
        del stack[depth:]
        builtins = {b.strip() for b in (m["builtins"] or "").split(",") if b.strip()}
        tree[m["name"]] = (stack[-1] if stack else None, builtins)
        stack.append(m["name"])
    return tree


def added_builtins(cls: type, parent: type | None) -> set[str]:
    """The builtin exceptions ``cls`` derives from and ``parent`` does not, most derived only."""
    new = {
        b
        for b in cls.__mro__
        if b.__module__ == "builtins"
        and b is not object
        and (parent is None or b not in parent.__mro__)
    }
    return {b.__name__ for b in new if not any(o is not b and issubclass(o, b) for o in new)}


def test_every_exported_error_is_drawn_in_the_one_tree() -> None:
    errors = exported_errors()
    tree = drawn_tree()
    assert {"WorkerError", "PrivacyBudgetExceeded", "PassphraseError", "HTTPError"} <= set(errors)
    assert set(tree) - set(errors) == set(), "drawn but not exported"
    assert set(errors) - set(tree) == set(), "exported but not drawn"
    for name, cls in errors.items():
        assert issubclass(cls, td.TorshDataError), name
        parent_name, builtins = tree[name]
        parent = None if parent_name is None else errors[parent_name]
        if parent is not None:
            assert issubclass(cls, parent), f"{name} is drawn under {parent_name}"
        assert builtins == added_builtins(cls, parent), f"{name}'s builtins as drawn"


def test_exception_tree() -> None:
    assert issubclass(td.DataValueError, ValueError) and issubclass(
        td.DataValueError, td.TorshDataError
    )
    assert issubclass(td.SourceError, OSError) and issubclass(td.FormatError, ValueError)
    from torsh_data.io import FetchTimeoutError

    assert issubclass(FetchTimeoutError, TimeoutError)
    assert added_builtins(td.ArgumentError, td.DataValueError) == {"TypeError"}
    assert added_builtins(td.TorshDataError, None) == {"Exception"}


PACKAGES = {package.__name__: package for package in public_packages()}


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_all_of_every_public_package(name: str) -> None:
    from support import all_order

    package = PACKAGES[name]
    names = package.__all__
    assert names == sorted(names, key=all_order) and len(set(names)) == len(names)
    assert [n for n in names if n.startswith("_") or not hasattr(package, n)] == []
    public = {
        n
        for n, v in vars(package).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public - set(names) == set(), f"public in {name} but not in its __all__"


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_public_classes_show_their_public_path(name: str) -> None:
    # torsh_data.DataValueError, not torsh_data._errors.DataValueError (torsh_data._exports);
    # the path is where pickle finds the class again, so errors still cross to workers.
    package = PACKAGES[name]
    for n in package.__all__:
        obj = getattr(package, n)
        if not isinstance(obj, type) or not obj.__module__.startswith("torsh_data"):
            continue
        assert not any(p.startswith("_") for p in obj.__module__.split(".")), (n, obj.__module__)
        assert getattr(importlib.import_module(obj.__module__), obj.__qualname__) is obj, n
        assert pickle.loads(pickle.dumps(obj)) is obj
        if type(obj) is type:  # not an enum, whose repr is <enum 'Name'>
            assert repr(obj) == f"<class '{obj.__module__}.{obj.__qualname__}'>"
    if name == "torsh_data":
        assert td.DataLoader.__module__ == "torsh_data"  # the shorter of two public paths
        assert td.Tensor.__module__ == "torsh_data.tensor"  # a public module: left as it is


def test_errors_show_their_public_path_and_pickle() -> None:
    from torsh_data.io import HTTPError, PassphraseError

    e = pickle.loads(pickle.dumps(td.FormatError("bad", source="a.csv", record=3)))
    assert type(e) is td.FormatError and e.record == 3
    assert repr(e) == "FormatError('a.csv: record 3: bad')"
    assert PassphraseError.__module__ == "torsh_data.io"
    assert pickle.loads(pickle.dumps(HTTPError("http://x.test/a", 404))).status == 404
    assert repr(td.DataValueError).startswith("<class 'torsh_data.DataValueError'")


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
