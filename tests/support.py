"""Helpers shared by the test modules: optional-dependency markers, digests and ``run``."""

from __future__ import annotations

import asyncio
import dis
import importlib.util
import re
import sys
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

IN_PYODIDE = sys.platform == "emscripten"


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


NUMPY_REASON = (
    "numpy is not installed here (Pyodide's npm package has no numpy wheel; "
    "natively the test command installs it)"
)
TORCH_REASON = "torch is not installed here (the local torch==2.13.0 CPU wheel is for Python 3.11)"
needs_numpy = pytest.mark.skipif(not has_module("numpy"), reason=NUMPY_REASON)
needs_torch = pytest.mark.skipif(not has_module("torch"), reason=TORCH_REASON)


def digest(batches: Any) -> str:
    """A sha256 of nested batches (Tensors by dtype, shape and bytes), for comparing runs."""
    from torsh_data.testing import batch_digest

    return batch_digest(batches)


def all_order(name: str) -> tuple[int, list[str | int]]:
    """The order ruff's RUF022 keeps ``__all__`` in: constants, classes, functions; natural."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p]


T = TypeVar("T")
JSPI_REASON = (
    "waits on a JavaScript promise from synchronous code, which needs JSPI (WebAssembly "
    "JavaScript Promise Integration); this runtime has none (WebKit/Safari, Node.js without "
    "--experimental-wasm-stack-switching)"
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a test's coroutine to completion: :func:`asyncio.run` where the runtime can block
    (natively; Pyodide with JSPI), else on :class:`PythonOnlyLoop`, which runs what waits only
    on Python and refuses what waits on JavaScript (mark that test ``needs_jspi``)."""
    from torsh_data._runtime import can_block

    if not IN_PYODIDE or can_block():
        return asyncio.run(coro)
    # Pyodide's WebLoop is always "running" (the page's event loop); step aside from it.
    web_loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    loop = PythonOnlyLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        try:  # as asyncio.run ends: cancel what is left, then close the async generators
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:  # (gather() of nothing would make its future on the WebLoop)
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            asyncio.events._set_running_loop(web_loop)


class PythonOnlyLoop(asyncio.BaseEventLoop):
    """An event loop with no I/O: its tasks wait only on each other and on timers. Pyodide
    without JSPI cannot wait for a promise inside a synchronous test, so a coroutine that does
    (nothing ready, no timer due) raises instead of hanging."""

    def __init__(self) -> None:
        super().__init__()
        self._selector = self

    def create_future(self) -> asyncio.Future[Any]:
        # Pyodide makes a future (from C) for a JavaScript promise it returns or awaits; refuse
        # it at once rather than wait for a timeout that would end it. Python code, asyncio's
        # or a test's, calls ``loop.create_future()`` by that name.
        caller = sys._getframe(1)
        names = [
            i.argval
            for i in dis.get_instructions(caller.f_code)
            if i.offset < caller.f_lasti and i.opname.startswith("LOAD_ATTR")
        ]
        if names[-1:] != ["create_future"]:
            raise RuntimeError(f"this test {JSPI_REASON}: mark it @pytest.mark.needs_jspi")
        return super().create_future()

    def select(self, timeout: float | None) -> list[Any]:
        if timeout is None:
            raise RuntimeError(f"this test {JSPI_REASON}: mark it @pytest.mark.needs_jspi")
        time.sleep(timeout)
        return []

    def _process_events(self, event_list: list[Any]) -> None:
        pass

    def _write_to_self(self) -> None:
        pass


# torchtext.data.utils._basic_english_normalize: its patterns and replacements, applied in this
# order after lower() (pytorch/text@v0.18.0:torchtext/data/utils.py)
TORCHTEXT_BASIC_ENGLISH = [
    (r"\'", " '  "),
    (r"\"", ""),
    (r"\.", " . "),
    (r"<br \/>", " "),
    (r",", " , "),
    (r"\(", " ( "),
    (r"\)", " ) "),
    (r"\!", " ! "),
    (r"\?", " ? "),
    (r"\;", " "),
    (r"\:", " "),
    (r"\s+", " "),
]
_TORCHTEXT_COMPILED = [(re.compile(p), r) for p, r in TORCHTEXT_BASIC_ENGLISH]


def torchtext_basic_english(line: str) -> list[str]:
    """torchtext's ``basic_english`` tokenizer, written as torchtext writes it."""
    line = line.lower()
    for pattern, repl in _TORCHTEXT_COMPILED:
        line = pattern.sub(repl, line)
    return line.split()
