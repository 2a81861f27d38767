"""Timers: a heap on each P, run by the scheduler.

Mirrors Go's ``runtime/time.go`` (1.23+): ``timer``, ``timers``, ``modify``,
``stop``, ``check``, ``run``, ``adjust``/``cleanHead``, ``resetForSleep`` and
``timeSleepUntil``.

What it does
------------
A runtime timer (``Timer``) calls ``f(arg, version, delta_ns)`` once it is due
(and every ``period`` ns after that, if periodic). Each P has a ``Timers``
heap. Nothing here owns a thread: ``schedule``/``find_runnable`` run the due
timers of their own P (``check_timers``), the last stealing pass runs other
Ps' (Go's ``stealWork``), an M with nothing to run blocks in the netpoller
until the earliest timer of all Ps (``earliest``), and sysmon takes a P away
from a goroutine that hogs it while its timers are due (``due``).

``gort.sleep`` uses no ``Timer``: ``reset_for_sleep`` (the unlock function of
its park) adds a heap entry that maps to the parked G itself, and
``check_timers`` readies that G (Go's ``goroutineReady``, without the call
through ``f``). A sleep cannot be stopped or reset, so such an entry is
always live until it fires; everything that scans a heap (``earliest``,
``has_timers``, ``move_timers``) counts it like a timer's.

Heap entries
------------
An entry is one int, ``when << SEQ_BITS | seq``: the instant in its high bits
and, in its low 32, a sequence number that the heap hands out at each arming.
Ordering entries is then one C int comparison (a tuple would compare element
by element, through Python's rich comparison), ``seq`` keeps equal ``when``\\ s
in arming order, and a key is unique within its heap. ``ts.live`` maps the key
of every *live* entry to its ``Timer`` (or sleeping G); ``t.key`` is a WAITING
timer's key. When ``seq`` would pass 2**32 - 1 the heap renumbers its live
entries 1..n in order (``_renumber``), so keys never collide and FIFO order
holds for ever.

Where a timer lives
-------------------
A timer belongs to the heap of the P that last armed it (``t.ts``), as Go's
``maybeAdd`` puts it on the current P's heap. Once armed it always belongs to
some heap, also while stopped, so that ``t.ts.lock`` is always the lock that
guards it. Re-arming from another P moves it (both heap locks held, taken in
a fixed order); ``procresize`` moves the live entries of a destroyed P to P0
(``move_timers``) and marks the old heap dead.

Lazy deletion
-------------
Stopping is cheap, as in Go: ``stoptimer`` and ``modtimer`` bump
``t.version`` and remove the timer's key from ``ts.live``, leaving the int in
the heap. An entry is *stale* when its key is not in ``ts.live``; stale
entries are dropped when they reach the top, and the whole heap is compacted
when more than a quarter of it is stale (Go's zombie count, here
``len(heap) - len(live)``), so a timer reset over and over (an idle timeout)
does not grow the heap. A stale entry is a bare int: it keeps no timer (nor
what its callback refers to) alive.

Timer state machine (one table, one gate: ``_set_state``)::

    IDLE --arm-----> WAITING          (modtimer)
    WAITING --reset-> WAITING         (modtimer; periodic re-arm in check_timers)
    WAITING --stop--> IDLE            (stoptimer)
    WAITING --fire--> IDLE            (check_timers, one-shot)
    IDLE --stop-----> IDLE            (stoptimer of a stopped or fired timer)

A WAITING timer has exactly one live entry, in the heap ``t.ts``
(``t.ts.live[t.key] is t``); an IDLE one has none (``t.key == -1``). The two
hot paths (``modtimer``'s common case, a one-shot firing in ``check_timers``)
check their move against the table inline instead of calling the gate; every
other change goes through it.

Waking an M for a timer
-----------------------
An M with nothing to run gives its P back, scans every heap (``earliest``),
registers as the one poller and sleeps until the earliest ``when``. Arming a
timer that is earlier breaks that sleep (``_wake_for``, Go's
``wakeNetPoller``), and with no poller starts an M on an idle P. Two races are
closed here, not in Go: an M that scanned before a timer was armed (or
stopped) and registers after it - a wake-up break is left pending whenever no M
polls and a P is idle, so its first poll returns at once and it scans again;
and a poller sleeping for a timer that is then stopped - ``stoptimer`` breaks
it, so that it goes idle and ``checkdead`` can see a deadlock. ``check_all``
lets an M that woke for a timer run it when it sits on another P's heap.

Locks
-----
- ``ts.lock`` (Go's ``timers.mu``) guards the heap list, ``ts.live``,
  ``ts.seq`` and ``ts.dead``, and every field of each timer whose ``t.ts`` is
  ``ts`` (``when``, ``period``, ``version``, ``state``, ``fired``, ``key``,
  ``ts`` itself). ``_lock_timer`` finds and locks that heap (retrying if the
  timer moved meanwhile). ``due`` and the scheduler's ``pp.timers.heap``
  test read the heap unlocked (approximate by design).
- Lock order: ``sched.lock`` -> heap locks (``checkdead``, ``handoffp`` and
  ``procresize`` look at heaps with ``sched.lock`` held), so no code here
  takes ``sched.lock`` while holding a heap lock; a client's own lock (a
  channel's) -> heap locks, because ``gort.time`` stops and resets timers with
  its channel locked. At most two heap locks are held at once, taken in
  ``_heap_order``.
- Callbacks and ``goready`` of sleepers run on an M that holds a P, after the
  heap lock is released, so they may ready goroutines, lock channels and
  re-arm or stop timers. They must not block.

Stale callbacks and Go 1.23's guarantee
---------------------------------------
``f`` is called with the version the timer had when it fired. A stop or reset
racing with the callback bumps the version first; a client that compares the
two under its own lock, and that stops/resets under that same lock, never acts
on a stale firing. ``t.fired`` (the version of the last firing) lets such a
client tell "fired, callback not run yet" (it cancelled the delivery: Go's
``isSending``) from "never fired". That is how ``gort.time`` keeps "no stale
value is received after Stop or Reset returns".

Differences from Go
-------------------
- # Go: a 4-ary heap of ``timerWhen`` structs; here ``heapq`` (binary, in C)
  of int keys (above) beside a dict from key to timer.
- # Go: a sleeping goroutine has a ``timer`` (``gp.timer``) whose ``f`` is
  ``goroutineReady``; here its heap entry names the G directly.
- # Go: channel timers are heaped only while a goroutine is blocked on their
  channel (so unreferenced ones can be collected); here every armed timer is
  heaped, and ``gort.time`` holds its channel weakly instead (see there).
- # Go: a timer has its own mutex; here the heap lock it belongs to guards it,
  which saves a lock per timer and per operation.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from typing import Any

from . import netpoll as _netpoll
from . import proc as _proc
from .mtls import _tls
from .runtime2 import G, throw

_nanotime = time.monotonic_ns
_heappush = heapq.heappush
_heappop = heapq.heappop

# Go's maxWhen: the latest instant a timer can be armed for.
MAX_WHEN = (1 << 63) - 1

# A heap key is ``when << SEQ_BITS | seq``. (``due``, ``check_timers`` and
# ``reset_for_sleep`` spell it as the literal 32: a constant instead of a global
# lookup on the scheduler's path.)
SEQ_BITS = 32
SEQ_MASK = (1 << SEQ_BITS) - 1
# The last seq a heap hands out before it renumbers its live entries (_renumber).
_SEQ_LAST = SEQ_MASK

T_IDLE = 0
T_WAITING = 1

T_STATE_NAMES = {T_IDLE: "idle", T_WAITING: "waiting"}

T_TRANSITIONS = frozenset(
    {
        (T_IDLE, T_WAITING),  # modtimer: arm
        (T_WAITING, T_WAITING),  # modtimer: reset; check_timers: periodic re-arm
        (T_WAITING, T_IDLE),  # stoptimer; check_timers: one-shot fired
        (T_IDLE, T_IDLE),  # stoptimer of a stopped or fired timer
    }
)

# Compact a heap when more than this fraction of it is stale (Go: 1/4) ...
_ZOMBIE_FRACTION = 4
# ... and it holds at least this many entries (below that, popping stale heads is cheap).
_ZOMBIE_MIN = 64


def _set_state(t: Timer, new: int) -> None:
    """The one gate for timer state changes (``t.ts.lock`` held)."""
    if (t.state, new) not in T_TRANSITIONS:
        raise throw(
            f"timer: bad transition {T_STATE_NAMES.get(t.state, t.state)} -> "
            f"{T_STATE_NAMES.get(new, new)}"
        )
    t.state = new


class Timer:
    """A runtime timer (Go's ``runtime.timer``). Fields: see the module's Locks."""

    __slots__ = ("when", "period", "f", "arg", "version", "state", "ts", "fired", "key")

    def __init__(self, f: Callable[[Any, int, int], None], arg: Any, period: int = 0) -> None:
        self.when = 0  # ns, monotonic; valid while WAITING
        self.period = period  # ns; > 0: periodic
        self.f = f  # f(arg, version, delta_ns), run without the heap lock
        self.arg = arg
        self.version = 0  # bumped by every stop and arm; callbacks compare it
        self.state = T_IDLE
        self.ts: Timers | None = None  # the heap this timer belongs to (None: never armed)
        self.fired = -1  # version of the last firing (-1: never fired)
        self.key = -1  # its live entry in ``ts`` while WAITING (-1: none)

    def __repr__(self) -> str:
        st = T_STATE_NAMES.get(self.state, str(self.state))
        return f"<runtime timer {st} when={self.when} period={self.period} v{self.version}>"


class Timers:
    """One P's timer heap (Go's ``timers``)."""

    __slots__ = ("lock", "heap", "live", "ran", "seq", "dead")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # keys ``when << SEQ_BITS | seq``, live and stale (lock)
        self.heap: list[int] = []
        # live key -> its Timer, or the G sleeping until it (lock)
        self.live: dict[int, Timer | G] = {}
        self.ran = False  # check_timers ran a callback since ran_any last looked (owner P)
        self.seq = 0  # the last seq handed out (lock)
        self.dead = False  # its P was destroyed by procresize (lock)

    @property
    def zombies(self) -> int:
        """Stale entries in the heap (``lock`` held for an exact answer)."""
        return len(self.heap) - len(self.live)


def _heap_order(a: Timers, b: Timers) -> tuple[Timers, Timers]:
    """The order in which two heap locks are taken (by identity, as Go sorts by address)."""
    return (a, b) if id(a) < id(b) else (b, a)


def _next_seq(ts: Timers) -> int:
    """The next seq of ``ts`` (``ts.lock`` held)."""
    seq = ts.seq + 1
    if seq > _SEQ_LAST:
        seq = _renumber(ts)
    ts.seq = seq
    return seq


def _renumber(ts: Timers) -> int:
    """``ts`` ran out of seqs: give its live entries seqs 1..n in their order, drop the
    stale ones, and return the next free seq (``ts.lock`` held). Once per 2**32 arms."""
    old = sorted(ts.live.items())
    live: dict[int, Timer | G] = {}
    seq = 0
    for key, x in old:
        seq += 1
        k = key >> SEQ_BITS << SEQ_BITS | seq
        live[k] = x
        if type(x) is Timer:
            x.key = k
    ts.live.clear()
    ts.live.update(live)  # in place: check_timers holds a reference to it
    ts.heap[:] = list(live)  # sorted keys: already a heap
    return seq + 1


def _push(ts: Timers, t: Timer) -> None:
    """Add ``t``'s live entry for ``t.when`` to ``ts`` (``ts.lock`` held, ``t.ts is ts``)."""
    if ts.dead:
        raise throw("timer: add to the heap of a destroyed P")
    key = t.key = t.when << SEQ_BITS | _next_seq(ts)
    ts.live[key] = t
    _heappush(ts.heap, key)


