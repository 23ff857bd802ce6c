"""RealTimeDataset: bounded push-fed stream read with for / async for / a DataLoader."""

from __future__ import annotations

import asyncio
import pickle
import threading

import pytest
from support import run

import torsh_data as td
from torsh_data.datasets import RealTimeDataset


def test_try_put_is_bounded_and_counts_drops() -> None:
    feed = RealTimeDataset(maxsize=3)
    assert [feed.try_put(i) for i in range(5)] == [True, True, True, False, False]
    assert (feed.put_count, feed.dropped, feed.qsize()) == (3, 2, 3)
    feed.close()
    assert list(feed) == [0, 1, 2]
    assert feed.taken == 3 and list(feed) == []


def test_fifo_order_through_a_loader() -> None:
    feed = RealTimeDataset(maxsize=10)
    for i in range(7):
        feed.put(i)
    feed.close()
    assert [b.tolist() for b in td.DataLoader(feed, batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_async_producer_and_consumer_interleave() -> None:
    async def main() -> tuple[list[int], int]:
        feed = RealTimeDataset(maxsize=2)
        peak = 0

        async def produce() -> None:
            nonlocal peak
            for i in range(20):
                await feed.aput(i)
                peak = max(peak, feed.qsize())
            feed.close()

        task = asyncio.ensure_future(produce())
        got = [x async for x in feed]
        await task
        return got, peak

    got, peak = run(main())
    assert got == list(range(20))
    assert peak <= 2  # the bound held while the producer outran the consumer


def test_async_loader_over_a_feed() -> None:
    async def main() -> list[list[int]]:
        feed = RealTimeDataset(maxsize=4)

        async def produce() -> None:
            for i in range(9):
                await feed.aput(i)
                await asyncio.sleep(0)
            feed.close()

        task = asyncio.ensure_future(produce())
        out = [b.tolist() async for b in td.DataLoader(feed, batch_size=4)]
        await task
        return out

    assert run(main()) == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]


def test_async_wait_times_out() -> None:
    async def main() -> None:
        async for _ in RealTimeDataset(timeout=0.05):
            pass

    with pytest.raises(td.SourceError, match=r"received nothing|stayed empty"):
        run(main())


@pytest.mark.native_only(reason="a producer thread")
def test_thread_producer_feeds_a_blocking_reader() -> None:
    feed = RealTimeDataset(maxsize=2, timeout=10)

    def produce() -> None:
        for i in range(50):
            feed.put(i)
        feed.close()

    t = threading.Thread(target=produce)
    t.start()
    assert list(feed) == list(range(50))
    t.join(10)
    assert not t.is_alive()


@pytest.mark.native_only(reason="waiting needs another thread; Pyodide raises at once")
def test_blocking_waits_time_out() -> None:
    with pytest.raises(td.SourceError, match=r"received nothing for 0\.05 s"):
        list(RealTimeDataset(timeout=0.05))
    feed = RealTimeDataset(maxsize=1)
    feed.put(1)
    with pytest.raises(td.SourceError, match="stayed full"):
        feed.put(2, timeout=0.05)


@pytest.mark.pyodide_only(reason="no threads: a blocking read must fail, not hang")
def test_blocking_read_in_pyodide_says_use_async_for() -> None:
    with pytest.raises(td.SourceError, match="async for"):
        list(RealTimeDataset())
    feed = RealTimeDataset(maxsize=1)
    feed.put(1)
    with pytest.raises(td.SourceError, match="aput"):
        feed.put(2)


@pytest.mark.needs_jspi(reason="waits for JavaScript timers from a synchronous test")
@pytest.mark.pyodide_only(reason="JavaScript timers are the producer")
def test_javascript_callbacks_feed_an_async_reader() -> None:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

    async def main() -> tuple[list[int], list[int]]:
        feed = RealTimeDataset(maxsize=3, timeout=10)
        sent: list[int] = []

        def tick(*_: object) -> None:
            if len(sent) == 12:
                feed.close()
                return
            if feed.try_put(len(sent)):
                sent.append(len(sent))
            js.setTimeout(proxy, 1)

        proxy = create_proxy(tick)
        js.setTimeout(proxy, 0)
        got = [b.tolist() async for b in td.DataLoader(feed, batch_size=5)]
        proxy.destroy()
        return got, sent

    got, sent = run(main())
    assert sent == list(range(12))
    assert got == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


def test_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="maxsize"):
        RealTimeDataset(maxsize=0)
    with pytest.raises(td.DataValueError, match="timeout"):
        RealTimeDataset(timeout=-1)
    feed = RealTimeDataset()
    feed.close()
    with pytest.raises(td.DataValueError, match="closed"):
        feed.try_put(1)
    with pytest.raises(td.DataTypeError, match="no length"):
        len(feed)
    with pytest.raises(td.DataTypeError, match="num_workers=0"):
        pickle.dumps(feed)
