"""gort.sync and its semaphore layer: every behaviour and message of contract section 4
(``gort.sync``) and issue 4 (sync part), and ports of Go's ``sync`` tests.

Ports name the Go test they come from (``sync/mutex_test.go``, ``rwmutex_test.go``,
``waitgroup_test.go``, ``once_test.go``, ``cond_test.go``); they are written from what
the Go test checks, not translated line by line.

Synchronisation is by channels and by ``gort.runtime.sched_snapshot()``: a test that
needs "goroutine X is now blocked on the mutex" polls the snapshot (yielding with
``gosched`` between polls) until X is ``_Gwaiting`` with that wait reason; no test
sleeps and hopes. The only deliberate waits are busy-waits that make a waiter *old*
(the 1 ms starvation threshold), which synchronise nothing.

Slow variants (more goroutines, more rounds, 20 runs in a row) are in
``test_sync_stress.py``.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import gort
from gort import sync
from gort._runtime import sema as _sema
from gort.runtime import SchedSnapshot, sched_snapshot
from gort.sync import Cond, Mutex, Once, RWMutex, WaitGroup

PROCS = [1, 2, 4]
WAIT_LIMIT = 20.0  # seconds a wait_until may poll before it fails the test

MUTEX = "sync.Mutex.Lock"
RLOCK = "sync.RWMutex.RLock"
WLOCK = "sync.RWMutex.Lock"
WGWAIT = "sync.WaitGroup.Wait"
CONDWAIT = "sync.Cond.Wait"


@pytest.fixture(params=PROCS, ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def run(main: Callable[..., Any], procs: int = 1) -> Any:
    return gort.run(main, gomaxprocs=procs)


# ------------------------------------------------------------------------- helpers


async def wait_until(pred: Callable[[SchedSnapshot], bool], what: str) -> SchedSnapshot:
    """Poll the scheduler snapshot until ``pred`` holds (yielding between polls)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        snap = sched_snapshot()
        if pred(snap):
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}; goroutines: {snap.goroutines}")
        await gort.gosched()


def g_state(snap: SchedSnapshot, goid: int) -> tuple[str, str] | None:
    for g in snap.goroutines:
        if g.goid == goid:
            return g.status, g.wait_reason
    return None


async def wait_blocked(goid: int, reason: str) -> SchedSnapshot:
    """Wait until goroutine ``goid`` is parked (``_Gwaiting``) with wait reason ``reason``."""
    return await wait_until(
        lambda s: g_state(s, goid) == ("_Gwaiting", reason),
        f"goroutine {goid} is blocked in [{reason}]",
    )


async def spawn(fn: Callable[..., Awaitable[Any]], *args: Any) -> int:
    """``go fn(*args)`` and return the new goroutine's id (it reports it first)."""
    ids: gort.Chan[int] = gort.Chan(1)

    async def body() -> None:
        await ids.send(gort.runtime.goid())
        await fn(*args)

    gort.go(body)
    goid = await ids.recv()
    assert isinstance(goid, int)
    return goid


HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]:$", re.MULTILINE)


def stack_headers() -> dict[int, str]:
    """goid -> bracketed status of every goroutine in ``gort.runtime.stack(all=True)``."""
    return {int(g): st for g, st in HEADER.findall(gort.runtime.stack(all=True))}


