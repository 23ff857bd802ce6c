"""The runtime seam: only the modules listed here touch ``js``/``pyodide`` or ask which
runtime they run in.

Browser code lives in twin modules chosen once (fetch, cache, crypto) and in a few seam
modules (the FFI conversions, the JavaScript facade, the Web Worker pool); every other
module is the same on every runtime. The scan reads the package's own sources with
:mod:`ast`, so it runs natively and in Pyodide alike. A new entry here is a decision: say
why in its comment.
"""

from __future__ import annotations

import ast
from pathlib import Path

import torsh_data

ROOT = Path(torsh_data.__file__).parent

#: Modules that may import ``js``/``pyodide`` or call ``js_module()``.
JS_ALLOWED = {
    "_runtime.py": "decides the runtime; hands out the js module",
    "_ffi.py": "the JS <-> Python conversions",
    "_capabilities.py": "probes which browser features exist",
    "io/_fetch_browser.py": "twin of _fetch_native.py",
    "io/_cache_idb.py": "twin of _cache_dir.py",
    "io/_crypto_web.py": "twin of _crypto_native.py",
    "io/_images.py": "the browser's image decoders (OffscreenCanvas)",
    "transforms/_scale_web.py": "twin of _scale_native.py (the canvas's scaler)",
    "loader/_webworkers.py": "the Web Worker pool",
    "loader/_transfer.py": "transferable buffers between workers",
    "_wasm/__init__.py": "compiles and calls the WebAssembly kernels (NOTE [ WebAssembly kernels ])",
}
JS_ALLOWED_PACKAGES = ("_jsapi/",)  # the JavaScript facade

#: How often each module may name ``IN_PYODIDE``/``IN_BROWSER`` (imports aside): one place
#: per concern. A count that grows is a new runtime branch: prefer a twin or a seam helper.
RUNTIME_TESTS = {
    "_runtime.py": 11,  # where the flags are made, whether Python can block, bounded waits
    "_ffi.py": 1,  # pyodide.ffi or nothing
    "_wasm/__init__.py": 2,  # kernels only where Python runs on WebAssembly; _ctypes there
    "_capabilities.py": 1,  # the capability report
    "io/_urls.py": 1,  # a relative URL exists only in a browser page
    "io/_crypto.py": 1,  # picks the crypto twin
    "io/fetch.py": 1,  # picks the fetch twin
    "io/cache.py": 1,  # picks the cache twin
    "io/_images.py": 1,  # browser decoding available?
    "transforms/_scale.py": 1,  # picks the scaler twin
    "io/_shards.py": 2,  # read a local shard in a thread natively / wait natively
    "formats/_source.py": 1,  # the default size cap (wasm32 memory)
    "_array_header.py": 1,  # the empty-row cap (wasm32 memory)
    "datasets/_realtime.py": 2,  # sleeping without blocking the page
    "utils/_progress.py": 1,  # no tqdm bar in Pyodide
    "loader/_executor.py": 1,  # default_executor: Web Workers in Pyodide
    "loader/_helpers.py": 1,  # worker helpers in Pyodide
    "loader/_workers.py": 1,  # the process pool is native only
    "_jsapi/stream.py": 2,  # a warm load only where first use compiles Pyodide's code (NOTE [ Warm load ])
    "loader/_webworkers.py": 9,  # page workers (one compiled wasm module, the page-relative stdlib URL) vs Node.js worker_threads
}
FLAGS = {"IN_PYODIDE", "IN_BROWSER"}


def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        out.append((rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)))
    return out


def _names_js(tree: ast.Module) -> list[str]:
    """The ways ``tree`` reaches JavaScript: imports of js/pyodide, uses of js_module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("js", "pyodide")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in ("js", "pyodide"):
                found.append(node.module)
        elif isinstance(node, ast.Name) and node.id == "js_module":
            found.append("js_module")
        elif isinstance(node, ast.Attribute) and node.attr == "js_module":
            found.append("js_module")
    return found


def _flag_uses(tree: ast.Module) -> int:
    return sum(isinstance(n, ast.Name) and n.id in FLAGS for n in ast.walk(tree))


def test_the_scan_finds_js_imports_and_flags() -> None:
    tree = ast.parse(
        "import js\nfrom pyodide.ffi import to_js\nfrom ._runtime import IN_PYODIDE\n"
        "x = js_module() if IN_PYODIDE else IN_BROWSER\n"
    )
    assert sorted(_names_js(tree)) == ["js", "js_module", "pyodide.ffi"]
    assert _flag_uses(tree) == 2  # the import's alias is no use


def test_only_the_seam_modules_touch_js_or_pyodide() -> None:
    strays = {
        rel: names
        for rel, tree in _modules()
        if (names := _names_js(tree))
        and rel not in JS_ALLOWED
        and not rel.startswith(JS_ALLOWED_PACKAGES)
    }
    assert strays == {}, (
        "these modules reach js/pyodide directly; use torsh_data._ffi or a twin module"
    )


def test_runtime_branches_only_where_the_allowlist_says() -> None:
    counts = {rel: n for rel, tree in _modules() if (n := _flag_uses(tree))}
    over = {rel: n for rel, n in counts.items() if n > RUNTIME_TESTS.get(rel, 0)}
    assert over == {}, "these modules branch on IN_PYODIDE/IN_BROWSER beyond the allowlist"


def test_every_allowlist_entry_names_a_module() -> None:
    listed = [*JS_ALLOWED, *RUNTIME_TESTS]
    assert [rel for rel in listed if not (ROOT / rel).is_file()] == []
    assert [pkg for pkg in JS_ALLOWED_PACKAGES if not (ROOT / pkg).is_dir()] == []
