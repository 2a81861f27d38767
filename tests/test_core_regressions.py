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
