"""``gort.time``: sleep, timers and tickers (Go's package ``time``; ``time/sleep.go``,
``time/tick.go`` and the package-time half of ``runtime/time.go``).

Durations are seconds as ``float`` (or ``int``), as in Python's ``time.sleep``;
instants are ``time.monotonic()`` values. A non-number is a ``TypeError``, NaN
a ``ValueError``; a zero or negative duration means "now" (a timer fires at
once, ``sleep`` only yields), and a duration past the year 2262 is clamped to
Go's ``maxWhen``.

Everything here is built on the runtime timers of ``_runtime/timers.py`` (a
heap per P, run by the scheduler): no thread per timer, and ``stop`` only bumps
a version (lazy deletion). ``sleep`` parks the goroutine and lets the runtime
put the G itself on its P's heap (``timers.reset_for_sleep``): no timer object
per sleeper.

Timer channels (Go 1.23)
------------------------
``Timer.c`` and ``Ticker.c`` are ``_TimerChan``\\ s: a ``Chan`` with a one-slot
buffer that reports ``len`` 0 and ``cap`` 0, as Go 1.23's timer channels do.
A firing does a non-blocking send of ``time.monotonic()`` under the channel's
lock (a waiting receiver gets it directly; otherwise it waits in the slot; if
the slot is full - a slow ticker receiver - the tick is dropped, as Go
drops ticks). Receiving and ``select`` use the ordinary channel code.

The guarantee that no stale value is received once ``stop`` or ``reset``
returns comes from one lock, the channel's:

- ``stop``/``reset`` take it, change the runtime timer (which bumps its
  version) and empty the slot;
- the firing callback takes it and sends only if the timer's version is still
  the one that fired.

So a firing either completed before ``stop``/``reset`` (its value is in the
slot, which they empty, or was already received) or sees the new version
and drops its value. ``stop``/``reset`` return True ("it was active") when the
timer was armed, when they emptied a value nobody had received, or when they
cancelled a firing whose send had not happened yet (``rt.fired`` is the
version that fired, ``c.delivered`` the version whose send completed) - Go
1.23's "if the program has not received from t.C already and the timer is
running, Stop is guaranteed to return true".

A timer channel is receive-only, as Go's ``<-chan Time``: ``send`` and
``close`` raise ``TypeError`` (Go rejects them at compile time).

Garbage
-------
The runtime timer holds its channel through a weak reference, so a ``Timer``,
``Ticker``, ``after`` or ``tick`` channel that the program dropped without
stopping it is collected (Go 1.23 gets the same by heaping channel timers only
while a goroutine waits on them); a dropped ticker's runtime timer stops
itself at its next tick. ``after_func`` timers are held strongly: their
function runs whether or not the program kept the ``Timer``, as in Go.

Locks
-----
``c.lock`` (the channel's) guards ``c.buf`` and ``c.delivered`` and serialises
every ``stop``/``reset`` of a channel timer; an ``after_func`` timer has its own
``_FuncSink.lock`` for the same role. Order: that lock -> the runtime heap
lock (taken inside ``modtimer``/``stoptimer``); firing callbacks run with no
heap lock held, so they may take it.

Differences from Go
-------------------
- # Go: a timer channel carries ``time.Time`` (wall and monotonic); here the
  ``time.monotonic()`` float read when the timer fired (for a late firing Go
  sends the instant it was due; gort sends the instant it actually fired).
- # Go: ``AfterFunc``'s ``Timer.C`` is nil; here it is ``gort.nilchan``, the
  same thing (receiving blocks forever, select never picks it).
- # Go: calling ``Stop``/``Reset`` on a zero ``Timer{}`` panics; a gort
  ``Timer`` is always initialised by its constructor.
"""

from __future__ import annotations

import numbers
import threading
import time as _time
import types
import weakref
from collections.abc import Callable, Generator
from typing import Any

from ._runtime import proc as _proc
from ._runtime import timers as _timers
from ._runtime.chan import Chan, dequeue, nilchan
from ._runtime.runtime2 import TRAP_PARK, M, Panic, waitReasonSleep

__all__ = ["Ticker", "Timer", "after", "after_func", "sleep", "tick"]

_monotonic = _time.monotonic
_nanotime = _timers._nanotime
_goready = _proc.goready
_reset_for_sleep = _timers.reset_for_sleep
_tls = _proc._tls
_MAX_WHEN = _timers.MAX_WHEN


# ---------------------------------------------------------------------------
# Durations


def _duration_ns(d: float) -> int:
    """``d`` seconds as int nanoseconds, clamped to [-maxWhen, maxWhen]."""
    t = type(d)
    if t is float or t is int or (isinstance(d, numbers.Real) and t is not bool):
        x = float(d)
    else:
        raise TypeError(f"duration must be a number of seconds, not {type(d).__name__}")
    if x != x:
        raise ValueError("duration is NaN")
    ns = x * 1e9
    if ns >= _MAX_WHEN:
        return _MAX_WHEN
    if ns <= -_MAX_WHEN:
        return -_MAX_WHEN
    return int(ns)


