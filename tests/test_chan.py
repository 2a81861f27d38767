"""Channels: every behaviour and message of the contract (docs: spec/api.md section 3 and the
start of section 4; issue 4, points 1, 4 and 5).

Synchronisation is by channels and by ``gort.runtime.sched_snapshot()``: a test that needs
"goroutine X is now blocked in a send" polls the snapshot (yielding with ``gosched`` between
polls) until X is ``_Gwaiting`` with that wait reason; it never sleeps and hopes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import go_id, wait_blocked, wait_until
from helpers import state as _state

import gort
from gort.runtime import sched_snapshot

PROCS = [1, 2, 4]


@pytest.fixture(params=PROCS, ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


# ------------------------------------------------------------------------- helpers




HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]:$", re.MULTILINE)


def stack_headers() -> dict[int, str]:
    """goid -> bracketed status of every goroutine in ``gort.runtime.stack(all=True)``."""
    return {int(g): st for g, st in HEADER.findall(gort.runtime.stack(all=True))}


# ------------------------------------------------------------------ making a channel


@pytest.mark.timeout(10)
def test_make_unbuffered_and_buffered() -> None:
    c0 = gort.Chan()
    assert c0.cap == 0 and len(c0) == 0
    assert gort.Chan(0).cap == 0
    c5 = gort.Chan(5)
    assert c5.cap == 5 and len(c5) == 0
    assert gort.Chan(cap=7).cap == 7


@pytest.mark.timeout(10)
def test_make_typed_generic_alias() -> None:
    c = gort.Chan[int](3)
    assert isinstance(c, gort.Chan)
    assert c.cap == 3 and len(c) == 0
    u = gort.Chan[str]()
    assert isinstance(u, gort.Chan) and u.cap == 0


@pytest.mark.timeout(10)
@pytest.mark.parametrize("size", [-1, -2, -(2**40)])
def test_make_negative_size(size: int) -> None:
    with pytest.raises(ValueError) as ei:
        gort.Chan(size)
    assert str(ei.value) == "makechan: size out of range"
    with pytest.raises(ValueError) as ei:
        gort.Chan[int](size)
    assert str(ei.value) == "makechan: size out of range"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("size", [1.0, 2.5, "3", None, [1], b"1"], ids=repr)
def test_make_non_int_size(size: Any) -> None:
    with pytest.raises(TypeError):
        gort.Chan(size)
    with pytest.raises(TypeError):
        gort.Chan[int](size)


@pytest.mark.timeout(10)
def test_nilchan_len_cap_and_close() -> None:
    # Go: len(nil) == cap(nil) == 0; close(nil) panics.
    assert len(gort.nilchan) == 0
    assert gort.nilchan.cap == 0
    with pytest.raises(gort.Panic) as ei:
        gort.nilchan.close()
    assert str(ei.value) == "close of nil channel"


# ------------------------------------------------------- unbuffered: a rendezvous


@pytest.mark.timeout(30)
def test_unbuffered_send_waits_for_receiver(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[str] = gort.Chan()
        done: gort.Chan[bool] = gort.Chan(1)
        sent: list[bool] = []

        async def sender() -> None:
            await ch.send("v")
            sent.append(True)
            await done.send(True)

        sid = await go_id(sender)
        await wait_blocked(sid, "chan send")
        # the send has not completed, and did not leave the value in a buffer
        assert sent == []
        assert len(ch) == 0
        assert await ch.recv() == "v"
        assert await done.recv() is True
        assert sent == [True]

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_unbuffered_recv_waits_for_sender(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        out: gort.Chan[tuple[int, bool]] = gort.Chan(1)

        async def receiver() -> None:
            await out.send(await ch.recv_ok())  # type: ignore[arg-type]

        rid = await go_id(receiver)
        await wait_blocked(rid, "chan receive")
        assert len(out) == 0
        await ch.send(42)
        assert await out.recv() == (42, True)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_unbuffered_many_rendezvous_in_order(procs: int) -> None:
    async def main() -> list[int]:
        ch: gort.Chan[int] = gort.Chan()

        async def producer() -> None:
            for i in range(500):
                await ch.send(i)
            ch.close()

        gort.go(producer)
        return [v async for v in ch]

    assert gort.run(main, gomaxprocs=procs) == list(range(500))


# ------------------------------------------------------------------------ buffered


@pytest.mark.timeout(30)
def test_buffered_fifo_len_cap(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan[int](3)
        assert (len(ch), ch.cap) == (0, 3)
        # main is the only goroutine: if any of these sends blocked, run would report
        # a deadlock instead of returning
        for i in range(3):
            await ch.send(i * 10)
            assert len(ch) == i + 1
        assert ch.cap == 3
        got = []
        for i in range(3):
            got.append(await ch.recv())
            assert len(ch) == 2 - i
        assert got == [0, 10, 20]
        assert ch.cap == 3

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_buffered_full_send_blocks_and_fifo_is_kept(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[str] = gort.Chan(2)
        await ch.send("a")
        await ch.send("b")
        done: gort.Chan[bool] = gort.Chan(1)

        async def sender() -> None:
            await ch.send("c")
            await done.send(True)

        sid = await go_id(sender)
        await wait_blocked(sid, "chan send")
        assert len(ch) == 2 and len(done) == 0
        # Go's recv from a full channel with a waiting sender: the head is taken and the
        # sender's value goes to the tail at once (so the buffer stays full)
        assert await ch.recv() == "a"
        assert len(ch) == 2
        assert await done.recv() is True
        assert await ch.recv() == "b"
        assert await ch.recv() == "c"
        assert len(ch) == 0

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_buffered_recv_from_empty_blocks(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(4)
        out: gort.Chan[int] = gort.Chan(1)

        async def receiver() -> None:
            await out.send(await ch.recv())  # type: ignore[arg-type]

        rid = await go_id(receiver)
        await wait_blocked(rid, "chan receive")
        await ch.send(9)
        assert await out.recv() == 9
        # the value went straight to the waiting receiver, not into the buffer
        assert len(ch) == 0

    gort.run(main, gomaxprocs=procs)


# --------------------------------------------------------------------------- close


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 1, 5])
def test_send_on_closed_channel_panics(cap: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(cap)
        ch.close()
        with pytest.raises(gort.Panic) as ei:
            await ch.send(1)
        assert str(ei.value) == "send on closed channel"
        assert len(ch) == 0

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_send_on_closed_channel_uncaught_ends_run() -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(1)
        ch.close()
        await ch.send(1)

    with pytest.raises(gort.Panic) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "send on closed channel"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 2])
def test_blocked_senders_panic_when_channel_closes(procs: int, cap: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(cap)
        for i in range(cap):
            await ch.send(100 + i)
        results: gort.Chan[str] = gort.Chan(8)

        async def sender(v: int) -> None:
            try:
                await ch.send(v)
            except gort.Panic as e:
                await results.send(f"panic: {e}")
            else:
                await results.send("sent")

        ids = [await go_id(sender, v) for v in range(3)]
        for goid in ids:
            await wait_blocked(goid, "chan send")
        ch.close()
        got = sorted([await results.recv() for _ in ids])  # type: ignore[type-var]
        assert got == ["panic: send on closed channel"] * 3
        # the values that were buffered before the close are still there, nothing else
        assert [await ch.recv_ok() for _ in range(cap + 1)] == [
            *((100 + i, True) for i in range(cap)),
            (None, False),
        ]

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_blocked_sender_panic_on_close_ends_run(procs: int) -> None:
    # uncaught in the sender: the panic ends the program and run re-raises it
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()

        async def sender() -> None:
            await ch.send(1)

        sid = await go_id(sender)
        await wait_blocked(sid, "chan send")
        ch.close()
        await gort.select()  # wait for the panic (a deadlock instead would fail the test)

    with pytest.raises(gort.Panic) as ei:
        gort.run(main, gomaxprocs=procs)
    assert str(ei.value) == "send on closed channel"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 3])
def test_close_of_closed_channel(cap: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(cap)
        if cap:
            await ch.send(7)
        ch.close()
        with pytest.raises(gort.Panic) as ei:
            ch.close()
        assert str(ei.value) == "close of closed channel"
        # the failed close changed nothing
        if cap:
            assert await ch.recv_ok() == (7, True)
        assert await ch.recv_ok() == (None, False)

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_close_of_nil_channel_in_goroutine() -> None:
    async def main() -> str:
        try:
            gort.nilchan.close()
        except gort.Panic as e:
            return str(e)
        return "no panic"

    assert gort.run(main, gomaxprocs=1) == "close of nil channel"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 1, 4])
def test_recv_on_closed_drained_channel(cap: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(cap)
        ch.close()
        for _ in range(3):  # at once, every time
            assert await ch.recv() is None
            assert await ch.recv_ok() == (None, False)
        assert len(ch) == 0

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_buffered_values_drain_after_close(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[Any] = gort.Chan(4)
        for v in ("a", None, 0):
            await ch.send(v)
        ch.close()
        assert len(ch) == 3
        assert await ch.recv_ok() == ("a", True)
        assert len(ch) == 2
        # a None that was sent is a real value: ok is True
        assert await ch.recv_ok() == (None, True)
        assert await ch.recv() == 0
        assert len(ch) == 0
        assert await ch.recv_ok() == (None, False)
        assert await ch.recv() is None

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_recv_ok_is_true_for_a_sent_none(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[None] = gort.Chan()

        async def sender() -> None:
            await ch.send(None)
            await ch.send(None)
            ch.close()

        gort.go(sender)
        assert await ch.recv_ok() == (None, True)
        assert await ch.recv_ok() == (None, True)
        assert await ch.recv_ok() == (None, False)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 3])
def test_close_wakes_every_blocked_receiver(procs: int, cap: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(cap)
        results: gort.Chan[Any] = gort.Chan(8)

        async def recv_plain() -> None:
            await results.send(("recv", await ch.recv()))

        async def recv_ok() -> None:
            await results.send(("recv_ok", await ch.recv_ok()))

        ids = [await go_id(f) for f in (recv_plain, recv_ok, recv_plain, recv_ok)]
        for goid in ids:
            await wait_blocked(goid, "chan receive")
        assert len(results) == 0
        ch.close()
        got = sorted([repr(await results.recv()) for _ in ids])
        assert got == sorted([repr(("recv", None))] * 2 + [repr(("recv_ok", (None, False)))] * 2)

    gort.run(main, gomaxprocs=procs)


# ---------------------------------------------------------------------- async for


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 1, 16])
def test_async_for_until_closed(procs: int, cap: int) -> None:
    async def main() -> list[int]:
        ch: gort.Chan[int] = gort.Chan(cap)

        async def producer() -> None:
            for i in range(300):
                await ch.send(i)
            ch.close()

        gort.go(producer)
        got = []
        async for v in ch:
            got.append(v)
        # after the loop the channel is closed and drained
        assert await ch.recv_ok() == (None, False)
        return got

    assert gort.run(main, gomaxprocs=procs) == list(range(300))


@pytest.mark.timeout(30)
def test_async_for_drains_a_closed_buffer_and_can_resume() -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(5)
        for i in range(5):
            await ch.send(i)
        ch.close()
        first = []
        async for v in ch:
            first.append(v)
            if v == 1:
                break
        assert first == [0, 1]
        assert [v async for v in ch] == [2, 3, 4]
        assert [v async for v in ch] == []

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_async_for_blocks_while_open(procs: int) -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        out: gort.Chan[list[int]] = gort.Chan(1)

        async def ranger() -> None:
            await out.send([v async for v in ch])

        rid = await go_id(ranger)
        await wait_blocked(rid, "chan receive")
        await ch.send(1)
        await wait_blocked(rid, "chan receive")
        assert len(out) == 0  # still ranging: the channel is open
        ch.close()
        assert await out.recv() == [1]

    gort.run(main, gomaxprocs=procs)


# ---------------------------------------------------------------------------- nil


@pytest.mark.timeout(30)
def test_nilchan_send_and_recv_block_forever(procs: int) -> None:
    async def main() -> str:
        async def send() -> None:
            await gort.nilchan.send(1)
            raise AssertionError("send on nil channel returned")

        async def recv() -> None:
            await gort.nilchan.recv()
            raise AssertionError("receive on nil channel returned")

        async def recv_ok() -> None:
            await gort.nilchan.recv_ok()
            raise AssertionError("receive on nil channel returned")

        s = await go_id(send)
        r = await go_id(recv)
        ro = await go_id(recv_ok)
        await wait_blocked(s, "chan send (nil chan)")
        await wait_blocked(r, "chan receive (nil chan)")
        await wait_blocked(ro, "chan receive (nil chan)")
        # other channel traffic does not wake them
        c: gort.Chan[int] = gort.Chan(1)
        await c.send(1)
        await c.recv()
        for _ in range(20):
            await gort.gosched()
        snap = sched_snapshot()
        assert _state(snap, s) == ("_Gwaiting", "chan send (nil chan)")
        assert _state(snap, r) == ("_Gwaiting", "chan receive (nil chan)")
        assert _state(snap, ro) == ("_Gwaiting", "chan receive (nil chan)")
        headers = stack_headers()
        assert headers[s] == "chan send (nil chan)"
        assert headers[r] == "chan receive (nil chan)"
        return "main returned"

    # they are abandoned when main returns
    assert gort.run(main, gomaxprocs=procs) == "main returned"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("op", ["send", "recv", "recv_ok"])
def test_nilchan_block_in_main_is_a_deadlock(op: str) -> None:
    async def main() -> None:
        if op == "send":
            await gort.nilchan.send(0)
        elif op == "recv":
            await gort.nilchan.recv()
        else:
            await gort.nilchan.recv_ok()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    reason = "chan send (nil chan)" if op == "send" else "chan receive (nil chan)"
    assert f"goroutine 1 [{reason}]:" in ei.value.dump


# -------------------------------------------------------------------- wait reasons


@pytest.mark.timeout(30)
def test_wait_reasons_in_stack_dump(procs: int) -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        c: gort.Chan[int] = gort.Chan(1)
        await c.send(0)  # c is full
        d: gort.Chan[int] = gort.Chan()

        async def receiver() -> None:
            await a.recv()

        async def sender_unbuffered() -> None:
            await b.send(1)

        async def sender_full() -> None:
            await c.send(1)

        async def selector() -> None:
            await gort.select(d.recv, (d.send, 1))

        async def no_cases() -> None:
            await gort.select()

        r = await go_id(receiver)
        s = await go_id(sender_unbuffered)
        f = await go_id(sender_full)
        sel = await go_id(selector)
        nc = await go_id(no_cases)
        await wait_blocked(r, "chan receive")
        await wait_blocked(s, "chan send")
        await wait_blocked(f, "chan send")
        await wait_blocked(sel, "select")
        await wait_blocked(nc, "select (no cases)")
        dump = gort.runtime.stack(all=True)
        headers = {int(g): st for g, st in HEADER.findall(dump)}
        assert headers[r] == "chan receive"
        assert headers[s] == "chan send"
        assert headers[f] == "chan send"
        assert headers[sel] == "select"
        assert headers[nc] == "select (no cases)"
        assert headers[1] == "running"
        # each blocked goroutine's own frame is in its block
        for name in ("receiver", "sender_unbuffered", "sender_full", "selector", "no_cases"):
            assert f"main.<locals>.{name}" in dump
        # and the snapshot agrees
        snap = sched_snapshot()
        assert _state(snap, r) == ("_Gwaiting", "chan receive")
        assert _state(snap, sel) == ("_Gwaiting", "select")
        # wake them; the woken ones are no longer shown as waiting on the channel
        await a.send(5)
        await b.recv()
        await d.send(3)
        await wait_until(
            lambda sn: all(_state(sn, g) is None for g in (r, s, sel)), "the woken goroutines end"
        )
        headers = stack_headers()
        assert r not in headers and s not in headers and sel not in headers
        assert headers[f] == "chan send"

    gort.run(main, gomaxprocs=procs)


# -------------------------------------------------------------------------- deadlock


@pytest.mark.timeout(30)
def test_deadlock_two_goroutines_waiting_on_each_other(procs: int) -> None:
    async def main() -> None:
        ca: gort.Chan[int] = gort.Chan()
        cb: gort.Chan[int] = gort.Chan()
        done: gort.Chan[bool] = gort.Chan()

        async def a() -> None:
            v = await cb.recv()
            await ca.send(v)  # type: ignore[arg-type]
            await done.send(True)

        async def b() -> None:
            v = await ca.recv()
            await cb.send(v)  # type: ignore[arg-type]
            await done.send(True)

        gort.go(a)
        gort.go(b)
        await done.recv()
        await done.recv()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    e = ei.value
    assert isinstance(e, gort.FatalError)
    assert str(e) == "all goroutines are asleep - deadlock!"
    headers = {int(g): st for g, st in HEADER.findall(e.dump)}
    assert headers[1] == "chan receive"
    assert sorted(headers.values()) == ["chan receive"] * 3, e.dump


@pytest.mark.timeout(30)
def test_deadlock_send_cycle(procs: int) -> None:
    async def main() -> None:
        ca: gort.Chan[int] = gort.Chan()
        cb: gort.Chan[int] = gort.Chan(1)
        await cb.send(0)  # full
        done: gort.Chan[bool] = gort.Chan()

        async def a() -> None:
            await cb.send(1)  # blocks: cb is full and only b would drain it
            await done.send(True)

        async def b() -> None:
            await ca.send(1)  # blocks: only a would receive
            await cb.recv()
            await done.send(True)

        gort.go(a)
        gort.go(b)
        await done.recv()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    headers = {int(g): st for g, st in HEADER.findall(ei.value.dump)}
    assert sorted(headers.values()) == ["chan receive", "chan send", "chan send"], ei.value.dump


@pytest.mark.timeout(30)
def test_no_false_deadlock_while_a_chain_makes_progress(procs: int) -> None:
    # every goroutine but one is blocked at each moment; the program must still finish
    async def main() -> int:
        first: gort.Chan[int] = gort.Chan()
        left = first
        for _ in range(200):
            right: gort.Chan[int] = gort.Chan()

            async def hop(lc: gort.Chan[int], rc: gort.Chan[int]) -> None:
                v = await rc.recv()
                await lc.send(v + 1)  # type: ignore[operator]

            gort.go(hop, left, right)
            left = right
        await left.send(0)
        return await first.recv()  # type: ignore[return-value]

    assert gort.run(main, gomaxprocs=procs) == 200


# ------------------------------------------- section 4: no yield, waker's runnext


@pytest.mark.timeout(30)
def test_operations_that_do_not_block_do_not_yield() -> None:
    # With one P, another runnable goroutine can only run if main yields.
    async def main() -> None:
        ran: list[bool] = []
        other_done: gort.Chan[bool] = gort.Chan(1)

        async def other() -> None:
            ran.append(True)
            await other_done.send(True)

        gort.go(other)
        b: gort.Chan[int] = gort.Chan(2)
        await b.send(1)  # buffer room
        await b.send(2)
        assert await b.recv() == 1  # value ready
        assert await b.recv_ok() == (2, True)
        assert await gort.select(b.recv, gort.default) == (1, None)  # default
        assert await gort.select((b.send, 3), gort.default) == (0, None)  # ready send case
        assert await gort.select(b.recv_ok) == (0, (3, True))  # ready recv case
        b.close()
        assert await b.recv_ok() == (None, False)  # closed
        assert [v async for v in b] == []
        assert ran == [], "a non-blocking channel operation yielded the processor"
        # the check could fail: once main blocks, the other goroutine does run
        assert await other_done.recv() is True
        assert ran == [True]

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_woken_goroutine_goes_to_wakers_runnext() -> None:
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        full: gort.Chan[int] = gort.Chan(1)
        await full.send(0)
        sink: gort.Chan[Any] = gort.Chan(16)

        async def receiver() -> None:
            await sink.send(await ch.recv())

        async def sender() -> None:
            await full.send(1)
            await sink.send("sent")

        async def bystander() -> None:
            await sink.send("bystander")

        r = await go_id(receiver)
        await wait_blocked(r, "chan receive")
        gort.go(bystander)  # sits in runnext ...
        await ch.send(5)  # ... until the woken receiver takes its place
        snap = sched_snapshot()
        assert snap.procs[0].runnext == r
        assert len(snap.procs[0].runq) == 1  # the bystander, moved to the local queue

        s = await go_id(sender)
        await wait_blocked(s, "chan send")
        assert await full.recv() == 0  # a receive readies the blocked sender
        assert sched_snapshot().procs[0].runnext == s

        # close readies every waiter in queue order: the last one ends in runnext
        c: gort.Chan[int] = gort.Chan()

        async def waiter() -> None:
            await c.recv_ok()

        w1 = await go_id(waiter)
        await wait_blocked(w1, "chan receive")
        w2 = await go_id(waiter)
        await wait_blocked(w2, "chan receive")
        c.close()
        snap = sched_snapshot()
        assert snap.procs[0].runnext == w2
        assert w1 in snap.procs[0].runq
        # let everybody finish (no goroutine is left never started)
        assert sorted(map(repr, [await sink.recv() for _ in range(3)])) == sorted(
            map(repr, [5, "bystander", "sent"])
        )

    gort.run(main, gomaxprocs=1)
