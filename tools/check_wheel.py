"""Check the built wheel: pure Python, no dependencies, installs into an empty venv offline.

Usage: python tools/check_wheel.py DIST_DIR
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

ALLOWED_SUFFIXES = {".py", ".typed", ".json", ".md", ".txt"}
DATA_DIRS = ("torsh_data/tabular/data/",)  # the small classic datasets, gzipped CSV
# The loader's Web Worker (read with importlib.resources; NOTE [ Web Worker pool ]).
JS_FILES = ("torsh_data/loader/worker.mjs", "torsh_data/loader/pyodide_boot.mjs")
# The WebAssembly kernels Pyodide runs (NOTE [ WebAssembly kernels ]): each assembled .wat of
# the source tree ships as its .wasm, and nothing else of that kind does.
WASM_DIR = "torsh_data/_wasm/"
WASM_SOURCES = Path(__file__).resolve().parents[1] / "src" / WASM_DIR
WASM_FILES = tuple(sorted(f"{WASM_DIR}{p.stem}.wasm" for p in WASM_SOURCES.glob("*.wat")))


def main(dist: Path) -> int:
    wheels = sorted(dist.glob("torsh_data-*.whl"))
    if len(wheels) != 1:
        print(f"expected one torsh_data wheel in {dist}, found {[w.name for w in wheels]}")
        return 1
    wheel = wheels[0]
    problems = []
    if not wheel.name.endswith("-py3-none-any.whl"):
        problems.append(f"{wheel.name} is not a pure-Python (py3-none-any) wheel")
    with zipfile.ZipFile(wheel) as zf:
        missing = sorted(set(JS_FILES) - set(zf.namelist()))
        if missing:
            problems.append(f"the wheel lacks the package's JavaScript: {missing}")
        missing = sorted(set(WASM_FILES) - set(zf.namelist()))
        if missing:
            problems.append(f"the wheel lacks the WebAssembly kernels: {missing}")
        for name in zf.namelist():
            if ".dist-info/" in name:
                if name.endswith("METADATA"):
                    meta = zf.read(name).decode()
                    requires = [
                        line for line in meta.splitlines() if line.startswith("Requires-Dist:")
                    ]
                    hard = [r for r in requires if "extra ==" not in r]
                    if hard:
                        problems.append(f"the wheel has required dependencies: {hard}")
                continue
            if (
                Path(name).suffix not in ALLOWED_SUFFIXES
                and name not in JS_FILES
                and name not in WASM_FILES
                and not (name.startswith(DATA_DIRS) and name.endswith(".csv.gz"))
            ):
                problems.append(f"unexpected file in the wheel: {name}")
    with tempfile.TemporaryDirectory() as tmp:
        venv.create(tmp, with_pip=True)
        py = Path(tmp, "bin", "python")
        install = subprocess.run(
            [
                py,
                "-m",
                "pip",
                "install",
                "--no-index",
                "--disable-pip-version-check",
                "-q",
                str(wheel),
            ],
            capture_output=True,
            text=True,
        )
        if install.returncode:
            problems.append(f"offline install into an empty venv failed:\n{install.stderr}")
        else:
            listing = subprocess.run(
                [py, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
            )
            extra = [
                p
                for p in listing.stdout.split()
                if not p.startswith(("torsh-data", "pip=", "setuptools="))
            ]
            if extra:
                problems.append(f"installing the wheel pulled in: {extra}")
            run = subprocess.run(
                [py, "-c", "import torsh_data; print(torsh_data.__version__)"],
                capture_output=True,
                text=True,
            )
            if run.returncode:
                problems.append(f"import failed in the fresh venv:\n{run.stderr}")
    size = wheel.stat().st_size
    for p in problems:
        print("FAIL:", p)
    print(f"wheel {wheel.name}: {size / 1024:.1f} KiB, {'OK' if not problems else 'BROKEN'}")
    print(f"wheel: {int(not problems)} passed, {int(bool(problems))} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
