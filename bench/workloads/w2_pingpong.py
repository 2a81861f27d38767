"""W2 ping-pong: two goroutines bounce a value over two unbuffered channels.

100,000 round trips; figure: ns per round trip. The main goroutine sends ``i`` on
channel ``a``; the other receives it and sends ``i + 1`` back on channel ``b``. The
sum of the replies is checked.

Channels used by each peer (the closest fair equivalent of Go's unbuffered channel):

* gort: ``gort.Chan()`` (unbuffered).
* asyncio / uvloop: ``bench.prims.aio.AioChan``, a rendezvous built on futures (a send
  completes only when a receiver has taken the value). asyncio has no unbuffered
  channel of its own; ``asyncio.Queue(1)`` would be a one-slot buffer.
* gevent: ``gevent.queue.Channel`` (gevent's own unbuffered channel).
* trio: ``trio.open_memory_channel(0)`` (trio's own unbuffered channel).
* threads: two OS threads over ``bench.prims.thr.ThreadChan`` (the same rendezvous
  on locks).
* go: ``make(chan int)``.
"""

from __future__ import annotations

from bench.common import check, perf, result

ID = "W2"
TITLE = "ping-pong"
UNIT = "ns/round trip"
BETTER = "lower"
GO_PROGRAM = "pingpong"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio", "threads")
N = 100_000
SIZE = f"{N:,} round trips"
EXPECTED = N * (N - 1) // 2 + N  # sum of i + 1 for i in range(N)


def _finish(elapsed: float, total: int) -> dict:
    check(total == EXPECTED, f"sum of replies {total}, expected {EXPECTED}")
    return result(elapsed / N * 1e9, UNIT)


def peer_gort(procs: int) -> dict:
    import gort

    async def pong(a: gort.Chan, b: gort.Chan) -> None:
        for _ in range(N):
            v = await a.recv()
            await b.send(v + 1)

    async def main() -> tuple[float, int]:
        a, b = gort.Chan(), gort.Chan()
        gort.go(pong, a, b)
        total = 0
        t0 = perf()
        for i in range(N):
            await a.send(i)
            total += await b.recv()
        return perf() - t0, total

    return _finish(*gort.run(main, gomaxprocs=procs))


async def _aio_main() -> tuple[float, int]:
    import asyncio

    from bench.prims.aio import AioChan

    async def pong(a: AioChan, b: AioChan) -> None:
        for _ in range(N):
            v = await a.recv()
            await b.send(v + 1)

    a, b = AioChan(), AioChan()
    task = asyncio.get_running_loop().create_task(pong(a, b))
    total = 0
    t0 = perf()
    for i in range(N):
        await a.send(i)
        total += await b.recv()
    elapsed = perf() - t0
    await task
    return elapsed, total


def peer_asyncio() -> dict:
    import asyncio

    return _finish(*asyncio.run(_aio_main()))


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return _finish(*run_uvloop(_aio_main))


def peer_gevent() -> dict:
    import gevent
    from gevent.queue import Channel

    def pong(a: Channel, b: Channel) -> None:
        for _ in range(N):
            v = a.get()
            b.put(v + 1)

    a, b = Channel(), Channel()
    g = gevent.spawn(pong, a, b)
    total = 0
    t0 = perf()
    for i in range(N):
        a.put(i)
        total += b.get()
    elapsed = perf() - t0
    g.join()
    return _finish(elapsed, total)


def peer_trio() -> dict:
    import trio

    async def pong(a_recv, b_send) -> None:  # type: ignore[no-untyped-def]
        for _ in range(N):
            v = await a_recv.receive()
            await b_send.send(v + 1)

    async def main() -> tuple[float, int]:
        a_send, a_recv = trio.open_memory_channel(0)
        b_send, b_recv = trio.open_memory_channel(0)
        total = 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(pong, a_recv, b_send)
            t0 = perf()
            for i in range(N):
                await a_send.send(i)
                total += await b_recv.receive()
            elapsed = perf() - t0
        return elapsed, total

    return _finish(*trio.run(main))


def peer_threads() -> dict:
    import threading

    from bench.prims.thr import ThreadChan

    def pong(a: ThreadChan, b: ThreadChan) -> None:
        for _ in range(N):
            v = a.recv()
            b.send(v + 1)

    a, b = ThreadChan(), ThreadChan()
    t = threading.Thread(target=pong, args=(a, b), daemon=True)
    t.start()
    total = 0
    t0 = perf()
    for i in range(N):
        a.send(i)
        total += b.recv()
    elapsed = perf() - t0
    t.join()
    return _finish(elapsed, total)
