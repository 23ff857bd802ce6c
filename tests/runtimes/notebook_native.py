"""Run a notebook's code cells on native CPython, as its kernel would, and print their output:
the reference tests/runtimes/notebook.test.mjs compares JupyterLite's digests with.

Usage: python notebook_native.py NOTEBOOK.ipynb WORKDIR

Runs only this repository's own notebook (tools/jupyterlite/torsh-data.ipynb): ``%pip`` lines
are left out (torsh_data is installed here), ``%%writefile NAME`` writes the cell to WORKDIR/NAME
(the working directory, on sys.path as a kernel's is), and top-level ``await``/``async for``
run as IPython runs them.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import sys


def main() -> None:
    notebook, workdir = sys.argv[1], sys.argv[2]
    with open(notebook, encoding="utf-8") as f:
        cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    os.chdir(workdir)
    sys.path.insert(0, "")
    scope: dict[str, object] = {"__name__": "__main__"}
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        first, _, rest = source.partition("\n")
        if first.startswith("%%writefile "):
            with open(first.split(maxsplit=1)[1], "w", encoding="utf-8") as f:
                f.write(rest)
            continue
        source = "\n".join(line for line in source.splitlines() if not line.startswith("%pip "))
        code = compile(source, f"<cell {i}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, scope)  # this repository's own notebook
        if inspect.iscoroutine(result):
            asyncio.run(result)


if __name__ == "__main__":
    main()
