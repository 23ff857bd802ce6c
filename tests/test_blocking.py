"""Synchronous calls that wait for asynchronous work (NOTE [ Blocking on a promise ] in
``torsh_data/_runtime.py``): natively, in Pyodide with JSPI (Chromium, Firefox, Node.js with
its flag) and without it (WebKit/Safari; ``pyrun.mjs --no-jspi``), where the refusal names
the ``async`` call to use instead."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest
from support import IN_PYODIDE, run

import torsh_data as td
from torsh_data._runtime import can_block, has_jspi, iterate_blocking, run_blocking
from torsh_data.io import ShardedDataset


async def answer(x: int = 42) -> int:
    await asyncio.sleep(0)
    return x


async def counted(n: int) -> Any:
    for i in range(n):
        await asyncio.sleep(0)
        yield i


def test_the_error_is_a_torsh_data_error_and_a_runtime_error() -> None:
    assert issubclass(td.CannotBlockError, td.TorshDataError)
    assert issubclass(td.CannotBlockError, RuntimeError)


def test_capabilities_report_jspi_as_the_engine_has_it() -> None:
    assert td.capabilities()["jspi"] is has_jspi()
    if not IN_PYODIDE:
        assert td.capabilities()["jspi"] is False and can_block()


@pytest.mark.native_only(reason="natively the refusal comes from a running event loop")
def test_natively_inside_an_event_loop_the_refusal_names_the_alternative() -> None:
    async def inside() -> None:
        coro = answer()
        with pytest.raises(td.CannotBlockError, match=r"counting.*event loop.*'await it'"):
            run_blocking(coro, operation="counting", alternative="'await it'")
        assert coro.cr_frame is None  # closed, not left to warn "never awaited"

    asyncio.run(inside())


@pytest.mark.needs_jspi(reason="blocks on the event loop from a synchronous test")
def test_where_it_can_block_it_runs_the_coroutine_and_the_iterator() -> None:
    assert can_block()
    assert run_blocking(answer(7), operation="x", alternative="y") == 7
    assert list(iterate_blocking(counted(4), operation="x", alternative="y")) == [0, 1, 2, 3]


@pytest.mark.needs_jspi(reason="blocks on a JavaScript promise from a synchronous test")
@pytest.mark.pyodide_only(reason="waits for a JavaScript promise")
def test_with_jspi_a_javascript_promise_is_waited_for() -> None:
    import js  # type: ignore[import-not-found]

    async def from_js() -> int:
        return int(await js.Promise.resolve(5))

    assert td.capabilities()["jspi"] is True
    assert run_blocking(from_js(), operation="x", alternative="y") == 5


@pytest.mark.no_jspi_only(reason="checks the refusal where Python cannot block on a promise")
def test_without_jspi_the_refusal_names_jspi_and_the_alternative() -> None:
    assert td.capabilities()["jspi"] is False and not can_block()
    coro = answer()
    with pytest.raises(td.CannotBlockError, match=r"(?s)counting.*no JSPI.*use 'await it'"):
        run_blocking(coro, operation="counting", alternative="'await it'")
    assert coro.cr_frame is None
    with pytest.raises(RuntimeError, match="use 'async for x'"):
        iterate_blocking(counted(2), operation="counting", alternative="'async for x'")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" left behind
        gc.collect()


@pytest.mark.no_jspi_only(reason="checks the refusal where Python cannot block on a promise")
def test_without_jspi_a_remote_manifest_read_with_for_asks_for_async_for() -> None:
    ds = ShardedDataset("http://127.0.0.1:9/d/data.shards.json", retries=0)
    with pytest.raises(
        td.CannotBlockError, match=r"(?s)manifest http://127\.0\.0\.1:9/d/data.*async for record"
    ):
        next(iter(ds))


def test_support_run_runs_coroutines_that_wait_only_on_python() -> None:
    async def tasks() -> list[int]:
        got = await asyncio.gather(answer(1), answer(2))
        return [*got, await asyncio.wait_for(answer(3), 5)]

    assert run(tasks()) == [1, 2, 3]
