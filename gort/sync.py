"""``gort.sync``: Go's package ``sync`` for goroutines: ``WaitGroup``, ``Mutex``,
``RWMutex``, ``Once`` and ``Cond``.

Every primitive keeps Go's algorithm and Go's state: a mutex is a state word
(``mutexLocked``, ``mutexWoken``, ``mutexStarving`` bits and a waiter count) plus a
runtime semaphore to sleep on (``gort._runtime.sema``); an ``RWMutex`` is a writer
``Mutex``, two semaphores, ``readerCount`` and ``readerWait``; a ``WaitGroup`` is a
counter, a waiter count and a semaphore; a ``Cond`` is a notify list. Goroutines
blocked here are ``_Gwaiting`` with Go's wait reasons (``sync.Mutex.Lock``,
``sync.RWMutex.RLock``, ``sync.RWMutex.Lock``, ``sync.WaitGroup.Wait``,
``sync.Cond.Wait``), so dumps and deadlock detection see them as Go's would.

Blocking methods are awaited (``await mu.lock()``); they are generator functions
decorated with ``types.coroutine`` whose fast path returns before the first
``yield``, so an uncontended ``lock`` costs no trip through the scheduler.
Releasing methods (``unlock``, ``done``, ``signal``) are plain calls, as they never
block.

Guarding the state words: one ``threading.Lock`` per object
--------------------------------------------------------------
Go updates these words with atomic instructions (CAS, Add). CPython has no CAS
for Python code, and goroutines run on several OS threads at once (GOMAXPROCS > 1,
with no GIL on a free-threaded build), so each object has a private
``threading.Lock``, ``_lk``, that plays the role of the atomic instructions: every
read-modify-write of a state word is one short critical section under ``_lk``,
which never blocks, awaits or calls out while held. A CAS loop in Go becomes a
single critical section that reads the current value and writes the new one: it
cannot fail, so the retry loops disappear but every decision is the one Go's
loop makes when its CAS succeeds. ``_lk`` is never held while a semaphore's lock
is taken (the semaphore layer is called after ``_lk`` is released), so there is
no lock-order question. The uncontended path is one acquire/release of ``_lk``.

The alternative, "atomic by construction" (state kept in objects whose single
C-level operations are atomic, like the run queues' deques), cannot express a
compare-and-swap of a word with several fields, which Go's mutex needs.

Differences from Go (each marked ``# Go:`` in the code)
------------------------------------------------------
- ``Mutex.lock`` does not spin before sleeping. Go spins a few times (30 PAUSE
  instructions each) when another P is running, betting that the holder is about
  to unlock. A Python spin iteration costs about as much as a short critical
  section, on a GIL build it takes the GIL away from the very holder it waits
  for, and goroutines often hold a lock across an ``await``; so a waiter queues
  at once. The ``mutexWoken`` bit keeps its other role: a waiter that was woken
  is "woken" until it has competed once, so ``unlock`` does not wake a second one.
- In starvation mode Go's ``Unlock`` hands the mutex to the first waiter and
  yields to it at once. ``unlock()`` is a plain call here and cannot yield: the
  waiter (already the owner, in this P's ``runnext``) runs when the unlocker
  next blocks or yields. ``async with mu:`` does yield, in ``__aexit__``.
- Misuse is detected before the state word is changed, so a caught
  ``FatalError`` leaves the object as it was (Go's ``fatal`` ends the process,
  and its state word is already corrupt when it reports).
- ``WaitGroup`` keeps its counter and waiter count as two fields under ``_lk``
  instead of one 64-bit word; a negative counter is refused without being
  stored. The misuse "Add called concurrently with Wait" that Go detects from a
  torn update cannot happen under a lock.
- ``WaitGroup.wait`` keeps Go's check "reused before previous Wait has returned":
  a waiter released by the counter reaching zero panics if, when it runs, a new
  round has already begun. Here that window lasts until the releasing goroutine
  yields, so ``add`` right after the ``done`` that released a waiter (without
  letting it run) trips it; Go's documentation forbids that order anyway.
- ``Once`` waiters block on its mutex and show ``[sync.Mutex.Lock]``, as in Go
  (runtime2's ``sync.Once.Do`` reason is not used).
- ``Cond`` has no copy checker: Python does not copy objects behind one's back.
"""

from __future__ import annotations

