"""Blocking calls (issue 6, contract section 5): ``await gort.blocking(fn, *args)`` and
plain-callable goroutines that block must not stop the other goroutines of their P,
and a goroutine in a blocking call is not a deadlock.

Every test has a timeout and bounded work; the timing bounds are loose (a loaded CI
machine) but each one fails if the P is held for the whole blocking call.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import gort
import gort.net as net

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


async def take(ch: gort.Chan[Any]) -> Any:
    """``await ch.recv()``, typed loosely for the tests."""
    return await ch.recv()


async def ticker(stop: list[bool], ticks: list[float]) -> None:
    while not stop:
        await gort.sleep(0.01)
        ticks.append(time.monotonic())


@pytest.mark.parametrize("procs", PROCS)
def test_blocking_call_releases_the_p(procs: int) -> None:
    async def main() -> tuple[float, int]:
        stop: list[bool] = []
        ticks: list[float] = []
        gort.go(ticker, stop, ticks)
        await gort.sleep(0.02)
        t0 = time.monotonic()
        await gort.blocking(time.sleep, 0.5)
        t1 = time.monotonic()
        stop.append(True)
        return t1 - t0, sum(1 for t in ticks if t0 <= t <= t1)

    dt, during = gort.run(main, gomaxprocs=procs)
    assert dt >= 0.5
    assert during >= 10, f"only {during} ticks while main was in a 0.5 s blocking call"


def test_blocking_returns_the_result_and_raises_the_exception() -> None:
    err = ValueError("boom")

    def fails() -> None:
        raise err

    async def main() -> tuple[Any, BaseException | None]:
        r = await gort.blocking(lambda a, b: a + b, 2, 3)
        try:
            await gort.blocking(fails)
        except ValueError as e:
            return r, e
        return r, None

    r, e = gort.run(main, gomaxprocs=1)
    assert r == 5
    assert e is err


def test_blocking_outside_a_goroutine() -> None:
    with pytest.raises(RuntimeError):
        gort.blocking(time.sleep, 0).send(None)


@pytest.mark.parametrize("procs", PROCS)
def test_plain_callable_goroutine_that_blocks(procs: int) -> None:
    """``gort.go(time.sleep, 1)``: its M is stuck in the call, and sysmon hands its P to
    another M so that the ticker goes on."""

    async def main() -> tuple[int, float]:
        stop: list[bool] = []
        ticks: list[float] = []
        gort.go(ticker, stop, ticks)
        await gort.sleep(0.05)
        t0 = time.monotonic()
        gort.go(time.sleep, 1)
        await gort.sleep(0)  # let it start on this P (it is in runnext)
        await gort.sleep(1.0)
        t1 = time.monotonic()
        stop.append(True)
        return sum(1 for t in ticks if t0 <= t <= t1), t1 - t0

    during, dt = gort.run(main, gomaxprocs=procs)
    assert dt < 2.5, f"main's 1 s sleep took {dt:.2f} s"
    assert during >= 30, f"only {during} ticks in the second a plain goroutine slept"


@pytest.mark.parametrize("procs", PROCS)
def test_network_io_goes_on_during_a_blocking_goroutine(procs: int) -> None:
    """Echo round trips keep flowing while another goroutine of the P sits in time.sleep."""

    async def handler(conn: net.Conn) -> None:
        try:
            while data := await conn.read(100):
                await conn.write(data)
        finally:
            conn.close()

    async def main() -> int:
        ln = net.listen("tcp", "127.0.0.1:0")

        async def server() -> None:
            while True:
                try:
                    c = await ln.accept()
                except net.ErrClosed:
                    return
                gort.go(handler, c)

        gort.go(server)
        c = await net.dial("tcp", str(ln.addr))
        gort.go(time.sleep, 1)
        await gort.sleep(0)
        n = 0
        t_end = time.monotonic() + 0.8
        while time.monotonic() < t_end:
            await c.write(b"ping")
            got = b""
            while len(got) < 4:
                got += await c.read(4 - len(got))
            n += 1
        c.close()
        ln.close()
        return n

    n = gort.run(main, gomaxprocs=procs)
    assert n >= 50, f"only {n} round trips in 0.8 s beside a blocked goroutine"


@pytest.mark.parametrize("procs", PROCS)
def test_goroutine_in_blocking_call_is_not_a_deadlock(procs: int) -> None:
    """main waits on a channel that the only other goroutine fills after a blocking
    call: nothing else can run meanwhile, yet it is not a deadlock."""

    async def main() -> str:
        ch = gort.Chan[Any]()

        async def worker() -> None:
            def slow() -> str:
                time.sleep(0.3)
                return "done"

            r = await gort.blocking(slow)
            await ch.send(r)

        gort.go(worker)
        ret: str = await take(ch)
        return ret

    assert gort.run(main, gomaxprocs=procs) == "done"


@pytest.mark.parametrize("procs", PROCS)
def test_plain_goroutine_blocked_in_os_call_is_not_a_deadlock(procs: int) -> None:
    """A plain-callable goroutine waiting on an OS-level event (set by a foreign thread)
    keeps main's channel wait from being reported as a deadlock."""

    async def main() -> str:
        ch = gort.Chan[Any](1)
        ev = threading.Event()

        def waiter() -> None:
            ev.wait(5)
            ch.try_send("set")

        gort.go(waiter)
        threading.Timer(0.3, ev.set).start()
        ret: str = await take(ch)
        return ret

    assert gort.run(main, gomaxprocs=procs) == "set"


@pytest.mark.parametrize("procs", PROCS)
def test_many_blocking_calls_overlap(procs: int) -> None:
    """Eight 0.3 s blocking calls from eight goroutines overlap (each on its own M)."""

    async def main() -> float:
        done = gort.Chan[Any](8)

        async def one() -> None:
            await gort.blocking(time.sleep, 0.3)
            await done.send(None)

        t0 = time.monotonic()
        for _ in range(8):
            gort.go(one)
        for _ in range(8):
            await take(done)
        return time.monotonic() - t0

    dt = gort.run(main, gomaxprocs=procs)
    assert dt < 1.5, f"8 overlapping 0.3 s calls took {dt:.2f} s"
