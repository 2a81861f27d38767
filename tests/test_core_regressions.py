"""Regression tests for bugs found in the scheduler core, one per bug."""

from __future__ import annotations

import pytest

import gort


@pytest.mark.timeout(30)
def test_shrinking_gomaxprocs_under_the_callers_p_then_trapping() -> None:
    # procresize moves an M whose P is destroyed to P0; the scheduler loop then saw
    # "a different P than before the trap" and tried to acquire an idle P on top of
    # P0 ("wirep: already in go").
    async def main() -> list[int]:
        seen = []
        done = gort.Chan(1)

        async def on_some_p() -> None:
            assert gort.gomaxprocs(1) == 4
            await gort.gosched()  # a trap right after the resize
            seen.append(gort.gomaxprocs())
            await done.send(None)

        for _ in range(8):
            gort.go(on_some_p)
            await done.recv()
            gort.gomaxprocs(4)
        return seen

    assert gort.run(main, gomaxprocs=4) == [1] * 8


@pytest.mark.timeout(30)
def test_select_over_only_nil_channels_waits_as_select() -> None:
    async def main() -> str:
        started = gort.Chan()

        async def selector() -> None:
            await started.send(None)
            await gort.select(gort.nilchan.recv, (gort.nilchan.send, 1))

        gort.go(selector)
        await started.recv()
        for _ in range(100):
            snap = gort.runtime.sched_snapshot()
            states = {g.goid: g.wait_reason for g in snap.goroutines if g.goid != 1}
            if list(states.values()) == ["select"]:
                return "select"
            await gort.gosched()
        return repr(states)

    assert gort.run(main, gomaxprocs=1) == "select"


@pytest.mark.timeout(30)
def test_readying_a_goroutine_of_an_ended_runtime_is_refused() -> None:
    # A waiter abandoned when main returned, woken later from outside (here: the
    # test's own thread): it must not run, neither in nothing nor in the next runtime.
    ch: gort.Chan[int] = gort.Chan()

    async def main() -> None:
        started: gort.Chan[None] = gort.Chan()

        async def waiter() -> None:
            await started.send(None)
            await ch.recv()
            raise AssertionError("an abandoned goroutine ran again")

        gort.go(waiter)
        await started.recv()
        while True:  # until the waiter is parked on ch
            gs = gort.runtime.sched_snapshot().goroutines
            if [g.wait_reason for g in gs if g.goid != 1] == ["chan receive"]:
                break
            await gort.gosched()

    gort.run(main, gomaxprocs=1)
    with pytest.raises(RuntimeError, match="runtime that has ended"):
        ch.try_send(1)

    async def main2() -> int:
        return 7

    assert gort.run(main2, gomaxprocs=1) == 7


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_no_goroutine_lost_when_sysmon_retakes_ps_under_load() -> None:
    # Under load an M can be descheduled for tens of ms inside a goroutine; sysmon
    # then takes its P. The old owner may still finish a ready into that P: runnext
    # was a blind store and one G vanished (checkdead: "runnable g" with every queue
    # empty). Provoke it: 0.2 ms time slices (retakes all the time) and a 100 us GIL
    # switch interval (threads interleave inside goready). Before the fix this failed
    # within a few runs; each run checks that every value arrived.
    import sys
    import time

    from gort._runtime import sysmon

    old_slice, old_switch = sysmon.FORCE_PREEMPT_NS, sys.getswitchinterval()
    sysmon.FORCE_PREEMPT_NS = 200_000
    sys.setswitchinterval(1e-4)
    try:
        async def main(n: int) -> int:
            c: gort.Chan[int] = gort.Chan()
            out: gort.Chan[int] = gort.Chan(8)

            async def producer() -> None:
                for i in range(n // 8):
                    await c.send(i)
                await out.send(0)

            async def consumer() -> None:
                total = 0
                async for _ in c:
                    total += 1
                await out.send(total)

            for _ in range(8):
                gort.go(consumer)
            for _ in range(8):
                gort.go(producer)
            for _ in range(8):
                await out.recv()
            c.close()
            got = 0
            for _ in range(8):
                got += await out.recv()  # type: ignore[operator]
            return got

        deadline = time.monotonic() + 15
        runs = 0
        while time.monotonic() < deadline:
            assert gort.run(main, 16_000, gomaxprocs=2) == 16_000
            runs += 1
        assert runs > 0
    finally:
        sysmon.FORCE_PREEMPT_NS = old_slice
        sys.setswitchinterval(old_switch)