import inspect
import sys
import threading
import types
from collections.abc import Callable, Generator
from typing import Any, Final, Protocol

from ._runtime import proc as _proc
from ._runtime.runtime2 import (
    TRAP_YIELD,
    FatalError,
    Panic,
    throw,
    waitReasonSyncMutexLock,
    waitReasonSyncRWMutexLock,
    waitReasonSyncRWMutexRLock,
    waitReasonSyncWaitGroupWait,
)
from ._runtime.sema import (
    NotifyList,
    Sema,
    notify_list_add,
    notify_list_notify_all,
    notify_list_notify_one,
    notify_list_wait,
    semacquire,
    semrelease,
)
from ._runtime.timers import _nanotime

__all__ = [
    "Cond",
    "Locker",
    "Mutex",
    "Once",
    "RWMutex",
    "WaitGroup",
]

_tls = _proc._tls
_allocate_lock = threading.Lock


class Locker(Protocol):
    """What ``Cond`` needs of its ``L``: ``Mutex``, ``RWMutex``, ``RWMutex.rlocker()``."""

    def lock(self) -> Any: ...

    def unlock(self) -> Any: ...


def _in_goroutine() -> bool:
    mp = getattr(_tls, "m", None)
    return mp is not None and mp.curg is not None


def _check_goroutine(what: str) -> None:
    """Refuse to start a blocking slow path outside a goroutine, before any state changes."""
    if not _in_goroutine():
        raise RuntimeError(f"gort: {what} would block outside a goroutine")


@types.coroutine
def _yield_after_handoff() -> Generator[int, Any, None]:
    """Go's ``goyield`` after a starvation-mode hand-off, when called from a goroutine."""
    mp = getattr(_tls, "m", None)
    if mp is not None and mp.curg is not None:
        yield TRAP_YIELD


@types.coroutine
def _finished() -> Generator[int, Any, None]:
    return
    yield  # pragma: no cover - makes this a generator


# An exhausted generator flagged as a coroutine: awaiting it returns None at once, as
# often as one likes. ``__aenter__``/``__aexit__`` return it after doing their work
# eagerly (the interpreter awaits their result immediately, so eagerness is not
# observable), which saves creating a generator on the uncontended path.
_DONE = _finished()
for _ in _DONE:  # pragma: no cover - exhausts it
    pass


@types.coroutine
def _await_result(r: Any) -> Generator[Any, Any, Any]:
    """Await ``r`` if it is awaitable (the result of calling a coroutine function)."""
    if inspect.isawaitable(r):
        return (yield from r.__await__())
    return r


# ---------------------------------------------------------------------------
# Mutex

mutexLocked: Final = 1  # noqa: N816 - Go's names
mutexWoken: Final = 2  # noqa: N816
mutexStarving: Final = 4  # noqa: N816
mutexWaiterShift: Final = 3  # noqa: N816
_mutexWaiter: Final = 1 << mutexWaiterShift  # noqa: N816
starvationThresholdNs: Final = 1_000_000  # noqa: N816 - 1 ms


