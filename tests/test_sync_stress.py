"""gort.sync under load: Go's sync tests at Go's sizes, many goroutines on one lock,
foreign OS threads, and a mixed workload repeated 20 times. All marked slow.

Run with ``-m slow`` (or without ``-m``); ``-m "not slow"`` skips them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import gort
from gort.sync import Cond, Mutex, Once, RWMutex, WaitGroup

pytestmark = pytest.mark.slow

PROCS = [1, 2, 4]


@pytest.fixture(params=PROCS, ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def run(main: Callable[..., Any], procs: int = 1) -> Any:
    return gort.run(main, gomaxprocs=procs)


class AtomicInt:
    def __init__(self) -> None:
        self._lk = threading.Lock()
        self.value = 0

    def add(self, d: int) -> int:
        with self._lk:
            self.value += d
            return self.value


@pytest.mark.timeout(120)
def test_mutex_hammer_go_size(procs: int) -> None:
    # Go: TestMutex / HammerMutex at Go's size (10 goroutines x 1000 iterations)
    async def main() -> int:
        m = Mutex()
        inside = AtomicInt()
        total = AtomicInt()
        wg = WaitGroup()

        async def hammer(loops: int) -> None:
            for i in range(loops):
                if i % 3 == 0:
                    if m.try_lock():
                        assert inside.add(1) == 1
                        total.add(1)
                        inside.add(-1)
                        m.unlock()
                    continue
                await m.lock()
                assert inside.add(1) == 1
                total.add(1)
                if i % 5 == 0:
                    await gort.gosched()
                inside.add(-1)
                m.unlock()

        for _ in range(10):
            wg.go(hammer, 1000)
        await wg.wait()
        assert m.try_lock()
        return total.value

    assert run(main, procs) >= 10 * 666


@pytest.mark.timeout(120)
def test_mutex_counter_many_goroutines(procs: int) -> None:
    """200 goroutines x 50 increments with an await between read and write."""

    async def main() -> int:
        m = Mutex()
        counter = [0]
        wg = WaitGroup()

        async def worker() -> None:
            for _ in range(50):
                async with m:
                    v = counter[0]
                    await gort.gosched()
                    counter[0] = v + 1

        for _ in range(200):
            wg.go(worker)
        await wg.wait()
        return counter[0]

    assert run(main, procs) == 200 * 50


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2, 4])
def test_mutex_fairness_go_size(procs: int) -> None:
    # Go: TestMutexFairness at Go's size: the hog relocks for a whole second
    async def main() -> int:
        m = Mutex()
        done = gort.Chan(1)

        async def hog() -> None:
            deadline = gort.time.after(1.0)
            while True:
                idx, _ = await gort.select(deadline.recv, gort.default)
                if idx == 0:
                    return
                await m.lock()
                await gort.sleep(100e-6)
                m.unlock()

        async def polite() -> None:
            for _ in range(10):
                await gort.sleep(100e-6)
                await m.lock()
                m.unlock()
            await done.send(True)

        gort.go(hog)
        gort.go(polite)
        idx, _ = await gort.select(done.recv, gort.time.after(10).recv)
        return int(idx)

    assert run(main, procs) == 0, "can't acquire Mutex in 10 seconds"


@pytest.mark.timeout(120)
def test_mutex_sleepy_critical_sections_all_complete(procs: int) -> None:
    """Many goroutines with a timer sleep inside the critical section: the mutex goes
    in and out of starvation mode; every acquisition is exclusive and all finish."""

    async def main() -> int:
        m = Mutex()
        inside = AtomicInt()
        total = AtomicInt()
        wg = WaitGroup()

        async def worker(i: int) -> None:
            for j in range(20):
                await m.lock()
                assert inside.add(1) == 1
                if (i + j) % 4 == 0:
                    await gort.sleep(200e-6)
                total.add(1)
                inside.add(-1)
                m.unlock()

        for i in range(40):
            wg.go(worker, i)
        await wg.wait()
        return total.value

    assert run(main, procs) == 40 * 20


@pytest.mark.timeout(120)
@pytest.mark.parametrize("readers", [1, 3, 10])
def test_rwmutex_hammer_go_size(procs: int, readers: int) -> None:
    # Go: TestRWMutex / HammerRWMutex with 1000 iterations
    async def main() -> None:
        activity = AtomicInt()
        rwm = RWMutex()
        cdone = gort.Chan(0)
        iterations = 1000

        async def reader() -> None:
            for i in range(iterations):
                await rwm.rlock()
                n = activity.add(1)
                assert 1 <= n < 10000, f"rlock({n})"
                if i % 5 == 0:
                    await gort.gosched()
                activity.add(-1)
                rwm.runlock()
            await cdone.send(True)

        async def writer() -> None:
            for i in range(iterations):
                await rwm.lock()
                n = activity.add(10000)
                assert n == 10000, f"wlock({n})"
                if i % 5 == 0:
                    await gort.gosched()
                activity.add(-10000)
                rwm.unlock()
            await cdone.send(True)

        gort.go(writer)
        i = 0
        while i < readers // 2:
            gort.go(reader)
            i += 1
        gort.go(writer)
        while i < readers:
            gort.go(reader)
            i += 1
        for _ in range(2 + readers):
            await cdone.recv()

    run(main, procs)


@pytest.mark.timeout(60)
def test_waitgroup_race_go_size(procs: int) -> None:
    # Go: TestWaitGroupRace (1000 rounds)
    async def main() -> None:
        for _ in range(1000):
            n = AtomicInt()
            wg = WaitGroup()
            wg.add(2)

            async def inc(n: AtomicInt, wg: WaitGroup) -> None:
                n.add(1)
                wg.done()

            gort.go(inc, n, wg)
            gort.go(inc, n, wg)
            await wg.wait()
            assert n.value == 2, "Spurious wakeup from Wait"

    run(main, procs)


@pytest.mark.timeout(60)
def test_waitgroup_done_from_foreign_threads(procs: int) -> None:
    """OS threads that are not Ms call done(); the waiter is readied from a thread
    without a P (global run queue)."""

    async def main() -> int:
        wg = WaitGroup()
        per_thread, nthreads = 2000, 8
        wg.add(per_thread * nthreads)

        def worker() -> None:
            for _ in range(per_thread):
                wg.done()

        threads = [threading.Thread(target=worker) for _ in range(nthreads)]
        for t in threads:
            t.start()

        # A goroutine joins the threads in a blocking call meanwhile: the runtime's
        # deadlock detection does not know about foreign threads, but it does count
        # blocking calls in flight (as Go counts a thread in a system call).
        async def joiner() -> None:
            for t in threads:
                await gort.blocking(t.join)

        joined = WaitGroup()
        joined.go(joiner)
        await wg.wait()
        await joined.wait()
        return 0

    assert run(main, procs) == 0


@pytest.mark.timeout(120)
def test_cond_broadcast_go_size(procs: int) -> None:
    # Go: TestCondBroadcast with Go's 200 goroutines
    async def main() -> None:
        m = Mutex()
        c = Cond(m)
        n = 200
        running = gort.Chan(n)
        awake = gort.Chan(n)
        exit_ = [False]

        async def waiter(g: int) -> None:
            await m.lock()
            while not exit_[0]:
                await running.send(g)
                await c.wait()
                await awake.send(g)
            m.unlock()

        for i in range(n):
            gort.go(waiter, i)
        for i in range(n):
            for _ in range(n):
                await running.recv()
            if i == n - 1:
                async with m:
                    exit_[0] = True
            idx, _ = await gort.select(awake.recv, gort.default)
            assert idx == 1, "goroutine not asleep"
            async with m:
                c.broadcast()
            seen = [False] * n
            for _ in range(n):
                g = await awake.recv()
                assert not seen[g], "goroutine woke up twice"
                seen[g] = True
        idx, _ = await gort.select(running.recv, gort.default)
        assert idx == 1, "goroutine did not exit"
        c.broadcast()

    run(main, procs)


@pytest.mark.timeout(120)
def test_cond_signal_generations_go_size(procs: int) -> None:
    # Go: TestCondSignalGenerations with Go's 100 goroutines
    async def main() -> None:
        m = Mutex()
        c = Cond(m)
        n = 100
        running = gort.Chan(n)
        awake = gort.Chan(n)

        async def waiter(i: int) -> None:
            await m.lock()
            await running.send(True)
            await c.wait()
            await awake.send(i)
            m.unlock()

        for i in range(n):
            gort.go(waiter, i)
            if i > 0:
                a = await awake.recv()
                assert a == i - 1, f"wrong goroutine woke up: want {i - 1}, got {a}"
            await running.recv()
            async with m:
                c.signal()

    run(main, procs)


@pytest.mark.timeout(120)
def test_cond_signal_stealing_go_size(procs: int) -> None:
    # Go: TestCondSignalStealing (1000 iterations)
    async def main() -> None:
        for _ in range(1000):
            m = Mutex()
            cond = Cond(m)
            ch = gort.Chan(0)
            done = [False]

            async def first(m: Mutex, cond: Cond, ch: gort.Chan[Any]) -> None:
                await m.lock()
                await ch.send(None)
                await cond.wait()
                m.unlock()
                await ch.send(None)

            async def broadcaster(cond: Cond) -> None:
                cond.broadcast()

            async def second(m: Mutex, cond: Cond, done: list[bool]) -> None:
                await m.lock()
                while not done[0]:
                    await cond.wait()
                m.unlock()

            gort.go(first, m, cond, ch)
            await ch.recv()
            await m.lock()
            m.unlock()
            gort.go(broadcaster, cond)
            gort.go(second, m, cond, done)
            idx, _ = await gort.select(ch.recv, gort.time.after(10).recv)
            assert idx == 0, "First waiter didn't get broadcast."
            async with m:
                done[0] = True
            cond.broadcast()

    run(main, procs)


@pytest.mark.timeout(120)
def test_once_many_rounds(procs: int) -> None:
    # Go: TestOnce, 200 rounds of 20 concurrent callers
    async def main() -> None:
        for _ in range(200):
            once = Once()
            calls = AtomicInt()
            wg = WaitGroup()

            async def f(calls: AtomicInt) -> None:
                await gort.gosched()
                calls.add(1)

            async def caller(once: Once, calls: AtomicInt) -> None:
                await once.do(lambda: f(calls))
                assert calls.value == 1

            for _ in range(20):
                wg.go(caller, once, calls)
            await wg.wait()
            assert calls.value == 1

    run(main, procs)


@pytest.mark.timeout(120)
def test_mixed_workload_twenty_runs_in_a_row() -> None:
    """Every primitive at once, GOMAXPROCS 4, 20 fresh runtimes in a row."""

    async def main() -> tuple[int, int]:
        mu = Mutex()
        rw = RWMutex()
        cm = Mutex()
        cond = Cond(cm)
        once = Once()
        wg = WaitGroup()
        counter = [0]
        table: dict[int, int] = {}
        produced: list[int] = []
        inits = AtomicInt()

        async def init() -> None:
            inits.add(1)

        async def incr(i: int) -> None:
            await once.do(init)
            for _ in range(50):
                async with mu:
                    v = counter[0]
                    await gort.gosched()
                    counter[0] = v + 1

        async def writer(i: int) -> None:
            for j in range(30):
                async with rw:
                    table[i * 100 + j] = j
                    await gort.gosched()

        async def reader() -> None:
            for _ in range(60):
                async with rw.rlocker():
                    n = len(table)
                    await gort.gosched()
                    assert len(table) == n  # no writer while we read

        async def producer(i: int) -> None:
            for j in range(20):
                async with cm:
                    produced.append(i * 100 + j)
                    cond.signal()

        consumed: list[int] = []

        async def consumer(total: int) -> None:
            await cm.lock()
            while len(consumed) < total:
                while not produced:
                    await cond.wait()
                consumed.append(produced.pop())
            cm.unlock()

        for i in range(8):
            wg.go(incr, i)
            wg.go(writer, i)
            wg.go(reader)
            wg.go(producer, i)
        wg.go(consumer, 8 * 20)
        await wg.wait()
        assert inits.value == 1
        assert len(table) == 8 * 30
        assert sorted(consumed) == sorted(i * 100 + j for i in range(8) for j in range(20))
        return counter[0], len(consumed)

    for _ in range(20):
        assert run(main, 4) == (8 * 50, 160)
