"""Run a benchmark natively, in Pyodide under Node.js and in browsers; print the ratios.

    python bench/wasm_ratio.py [--engines chromium,firefox,webkit] BENCH.py [ARGS...]

``--engines`` lists the browsers to run in besides Node.js (default: chromium; an empty list
runs Node.js only).

BENCH.py must accept ``--json`` and print one JSON object whose leaves named
``samples_per_s`` are the figures to compare (bench_loader.py and bench_pipelines.py do).
Native runs hide numpy when ``--no-numpy`` is among ARGS, so both sides run the same code.
Needs the set-up of ``./dev setup`` (node_modules, the dist/ wheel).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str]) -> dict[str, Any]:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def rates(tree: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "samples_per_s":
                yield path, value
            else:
                yield from rates(value, f"{path}/{key}" if path else key)


def main() -> None:
    args = sys.argv[1:]
    engines = ["chromium"]
    if args[:1] == ["--engines"] and len(args) > 1:
        engines = [e for e in args[1].split(",") if e]
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    script, extra = Path(args[0]).name, [*args[1:], "--json"]
    pyrun = [
        "node",
        "tools/pyodide/pyrun.mjs",
        "--timeout",
        "900",
        "--wheel-dir",
        "dist",
        "--mount",
        f"{ROOT / 'bench'}:/bench",
    ]
    results = {"native": run([sys.executable, f"bench/{script}", *extra])}
    runtimes = ["node", *engines]
    for rt in runtimes:
        results[rt] = run([*pyrun[:2], "--runtime", rt, *pyrun[2:], f"/bench/{script}", *extra])
    native = dict(rates(results["native"]))
    header = f"{'figure (samples/s)':46} {'native':>10}" + "".join(
        f" {rt:>10} {rt + '/nat':>11}" for rt in runtimes
    )
    print(f"{script} {' '.join(extra)}\n{header}")
    for path, value in native.items():
        line = f"{path:46} {value:>10,.0f}"
        for rt in runtimes:
            other = dict(rates(results[rt])).get(path)
            line += (
                f" {other:>10,.0f} {other / value:>10.2f}x" if other else f" {'-':>10} {'-':>11}"
            )
        print(line)


if __name__ == "__main__":
    main()
