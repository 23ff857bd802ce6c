"""Public classes shown at their public path: ``torsh_data.DataValueError``, not
``torsh_data._errors.DataValueError``.

Each public ``__init__`` ends with ``publish(globals())``: every class its ``__all__`` names that
was defined in a private module of torsh-data (a ``_`` in its dotted path) gets the package as
its ``__module__``, so reprs, tracebacks and ``help`` show the name a user imports. A class
exported by a subpackage and by ``torsh_data`` itself gets the shorter path (``torsh_data``
runs last). Pickles refer to the same path, which imports the same class.

>>> import torsh_data
>>> torsh_data.DataValueError.__module__, torsh_data.io.PassphraseError.__module__
('torsh_data', 'torsh_data.io')
"""

from __future__ import annotations

import sys
from types import FunctionType
from typing import Any

__all__ = ["publish"]


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def publish(namespace: dict[str, Any]) -> None:
    """Give the classes in ``namespace["__all__"]`` defined in private modules (or given a
    longer public path by a subpackage) the package ``namespace["__name__"]`` as module.

    NOTE [ Doctests of published classes ]: ``doctest`` finds a class's examples in the module
    its ``__module__`` names, but its methods' only in the module holding their code, so once
    the class is published its methods' examples would be found nowhere. They are listed in
    the package's ``__test__`` (where ``doctest`` looks for extra examples) instead.
    """
    package: str = namespace["__name__"]
    root = package.partition(".")[0]
    tests: dict[str, Any] = namespace.setdefault("__test__", {})
    for name in namespace["__all__"]:
        obj = namespace[name]
        if not isinstance(obj, type) or obj.__name__ != name or obj.__qualname__ != name:
            continue  # not a class, or one exported under another name: pickle would miss it
        module = obj.__module__
        if module.partition(".")[0] != root:
            continue
        subpackage = module.startswith(package + ".") and hasattr(sys.modules[module], "__path__")
        if _private(module) or subpackage:
            obj.__module__ = package
            if subpackage:
                for key in _method_docs(obj):
                    vars(sys.modules[module])["__test__"].pop(key, None)
            tests.update(_method_docs(obj))


def _method_docs(cls: type) -> dict[str, Any]:
    """``{"Class.method": function or docstring}`` of the methods of ``cls`` with a docstring."""
    found: dict[str, Any] = {}
    for name, value in vars(cls).items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            value = value.__doc__
        elif not isinstance(value, FunctionType):
            continue
        if isinstance(value, str) or (value.__doc__ and ">>>" in value.__doc__):
            if isinstance(value, str) and ">>>" not in value:
                continue
            found[f"{cls.__name__}.{name}"] = value
    return found
