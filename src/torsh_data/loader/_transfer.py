"""What crosses between the main runtime and a loader's worker (see _webworkers.py, _shm.py).

Batches go out of band: :func:`pack` pickles a batch's structure while its Tensors' buffers
stay separate parts (each becomes one transferable ``ArrayBuffer``), and :func:`unpack`
rebuilds Tensors around the received buffers. :func:`code_for` lists the files and Pyodide
packages a fresh worker needs to unpickle a dataset: torsh_data and the modules the pickle
refers to (:func:`dumps` records them).
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import re
import sys
from types import BuiltinFunctionType, FunctionType
from typing import Any

from .. import _dtype
from .._errors import DataValueError
from ..tensor import Tensor

__all__ = ["code_for", "dumps", "pack", "unpack"]

_NOT_SHIPPED = frozenset({"__main__", "builtins", "js", "pyodide", "pyodide_js", "_pyodide"})


class _Recorder(pickle.Pickler):
    """A pickler that records the modules of the classes and functions it pickles."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.modules: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, FunctionType, BuiltinFunctionType)):
            self.modules.add(getattr(obj, "__module__", None) or "")
        else:
            self.modules.add(type(obj).__module__)
        return NotImplemented


def dumps(obj: Any) -> tuple[bytes, set[str]]:
    """``pickle.dumps(obj)`` and the modules the pickle refers to."""
    out = io.BytesIO()
    recorder = _Recorder(out)
    recorder.dump(obj)
    return out.getvalue(), recorder.modules


class _Packer(pickle.Pickler):
    """Pickle with Tensors' buffers left out, in ``parts``."""

    def __init__(self, file: Any, parts: list[Any], dispatch_table: Any = None) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.parts = parts
        if dispatch_table is not None:
            self.dispatch_table = dispatch_table

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is Tensor:
            self.parts.append(obj._data)
            return (len(self.parts), obj.dtype.name, obj.shape)
        return None


class _Unpacker(pickle.Unpickler):
    def __init__(self, file: Any, parts: list[Any]) -> None:
        super().__init__(file)
        self.parts = parts

    def persistent_load(self, pid: Any) -> Tensor:
        i, dtype, shape = pid
        return Tensor._make(memoryview(self.parts[i]), _dtype.dtype(dtype), tuple(shape))


def pack(obj: Any, dispatch_table: Any = None) -> list[Any]:
    """``obj`` as ``[pickle, tensor buffers...]``: Tensors are not copied into the pickle.

    ``dispatch_table``: the pickler's reducers (``copyreg``'s by default).
    """
    parts: list[Any] = []
    out = io.BytesIO()
    _Packer(out, parts, dispatch_table).dump(obj)
    return [out.getbuffer(), *parts]


def unpack(parts: list[Any]) -> Any:
    """Inverse of :func:`pack`; Tensors share the given buffers."""
    return _Unpacker(io.BytesIO(parts[0]), parts).load()


def code_for(modules: set[str]) -> tuple[dict[str, bytes], list[str]]:
    """Files to copy into a worker, and Pyodide packages to load there, for ``modules``.

    A package is loaded by name only when it came from Pyodide's own lockfile; anything else
    (torsh_data itself, a module of the user's, a wheel that micropip or ``%pip`` installed)
    is copied as files, with the hash-based pycs of this interpreter beside them (such as the
    JavaScript package's precompiled wheel has, NOTE [ Precompiled boot ]): valid whatever
    the copies' modification times, so a worker imports them without compiling.
    """
    tops = {"torsh_data"} | {m.partition(".")[0] for m in modules if m}
    if "__main__" in tops:
        raise DataValueError(
            "the dataset (or collate_fn, worker_init_fn) refers to something defined in "
            "__main__, which a worker cannot import; move it into a module (in a notebook: "
            "put the class in a cell that starts with '%%writefile mydata.py', run it, then "
            "'importlib.invalidate_caches()' and 'from mydata import MyDataset')"
        )
    from importlib.metadata import packages_distributions

    by_name = _lockfile_packages()
    dists = packages_distributions()
    files: dict[str, bytes] = {}
    packages: set[str] = set()
    for top in sorted(tops - _NOT_SHIPPED - set(sys.stdlib_module_names)):
        names = set() if top == "torsh_data" else {_canonical(d) for d in dists.get(top, ())}
        module = sys.modules.get(top)
        if names & by_name or module is None:
            packages.update(names & by_name)
            continue
        roots = list(getattr(module, "__path__", ()))
        single = getattr(module, "__file__", None)
        if not roots and single:
            files[single] = _read(single)
        for root in roots:
            for here, dirs, names_ in os.walk(root):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                for name in names_:
                    if not name.endswith((".pyc", ".pyo")):
                        path = os.path.join(here, name)
                        files[path] = _read(path)
                        files.update(_hash_pyc(path))
    return files, sorted(packages)


def _hash_pyc(source: str) -> dict[str, bytes]:
    """``{path: bytes}`` of the pyc of ``source`` (a ``.py``) when it is hash-based (PEP 552;
    a timestamp pyc would not match the copy's modification time); else empty."""
    if not source.endswith(".py") or sys.implementation.cache_tag is None:
        return {}
    try:
        path = importlib.util.cache_from_source(source)
        with open(path, "rb") as f:
            data = f.read()
    except (OSError, ValueError, NotImplementedError):
        return {}
    hash_based = len(data) >= 16 and int.from_bytes(data[4:8], "little") & 1
    return {path: data} if hash_based and data[:4] == importlib.util.MAGIC_NUMBER else {}


def _canonical(name: str) -> str:
    """A distribution name as Pyodide's lockfile keys it (PEP 503: ``Foo_bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lockfile_packages() -> set[str]:
    """The loaded packages a fresh Pyodide can load by name: those its lockfile lists.

    ``pyodide_js.loadedPackages`` also lists what micropip installed from a URL or an index,
    which a worker's ``loadPackage`` does not know; empty outside Pyodide.
    """
    try:
        import pyodide_js  # type: ignore[import-not-found]
    except ImportError:
        return set()
    known = {_canonical(str(k)) for k in pyodide_js.lockfile.packages.object_keys()}
    loaded = {_canonical(str(k)) for k in pyodide_js.loadedPackages.object_keys()}
    return known & loaded


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
