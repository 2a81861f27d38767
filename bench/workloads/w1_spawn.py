"""W1 spawn: start 100,000 goroutines that each do one trivial operation, wait for all.

Figure: ns per goroutine, from the first spawn to the moment the waiter wakes
(runtime start-up and tear-down are outside the timed region).

* gort: ``gort.go(wg.done)`` (a plain-callable goroutine) with ``gort.sync.WaitGroup``.
* asyncio / uvloop: ``loop.create_task`` of a coroutine that counts down a latch
  (a counter plus a future set when it reaches 0).
* gevent: ``gevent.spawn(latch.done)`` with the same latch on ``gevent.event.Event``.
* trio: ``nursery.start_soon`` (trio needs an async function), waited by the nursery;
  each task bumps a counter, checked afterwards.
* go: ``go wg.Done()`` with ``sync.WaitGroup``.
"""

from __future__ import annotations

from bench.common import check, perf, result

ID = "W1"
TITLE = "spawn"
UNIT = "ns/goroutine"
BETTER = "lower"
GO_PROGRAM = "spawn"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio")
N = 100_000
SIZE = f"{N:,} goroutines"


def peer_gort(procs: int) -> dict:
    import gort
    import gort.sync

    async def main() -> float:
        wg = gort.sync.WaitGroup()
        wg.add(N)
        go = gort.go
        done = wg.done
        t0 = perf()
        for _ in range(N):
            go(done)
        await wg.wait()
        return perf() - t0

    elapsed = gort.run(main, gomaxprocs=procs)
    return result(elapsed / N * 1e9, UNIT)


async def _aio_main() -> float:
    import asyncio

    from bench.prims.aio import AioLatch

    latch = AioLatch(N)
    done = latch.done

    async def worker() -> None:
        done()

    create_task = asyncio.get_running_loop().create_task
    t0 = perf()
    for _ in range(N):
        create_task(worker())
    await latch.wait()
    elapsed = perf() - t0
    check(latch.n == 0, f"latch at {latch.n}, expected 0")
    return elapsed


def peer_asyncio() -> dict:
    import asyncio

    return result(asyncio.run(_aio_main()) / N * 1e9, UNIT)


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return result(run_uvloop(_aio_main) / N * 1e9, UNIT)


def peer_gevent() -> dict:
    import gevent

    from bench.prims.gev import GLatch

    latch = GLatch(N)
    spawn = gevent.spawn
    done = latch.done
    t0 = perf()
    for _ in range(N):
        spawn(done)
    latch.wait()
    elapsed = perf() - t0
    check(latch.n == 0, f"latch at {latch.n}, expected 0")
    return result(elapsed / N * 1e9, UNIT)


def peer_trio() -> dict:
    import trio

    count = 0

    async def worker() -> None:
        nonlocal count
        count += 1

    async def main() -> float:
        t0 = perf()
        async with trio.open_nursery() as nursery:
            start_soon = nursery.start_soon
            for _ in range(N):
                start_soon(worker)
        return perf() - t0

    elapsed = trio.run(main)
    check(count == N, f"{count} tasks ran, expected {N}")
    return result(elapsed / N * 1e9, UNIT)
