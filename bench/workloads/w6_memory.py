"""W6 memory: 100,000 goroutines, each parked on a receive from its own channel.

Figure: growth of the process's resident set (VmRSS in /proc/self/status) per
goroutine, in bytes, read after ``gc.collect()`` before the goroutines are made and
again once they are all parked (Go: ``runtime.GC()`` then the same file). Lower is
better. The growth counts the goroutine and its channel (and the list that keeps
the channels alive). Each measurement runs in a fresh process, so arenas freed by
an earlier workload do not hide the growth.

Each goroutine signals that it started just before it parks (gort and go: a
WaitGroup; asyncio/gevent: one yield to the loop runs every new task up to its
first block; trio: ``trio.testing.wait_all_tasks_blocked``); the count of parked
goroutines is checked where the framework can tell it.

Channels as W2: gort.Chan, AioChan (asyncio/uvloop), gevent.queue.Channel,
trio.open_memory_channel(0), Go's chan int.
"""

from __future__ import annotations

from bench.common import check, result, settled_rss

ID = "W6"
TITLE = "memory"
UNIT = "bytes/goroutine"
BETTER = "lower"
GO_PROGRAM = "memory"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio")
N = 100_000
SIZE = f"{N:,} parked goroutines"


def _finish(before: int, after: int, parked: int) -> dict:
    check(parked == N, f"{parked} goroutines parked, expected {N}")
    return result((after - before) / N, UNIT, rss_before=before, rss_after=after)


def peer_gort(procs: int) -> dict:
    import gort
    import gort.sync

    async def parked(ch: gort.Chan, wg: gort.sync.WaitGroup) -> None:
        wg.done()
        await ch.recv()

    async def main() -> tuple[int, int, int]:
        wg = gort.sync.WaitGroup()
        before = settled_rss()
        wg.add(N)
        chans = [gort.Chan() for _ in range(N)]
        for ch in chans:
            gort.go(parked, ch, wg)
        await wg.wait()
        after = settled_rss()
        live = gort.numgoroutine() - 1  # all but main
        return before, after, live

    return _finish(*gort.run(main, gomaxprocs=procs))


async def _aio_main() -> tuple[int, int, int]:
    import asyncio

    from bench.prims.aio import AioChan

    async def parked(ch: AioChan) -> None:
        await ch.recv()

    before = settled_rss()
    chans = [AioChan() for _ in range(N)]
    create_task = asyncio.get_running_loop().create_task
    tasks = [create_task(parked(ch)) for ch in chans]  # asyncio holds tasks weakly
    await asyncio.sleep(0)
    after = settled_rss()
    waiting = sum(1 for ch, t in zip(chans, tasks, strict=True) if ch.recvq and not t.done())
    return before, after, waiting


def peer_asyncio() -> dict:
    import asyncio

    return _finish(*asyncio.run(_aio_main()))


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return _finish(*run_uvloop(_aio_main))


def peer_gevent() -> dict:
    import gevent
    from gevent.queue import Channel

    before = settled_rss()
    chans = [Channel() for _ in range(N)]
    greenlets = [gevent.spawn(ch.get) for ch in chans]
    gevent.sleep(0)
    after = settled_rss()
    waiting = sum(1 for ch in chans if ch.getters)
    del greenlets
    return _finish(before, after, waiting)


def peer_trio() -> dict:
    import trio
    import trio.testing

    async def parked(recv) -> None:  # type: ignore[no-untyped-def]
        await recv.receive()

    async def main() -> tuple[int, int, int]:
        async with trio.open_nursery() as nursery:
            before = settled_rss()
            chans = [trio.open_memory_channel(0) for _ in range(N)]
            for _send, recv in chans:
                nursery.start_soon(parked, recv)
            await trio.testing.wait_all_tasks_blocked()
            after = settled_rss()
            waiting = sum(s.statistics().tasks_waiting_receive for s, _r in chans)
            nursery.cancel_scope.cancel()
        return before, after, waiting

    return _finish(*trio.run(main))