def _kill_entry(ts: Timers, t: Timer) -> None:
    """``t`` (WAITING on ``ts``) is about to change version or heap: its entry becomes stale."""
    live = ts.live
    del live[t.key]
    t.key = -1
    h = ts.heap
    n = len(h)
    if n >= _ZOMBIE_MIN and (n - len(live)) * _ZOMBIE_FRACTION > n:
        _compact(ts)


def _compact(ts: Timers) -> None:
    """Drop every stale entry of ``ts`` (``ts.lock`` held) - Go's zombie clean-up."""
    live = ts.live
    h = [k for k in ts.heap if k in live]
    heapq.heapify(h)
    ts.heap[:] = h


def _clean_head(ts: Timers) -> None:
    """Pop stale entries off the top of ``ts`` (``ts.lock`` held; Go's cleanHead)."""
    h = ts.heap
    live = ts.live
    while h and h[0] not in live:
        _heappop(h)


def _current_timers() -> Timers:
    """The heap of the calling M's P (P0's for a thread without a P)."""
    s = _proc.sched
    if s is None:
        raise RuntimeError("gort: timers need a running runtime (use gort.run)")
    mp = getattr(_tls, "m", None)
    pp = mp.p if mp is not None else None
    if pp is None:
        pp = s.allp[0]
    ts: Timers | None = pp.timers
    if ts is None:
        raise throw("timer: P without a timer heap")
    return ts


