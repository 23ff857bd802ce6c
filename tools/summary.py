"""Print the per-runtime test counts from build/reports/*.log and a total line.

Usage: python tools/summary.py build/reports
Exit code: non-zero when any step failed or a runtime ran no test.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

STEPS = [
    "lint",
    "wheel",
    "cpython-3.11",
    "cpython-3.10",
    "pyodide-node",
    "pyodide-chromium",
    "pyodide-firefox",
    "pyodide-webkit",
    "cross-runtime",
]
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
PYTEST_LINE = re.compile(
    r"^=*\s*(?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)[, ]*)+ in [\d.]+s"
)


def counts(step: str, text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    if step == "cross-runtime":  # node --test's closing lines: "ℹ pass 5", "ℹ fail 0"
        for key, name in (("pass", "passed"), ("fail", "failed"), ("skipped", "skipped")):
            m = re.search(rf"^\S* {key} (\d+)$", text, re.M)
            if m:
                found[name] = int(m.group(1))
        return found
    lines = [
        line
        for line in text.splitlines()
        if PYTEST_LINE.match(line.strip("= ")) or line.startswith(f"{step}:")
    ]
    for line in lines[-1:]:
        for n, word in COUNT.findall(line):
            found[word.rstrip("s") if word.startswith("error") else word] = int(n)
    return found


def main(reports: Path) -> int:
    total = {"passed": 0, "failed": 0, "skipped": 0}
    ok = True
    print("\nper runtime:")
    for step in STEPS:
        log, code_file = reports / f"{step}.log", reports / f"{step}.code"
        if not code_file.exists():
            print(f"  {step:18} did not run")
            ok = False
            continue
        code = int(code_file.read_text().strip() or 1)
        c = counts(step, log.read_text(errors="replace"))
        failed = c.get("failed", 0) + c.get("error", 0)
        if step != "lint" and not c.get("passed"):
            ok = False
            note = "ran no test"
        else:
            note = ""
        status = "ok" if code == 0 and not failed else f"FAILED (exit {code})"
        ok &= code == 0 and not failed
        print(
            f"  {step:18} {status:16} passed {c.get('passed', 0):4}  failed {failed:3}  skipped {c.get('skipped', 0):3} {note}"
        )
        total["passed"] += c.get("passed", 0)
        total["failed"] += failed + (1 if code and not failed else 0)
        total["skipped"] += c.get("skipped", 0)
    print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/reports")))
