"""Go's own select tests, ported (issue 4, point 6).

Each test names the Go test it comes from: ``test/chan/<file>.go`` or
``runtime/chan_test.go``. They are written anew in Python from what each Go test checks;
where Go sleeps to let a goroutine block, the port waits until
``gort.runtime.sched_snapshot()`` shows it parked.

Not ported: test/chan/select5.go (a generator of compile-and-run programs checking
the evaluation order of case expressions; in Python the caller evaluates the cases before
``select`` is called, so there is nothing left for the runtime to get wrong).
"""

from __future__ import annotations

import gc
import math
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from helpers import go_id, wait_parked
from helpers import state as _state

import gort
from gort.runtime import sched_snapshot


@pytest.fixture(params=[1, 2, 4], ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)




# ----------------------------------------------------- test/chan/doubleselect.go


@pytest.mark.timeout(120)
def test_doubleselect(procs: int) -> None:
    # test/chan/doubleselect.go: a sender selects over four unbuffered channels, four mux
    # goroutines forward into one channel, a receiver checks for duplicates (the bug:
    # two cases of one select both completing). Go runs 100,000 iterations with
    # GOMAXPROCS 2; we run 20,000 with 1, 2 and 4, and also check that none is lost.
    iterations = 20_000

    async def sender(n: int, c1: Any, c2: Any, c3: Any, c4: Any) -> None:
        try:
            for i in range(n):
                await gort.select((c1.send, i), (c2.send, i), (c3.send, i), (c4.send, i))
        finally:
            for c in (c1, c2, c3, c4):
                c.close()

    async def mux(out: gort.Chan[int], inp: gort.Chan[int], done: gort.Chan[bool]) -> None:
        async for v in inp:
            await out.send(v)
        await done.send(True)

    async def main() -> int:
        cs: list[gort.Chan[int]] = [gort.Chan() for _ in range(4)]
        done: gort.Chan[bool] = gort.Chan()
        cmux: gort.Chan[int] = gort.Chan()
        gort.go(sender, iterations, *cs)
        for c in cs:
            gort.go(mux, cmux, c, done)

        async def closer() -> None:
            for _ in range(4):
                await done.recv()
            cmux.close()

        gort.go(closer)
        seen: set[int] = set()
        async for v in cmux:
            assert v not in seen, f"got duplicate value: {v}"
            seen.add(v)
        return len(seen)

    assert gort.run(main, gomaxprocs=procs) == iterations


# ---------------------------------------------------------- test/chan/select.go


@pytest.mark.timeout(30)
def test_select_go() -> None:
    # test/chan/select.go: a send loop over two buffered channels, disabling a channel
    # (setting it to nil) once its case was taken, ending at the default; each send
    # value is evaluated on every iteration (counter) and the two values arrive intact
    state = {"counter": 0, "shift": 0}

    def get_value() -> int:
        state["counter"] += 1
        return 1 << state["shift"]

    async def send(a: gort.Chan[int], b: gort.Chan[int]) -> int:
        i = 0
        while True:
            idx, _ = await gort.select((a.send, get_value()), (b.send, get_value()), gort.default)
            if idx == 0:
                i += 1
                a = gort.nilchan
            elif idx == 1:
                i += 1
                b = gort.nilchan
            else:
                break
            state["shift"] += 1
        return i

    async def main() -> None:
        a: gort.Chan[int] = gort.Chan(1)
        b: gort.Chan[int] = gort.Chan(1)
        assert await send(a, b) == 2, "Send returned wrong count"
        av, bv = await a.recv(), await b.recv()
        assert av is not None and bv is not None
        assert av | bv == 3, f"bad values {av} {bv}"
        assert await send(a, gort.nilchan) == 1, "Send returned wrong count"
        assert state["counter"] == 10, f"counter is {state['counter']}"

    gort.run(main, gomaxprocs=1)


# --------------------------------------------------------- test/chan/select2.go


