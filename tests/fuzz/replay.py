"""Replay saved fuzz inputs: ``python tests/fuzz/replay.py TARGET FILE...`` (with ``src`` on
``PYTHONPATH``) runs each file through the target's parser, prints how long it took and the
traceback of anything it raised, without the bounds (so a hang can be profiled)."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str]) -> int:
    from targets import TARGETS

    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        print("targets:", ", ".join(t.name for t in TARGETS), file=sys.stderr)
        return 2
    (target,) = [t for t in TARGETS if t.name == argv[0]] or [None]
    if target is None:
        print(f"no target {argv[0]!r}", file=sys.stderr)
        return 2
    for file in argv[1:]:
        data = Path(file).read_bytes()
        t0 = time.perf_counter()
        try:
            target.parse(data)
            outcome = "parsed"
        except Exception:
            outcome = traceback.format_exc()
        print(f"{file}: {len(data)} bytes, {time.perf_counter() - t0:.2f} s: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
