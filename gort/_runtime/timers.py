"""Timers: a heap on each P, run by the scheduler.

Mirrors Go's ``runtime/time.go`` (1.23+).

Each P has a ``Timers`` heap. A timer is added to the heap of the P that arms
it; ``schedule``/``find_runnable`` run the due timers of their own P, and the
last stealing pass runs other Ps' (Go's ``stealWork``). An M with nothing to
run blocks in the netpoller until the earliest timer of all Ps.

Stopping is cheap, as in Go: ``stop`` and ``reset`` bump the timer's
``version``; heap entries of an older version are dropped when they reach the
top (lazy deletion).

Timer state machine (one table, one gate: ``_set_state``)::

    IDLE --arm--> WAITING --fire--> RUNNING --done--> IDLE (one-shot)
                                            --done--> WAITING (periodic)
    WAITING --stop/reset--> IDLE / WAITING

Locks: each ``Timers`` heap has its own lock (Go's ``timers.mu``). A timer's
state and version change under the lock of the heap it is on (``t.ts``).
The callback runs without the heap lock, but with the version it fired at, so
that a callback can check under its own lock (a channel's) that no stop or
reset came in between: that is how Go 1.23's "no stale value after Stop or
Reset returns" is kept (see ``gort.time``).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

_nanotime = time.monotonic_ns
_seq = itertools.count()

T_IDLE = 0
T_WAITING = 1
T_RUNNING = 2

T_TRANSITIONS = frozenset(
    {
        (T_IDLE, T_WAITING),  # arm
        (T_WAITING, T_RUNNING),  # fire
        (T_RUNNING, T_IDLE),  # one-shot done
        (T_RUNNING, T_WAITING),  # periodic re-armed, or reset from the callback
        (T_WAITING, T_IDLE),  # stop
        (T_WAITING, T_WAITING),  # reset
        (T_RUNNING, T_RUNNING),  # stop/reset racing with the callback (version bump only)
        (T_IDLE, T_IDLE),  # stop of a stopped timer
    }
)


def _set_state(t: Timer, new: int) -> None:
    if (t.state, new) not in T_TRANSITIONS:
        from .runtime2 import throw

        raise throw(f"timer: bad transition {t.state} -> {new}")
    t.state = new


class Timer:
    """A runtime timer (Go's ``runtime.timer``)."""

    __slots__ = ("when", "period", "f", "arg", "version", "state", "ts")

    def __init__(self, f: Callable[[Any, int, int], None], arg: Any, period: int = 0) -> None:
        self.when = 0
        self.period = period
        self.f = f
        self.arg = arg
        self.version = 0
        self.state = T_IDLE
        self.ts: Timers | None = None


class Timers:
    """One P's timer heap."""

    __slots__ = ("lock", "heap", "ran")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.heap: list[tuple[int, int, int, Timer]] = []
        self.ran = False


def _current_timers() -> Timers:
    from . import proc

    mp = proc.getm()
    s = proc.sched
    assert s is not None
    pp = mp.p if mp is not None else None
    if pp is None:
        pp = s.allp[0]
    ts = pp.timers
    assert ts is not None
    return ts


def _lock_timer(t: Timer) -> Timers | None:
    """Lock the heap ``t`` is on (it may move between heaps: retry)."""
    while True:
        ts = t.ts
        if ts is None:
            return None
        ts.lock.acquire()
        if t.ts is ts:
            return ts
        ts.lock.release()


def modtimer(t: Timer, when: int, period: int | None = None) -> bool:
    """Arm or re-arm ``t`` to fire at ``when`` (ns, monotonic). Returns whether it was pending."""
    from . import netpoll, proc

    ts_old = _lock_timer(t)
    pending = False
    if ts_old is not None:
        pending = t.state == T_WAITING
        t.version += 1
        if t.state == T_WAITING:
            _set_state(t, T_IDLE)
        t.ts = None
        ts_old.lock.release()
    ts = _current_timers()
    with ts.lock:
        t.version += 1
        t.when = when
        if period is not None:
            t.period = period
        if t.state == T_RUNNING:
            _set_state(t, T_WAITING)
        else:
            _set_state(t, T_WAITING)
        t.ts = ts
        heapq.heappush(ts.heap, (when, next(_seq), t.version, t))
    s = proc.sched
    if s is not None:
        netpoll.wake_poller_if_later(s, when)
    return pending


def stoptimer(t: Timer) -> bool:
    """Stop ``t``. Returns True if it was pending (it will not fire)."""
    ts = _lock_timer(t)
    if ts is None:
        t.version += 1
        return False
    try:
        pending = t.state == T_WAITING
        t.version += 1
        if t.state == T_WAITING:
            _set_state(t, T_IDLE)
        t.ts = None
        return pending
    finally:
        ts.lock.release()


def due(pp: Any) -> bool:
    ts: Timers = pp.timers
    h = ts.heap
    return bool(h) and h[0][0] <= _nanotime()


def check_timers(s: Any, pp: Any, now: int = 0) -> int:
    """Run ``pp``'s due timers. Returns when the next one is due (0: none)."""
    ts: Timers = pp.timers
    if not ts.heap:
        return 0
    if now == 0:
        now = _nanotime()
    fired: list[tuple[Timer, int, int]] = []
    with ts.lock:
        h = ts.heap
        while h:
            when, _, version, t = h[0]
            if version != t.version or t.ts is not ts:
                heapq.heappop(h)  # stale entry of a stopped or reset timer
                continue
            if when > now:
                break
            heapq.heappop(h)
            _set_state(t, T_RUNNING)
            if t.period > 0:
                # periodic: next tick, skipping missed ones, as Go does
                nxt = when + t.period * (1 + (now - when) // t.period)
                t.when = nxt
                _set_state(t, T_WAITING)
                heapq.heappush(h, (nxt, next(_seq), t.version, t))
            else:
                _set_state(t, T_IDLE)
                t.ts = None
            fired.append((t, version, now - when))
        nxt_when = h[0][0] if h else 0
    ts.ran = bool(fired)
    for t, version, delta in fired:
        t.f(t.arg, version, delta)
    return nxt_when


def ran_any(pp: Any) -> bool:
    ts: Timers = pp.timers
    r = ts.ran
    ts.ran = False
    return r


def has_timers(pp: Any) -> bool:
    ts: Timers | None = pp.timers
    if ts is None or not ts.heap:
        return False
    with ts.lock:
        h = ts.heap
        while h and (h[0][2] != h[0][3].version or h[0][3].ts is not ts):
            heapq.heappop(h)
        return bool(h)


def earliest(s: Any) -> int:
    """The earliest live timer of all Ps (0: none)."""
    w = 0
    for pp in s.allp:
        ts: Timers | None = pp.timers
        if ts is None or not ts.heap:
            continue
        with ts.lock:
            h = ts.heap
            while h and (h[0][2] != h[0][3].version or h[0][3].ts is not ts):
                heapq.heappop(h)
            if h and (w == 0 or h[0][0] < w):
                w = h[0][0]
    return w


def move_timers(src: Any, dst: Any) -> None:
    """procresize: the timers of a destroyed P go to ``dst`` (world stopped)."""
    a: Timers = src.timers
    b: Timers = dst.timers
    with a.lock, b.lock:
        for when, _, version, t in a.heap:
            if version == t.version and t.ts is a:
                t.ts = b
                heapq.heappush(b.heap, (when, next(_seq), version, t))
        a.heap.clear()