@pytest.mark.timeout(120)
def test_select2_no_memory_growth() -> None:
    # test/chan/select2.go: a receiver selects between a channel that always has a
    # sender and a dummy channel that never does; a second round must not grow the
    # memory footprint (each select queues on dummy too, and must take itself off).
    # Go counts heap bytes; we count Python allocations with tracemalloc.
    n = 20_000

    async def sender(c: gort.Chan[int], n: int) -> None:
        for _ in range(n):
            await c.send(1)

    async def receiver(c: gort.Chan[int], dummy: gort.Chan[int], n: int) -> None:
        for _ in range(n):
            i, _v = await gort.select(c.recv, dummy.recv)
            if i == 1:
                raise AssertionError("dummy")

    async def main() -> int:
        c: gort.Chan[int] = gort.Chan()
        dummy: gort.Chan[int] = gort.Chan()
        # warm up
        gort.go(sender, c, n)
        await receiver(c, dummy, n)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        # second time shouldn't increase footprint by much
        gort.go(sender, c, n)
        await receiver(c, dummy, n)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before

    tracemalloc.start()
    try:
        grown = gort.run(main, gomaxprocs=1)
    finally:
        tracemalloc.stop()
    # one leaked waiter record per select would be n * ~100 bytes = 2 MB
    assert grown < 200_000, f"too much memory: {grown} bytes after {n} selects"


# --------------------------------------------------------- test/chan/select3.go


