"""Runtime semaphores and notify lists (Go's ``runtime/sema.go``): the sleeping and
waking that ``gort.sync`` is built on.

What it does
------------
A ``Sema`` is Go's ``uint32`` semaphore word together with the queue of goroutines
waiting on it. ``semacquire(s, lifo, reason)`` takes one unit, parking the calling
goroutine until one is available; ``semrelease(s, handoff)`` adds one unit and wakes
the first waiter. The sync package never exposes a ``Sema``: a ``Mutex`` keeps its
own state word and uses its ``Sema`` only to sleep when the mutex is taken and to be
woken when it is not, exactly as Go's ``sync`` does with ``runtime_SemacquireMutex``
and ``runtime_Semrelease``.

- **Barging.** A plain release (``handoff=False``) adds the unit to ``s.count`` and
  readies the first waiter; that waiter must still take the unit when it runs, and
  may find it gone (another goroutine took it on the fast path first). It then
  queues again. This is Go's behaviour and what makes the normal mode of a mutex
  fast: the goroutine that is already running keeps going.
- **LIFO.** ``lifo=True`` queues the waiter at the head instead of the tail. A
  mutex waiter that was woken, lost the race and must sleep again uses it, so it
  does not lose its place to goroutines that came later.
- **Hand-off.** ``semrelease(s, handoff=True)`` does not publish the unit: it gives
  it to the first waiter directly (``w.ticket = 1``), so nobody can barge in
  between. Go's releaser then calls ``goyield`` so that the waiter, which is in
  the releaser's ``runnext``, runs at once on the releaser's time slice.
  ``semrelease`` is a plain function here (``Mutex.unlock`` is not awaited), so it
  returns ``True`` after a hand-off and leaves the yield to callers that are
  awaited (``async with mu:`` does it in ``__aexit__``).

``NotifyList`` is Go's ``notifyList`` (also in ``sema.go``), the queue under
``sync.Cond``: ``notify_list_add`` hands out a ticket before the caller unlocks
its locker, ``notify_list_wait(l, t)`` sleeps until ticket ``t`` is notified (at
once if it already was), ``notify_list_notify_one`` wakes the holder of the oldest
unnotified ticket and ``notify_list_notify_all`` wakes everybody. Tickets are what
make ``Cond.wait`` immune to a signal that comes between the unlock and the sleep.

Invariants
----------
For a ``Sema`` ``s`` under ``s.lock``:

- A goroutine joins ``s.waitq`` only when ``s.count == 0`` (it checks under the
  lock), and a release that finds a waiter readies one. So while ``s.waitq`` is
  not empty, ``s.count`` is at most the number of waiters that were readied and
  have not run yet: every published unit has a woken goroutine on its way to
  take it, and no waiter sleeps past a unit that nobody will claim.
- Every ``_SemaWaiter`` in ``s.waitq`` belongs to a goroutine that is parked (or
  parking: its M releases ``s.lock`` only once the G is ``_Gwaiting``), and it is
  in the queue at most once.
- ``w.ticket`` is written only by the releaser, under ``s.lock``, after it took
  ``w`` off the queue; the waiter reads it after it has been readied.

For a ``NotifyList`` ``l`` under ``l.lock``: ``l.notify <= l.wait``; every ticket in
``l.waiters`` lies in ``[l.notify, l.wait)``; a ticket below ``l.notify`` has been
notified, whether or not its goroutine had gone to sleep yet.

Locks
-----
``s.lock`` (a ``threading.Lock``) guards ``s.count`` and ``s.waitq``; ``l.lock``
guards all of a ``NotifyList``. A goroutine that sleeps queues itself under that
lock and traps with the lock still held; its M releases it once the G is
``_Gwaiting`` (gopark's protocol, see ``proc.gopark``), so a releaser can never
ready a coroutine that is still running. Releasers dequeue under the lock and
call ``goready`` after releasing it. No other lock is ever taken while one of
these is held, so they sit at the bottom of the lock order: the sync package
takes its own state locks *before* (never while) calling in here.

Differences from Go
-------------------
- Go keeps every waiting goroutine in one table of 251 treaps keyed by the
  semaphore's address (so a semaphore costs 4 bytes). Here each ``Sema`` owns its
  own queue (a ``deque``) and lock: Python objects have no stable small address
  worth hashing, and a per-object queue is simpler and as fast.
- Go's fast path is a lock-free CAS on the semaphore word, and ``semrelease``
  skips the root lock when ``nwait`` is 0. Here ``count`` is guarded by
  ``s.lock`` throughout (CPython offers no CAS). The sync primitives only come
  here on their slow paths, so this costs nothing on an uncontended lock.
- ``semrelease`` does not ``goyield`` itself (see Hand-off above).
- Notify-list tickets are Python ints and never wrap, so they are compared with
  ``<`` instead of Go's wrap-around ``int32(a-b) < 0``.
- No profiling (Go's ``semacquire1`` profile and skip arguments, ``readyWithTime``
  for the block profile).
"""

from __future__ import annotations

import collections
import threading
import types
from collections.abc import Generator
from typing import Any

from . import proc
from .runtime2 import TRAP_PARK, G, M, waitReasonSemacquire, waitReasonSyncCondWait

_tls = proc._tls
_goready = proc.goready

__all__ = [
    "NotifyList",
    "Sema",
    "notify_list_add",
    "notify_list_notify_all",
    "notify_list_notify_one",
    "notify_list_wait",
    "semacquire",
    "semrelease",
]


