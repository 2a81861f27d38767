"""W7 timers: 100,000 goroutines each sleep a random 0-100 ms, wait for all.

The delays come from ``random.Random(42).uniform(0, 0.1)`` (Go: ``rand.New(rand.
NewSource(42)).Float64() * 100 ms``, the same distribution), drawn before the clock
starts. Figure: wall time from the first spawn until the last sleeper is done,
minus 100 ms (the longest possible sleep), in ms: the runtime's overhead for
creating, firing and resuming 100,000 timers. Lower is better. Checked: every
sleeper finished, and the wall time is at least the longest delay.

* gort: ``await gort.sleep(d)`` then ``wg.done()``.
* asyncio/uvloop: ``asyncio.sleep(d)`` in ``create_task`` tasks, a countdown latch.
* gevent: ``gevent.sleep(d)`` in spawned greenlets, a countdown latch.
* trio: ``trio.sleep(d)`` in nursery tasks.
* go: ``time.Sleep(d)`` with ``sync.WaitGroup``.
"""

from __future__ import annotations

import random

from bench.common import check, perf, result

ID = "W7"
TITLE = "timers"
UNIT = "ms over 100 ms"
BETTER = "lower"
GO_PROGRAM = "timers"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio")
N = 100_000
SIZE = f"{N:,} sleeps of 0-100 ms"
MAX_DELAY = 0.100


def _delays() -> list[float]:
    rng = random.Random(42)
    return [rng.uniform(0, MAX_DELAY) for _ in range(N)]


def _finish(elapsed: float, finished: int, delays: list[float]) -> dict:
    check(finished == N, f"{finished} sleepers finished, expected {N}")
    longest = max(delays)
    check(
        elapsed >= longest,
        f"all done after {elapsed:.4f} s, before the longest sleep {longest:.4f} s",
    )
    return result((elapsed - MAX_DELAY) * 1e3, UNIT, wall_ms=elapsed * 1e3)


def peer_gort(procs: int) -> dict:
    import gort
    import gort.sync

    delays = _delays()

    async def sleeper(d: float, wg: gort.sync.WaitGroup) -> None:
        await gort.sleep(d)
        wg.done()

    async def main() -> float:
        wg = gort.sync.WaitGroup()
        wg.add(N)
        go = gort.go
        t0 = perf()
        for d in delays:
            go(sleeper, d, wg)
        await wg.wait()
        return perf() - t0

    elapsed = gort.run(main, gomaxprocs=procs)
    return _finish(elapsed, N, delays)  # wg.wait() returns only after N done() calls


async def _aio_main(delays: list[float]) -> float:
    import asyncio

    from bench.prims.aio import AioLatch

    latch = AioLatch(N)
    sleep = asyncio.sleep

    async def sleeper(d: float) -> None:
        await sleep(d)
        latch.done()

    create_task = asyncio.get_running_loop().create_task
    t0 = perf()
    for d in delays:
        create_task(sleeper(d))
    await latch.wait()
    return perf() - t0


def peer_asyncio() -> dict:
    import asyncio

    delays = _delays()
    elapsed = asyncio.run(_aio_main(delays))
    return _finish(elapsed, N, delays)  # the latch opens only after N done() calls


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    delays = _delays()
    elapsed = run_uvloop(lambda: _aio_main(delays))
    return _finish(elapsed, N, delays)


def peer_gevent() -> dict:
    import gevent

    from bench.prims.gev import GLatch

    delays = _delays()
    latch = GLatch(N)
    sleep = gevent.sleep

    def sleeper(d: float) -> None:
        sleep(d)
        latch.done()

    spawn = gevent.spawn
    t0 = perf()
    for d in delays:
        spawn(sleeper, d)
    latch.wait()
    elapsed = perf() - t0
    return _finish(elapsed, N - latch.n, delays)


def peer_trio() -> dict:
    import trio

    delays = _delays()
    finished = 0

    async def sleeper(d: float) -> None:
        nonlocal finished
        await trio.sleep(d)
        finished += 1

    async def main() -> float:
        t0 = perf()
        async with trio.open_nursery() as nursery:
            start_soon = nursery.start_soon
            for d in delays:
                start_soon(sleeper, d)
        return perf() - t0

    elapsed = trio.run(main)
    return _finish(elapsed, finished, delays)
