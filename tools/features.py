"""Recompute the coverage line of docs/FEATURES.md from its rows and list what is not done.

python tools/features.py          # rewrite the line, print the rows left
python tools/features.py --check  # exit 1 if the line is stale (what the test checks)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FEATURES = Path(__file__).resolve().parents[1] / "docs" / "FEATURES.md"
ROW = re.compile(r"^\| ([A-Z]\d+) \| (core|opt) \| (done|todo|N/A) \| ")
LINE = re.compile(r"Core: \*\*\d+ / 112\*\* done\. All: \*\*\d+ / 133\*\* done\.")


def main() -> int:
    text = FEATURES.read_text("utf-8")
    rows = [m.groups() for line in text.splitlines() if (m := ROW.match(line))]
    core = sum(1 for _, gate, status in rows if gate == "core" and status == "done")
    done = sum(1 for *_, status in rows if status == "done")
    line = f"Core: **{core} / 112** done. All: **{done} / 133** done."
    left = [fid for fid, _, status in rows if status != "done"]
    print(line, "Not done:", ", ".join(left) or "none")
    if "--check" in sys.argv:
        return 0 if line in text else 1
    FEATURES.write_text(LINE.sub(line, text), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