class Mutex:
    """A mutual exclusion lock (Go's ``sync.Mutex``).

    ``await mu.lock()``, ``mu.unlock()``, ``mu.try_lock()``, or ``async with mu:``.
    Not reentrant; any goroutine may unlock it. Normal mode lets a running
    goroutine take the lock ahead of woken waiters (fast); a waiter that has waited
    more than 1 ms switches it to starvation mode, where each unlock hands the
    lock to the oldest waiter and newcomers queue behind it.
    """

    __slots__ = ("_lk", "_state", "_sema")

    def __init__(self) -> None:
        self._lk = _allocate_lock()
        # guarded by _lk: mutexLocked | mutexWoken | mutexStarving | waiters << 3.
        # "waiters" counts goroutines that decided to sleep and have not yet been
        # woken (a woken one is uncounted and marked by mutexWoken), plus, in
        # starvation mode, those still queued.
        self._state = 0
        self._sema = Sema()  # what waiters sleep on (has its own lock)

    def __repr__(self) -> str:
        st = self._state
        flags = [n for b, n in ((mutexLocked, "locked"), (mutexWoken, "woken"),
                                (mutexStarving, "starving")) if st & b]
        return f"<gort.sync.Mutex {'|'.join(flags) or 'unlocked'} waiters={st >> mutexWaiterShift}>"

    @types.coroutine
    def lock(self) -> Generator[int, Any, None]:
        """Lock; if the mutex is held, sleep until it is this goroutine's."""
        lk = self._lk
        lk.acquire()
        if self._state == 0:  # fast path: Go's CAS(0, mutexLocked)
            self._state = mutexLocked
            lk.release()
            return
        lk.release()
        yield from self._lock_slow()

    @types.coroutine
    def _lock_slow(self) -> Generator[int, Any, None]:
        _check_goroutine("sync.Mutex.lock")
        lk = self._lk
        wait_start = 0  # when this goroutine first went to sleep (0: not yet)
        starving = False  # it has waited more than starvationThresholdNs
        awoke = False  # it was woken by unlock, which set mutexWoken for it
        # Go: no spinning here (see the module docstring).
        while True:
            lk.acquire()
            old = self._state
            new = old
            if not old & mutexStarving:
                new |= mutexLocked  # in starvation mode newcomers must queue
            if old & (mutexLocked | mutexStarving):
                new += _mutexWaiter
            if starving and old & mutexLocked:
                new |= mutexStarving  # switch to starvation mode
            if awoke:
                if not new & mutexWoken:
                    lk.release()
                    raise throw("sync: inconsistent mutex state")
                new &= ~mutexWoken  # we are no longer the woken one
            self._state = new
            lk.release()
            if not old & (mutexLocked | mutexStarving):
                return  # it was free: ours
            lifo = wait_start != 0  # waited before: back to the head of the queue
            if not lifo:
                wait_start = _nanotime()
            yield from semacquire(self._sema, lifo, waitReasonSyncMutexLock)
            starving = starving or _nanotime() - wait_start > starvationThresholdNs
            lk.acquire()
            old = self._state
            if old & mutexStarving:
                # Starvation mode: unlock handed the mutex to us (it is still marked
                # unlocked, and we are still counted as a waiter).
                if old & (mutexLocked | mutexWoken) or old >> mutexWaiterShift == 0:
                    lk.release()
                    raise throw("sync: inconsistent mutex state")
                delta = mutexLocked - _mutexWaiter
                if not starving or old >> mutexWaiterShift == 1:
                    # Leave starvation mode while it is cheap to: we did not wait
                    # long, or nobody is left behind us.
                    delta -= mutexStarving
                self._state = old + delta
                lk.release()
                return
            lk.release()
            awoke = True

    def try_lock(self) -> bool:
        """Lock if that needs no waiting; report whether it did."""
        lk = self._lk
        lk.acquire()
        old = self._state
        if old & (mutexLocked | mutexStarving):
            lk.release()
            return False
        self._state = old | mutexLocked
        lk.release()
        return True

    def _lock_fast(self) -> bool:
        """Go's fast path CAS(0, mutexLocked), for callers that inline ``lock``."""
        lk = self._lk
        lk.acquire()
        if self._state == 0:
            self._state = mutexLocked
            lk.release()
            return True
        lk.release()
        return False

    def unlock(self) -> None:
        """Unlock. ``FatalError`` if the mutex is not locked."""
        # Go: after a starvation-mode hand-off Go's Unlock yields to the new owner; a
        # plain call cannot (``__aexit__`` does).
        lk = self._lk
        lk.acquire()
        old = self._state
        if old == mutexLocked:  # fast path: nobody waiting
            self._state = 0
            lk.release()
            return
        self._unlock_slow(old)  # releases lk

    def _unlock(self) -> bool:
        """``unlock``; True if the mutex was handed to a waiter (the caller may goyield)."""
        lk = self._lk
        lk.acquire()
        old = self._state
        if old == mutexLocked:
            self._state = 0
            lk.release()
            return False
        return self._unlock_slow(old)

    def _unlock_slow(self, old: int) -> bool:
        """Unlock a mutex whose state word is ``old``; called with ``_lk`` held, releases it."""
        lk = self._lk
        if not old & mutexLocked:  # Go: checked before the state word changes
            lk.release()
            raise FatalError("sync: unlock of unlocked mutex")
        new = old - mutexLocked
        if new & mutexStarving:
            self._state = new
            lk.release()
            # Hand the mutex to the first waiter. It stays marked unlocked, but in
            # starvation mode nobody else takes it; the waiter marks it locked.
            return semrelease(self._sema, True)
        if new >> mutexWaiterShift == 0 or new & (mutexLocked | mutexWoken):
            # Nobody to wake, or a woken waiter is already on its way.
            self._state = new
            lk.release()
            return False
        # Wake one waiter: uncount it and mark it woken.
        self._state = (new - _mutexWaiter) | mutexWoken
        lk.release()
        semrelease(self._sema, False)
        return False

    def __aenter__(self) -> Generator[int, Any, None]:
        lk = self._lk
        lk.acquire()
        if self._state == 0:  # lock's fast path, done eagerly
            self._state = mutexLocked
            lk.release()
            return _DONE
        lk.release()
        return self._lock_slow()

    def __aexit__(self, *exc: object) -> Generator[int, Any, None]:
        lk = self._lk
        lk.acquire()
        old = self._state
        if old == mutexLocked:  # unlock's fast path
            self._state = 0
            lk.release()
            return _DONE
        if self._unlock_slow(old):
            return _yield_after_handoff()
        return _DONE


