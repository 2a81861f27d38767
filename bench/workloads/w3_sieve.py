"""W3 sieve: Go's concurrent prime sieve, the first 1,000 primes.

A generator goroutine sends 2, 3, 4, ... on an unbuffered channel; for each prime
found, main starts a filter goroutine between the last channel and a new one
(about 1,000 goroutines and 1,000 channels at the end). Figure: ms in total, from
the first channel to the 1,000th prime. Checked: the 1,000th prime is 7919 and the
first 1,000 primes add up to 3,682,913.

Channels: as W2 (gort.Chan, AioChan for asyncio/uvloop, gevent.queue.Channel,
trio.open_memory_channel(0), Go's chan int). No threads peer (1,000 OS threads
passing one value at a time measures nothing useful).
"""

from __future__ import annotations

from bench.common import check, perf, result

ID = "W3"
TITLE = "sieve"
UNIT = "ms"
BETTER = "lower"
GO_PROGRAM = "sieve"
PEERS = ("gort", "go", "asyncio", "uvloop", "gevent", "trio")
NPRIMES = 1_000
SIZE = f"first {NPRIMES:,} primes"
LAST_PRIME = 7919
PRIME_SUM = 3_682_913


def _finish(elapsed: float, last: int, total: int) -> dict:
    check(last == LAST_PRIME, f"prime #{NPRIMES} is {last}, expected {LAST_PRIME}")
    check(total == PRIME_SUM, f"sum of primes {total}, expected {PRIME_SUM}")
    return result(elapsed * 1e3, UNIT, last_prime=last)


def peer_gort(procs: int) -> dict:
    import gort

    async def generate(ch: gort.Chan) -> None:
        i = 2
        while True:
            await ch.send(i)
            i += 1

    async def filter_(src: gort.Chan, dst: gort.Chan, prime: int) -> None:
        while True:
            i = await src.recv()
            if i % prime:
                await dst.send(i)

    async def main() -> tuple[float, int, int]:
        t0 = perf()
        ch = gort.Chan()
        gort.go(generate, ch)
        total = prime = 0
        for _ in range(NPRIMES):
            prime = await ch.recv()
            total += prime
            ch1 = gort.Chan()
            gort.go(filter_, ch, ch1, prime)
            ch = ch1
        return perf() - t0, prime, total

    return _finish(*gort.run(main, gomaxprocs=procs))


async def _aio_main() -> tuple[float, int, int]:
    import asyncio

    from bench.prims.aio import AioChan

    async def generate(ch: AioChan) -> None:
        i = 2
        while True:
            await ch.send(i)
            i += 1

    async def filter_(src: AioChan, dst: AioChan, prime: int) -> None:
        while True:
            i = await src.recv()
            if i % prime:
                await dst.send(i)

    create_task = asyncio.get_running_loop().create_task
    tasks = []  # asyncio keeps only weak references to tasks
    t0 = perf()
    ch = AioChan()
    tasks.append(create_task(generate(ch)))
    total = prime = 0
    for _ in range(NPRIMES):
        prime = await ch.recv()
        total += prime
        ch1 = AioChan()
        tasks.append(create_task(filter_(ch, ch1, prime)))
        ch = ch1
    elapsed = perf() - t0
    for t in tasks:
        t.cancel()
    return elapsed, prime, total


def peer_asyncio() -> dict:
    import asyncio

    return _finish(*asyncio.run(_aio_main()))


def peer_uvloop() -> dict:
    from bench.common import run_uvloop

    return _finish(*run_uvloop(_aio_main))


def peer_gevent() -> dict:
    import gevent
    from gevent.queue import Channel

    def generate(ch: Channel) -> None:
        i = 2
        while True:
            ch.put(i)
            i += 1

    def filter_(src: Channel, dst: Channel, prime: int) -> None:
        while True:
            i = src.get()
            if i % prime:
                dst.put(i)

    greenlets = []
    t0 = perf()
    ch = Channel()
    greenlets.append(gevent.spawn(generate, ch))
    total = prime = 0
    for _ in range(NPRIMES):
        prime = ch.get()
        total += prime
        ch1 = Channel()
        greenlets.append(gevent.spawn(filter_, ch, ch1, prime))
        ch = ch1
    elapsed = perf() - t0
    gevent.killall(greenlets)
    return _finish(elapsed, prime, total)


def peer_trio() -> dict:
    import trio

    async def generate(out) -> None:  # type: ignore[no-untyped-def]
        i = 2
        while True:
            await out.send(i)
            i += 1

    async def filter_(src, dst, prime: int) -> None:  # type: ignore[no-untyped-def]
        while True:
            i = await src.receive()
            if i % prime:
                await dst.send(i)

    async def main() -> tuple[float, int, int]:
        async with trio.open_nursery() as nursery:
            t0 = perf()
            send, recv = trio.open_memory_channel(0)
            nursery.start_soon(generate, send)
            total = prime = 0
            for _ in range(NPRIMES):
                prime = await recv.receive()
                total += prime
                send1, recv1 = trio.open_memory_channel(0)
                nursery.start_soon(filter_, recv, send1, prime)
                recv = recv1
            elapsed = perf() - t0
            nursery.cancel_scope.cancel()
        return elapsed, prime, total

    return _finish(*trio.run(main))
