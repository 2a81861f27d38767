"""White-box tests of goroutine creation and the run queues (issue 3, steps 2-4).

With ``gomaxprocs=1`` the order is deterministic, so these tests compare the
scheduler's state (``gort.runtime.sched_snapshot()``) with what Go's ``newproc``,
``runqput``, ``runqputslow``, ``gfput`` and ``gfget`` would hold, exactly.
"""

from __future__ import annotations

import time

import pytest
from helpers import gfree_model, go_runq_model

import gort
import gort.runtime as rt
from gort._runtime import proc  # white-box: the P a goroutine runs on, allgs


def _noop() -> None:
    pass


# --------------------------------------------------------------------------- order


@pytest.mark.timeout(30)
def test_three_go_statements_run_2_0_1_async_recorders() -> None:
    """Go prints 2 0 1: the last G created is in runnext, the others FIFO in the ring."""
    out: list[int] = []

    async def rec(i: int, ch: gort.Chan[int]) -> None:
        out.append(i)
        await ch.send(i)

    async def main() -> list[int]:
        ch: gort.Chan[int] = gort.Chan()
        for i in range(3):
            gort.go(rec, i, ch)
        for _ in range(3):
            await ch.recv()
        return out

    assert gort.run(main, gomaxprocs=1) == [2, 0, 1]


@pytest.mark.timeout(30)
def test_three_go_statements_run_2_0_1_plain_callables() -> None:
    out: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    def rec(i: int) -> None:  # a plain callable goroutine, like `go print(i)`
        out.append(i)
        if len(out) == 3:
            done.close()

    async def main() -> list[int]:
        for i in range(3):
            gort.go(rec, i)
        snap = rt.sched_snapshot()
        p0 = snap.procs[0]
        # goids 2, 3, 4 for i = 0, 1, 2: 4 in runnext, 2 and 3 in the ring
        assert (p0.runnext, p0.runq, snap.global_runq) == (4, (2, 3), ())
        await done.recv()
        return out

    assert gort.run(main, gomaxprocs=1) == [2, 0, 1]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1, 2, 3, 5, 100, 255, 256, 257, 258, 300, 386, 387, 600])
def test_runnext_ring_and_global_queue_after_n_go_calls(n: int) -> None:
    expect_next, expect_ring, expect_glob = go_runq_model(n)

    async def main() -> tuple[int | None, tuple[int, ...], tuple[int, ...], int]:
        for _ in range(n):
            gort.go(_noop)
        snap = rt.sched_snapshot()
        p0 = snap.procs[0]
        return p0.runnext, p0.runq, snap.global_runq, len(snap.goroutines)

    runnext, ring, glob, ngs = gort.run(main, gomaxprocs=1)
    assert runnext == expect_next
    assert list(ring) == expect_ring
    assert list(glob) == expect_glob
    assert ngs == n + 1  # main and the n new ones, none has run yet


@pytest.mark.timeout(30)
def test_ring_overflow_moves_first_half_plus_kicked_g_to_global_queue() -> None:
    """258 go calls: runnext 259, ring 130..257, global 2..129 then 258 (129 Gs)."""

    async def main() -> rt.SchedSnapshot:
        for _ in range(258):
            gort.go(_noop)
        return rt.sched_snapshot()

    snap = gort.run(main, gomaxprocs=1)
    p0 = snap.procs[0]
    assert len(snap.global_runq) == 129
    assert snap.global_runq == (*range(2, 130), 258)
    assert p0.runq == tuple(range(130, 258))
    assert p0.runnext == 259


@pytest.mark.timeout(60)
@pytest.mark.parametrize("n", [3, 258, 600])
def test_every_queued_goroutine_runs_exactly_once(n: int) -> None:
    ran: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    async def body(i: int) -> None:
        ran.append(i)
        if len(ran) == n:
            done.close()

    async def main() -> None:
        for i in range(n):
            gort.go(body, i)
        await done.recv()

    gort.run(main, gomaxprocs=1)
    assert sorted(ran) == list(range(n))


