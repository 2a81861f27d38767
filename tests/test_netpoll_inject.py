"""injectglist, which makes the goroutines the network poller found ready runnable
(Go's injectglist): from an M holding a P they go to that P's local run queue (one per
idle P to the global queue, with an M started for it); from a thread without a P, all
to the global queue.

The goroutines are parked with a bare gopark (nothing else references them), then
handed to injectglist as the poller would hand them.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from helpers import go_id, wait_parked

import gort
from gort._runtime import proc
from gort._runtime.runtime2 import G

pytestmark = pytest.mark.timeout(60)

REASON = "test park"


async def parked_goroutines(n: int, done: gort.Chan[Any]) -> tuple[list[int], list[G]]:
    """Start ``n`` goroutines that park with a bare gopark and, once readied, report
    their goid on ``done``; return their ids and Gs once all are parked."""
    gs: list[G] = []

    async def body() -> None:
        gp = proc.getg()
        assert gp is not None
        gs.append(gp)
        await proc.gopark(REASON)
        await done.send(gort.runtime.goid())

    ids = [await go_id(body) for _ in range(n)]
    for goid in ids:
        await wait_parked(goid, REASON)
    by_id = {g.goid: g for g in gs}
    # If the OS kept this thread off the CPU long enough (a loaded machine), sysmon
    # took the P from under this goroutine; a scheduling point gives it one again.
    mp = proc.getm()
    while mp is None or mp.p is None:
        await gort.gosched()
        mp = proc.getm()
    return ids, [by_id[i] for i in ids]


def test_from_an_m_with_a_p_the_gs_go_to_its_local_queue() -> None:
    async def main() -> tuple[list[int], list[int], list[int], list[int]]:
        done = gort.Chan[Any](8)
        ids, gs = await parked_goroutines(8, done)
        s = proc.sched
        mp = proc.getm()
        assert s is not None and mp is not None and mp.p is not None
        pp = mp.p
        proc.injectglist(s, gs)  # GOMAXPROCS=1: no idle P
        local = [g.goid for g in pp.runq]
        glob = [g.goid for g in s.runq]
        ran = sorted([await done.recv() for _ in ids])
        return ids, local, glob, ran

    ids, local, glob, ran = gort.run(main, gomaxprocs=1)
    assert local == ids  # in order, at the tail of the local queue
    assert glob == []
    assert ran == sorted(ids)


def test_overflow_of_the_local_queue_goes_to_the_global_queue() -> None:
    n = 300  # more than a local queue holds (256)

    async def main() -> tuple[int, int, int]:
        done = gort.Chan[Any](n)
        ids, gs = await parked_goroutines(n, done)
        s = proc.sched
        mp = proc.getm()
        assert s is not None and mp is not None and mp.p is not None
        pp = mp.p
        proc.injectglist(s, gs)
        nlocal, nglob = len(pp.runq), len(s.runq)
        ran = len({await done.recv() for _ in ids})
        return nlocal, nglob, ran

    nlocal, nglob, ran = gort.run(main, gomaxprocs=1)
    assert nlocal == 256
    assert nglob == n - 256
    assert ran == n


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_from_a_thread_without_a_p_all_go_to_the_global_queue(procs: int) -> None:
    async def main() -> tuple[list[int], list[int]]:
        done = gort.Chan[Any](6)
        ids, gs = await parked_goroutines(6, done)
        s = proc.sched
        assert s is not None

        def inject() -> None:  # an OS thread with no M, like sysmon
            proc.injectglist(s, gs)

        t = threading.Thread(target=inject)
        t.start()
        await gort.blocking(t.join)
        ran = sorted([await done.recv() for _ in ids])
        return ids, ran

    ids, ran = gort.run(main, gomaxprocs=procs)
    assert ran == sorted(ids)


@pytest.mark.parametrize("procs", [2, 4])
def test_with_idle_ps_every_g_runs(procs: int) -> None:
    """Some Gs go to the global queue for the idle Ps (an M is started for each); the
    rest to the caller's queue. None is stranded, whichever P runs it."""

    async def main() -> tuple[list[int], list[int]]:
        done = gort.Chan[Any](16)
        ids, gs = await parked_goroutines(16, done)
        s = proc.sched
        assert s is not None
        proc.injectglist(s, gs)
        ran = sorted([await done.recv() for _ in ids])
        return ids, ran

    for _ in range(20):
        ids, ran = gort.run(main, gomaxprocs=procs)
        assert ran == sorted(ids)


def test_a_g_that_is_not_waiting_is_refused() -> None:
    async def main() -> str:
        s = proc.sched
        gp = proc.getg()
        assert s is not None and gp is not None
        try:
            proc.injectglist(s, [gp])  # running, not waiting
        except gort.FatalError as e:
            return str(e)
        return "accepted"

    assert "bad g status" in gort.run(main, gomaxprocs=1)
