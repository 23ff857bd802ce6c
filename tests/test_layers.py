"""The package's import structure, read from its source with ``ast`` (the installed package, so
the same natively and in Pyodide).

A *unit* is a subpackage (``torsh_data.io``) or a top-level module (``torsh_data.tensor``,
``torsh_data._errors``). Units form layers: no unit imports, at module level or inside a
function, from a unit that imports it back (imports under ``if TYPE_CHECKING:`` are for the
type checker and do not count). And a unit uses another's private names (``_name``, or
anything in a ``_module`` below a subpackage) only where :data:`KNOWN_PRIVATE` says so; the
top-level private modules (``_errors``, ``_dtype``, ``_worker_info``, ...) are the base layer
every unit may import.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator

import torsh_data

ROOT = os.path.dirname(os.path.abspath(torsh_data.__file__))

#: Private names imported across units today, to be made public or moved (the test fails when
#: one is no longer imported, so the list only shrinks).
KNOWN_PRIVATE = frozenset(
    {
        "torsh_data.collate._output.check_output",
        "torsh_data.collate._output.map_leaves",
        "torsh_data.collate._output.to_output",
        "torsh_data.datasets._is_iterable_dataset",
        "torsh_data.io._sources.is_one_shot",
        "torsh_data.random._GOLDEN",
        "torsh_data.random._MASK64",
        "torsh_data.random._current",
        "torsh_data.samplers._grouped.interleave",
        "torsh_data.transforms._noise.normals",
        "torsh_data.utils._stats.check_ddof",
    }
)


def _modules() -> dict[str, tuple[str, bool]]:
    """Every module of the package: dotted name -> (path, is a package)."""
    found = {}
    for here, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(here, f)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                found[rel.removesuffix(".__init__")] = (path, f == "__init__.py")
    return found


MODULES = _modules()


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "torsh_data"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``body`` and of the blocks inside them (not expressions: faster),
    leaving out ``if TYPE_CHECKING:`` blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _statements(node.orelse)
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                yield from _statements([n for n in block if isinstance(n, ast.stmt)])
            if field in ("handlers", "cases") and block:
                for clause in block:
                    yield from _statements(clause.body)


def _imports() -> Iterator[tuple[str, str, str | None, int]]:
    """``(importer, module, name or None, line)`` for each import of the package's own code,
    outside ``if TYPE_CHECKING:``; ``name`` is None when a module itself is imported."""
    for module, (path, is_package) in MODULES.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in _statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "torsh_data":
                        yield module, alias.name, None, node.lineno
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")[: None if is_package else -1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                if target.split(".")[0] != "torsh_data":
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in MODULES:
                        yield module, sub, None, node.lineno
                    else:
                        yield module, target, alias.name, node.lineno


IMPORTS = list(_imports())


def test_the_scan_sees_the_imports_it_checks() -> None:
    """The scan itself: it finds relative, absolute, function-level and module imports."""
    found = {(m, t, n) for m, t, n, _ in IMPORTS}
    assert ("torsh_data.formats.tar", "torsh_data._worker_info", "get_worker_info") in found
    assert ("torsh_data.loader", "torsh_data._worker_info", "get_worker_info") in found
    assert ("torsh_data.loader._workers", "torsh_data._worker_info", None) in found
    assert ("torsh_data.datasets._memory", "torsh_data._array_header", "parse_npy_header") in found
    assert len({_unit(m) for m in MODULES}) > 20


def test_no_unit_imports_from_one_above_it() -> None:
    """The units' import graph has no cycle, so they stack in layers."""
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for importer, target, _, line in IMPORTS:
        a, b = _unit(importer), _unit(target)
        if a != b:
            edges.setdefault(a, set()).add(b)
            where.setdefault((a, b), f"{importer}:{line}")
    # Peel off units that import nothing left (the bottom) or that nothing left imports (the
    # top), layer by layer; what remains is on a cycle, or between two.
    left = set(edges) | {b for bs in edges.values() for b in bs}
    while True:
        imported = {b for a in left for b in edges.get(a, set())}
        ends = {u for u in left if not edges.get(u, set()) & left or u not in imported}
        if not ends:
            break
        left -= ends
    cycles = sorted(f"{a} -> {b} ({where[a, b]})" for a in left for b in edges[a] & left)
    assert not cycles, "imports that close a cycle between units:\n" + "\n".join(cycles)


def test_no_private_name_crosses_units() -> None:
    crossing: dict[str, str] = {}
    for importer, target, name, line in IMPORTS:
        if _unit(importer) == _unit(target):
            continue
        private_module = any(_private(p) for p in target.split(".")[2:])
        if private_module or (name is not None and _private(name)):
            crossing.setdefault(target + (f".{name}" if name else ""), f"{importer}:{line}")
    new = sorted(
        f"{what} (in {where})" for what, where in crossing.items() if what not in KNOWN_PRIVATE
    )
    assert not new, "private names imported from another unit:\n" + "\n".join(new)
    gone = sorted(KNOWN_PRIVATE - set(crossing))
    assert not gone, f"no longer imported across units (drop them from KNOWN_PRIVATE): {gone}"
