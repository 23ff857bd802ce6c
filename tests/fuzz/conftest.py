"""Prints the inputs tried per fuzz target, and how they ended, after the run."""

from __future__ import annotations

from typing import Any

from bounds import TRIED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TRIED:
        return
    kinds = ["parsed", "error", "crash", "hang", "memory"]
    write = terminalreporter.write_line
    terminalreporter.section("fuzz: inputs tried per target")
    write(f"{'target':26}{'inputs':>8}" + "".join(f"{k:>8}" for k in kinds))
    for name, tally in sorted(TRIED.items()):
        if name == "self-test":
            continue
        write(
            f"{name:26}{sum(tally.values()):>8}" + "".join(f"{tally.get(k, 0):>8}" for k in kinds)
        )
