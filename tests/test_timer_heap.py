"""The runtime timer heap itself (``gort/_runtime/timers.py``): int keys, the live map,
lazy deletion, sequence renumbering, and sleeps that are heap entries without a timer.

The behaviour seen through ``gort.time`` is tested in ``test_time.py``; these tests drive
the runtime functions directly, from a goroutine, with instants far in the future so
that the scheduler never fires the timers on its own: ``check_timers`` is called with an
explicit ``now``.
"""

from __future__ import annotations

import random
import weakref
from typing import Any

import pytest

import gort
from gort._runtime import proc as rproc
from gort._runtime import timers as rtimers

pytestmark = pytest.mark.timeout(60)

HOUR = 3600 * 10**9


def _heap() -> rtimers.Timers:
    return rtimers._current_timers()


def _check_invariants(ts: rtimers.Timers) -> None:
    """Every live key is in the heap, maps to a WAITING timer whose key it is."""
    with ts.lock:
        keys = set(ts.heap)
        for k, x in ts.live.items():
            assert k in keys
            if type(x) is rtimers.Timer:
                assert x.state == rtimers.T_WAITING
                assert x.key == k
                assert x.ts is ts
                assert x.when == k >> rtimers.SEQ_BITS
        h = ts.heap
        for i in range(1, len(h)):
            assert h[(i - 1) // 2] <= h[i], "not a heap"


def _fire_all(ts_owner: Any, now: int) -> None:
    s = rproc.sched
    rtimers.check_timers(s, ts_owner, now)


def test_equal_whens_fire_in_arming_order() -> None:
    async def main() -> list[int]:
        got: list[int] = []
        base = rtimers._nanotime() + HOUR
        ts = _heap()
        ts_seq0 = ts.seq
        timers = [rtimers.Timer(lambda a, v, d: got.append(a), i) for i in range(50)]
        for t in timers:
            rtimers.modtimer(t, base)
        # re-arming moves a timer to the back of the equal-when queue
        rtimers.modtimer(timers[0], base)
        _check_invariants(ts)
        assert ts.seq == ts_seq0 + 51
        pp = rproc.getm().p  # type: ignore[union-attr]
        _fire_all(pp, base)
        return got

    assert gort.run(main, gomaxprocs=1) == list(range(1, 50)) + [0]


def _record(arg: tuple[int, list[tuple[int, int]]], version: int, delta: int) -> None:
    i, got = arg
    got.append((i, version))


def test_model_of_random_arms_stops_and_resets() -> None:
    # a reference model: the timers that fire are exactly those left WAITING, in
    # (when, last arming) order, each once with its current version
    async def main() -> None:
        pp = rproc.getm().p  # type: ignore[union-attr]
        ts = pp.timers
        for seed in range(20):
            rng = random.Random(seed)
            base = rtimers._nanotime() + HOUR
            got: list[tuple[int, int]] = []
            timers = [rtimers.Timer(_record, (i, got)) for i in range(40)]
            model: dict[int, tuple[int, int]] = {}  # i -> (when, arming number)
            arming = 0
            for _ in range(400):
                i = rng.randrange(len(timers))
                t = timers[i]
                if rng.random() < 0.35:
                    assert rtimers.stoptimer(t) == (i in model)
                    model.pop(i, None)
                else:
                    when = base + rng.randrange(8)  # many equal whens
                    assert rtimers.modtimer(t, when) == (i in model)
                    arming += 1
                    model[i] = (when, arming)
                if rng.random() < 0.05:
                    _check_invariants(ts)
            _check_invariants(ts)
            assert len(ts.live) == len(model)
            assert rtimers.has_timers(pp) == bool(model)
            if model:
                assert rtimers.earliest(rproc.sched) == min(w for w, _ in model.values())
            _fire_all(pp, base + 100)
            want = [i for i, _ in sorted(model.items(), key=lambda kv: kv[1])]
            assert [i for i, _ in got] == want
            assert all(v == timers[i].version for i, v in got)
            assert all(t.state == rtimers.T_IDLE for t in timers)
            assert not ts.live and not ts.heap

    gort.run(main, gomaxprocs=1)


def test_seq_wrap_renumbers_and_keeps_order() -> None:
    async def main() -> None:
        pp = rproc.getm().p  # type: ignore[union-attr]
        ts = pp.timers
        got: list[int] = []
        base = rtimers._nanotime() + HOUR
        early = rtimers.Timer(lambda a, v, d: got.append(a), -1)
        rtimers.modtimer(early, base - 1)
        stale = rtimers.Timer(lambda a, v, d: got.append(a), -2)
        rtimers.modtimer(stale, base)
        rtimers.stoptimer(stale)  # leaves a stale entry for the renumbering to drop
        woke: gort.Chan[int] = gort.Chan(1)

        async def sleeper() -> None:
            await gort.sleep(0.02)
            await woke.send(1)

        gort.go(sleeper)
        while not any(type(x) is not rtimers.Timer for x in ts.live.values()):
            await gort.gosched()  # until the sleeper is on the heap
        with ts.lock:
            ts.seq = rtimers.SEQ_MASK - 3
        timers = [rtimers.Timer(lambda a, v, d: got.append(a), i) for i in range(10)]
        for t in timers:
            rtimers.modtimer(t, base)
        # the heap ran out of seqs on the 4th and renumbered its live entries in order
        assert ts.seq < 20
        assert len(ts.heap) == len(ts.live) == 12
        assert max(k & rtimers.SEQ_MASK for k in ts.live) == ts.seq
        _check_invariants(ts)
        assert await woke.recv() == 1  # the renumbered sleeper still wakes
        _fire_all(pp, base)
        assert got == [-1, *range(10)]

    gort.run(main, gomaxprocs=1)


def test_a_stopped_timer_is_not_kept_alive_by_its_stale_entry() -> None:
    class Obj:
        pass

    async def main() -> None:
        ts = _heap()
        obj = Obj()
        ref = weakref.ref(obj)
        t = rtimers.Timer(lambda a, v, d: None, obj)
        rtimers.modtimer(t, rtimers._nanotime() + HOUR)
        assert rtimers.stoptimer(t)
        assert len(ts.heap) == 1 and not ts.live  # the stale entry is a bare int
        del t, obj
        assert ref() is None  # nothing (no heap entry) held the timer, which held obj

    gort.run(main, gomaxprocs=1)


def test_reset_forever_compacts_the_heap() -> None:
    async def main() -> None:
        ts = _heap()
        t = rtimers.Timer(lambda a, v, d: None, None)
        for i in range(10_000):
            rtimers.modtimer(t, rtimers._nanotime() + HOUR + i)
            assert len(ts.heap) < 2 * rtimers._ZOMBIE_MIN
        assert ts.zombies == len(ts.heap) - 1
        rtimers.stoptimer(t)
        _check_invariants(ts)

    gort.run(main, gomaxprocs=1)


def test_sleeping_goroutines_are_heap_entries() -> None:
    # a sleep puts the G itself on its P's heap (no runtime Timer), readied on time
    async def main() -> None:
        n = 30
        done: gort.Chan[int] = gort.Chan(n)

        async def sleeper(i: int) -> None:
            await gort.sleep(0.05 + 0.001 * i)
            await done.send(i)

        for i in range(n):
            gort.go(sleeper, i)
        s = rproc.sched
        assert s is not None

        def sleeping() -> int:
            entries = [x for p in s.allp for x in list(p.timers.live.values())]
            return sum(1 for x in entries if type(x) is not rtimers.Timer)

        while sleeping() < n:
            await gort.gosched()
        gs = [x for p in s.allp for x in list(p.timers.live.values())]
        assert all(g.waitreason == "sleep" and not hasattr(g, "timer") for g in gs)
        got = sorted([await done.recv() for _ in range(n)])  # type: ignore[type-var]
        assert got == list(range(n))
        assert sleeping() == 0

    gort.run(main, gomaxprocs=2)


def test_sleepers_survive_gomaxprocs_changes() -> None:
    # procresize moves sleeping goroutines' entries from destroyed Ps to P0
    async def main() -> None:
        n = 200
        done: gort.Chan[int] = gort.Chan(n)
        started: gort.Chan[int] = gort.Chan(n)

        async def sleeper(i: int) -> None:
            await started.send(i)
            await gort.sleep(0.03 + 0.0002 * i)
            await done.send(i)

        for i in range(n):
            gort.go(sleeper, i)
        for _ in range(n):
            await started.recv()
        assert gort.gomaxprocs(1) == 4
        got = sorted([await done.recv() for _ in range(n)])  # type: ignore[type-var]
        assert got == list(range(n))

    gort.run(main, gomaxprocs=4)
