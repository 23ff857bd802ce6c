"""Run this test suite with pytest inside Pyodide (used by ``./dev test``).

Arguments are passed to pytest (test paths are paths inside Pyodide, e.g.
``/work/tests/test_tensor.py``; without any, the whole suite runs). Exits with pytest's code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", "/tmp/hypothesis")

import pytest  # noqa: E402

if __name__ == "__main__":
    print(f"pytest {pytest.__version__} on Python {sys.version.split()[0]} ({sys.platform})")
    args = sys.argv[1:]
    targets = [] if any(not a.startswith("-") for a in args) else [str(HERE)]
    # -W error: pyproject.toml's filterwarnings, which pytest does not find from /work/tests
    sys.exit(pytest.main(["-W", "error", *args, "--rootdir", str(HERE), *targets]))