# ---------------------------------------------------------------------------
# RWMutex

rwmutexMaxReaders: Final = 1 << 30  # noqa: N816


class RWMutex:
    """A reader/writer lock (Go's ``sync.RWMutex``).

    Any number of readers (``await rw.rlock()`` / ``rw.runlock()``) or one writer
    (``await rw.lock()`` / ``rw.unlock()``). A writer that is waiting blocks new
    readers, so a stream of readers cannot starve writers. ``async with rw:``
    locks for writing, ``async with rw.rlocker():`` for reading.
    """

    __slots__ = ("_w", "_lk", "_reader_count", "_reader_wait", "_writer_sem", "_reader_sem")

    def __init__(self) -> None:
        self._w = Mutex()  # held by the writer, pending or active
        self._lk = _allocate_lock()
        # guarded by _lk: active + waiting readers; minus rwmutexMaxReaders while a
        # writer is pending or active
        self._reader_count = 0
        # guarded by _lk: readers the pending writer still waits for
        self._reader_wait = 0
        self._writer_sem = Sema()  # the writer sleeps here until readers are gone
        self._reader_sem = Sema()  # readers sleep here until the writer is done

    def __repr__(self) -> str:
        rc = self._reader_count
        if rc < 0:
            return f"<gort.sync.RWMutex writer readers={rc + rwmutexMaxReaders}>"
        return f"<gort.sync.RWMutex readers={rc}>"

    @types.coroutine
    def rlock(self) -> Generator[int, Any, None]:
        """Lock for reading; sleep while a writer holds or waits for the lock."""
        lk = self._lk
        lk.acquire()
        r = self._reader_count + 1
        if r < 0 and not _in_goroutine():
            lk.release()
            _check_goroutine("sync.RWMutex.rlock")
        self._reader_count = r
        lk.release()
        if r < 0:  # a writer is pending: wait for it
            yield from semacquire(self._reader_sem, False, waitReasonSyncRWMutexRLock)

    def try_rlock(self) -> bool:
        """Lock for reading if no writer holds or waits; report whether it did."""
        lk = self._lk
        lk.acquire()
        c = self._reader_count
        if c < 0:
            lk.release()
            return False
        self._reader_count = c + 1
        lk.release()
        return True

    def runlock(self) -> None:
        """Undo one ``rlock``. ``FatalError`` if the mutex is not read-locked."""
        lk = self._lk
        lk.acquire()
        old = self._reader_count
        if old > 0:  # fast path: no writer pending
            self._reader_count = old - 1
            lk.release()
            return
        if old == 0 or old == -rwmutexMaxReaders:  # Go: checked before the count changes
            lk.release()
            raise FatalError("sync: RUnlock of unlocked RWMutex")
        # A writer is pending: if we were the last reader it waited for, wake it.
        self._reader_count = old - 1
        w = self._reader_wait - 1
        self._reader_wait = w
        lk.release()
        if w == 0:
            semrelease(self._writer_sem, False)

    @types.coroutine
    def lock(self) -> Generator[int, Any, None]:
        """Lock for writing: first exclude other writers, then wait out the readers."""
        w = self._w
        if not w._lock_fast():
            yield from w._lock_slow()
        lk = self._lk
        lk.acquire()
        r = self._reader_count  # readers that hold the lock now
        if r != 0 and not _in_goroutine():
            lk.release()
            w.unlock()
            _check_goroutine("sync.RWMutex.lock")
        self._reader_count = r - rwmutexMaxReaders  # announce: new readers will wait
        wait = False
        if r != 0:
            self._reader_wait += r
            wait = self._reader_wait != 0
        lk.release()
        if wait:
            yield from semacquire(self._writer_sem, False, waitReasonSyncRWMutexLock)

    def try_lock(self) -> bool:
        """Lock for writing if nobody holds the lock; report whether it did."""
        if not self._w.try_lock():
            return False
        with self._lk:
            if self._reader_count == 0:
                self._reader_count = -rwmutexMaxReaders
                return True
        self._w.unlock()
        return False

    def unlock(self) -> None:
        """Unlock for writing. ``FatalError`` if the mutex is not write-locked."""
        self._unlock()

    def _unlock(self) -> bool:
        """``unlock``; True if the writer mutex was handed to a waiting writer."""
        lk = self._lk
        lk.acquire()
        old = self._reader_count
        if old >= 0:  # Go: checked before the count changes
            lk.release()
            raise FatalError("sync: Unlock of unlocked RWMutex")
        r = old + rwmutexMaxReaders  # readers that queued behind us
        self._reader_count = r
        lk.release()
        for _ in range(r):
            semrelease(self._reader_sem, False)
        return self._w._unlock()

    def rlocker(self) -> RLocker:
        """A locker whose ``lock``/``unlock`` are this mutex's ``rlock``/``runlock``."""
        return RLocker(self)

    def __aenter__(self) -> Any:
        return self.lock()

    def __aexit__(self, *exc: object) -> Generator[int, Any, None]:
        if self._unlock():
            return _yield_after_handoff()
        return _DONE