def _when(ns: int) -> int:
    """The instant ``ns`` from now (Go's ``when``: clamped, never in the past)."""
    if ns <= 0:
        return _nanotime()
    w = _nanotime() + ns
    return w if w < _MAX_WHEN else _MAX_WHEN


# ---------------------------------------------------------------------------
# sleep


@types.coroutine
def sleep(d: float) -> Generator[int, Any, None]:
    """Pause the calling goroutine for at least ``d`` seconds (``d <= 0``: just yield)."""
    # the common case first, without the checks' calls
    ns = int(d * 1e9) if type(d) is float and 0.0 < d < 9e9 else _duration_ns(d)
    if ns <= 0:
        yield from _proc.gosched()
        return
    try:
        mp: M | None = _tls.m
    except AttributeError:  # a thread that never was an M
        mp = None
    gp = mp.curg if mp is not None else None
    if mp is None or gp is None:
        raise RuntimeError("gort.sleep: not called from a goroutine")
    when = _nanotime() + ns
    gp.waitreason = waitReasonSleep
    mp.waitlock = when if when < _MAX_WHEN else _MAX_WHEN
    # the runtime puts gp on its P's heap once it is parked (Go's resetForSleep), so
    # that even a very short sleep cannot fire, and ready gp, before gp is waiting
    mp.waitunlockf = _reset_for_sleep
    yield TRAP_PARK


# ---------------------------------------------------------------------------
# Timer channels


class _TimerChan(Chan[float]):
    """A timer's channel: a one-slot buffer that looks unbuffered (Go 1.23)."""

    # the runtime timer holds this channel weakly (see Garbage above)
    __slots__ = ("delivered", "timer", "__weakref__")

    def __init__(self) -> None:
        super().__init__(1)
        self.timer: Any = None
        self.delivered = -1  # version of the last completed firing (c.lock)

    @property
    def cap(self) -> int:
        return 0

    def __len__(self) -> int:
        return 0

    @types.coroutine
    def send(self, v: float) -> Generator[int, Any, None]:
        raise TypeError("send to a timer channel (receive-only)")
        yield  # pragma: no cover - makes this a generator

    def try_send(self, v: float) -> bool:
        raise TypeError("send to a timer channel (receive-only)")

    def close(self) -> None:
        raise TypeError("close of a timer channel (receive-only)")

    def __repr__(self) -> str:
        return "<gort timer channel>"


_ChanRef = tuple["weakref.ref[_TimerChan]", _timers.Timer]


def _send_time(arg: _ChanRef, version: int, delta: int) -> None:
    """The firing callback of a channel timer (Go's ``sendTime``; runs on an M with a P)."""
    wref, rt = arg
    c = wref()
    if c is None:  # the program dropped the channel: nobody can receive
        if rt.period > 0:
            _timers.stoptimer(rt)
        return
    lock = c.lock
    lock.acquire()
    if rt.version != version:  # stopped or reset since it fired: drop the stale value
        lock.release()
        return
    c.delivered = version
    v = _monotonic()
    sg = dequeue(c.recvq)
    if sg is None:
        if not c.buf:
            c.buf.append(v)
        # else: a slow receiver has not taken the last tick yet - drop this one, as Go does
        lock.release()
        return
    sg.elem = v
    sg.success = True
    gp = sg.g
    gp.param = sg
    lock.release()
    _goready(gp)


def _new_chan_timer(when: int, period: int) -> tuple[_TimerChan, _timers.Timer]:
    c = _TimerChan()
    rt = _timers.Timer(_send_time, None, period)
    rt.arg = (weakref.ref(c), rt)
    c.timer = rt
    with c.lock:
        _timers.modtimer(rt, when)
    return c, rt


# ---------------------------------------------------------------------------
# after_func