def _lock_timer(t: Timer) -> Timers | None:
    """Lock the heap ``t`` belongs to (it may move between heaps: retry). None: never armed."""
    while True:
        ts = t.ts
        if ts is None:
            return None
        ts.lock.acquire()
        if t.ts is ts:
            return ts
        ts.lock.release()


def _wake_for(when: int) -> None:
    """A timer due at ``when`` was armed: make sure some M will be awake for it.

    Go's ``wakeNetPoller``: break the M sleeping in the poller if it would sleep
    past ``when``; with no poller, start an M on an idle P (it will find the
    timer and poll until it is due).

    # Go: besides, with no poller but an idle P, a break is left pending. An M may
    be on its way into the poller with a view of the heaps from before this timer
    (it gave its P back, scanned the heaps, then registers as the poller): its
    first poll then returns at once and it scans again. ``netpoll_break`` writes
    once until a poll consumes it, so this costs one extra pass through
    ``find_runnable`` per idle spell. With no idle P no M is on that way (every P
    is held by a running M, which will see the timer), so a busy runtime - the
    common case for ``sleep`` - pays nothing (and ``modtimer`` and
    ``reset_for_sleep`` make the same two reads inline before calling this).

    Unlocked reads of the poller fields: a stale one costs a spurious wake-up.
    """
    s = _proc.sched
    if s is None:
        return
    if s.poller is not None:
        pu = s.poll_until
        if pu == 0 or pu > when:
            _netpoll.netpoll_break()
    elif s.npidle:
        _netpoll.netpoll_break()
        if not s.nmspinning:
            _proc.wakep(s)