def _curg(what: str) -> tuple[M, G]:
    """The running M and G of a goroutine that is about to park, or RuntimeError."""
    mp: M | None = getattr(_tls, "m", None)
    gp = mp.curg if mp is not None else None
    if mp is None or gp is None:
        raise RuntimeError(f"gort: {what} would block outside a goroutine")
    return mp, gp


class _SemaWaiter:
    """A goroutine asleep in ``semacquire`` (the part of Go's ``sudog`` it uses)."""

    __slots__ = ("g", "ticket")

    def __init__(self, g: G) -> None:
        self.g = g
        self.ticket = 0  # 1: the releaser handed its unit straight to us (under Sema.lock)


class Sema:
    """A counting semaphore with a wait queue (Go's semaphore word plus its waiters)."""

    __slots__ = ("lock", "count", "waitq")

    def __init__(self, count: int = 0) -> None:
        self.lock = threading.Lock()
        self.count = count  # guarded by lock: units available
        self.waitq: collections.deque[_SemaWaiter] = collections.deque()  # guarded by lock

    def __repr__(self) -> str:
        return f"<Sema count={self.count} waiters={len(self.waitq)}>"


@types.coroutine
def semacquire(
    s: Sema, lifo: bool = False, reason: str = waitReasonSemacquire
) -> Generator[int, Any, None]:
    """Take one unit of ``s``, sleeping (with wait reason ``reason``) until there is one.

    ``lifo=True`` queues at the head (a waiter that already waited). Returns without
    yielding when a unit is available.
    """
    lock = s.lock
    lock.acquire()
    if s.count > 0:
        s.count -= 1
        lock.release()
        return
    try:
        mp, gp = _curg("semacquire")
    except RuntimeError:
        lock.release()
        raise
    w = _SemaWaiter(gp)
    while True:
        # s.lock is held here
        if lifo:
            s.waitq.appendleft(w)
        else:
            s.waitq.append(w)
        gp.waitreason = reason
        mp.waitlock = lock
        mp.waitunlockf = None
        yield TRAP_PARK  # the M releases s.lock once we are _Gwaiting
        if w.ticket:
            return  # handed off: the unit is ours
        mp = _tls.m  # the goroutine may have been resumed by another M
        lock.acquire()
        if s.count > 0:
            s.count -= 1
            lock.release()
            return
        # somebody barged in and took the unit: sleep again (Go's semacquire1 loop)


def semrelease(s: Sema, handoff: bool = False) -> bool:
    """Add one unit to ``s`` and wake its first waiter.

    With ``handoff=True`` the unit goes straight to that waiter. Returns ``True``
    when it did so; the caller should then ``goyield`` if it can (Go's
    ``semrelease1`` does), so that the waiter runs on the caller's time slice.
    """
    lock = s.lock
    lock.acquire()
    if not s.waitq:
        s.count += 1
        lock.release()
        return False
    w = s.waitq.popleft()
    if handoff:
        w.ticket = 1
    else:
        s.count += 1
    lock.release()
    _goready(w.g)
    return handoff


# ---------------------------------------------------------------------------
# notifyList: the wait queue under sync.Cond


class NotifyList:
    """Go's ``notifyList``: ticketed FIFO wake-ups for ``sync.Cond``."""

    __slots__ = ("lock", "wait", "notify", "waiters")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wait = 0  # guarded by lock: the next ticket to hand out
        self.notify = 0  # guarded by lock: the next ticket to notify
        self.waiters: dict[int, G] = {}  # guarded by lock: ticket -> sleeping goroutine

    def __repr__(self) -> str:
        return f"<NotifyList wait={self.wait} notify={self.notify} sleeping={len(self.waiters)}>"


def notify_list_add(nl: NotifyList) -> int:
    """Take the next ticket (before the caller releases its locker)."""
    with nl.lock:
        t = nl.wait
        nl.wait = t + 1
    return t


@types.coroutine
def notify_list_wait(
    nl: NotifyList, t: int, reason: str = waitReasonSyncCondWait
) -> Generator[int, Any, None]:
    """Sleep until ticket ``t`` is notified; return at once if it already was."""
    lock = nl.lock
    lock.acquire()
    if t < nl.notify:
        lock.release()
        return
    try:
        mp, gp = _curg("sync.Cond.wait")
    except RuntimeError:
        lock.release()
        raise
    nl.waiters[t] = gp
    gp.waitreason = reason
    mp.waitlock = lock
    mp.waitunlockf = None
    yield TRAP_PARK


def notify_list_notify_one(nl: NotifyList) -> None:
    """Wake the goroutine holding the oldest unnotified ticket, if there is one."""
    # Go peeks at wait == notify without the lock; reading two ints under a lock
    # that nobody holds for long is cheap enough, and safe without a GIL.
    with nl.lock:
        t = nl.notify
        if t == nl.wait:
            return
        nl.notify = t + 1
        # Its owner may not be asleep yet; then it will see t < notify and not sleep.
        gp = nl.waiters.pop(t, None)
    if gp is not None:
        _goready(gp)


def notify_list_notify_all(nl: NotifyList) -> None:
    """Wake every goroutine that holds a ticket."""
    with nl.lock:
        if nl.notify == nl.wait:
            return
        nl.notify = nl.wait
        woken = list(nl.waiters.values())
        nl.waiters.clear()
    for gp in woken:
        _goready(gp)