class _FuncSink:
    """What an ``after_func`` timer fires into (its channel's counterpart)."""

    __slots__ = ("lock", "delivered", "fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.lock = threading.Lock()
        self.delivered = -1  # version of the last firing that started fn (lock)
        self.fn = fn
        self.args = args


def _go_func(arg: tuple[_FuncSink, _timers.Timer], version: int, delta: int) -> None:
    """The firing callback of an ``after_func`` timer (Go's ``goFunc``): ``go fn(args)``."""
    sink, rt = arg
    with sink.lock:
        if rt.version != version:
            return
        sink.delivered = version
    s = _proc.sched
    if s is None or s.exiting:
        return
    # Go: "created by time.goFunc"; gort records no creator for it (no goroutine made it)
    _proc.newproc(sink.fn, sink.args, None, None)


# ---------------------------------------------------------------------------
# Timer and Ticker


class Timer:
    """Go's ``time.Timer``: fires once, ``d`` seconds after it was made or reset.

    ``Timer(d)`` sends the firing instant on ``.c``; a timer made by
    ``after_func`` runs its function instead and its ``.c`` is ``gort.nilchan``.
    """

    __slots__ = ("c", "_rt", "_sink", "__weakref__")

    c: Chan[float]

    def __init__(self, d: float) -> None:
        when = _when(_duration_ns(d))
        c, rt = _new_chan_timer(when, 0)
        self.c = c
        self._rt = rt
        self._sink: _TimerChan | _FuncSink = c

    def stop(self) -> bool:
        """Stop the timer. True if this stopped it before its value or function was
        delivered; False if it had already fired (and, for ``after_func``, its
        function has started) or was stopped. No stale value is received after it."""
        sink = self._sink
        rt = self._rt
        with sink.lock:
            v = rt.version
            pending = _timers.stoptimer(rt)
            return _settle(sink, rt, v, pending)

    def reset(self, d: float) -> bool:
        """Re-arm the timer to fire ``d`` seconds from now. Returns whether it was
        active (as ``stop`` would). No value from before the reset is received after it."""
        when = _when(_duration_ns(d))
        sink = self._sink
        rt = self._rt
        with sink.lock:
            v = rt.version
            pending = _timers.modtimer(rt, when)
            return _settle(sink, rt, v, pending)

    def __repr__(self) -> str:
        kind = "func" if type(self._sink) is _FuncSink else "chan"
        st = "active" if self._rt.state == _timers.T_WAITING else "inactive"
        return f"<gort.time.Timer {kind} {st}>"


def _settle(sink: _TimerChan | _FuncSink, rt: _timers.Timer, v: int, pending: bool) -> bool:
    """After stopping/re-arming ``rt`` (which had version ``v``) under ``sink.lock``:
    empty a timer channel, and tell whether the old configuration was still undelivered."""
    if not pending and rt.fired == v and sink.delivered != v:
        pending = True  # it fired, but its send had not happened: cancelled
    if type(sink) is _TimerChan and sink.buf:
        sink.buf.clear()  # a value nobody received: stale now
        pending = True
    return pending


class Ticker:
    """Go's ``time.Ticker``: sends the instant on ``.c`` every ``d`` seconds.

    Ticks a slow receiver has not taken are dropped (the channel holds at most
    one). ``d`` must be positive.
    """

    __slots__ = ("c", "_rt", "__weakref__")

    c: Chan[float]

    def __init__(self, d: float) -> None:
        ns = _duration_ns(d)
        if ns <= 0:
            raise Panic("non-positive interval for NewTicker")
        c, rt = _new_chan_timer(_when(ns), ns)
        self.c = c
        self._rt = rt

    def stop(self) -> None:
        """Turn the ticker off: no tick is received after this returns."""
        c = self.c
        with c.lock:
            _timers.stoptimer(self._rt)
            c.buf.clear()

    def reset(self, d: float) -> None:
        """Stop the ticker and restart it with period ``d`` (the next tick ``d`` from now)."""
        ns = _duration_ns(d)
        if ns <= 0:
            raise Panic("non-positive interval for Ticker.Reset")
        c = self.c
        with c.lock:
            _timers.modtimer(self._rt, _when(ns), ns)
            c.buf.clear()

    def __repr__(self) -> str:
        return f"<gort.time.Ticker every {self._rt.period / 1e9:g}s>"


def after(d: float) -> Chan[float]:
    """The channel of a new ``Timer(d)``: receives the instant once, ``d`` seconds from now."""
    return Timer(d).c


def tick(d: float) -> Chan[float]:
    """The channel of a new ``Ticker(d)``, or ``gort.nilchan`` if ``d <= 0`` (as Go's Tick)."""
    if _duration_ns(d) <= 0:
        return nilchan
    return Ticker(d).c


def after_func(d: float, fn: Callable[..., Any], *args: Any) -> Timer:
    """Run ``fn(*args)`` in its own goroutine ``d`` seconds from now (Go's ``AfterFunc``).

    ``fn`` is a coroutine function or a plain callable. The returned ``Timer``'s
    ``stop`` cancels the call if it has not started; its ``.c`` is ``gort.nilchan``.
    """
    if fn is None:
        raise TypeError("after_func of nil func value")
    if not callable(fn):
        raise TypeError(f"after_func: {type(fn).__name__!r} object is not callable")
    when = _when(_duration_ns(d))
    sink = _FuncSink(fn, args)
    rt = _timers.Timer(_go_func, None)
    rt.arg = (sink, rt)
    t = Timer.__new__(Timer)
    t.c = nilchan
    t._rt = rt
    t._sink = sink
    with sink.lock:
        _timers.modtimer(rt, when)
    return t