def age(seconds: float = 0.003) -> None:
    """Busy-wait so that goroutines already waiting become older than the 1 ms
    starvation threshold. It synchronises nothing (nobody else runs on this P)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


class AtomicInt:
    """A counter that several Ms may update at once (Go's atomic.Int32 in the ports)."""

    def __init__(self) -> None:
        self._lk = threading.Lock()
        self.value = 0

    def add(self, d: int) -> int:
        with self._lk:
            self.value += d
            return self.value


def raises_exactly(exc_type: type[BaseException], msg: str, main: Callable[..., Any],
                   procs: int = 1) -> BaseException:
    """Run ``main``; it must raise exactly ``exc_type`` (not a subclass) with message ``msg``."""
    with pytest.raises(exc_type) as ei:
        run(main, procs)
    assert type(ei.value) is exc_type, repr(ei.value)
    assert str(ei.value) == msg
    return ei.value


# ------------------------------------------------------------------------- package surface


def test_public_surface() -> None:
    assert gort.sync is sync
    assert sorted(sync.__all__) == ["Cond", "Locker", "Mutex", "Once", "RWMutex", "WaitGroup"]
    for name in sync.__all__:
        assert hasattr(sync, name)


def test_constants_are_gos() -> None:
    assert (sync.mutexLocked, sync.mutexWoken, sync.mutexStarving) == (1, 2, 4)
    assert sync.mutexWaiterShift == 3
    assert sync.starvationThresholdNs == 1_000_000
    assert sync.rwmutexMaxReaders == 1 << 30


# ------------------------------------------------------------------------- fast paths


def _drive_without_scheduler(coro: Any) -> tuple[bool, Any]:
    """Step ``coro`` once by hand. Returns (True, result) if it finished without yielding,
    (False, trap) if it yielded to the scheduler (it is then closed)."""
    try:
        trap = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    coro.close()
    return False, trap


def test_uncontended_operations_do_not_yield() -> None:
    """Contract section 4: an uncontended lock completes without yielding to the
    scheduler. The operations run in a coroutine driven by hand inside a goroutine: any
    yield would come back out of ``send`` instead of the coroutine finishing. The
    control at the end shows that a yield is caught."""

    async def ops() -> str:
        mu, rw, wg, once = Mutex(), RWMutex(), WaitGroup(), Once()
        cond = Cond(mu)
        for _ in range(50):
            await mu.lock()
            mu.unlock()
            async with mu:
                pass
            assert mu.try_lock()
            mu.unlock()
            await rw.rlock()
            await rw.rlock()
            rw.runlock()
            rw.runlock()
            await rw.lock()
            rw.unlock()
            async with rw:
                pass
            async with rw.rlocker():
                pass
            assert rw.try_lock()
            rw.unlock()
            assert rw.try_rlock()
            rw.runlock()
            wg.add(2)
            wg.done()
            wg.done()
            await wg.wait()
            await once.do(lambda: None)
            cond.signal()
            cond.broadcast()
        return "finished"

    async def control() -> str:
        await gort.gosched()
        return "unreachable"

    async def main() -> tuple[tuple[bool, Any], tuple[bool, Any]]:
        return _drive_without_scheduler(ops()), _drive_without_scheduler(control())

    for procs in (1, 2):
        done, trap = run(main, procs)
        assert done == (True, "finished")
        assert trap[0] is False and trap[1] is not None


def test_sync_works_outside_a_runtime_until_it_would_block() -> None:
    """Non-blocking operations need no goroutine; one that would block refuses with
    RuntimeError and leaves the object as it was."""
    mu = Mutex()
    assert mu.try_lock()
    g = mu.lock()
    with pytest.raises(RuntimeError, match="would block outside a goroutine"):
        g.send(None)
    mu.unlock()
    assert mu.try_lock()
    mu.unlock()

    wg = WaitGroup()
    wg.add(1)
    with pytest.raises(RuntimeError, match="would block outside a goroutine"):
        wg.wait().send(None)
    wg.done()
    with pytest.raises(StopIteration):
        wg.wait().send(None)

    rw = RWMutex()
    assert rw.try_lock()
    with pytest.raises(RuntimeError, match="would block outside a goroutine"):
        rw.rlock().send(None)
    rw.unlock()
    assert rw.try_rlock()
    rw.runlock()


# ------------------------------------------------------------------------- Mutex


def test_mutex_unlock_of_unlocked_mutex_is_fatal() -> None:
    async def main() -> None:
        Mutex().unlock()

    raises_exactly(gort.FatalError, "sync: unlock of unlocked mutex", main)


@pytest.mark.parametrize(
    "case",
    [
        # Go: misuseTests in sync/mutex_test.go (TestMutexMisuse), run in-process here
        "Mutex.Unlock",
        "Mutex.Unlock2",
        "RWMutex.Unlock",
        "RWMutex.Unlock2",
        "RWMutex.Unlock3",
        "RWMutex.RUnlock",
        "RWMutex.RUnlock2",
        "RWMutex.RUnlock3",
    ],
)
def test_misuse_is_fatal(case: str) -> None:
    async def main() -> None:
        mu, rw = Mutex(), RWMutex()
        if case == "Mutex.Unlock":
            mu.unlock()
        elif case == "Mutex.Unlock2":
            await mu.lock()
            mu.unlock()
            mu.unlock()
        elif case == "RWMutex.Unlock":
            rw.unlock()
        elif case == "RWMutex.Unlock2":
            await rw.rlock()
            rw.unlock()
        elif case == "RWMutex.Unlock3":
            await rw.lock()
            rw.unlock()
            rw.unlock()
        elif case == "RWMutex.RUnlock":
            rw.runlock()
        elif case == "RWMutex.RUnlock2":
            await rw.lock()
            rw.runlock()
        elif case == "RWMutex.RUnlock3":
            await rw.rlock()
            rw.runlock()
            rw.runlock()

    msg = {
        "Mutex": "sync: unlock of unlocked mutex",
        "RWMutex.Unlock": "sync: Unlock of unlocked RWMutex",
        "RWMutex.RUnlock": "sync: RUnlock of unlocked RWMutex",
    }
    key = "Mutex" if case.startswith("Mutex") else case.rstrip("23")
    raises_exactly(gort.FatalError, msg[key], main)


def test_misuse_leaves_the_mutex_usable() -> None:
    """A caught FatalError has not corrupted the state word (Go: fatal ends the process)."""

    async def main() -> bool:
        mu = Mutex()
        with pytest.raises(gort.FatalError):
            mu.unlock()
        rw = RWMutex()
        with pytest.raises(gort.FatalError):
            rw.runlock()
        with pytest.raises(gort.FatalError):
            rw.unlock()
        await mu.lock()
        mu.unlock()
        await rw.lock()
        rw.unlock()
        await rw.rlock()
        rw.runlock()
        return mu.try_lock() and rw.try_lock()

    assert run(main) is True


def test_mutex_try_lock() -> None:
    # Go: TestMutex (its TryLock checks)
    async def main() -> None:
        m = Mutex()
        assert m.try_lock(), "TryLock failed with mutex unlocked"
        assert not m.try_lock(), "TryLock succeeded with mutex locked"
        m.unlock()
        assert m.try_lock()
        m.unlock()

        held = gort.Chan(0)
        release = gort.Chan(0)

        async def holder() -> None:
            await m.lock()
            await held.send(None)
            await release.recv()
            m.unlock()

        gort.go(holder)
        await held.recv()
        assert not m.try_lock(), "TryLock succeeded while another goroutine held it"
        await release.send(None)
        await m.lock()
        m.unlock()

    run(main)


@pytest.mark.timeout(60)
def test_mutex_hammer(procs: int) -> None:
    # Go: TestMutex / HammerMutex (10 goroutines; every third acquisition is a TryLock)
    async def main() -> int:
        m = Mutex()
        inside = AtomicInt()
        acquired = AtomicInt()
        wg = WaitGroup()

        async def hammer(loops: int) -> None:
            for i in range(loops):
                if i % 3 == 0:
                    if m.try_lock():
                        assert inside.add(1) == 1
                        acquired.add(1)
                        inside.add(-1)
                        m.unlock()
                    continue
                await m.lock()
                assert inside.add(1) == 1
                acquired.add(1)
                if i % 7 == 0:
                    await gort.gosched()
                inside.add(-1)
                m.unlock()

        for _ in range(10):
            wg.go(hammer, 300)
        await wg.wait()
        assert m.try_lock(), "mutex left locked"
        return acquired.value

    n = run(main, procs)
    assert 10 * 200 <= n <= 10 * 300


@pytest.mark.timeout(60)
def test_mutex_mutual_exclusion_with_await_inside(procs: int) -> None:
    """Many goroutines increment a counter with an await between read and write; the
    mutex makes every increment count. (The control test below shows the same
    workload loses updates without it.)"""

    async def main() -> tuple[int, int]:
        mu = Mutex()
        counter = [0]
        worst = [0]
        inside = AtomicInt()
        wg = WaitGroup()

        async def worker(n: int) -> None:
            for i in range(n):
                if i % 2:
                    await mu.lock()
                    try:
                        worst[0] = max(worst[0], inside.add(1))
                        v = counter[0]
                        await gort.gosched()
                        counter[0] = v + 1
                        inside.add(-1)
                    finally:
                        mu.unlock()
                else:
                    async with mu:
                        worst[0] = max(worst[0], inside.add(1))
                        v = counter[0]
                        await gort.gosched()
                        counter[0] = v + 1
                        inside.add(-1)

        for _ in range(16):
            wg.go(worker, 100)
        await wg.wait()
        return counter[0], worst[0]

    counter, worst = run(main, procs)
    assert worst == 1
    assert counter == 16 * 100


def test_control_the_counter_workload_loses_updates_without_a_mutex() -> None:
    async def main() -> int:
        counter = [0]
        wg = WaitGroup()

        async def worker(n: int) -> None:
            for _ in range(n):
                v = counter[0]
                await gort.gosched()
                counter[0] = v + 1

        for _ in range(16):
            wg.go(worker, 100)
        await wg.wait()
        return counter[0]

    assert run(main, 1) < 16 * 100


def test_mutex_can_be_unlocked_by_another_goroutine() -> None:
    async def main() -> list[str]:
        m = Mutex()
        log: list[str] = []
        await m.lock()

        async def unlocker() -> None:
            log.append("unlock")
            m.unlock()

        gort.go(unlocker)
        await m.lock()  # blocks until the other goroutine unlocks
        log.append("relocked")
        m.unlock()
        return log

    assert run(main) == ["unlock", "relocked"]


def test_mutex_waiters_are_woken_fifo(procs: int) -> None:
    """Waiters queue in arrival order (the semaphore's FIFO) when nobody barges."""

    async def main() -> list[int]:
        m = Mutex()
        order: list[int] = []
        wg = WaitGroup()
        await m.lock()

        async def waiter(i: int) -> None:
            await m.lock()
            order.append(i)
            m.unlock()
            wg.done()

        for i in range(6):
            wg.add(1)
            g = await spawn(waiter, i)
            await wait_blocked(g, MUTEX)
        m.unlock()
        await wg.wait()
        return order

    assert run(main, procs) == list(range(6))


def test_mutex_normal_mode_lets_the_running_goroutine_barge() -> None:
    """Normal mode: unlock wakes a waiter, but the running goroutine may take the mutex
    before the woken one runs."""

    async def main() -> bool:
        m = Mutex()
        got = gort.Chan(1)
        await m.lock()

        async def waiter() -> None:
            await m.lock()
            await got.send(True)
            m.unlock()

        w = await spawn(waiter)
        await wait_blocked(w, MUTEX)
        m.unlock()  # wakes the waiter; it has not run yet (one P)
        barged = m.try_lock()
        m.unlock()
        assert await got.recv() is True
        return barged

    assert run(main, 1) is True


def test_mutex_starvation_mode_hands_off_to_the_old_waiter() -> None:
    """A waiter that waited more than 1 ms switches the mutex to starvation mode: the
    next unlock hands it over, and neither try_lock nor lock can barge in. It goes back
    to normal mode when the last waiter gets it. (Go: TestMutexFairness checks the same
    property by timing; here it is step by step, on one P.)"""

    async def main() -> tuple[bool, list[str], bool]:
        m = Mutex()
        order: list[str] = []
        done = gort.Chan(0)
        await m.lock()

        async def waiter() -> None:
            await m.lock()
            order.append("waiter")
            m.unlock()
            await done.send(None)

        w = await spawn(waiter)
        await wait_blocked(w, MUTEX)
        age()  # the waiter has now waited more than 1 ms
        m.unlock()  # normal mode still: wakes the waiter, which has not run yet
        await m.lock()  # so this goroutine takes the mutex first, without blocking
        assert order == []
        # Let the waiter run: it finds the mutex locked after waiting > 1 ms, switches
        # to starvation mode and queues again at the head.
        await gort.gosched()
        await wait_blocked(w, MUTEX)
        m.unlock()  # starvation mode: the mutex is handed to the waiter
        barged = m.try_lock()
        await m.lock()  # queues behind the waiter
        order.append("main")
        m.unlock()
        await done.recv()
        return barged, order, m.try_lock()

    barged, order, free_again = run(main, 1)
    assert barged is False, "try_lock took a mutex that was handed to a starving waiter"
    assert order == ["waiter", "main"]
    assert free_again, "the mutex did not go back to normal mode"


def test_mutex_starvation_mode_keeps_fifo_among_old_waiters() -> None:
    """In starvation mode, a goroutine that relocks in a loop gets in line behind every
    old waiter, and they get the mutex in arrival order."""

    async def main() -> list[str]:
        m = Mutex()
        order: list[str] = []
        wg = WaitGroup()
        await m.lock()

        async def waiter(i: int) -> None:
            await m.lock()
            order.append(f"w{i}")
            m.unlock()
            wg.done()

        ids = []
        for i in range(4):
            wg.add(1)
            ids.append(await spawn(waiter, i))
            await wait_blocked(ids[-1], MUTEX)
        age()
        m.unlock()
        await m.lock()  # barges ahead of the woken w0 (normal mode)
        await gort.gosched()  # w0 runs, is old: starvation mode, back at the head
        await wait_blocked(ids[0], MUTEX)
        m.unlock()
        for _ in range(3):  # relock in a loop: each time behind the old waiters
            await m.lock()
            order.append("main")
            m.unlock()
        await wg.wait()
        return order

    order = run(main, 1)
    assert order[:4] == ["w0", "w1", "w2", "w3"], order
    assert order.count("main") == 3


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2])
def test_mutex_fairness(procs: int) -> None:
    # Go: TestMutexFairness. One goroutine relocks in a loop with a short sleep inside
    # the critical section; another must still get the mutex 10 times within 10 s.
    async def main() -> int:
        m = Mutex()
        stop = [False]
        done = gort.Chan(1)

        async def hog() -> None:
            while not stop[0]:
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
        stop[0] = True
        return int(idx)

    assert run(main, procs) == 0, "can't acquire Mutex in 10 seconds"