def reset_for_sleep(gp: G, when: Any) -> bool:
    """gopark's unlock function for ``gort.sleep``: put ``gp`` on the calling P's heap
    to be readied at ``when`` (ns), now that it is waiting (Go's ``resetForSleep``).

    A sleep needs no ``Timer``: the heap entry maps to the G itself, and
    ``check_timers`` readies it. A sleep cannot be stopped, so nothing else ever
    looks for that entry.
    """
    try:
        pp = _tls.m.p
    except AttributeError:  # not an M (cannot happen: the M that parked gp runs this)
        pp = None
    ts: Timers = pp.timers if pp is not None else _current_timers()
    lock = ts.lock
    lock.acquire()
    if ts.dead:
        lock.release()
        raise throw("timer: add to the heap of a destroyed P")
    seq = ts.seq = ts.seq + 1
    if seq > _SEQ_LAST:
        seq = ts.seq = _renumber(ts)
    key = when << 32 | seq  # 32: SEQ_BITS
    ts.live[key] = gp
    _heappush(ts.heap, key)
    lock.release()
    s = gp.sched  # the running runtime's (goready checks the same)
    if s.poller is not None or s.npidle:
        _wake_for(when)
    return True


def modtimer(t: Timer, when: int, period: int | None = None) -> bool:
    """Arm or re-arm ``t`` to fire at ``when`` (ns, monotonic; ``period`` ns if given).

    Returns whether it was pending (armed and not yet fired). The timer moves to
    the calling P's heap. Go's ``modtimer``/``resettimer``.

    The common case - a timer armed again from the P it belongs to, or armed for
    the first time - takes one lock and no helper calls; its state check is
    ``_set_state``'s table for the two legal moves to WAITING.
    """
    if not 0 <= when <= MAX_WHEN:
        when = 0 if when < 0 else MAX_WHEN
    try:
        pp = _tls.m.p
    except AttributeError:  # a foreign thread
        pp = None
    cur: Timers = pp.timers if pp is not None else _current_timers()
    old = t.ts
    if old is None or old is cur:
        lock = cur.lock
        lock.acquire()
        if t.ts is old and not cur.dead:
            st = t.state
            if st == T_WAITING:
                pending = True
                _kill_entry(cur, t)
            elif st == T_IDLE:
                pending = False
            else:
                lock.release()
                _set_state(t, T_WAITING)  # raises: an illegal state
                raise AssertionError("unreachable")
            t.version += 1
            t.when = when
            if period is not None:
                t.period = period
            t.state = T_WAITING
            t.ts = cur
            seq = cur.seq + 1
            if seq > _SEQ_LAST:
                seq = _renumber(cur)
            cur.seq = seq
            key = t.key = when << SEQ_BITS | seq
            cur.live[key] = t
            _heappush(cur.heap, key)
            lock.release()
            s = _proc.sched
            if s is not None and (s.poller is not None or s.npidle):
                _wake_for(when)
            return pending
        lock.release()
    pending = _modtimer_move(t, when, period, cur)
    _wake_for(when)
    return pending