@pytest.mark.timeout(120)
def test_select3_blocking_and_panics(procs: int) -> None:
    # test/chan/select3.go: which channel operations and selects always block, never
    # block, always panic or never panic. Go decides "blocks" with a one-second timer;
    # we run the operation in a goroutine and either wait for it to finish (a
    # "never blocks" operation that blocked would make run() report a deadlock) or
    # wait until it is parked and check that it stays parked.
    nilch = gort.nilchan

    def unreachable() -> None:
        raise AssertionError("control flow shouldn't reach here")

    async def main() -> None:
        closedch: gort.Chan[int] = gort.Chan()
        closedch.close()

        async def test_block(always: bool, f: Callable[[], Awaitable[None]]) -> None:
            c: gort.Chan[str] = gort.Chan(1)

            async def run_f() -> None:
                await f()
                await c.send("never")

            gid = await go_id(run_f)
            if always:
                snap = await wait_parked(gid)
                for _ in range(10):
                    await gort.gosched()
                assert _state(sched_snapshot(), gid) == _state(snap, gid)
                assert len(c) == 0, "function did not block"
            else:
                assert await c.recv() == "never"

        async def test_panic(always: bool, f: Callable[[], Awaitable[None]]) -> None:
            try:
                await f()
            except gort.Panic:
                assert always, "function did panic"
            else:
                assert not always, "function did not panic"

        # sending/receiving from a nil channel blocks
        async def nil_send() -> None:
            await nilch.send(7)

        async def nil_recv() -> None:
            await nilch.recv()

        await test_block(True, nil_send)
        await test_block(True, nil_recv)

        # sending/receiving from a nil channel inside a select is never selected
        async def sel_nil_send_default() -> None:
            if (await gort.select((nilch.send, 7), gort.default))[0] == 0:
                unreachable()

        async def sel_nil_recv_default() -> None:
            if (await gort.select(nilch.recv, gort.default))[0] == 0:
                unreachable()

        await test_panic(False, sel_nil_send_default)
        await test_panic(False, sel_nil_recv_default)

        # sending to an async channel with free buffer space never blocks
        async def async_send() -> None:
            ch: gort.Chan[int] = gort.Chan(1)
            await ch.send(7)

        await test_block(False, async_send)

        # receiving from a closed channel never blocks
        async def closed_recv() -> None:
            for _ in range(10):
                if await closedch.recv() is not None:
                    raise AssertionError("expected zero value when reading from closed channel")
                x, ok = await closedch.recv_ok()
                if x is not None or ok:
                    raise AssertionError(f"expected None, False from closed channel: {x} {ok}")

        await test_block(False, closed_recv)

        # sending to a closed channel panics
        async def closed_send() -> None:
            await closedch.send(7)

        await test_panic(True, closed_send)

        # receiving from a non-ready channel always blocks
        async def unready_recv() -> None:
            ch: gort.Chan[int] = gort.Chan()
            await ch.recv()

        await test_block(True, unready_recv)

        # empty selects always block
        async def empty_select() -> None:
            await gort.select()

        await test_block(True, empty_select)

        # selects with only nil channels always block
        async def sel_nil_recv() -> None:
            await gort.select(nilch.recv)
            unreachable()

        async def sel_nil_send() -> None:
            await gort.select((nilch.send, 7))
            unreachable()

        async def sel_nil_both() -> None:
            await gort.select(nilch.recv, (nilch.send, 7))
            unreachable()

        await test_block(True, sel_nil_recv)
        await test_block(True, sel_nil_send)
        await test_block(True, sel_nil_both)

        # selects with non-ready non-nil channels always block
        async def sel_unready() -> None:
            ch: gort.Chan[int] = gort.Chan()
            await gort.select(ch.recv)
            unreachable()

        await test_block(True, sel_unready)

        # selects with default cases don't block
        async def sel_default() -> None:
            assert await gort.select(gort.default) == (0, None)

        async def sel_nil_recv_dflt() -> None:
            assert await gort.select(nilch.recv, gort.default) == (1, None)

        async def sel_nil_send_dflt() -> None:
            assert await gort.select((nilch.send, 7), gort.default) == (1, None)

        await test_block(False, sel_default)
        await test_block(False, sel_nil_recv_dflt)
        await test_block(False, sel_nil_send_dflt)

        # selects with ready channels don't block
        async def sel_ready_send() -> None:
            ch: gort.Chan[int] = gort.Chan(1)
            if (await gort.select((ch.send, 7), gort.default))[0] == 1:
                unreachable()

        async def sel_ready_recv() -> None:
            ch: gort.Chan[int] = gort.Chan(1)
            await ch.send(7)
            if (await gort.select(ch.recv, gort.default))[0] == 1:
                unreachable()

        await test_block(False, sel_ready_send)
        await test_block(False, sel_ready_recv)

        # selects with closed channels behave like ordinary operations
        async def sel_closed_recv() -> None:
            assert await gort.select(closedch.recv) == (0, None)

        async def sel_closed_recv_ok() -> None:
            assert await gort.select(closedch.recv_ok) == (0, (None, False))

        async def sel_closed_send() -> None:
            await gort.select((closedch.send, 7))

        await test_block(False, sel_closed_recv)
        await test_block(False, sel_closed_recv_ok)
        await test_panic(True, sel_closed_send)

        # select should not get confused if it sees itself
        async def sel_self() -> None:
            c: gort.Chan[int] = gort.Chan()
            await gort.select((c.send, 1), c.recv)

        await test_block(True, sel_self)

    gort.run(main, gomaxprocs=procs)


# --------------------------------------------------------- test/chan/select4.go


@pytest.mark.timeout(30)
def test_select4_proceeds_when_a_value_is_ready() -> None:
    # test/chan/select4.go: a select proceeds with the ready case (a buffered value),
    # not the one on an unready channel, and gets the value intact
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan(1)
        c1: gort.Chan[int] = gort.Chan()
        await c.send(42)
        i, v = await gort.select(c1.recv, c.recv)
        assert (i, v) == (1, 42), f"BUG: {i} {v}"

    gort.run(main, gomaxprocs=1)


# --------------------------------------------------------- test/chan/select6.go