@pytest.mark.timeout(30)
def test_gosched_puts_the_goroutine_on_the_global_queue() -> None:
    seen: dict[str, object] = {}
    done: gort.Chan[None] = gort.Chan()

    async def b() -> None:
        snap = rt.sched_snapshot()
        seen["global"] = snap.global_runq
        seen["runnext"] = snap.procs[0].runnext
        seen["ring"] = snap.procs[0].runq
        seen["a_status"] = {g.goid: g.status for g in snap.goroutines}.get(seen["a"])

    async def a() -> None:
        seen["a"] = rt.goid()
        gort.go(b)
        await gort.gosched()  # a -> global queue; b (runnext) runs first
        seen["after"] = True
        done.close()

    async def main() -> None:
        # `a` is taken from the ring, not runnext, so it starts a new time slice
        # (schedtick 1): at schedtick % 61 == 0, schedule looks at the global queue
        # first, which would run `a` again before `b`, in Go as here.
        gort.go(a)
        gort.go(_noop)
        await done.recv()

    gort.run(main, gomaxprocs=1)
    assert seen["global"] == (seen["a"],)
    assert seen["runnext"] is None
    assert seen["ring"] == ()
    assert seen["a_status"] == "_Grunnable"
    assert seen["after"] is True


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["gosched", "sleep(0)", "sleep(-1)"])
def test_main_first_gosched_lets_the_new_goroutine_run(how: str) -> None:
    """Go's canonical `go f(); runtime.Gosched()` in main, on one P: f runs before main
    goes on (contract: gosched yields the processor; sleep(d <= 0) after a yield).
    main's first time slice must not look like schedtick 0, or the global-queue check
    of every 61st tick hands main straight back to itself."""
    order: list[str] = []

    async def main() -> None:
        gort.go(order.append, "f")
        if how == "gosched":
            await gort.gosched()
        else:
            await gort.sleep(0 if how == "sleep(0)" else -1)
        order.append("main")

    gort.run(main, gomaxprocs=1)
    assert order == ["f", "main"]


@pytest.mark.timeout(30)
def test_woken_goroutine_goes_to_the_wakers_runnext() -> None:
    seen: dict[str, object] = {}

    async def idle() -> None:
        pass

    async def waker(ch: gort.Chan[int]) -> None:
        await ch.send(1)  # main is waiting: goready(main) -> this P's runnext
        snap = rt.sched_snapshot()
        seen["runnext"] = snap.procs[0].runnext
        seen["ring"] = snap.procs[0].runq

    async def main() -> int:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(idle)  # goid 2
        gort.go(waker, ch)  # goid 3 takes runnext; 2 is kicked to the ring
        return await ch.recv()

    assert gort.run(main, gomaxprocs=1) == 1
    assert seen["runnext"] == 1
    assert seen["ring"] == (2,)


# --------------------------------------------------------------------------- goids


@pytest.mark.timeout(30)
def test_main_is_goroutine_1_and_goids_follow_creation_order_on_one_p() -> None:
    n = 40
    got: dict[int, int] = {}
    done: gort.Chan[None] = gort.Chan()

    async def rec(i: int) -> None:
        got[i] = rt.goid()
        if len(got) == n:
            done.close()

    async def main() -> tuple[int, tuple[int, ...]]:
        me = rt.goid()
        for i in range(n):
            gort.go(rec, i)
        ids = tuple(g.goid for g in rt.sched_snapshot().goroutines)
        await done.recv()
        return me, ids

    me, ids = gort.run(main, gomaxprocs=1)
    assert me == 1
    assert ids == tuple(range(1, n + 2))
    # one P takes block after block of 16 (1-16, 17-32, 33-48): consecutive goids
    assert got == {i: i + 2 for i in range(n)}


@pytest.mark.timeout(60)
def test_goids_come_in_blocks_of_16_per_p() -> None:
    """A goroutine running on P1 hands out goids from P1's own block (17-32), while P0
    goes on with its block (1-16)."""
    res: dict[str, object] = {}
    kids: gort.Chan[int] = gort.Chan(3)

    async def child() -> None:
        await kids.send(rt.goid())

    async def a() -> None:
        mp = proc.getm()
        pp = mp.p if mp is not None else None
        res["a_pid"] = pp.id if pp is not None else None
        res["a_goid"] = rt.goid()
        gort.go(child)
        gort.go(child)
        res["a_done"] = True

    async def main() -> None:
        gort.go(a)
        # Hold P0 (no await) until another P has run `a`: the new goroutine woke an
        # idle P (wakep), whose M steals `a` from P0's runnext.
        deadline = time.monotonic() + 20
        while "a_done" not in res and time.monotonic() < deadline:
            time.sleep(0.001)
        assert "a_done" in res, "no other P ran a goroutine while P0 was busy"
        gort.go(child)
        res["kids"] = sorted([await kids.recv() for _ in range(3)])

    gort.run(main, gomaxprocs=2)
    assert res["a_pid"] == 1
    assert res["a_goid"] == 2  # P0's block: main is 1, `a` is 2
    # `a` on P1 made 17 and 18 (P1's first block); main on P0 goes on with 3
    assert res["kids"] == [3, 17, 18]


# --------------------------------------------------------------------------- free lists


