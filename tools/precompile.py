"""Precompile Python modules for Pyodide: the standard library zip and the torsh-data wheel.

Run inside Pyodide (``tools/precompile.mjs`` does, under Node.js), so that the bytecode is
the exact CPython version of the Pyodide the JavaScript package ships; natively it makes the
same files for the native version (what the tests check).

NOTE [ Precompiled boot ]: on a first visit, most of Pyodide's start-up is CPython compiling
the standard library's sources (Pyodide ships them as ``.py``) and then torsh-data's, inside
WebAssembly: about 3 s of a 4-7 s cold start here. The JavaScript package therefore ships
(1) a copy of ``python_stdlib.zip`` whose modules that a boot and a first load import are
replaced by their bytecode (``module.pyc`` beside the others, which ``zipimport`` prefers; the
other modules stay sources, compiled if ever imported), and (2) the browser wheel with a
``__pycache__/*.pyc`` for each of those modules. Both are *unchecked hash-based* pycs (PEP 552): valid
whatever the files' modification times, which unpacking in the browser sets to the current
time. A pyc is bound to one CPython version; ``init()`` uses the stdlib copy only with the
Pyodide version it was made for (``boot.json``), and a wheel pyc of another version is
ignored by CPython, which compiles the source beside it instead. The cost: the compiled
standard library modules have no source lines in tracebacks.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from collections.abc import Iterable

from browser_wheel import record_hash

_DATE = (2020, 1, 1, 0, 0, 0)


def module_name(path: str) -> str | None:
    """The module a ``.py`` path inside a zip or wheel defines (``json/__init__.py`` -> ``json``).

    >>> module_name("json/decoder.py"), module_name("json/__init__.py"), module_name("a.txt")
    ('json.decoder', 'json', None)
    """
    if not path.endswith(".py"):
        return None
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def pyc(source: bytes, path: str) -> bytes:
    """The unchecked hash-based pyc of ``source`` (PEP 552), for this interpreter's version."""
    from importlib import _bootstrap_external

    code = compile(source, path, "exec", dont_inherit=True)
    source_hash = importlib.util.source_hash(source)
    data: bytes = _bootstrap_external._code_to_hash_pyc(code, source_hash, checked=False)  # type: ignore[attr-defined]
    return data


def compile_stdlib(data: bytes, modules: Iterable[str] | None = None) -> bytes:
    """A copy of a standard library zip whose ``modules`` (all when None) are bytecode: each
    ``name.py`` becomes ``name.pyc`` (deflated), which ``zipimport`` imports without its
    source; every other member is copied as it is."""
    keep = None if modules is None else set(modules)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            name = module_name(info.filename)
            if name is not None and (keep is None or name in keep):
                zi = zipfile.ZipInfo(info.filename[:-3] + ".pyc", info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                zout.writestr(zi, pyc(body, info.filename))
            else:
                zout.writestr(info, body)
    return out.getvalue()


def add_pycs(wheel: bytes, modules: Iterable[str] | None = None) -> bytes:
    """A copy of ``wheel`` with a ``__pycache__/<module>.<tag>.pyc`` beside each of its
    ``modules`` (all when None) and its RECORD updated; members keep their compression (the
    browser wheel's are STORED, NOTE [ Browser wheel ] in ``browser_wheel.py``)."""
    tag = sys.implementation.cache_tag
    keep = None if modules is None else set(modules)
    files: list[tuple[zipfile.ZipInfo, bytes]] = []
    record_name = None
    with zipfile.ZipFile(io.BytesIO(wheel)) as zin:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record_name = info.filename
                continue
            files.append((info, body))
            name = module_name(info.filename)
            if name is not None and (keep is None or name in keep):
                head, _, base = info.filename.rpartition("/")
                where = f"{head}/__pycache__/" if head else "__pycache__/"
                zi = zipfile.ZipInfo(f"{where}{base[:-3]}.{tag}.pyc", _DATE)
                zi.compress_type = info.compress_type
                zi.external_attr = 0o644 << 16
                files.append((zi, pyc(body, info.filename)))
    if record_name is None:
        raise SystemExit("not a wheel (no RECORD)")
    record = "".join(f"{i.filename},{record_hash(b)},{len(b)}\n" for i, b in files)
    rec = zipfile.ZipInfo(record_name, _DATE)
    rec.external_attr = 0o644 << 16
    files.append((rec, (record + f"{record_name},,\n").encode()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info, body in files:
            zout.writestr(info, body)
    return out.getvalue()
