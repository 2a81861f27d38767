"""select: the contract (spec/api.md section 3, ``gort.select``; issue 4, points 1, 3, 4, 5).

``await gort.select(*cases)`` with cases ``ch.recv``, ``ch.recv_ok``, ``(ch.send, v)`` and
``gort.default`` returns ``(index, value)``: ``value`` is the received value for ``ch.recv``,
``(value, ok)`` for ``ch.recv_ok``, ``None`` for a send or the default.
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


# ---------------------------------------------------------- cases and their results


@pytest.mark.timeout(30)
def test_select_recv_returns_index_and_value() -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan(1)
        b: gort.Chan[int] = gort.Chan(1)
        await b.send(7)
        r = await gort.select(a.recv, b.recv)
        assert type(r) is tuple and r == (1, 7)
        await a.send(8)
        assert await gort.select(a.recv, b.recv) == (0, 8)
        assert (len(a), len(b)) == (0, 0)

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_select_recv_ok_returns_value_and_ok() -> None:
    async def main() -> None:
        a: gort.Chan[Any] = gort.Chan(2)
        await a.send("x")
        await a.send(None)
        never: gort.Chan[int] = gort.Chan()
        assert await gort.select(never.recv, a.recv_ok) == (1, ("x", True))
        assert await gort.select(never.recv, a.recv_ok) == (1, (None, True))
        a.close()
        assert await gort.select(never.recv, a.recv_ok) == (1, (None, False))
        # a plain recv case on a closed channel: the value is None, no ok
        assert await gort.select(a.recv, never.recv) == (0, None)

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_select_send_case_returns_none_and_delivers() -> None:
    async def main() -> None:
        a: gort.Chan[str] = gort.Chan(1)
        never: gort.Chan[int] = gort.Chan()
        assert await gort.select(never.recv, (a.send, "hello")) == (1, None)
        assert len(a) == 1
        assert await a.recv() == "hello"

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("pos", [0, 1, 2])
def test_select_default_when_nothing_is_ready(pos: int) -> None:
    async def main() -> None:
        empty: gort.Chan[int] = gort.Chan(1)
        full: gort.Chan[int] = gort.Chan(1)
        await full.send(1)
        unbuf: gort.Chan[int] = gort.Chan()
        cases: list[Any] = [empty.recv, (full.send, 2), unbuf.recv_ok, (unbuf.send, 3)]
        cases.insert(pos, gort.default)
        assert await gort.select(*cases) == (pos, None)
        # taking the default changed no channel
        assert (len(empty), len(full)) == (0, 1)
        assert await full.recv() == 1

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_select_only_default() -> None:
    async def main() -> Any:
        return await gort.select(gort.default)

    assert gort.run(main, gomaxprocs=1) == (0, None)


@pytest.mark.timeout(30)
def test_select_default_never_taken_when_a_case_is_ready() -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan(1)
        closed: gort.Chan[int] = gort.Chan()
        closed.close()
        for i in range(300):
            await a.send(i)
            assert await gort.select(gort.default, a.recv) == (1, i)
            assert await gort.select((a.send, i), gort.default) == (0, None)
            assert await a.recv() == i
            assert await gort.select(gort.default, closed.recv_ok) == (1, (None, False))

    gort.run(main, gomaxprocs=1)


# ----------------------------------------------------------------- blocking select


@pytest.mark.timeout(30)
def test_select_blocks_until_a_recv_case_is_ready(procs: int) -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(1)

        async def selector() -> None:
            await out.send(await gort.select(a.recv, b.recv_ok))

        sid = await go_id(selector)
        await wait_blocked(sid, "select")
        assert len(out) == 0
        await b.send(11)
        assert await out.recv() == (1, (11, True))

        # the select left no receiver behind on a: a new receiver gets the next send
        async def receiver() -> None:
            await out.send(("receiver", await a.recv()))

        rid = await go_id(receiver)
        await wait_blocked(rid, "chan receive")
        await a.send(12)
        assert await out.recv() == ("receiver", 12)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_select_blocks_until_a_send_case_is_ready(procs: int) -> None:
    async def main() -> None:
        a: gort.Chan[str] = gort.Chan()
        b: gort.Chan[str] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(1)

        async def selector() -> None:
            await out.send(await gort.select((a.send, "to a"), (b.send, "to b")))

        sid = await go_id(selector)
        await wait_blocked(sid, "select")
        assert await b.recv() == "to b"
        assert await out.recv() == (1, None)
        # nothing is pending on a any more
        assert await gort.select(a.recv, gort.default) == (1, None)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_select_blocked_recv_woken_by_close(procs: int) -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        c: gort.Chan[int] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(2)

        async def sel_ok() -> None:
            await out.send(("ok", await gort.select(b.recv, a.recv_ok)))

        async def sel_plain() -> None:
            await out.send(("plain", await gort.select(c.recv, b.recv, a.recv)))

        g1 = await go_id(sel_ok)
        g2 = await go_id(sel_plain)
        await wait_blocked(g1, "select")
        await wait_blocked(g2, "select")
        a.close()
        got = sorted([repr(await out.recv()) for _ in range(2)])
        assert got == sorted([repr(("ok", (1, (None, False)))), repr(("plain", (2, None)))])

    gort.run(main, gomaxprocs=procs)


# ------------------------------------------------------------ send on closed channel


@pytest.mark.timeout(30)
@pytest.mark.parametrize("cap", [0, 1])
def test_select_send_case_on_closed_channel_panics(cap: int) -> None:
    async def main() -> None:
        closed: gort.Chan[int] = gort.Chan(cap)
        closed.close()
        never: gort.Chan[int] = gort.Chan()
        for cases in (
            [(closed.send, 1)],
            [(closed.send, 1), gort.default],
            [gort.default, never.recv, (closed.send, 1)],
            [(never.send, 2), (closed.send, 1)],
        ):
            with pytest.raises(gort.Panic) as ei:
                await gort.select(*cases)
            assert str(ei.value) == "send on closed channel"
        assert len(closed) == 0

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_select_send_case_on_closed_channel_uncaught_ends_run() -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        c.close()
        await gort.select((c.send, 1), gort.default)

    with pytest.raises(gort.Panic) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "send on closed channel"


@pytest.mark.timeout(30)
def test_select_blocked_send_case_panics_when_closed(procs: int) -> None:
    async def main() -> None:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        out: gort.Chan[str] = gort.Chan(1)

        async def selector() -> None:
            try:
                r = await gort.select(b.recv, (a.send, 1))
            except gort.Panic as e:
                await out.send(f"panic: {e}")
            else:
                await out.send(f"returned {r!r}")

        sid = await go_id(selector)
        await wait_blocked(sid, "select")
        a.close()
        assert await out.recv() == "panic: send on closed channel"

    gort.run(main, gomaxprocs=procs)


# --------------------------------------------------------------------- nil channels


@pytest.mark.timeout(30)
def test_select_never_chooses_nil_channel_cases() -> None:
    async def main() -> None:
        nil = gort.nilchan
        ready: gort.Chan[int] = gort.Chan(1)
        for i in range(200):
            await ready.send(i)
            r = await gort.select(nil.recv, nil.recv_ok, (nil.send, 1), ready.recv)
            assert r == (3, i)
            assert await gort.select(nil.recv, (nil.send, 1), gort.default) == (2, None)
            assert await gort.select(gort.default, nil.recv_ok) == (0, None)

    gort.run(main, gomaxprocs=1)


@pytest.mark.timeout(30)
def test_select_nil_case_with_a_blocking_case_waits_for_it(procs: int) -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(1)

        async def selector() -> None:
            await out.send(await gort.select(gort.nilchan.recv, c.recv, (gort.nilchan.send, 0)))

        sid = await go_id(selector)
        await wait_blocked(sid, "select")
        await c.send(4)
        assert await out.recv() == (1, 4)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_select_of_only_nil_channels_blocks_forever(procs: int) -> None:
    # Go's selectgo drops the nil cases and parks with wait reason "select"
    # (go-runtime-notes 11.2, point 9).
    async def main() -> str:
        async def selector() -> None:
            await gort.select(gort.nilchan.recv, (gort.nilchan.send, 1))
            raise AssertionError("select over nil channels returned")

        sid = await go_id(selector)
        snap = await wait_until(
            lambda s: (_state(s, sid) or ("", ""))[0] == "_Gwaiting", f"goroutine {sid} parks"
        )
        for _ in range(20):
            await gort.gosched()
        assert _state(sched_snapshot(), sid) == _state(snap, sid)
        assert _state(snap, sid) == ("_Gwaiting", "select")
        return "done"

    assert gort.run(main, gomaxprocs=procs) == "done"


@pytest.mark.timeout(30)
def test_select_of_only_nil_channels_in_main_is_a_deadlock() -> None:
    async def main() -> None:
        await gort.select(gort.nilchan.recv, gort.nilchan.recv_ok)

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"


# -------------------------------------------------------------------- select()


@pytest.mark.timeout(30)
def test_select_no_cases_blocks_forever(procs: int) -> None:
    async def main() -> str:
        async def forever() -> None:
            await gort.select()
            raise AssertionError("select() returned")

        gid = await go_id(forever)
        await wait_blocked(gid, "select (no cases)")
        # channel traffic elsewhere does not wake it
        c: gort.Chan[int] = gort.Chan(1)
        for i in range(20):
            await c.send(i)
            await c.recv()
            await gort.gosched()
        assert _state(sched_snapshot(), gid) == ("_Gwaiting", "select (no cases)")
        headers = {int(g): st for g, st in HEADER.findall(gort.runtime.stack(all=True))}
        assert headers[gid] == "select (no cases)"
        return "main returned"

    assert gort.run(main, gomaxprocs=procs) == "main returned"


@pytest.mark.timeout(30)
def test_select_no_cases_in_main_is_a_deadlock() -> None:
    async def main() -> None:
        await gort.select()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    assert "goroutine 1 [select (no cases)]:" in ei.value.dump


@pytest.mark.timeout(30)
def test_select_no_cases_counts_for_deadlock_detection(procs: int) -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()

        async def forever() -> None:
            await gort.select()

        for _ in range(3):
            gort.go(forever)
        await c.recv()  # nobody will ever send

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    headers = sorted(st for _, st in HEADER.findall(ei.value.dump))
    assert headers == ["chan receive"] + ["select (no cases)"] * 3, ei.value.dump


# ------------------------------------------------------------- one channel, twice


@pytest.mark.timeout(30)
def test_select_does_not_match_itself(procs: int) -> None:
    # A select that both sends and receives on one unbuffered channel cannot complete
    # with itself (Go's test/chan/select3.go: "select should not get confused if it
    # sees itself").
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(1)

        async def selector() -> None:
            await out.send(await gort.select((c.send, 1), c.recv))

        sid = await go_id(selector)
        await wait_blocked(sid, "select")
        for _ in range(20):
            await gort.gosched()
        assert _state(sched_snapshot(), sid) == ("_Gwaiting", "select")
        assert len(out) == 0
        assert await c.recv() == 1  # a real partner completes it
        assert await out.recv() == (0, None)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_select_same_channel_in_several_cases(procs: int) -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        out: gort.Chan[Any] = gort.Chan(1)

        async def selector() -> None:
            await out.send(await gort.select(c.recv, c.recv_ok, c.recv))

        for v in range(30):
            sid = await go_id(selector)
            await wait_blocked(sid, "select")
            await c.send(v)
            idx, val = await out.recv()  # type: ignore[misc]
            assert (idx, val) in ((0, v), (1, (v, True)), (2, v))

    gort.run(main, gomaxprocs=procs)


# -------------------------------------------------------------------------- fairness


def _assert_half(counts: list[int], total: int) -> None:
    # each case 50% +- 1% (the binomial sigma at 100,000 trials is 0.16%)
    for n in counts:
        assert abs(n / total - 0.5) <= 0.01, f"unfair select: {counts} of {total}"


@pytest.mark.timeout(120)
def test_select_fairness_two_ready_recv_cases() -> None:
    total = 100_000

    async def main() -> list[int]:
        a: gort.Chan[int] = gort.Chan(1)
        b: gort.Chan[int] = gort.Chan(1)
        await a.send(0)
        await b.send(1)
        counts = [0, 0]
        chans = (a, b)
        for _ in range(total):
            i, v = await gort.select(a.recv, b.recv)
            assert v == i
            counts[i] += 1
            await chans[i].send(i)  # ready again
        return counts

    counts = gort.run(main, gomaxprocs=1)
    assert sum(counts) == total
    _assert_half(counts, total)


@pytest.mark.timeout(120)
def test_select_fairness_two_closed_channels_with_default() -> None:
    total = 100_000

    async def main() -> list[int]:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan(3)
        a.close()
        b.close()
        counts = [0, 0, 0]
        for _ in range(total):
            i, _v = await gort.select(a.recv_ok, gort.default, b.recv_ok)
            counts[i] += 1
        return counts

    counts = gort.run(main, gomaxprocs=1)
    assert counts[1] == 0, "default taken while a case was ready"
    _assert_half([counts[0], counts[2]], total)


@pytest.mark.timeout(120)
def test_select_fairness_two_ready_send_cases() -> None:
    total = 100_000

    async def main() -> list[int]:
        a: gort.Chan[int] = gort.Chan(1)
        b: gort.Chan[int] = gort.Chan(1)
        counts = [0, 0]
        chans = (a, b)
        for _ in range(total):
            i, _v = await gort.select((a.send, 0), (b.send, 1))
            counts[i] += 1
            assert await chans[i].recv() == i  # room again
        return counts

    counts = gort.run(main, gomaxprocs=1)
    _assert_half(counts, total)


@pytest.mark.timeout(120)
def test_select_fairness_between_two_blocked_senders(procs: int) -> None:
    # Two goroutines always have a send pending on two unbuffered channels; the
    # receiving select must pick either about half the time. (Each trial waits for both
    # senders to park, polling the scheduler: kept small for the free-threaded build.)
    total = 5_000

    async def main() -> list[int]:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        ga = await go_id(_send_forever, a, 0)
        gb = await go_id(_send_forever, b, 1)
        counts = [0, 0]
        for _ in range(total):
            # make both cases ready before each select
            await wait_until(
                lambda s: (
                    _state(s, ga) == ("_Gwaiting", "chan send")
                    and _state(s, gb) == ("_Gwaiting", "chan send")
                ),
                "both senders wait",
            )
            i, v = await gort.select(a.recv, b.recv)
            assert v == i
            counts[i] += 1
        return counts

    counts = gort.run(main, gomaxprocs=procs)
    # 5,000 trials: sigma 0.7%, allow 4%
    for n in counts:
        assert abs(n / total - 0.5) <= 0.04, f"unfair select: {counts}"


async def _send_forever(c: gort.Chan[int], v: int) -> None:
    while True:
        await c.send(v)


# ------------------------------------------------------------------- deadlock, dump


@pytest.mark.timeout(30)
def test_select_deadlock_cycle(procs: int) -> None:
    async def main() -> None:
        ca: gort.Chan[int] = gort.Chan()
        cb: gort.Chan[int] = gort.Chan()
        stop: gort.Chan[int] = gort.Chan()
        done: gort.Chan[bool] = gort.Chan()

        async def a() -> None:
            await gort.select(cb.recv, stop.recv)
            await done.send(True)

        async def b() -> None:
            await gort.select(ca.recv, stop.recv)
            await done.send(True)

        gort.go(a)
        gort.go(b)
        await gort.select(done.recv, gort.nilchan.recv)

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    headers = sorted(st for _, st in HEADER.findall(ei.value.dump))
    assert headers == ["select"] * 3, ei.value.dump


@pytest.mark.timeout(30)
def test_select_wait_reason_in_stack(procs: int) -> None:
    async def main() -> None:
        c: gort.Chan[int] = gort.Chan()
        d: gort.Chan[int] = gort.Chan(1)
        await d.send(0)  # full
        e: gort.Chan[int] = gort.Chan()  # no receiver

        async def recv_sel() -> None:
            await gort.select(c.recv, c.recv_ok)

        async def send_sel() -> None:
            await gort.select((d.send, 1), (e.send, 2))

        g1 = await go_id(recv_sel)
        g2 = await go_id(send_sel)
        await wait_blocked(g1, "select")
        await wait_blocked(g2, "select")
        dump = gort.runtime.stack(all=True)
        headers = {int(g): st for g, st in HEADER.findall(dump)}
        assert headers[g1] == "select" and headers[g2] == "select"
        assert "main.<locals>.recv_sel" in dump and "main.<locals>.send_sel" in dump
        await c.send(3)
        assert await d.recv() == 0
        assert await d.recv() == 1  # send_sel's value, moved into the buffer
        await wait_until(
            lambda s: _state(s, g1) is None and _state(s, g2) is None, "both selects finish"
        )

    gort.run(main, gomaxprocs=procs)