def _run_and_exit(n: int) -> tuple[int, int, int, int]:
    """n goroutines run and end on P0; returns (P0 gfree, global gfree, numgoroutine,
    len(allgs))."""
    ran: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    async def body() -> None:
        ran.append(1)
        if len(ran) == n:
            done.close()  # main -> runnext; this G still ends (gfput) before main runs

    async def main() -> tuple[int, int, int, int]:
        for _ in range(n):
            gort.go(body)
        await done.recv()
        snap = rt.sched_snapshot()
        assert proc.sched is not None
        return snap.procs[0].gfree, snap.global_gfree, gort.numgoroutine(), len(proc.sched.allgs)

    return gort.run(main, gomaxprocs=1)  # type: ignore[no-any-return]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1, 10, 63, 64, 65, 100, 127, 200])
def test_free_list_counts_after_goroutines_exit(n: int) -> None:
    local, glob, ngo, nallg = _run_and_exit(n)
    assert (local, glob) == gfree_model(n)
    assert ngo == 1
    assert nallg == n + 1  # every G was new: nothing was free when they were made


@pytest.mark.timeout(30)
def test_free_list_64_moves_33_to_global_and_keeps_31() -> None:
    assert _run_and_exit(64)[:2] == (31, 33)


@pytest.mark.timeout(30)
def test_freed_gs_are_reused_local_first_then_refilled_from_global() -> None:
    n = 64
    ran: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    async def body() -> None:
        ran.append(1)
        if len(ran) == n:
            done.close()

    async def main() -> list[tuple[int, int, int, int]]:
        assert proc.sched is not None
        steps = []
        for _ in range(n):
            gort.go(body)
        await done.recv()
        dead = {id(g) for g in proc.sched.allgs if g is not proc.sched.main_g}

        def state() -> tuple[int, int, int, int]:
            snap = rt.sched_snapshot()
            assert proc.sched is not None
            nallg = len(proc.sched.allgs)
            return snap.procs[0].gfree, snap.global_gfree, nallg, gort.numgoroutine()

        steps.append(state())  # (31, 33, 65, 1)
        for _ in range(31):
            gort.go(_noop)
        steps.append(state())  # local list used up: (0, 33, 65, 32)
        gort.go(_noop)
        steps.append(state())  # gfget refills to 32 from global, takes one: (31, 1, 65, 33)
        # every new goroutine is one of the dead Gs, reused
        assert {id(g) for g in proc.sched.allgs} - {id(proc.sched.main_g)} == dead
        return steps

    steps = gort.run(main, gomaxprocs=1)
    assert steps == [(31, 33, 65, 1), (0, 33, 65, 32), (31, 1, 65, 33)]


@pytest.mark.timeout(30)
def test_reused_g_gets_a_fresh_goid_and_fresh_state() -> None:
    seen: dict[str, object] = {}
    done: gort.Chan[None] = gort.Chan()

    async def first() -> None:
        seen["first"] = rt.goid()
        done.close()

    async def second(ch: gort.Chan[int]) -> None:
        await ch.send(rt.goid())

    async def main() -> None:
        gort.go(first)
        await done.recv()
        assert proc.sched is not None
        allg = len(proc.sched.allgs)
        ch: gort.Chan[int] = gort.Chan()
        gort.go(second, ch)
        seen["allg_same"] = len(proc.sched.allgs) == allg
        seen["second"] = await ch.recv()

    gort.run(main, gomaxprocs=1)
    assert seen["first"] == 2
    assert seen["second"] == 3  # the G is reused, the goid is not
    assert seen["allg_same"] is True


# --------------------------------------------------------------------------- snapshot


@pytest.mark.parametrize("procs", [1, 4])
@pytest.mark.timeout(30)
def test_snapshot_reports_p_status_from_before_the_stop(procs: int) -> None:
    # The snapshot stops the world, which puts every P in _Pgcstop; it reports what
    # each P was doing when it stopped: the caller's P running, the others idle.
    async def main() -> tuple[int | None, rt.SchedSnapshot]:
        mp = proc.getm()
        pp = mp.p if mp is not None else None
        return (pp.id if pp is not None else None), rt.sched_snapshot()

    mine, snap = gort.run(main, gomaxprocs=procs)
    assert mine is not None
    status = {p.id: p.status for p in snap.procs}
    assert status[mine] == "_Prunning"
    assert all(st == "_Pidle" for pid, st in status.items() if pid != mine), status
    assert snap.idleprocs == procs - 1