def _modtimer_move(t: Timer, when: int, period: int | None, cur: Timers) -> bool:
    """modtimer's slow path: ``t`` moves to heap ``cur`` from another (or raced)."""
    while True:
        old = t.ts
        if old is None or old is cur:
            with cur.lock:
                if t.ts is not old:
                    continue
                return _rearm_locked(t, when, period, cur, cur)
        # both locks, in the fixed order
        first, second = _heap_order(old, cur)
        with first.lock, second.lock:
            if t.ts is not old:
                continue
            return _rearm_locked(t, when, period, old, cur)


def _rearm_locked(t: Timer, when: int, period: int | None, old: Timers, cur: Timers) -> bool:
    """Move ``t`` from ``old`` to ``cur`` (may be the same) armed for ``when``: both locked."""
    pending = t.state == T_WAITING
    if pending:
        _kill_entry(old, t)
    t.version += 1
    t.when = when
    if period is not None:
        t.period = period
    _set_state(t, T_WAITING)
    t.ts = cur
    _push(cur, t)
    return pending


def stoptimer(t: Timer) -> bool:
    """Stop ``t``. Returns True if it was pending: it will not fire (Go's ``stop``)."""
    ts = _lock_timer(t)
    if ts is None:
        return False  # never armed
    try:
        pending = t.state == T_WAITING
        if pending:
            _kill_entry(ts, t)
        t.version += 1
        _set_state(t, T_IDLE)
        when = t.when
    finally:
        ts.lock.release()
    if pending:
        s = _proc.sched
        if s is not None:
            # Go: no counterpart. If the M in the poller sleeps for this very timer (or
            # is on its way there, see _wake_for), wake it to sleep until the right
            # one or to go idle, so that checkdead sees a program whose last timer
            # was stopped (checkdead runs only when an M goes idle).
            pu = s.poll_until
            if s.poller is None or pu == when or pu == 0:
                _netpoll.netpoll_break()
    return pending


def due(pp: Any) -> bool:
    """Whether ``pp``'s earliest heap entry is due. Unlocked and approximate: a
    stale head may say yes (``check_timers`` then just drops it)."""
    ts: Timers | None = pp.timers
    if ts is None:
        return False
    try:
        return ts.heap[0] >> 32 <= _nanotime()  # 32: SEQ_BITS
    except IndexError:  # empty, or emptied by another M meanwhile
        return False


