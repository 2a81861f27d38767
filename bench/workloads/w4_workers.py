"""W4 workers: producer -> 8 workers -> collector over buffered channels.

One producer sends 0 .. 199,999 into a channel of capacity 100; 8 workers square
each value into a results channel of capacity 100; one collector (main) sums them.
Figure: ns per item, from start to the last result. Checked: the count and the sum
(sum of i*i for i < N = (N-1)N(2N-1)/6).

* gort and go close the channels (``async for`` / ``range``; a WaitGroup closes the
  results channel when the workers are done), as a Go programmer writes it.
* The other peers have no close on their queues, so the producer sends one
  end-marker (``None``) per worker and the collector counts the workers' markers:
  asyncio/uvloop ``asyncio.Queue(100)``, gevent ``gevent.queue.Queue(100)``, trio
  ``trio.open_memory_channel(100)``, threads ``queue.Queue(100)`` with 8 OS threads.
"""

from __future__ import annotations

from bench.common import check, perf, result

ID = "W4"
TITLE = "workers"
UNIT = "ns/item"
BETTER = "lower"
GO_PROGRAM = "workers"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio", "threads")
N = 200_000
WORKERS = 8
CAP = 100
SIZE = f"{N:,} items, {WORKERS} workers, capacity {CAP}"
EXPECTED = (N - 1) * N * (2 * N - 1) // 6


def _finish(elapsed: float, total: int, count: int) -> dict:
    check(count == N, f"collected {count} results, expected {N}")
    check(total == EXPECTED, f"sum {total}, expected {EXPECTED}")
    return result(elapsed / N * 1e9, UNIT)


def peer_gort(procs: int) -> dict:
    import gort
    import gort.sync

    async def producer(jobs: gort.Chan) -> None:
        for i in range(N):
            await jobs.send(i)
        jobs.close()

    async def worker(jobs: gort.Chan, results: gort.Chan, wg: gort.sync.WaitGroup) -> None:
        async for i in jobs:
            await results.send(i * i)
        wg.done()

    async def closer(results: gort.Chan, wg: gort.sync.WaitGroup) -> None:
        await wg.wait()
        results.close()

    async def main() -> tuple[float, int, int]:
        t0 = perf()
        jobs, results = gort.Chan(CAP), gort.Chan(CAP)
        wg = gort.sync.WaitGroup()
        wg.add(WORKERS)
        gort.go(producer, jobs)
        for _ in range(WORKERS):
            gort.go(worker, jobs, results, wg)
        gort.go(closer, results, wg)
        total = count = 0
        async for v in results:
            total += v
            count += 1
        return perf() - t0, total, count

    return _finish(*gort.run(main, gomaxprocs=procs))


async def _aio_main() -> tuple[float, int, int]:
    import asyncio

    async def producer(jobs: asyncio.Queue) -> None:
        for i in range(N):
            await jobs.put(i)
        for _ in range(WORKERS):
            await jobs.put(None)

    async def worker(jobs: asyncio.Queue, results: asyncio.Queue) -> None:
        while (i := await jobs.get()) is not None:
            await results.put(i * i)
        await results.put(None)

    t0 = perf()
    jobs: asyncio.Queue = asyncio.Queue(CAP)
    results: asyncio.Queue = asyncio.Queue(CAP)
    tasks = [asyncio.create_task(producer(jobs))]
    tasks += [asyncio.create_task(worker(jobs, results)) for _ in range(WORKERS)]
    total = count = 0
    running = WORKERS
    while running:
        v = await results.get()
        if v is None:
            running -= 1
        else:
            total += v
            count += 1
    elapsed = perf() - t0
    await asyncio.gather(*tasks)
    return elapsed, total, count


def peer_asyncio() -> dict:
    import asyncio

    return _finish(*asyncio.run(_aio_main()))


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return _finish(*run_uvloop(_aio_main))


def peer_gevent() -> dict:
    import gevent
    from gevent.queue import Queue

    def producer(jobs: Queue) -> None:
        for i in range(N):
            jobs.put(i)
        for _ in range(WORKERS):
            jobs.put(None)

    def worker(jobs: Queue, results: Queue) -> None:
        while (i := jobs.get()) is not None:
            results.put(i * i)
        results.put(None)

    t0 = perf()
    jobs, results = Queue(CAP), Queue(CAP)
    greenlets = [gevent.spawn(producer, jobs)]
    greenlets += [gevent.spawn(worker, jobs, results) for _ in range(WORKERS)]
    total = count = 0
    running = WORKERS
    while running:
        v = results.get()
        if v is None:
            running -= 1
        else:
            total += v
            count += 1
    elapsed = perf() - t0
    gevent.joinall(greenlets, raise_error=True)
    return _finish(elapsed, total, count)


def peer_trio() -> dict:
    import trio

    async def producer(jobs) -> None:  # type: ignore[no-untyped-def]
        for i in range(N):
            await jobs.send(i)
        for _ in range(WORKERS):
            await jobs.send(None)

    async def worker(jobs, results) -> None:  # type: ignore[no-untyped-def]
        while (i := await jobs.receive()) is not None:
            await results.send(i * i)
        await results.send(None)

    async def main() -> tuple[float, int, int]:
        t0 = perf()
        jobs_send, jobs_recv = trio.open_memory_channel(CAP)
        res_send, res_recv = trio.open_memory_channel(CAP)
        total = count = 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(producer, jobs_send)
            for _ in range(WORKERS):
                nursery.start_soon(worker, jobs_recv, res_send)
            running = WORKERS
            while running:
                v = await res_recv.receive()
                if v is None:
                    running -= 1
                else:
                    total += v
                    count += 1
            elapsed = perf() - t0
        return elapsed, total, count

    return _finish(*trio.run(main))


def peer_threads() -> dict:
    import queue
    import threading

    def producer(jobs: queue.Queue) -> None:
        for i in range(N):
            jobs.put(i)
        for _ in range(WORKERS):
            jobs.put(None)

    def worker(jobs: queue.Queue, results: queue.Queue) -> None:
        while (i := jobs.get()) is not None:
            results.put(i * i)
        results.put(None)

    t0 = perf()
    jobs: queue.Queue = queue.Queue(CAP)
    results: queue.Queue = queue.Queue(CAP)
    threads = [threading.Thread(target=producer, args=(jobs,), daemon=True)]
    threads += [
        threading.Thread(target=worker, args=(jobs, results), daemon=True) for _ in range(WORKERS)
    ]
    for t in threads:
        t.start()
    total = count = 0
    running = WORKERS
    while running:
        v = results.get()
        if v is None:
            running -= 1
        else:
            total += v
            count += 1
    elapsed = perf() - t0
    for t in threads:
        t.join()
    return _finish(elapsed, total, count)
