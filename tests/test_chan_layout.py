"""How a channel is laid out in memory: striped locks and lazily made wait queues.

A channel does not own a lock (it uses one of ``chan.NLOCKS`` shared stripes) nor
wait queues until a goroutine first waits on it (``chan.EMPTYQ``). These tests
check what that must never change: two channels that share a stripe still work
together in one ``select`` (the lock is taken once), and the shared empty queue
never receives a waiter.
"""

from __future__ import annotations

from typing import Any

import pytest

import gort
from gort._runtime import chan as _chan

pytestmark = pytest.mark.timeout(60)


def _same_stripe_pair() -> tuple[gort.Chan[Any], gort.Chan[Any], list[gort.Chan[Any]]]:
    """Two distinct channels with the same lock (and the list that keeps the others alive)."""
    seen: dict[int, gort.Chan[Any]] = {}
    keep: list[gort.Chan[Any]] = []
    for _ in range(50 * _chan.NLOCKS):
        c: gort.Chan[Any] = gort.Chan()
        keep.append(c)
        other = seen.get(id(c.lock))
        if other is not None:
            return other, c, keep
        seen[id(c.lock)] = c
    raise AssertionError("no two channels shared a lock stripe")


def test_channels_share_a_bounded_set_of_locks() -> None:
    chans = [gort.Chan() for _ in range(4 * _chan.NLOCKS)]
    locks = {id(c.lock) for c in chans}
    assert len(locks) <= _chan.NLOCKS
    # the hash spreads consecutive channels over many stripes
    assert len(locks) > _chan.NLOCKS // 2


def test_select_over_two_channels_on_one_stripe_blocks_and_wakes() -> None:
    a, b, keep = _same_stripe_pair()
    assert a is not b and a.lock is b.lock

    async def main() -> list[tuple[int, Any]]:
        got: list[tuple[int, Any]] = []
        done: gort.Chan[None] = gort.Chan()

        async def selector() -> None:
            for _ in range(4):
                got.append(await gort.select(a.recv, b.recv))
            await done.send(None)

        gort.go(selector)
        for i in range(2):
            await a.send(("a", i))  # the selector is parked on both: one lock, held once
            await b.send(("b", i))
        await done.recv()
        return got

    got = gort.run(main, gomaxprocs=1)
    assert sorted(got) == [(0, ("a", 0)), (0, ("a", 1)), (1, ("b", 0)), (1, ("b", 1))]
    assert keep  # the colliding channels stayed alive for the whole run


def test_select_send_and_receive_on_one_stripe_with_a_ready_partner() -> None:
    a, b, _keep = _same_stripe_pair()

    async def main() -> tuple[int, Any]:
        async def sender() -> None:
            await b.send("x")

        gort.go(sender)
        # wait until the sender is parked on b, then select: pass 1 finds it
        while not b.sendq:
            await gort.gosched()
        return await gort.select((a.send, 1), b.recv)

    assert gort.run(main, gomaxprocs=1) == (1, "x")


def test_the_shared_empty_queue_never_holds_a_waiter() -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        d: gort.Chan[int] = gort.Chan()
        assert c.recvq is _chan.EMPTYQ and c.sendq is _chan.EMPTYQ

        async def receiver() -> None:
            await c.recv()

        async def selector() -> None:
            await gort.select(d.recv, (d.send, 5))

        gort.go(receiver)
        gort.go(selector)
        while not (c.recvq and d.recvq and d.sendq):
            await gort.gosched()
        assert c.recvq is not _chan.EMPTYQ and c.sendq is _chan.EMPTYQ
        assert d.recvq is not _chan.EMPTYQ and d.sendq is not _chan.EMPTYQ
        assert _chan.EMPTYQ.first is None and _chan.EMPTYQ.last is None
        await c.send(1)
        # the selector is parked on both directions of d: a receive takes its send case
        assert await d.recv() == 5
        assert _chan.EMPTYQ.first is None and _chan.EMPTYQ.last is None

    gort.run(main, gomaxprocs=1)