class RLocker:
    """The read side of an ``RWMutex`` as a locker (Go's ``RWMutex.RLocker()``)."""

    __slots__ = ("_rw",)

    def __init__(self, rw: RWMutex) -> None:
        self._rw = rw

    def lock(self) -> Any:
        return self._rw.rlock()

    def unlock(self) -> None:
        self._rw.runlock()

    def __aenter__(self) -> Any:
        return self._rw.rlock()

    def __aexit__(self, *exc: object) -> Generator[int, Any, None]:
        self._rw.runlock()
        return _DONE

    def __repr__(self) -> str:
        return f"<gort.sync.RLocker of {self._rw!r}>"


# ---------------------------------------------------------------------------
# WaitGroup


class WaitGroup:
    """Waits for a collection of goroutines to finish (Go's ``sync.WaitGroup``).

    ``add(n)`` before starting the goroutines, ``done()`` in each, ``await wait()``
    to wait for the counter to reach zero; or ``wg.go(fn, *args)``.
    """

    __slots__ = ("_lk", "_counter", "_waiters", "_sema")

    def __init__(self) -> None:
        # Go: one 64-bit atomic word (counter << 32 | waiters); two fields under _lk here.
        self._lk = _allocate_lock()
        self._counter = 0  # guarded by _lk
        self._waiters = 0  # guarded by _lk: goroutines in wait() for this round
        self._sema = Sema()

    def __repr__(self) -> str:
        return f"<gort.sync.WaitGroup counter={self._counter} waiters={self._waiters}>"

    def add(self, delta: int) -> None:
        """Add ``delta`` (may be negative) to the counter; at zero, release all waiters.

        ``Panic("sync: negative WaitGroup counter")`` if it would go below zero.
        """
        lk = self._lk
        lk.acquire()
        v = self._counter + delta
        if v > 0 or not self._waiters:
            if v < 0:
                lk.release()
                # Go: the counter is not changed (Go stores it, then panics).
                raise Panic("sync: negative WaitGroup counter")
            self._counter = v
            lk.release()
            return
        if v < 0:
            lk.release()
            raise Panic("sync: negative WaitGroup counter")
        # The counter reached zero with goroutines waiting: reset and wake them all.
        w = self._waiters
        self._counter = 0
        self._waiters = 0
        lk.release()
        sema = self._sema
        for _ in range(w):
            semrelease(sema, False)

    def done(self) -> None:
        """``add(-1)``."""
        lk = self._lk
        lk.acquire()
        v = self._counter - 1
        if v > 0 or (v == 0 and not self._waiters):  # fast path
            self._counter = v
            lk.release()
            return
        lk.release()
        self.add(-1)

    @types.coroutine
    def wait(self) -> Generator[int, Any, None]:
        """Sleep until the counter is zero (at once, without yielding, if it is)."""
        lk = self._lk
        lk.acquire()
        if self._counter == 0:
            lk.release()
            return
        if not _in_goroutine():
            lk.release()
            _check_goroutine("sync.WaitGroup.wait")
        self._waiters += 1
        lk.release()
        yield from semacquire(self._sema, False, waitReasonSyncWaitGroupWait)
        with lk:
            reused = self._counter != 0 or self._waiters != 0
        if reused:
            raise Panic("sync: WaitGroup is reused before previous Wait has returned")

    def go(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        """Go 1.25's ``WaitGroup.Go``: ``add(1)``, then run ``fn(*args)`` in a new
        goroutine that calls ``done()`` when ``fn`` returns (or raises).

        ``fn`` is a coroutine function or a plain callable.
        """
        if fn is None:
            raise TypeError("go of nil func value")
        if not callable(fn):
            raise TypeError(f"go: {type(fn).__name__!r} object is not callable")
        self.add(1)
        try:
            _proc.newproc(_wg_run, (self, fn, args, kwargs), None, sys._getframe(1))
        except BaseException:
            self.done()
            raise


async def _wg_run(wg: WaitGroup, fn: Callable[..., Any], args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> None:
    try:
        r = fn(*args, **kwargs) if kwargs else fn(*args)
        if inspect.isawaitable(r):
            await r
    finally:
        wg.done()


# ---------------------------------------------------------------------------
# Once


class Once:
    """Runs a function exactly once (Go's ``sync.Once``).

    ``await once.do(fn)``: the first call runs ``fn()`` (a coroutine function or a
    plain callable); every other call, concurrent or later, returns once that
    first call has finished, without calling ``fn``. If ``fn`` raises, the
    exception goes to the first caller and the ``Once`` is still done.
    """

    __slots__ = ("_done", "_m")

    def __init__(self) -> None:
        # Written once, False -> True, under _m, after fn has returned. Read without
        # a lock on the fast path: a slot load is atomic in CPython (on the
        # free-threaded build too), and a stale False only sends the caller to
        # the slow path, which re-checks under _m.
        self._done = False
        self._m = Mutex()

    def __repr__(self) -> str:
        return f"<gort.sync.Once done={self._done}>"

    @types.coroutine
    def do(self, fn: Callable[[], Any]) -> Generator[Any, Any, None]:
        """Call ``fn()`` if no call of ``do`` on this ``Once`` has yet; else wait for it."""
        if self._done:
            return
        yield from self._do_slow(fn)

    def _do_slow(self, fn: Callable[[], Any]) -> Generator[Any, Any, None]:
        m = self._m
        yield from m.lock()
        try:
            if not self._done:
                try:
                    yield from _await_result(fn())
                finally:
                    self._done = True
        finally:
            m.unlock()


# ---------------------------------------------------------------------------
# Cond


class Cond:
    """A condition variable (Go's ``sync.Cond``) over the locker ``L``.

    ``await c.wait()`` atomically unlocks ``L`` and sleeps; after a ``signal()`` or
    ``broadcast()`` it locks ``L`` again before returning. Wake-ups are FIFO.
    """

    __slots__ = ("L", "_notify")

    def __init__(self, locker: Locker) -> None:
        self.L = locker
        self._notify = NotifyList()

    def __repr__(self) -> str:
        return f"<gort.sync.Cond L={self.L!r} {self._notify!r}>"

    async def wait(self) -> None:
        """Unlock ``L``, sleep until signalled, lock ``L`` again."""
        _check_goroutine("sync.Cond.wait")
        t = notify_list_add(self._notify)
        self.L.unlock()
        await notify_list_wait(self._notify, t)
        r = self.L.lock()
        if inspect.isawaitable(r):
            await r

    def signal(self) -> None:
        """Wake the goroutine that has waited longest, if any."""
        notify_list_notify_one(self._notify)

    def broadcast(self) -> None:
        """Wake every waiting goroutine."""
        notify_list_notify_all(self._notify)
