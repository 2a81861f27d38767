"""Stress (issue 3, "Checks"): a tree of goroutines spawning goroutines across Ps.

Every goroutine must run exactly once, nothing may hang, and with more than one P
other Ps must steal work (``sched_snapshot().steals``). Run on the GIL build and on
the free-threaded build.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import gort
import gort.runtime as rt
from gort._runtime import proc  # white-box: the P a goroutine runs on

pytestmark = pytest.mark.slow


@dataclass
class TreeResult:
    received: list[int]
    ran: list[int]
    pids: set[int]
    steals: int
    numgoroutine_after: int
    global_runq_after: int


def spawn_tree(total: int, fanout: int, procs: int) -> TreeResult:
    """Goroutine i spawns goroutines fanout*i+1 .. fanout*i+fanout (those < total),
    then sends its id on a buffered channel; main receives ``total`` ids."""
    ran: list[int] = []  # list.append is atomic on both builds
    pids: set[int] = set()
    ids: gort.Chan[int] = gort.Chan(total)

    async def node(i: int) -> None:
        ran.append(i)
        mp = proc.getm()
        pp = mp.p if mp is not None else None  # one read: sysmon may take the P
        if pp is not None:
            pids.add(pp.id)
        first = fanout * i + 1
        for c in range(first, min(first + fanout, total)):
            gort.go(node, c)
        await ids.send(i)

    async def main() -> TreeResult:
        gort.go(node, 0)
        received = [await ids.recv() for _ in range(total)]
        # every sender has sent: let the last ones finish, then look at the state
        while gort.numgoroutine() > 1:
            await gort.gosched()
        snap = rt.sched_snapshot()
        return TreeResult(
            received=received,
            ran=list(ran),
            pids=set(pids),
            steals=snap.steals,
            numgoroutine_after=gort.numgoroutine(),
            global_runq_after=len(snap.global_runq),
        )

    return gort.run(main, gomaxprocs=procs)  # type: ignore[no-any-return]


def check(res: TreeResult, total: int) -> None:
    assert len(res.received) == total
    assert sorted(res.received) == list(range(total))  # each id once: ran exactly once
    assert len(res.ran) == total
    assert sorted(res.ran) == list(range(total))
    assert res.numgoroutine_after == 1
    assert res.global_runq_after == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2, 4])
def test_tree_of_100000_goroutines(procs: int) -> None:
    total = 100_000
    res = spawn_tree(total, 4, procs)
    check(res, total)
    if procs == 1:
        assert res.steals == 0
        assert res.pids == {0}
    else:
        assert res.steals > 0, "no goroutine was stolen by another P"
        assert len(res.pids) > 1, f"every goroutine ran on P{res.pids}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2, 4])
def test_tree_20_runs_in_a_row(procs: int) -> None:
    total = 20_000
    steals = []
    for _ in range(20):
        res = spawn_tree(total, 3, procs)
        check(res, total)
        steals.append(res.steals)
    if procs == 1:
        assert steals == [0] * 20
    else:
        assert sum(steals) > 0, steals


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [2, 4])
def test_wide_fanout_from_one_goroutine_is_shared_by_every_p(procs: int) -> None:
    """One goroutine makes 50,000 goroutines in a row: its ring overflows into the
    global queue again and again while idle Ps steal from it and take from the global
    queue."""
    total = 50_000
    ran: list[int] = []
    pids: set[int] = set()
    ids: gort.Chan[int] = gort.Chan(total)

    async def leaf(i: int) -> None:
        mp = proc.getm()
        pp = mp.p if mp is not None else None  # one read: sysmon may take the P
        if pp is not None:
            pids.add(pp.id)
        ran.append(i)
        await ids.send(i)

    async def main() -> list[int]:
        for i in range(total):
            gort.go(leaf, i)
        return [await ids.recv() for _ in range(total)]

    got = gort.run(main, gomaxprocs=procs)
    assert sorted(got) == list(range(total))
    assert sorted(ran) == list(range(total))
    # main held P0 while it made them all: another P must have run some of them
    assert pids - {0}, "only P0 ran goroutines"
