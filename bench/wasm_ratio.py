"""Run bench_loader.py natively, in Pyodide under Node.js and in Chromium; print the ratios.

    python bench/wasm_ratio.py [--quick]

Needs the set-up of ``./dev setup`` (node_modules, dist/ wheel, the Pyodide test wheels).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    extra = ["--json", *sys.argv[1:]]
    pyrun = [
        "node",
        "tools/pyodide/pyrun.mjs",
        "--timeout",
        "600",
        "--wheel-dir",
        "dist",
        "--mount",
        f"{ROOT / 'bench'}:/bench",
    ]
    native = run([sys.executable, "bench/bench_loader.py", *extra])["results"]
    runs = {
        "pyodide-node": run(
            [*pyrun[:2], "--runtime", "node", *pyrun[2:], "/bench/bench_loader.py", *extra]
        ),
        "pyodide-chromium": run(
            [*pyrun[:2], "--runtime", "chromium", *pyrun[2:], "/bench/bench_loader.py", *extra]
        ),
    }
    print(
        f"{'case':28} {'native':>12} {'node':>12} {'chromium':>12} {'node/native':>12} {'chromium/native':>16}"
    )
    for case, r in native.items():
        node = runs["pyodide-node"]["results"][case]["torsh"]
        chrome = runs["pyodide-chromium"]["results"][case]["torsh"]
        print(
            f"{case:28} {r['torsh']:>12,.0f} {node:>12,.0f} {chrome:>12,.0f} "
            f"{node / r['torsh']:>11.2f}x {chrome / r['torsh']:>15.2f}x"
        )


if __name__ == "__main__":
    main()