def check_timers(s: Any, pp: Any, now: int = 0) -> int:
    """Run ``pp``'s due timers (Go's ``timers.check``). Returns when the next one is due
    (0: none). Sleeping goroutines are readied and callbacks run after the heap lock
    is released, in firing order."""
    ts: Timers | None = pp.timers
    if ts is None:
        return 0
    h = ts.heap
    if not h:
        return 0
    if now == 0:
        now = _nanotime()
    limit = now << 32 | SEQ_MASK  # (32: SEQ_BITS) every key due at ``now`` or before is <= it
    live = ts.live
    # what fired, in order: a G to ready, or (timer, version, delta) to call back. The
    # first one is kept apart: a check usually fires one, and a list is a GC allocation.
    first: Any = None
    more: list[Any] | None = None
    lock = ts.lock
    lock.acquire()
    try:
        while h and h[0] <= limit:
            x: Any = live.pop(_heappop(h), None)
            if x is None:
                continue  # stale: the entry of a timer since stopped, reset or moved
            if type(x) is Timer:
                if x.state != T_WAITING:  # a live entry is a WAITING timer's
                    raise throw(f"timer: live heap entry of a timer in state {x.state}")
                version = x.version
                x.fired = version
                when = x.when
                if x.period > 0:
                    # periodic: the next tick after now, skipping missed ones, as Go does
                    x.when = when + x.period * (1 + (now - when) // x.period)
                    _push(ts, x)  # WAITING -> WAITING
                else:
                    x.state = T_IDLE  # WAITING -> IDLE (fired)
                    x.key = -1
                x = (x, version, now - when)
            # else: a sleeping G
            if first is None:
                first = x
            elif more is None:
                more = [x]
            else:
                more.append(x)
        while h and h[0] not in live:  # Go's cleanHead: the next one is live
            _heappop(h)
        nxt_when = h[0] >> 32 if h else 0  # 32: SEQ_BITS
    finally:
        lock.release()
    if first is not None:
        ts.ran = True
        ready = _proc.goready
        if type(first) is tuple:
            t, version, delta = first
            t.f(t.arg, version, delta)
        else:
            ready(first)
        if more is not None:
            for y in more:
                if type(y) is tuple:
                    t, version, delta = y
                    t.f(t.arg, version, delta)
                else:
                    ready(y)
    return nxt_when


def check_all(s: Any, now: int = 0) -> int:
    """Run the due timers of every P; returns when the next one is due (0: none).

    For an M that holds a P and woke from the poller because a timer came due:
    that timer may be on another P's heap, which ``find_runnable`` reaches only
    in a stealing pass that it may not be allowed to make (too many spinning Ms).
    Callbacks ready goroutines into the caller's P.
    """
    if now == 0:
        now = _nanotime()
    w = 0
    for pp in list(s.allp):
        ts: Timers | None = pp.timers
        if ts is None or not ts.heap:
            continue
        n = check_timers(s, pp, now)
        if n and (w == 0 or n < w):
            w = n
    return w


def ran_any(pp: Any) -> bool:
    """Whether ``check_timers`` ran a callback on ``pp`` since the last call (and reset)."""
    ts: Timers = pp.timers
    r = ts.ran
    ts.ran = False
    return r


def has_timers(pp: Any) -> bool:
    """Whether ``pp`` has a live timer or sleeping goroutine."""
    ts: Timers | None = pp.timers
    if ts is None or not ts.heap:
        return False
    with ts.lock:
        return bool(ts.live)


def earliest(s: Any) -> int:
    """The earliest live timer of all Ps (0: none) - Go's ``timeSleepUntil``."""
    w = 0
    for pp in list(s.allp):
        ts: Timers | None = pp.timers
        if ts is None or not ts.heap:
            continue
        with ts.lock:
            _clean_head(ts)
            h = ts.heap
            if h:
                when = h[0] >> SEQ_BITS
                if w == 0 or when < w:
                    w = when
    return w


def move_timers(src: Any, dst: Any) -> None:
    """procresize: the live timers of destroyed P ``src`` go to ``dst`` (world stopped)."""
    a: Timers = src.timers
    b: Timers = dst.timers
    first, second = _heap_order(a, b)
    with first.lock, second.lock:
        if b.dead:
            raise throw("timer: add to the heap of a destroyed P")
        for key, x in sorted(a.live.items()):  # in (when, seq) order: FIFO ties stay so
            k = key >> SEQ_BITS << SEQ_BITS | _next_seq(b)
            b.live[k] = x
            _heappush(b.heap, k)
            if type(x) is Timer:
                x.ts = b
                x.key = k
        a.heap.clear()
        a.live.clear()
        a.dead = True
    # timers of ``a`` that are idle (not in the heap) still name it: they move on
    # their next arming (modtimer) and stoptimer only needs a lock, which ``a`` keeps.
    # Go: a stopped timer is in no heap at all.
