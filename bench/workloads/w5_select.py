"""W5 select: one goroutine receives 100,000 values from whichever of two channels is ready.

Two producers each send 50,000 values on their own unbuffered channel (channel 0
sends 0 .. 49,999, channel 1 sends 50,000 .. 99,999); main runs 100,000 selects
over the two receives. Figure: ns per select. Checked: every value arrives once,
each on the case of the channel it was sent on (per-case counts and sums).

* gort: ``await gort.select(a.recv, b.recv)``; go: ``select { case v := <-a: … }``.
* No Python peer has a select over channels, so each uses the same small Go-style
  channel + select written against its own park/unpark primitive (``bench.prims``:
  poll the cases in random order, else enqueue one waiter on both channels, and
  dequeue it from the loser once a sender fired it): asyncio/uvloop on futures,
  gevent on ``gevent.hub.Waiter``, trio on ``trio.lowlevel``, threads on locks
  (three OS threads).
"""

from __future__ import annotations

from bench.common import check, perf, result

ID = "W5"
TITLE = "select"
UNIT = "ns/select"
BETTER = "lower"
GO_PROGRAM = "select"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio", "threads")
N = 100_000
HALF = N // 2
SIZE = f"{N:,} selects over 2 channels"
SUMS = [sum(range(0, HALF)), sum(range(HALF, N))]


def _finish(elapsed: float, counts: list[int], sums: list[int]) -> dict:
    check(counts == [HALF, HALF], f"per-case counts {counts}, expected {[HALF, HALF]}")
    check(sums == SUMS, f"per-case sums {sums}, expected {SUMS}")
    return result(elapsed / N * 1e9, UNIT)


def peer_gort(procs: int) -> dict:
    import gort

    async def producer(ch: gort.Chan, lo: int, hi: int) -> None:
        for v in range(lo, hi):
            await ch.send(v)

    async def main() -> tuple[float, list[int], list[int]]:
        a, b = gort.Chan(), gort.Chan()
        gort.go(producer, a, 0, HALF)
        gort.go(producer, b, HALF, N)
        select, ra, rb = gort.select, a.recv, b.recv
        counts, sums = [0, 0], [0, 0]
        t0 = perf()
        for _ in range(N):
            i, v = await select(ra, rb)
            counts[i] += 1
            sums[i] += v
        return perf() - t0, counts, sums

    return _finish(*gort.run(main, gomaxprocs=procs))


async def _aio_main() -> tuple[float, list[int], list[int]]:
    import asyncio

    from bench.prims.aio import AioChan, aio_select

    async def producer(ch: AioChan, lo: int, hi: int) -> None:
        for v in range(lo, hi):
            await ch.send(v)

    a, b = AioChan(), AioChan()
    tasks = [asyncio.create_task(producer(a, 0, HALF)), asyncio.create_task(producer(b, HALF, N))]
    counts, sums = [0, 0], [0, 0]
    t0 = perf()
    for _ in range(N):
        i, v = await aio_select(a, b)
        counts[i] += 1
        sums[i] += v
    elapsed = perf() - t0
    await asyncio.gather(*tasks)
    return elapsed, counts, sums


def peer_asyncio() -> dict:
    import asyncio

    return _finish(*asyncio.run(_aio_main()))


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return _finish(*run_uvloop(_aio_main))


def peer_gevent() -> dict:
    import gevent

    from bench.prims.gev import GChan, g_select

    def producer(ch: GChan, lo: int, hi: int) -> None:
        for v in range(lo, hi):
            ch.send(v)

    a, b = GChan(), GChan()
    greenlets = [gevent.spawn(producer, a, 0, HALF), gevent.spawn(producer, b, HALF, N)]
    counts, sums = [0, 0], [0, 0]
    t0 = perf()
    for _ in range(N):
        i, v = g_select(a, b)
        counts[i] += 1
        sums[i] += v
    elapsed = perf() - t0
    gevent.joinall(greenlets, raise_error=True)
    return _finish(elapsed, counts, sums)


def peer_trio() -> dict:
    import trio

    from bench.prims.tri import TrioChan, trio_select

    async def producer(ch: TrioChan, lo: int, hi: int) -> None:
        for v in range(lo, hi):
            await ch.send(v)

    async def main() -> tuple[float, list[int], list[int]]:
        a, b = TrioChan(), TrioChan()
        counts, sums = [0, 0], [0, 0]
        async with trio.open_nursery() as nursery:
            nursery.start_soon(producer, a, 0, HALF)
            nursery.start_soon(producer, b, HALF, N)
            t0 = perf()
            for _ in range(N):
                i, v = await trio_select(a, b)
                counts[i] += 1
                sums[i] += v
            elapsed = perf() - t0
        return elapsed, counts, sums

    return _finish(*trio.run(main))


def peer_threads() -> dict:
    import threading

    from bench.prims.thr import ThreadChan, thread_select

    def producer(ch: ThreadChan, lo: int, hi: int) -> None:
        for v in range(lo, hi):
            ch.send(v)

    a, b = ThreadChan(), ThreadChan()
    threads = [
        threading.Thread(target=producer, args=(a, 0, HALF), daemon=True),
        threading.Thread(target=producer, args=(b, HALF, N), daemon=True),
    ]
    for t in threads:
        t.start()
    counts, sums = [0, 0], [0, 0]
    t0 = perf()
    for _ in range(N):
        i, v = thread_select(a, b)
        counts[i] += 1
        sums[i] += v
    elapsed = perf() - t0
    for t in threads:
        t.join()
    return _finish(elapsed, counts, sums)
