"""Where a channel round trip's time goes: gort's ping-pong against pure-Python floors.

    python -m bench.floor            # 5 repetitions, 100,000 round trips each
    python -m bench.floor --reps 9 --n 200000

W2's ping-pong (two goroutines, two unbuffered channels) measured four ways in one
process, by CPU time (``time.process_time``, the minimum over the repetitions, so
that other processes on a shared machine disturb it less than wall time):

* ``bare``: the least a coroutine trampoline of this design can do in Python: one
  thread, a deque as the run queue, a channel that is two deques, no locks, no
  goroutine states, no runnext, no sudogs. Not a runtime (nothing else could run
  beside it): the floor that no pure-Python design of coroutines and a scheduler
  loop goes below.
* ``bare+locks``: the same, taking a ``threading.Lock`` around each channel
  operation and holding it across the park, as a runtime with several threads
  must (gort's channels do, as Go's do).
* ``gort``: ``gort.Chan`` on ``gort.run(gomaxprocs=1)``.
* ``asyncio``: the rendezvous channel of ``bench/prims/aio.py`` on asyncio's loop
  (the W2 peer).

It prints ns per round trip and each figure relative to gort and to asyncio. The
gap between ``bare+locks`` and ``gort`` is what Go's semantics cost on top of the
floor: G status transitions, runnext, sudogs, wait reasons, thread-local M lookup,
the scheduler's checks (global queue every 61 ticks, timers, preemption, STW).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import threading
import time
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

_pt = time.process_time


# -- the bare trampoline ---------------------------------------------------------


class _G:
    __slots__ = ("coro", "val")

    def __init__(self, coro: Any) -> None:
        self.coro = coro
        self.val: Any = None


class _Chan:
    __slots__ = ("recvq", "sendq", "lock")

    def __init__(self) -> None:
        self.recvq: collections.deque[_G] = collections.deque()
        self.sendq: collections.deque[_G] = collections.deque()
        self.lock = threading.Lock()


class _Bare:
    """One run queue, the current G, and channel operations with or without locks."""

    def __init__(self, locked: bool) -> None:
        self.runq: collections.deque[_G] = collections.deque()
        self.cur: _G | None = None
        self.waitlock: Any = None
        # (types.coroutine makes the generators awaitable; mypy does not see it on methods)
        send = self._send_locked if locked else self._send
        recv = self._recv_locked if locked else self._recv
        self.send: Callable[[_Chan, Any], Awaitable[None]] = send  # type: ignore[assignment]
        self.recv: Callable[[_Chan], Awaitable[Any]] = recv  # type: ignore[assignment]

    @types.coroutine
    def _send(self, c: _Chan, v: Any) -> Generator[int, Any, None]:
        if c.recvq:
            w = c.recvq.popleft()
            w.val = v
            self.runq.append(w)
            return
        g = self.cur
        assert g is not None
        g.val = v
        c.sendq.append(g)
        yield 1

    @types.coroutine
    def _recv(self, c: _Chan) -> Generator[int, Any, Any]:
        if c.sendq:
            w = c.sendq.popleft()
            self.runq.append(w)
            return w.val
        g = self.cur
        assert g is not None
        c.recvq.append(g)
        yield 1
        return g.val

    @types.coroutine
    def _send_locked(self, c: _Chan, v: Any) -> Generator[int, Any, None]:
        lock = c.lock
        lock.acquire()
        if c.recvq:
            w = c.recvq.popleft()
            w.val = v
            lock.release()
            self.runq.append(w)
            return
        g = self.cur
        assert g is not None
        g.val = v
        c.sendq.append(g)
        self.waitlock = lock  # released by the scheduler once the G is parked
        yield 1

    @types.coroutine
    def _recv_locked(self, c: _Chan) -> Generator[int, Any, Any]:
        lock = c.lock
        lock.acquire()
        if c.sendq:
            w = c.sendq.popleft()
            lock.release()
            self.runq.append(w)
            return w.val
        g = self.cur
        assert g is not None
        c.recvq.append(g)
        self.waitlock = lock
        yield 1
        return g.val

    def run(self, *coros: Any) -> None:
        runq = self.runq
        runq.extend(_G(c) for c in coros)
        while runq:
            g = runq.popleft()
            self.cur = g
            try:
                g.coro.send(None)
            except StopIteration:
                continue
            lk = self.waitlock
            if lk is not None:
                self.waitlock = None
                lk.release()


def bare(n: int, locked: bool) -> float:
    rt = _Bare(locked)
    send, recv = rt.send, rt.recv
    out: list[float] = []

    async def pong(a: _Chan, b: _Chan) -> None:
        for _ in range(n):
            v = await recv(a)
            await send(b, v + 1)

    async def ping(a: _Chan, b: _Chan) -> None:
        t0 = _pt()
        total = 0
        for i in range(n):
            await send(a, i)
            total += await recv(b)
        out.append(_pt() - t0)
        assert total == n * (n + 1) // 2

    a, b = _Chan(), _Chan()
    rt.run(ping(a, b), pong(a, b))
    return out[0] / n


# -- gort and asyncio ------------------------------------------------------------


def gort_pingpong(n: int) -> float:
    import gort

    async def pong(a: gort.Chan[int], b: gort.Chan[int]) -> None:
        for _ in range(n):
            v = await a.recv()
            await b.send(v + 1)  # type: ignore[operator]

    async def main() -> float:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        gort.go(pong, a, b)
        t0 = _pt()
        total = 0
        for i in range(n):
            await a.send(i)
            total += await b.recv()  # type: ignore[operator]
        elapsed = _pt() - t0
        assert total == n * (n + 1) // 2
        return elapsed

    return float(gort.run(main, gomaxprocs=1)) / n


def asyncio_pingpong(n: int) -> float:
    from bench.prims.aio import AioChan

    async def pong(a: AioChan, b: AioChan) -> None:
        for _ in range(n):
            v = await a.recv()
            await b.send(v + 1)

    async def main() -> float:
        a, b = AioChan(), AioChan()
        task = asyncio.get_running_loop().create_task(pong(a, b))
        t0 = _pt()
        total = 0
        for i in range(n):
            await a.send(i)
            total += await b.recv()
        elapsed = _pt() - t0
        await task
        assert total == n * (n + 1) // 2
        return elapsed

    return asyncio.run(main()) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    cases: dict[str, Callable[[], float]] = {
        "bare": lambda: bare(args.n, False),
        "bare+locks": lambda: bare(args.n, True),
        "gort": lambda: gort_pingpong(args.n),
        "asyncio": lambda: asyncio_pingpong(args.n),
    }
    best = {k: float("inf") for k in cases}
    for _ in range(args.reps):  # interleaved, so that a noisy spell hits every case
        for k, f in cases.items():
            best[k] = min(best[k], f())
    g, a = best["gort"], best["asyncio"]
    print(f"ping-pong round trip, CPU time, min of {args.reps} x {args.n:,}")
    print(f"{'':12} {'ns':>8} {'÷ gort':>8} {'asyncio ÷':>10}")
    for k, v in best.items():
        print(f"{k:12} {v * 1e9:8,.0f} {v / g:8.2f} {a / v:10.2f}")


if __name__ == "__main__":
    main()