@pytest.mark.timeout(30)
def test_select6_losing_cases_keep_queues_intact(procs: int) -> None:
    # test/chan/select6.go (Go issue 2075): a select that loses on c1, while another
    # goroutine also waits on c1, must not corrupt c1's wait queue: later waiters on
    # c1 must still be woken.
    async def main() -> None:
        c1: gort.Chan[bool] = gort.Chan()
        c2: gort.Chan[bool] = gort.Chan()
        c3: gort.Chan[bool] = gort.Chan()

        async def g1() -> None:
            await c1.recv()

        async def g2() -> None:
            i, _ = await gort.select(c1.recv, c2.recv)
            if i == 0:
                raise AssertionError("dummy")
            await c3.send(True)
            await c1.recv()

        async def g3() -> None:
            await c2.send(True)

        gort.go(g1)
        gort.go(g2)
        gort.go(g3)
        await c3.recv()
        await c1.send(True)
        await c1.send(True)

    gort.run(main, gomaxprocs=procs)


# --------------------------------------------------------- test/chan/select7.go


async def _recv1(c: gort.Chan[int]) -> None:
    await c.recv()


async def _recv2(c: gort.Chan[int]) -> None:
    await gort.select(c.recv)


async def _recv3(c: gort.Chan[int]) -> None:
    c2: gort.Chan[int] = gort.Chan()
    await gort.select(c.recv, c2.recv)


async def _send1(c: gort.Chan[int]) -> None:
    await c.send(1)


async def _send2(c: gort.Chan[int]) -> None:
    await gort.select((c.send, 1))


async def _send3(c: gort.Chan[int]) -> None:
    c2: gort.Chan[int] = gort.Chan()
    await gort.select((c.send, 1), (c2.send, 1))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("recv", [_recv1, _recv2, _recv3], ids=["recv1", "recv2", "recv3"])
@pytest.mark.parametrize("send", [_send1, _send2, _send3], ids=["send1", "send2", "send3"])
@pytest.mark.parametrize("first", ["receiver_first", "sender_first"])
def test_select7_discarding_a_value(
    procs: int,
    recv: Callable[[gort.Chan[int]], Awaitable[None]],
    send: Callable[[gort.Chan[int]], Awaitable[None]],
    first: str,
) -> None:
    # test/chan/select7.go: every pair of {plain receive, one-case select, two-case
    # select} receiving a value it discards and {plain send, one-case select, two-case
    # select} sending it. Go lets the receiver block first (Gosched); we make either
    # side block first for certain.
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        done: gort.Chan[str] = gort.Chan(2)

        async def r() -> None:
            await recv(c)
            await done.send("r")

        async def s() -> None:
            await send(c)
            await done.send("s")

        a, b = (r, s) if first == "receiver_first" else (s, r)
        gid = await go_id(a)
        await wait_parked(gid)
        gort.go(b)
        assert sorted([await done.recv() for _ in range(2)]) == ["r", "s"]  # type: ignore[type-var]

    gort.run(main, gomaxprocs=procs)


# --------------------------------------------------------- test/chan/select8.go


@pytest.mark.timeout(30)
def test_select8_one_two_three_case_selects(procs: int) -> None:
    # test/chan/select8.go: 1-, 2- and 3-case selects (with and without default) against
    # a goroutine that sends forever; the send case on a channel nobody receives from
    # (but the selecting goroutine itself) is never taken
    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()

        async def forever() -> None:
            while True:
                await ch.send(5)

        gort.go(forever)
        assert await gort.select(ch.recv) == (0, 5)
        assert await gort.select(gort.default) == (0, None)
        i, v = await gort.select(ch.recv, gort.default)
        assert (i, v) in ((0, 5), (1, None))
        for _ in range(50):
            i, v = await gort.select(ch.recv, (ch.send, 10), gort.default)
            assert i != 1, "unreachable: a send case matched its own select"
            assert (i, v) in ((0, 5), (2, None))

    gort.run(main, gomaxprocs=procs)


# ------------------------------------------------------- runtime/chan_test.go


