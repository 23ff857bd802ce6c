"""Run this test suite with pytest inside Pyodide (used by ``./dev test``).

Arguments are passed to pytest. Exits with pytest's exit code.
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
    sys.exit(pytest.main([*sys.argv[1:], "--rootdir", str(HERE), str(HERE)]))
