"""Fairness, blocking calls and idleness (issue 3, step 5 and "Checks"; contract 5).

- A goroutine that burns CPU without awaiting must not starve the other goroutines of
  its P: sysmon hands the P to another M (gort's divergence from Go, which preempts).
- A plain-callable goroutine, or ``await gort.blocking(fn)``, that blocks must not
  stop the other goroutines of its P.
- No busy waiting: idle Ms sleep, spinning ends, an idle runtime uses no CPU.
"""

from __future__ import annotations

import time

import pytest

import gort

pytestmark = pytest.mark.slow


def _burn(seconds: float) -> int:
    """Pure-Python CPU work with no await for ``seconds``."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


# --------------------------------------------------------------------------- fairness

# The gap bound is the issue's: 100 ms, against sysmon's 20 ms. An overloaded machine
# (these tests share the CPUs with others) can delay any thread by more than that
# on its own, so each check gets three tries: a runtime that never hands the P over
# fails all three.
ATTEMPTS = 3
MAX_GAP = 0.100


def _worst_gap_while_burning(other: str) -> tuple[float, int]:
    """gomaxprocs=1: one goroutine burns CPU for 1 s without awaiting while ``other``
    ("gosched": loops on gosched, "sleep": loops on 10 ms sleeps) records the time of
    each iteration. Returns (worst gap between the burner's start, the other's
    iterations and the burner's end; number of iterations in the window)."""
    times: list[float] = []
    window: list[float] = []

    async def burner(done: gort.Chan[None]) -> None:
        window.append(time.monotonic())
        _burn(1.0)
        window.append(time.monotonic())
        await done.send(None)

    async def yielder(stop: list[bool]) -> None:
        while not stop[0]:
            times.append(time.monotonic())
            await gort.gosched()

    async def sleeper(stop: list[bool]) -> None:
        while not stop[0]:
            times.append(time.monotonic())
            await gort.sleep(0.010)

    async def main() -> None:
        done: gort.Chan[None] = gort.Chan()
        stop = [False]
        gort.go(yielder if other == "gosched" else sleeper, stop)
        gort.go(burner, done)  # runnext: it starts first and holds the P
        await done.recv()
        stop[0] = True

    gort.run(main, gomaxprocs=1)
    start, end = window
    inside = [t for t in times if start <= t <= end]
    points = [start, *inside, end]
    worst = max(b - a for a, b in zip(points, points[1:], strict=False))
    return worst, len(inside)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("other", ["gosched", "sleep"])
def test_cpu_bound_goroutine_does_not_starve_the_other_goroutines_of_its_p(other: str) -> None:
    tries = []
    for _ in range(ATTEMPTS):
        worst, n = _worst_gap_while_burning(other)
        tries.append((round(worst * 1000), n))
        if worst < MAX_GAP and n > 5:
            return
    pytest.fail(f"(worst gap in ms, iterations) per try: {tries}; bound {MAX_GAP * 1000:.0f} ms")


# --------------------------------------------------------------------------- blocking


def _progress_during_block(kind: str) -> tuple[int, float]:
    """gomaxprocs=1: a counter goroutine loops on gosched while another goroutine
    blocks its thread for 0.3 s. Returns (counter iterations during the block,
    duration of the block)."""
    count = [0]
    seen: list[float] = []

    def plain_blocker(done: gort.Chan[None]) -> None:
        c0 = count[0]
        t0 = time.monotonic()
        time.sleep(0.3)
        seen.extend([count[0] - c0, time.monotonic() - t0])
        done.close()

    async def awaiting_blocker(done: gort.Chan[None]) -> None:
        c0 = count[0]
        t0 = time.monotonic()
        await gort.blocking(time.sleep, 0.3)
        seen.extend([count[0] - c0, time.monotonic() - t0])
        done.close()

    async def counter(stop: list[bool]) -> None:
        while not stop[0]:
            count[0] += 1
            await gort.gosched()

    async def main() -> None:
        done: gort.Chan[None] = gort.Chan()
        stop = [False]
        gort.go(counter, stop)
        gort.go(plain_blocker if kind == "plain" else awaiting_blocker, done)
        await done.recv()
        stop[0] = True

    gort.run(main, gomaxprocs=1)
    return int(seen[0]), seen[1]


@pytest.mark.timeout(60)
def test_blocking_plain_callable_goroutine_does_not_stop_its_p() -> None:
    n, took = _progress_during_block("plain")
    assert took >= 0.3
    assert n >= 50, f"only {n} iterations of the other goroutine in {took:.2f} s"


@pytest.mark.timeout(60)
def test_blocking_call_does_not_stop_its_p() -> None:
    n, took = _progress_during_block("blocking")
    assert took >= 0.3
    assert n >= 50, f"only {n} iterations of the other goroutine in {took:.2f} s"


@pytest.mark.timeout(60)
def test_blocking_returns_the_result_or_raises() -> None:
    def div(a: int, b: int) -> float:
        return a / b

    async def main() -> tuple[float, str]:
        ok = await gort.blocking(div, 6, 3)
        try:
            await gort.blocking(div, 1, 0)
        except ZeroDivisionError as e:
            return ok, type(e).__name__
        return ok, "no exception"

    assert gort.run(main, gomaxprocs=1) == (2.0, "ZeroDivisionError")


@pytest.mark.timeout(60)
def test_many_blocking_calls_at_once_on_one_p() -> None:
    """Eight goroutines sleep 0.3 s each in blocking calls: they overlap (each on its
    own M) instead of taking 2.4 s one after another."""
    n = 8

    async def sleeper(done: gort.Chan[None]) -> None:
        await gort.blocking(time.sleep, 0.3)
        await done.send(None)

    async def main() -> float:
        done: gort.Chan[None] = gort.Chan()
        t0 = time.monotonic()
        for _ in range(n):
            gort.go(sleeper, done)
        for _ in range(n):
            await done.recv()
        return time.monotonic() - t0

    took = gort.run(main, gomaxprocs=1)
    assert took < 0.3 * n / 2, f"{n} blocking calls of 0.3 s took {took:.2f} s"


# --------------------------------------------------------------------------- idleness


@pytest.mark.timeout(60)
def test_no_busy_waiting_while_main_burns_cpu_with_4_procs() -> None:
    async def main() -> tuple[float, float]:
        w0, c0 = time.monotonic(), time.process_time()
        _burn(2.0)
        return time.monotonic() - w0, time.process_time() - c0

    wall, cpu = gort.run(main, gomaxprocs=4)
    assert wall >= 2.0
    assert cpu <= 1.3 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s: idle Ms are spinning"


@pytest.mark.timeout(60)
def test_idle_runtime_blocked_on_a_channel_uses_little_cpu() -> None:
    async def closer(ch: gort.Chan[None]) -> None:
        await gort.blocking(time.sleep, 1.0)
        ch.close()

    async def main() -> tuple[float, float]:
        ch: gort.Chan[None] = gort.Chan()
        gort.go(closer, ch)
        w0, c0 = time.monotonic(), time.process_time()
        await ch.recv()
        return time.monotonic() - w0, time.process_time() - c0

    wall, cpu = gort.run(main, gomaxprocs=4)
    assert wall >= 0.9
    assert cpu < 0.1, f"{cpu:.3f} s of CPU while idle for {wall:.2f} s"


@pytest.mark.timeout(60)
def test_idle_runtime_sleeping_uses_little_cpu() -> None:
    async def main() -> tuple[float, float]:
        w0, c0 = time.monotonic(), time.process_time()
        await gort.sleep(1.0)
        return time.monotonic() - w0, time.process_time() - c0

    wall, cpu = gort.run(main, gomaxprocs=4)
    assert wall >= 1.0
    assert cpu < 0.1, f"{cpu:.3f} s of CPU while idle for {wall:.2f} s"


@pytest.mark.timeout(60)
def test_spinning_ends_after_a_burst_of_work() -> None:
    """After a burst that woke every P, the runtime goes quiet again."""

    async def leaf(ch: gort.Chan[None]) -> None:
        await ch.send(None)

    async def main() -> tuple[float, float]:
        ch: gort.Chan[None] = gort.Chan(1000)
        for _ in range(1000):
            gort.go(leaf, ch)
        for _ in range(1000):
            await ch.recv()
        w0, c0 = time.monotonic(), time.process_time()
        await gort.sleep(1.0)
        return time.monotonic() - w0, time.process_time() - c0

    wall, cpu = gort.run(main, gomaxprocs=4)
    assert cpu < 0.1, f"{cpu:.3f} s of CPU while idle for {wall:.2f} s"