@pytest.mark.timeout(30)
def test_control_without_starvation_mode_a_relocking_goroutine_starves_a_waiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fairness test can fail: with the threshold out of reach the mutex never enters
    starvation mode, and on one P the relocking goroutine always wins."""
    monkeypatch.setattr(sync, "starvationThresholdNs", 10**15)

    async def main() -> int:
        m = Mutex()
        stop = [False]
        done = gort.Chan(1)

        async def hog() -> None:
            while not stop[0]:
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
        idx, _ = await gort.select(done.recv, gort.time.after(0.5).recv)
        stop[0] = True
        return int(idx)

    assert run(main, 1) == 1


def test_mutex_async_with_releases_on_exception() -> None:
    async def main() -> bool:
        m = Mutex()
        with pytest.raises(ValueError):
            async with m:
                raise ValueError("boom")
        return m.try_lock()

    assert run(main) is True


def test_mutex_unlock_from_a_foreign_thread_wakes_the_waiter() -> None:
    """A waiter readied from an OS thread without a P goes to the global run queue."""

    async def main() -> str:
        m = Mutex()
        await m.lock()
        result = gort.Chan(1)

        async def waiter() -> None:
            await m.lock()
            await result.send("got it")
            m.unlock()

        w = await spawn(waiter)
        await wait_blocked(w, MUTEX)
        t = threading.Thread(target=m.unlock)
        t.start()
        await gort.blocking(t.join)
        return str(await result.recv())

    assert run(main, 2) == "got it"


def test_mutex_repr() -> None:
    m = Mutex()
    assert "unlocked" in repr(m)
    assert m.try_lock()
    assert "locked" in repr(m)


# ------------------------------------------------------------------------- RWMutex


def test_rwmutex_parallel_readers(procs: int) -> None:
    # Go: TestParallelReaders (every reader holds the read lock at the same time)
    async def main() -> None:
        m = RWMutex()
        n = 4
        clocked = gort.Chan(0)
        cunlock = gort.Chan(0)
        cdone = gort.Chan(0)

        async def reader() -> None:
            await m.rlock()
            await clocked.send(True)
            await cunlock.recv()
            m.runlock()
            await cdone.send(True)

        for _ in range(n):
            gort.go(reader)
        for _ in range(n):  # all n hold the read lock now
            await clocked.recv()
        assert not m.try_lock()
        assert m.try_rlock()
        m.runlock()
        for _ in range(n):
            await cunlock.send(True)
        for _ in range(n):
            await cdone.recv()
        assert m.try_lock()

    run(main, procs)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("readers", [1, 3, 10])
def test_rwmutex_hammer(procs: int, readers: int) -> None:
    # Go: TestRWMutex / HammerRWMutex: 2 writers and some readers; a writer sees only
    # itself inside, a reader never sees a writer.
    async def main() -> None:
        activity = AtomicInt()
        rwm = RWMutex()
        cdone = gort.Chan(0)
        iterations = 100

        async def reader() -> None:
            for i in range(iterations):
                await rwm.rlock()
                n = activity.add(1)
                assert 1 <= n < 10000, f"rlock({n})"
                if i % 3 == 0:
                    await gort.gosched()
                activity.add(-1)
                rwm.runlock()
            await cdone.send(True)

        async def writer() -> None:
            for i in range(iterations):
                await rwm.lock()
                n = activity.add(10000)
                assert n == 10000, f"wlock({n})"
                if i % 3 == 0:
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


def test_rlocker(procs: int) -> None:
    # Go: TestRLocker
    async def main() -> None:
        wl = RWMutex()
        rl = wl.rlocker()
        wlocked = gort.Chan(1)
        rlocked = gort.Chan(1)
        n = 10

        async def other() -> None:
            for _ in range(n):
                await rl.lock()
                await rl.lock()
                await rlocked.send(True)
                await wl.lock()
                await wlocked.send(True)

        gort.go(other)
        for _ in range(n):
            await rlocked.recv()
            rl.unlock()
            idx, _ = await gort.select(wlocked.recv, gort.default)
            assert idx == 1, "RLocker() didn't read-lock it"
            rl.unlock()
            await wlocked.recv()
            idx, _ = await gort.select(rlocked.recv, gort.default)
            assert idx == 1, "RLocker() didn't respect the write lock"
            wl.unlock()

    run(main, procs)


def test_rwmutex_try_lock() -> None:
    # Go: TestRWMutex (its TryLock / TryRLock checks)
    async def main() -> None:
        m = RWMutex()
        assert m.try_lock(), "TryLock failed with mutex unlocked"
        assert not m.try_lock(), "TryLock succeeded with mutex locked"
        assert not m.try_rlock(), "TryRLock succeeded with mutex locked"
        m.unlock()
        assert m.try_rlock(), "TryRLock failed with mutex unlocked"
        assert m.try_rlock(), "TryRLock failed with mutex rlocked"
        assert not m.try_lock(), "TryLock succeeded with mutex rlocked"
        m.runlock()
        m.runlock()
        assert m.try_lock()
        m.unlock()

    run(main)


def test_rwmutex_waiting_writer_blocks_new_readers(procs: int) -> None:
    """A writer waiting for readers to leave makes new readers wait behind it (so a
    stream of readers cannot starve it); a second writer waits on the writer mutex."""

    async def main() -> tuple[list[str], dict[int, str], list[int]]:
        rw = RWMutex()
        order: list[str] = []
        wg = WaitGroup()
        await rw.rlock()

        async def writer(name: str) -> None:
            await rw.lock()
            order.append(name)
            rw.unlock()
            wg.done()

        async def reader() -> None:
            await rw.rlock()
            order.append("reader")
            rw.runlock()
            wg.done()

        wg.add(3)
        w1 = await spawn(writer, "w1")
        await wait_blocked(w1, WLOCK)
        assert not rw.try_rlock(), "a reader got in ahead of a waiting writer"
        assert not rw.try_lock()
        r = await spawn(reader)
        await wait_blocked(r, RLOCK)
        w2 = await spawn(writer, "w2")
        await wait_blocked(w2, MUTEX)  # the writers' own Mutex, as in Go
        headers = stack_headers()
        rw.runlock()  # the last reader leaves: w1 goes in
        await wg.wait()
        return order, headers, [w1, r, w2]

    order, headers, (w1, r, w2) = run(main, procs)
    assert headers[w1] == WLOCK
    assert headers[r] == RLOCK
    assert headers[w2] == MUTEX
    assert order[0] == "w1"
    assert sorted(order) == ["reader", "w1", "w2"]


@pytest.mark.timeout(60)
def test_rwmutex_stream_of_readers_does_not_starve_a_writer(procs: int) -> None:
    """Readers overlap so that the read lock is never free; a writer still gets in,
    because once it waits new readers queue behind it."""

    async def main() -> int:
        rw = RWMutex()
        stop = [False]
        holding = gort.Chan(4)
        wrote = gort.Chan(1)
        wg = WaitGroup()

        async def reader() -> None:
            first = True
            while True:
                await rw.rlock()
                if first:
                    await holding.send(None)
                    first = False
                await gort.gosched()
                rw.runlock()
                if stop[0]:
                    return

        async def writer() -> None:
            await rw.lock()
            stop[0] = True
            rw.unlock()
            await wrote.send(True)

        for _ in range(4):
            wg.go(reader)
        for _ in range(4):
            await holding.recv()
        gort.go(writer)
        idx, _ = await gort.select(wrote.recv, gort.time.after(10).recv)
        if idx == 0:
            await wg.wait()
        return int(idx)

    assert run(main, procs) == 0, "the writer starved"


def test_rwmutex_async_with_and_rlocker() -> None:
    async def main() -> list[str]:
        rw = RWMutex()
        log: list[str] = []
        async with rw:
            log.append("write")
            assert not rw.try_rlock()
        async with rw.rlocker():
            log.append("read")
            assert not rw.try_lock()
            assert rw.try_rlock()
            rw.runlock()
        assert rw.try_lock()
        rw.unlock()
        rl = rw.rlocker()
        await rl.lock()
        assert not rw.try_lock()
        rl.unlock()
        assert rw.try_lock()
        rw.unlock()
        assert "RLocker" in repr(rl)
        return log

    assert run(main) == ["write", "read"]


def test_rwmutex_writer_handoff_wakes_all_queued_readers(procs: int) -> None:
    async def main() -> int:
        rw = RWMutex()
        wg = WaitGroup()
        inside = AtomicInt()
        most = [0]
        gate = gort.Chan(0)
        await rw.lock()

        async def reader() -> None:
            await rw.rlock()
            most[0] = max(most[0], inside.add(1))
            await gate.recv()
            inside.add(-1)
            rw.runlock()
            wg.done()

        for _ in range(5):
            wg.add(1)
            g = await spawn(reader)
            await wait_blocked(g, RLOCK)
        rw.unlock()
        for _ in range(5):  # all five are inside at once before any leaves
            await wait_until(lambda s: inside.value == 5 or most[0] == 5, "5 readers inside")
            await gate.send(None)
        await wg.wait()
        return most[0]

    assert run(main, procs) == 5


# ------------------------------------------------------------------------- WaitGroup


def test_waitgroup(procs: int) -> None:
    # Go: TestWaitGroup (twice over the same pair of WaitGroups: they are reusable)
    async def main() -> None:
        wg1, wg2 = WaitGroup(), WaitGroup()

        async def one_round() -> None:
            n = 16
            wg1.add(n)
            wg2.add(n)
            exited = gort.Chan(n)

            async def g() -> None:
                wg1.done()
                await wg2.wait()
                await exited.send(True)

            for _ in range(n):
                gort.go(g)
            await wg1.wait()
            for _ in range(n):
                idx, _ = await gort.select(exited.recv, gort.default)
                assert idx == 1, "WaitGroup released group too soon"
                wg2.done()
            for _ in range(n):
                await exited.recv()  # would deadlock if the group was not released

        await one_round()
        await one_round()

    run(main, procs)


def test_waitgroup_negative_counter_panics() -> None:
    # Go: TestWaitGroupMisuse
    async def main() -> None:
        wg = WaitGroup()
        wg.add(1)
        wg.done()
        wg.done()

    raises_exactly(gort.Panic, "sync: negative WaitGroup counter", main)


def test_waitgroup_negative_add_panics_and_keeps_the_counter() -> None:
    async def main() -> int:
        wg = WaitGroup()
        wg.add(2)
        with pytest.raises(gort.Panic, match="^sync: negative WaitGroup counter$"):
            wg.add(-3)
        wg.done()
        wg.done()
        await wg.wait()
        with pytest.raises(gort.Panic, match="^sync: negative WaitGroup counter$"):
            wg.add(-1)
        return 0

    assert run(main) == 0


def test_waitgroup_reused_before_wait_returned_panics() -> None:
    """Go's 'reused before previous Wait has returned': a new round is started (add)
    after the counter reached zero but before the released waiter ran."""

    async def main() -> None:
        wg = WaitGroup()
        wg.add(1)

        async def waiter() -> None:
            await wg.wait()

        w = await spawn(waiter)
        await wait_blocked(w, WGWAIT)
        wg.done()  # releases the waiter; it has not run yet (one P)
        wg.add(1)  # misuse
        await gort.Chan(0).recv()  # let it run

    raises_exactly(gort.Panic, "sync: WaitGroup is reused before previous Wait has returned",
                   main)


def test_waitgroup_race(procs: int) -> None:
    # Go: TestWaitGroupRace (rounds of two goroutines; after Wait both increments are seen)
    async def main() -> None:
        for _ in range(100):
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


def test_waitgroup_releases_every_waiter(procs: int) -> None:
    async def main() -> int:
        wg = WaitGroup()
        wg.add(3)
        released = gort.Chan(8)

        async def waiter() -> None:
            await wg.wait()
            await released.send(True)

        ids = [await spawn(waiter) for _ in range(8)]
        for g in ids:
            await wait_blocked(g, WGWAIT)
        wg.done()
        wg.add(-2)
        for _ in range(8):
            await released.recv()
        await wg.wait()
        return len(released)

    assert run(main, procs) == 0


def test_waitgroup_go(procs: int) -> None:
    # Go: TestWaitGroupGo (Go 1.25), for a coroutine function, a plain callable, arguments
    async def main() -> list[Any]:
        wg = WaitGroup()
        got: list[Any] = []
        lk = threading.Lock()

        async def coro_fn(x: int, y: int = 0) -> None:
            await gort.gosched()
            with lk:
                got.append(("coro", x, y))

        def plain_fn(x: int) -> None:
            with lk:
                got.append(("plain", x))

        async def coro_of(x: int) -> None:
            with lk:
                got.append(("partial", x))

        wg.go(coro_fn, 1)
        wg.go(coro_fn, 2, y=3)
        wg.go(plain_fn, 4)
        wg.go(functools.partial(coro_of, 5))  # a callable returning a coroutine
        await wg.wait()
        return sorted(got, key=repr)

    assert run(main, procs) == sorted(
        [("coro", 1, 0), ("coro", 2, 3), ("plain", 4), ("partial", 5)], key=repr
    )


def test_waitgroup_go_calls_done_when_fn_exits_early() -> None:
    """Go 1.25 defers Done: a goroutine that ends by Goexit still counts as done."""

    async def main() -> str:
        wg = WaitGroup()

        def quits() -> None:
            gort.goexit()

        async def quits_async() -> None:
            await gort.gosched()
            gort.goexit()

        wg.go(quits)
        wg.go(quits_async)
        await wg.wait()
        return "waited"

    assert run(main, 2) == "waited"


def test_waitgroup_go_exception_is_a_panic_of_the_program() -> None:
    async def main() -> None:
        wg = WaitGroup()

        def boom() -> None:
            raise KeyError("from wg.go")

        wg.go(boom)
        await wg.wait()

    with pytest.raises(KeyError, match="from wg.go"):
        run(main)


def test_waitgroup_go_rejects_bad_functions_without_counting() -> None:
    async def main() -> None:
        wg = WaitGroup()
        with pytest.raises(TypeError, match="^go of nil func value$"):
            wg.go(None)
        with pytest.raises(TypeError):
            wg.go(42)
        await wg.wait()  # the counter is still zero: returns at once

    run(main)


def test_waitgroup_go_goroutine_is_created_by_the_caller() -> None:
    async def main() -> tuple[str | None, int]:
        wg = WaitGroup()
        gate = gort.Chan(0)
        ids = gort.Chan(1)

        async def worker() -> None:
            await ids.send(gort.runtime.goid())
            await gate.recv()

        wg.go(worker)
        g = int(await ids.recv())
        await wait_blocked(g, "chan receive")
        info = [x for x in sched_snapshot().goroutines if x.goid == g][0]
        await gate.send(None)
        await wg.wait()
        return info.created_by, info.parent_goid

    created_by, parent = run(main)
    assert created_by is not None and created_by.endswith("main")
    assert parent == 1


# ------------------------------------------------------------------------- Once


def test_once(procs: int) -> None:
    # Go: TestOnce (every caller returns only after the single call has finished)
    async def main() -> int:
        once = Once()
        o = [0]
        c = gort.Chan(0)
        n = 10

        async def increment() -> None:
            await gort.gosched()  # others call do meanwhile
            o[0] += 1

        async def caller() -> None:
            await once.do(increment)
            assert o[0] == 1, f"once failed inside run: {o[0]} is not 1"
            await c.send(True)

        for _ in range(n):
            gort.go(caller)
        for _ in range(n):
            await c.recv()
        return o[0]

    assert run(main, procs) == 1


def test_once_panic() -> None:
    # Go: TestOncePanic (a call that raises still counts: Once is done)
    async def main() -> None:
        once = Once()
        with pytest.raises(RuntimeError, match="failed"):

            def fail() -> None:
                raise RuntimeError("failed")

            await once.do(fail)

        def twice() -> None:
            raise AssertionError("Once.Do called twice")

        await once.do(twice)

    run(main)


def test_once_concurrent_callers_wait_for_the_first_call(procs: int) -> None:
    async def main() -> tuple[list[str], str]:
        once = Once()
        log: list[str] = []
        release = gort.Chan(0)
        started = gort.Chan(1)
        wg = WaitGroup()

        async def slow_init() -> None:
            await started.send(None)
            await release.recv()
            log.append("init")

        async def first() -> None:
            await once.do(slow_init)
            log.append("first returned")
            wg.done()

        async def second() -> None:
            await once.do(lambda: log.append("second's fn ran"))
            log.append("second returned")
            wg.done()

        wg.add(2)
        gort.go(first)
        await started.recv()  # the first call is running (blocked inside fn)
        g2 = await spawn(second)
        await wait_blocked(g2, MUTEX)  # Go's Once waits on its mutex
        header = stack_headers()[g2]
        await release.send(None)
        await wg.wait()
        return log, header

    log, header = run(main, procs)
    assert header == MUTEX
    assert "second's fn ran" not in log
    assert log.index("init") < log.index("second returned")
    assert log.index("init") < log.index("first returned")


def test_once_plain_callable_and_coroutine_function() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        o1, o2 = Once(), Once()

        async def coro() -> None:
            await gort.gosched()
            log.append("coro")

        for _ in range(3):
            await o1.do(lambda: log.append("plain"))
            await o2.do(coro)
        return log

    assert run(main) == ["plain", "coro"]


def test_once_recursive_do_deadlocks() -> None:
    """As in Go, calling do from inside its own fn waits for itself forever."""

    async def main() -> None:
        once = Once()

        async def again() -> None:
            await once.do(lambda: None)

        await once.do(again)

    # Note: after a Deadlock the core lets the garbage collector close the abandoned
    # coroutines, which runs their finally blocks (Once's unlock among them); Go never
    # runs them. That prints "Exception ignored" noise, not a failure (core issue).
    with pytest.raises(gort.Deadlock) as ei:
        run(main)
    assert "[sync.Mutex.Lock]" in ei.value.dump


# ------------------------------------------------------------------------- Cond


def test_cond_signal(procs: int) -> None:
    # Go: TestCondSignal (each Signal wakes exactly one waiter)
    async def main() -> None:
        m = Mutex()
        c = Cond(m)
        n = 2
        running = gort.Chan(n)
        awake = gort.Chan(n)

        async def waiter() -> None:
            await m.lock()
            await running.send(True)
            await c.wait()
            await awake.send(True)
            m.unlock()

        for _ in range(n):
            gort.go(waiter)
        for _ in range(n):
            await running.recv()  # everyone has run
        while n > 0:
            idx, _ = await gort.select(awake.recv, gort.default)
            assert idx == 1, "goroutine not asleep"
            await m.lock()
            c.signal()
            m.unlock()
            await awake.recv()  # would deadlock if no goroutine woke up
            idx, _ = await gort.select(awake.recv, gort.default)
            assert idx == 1, "too many goroutines awake"
            n -= 1
        c.signal()

    run(main, procs)


def test_cond_signal_generations(procs: int) -> None:
    # Go: TestCondSignalGenerations (Signal wakes waiters in the order they waited)
    async def main() -> None:
        m = Mutex()
        c = Cond(m)
        n = 30
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


def test_cond_broadcast(procs: int) -> None:
    # Go: TestCondBroadcast (every round, Broadcast wakes each waiter exactly once)
    async def main() -> None:
        m = Mutex()
        c = Cond(m)
        n = 20
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
                await running.recv()  # would deadlock unless n are running
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


def test_cond_race(procs: int) -> None:
    # Go: TestRace (cond_test.go): three goroutines hand a value around through one Cond
    async def main() -> list[str]:
        x = [0]
        c = Cond(Mutex())
        done = gort.Chan(0)
        errors: list[str] = []

        async def g1() -> None:
            await c.L.lock()
            x[0] = 1
            await c.wait()
            if x[0] != 2:
                errors.append("want 2")
            x[0] = 3
            c.signal()
            c.L.unlock()
            await done.send(True)

        async def g2() -> None:
            await c.L.lock()
            while True:
                if x[0] == 1:
                    x[0] = 2
                    c.signal()
                    break
                c.L.unlock()
                await gort.gosched()
                await c.L.lock()
            c.L.unlock()
            await done.send(True)

        async def g3() -> None:
            await c.L.lock()
            while True:
                if x[0] == 2:
                    await c.wait()
                    if x[0] != 3:
                        errors.append("want 3")
                    break
                if x[0] == 3:
                    break
                c.L.unlock()
                await gort.gosched()
                await c.L.lock()
            c.L.unlock()
            await done.send(True)

        gort.go(g1)
        gort.go(g2)
        gort.go(g3)
        for _ in range(3):
            await done.recv()
        return errors

    assert run(main, procs) == []


@pytest.mark.timeout(60)
def test_cond_signal_stealing(procs: int) -> None:
    # Go: TestCondSignalStealing (a Broadcast racing with a new waiter must still wake the
    # goroutine that was already waiting)
    async def main() -> None:
        for _ in range(50):
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

            gort.go(first, m, cond, ch)
            await ch.recv()
            await m.lock()  # the waiter is inside wait() now: it held m until then
            m.unlock()

            async def broadcaster(cond: Cond) -> None:
                cond.broadcast()

            async def second(m: Mutex, cond: Cond, done: list[bool]) -> None:
                await m.lock()
                while not done[0]:
                    await cond.wait()
                m.unlock()

            gort.go(broadcaster, cond)
            gort.go(second, m, cond, done)
            idx, _ = await gort.select(ch.recv, gort.time.after(10).recv)
            assert idx == 0, "First waiter didn't get broadcast."
            async with m:
                done[0] = True
            cond.broadcast()

    run(main, procs)


def test_cond_with_rwmutex_read_locker(procs: int) -> None:
    async def main() -> int:
        rw = RWMutex()
        c = Cond(rw.rlocker())
        ready = [False]
        n = 4
        wg = WaitGroup()

        async def reader() -> None:
            await c.L.lock()
            while not ready[0]:
                await c.wait()
            c.L.unlock()
            wg.done()

        ids = []
        for _ in range(n):
            wg.add(1)
            ids.append(await spawn(reader))
        for g in ids:
            await wait_blocked(g, CONDWAIT)
        async with rw:  # the readers released their read locks while waiting
            ready[0] = True
        c.broadcast()
        await wg.wait()
        return n

    assert run(main, procs) == 4


def test_cond_exposes_its_locker_and_signals_without_waiters_are_lost() -> None:
    async def main() -> bool:
        m = Mutex()
        c = Cond(m)
        assert c.L is m
        c.signal()
        c.broadcast()  # nobody waits: nothing is remembered for later waiters
        await m.lock()
        got = gort.Chan(1)

        async def signaller() -> None:
            async with m:
                c.signal()
            await got.send(True)

        gort.go(signaller)
        await c.wait()  # woken by the signal sent after we waited
        m.unlock()
        return bool(await got.recv())

    assert run(main) is True


# ------------------------------------------------------------------------- the semaphore layer


def test_sema_handoff_gives_the_unit_to_the_waiter_and_plain_release_publishes_it() -> None:
    async def main() -> tuple[int, bool, int, bool]:
        s = _sema.Sema()
        done = gort.Chan(2)

        async def acquirer() -> None:
            await _sema.semacquire(s, False, "semacquire")
            await done.send(True)

        g = await spawn(acquirer)
        await wait_blocked(g, "semacquire")
        handed = _sema.semrelease(s, True)
        count_after_handoff = s.count  # 0: nobody can barge in before the waiter runs
        await done.recv()
        g = await spawn(acquirer)
        await wait_blocked(g, "semacquire")
        plain = _sema.semrelease(s, False)
        count_after_release = s.count  # 1: published, the woken waiter must still take it
        await done.recv()
        return count_after_handoff, handed, count_after_release, plain

    assert run(main) == (0, True, 1, False)


def test_sema_woken_waiter_that_loses_the_race_sleeps_again() -> None:
    async def main() -> list[str]:
        s = _sema.Sema()
        log: list[str] = []
        done = gort.Chan(1)

        async def acquirer() -> None:
            await _sema.semacquire(s)
            log.append("waiter")
            await done.send(True)

        g = await spawn(acquirer)
        await wait_blocked(g, "semacquire")
        _sema.semrelease(s)  # publishes a unit, wakes the waiter (not run yet)
        await _sema.semacquire(s)  # ... but this goroutine takes the unit first
        log.append("barger")
        await gort.gosched()  # the waiter runs, finds nothing, and sleeps again
        await wait_blocked(g, "semacquire")
        _sema.semrelease(s)
        await done.recv()
        return log

    assert run(main) == ["barger", "waiter"]


def test_sema_lifo_waiter_goes_first() -> None:
    """A LIFO waiter queues at the head. Units are released one at a time (each release
    readies its waiter into runnext, which would reorder a batch)."""

    async def main() -> list[int]:
        s = _sema.Sema()
        order: list[int] = []
        got = gort.Chan(0)

        async def acquirer(i: int, lifo: bool) -> None:
            await _sema.semacquire(s, lifo)
            await got.send(i)

        for i, lifo in enumerate([False, False, True]):
            g = await spawn(acquirer, i, lifo)
            await wait_blocked(g, "semacquire")
        for _ in range(3):
            _sema.semrelease(s)
            order.append(int(await got.recv()))
        return order

    assert run(main) == [2, 0, 1]


def test_notify_list_ticket_notified_before_sleeping_does_not_sleep() -> None:
    nl = _sema.NotifyList()
    t0 = _sema.notify_list_add(nl)
    t1 = _sema.notify_list_add(nl)
    _sema.notify_list_notify_one(nl)  # notifies t0, whose owner is not asleep yet
    with pytest.raises(StopIteration):
        _sema.notify_list_wait(nl, t0).send(None)  # returns at once
    with pytest.raises(RuntimeError, match="outside a goroutine"):
        _sema.notify_list_wait(nl, t1).send(None)  # t1 would sleep
    _sema.notify_list_notify_all(nl)
    with pytest.raises(StopIteration):
        _sema.notify_list_wait(nl, t1).send(None)
    assert (nl.wait, nl.notify) == (2, 2)


# ------------------------------------------------------------------------- dumps and deadlock


def test_dump_shows_every_sync_wait_reason(procs: int) -> None:
    """Issue 4 point 4: ``goroutine N [sync.Mutex.Lock]:`` etc. in
    ``gort.runtime.stack(all=True)`` and in the snapshot."""

    async def main() -> tuple[dict[int, str], dict[str, int], str]:
        mu, rw_r, rw_w, wg = Mutex(), RWMutex(), RWMutex(), WaitGroup()
        cm = Mutex()
        cond = Cond(cm)
        await mu.lock()
        await rw_r.lock()  # a reader will wait
        await rw_w.rlock()  # a writer will wait
        wg.add(1)
        finished = WaitGroup()

        async def on_mutex() -> None:
            await mu.lock()
            mu.unlock()

        async def on_rlock() -> None:
            await rw_r.rlock()
            rw_r.runlock()

        async def on_wlock() -> None:
            await rw_w.lock()
            rw_w.unlock()

        async def on_wg() -> None:
            await wg.wait()

        async def on_cond() -> None:
            async with cm:
                await cond.wait()

        ids: dict[str, int] = {}
        for reason, fn in [(MUTEX, on_mutex), (RLOCK, on_rlock), (WLOCK, on_wlock),
                           (WGWAIT, on_wg), (CONDWAIT, on_cond)]:
            finished.add(1)

            async def wrapped(fn: Callable[[], Awaitable[None]] = fn) -> None:
                await fn()
                finished.done()

            ids[reason] = await spawn(wrapped)
        for reason, g in ids.items():
            await wait_blocked(g, reason)
        text = gort.runtime.stack(all=True)
        headers = {int(g): st for g, st in HEADER.findall(text)}
        mu.unlock()
        rw_r.unlock()
        rw_w.runlock()
        wg.done()
        async with cm:
            cond.signal()
        await finished.wait()
        return headers, ids, text

    headers, ids, text = run(main, procs)
    for reason, g in ids.items():
        assert headers[g] == reason, text
        assert f"goroutine {g} [{reason}]:" in text


def test_deadlock_on_a_mutex() -> None:
    async def main() -> None:
        m = Mutex()
        await m.lock()
        await m.lock()

    with pytest.raises(gort.Deadlock) as ei:
        run(main)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    assert "goroutine 1 [sync.Mutex.Lock]:" in ei.value.dump


def test_deadlock_goroutine_on_a_mutex_main_on_a_waitgroup(procs: int) -> None:
    async def main() -> None:
        m = Mutex()
        wg = WaitGroup()
        await m.lock()

        async def stuck() -> None:
            await m.lock()
            wg.done()

        wg.add(1)
        gort.go(stuck)
        await wg.wait()

    with pytest.raises(gort.Deadlock) as ei:
        run(main, procs)
    assert "goroutine 1 [sync.WaitGroup.Wait]:" in ei.value.dump
    assert "[sync.Mutex.Lock]:" in ei.value.dump


def test_deadlock_on_a_waitgroup() -> None:
    async def main() -> None:
        wg = WaitGroup()
        wg.add(1)
        await wg.wait()

    with pytest.raises(gort.Deadlock) as ei:
        run(main)
    assert "goroutine 1 [sync.WaitGroup.Wait]:" in ei.value.dump


def test_deadlock_on_rwmutex_and_cond(procs: int) -> None:
    async def main() -> None:
        rw = RWMutex()
        await rw.rlock()
        m = Mutex()
        c = Cond(m)

        async def cond_waiter() -> None:
            await m.lock()  # no finally here: see the note in test_once_recursive_do_deadlocks
            await c.wait()
            m.unlock()

        gort.go(cond_waiter)
        await rw.lock()  # the read lock is ours and never released

    with pytest.raises(gort.Deadlock) as ei:
        run(main, procs)
    assert "goroutine 1 [sync.RWMutex.Lock]:" in ei.value.dump
    assert "[sync.Cond.Wait]:" in ei.value.dump
