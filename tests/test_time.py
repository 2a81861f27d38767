"""gort.time: sleep, after, tick, Timer, Ticker, after_func (spec/api.md section 4; issue 5).

Many tests are ports of Go's ``time/sleep_test.go`` and ``time/tick_test.go``; each names
the Go test it is based on. Timing assertions use generous bounds or ordering, never exact
times. Where a test needs "the timer has fired but nobody received its value", it waits
for that state (polling with ``gosched``, bounded) instead of sleeping and hoping.

The stress, CPU and fairness tests are in ``test_time_stress.py``.
"""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import pytest

import gort
import gort.time as gt
from gort._runtime import timers as rtimers

pytestmark = pytest.mark.timeout(60)

T = TypeVar("T")

PROCS = [1, 4]
WAIT_LIMIT = 10.0  # seconds a bounded poll may take before it fails the test


@pytest.fixture(params=PROCS, ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def run(main: Callable[..., Any], procs: int = 1) -> Any:
    return gort.run(main, gomaxprocs=procs)


async def wait_for(pred: Callable[[], bool], what: str) -> None:
    """Yield (gosched) until ``pred()`` holds; fail after WAIT_LIMIT seconds."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await gort.gosched()


def fired_unreceived(c: gort.Chan[float]) -> Callable[[], bool]:
    """The timer of channel ``c`` has fired and its value waits in the hidden slot."""
    return lambda: bool(c.buf)


async def recv(c: gort.Chan[T]) -> T:
    """``<-c`` of a channel that is never closed: the value, typed."""
    v = await c.recv()
    assert v is not None
    return v


async def nothing_ready(c: gort.Chan[Any]) -> bool:
    """``select { case <-c: ...; default: }`` took the default."""
    i, _ = await gort.select(c.recv, gort.default)
    return bool(i == 1)


# ----------------------------------------------------------------------------- sleep


def test_sleep_waits_at_least_d(procs: int) -> None:
    # Go: TestSleep (without the signal interruption, which has no gort counterpart)
    async def main() -> float:
        t0 = time.monotonic()
        await gort.sleep(0.05)
        return time.monotonic() - t0

    elapsed = run(main, procs)
    assert 0.05 <= elapsed < 2.0


def test_gort_sleep_is_gort_time_sleep() -> None:
    async def main() -> None:
        await gt.sleep(0.001)
        await gort.sleep(0.001)

    run(main)


def test_sleeping_main_is_not_a_deadlock() -> None:
    async def main() -> str:
        await gort.sleep(0.05)
        return "done"

    assert gort.run(main) == "done"


def test_all_goroutines_sleeping_is_not_a_deadlock(procs: int) -> None:
    async def main() -> list[int]:
        c: gort.Chan[int] = gort.Chan(10)

        async def sleeper(i: int) -> None:
            await gort.sleep(0.01 * (i % 3 + 1))
            await c.send(i)

        for i in range(10):
            gort.go(sleeper, i)
        return sorted([await recv(c) for _ in range(10)])

    assert run(main, procs) == list(range(10))


@pytest.mark.parametrize("d", [0, 0.0, -1, -1e-9, -math.inf])
def test_sleep_zero_or_negative_yields(d: float) -> None:
    # Go: TestSleepZeroDeadlock's premise, and "d <= 0 returns at once after a yield"
    async def main() -> int:
        flag: list[bool] = []

        async def other() -> None:
            flag.append(True)

        gort.go(other)
        n = 0
        while not flag and n < 100:  # far under sysmon's 20 ms: only the yield lets it run
            await gort.sleep(d)
            n += 1
        assert flag, "sleep(d <= 0) did not yield"
        return n

    t0 = time.monotonic()
    run(main, 1)
    assert time.monotonic() - t0 < 5


def test_timers_fire_in_deadline_order(procs: int) -> None:
    # The order is read from the instants the timers fired (their channel values), not
    # from the order the woken goroutines run in: timers that come due together (a
    # late check) ready their goroutines in firing order, and the last readied runs
    # first (runnext, as in Go).
    async def main() -> list[int]:
        c: gort.Chan[tuple[float, int]] = gort.Chan(10)

        async def sleeper(i: int) -> None:
            v = await recv(gt.after(0.02 * i))
            await c.send((v, i))

        for i in (5, 1, 4, 2, 3):
            gort.go(sleeper, i)
        got = sorted([await recv(c) for _ in range(5)])
        return [i for _, i in got]

    assert run(main, procs) == [1, 2, 3, 4, 5]


def test_sleepers_wake_after_their_durations(procs: int) -> None:
    async def main() -> None:
        c: gort.Chan[tuple[int, float]] = gort.Chan(10)

        async def sleeper(i: int) -> None:
            t0 = time.monotonic()
            await gort.sleep(0.01 * i)
            await c.send((i, time.monotonic() - t0))

        for i in (5, 1, 4, 2, 3):
            gort.go(sleeper, i)
        for _ in range(5):
            i, took = await recv(c)
            assert took >= 0.01 * i

    run(main, procs)


@pytest.mark.parametrize("bad", ["1", None, b"x", [1], True, 1j])
def test_non_number_durations_are_type_errors(bad: Any) -> None:
    async def main() -> None:
        with pytest.raises(TypeError):
            await gort.sleep(bad)
        for make in (gt.after, gt.tick, gt.Timer, gt.Ticker):
            with pytest.raises(TypeError):
                make(bad)
        with pytest.raises(TypeError):
            gt.after_func(bad, lambda: None)
        t = gt.Timer(10)
        with pytest.raises(TypeError):
            t.reset(bad)
        t.stop()

    run(main)


def test_nan_duration_is_a_value_error() -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            await gort.sleep(math.nan)
        with pytest.raises(ValueError):
            gt.Timer(math.nan)

    run(main)


def test_durations_may_be_ints_fractions_and_floats() -> None:
    async def main() -> None:
        await gort.sleep(Fraction(1, 1000))  # type: ignore[arg-type]
        await gt.after(0).recv()
        await gt.after(Fraction(1, 500)).recv()  # type: ignore[arg-type]
        await gt.Timer(1e-9).c.recv()

    run(main)


def test_overflow_sleep() -> None:
    # Go: TestOverflowSleep - a huge timer must not fire early (or wrap around); a
    # hugely negative one fires at once.
    async def main() -> None:
        i, _ = await gort.select(gt.after(1e300).recv, gt.after(0.02).recv)
        assert i == 1
        i, _ = await gort.select(gt.after(math.inf).recv, gt.after(0.02).recv)
        assert i == 1
        i, _ = await gort.select(gt.after(-1e300).recv, gt.after(1).recv)
        assert i == 0
        await gort.sleep(-1e300)

    run(main)


def test_sleeping_goroutine_shows_wait_reason_sleep() -> None:
    async def main() -> str:
        started: gort.Chan[int] = gort.Chan(1)

        async def sleeper() -> None:
            await started.send(gort.runtime.goid())
            await gort.sleep(30)

        gort.go(sleeper)
        goid = await started.recv()
        dump = ""

        def asleep() -> bool:
            nonlocal dump
            dump = gort.runtime.stack(all=True)
            return f"goroutine {goid} [sleep]:" in dump

        await wait_for(asleep, "the sleeper shows [sleep]")
        return dump

    assert "[sleep]" in run(main)


# ----------------------------------------------------------------------------- after


def test_after(procs: int) -> None:
    # Go: TestAfter
    async def main() -> tuple[float, float, float]:
        t0 = time.monotonic()
        v = await recv(gt.after(0.05))
        return t0, v, time.monotonic()

    t0, v, t1 = run(main, procs)
    assert isinstance(v, float)
    assert t1 - t0 >= 0.05
    assert t0 + 0.05 <= v + 1e-6 <= t1 + 1e-6  # the firing instant, time.monotonic()


def test_after_tick() -> None:
    # Go: TestAfterTick - consecutive short timers add up
    async def main() -> float:
        t0 = time.monotonic()
        for _ in range(10):
            await gt.after(0.01).recv()
        return time.monotonic() - t0

    assert 0.1 <= run(main) < 5


def test_after_value_is_the_firing_instant() -> None:
    # Go: TestAfterTimes (1.23) - a late receiver gets the instant the timer fired, not
    # the instant it received
    async def main() -> tuple[float, float]:
        t0 = time.monotonic()
        c = gt.after(0.01)
        await gort.sleep(0.15)
        v = await recv(c)
        return t0, v

    t0, v = run(main)
    assert 0.01 <= v - t0 + 1e-6 < 0.14


def test_zero_timer_fires_promptly(procs: int) -> None:
    # Go: TestZeroTimer (1,000 iterations instead of 1,000,000)
    async def main() -> float:
        worst = 0.0
        for i in range(1000):
            t0 = time.monotonic()
            t = gt.Timer(0 if i % 2 else -1)
            await t.c.recv()
            worst = max(worst, time.monotonic() - t0)
        return worst

    assert run(main, procs) < 1.0


def test_after_from_many_goroutines(procs: int) -> None:
    async def main() -> int:
        done: gort.Chan[int] = gort.Chan(200)

        async def w(i: int) -> None:
            await gt.after(0.001 * (i % 20)).recv()
            await done.send(i)

        for i in range(200):
            gort.go(w, i)
        return len({await done.recv() for _ in range(200)})

    assert run(main, procs) == 200


# ------------------------------------------------------------------ timer channels (1.23)


def test_timer_channel_reports_len_and_cap_zero() -> None:
    # Go: testTimerChan's cap/len checks (1.23: timer channels look unbuffered)
    async def main() -> None:
        t = gt.Timer(0.001)
        assert len(t.c) == 0 and t.c.cap == 0
        await wait_for(fired_unreceived(t.c), "the timer fired")
        assert len(t.c) == 0 and t.c.cap == 0  # even with a value waiting
        assert isinstance(await t.c.recv(), float)
        tk = gt.Ticker(0.001)
        assert len(tk.c) == 0 and tk.c.cap == 0
        tk.stop()
        assert isinstance(t.c, gort.Chan)

    run(main)


def test_timer_channel_is_receive_only() -> None:
    async def main() -> None:
        t = gt.Timer(10)
        with pytest.raises(TypeError):
            await t.c.send(1.0)
        with pytest.raises(TypeError):
            t.c.try_send(1.0)
        with pytest.raises(TypeError):
            t.c.close()
        with pytest.raises(TypeError):
            await gort.select((t.c.send, 1.0), gort.default)
        assert t.stop()

    run(main)


def test_timer_channel_works_in_select_and_recv_ok(procs: int) -> None:
    async def main() -> None:
        other: gort.Chan[int] = gort.Chan()
        t = gt.Timer(0.01)
        i, v = await gort.select(other.recv, t.c.recv)
        assert i == 1 and isinstance(v, float)
        t2 = gt.Timer(0.001)
        v2, ok = await t2.c.recv_ok()
        assert ok and isinstance(v2, float)
        t3 = gt.Timer(0.001)
        i, (v3, ok3) = await gort.select(other.recv, t3.c.recv_ok)
        assert i == 1 and ok3
        # a timer channel is never closed: iteration waits for the next value
        tk = gt.Ticker(0.001)
        n = 0
        async for _ in tk.c:
            n += 1
            if n == 3:
                break
        tk.stop()

    run(main, procs)


def test_stop_before_firing_returns_true_and_nothing_arrives() -> None:
    async def main() -> None:
        t = gt.Timer(0.02)
        assert t.stop() is True
        assert t.stop() is False  # already stopped
        i, _ = await gort.select(t.c.recv, gt.after(0.1).recv)
        assert i == 1

    run(main)


def test_stop_after_receive_returns_false() -> None:
    async def main() -> None:
        t = gt.Timer(0.001)
        await t.c.recv()
        assert t.stop() is False

    run(main)


def test_stop_of_fired_unreceived_timer_leaves_no_stale_value(procs: int) -> None:
    # Go 1.23 (testTimerChan / issue 37196): once Stop returns, no value from before it
    # is received; and since the program had not received, Stop reports True
    async def main() -> None:
        for _ in range(20):
            t = gt.Timer(0.001)
            await wait_for(fired_unreceived(t.c), "the timer fired")
            assert t.stop() is True
            assert await nothing_ready(t.c)
            i, _ = await gort.select(t.c.recv, gt.after(0.01).recv)
            assert i == 1

    run(main, procs)


def test_reset_of_fired_unreceived_timer_leaves_no_stale_value(procs: int) -> None:
    # Go 1.23: Reset drains too; the next value is the new configuration's
    async def main() -> None:
        for _ in range(10):
            t = gt.Timer(0.001)
            await wait_for(fired_unreceived(t.c), "the timer fired")
            assert t.reset(10) is True
            assert await nothing_ready(t.c)
            t0 = time.monotonic()
            assert t.reset(0.01) is True  # active (armed for 10 s)
            v = await recv(t.c)
            assert v >= t0 + 0.01 - 1e-6
            assert await nothing_ready(t.c)

    run(main, procs)


def test_reset_results() -> None:
    # Go: TestReset's "resetting expired timer returned true", and Reset of a stopped timer
    async def main() -> None:
        t = gt.Timer(10)
        assert t.reset(10) is True  # active
        assert t.stop() is True
        assert t.reset(0.001) is False  # it was stopped
        await t.c.recv()
        assert t.reset(0.001) is False  # it had fired and been received
        await t.c.recv()

    run(main)


def test_reset_timing() -> None:
    # Go: TestReset - reset pushes the firing later; retried with longer durations
    # if the machine is too slow for the shorter ones, as Go does
    async def attempt(d: float) -> str | None:
        t = gt.Timer(2 * d)
        await gort.sleep(d)
        if not t.reset(3 * d):
            return "resetting unfired timer returned false"
        await gort.sleep(2 * d)
        if not await nothing_ready(t.c):
            return "timer fired early"
        await gort.sleep(2 * d)
        if await nothing_ready(t.c):
            return "reset timer did not fire"
        if t.reset(0.05):
            return "resetting expired timer returned true"
        return None

    async def main() -> None:
        errors = []
        for d in (0.01, 0.05, 0.2, 0.5):
            err = await attempt(d)
            if err is None:
                return
            errors.append(f"{d}: {err}")
        raise AssertionError("; ".join(errors))

    run(main)


def test_timer_modified_earlier(procs: int) -> None:
    # Go: TestTimerModifiedEarlier - moving long timers much earlier must not lose them
    async def main() -> float:
        timers = [gt.Timer(3600) for _ in range(100)]
        t0 = time.monotonic()
        for t in timers:
            assert t.reset(0.01) is True
        for t in timers:
            await t.c.recv()
        return time.monotonic() - t0

    assert run(main, procs) < 5


def test_adjust_timers(procs: int) -> None:
    # Go: TestAdjustTimers - random resets and stops of many timers. The results of
    # stop/reset say exactly how many times each function must run: a stop or reset
    # that returns False found the armed timer already fired; one that returns True
    # cancelled that firing. The last firing of a timer armed at the end comes at or
    # after its last deadline.
    import random

    rng = random.Random(7)

    async def main() -> None:
        n = 200
        fired: gort.Chan[int] = gort.Chan(8 * n)
        deadline: dict[int, float] = {}
        armed = [True] * n
        fires = [0] * n
        timers: list[gt.Timer] = []
        for i in range(n):
            d = rng.uniform(0, 0.05)
            deadline[i] = time.monotonic() + d
            timers.append(gt.after_func(d, fired.try_send, i))
        for _ in range(3 * n):
            i = rng.randrange(n)
            if rng.random() < 0.2:
                if not timers[i].stop() and armed[i]:
                    fires[i] += 1
                armed[i] = False
                continue
            d = rng.uniform(0, 0.05)
            before = time.monotonic()
            if not timers[i].reset(d) and armed[i]:
                fires[i] += 1
            armed[i] = True
            deadline[i] = before + d
            if rng.random() < 0.1:
                await gort.sleep(0.002)  # let some fire in between
        for i in range(n):
            if armed[i]:
                fires[i] += 1
        got = [0] * n
        last: dict[int, float] = {}
        for _ in range(sum(fires)):
            i = await recv(fired)
            got[i] += 1
            last[i] = time.monotonic()
        # every deadline has passed: nothing else may arrive
        await gort.sleep(0.1)
        assert await nothing_ready(fired)
        assert got == fires
        for i in range(n):
            if armed[i]:
                assert last[i] >= deadline[i] - 1e-3

    run(main, procs)


# ----------------------------------------------------------------------------- Ticker


def test_ticker(procs: int) -> None:
    # Go: TestTicker - count ticks, reset to a longer period, stop, and no tick after
    async def main() -> None:
        count, delta = 10, 0.01
        t0 = time.monotonic()  # before the ticker: a thread switch may come in between
        tk = gt.Ticker(delta)
        for _ in range(count):
            await tk.c.recv()
        dt = time.monotonic() - t0
        assert dt >= (count - 1) * delta, dt
        assert dt < 20 * count * delta, dt
        t0 = time.monotonic()
        tk.reset(2 * delta)
        for _ in range(count // 2):
            v = await recv(tk.c)
            assert v >= t0 + 2 * delta - 1e-6  # nothing from before the reset
        assert time.monotonic() - t0 >= (count // 2) * 2 * delta - 1e-3
        tk.stop()
        i, _ = await gort.select(tk.c.recv, gt.after(4 * delta).recv)
        assert i == 1, "ticker fired after stop"

    run(main, procs)


def test_ticker_drops_ticks_for_a_slow_receiver() -> None:
    # Go: "drops ticks to make up for slow receivers" - the channel holds one tick only
    async def main() -> None:
        period = 0.05
        t0 = time.monotonic()
        tk = gt.Ticker(period)
        await gort.sleep(6 * period)
        v = await recv(tk.c)  # the first tick, kept; the next ones were dropped
        assert v - t0 < 3 * period
        assert await nothing_ready(tk.c)
        v2 = await recv(tk.c)  # a fresh tick, not a backlog
        assert v2 - t0 >= 6 * period - 1e-3
        tk.stop()

    run(main)


def test_ticker_next_ticks_stay_on_the_period_grid() -> None:
    # ticks do not drift and are never early: the k-th tick is no sooner than k periods
    # after the ticker was made, however late the ones before it were
    async def main() -> tuple[float, list[float]]:
        t0 = time.monotonic()
        tk = gt.Ticker(0.02)
        vs = [await recv(tk.c) for _ in range(6)]
        tk.stop()
        return t0, vs

    t0, vs = run(main)
    for k, v in enumerate(vs, start=1):
        assert v >= t0 + k * 0.02 - 1e-6, (k, v - t0)
    assert all(b > a for a, b in zip(vs, vs[1:], strict=False)), vs
    assert vs[-1] - t0 < 5.0


def test_ticker_stop_and_reset_leave_no_stale_tick(procs: int) -> None:
    # Go 1.23: tickers keep the same guarantee as timers
    async def main() -> None:
        tk = gt.Ticker(0.001)
        await wait_for(fired_unreceived(tk.c), "a tick is waiting")
        tk.stop()
        assert await nothing_ready(tk.c)
        i, _ = await gort.select(tk.c.recv, gt.after(0.02).recv)
        assert i == 1
        tk.reset(0.001)
        await wait_for(fired_unreceived(tk.c), "a tick is waiting")
        t0 = time.monotonic()
        tk.reset(0.05)
        assert await nothing_ready(tk.c)
        v = await recv(tk.c)
        assert v >= t0 + 0.05 - 1e-6
        tk.stop()

    run(main, procs)


@pytest.mark.parametrize("d", [0, -1, -0.5, 1e-12])
def test_new_ticker_non_positive_panics(d: float) -> None:
    # Go: TestNewTickerLtZeroDuration (1e-12 s rounds to 0 ns: non-positive too)
    with pytest.raises(gort.Panic, match=r"^non-positive interval for NewTicker$"):
        gt.Ticker(d)


@pytest.mark.parametrize("d", [0, -1])
def test_ticker_reset_non_positive_panics(d: float) -> None:
    # Go: TestTickerResetLtZeroDuration
    async def main() -> None:
        tk = gt.Ticker(1)
        with pytest.raises(gort.Panic, match=r"^non-positive interval for Ticker.Reset$"):
            tk.reset(d)
        tk.stop()

    run(main)


def test_tick() -> None:
    # Go: TestTick - Tick of a non-positive duration is nil
    async def main() -> None:
        assert gt.tick(0) is gort.nilchan
        assert gt.tick(-1) is gort.nilchan
        c = gt.tick(0.005)
        a = await recv(c)
        b = await recv(c)
        assert a is not None and b is not None and b > a

    run(main)


def test_teardown_many_tickers() -> None:
    # Go: TestTeardown - creating and stopping tickers in a loop is fine
    async def main() -> None:
        for _ in range(3):
            tks = [gt.Ticker(0.002) for _ in range(100)]
            await tks[-1].c.recv()
            for tk in tks:
                tk.stop()

    run(main)


def test_unreferenced_ticker_is_collected_and_stops_itself() -> None:
    # Go 1.23: unreferenced timers and tickers are garbage (TestTimerGC's point)
    async def main() -> None:
        c = gt.tick(0.001)
        # wait for a tick without parking on c (a parked receiver's cached sudog would
        # keep c alive: see the report on sudog caching)
        await wait_for(fired_unreceived(c), "a tick is waiting")
        ref = weakref.ref(c)
        rt = c.timer
        del c
        gc.collect()
        assert ref() is None, "an unreferenced ticker channel was kept alive"
        # its runtime timer stops itself at its next tick
        await wait_for(lambda: rt.state == rtimers.T_IDLE, "the dropped ticker stopped")

        t = gt.Timer(3600)
        tref = weakref.ref(t)
        cref = weakref.ref(t.c)
        del t
        gc.collect()
        assert tref() is None and cref() is None

    run(main)


# ---------------------------------------------------------------------------- after_func


def test_after_func_chain() -> None:
    # Go: TestAfterFunc - each call schedules the next; ten in a row
    async def main() -> None:
        done: gort.Chan[bool] = gort.Chan()
        i = 10

        async def nap() -> None:
            await gt.sleep(1)

        def f() -> None:
            nonlocal i
            i -= 1
            if i >= 0:
                gt.after_func(0, f)
                gort.go(nap)  # noise: a goroutine that sleeps (Go: go Sleep(sec))
            else:
                gort.go(done.send, True)

        gt.after_func(0, f)
        await done.recv()

    run(main)


def test_after_func_runs_in_its_own_goroutine(procs: int) -> None:
    async def main() -> None:
        me = gort.runtime.goid()
        out: gort.Chan[tuple[str, int, tuple[Any, ...]]] = gort.Chan(2)

        async def coro_fn(*args: Any) -> None:
            await out.send(("coro", gort.runtime.goid(), args))

        def plain_fn(*args: Any) -> None:
            out.try_send(("plain", gort.runtime.goid(), args))

        t1 = gt.after_func(0.001, coro_fn, 1, "a")
        t2 = gt.after_func(0.002, plain_fn, 2)
        got = {await out.recv(), await out.recv()}
        kinds = {k: (g, a) for k, g, a in got}  # type: ignore[misc]
        assert kinds["coro"][1] == (1, "a") and kinds["plain"][1] == (2,)
        assert kinds["coro"][0] != me and kinds["plain"][0] != me
        assert kinds["coro"][0] != kinds["plain"][0]
        assert t1.c is gort.nilchan and t2.c is gort.nilchan

    run(main, procs)


def test_after_func_stop() -> None:
    async def main() -> None:
        ran: list[int] = []
        t = gt.after_func(0.01, ran.append, 1)
        assert t.stop() is True
        assert t.stop() is False
        await gt.after(0.05).recv()
        assert ran == []
        # stop after it ran: False
        done: gort.Chan[int] = gort.Chan(1)
        t2 = gt.after_func(0.001, done.try_send, 1)
        await done.recv()
        assert t2.stop() is False

    run(main)


def test_after_func_reset_runs_it_again() -> None:
    async def main() -> None:
        done: gort.Chan[int] = gort.Chan(2)
        t = gt.after_func(0.001, done.try_send, 1)
        assert await done.recv() == 1
        assert t.reset(0.001) is False
        assert await done.recv() == 1
        assert t.reset(3600) is False
        assert t.reset(0.001) is True
        assert await done.recv() == 1

    run(main)


def test_after_func_rejects_non_callables() -> None:
    with pytest.raises(TypeError):
        gt.after_func(1, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gt.after_func(1, 42)  # type: ignore[arg-type]


def test_after_func_starvation() -> None:
    # Go: TestAfterFuncStarvation - with one P kept busy by two goroutines that always
    # have one of them runnable, a timer must still fire
    async def main() -> None:
        c: gort.Chan[bool] = gort.Chan(1)
        stop = False
        finished: gort.Chan[bool] = gort.Chan(2)

        async def sender() -> None:
            while not stop:
                await c.send(True)
            await finished.send(True)

        async def receiver() -> None:
            while not stop:
                await c.recv()
            await finished.send(True)

        gort.go(sender)
        gort.go(receiver)

        def set_stop() -> None:
            nonlocal stop
            stop = True

        gt.after_func(0.02, set_stop)
        # main waits on a channel the pair fills only once the timer has fired
        await finished.recv()
        c.try_recv()  # unblock the sender if it is parked on a full buffer
        c.try_send(True)  # unblock the receiver if it is parked on an empty one

    run(main, 1)


# -------------------------------------------------------- Ps, GOMAXPROCS and deadlocks


def test_timers_survive_gomaxprocs_changes() -> None:
    # procresize moves the timers of destroyed Ps to P0 (timers.move_timers)
    async def main() -> None:
        n = 400
        done: gort.Chan[int] = gort.Chan(n)
        ready: gort.Chan[int] = gort.Chan(n)

        async def w(i: int) -> None:
            t = gt.Timer(0.05 + 0.0001 * i)
            await ready.send(i)
            await t.c.recv()
            await done.send(i)

        for i in range(n):
            gort.go(w, i)
        for _ in range(n):
            await ready.recv()
        assert gort.gomaxprocs(1) == 4
        # a trap before the next resize: works around a core bug (procresize moves the
        # caller's M to P0, and a later trap with an idle P throws "wirep: already in go")
        await gort.gosched()
        stopped = [gt.Timer(0.01) for _ in range(50)]
        late = [gt.after_func(0.02, done.try_send, -1) for _ in range(10)]
        assert gort.gomaxprocs(3) == 1
        assert all(t.stop() for t in stopped)
        await gort.gosched()
        assert gort.gomaxprocs(4) == 3
        got = [await recv(done) for _ in range(n + len(late))]
        assert sorted(got) == [-1] * len(late) + list(range(n))
        assert all([await nothing_ready(t.c) for t in stopped])

    run(main, 4)


def test_timer_armed_on_one_p_fires_for_a_goroutine_on_another() -> None:
    async def main() -> None:
        n = 100
        out: gort.Chan[int] = gort.Chan(n)
        timers = [gt.Timer(0.01 + 0.0001 * i) for i in range(n)]

        async def w(i: int) -> None:
            await gort.gosched()  # may move to another P
            await timers[i].c.recv()
            await out.send(i)

        for i in range(n):
            gort.go(w, i)
        assert sorted([await out.recv() for _ in range(n)]) == list(range(n))  # type: ignore[type-var]

    run(main, 4)


_STOPPED_TIMERS_PROGRAM = """
import faulthandler
import sys
import gort
import gort.time as gt

faulthandler.dump_traceback_later(20, exit=True)  # a hang shows every thread's stack

async def main():
    t = gt.Timer(3600)
    t.stop()
    tk = gt.Ticker(3600)
    tk.stop()
    await t.c.recv()  # nothing will ever send: Go reports a deadlock

try:
    gort.run(main, gomaxprocs=int(sys.argv[1]))
except gort.Deadlock as e:
    print("DEADLOCK", e)
"""


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_stopped_timers_do_not_hide_a_deadlock(procs: int) -> None:
    # in a subprocess: a runtime that misses the deadlock would hang this test run
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("GOMAXPROCS", None)
    try:
        r = subprocess.run(
            [sys.executable, "-c", _STOPPED_TIMERS_PROGRAM, str(procs)],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            cwd=str(repo),
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a program blocked forever with only stopped timers was not reported")
    assert "DEADLOCK all goroutines are asleep - deadlock!" in r.stdout, (
        "a program blocked forever with only stopped timers was not reported:\n"
        + r.stdout
        + r.stderr
    )


def test_pending_timer_is_not_a_deadlock() -> None:
    async def main() -> float:
        t = gt.Timer(0.03)
        return await t.c.recv()  # type: ignore[return-value]

    assert isinstance(gort.run(main), float)


def test_timers_from_a_previous_run_do_not_leak_into_the_next() -> None:
    async def first() -> None:
        for _ in range(20):
            gt.after(3600)
            gt.after_func(3600, lambda: None)

    gort.run(first)

    async def second() -> float:
        return await gt.after(0.01).recv()  # type: ignore[return-value]

    assert isinstance(gort.run(second), float)


def test_timer_api_needs_a_runtime() -> None:
    with pytest.raises(RuntimeError):
        gt.Timer(1)
    with pytest.raises(RuntimeError):
        gt.after_func(1, lambda: None)


def test_timer_ops_from_a_foreign_thread() -> None:
    # a thread that is not an M arms and stops timers on P0's heap
    async def main() -> None:
        out: gort.Chan[int] = gort.Chan(1)
        stopped: list[bool] = []

        def foreign() -> None:
            t = gt.Timer(3600)
            stopped.append(t.stop())
            gt.after_func(0.005, out.try_send, 7)

        th = threading.Thread(target=foreign)
        th.start()
        await gort.blocking(th.join)
        assert stopped == [True]
        assert await out.recv() == 7

    run(main, 2)


# ------------------------------------------------------------------ the runtime heaps


def test_reset_forever_does_not_grow_the_heap() -> None:
    # lazy deletion with compaction: a timer reset 10,000 times leaves a small heap
    async def main() -> int:
        t = gt.Timer(3600)
        for _ in range(10_000):
            t.reset(3600)
        ts = t._rt.ts
        assert ts is not None
        return len(ts.heap)

    assert run(main) < 200


def test_timer_state_machine_refuses_illegal_moves() -> None:
    t = rtimers.Timer(lambda a, v, d: None, None)
    t.state = 7
    with pytest.raises(gort.FatalError, match="timer: bad transition"):
        rtimers._set_state(t, rtimers.T_WAITING)


def test_repr() -> None:
    async def main() -> None:
        t = gt.Timer(1)
        assert "active" in repr(t)
        t.stop()
        assert "inactive" in repr(t)
        tk = gt.Ticker(0.5)
        assert "0.5" in repr(tk)
        tk.stop()
        assert "timer channel" in repr(tk.c)

    run(main)