@pytest.mark.timeout(120)
def test_select_fairness_go(procs: int) -> None:
    # runtime/chan_test.go TestSelectFairness: a goroutine selects over two always-ready
    # buffered channels (values 1 and 2) and two never-ready ones, and reports each value
    # on `out`; the counts must be within 10 sigma of trials/2.
    trials = 10_000

    async def main() -> tuple[int, int]:
        c1: gort.Chan[int] = gort.Chan(trials + 1)
        c2: gort.Chan[int] = gort.Chan(trials + 1)
        for _ in range(trials + 1):
            await c1.send(1)
            await c2.send(2)
        c3: gort.Chan[int] = gort.Chan()
        c4: gort.Chan[int] = gort.Chan()
        out: gort.Chan[int] = gort.Chan()
        done: gort.Chan[int] = gort.Chan()
        finished: gort.Chan[bool] = gort.Chan()

        async def selector() -> None:
            while True:
                _, b = await gort.select(c3.recv, c4.recv, c1.recv, c2.recv)
                i, _ = await gort.select((out.send, b), done.recv)
                if i == 1:
                    await finished.send(True)
                    return

        gort.go(selector)
        cnt1 = cnt2 = 0
        for _ in range(trials):
            b = await out.recv()
            if b == 1:
                cnt1 += 1
            elif b == 2:
                cnt2 += 1
            else:
                raise AssertionError(f"unexpected value {b} on channel")
        done.close()
        await finished.recv()
        return cnt1, cnt2

    cnt1, cnt2 = gort.run(main, gomaxprocs=procs)
    mean = trials * 0.5
    stddev = math.sqrt(trials * 0.5 * (1 - 0.5))
    assert abs(cnt1 - mean) <= 10 * stddev, f"unfair select: in {trials} trials, {cnt1}, {cnt2}"


@pytest.mark.timeout(30)
def test_select_duplicate_channel(procs: int) -> None:
    # runtime/chan_test.go TestSelectDuplicateChannel: a G queued twice on the same
    # channel (two cases on c) and woken by a third case must take both of its
    # entries off c's queue; otherwise a later send on c wakes a G that is no longer
    # waiting instead of the real waiter B.
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        d: gort.Chan[int] = gort.Chan()
        e: gort.Chan[int] = gort.Chan()
        got: gort.Chan[int] = gort.Chan(1)

        async def a() -> None:
            await gort.select(c.recv, c.recv, d.recv)
            await e.send(9)

        async def b() -> None:
            v = await c.recv()
            assert v is not None
            await got.send(v)

        ga = await go_id(a)
        await wait_parked(ga, "select")  # A is queued first on c
        gb = await go_id(b)
        await wait_parked(gb, "chan receive")  # then B
        await d.send(7)  # wake up A, it dequeues itself from c
        assert await e.recv() == 9  # A tells us it's done
        await c.send(8)  # wake up B
        assert await got.recv() == 8

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(120)
def test_select_stress(procs: int) -> None:
    # runtime/chan_test.go TestSelectStress (its -short size, N = 10,000): 4 goroutines
    # send N values on each of 4 channels (2 unbuffered, 2 buffered), 4 receive N from
    # each, 1 sends N on each in a single select, 1 receives N from each in a single
    # select (setting a channel to nil once it has done N); it must not deadlock, and
    # every goroutine must finish its count.
    n = 10_000

    async def main() -> list[int]:
        c: list[gort.Chan[int]] = [gort.Chan(0), gort.Chan(0), gort.Chan(2), gort.Chan(3)]
        wg: gort.Chan[int] = gort.Chan(10)
        for k in range(4):

            async def send_n(ch: gort.Chan[int]) -> None:
                for _ in range(n):
                    await ch.send(0)
                await wg.send(n)

            async def recv_n(ch: gort.Chan[int]) -> None:
                for _ in range(n):
                    await ch.recv()
                await wg.send(n)

            gort.go(send_n, c[k])
            gort.go(recv_n, c[k])

        async def select_send() -> None:
            cnt = [0, 0, 0, 0]
            c1: list[gort.Chan[int]] = list(c)
            order = [3, 2, 0, 1]
            for _ in range(4 * n):
                i, _v = await gort.select(*[(c1[k].send, 0) for k in order])
                k = order[i]
                cnt[k] += 1
                if cnt[k] == n:
                    c1[k] = gort.nilchan
            await wg.send(sum(cnt))

        async def select_recv() -> None:
            cnt = [0, 0, 0, 0]
            c1: list[gort.Chan[int]] = list(c)
            for _ in range(4 * n):
                k, _v = await gort.select(*[ch.recv for ch in c1])
                cnt[k] += 1
                if cnt[k] == n:
                    c1[k] = gort.nilchan
            await wg.send(sum(cnt))

        gort.go(select_send)
        gort.go(select_recv)
        return [await wg.recv() for _ in range(10)]  # type: ignore[misc]

    counts = gort.run(main, gomaxprocs=procs)
    assert sorted(counts) == [n] * 8 + [4 * n] * 2


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cap", [0, 10])
def test_self_select(procs: int, cap: int) -> None:
    # runtime/chan_test.go TestSelfSelect: two goroutines each do 1,000 selects that send
    # to and receive from the same channel (in both case orders); no crash, no
    # deadlock, and on an unbuffered channel no goroutine receives its own value.
    async def main() -> int:
        c: gort.Chan[int] = gort.Chan(cap)
        done: gort.Chan[int] = gort.Chan(2)

        async def worker(p: int) -> None:
            self_recv = 0
            for i in range(1000):
                if p == 0 or i % 2 == 0:
                    k, v = await gort.select((c.send, p), c.recv)
                    if k == 1 and cap == 0 and v == p:
                        self_recv += 1
                else:
                    k, v = await gort.select(c.recv, (c.send, p))
                    if k == 0 and cap == 0 and v == p:
                        self_recv += 1
            await done.send(self_recv)

        gort.go(worker, 0)
        gort.go(worker, 1)
        return (await done.recv() or 0) + (await done.recv() or 0)

    assert gort.run(main, gomaxprocs=procs) == 0, "self receive"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("close_c2", [False, True], ids=["Race", "Race2"])