@pytest.mark.timeout(30)
def test_snapshot_goroutine_fields() -> None:
    res: dict[str, object] = {}

    async def grandchild(ch: gort.Chan[int], ready: gort.Chan[int]) -> None:
        await ready.send(rt.goid())
        await ch.recv()

    async def child(ch: gort.Chan[int], ready: gort.Chan[int]) -> None:
        gort.go(grandchild, ch, ready)
        await ch.recv()

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        ready: gort.Chan[int] = gort.Chan()
        gort.go(child, ch, ready)
        res["grandchild"] = await ready.recv()
        gort.go(_noop)  # runnable, never run before the snapshot
        snap = rt.sched_snapshot()
        res["snap"] = snap
        ch.close()

    gort.run(main, gomaxprocs=1)
    snap: rt.SchedSnapshot = res["snap"]  # type: ignore[assignment]
    by = {g.goid: g for g in snap.goroutines}
    assert snap.gomaxprocs == 1
    assert [p.id for p in snap.procs] == [0]
    assert sorted(by) == [1, 2, 3, 4]
    assert res["grandchild"] == 3
    main_g, child_g, grand_g, noop_g = by[1], by[2], by[3], by[4]
    assert main_g.status == "_Grunning"
    assert main_g.parent_goid == 0
    assert main_g.created_by is None
    assert child_g.status == "_Gwaiting"
    assert child_g.wait_reason == "chan receive"
    assert child_g.parent_goid == 1
    assert child_g.created_by == "test_snapshot_goroutine_fields.<locals>.main"
    assert grand_g.status == "_Gwaiting"
    assert grand_g.wait_reason == "chan receive"
    assert grand_g.parent_goid == 2
    assert grand_g.created_by == "test_snapshot_goroutine_fields.<locals>.child"
    assert noop_g.status == "_Grunnable"
    assert snap.procs[0].runnext == 4


# --------------------------------------------------------------------------- time slices


@pytest.mark.timeout(30)
def test_runnext_inherits_the_time_slice() -> None:
    """A ping-pong pair hands off through runnext: schedtick does not move."""
    ticks: list[int] = []

    async def pong(ping: gort.Chan[int], back: gort.Chan[int]) -> None:
        async for v in ping:
            await back.send(v)

    async def main() -> None:
        ping: gort.Chan[int] = gort.Chan()
        back: gort.Chan[int] = gort.Chan()
        gort.go(pong, ping, back)
        await ping.send(0)
        await back.recv()
        ticks.append(rt.sched_snapshot().procs[0].schedtick)
        for i in range(20):
            await ping.send(i)
            assert await back.recv() == i
        ticks.append(rt.sched_snapshot().procs[0].schedtick)
        ping.close()

    gort.run(main, gomaxprocs=1)
    assert ticks[0] == ticks[1]


@pytest.mark.timeout(30)
def test_global_queue_is_checked_every_61_schedticks() -> None:
    """A goroutine that yielded to the global queue runs within about 61 time slices,
    not after everything queued locally."""
    order: list[str] = []
    done: gort.Chan[None] = gort.Chan()
    n = 200

    def rec(i: int) -> None:
        order.append(str(i))
        if len(order) == n + 1:
            done.close()

    async def yielder() -> None:
        await gort.gosched()  # to the global queue, behind nothing
        order.append("Y")
        if len(order) == n + 1:
            done.close()

    async def main() -> None:
        gort.go(yielder)
        for i in range(n):
            gort.go(rec, i)  # the ring: yielder first, then 0..198; 199 in runnext
        await done.recv()

    gort.run(main, gomaxprocs=1)
    assert sorted(x for x in order if x != "Y") == sorted(str(i) for i in range(n))
    assert order.count("Y") == 1
    # main runs in slice 1 (run() starts P0's schedtick at 1, as Go's main.main never
    # starts at 0); 199 (runnext, no new slice: schedtick stays 1), the yielder
    # (schedtick 2, goes to the global queue), then 0, 1, ... each a new slice (3,
    # 4, ...): after 58 the schedtick is 61, and schedule looks at the global queue first.
    assert order[:2] == ["199", "0"]
    assert order.index("Y") == 60, order.index("Y")


# --------------------------------------------------------------------------- status tables


@pytest.mark.timeout(10)
def test_casgstatus_refuses_transitions_go_refuses() -> None:
    from gort._runtime import runtime2 as r2

    gp = r2.G()
    r2.casgstatus(gp, r2._Gidle, r2._Gdead)
    r2.casgstatus(gp, r2._Gdead, r2._Grunnable)
    with pytest.raises(gort.FatalError) as ei:
        r2.casgstatus(gp, r2._Grunnable, r2._Gwaiting)  # not in Go's table
    msg = str(ei.value)
    assert "casgstatus" in msg and "_Grunnable" in msg and "_Gwaiting" in msg
    assert gp.status == r2._Grunnable  # unchanged
    with pytest.raises(gort.FatalError):
        r2.casgstatus(gp, r2._Gdead, r2._Grunnable)  # wrong old value
    r2.casgstatus(gp, r2._Grunnable, r2._Grunning)
    r2.casgstatus(gp, r2._Grunning, r2._Gdead)
    assert gp.status == r2._Gdead
