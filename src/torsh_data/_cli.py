"""The ``torsh-data`` command: one entry point, one sub-command per module.

Each sub-command is a ``main(argv) -> int`` in its own module, imported only when it runs, so
``torsh-data --help`` stays fast and a command's dependencies load only for that command.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "pack": ("torsh_data.io._pack", "write shards and their manifest from local data"),
    "serve": ("torsh_data._serve", "serve a directory for browser development"),
}


def main(argv: list[str] | None = None) -> int:
    """Run ``torsh-data COMMAND [ARGS...]``; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {text}" for name, (_, text) in sorted(COMMANDS.items())]
        print("usage: torsh-data COMMAND [ARGS...]\n\ncommands:\n" + "\n".join(lines))
        return 0 if args and args[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    return int(module.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