def test_nonblock_select_race(procs: int, close_c2: bool) -> None:
    # runtime/chan_test.go TestNonblockSelectRace and TestNonblockSelectRace2 (-short
    # size, n = 1,000): from the moment the goroutine starts, c1 or c2 is always ready
    # (c2 gets a value, or is closed in Race2, before c1 is drained), so its
    # non-blocking select must never take the default: select acts on the state of
    # the channels at one moment, not over a smeared time window.
    n = 1_000

    async def main() -> int:
        done: gort.Chan[bool] = gort.Chan(1)
        failures = 0
        for _ in range(n):
            c1: gort.Chan[int] = gort.Chan(1)
            c2: gort.Chan[int] = gort.Chan(0 if close_c2 else 1)
            await c1.send(1)

            async def probe(c1: gort.Chan[int] = c1, c2: gort.Chan[int] = c2) -> None:
                i, _ = await gort.select(c1.recv, c2.recv, gort.default)
                await done.send(i != 2)

            gort.go(probe)
            if close_c2:
                c2.close()
            else:
                await c2.send(1)
            await gort.select(c1.recv, gort.default)
            if not await done.recv():
                failures += 1
        return failures

    assert gort.run(main, gomaxprocs=procs) == 0, "no chan is ready"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cap", [0, 100])
def test_pseudo_random_send(procs: int, cap: int) -> None:
    # runtime/chan_test.go TestPseudoRandomSend: 100 selects between sending 1 and
    # sending 0 on the same channel must not always pick the same case
    n = 100

    async def main() -> list[int]:
        c: gort.Chan[int] = gort.Chan(cap)
        result: gort.Chan[list[int]] = gort.Chan(1)

        async def reader() -> None:
            values = []
            for _ in range(n):
                await gort.gosched()
                v = await c.recv()
                assert v is not None
                values.append(v)
            await result.send(values)

        gort.go(reader)
        for _ in range(n):
            await gort.select((c.send, 1), (c.send, 0))
        got = await result.recv()
        assert got is not None
        return got

    values = gort.run(main, gomaxprocs=procs)
    n0 = values.count(0)
    n1 = values.count(1)
    assert n0 + n1 == n
    assert n0 > n // 10 and n1 > n // 10, (
        f"Want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
    )
