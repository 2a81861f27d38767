"""The network poller: where an M with nothing to run blocks until I/O or the next timer,
and the poll descriptors that goroutines doing network I/O park on.

Mirrors Go's ``runtime/netpoll.go`` and ``netpoll_epoll.go`` (plus the part of
``internal/poll``'s ``fdMutex`` that serialises readers and writers).

The poller
----------
Two back ends, chosen by ``netpollinit``:

- Linux (the default there): an ``select.epoll`` object used as Go uses epoll.
  A descriptor is registered edge-triggered the first time a goroutine is about
  to park on it, and removed when it is closed; ``_fdmap`` maps descriptor
  numbers to poll descriptors. Go registers both directions at once; here
  ``EPOLLOUT`` is added (``EPOLL_CTL_MOD``, once) only when a goroutine first
  waits to write, so a connection whose writes never block (an echo server's)
  reports no write readiness with every read edge for the poller to go through.
  Changing the registration reports the current state again, so an edge that
  came before it is not lost.
- Elsewhere (or when ``selector_class`` names a ``selectors`` class): a
  ``selectors`` selector (kqueue on BSD and macOS, ``poll``/``select``
  otherwise), which is level-triggered: see *Level-triggered interest*.

Either way a wake-up socket pair is registered too (Go's ``netpollBreak``). At
most one M blocks in the poller at a time (``try_become_poller``; Go uses
``sched.lastpoll``); ``find_runnable`` and sysmon poll it without blocking.
``netpoll`` calls ``pd.netpollready(mask, glist)`` for every ready descriptor;
it appends the goroutines to wake (still ``_Gwaiting``) and the caller makes
them runnable (``injectglist``).

Poll descriptors
----------------
``PollDesc`` is Go's ``pollDesc``: one per socket, created by ``gort.net``.
Each direction (read, write) has a *binary semaphore* (Go's ``rg``/``wg``)
whose value is one of

    pdNil    nothing pending
    pdReady  an I/O readiness notification nobody has consumed yet
    pdWait   a goroutine is about to park (only ever seen by that goroutine,
             which holds ``pd.lock`` from here until its M has parked it)
    a G      that goroutine is parked, waiting for readiness ("IO wait")

and ``PD_TRANSITIONS`` is the table of legal changes, enforced by the one
function that writes a semaphore, ``PollDesc._cas``::

    pdNil   -> pdReady   readiness reported, nobody parked (netpollready)
    pdReady -> pdReady   (not a write: a second report is absorbed)
    pdReady -> pdNil     a goroutine consumed the notification (wait), or a woken
                         goroutine cleared it after running again
    pdNil   -> pdWait    a goroutine is about to park (prepark)
    pdNil   -> G         a goroutine parks holding pd.lock until its M has parked it,
                         so it needs no pdWait (park_read, gort.net's read fast path)
    pdWait  -> G         its M parked it (the commit, gopark's unlock function)
    pdWait  -> pdNil     the park was cancelled before the commit
    G       -> pdReady   readiness woke the parked goroutine (netpollready)
    G       -> pdNil     a deadline or close woke it (no readiness)
    pdNil   -> pdNil     a woken goroutine cleared a semaphore a deadline/close
                         had already reset

``pdNil -> pdWait`` from anything but ``pdNil`` is Go's ``runtime: double wait``:
two goroutines may never wait in the same direction; ``gort.net`` guarantees it
with the per-direction ownership below (Go's ``fdMutex``), so it is a
runtime bug (``FatalError``).

A notification is never lost: readiness that arrives while nobody is parked
leaves ``pdReady`` behind, which the next wait consumes (then retries the I/O,
which may find nothing: readiness can be spurious). That is what lets
``gort.net`` park *before* trying a read that would fail: when the previous read
emptied the socket (``rdrained``: fewer bytes than asked for) and no readiness
has been reported since (``pdNil``), a read parks at once, without a system
call; a failed ``recv`` would cost one and an exception. Data that came after
that read is reported by the poller as a new edge (or, level-triggered, as a
level), which wakes the parked reader or leaves ``pdReady`` for it; data that
came before it was taken by it. A hang-up reported together with the last data
is not reported again, so it is remembered (``hup``) and turns this off for the
descriptor. A short read that leaves data behind is one the kernel stops at a
boundary: TCP's urgent mark (a peer's ``MSG_OOB``), or after a Unix-socket
message carrying descriptors. Urgent data is reported (``EPOLLPRI``, with the
data's edge) and sets ``hup`` too; after a descriptor-carrying message the
rest is read only when more data arrives.

Level-triggered interest
------------------------
With a ``selectors`` selector, interest is managed instead of registered once:
a direction is registered (``register``/``modify``) when a goroutine is about to
park on it, and dropped the first time readiness is reported for it while no
goroutine is parked on it (``netpollready``; the report is kept as
``pdReady``), so a socket nobody reads (or an always writable one) never makes
the poller spin. Interest is left in place when a parked goroutine is woken,
because it usually parks again soon: a connection in a request/response loop
costs no system call per message for it. Every change is made under
``_poll_lock``; the one poller M may be blocked in ``select`` at the time.
epoll and kqueue apply a change to a wait in progress; the other selectors poll
a snapshot, so after a change on those ``netpoll_break`` makes the blocked
poller start over with the new set.

Ownership (fdMutex)
-------------------
At most one goroutine reads and one writes a descriptor at a time
(``acquire``/``release``): a second reader queues (wait reason
``semacquire``) and is handed the ownership in FIFO order. The socket is
closed by ``evict`` at once if nobody owns a direction, else by the last owner
to leave, so a close never races a ``recv`` on another M (the descriptor
number could otherwise be reused under it). The owner of a direction may keep
private per-direction state without the lock (``rdrained``).

The common case needs no ownership: ``gort.net``'s read and write first take
``pd.lock``, and if nobody owns the direction, nothing is closing and no
deadline has passed, make their non-blocking system call with the lock held,
which excludes a close (and another reader or writer) for its few
microseconds: one lock round trip per call instead of two. Only a call that
must wait takes the ownership (a read that parks at once takes it under the
lock and hands it back under the lock it re-takes after the park).

Deadlines
---------
``rd``/``wd``: 0 no deadline, -1 expired, else a ``time.monotonic_ns`` instant
with a runtime timer (``rt``/``wt``) armed for it. The timer's callback marks
the direction expired and wakes a goroutine parked on it (``G -> pdNil``);
a stale firing (the deadline was reset or cleared meanwhile) is recognised by
the timer's version, compared under ``pd.lock``, under which every reset is
made.

Locks
-----
Order: ``pd.lock`` -> ``_poll_lock`` -> timer heap locks -> ``sched.lock``.
``pd.lock`` guards every field of its descriptor. A goroutine parks with
``pd.lock`` held (gopark's protocol); its M releases it once the G is
``_Gwaiting``. Wakers take the G out of the semaphore under ``pd.lock`` and
ready it after releasing it. ``_poll_lock`` guards the registrations
(``_fdmap``, the selector's keys); the poll itself runs without it (with the
snapshot selectors, ``_snapshot_poll_lock`` keeps two polls from overlapping:
``select.poll`` refuses that, and a non-blocking poll just skips). The
goroutines parked in IO wait are counted by the length of ``_parked``
(appended to by the commit, shortened by whoever takes the G out of a
semaphore: single atomic list operations, no lock); ``checkdead`` and
``find_runnable`` read it (Go's ``netpollWaiters``).
"""

from __future__ import annotations

import collections
import select
import selectors
import socket
import threading
import time
import types
from collections.abc import Generator
from typing import Any

from .runtime2 import (
    TRAP_PARK,
    G,
    M,
    throw,
    waitReasonIOWait,
    waitReasonSemacquire,
)

_sel: selectors.BaseSelector | None = None  # the selectors back end, or None
_ep: Any = None  # the epoll back end (a select.epoll), or None
_fdmap: dict[int, PollDesc] = {}  # epoll: registered descriptors (guarded by _poll_lock)
_gen: object | None = None  # identity of the running poller (a new one per runtime)
_wake_fd = -1
_rfd: socket.socket | None = None
_wfd: socket.socket | None = None
_poll_lock = threading.Lock()
# Goroutines parked on a poll descriptor: the length of this list, one entry per
# parked G (appended by the commit, removed by whoever takes the G out of a semaphore).
# append, del and len are single atomic operations on both interpreters, so the
# count needs no lock on the hot path.
_parked: list[None] = []
_break_pending = False
_break_on_change = False  # the selector polls a snapshot: break it after a change
_snapshot_poll_lock = threading.Lock()  # serialises polls of such a selector
_sched: Any = None

# Tests may set this to a selectors class (PollSelector, SelectSelector) before
# gort.run to exercise the portable fallback; None means DefaultSelector.
selector_class: type[selectors.BaseSelector] | None = None

# Directions: the same bits as the selectors' event masks.
MODE_READ = selectors.EVENT_READ
MODE_WRITE = selectors.EVENT_WRITE
MODE_HUP = 4  # with MODE_READ from the epoll back end: hang-up or error (sticky)

if hasattr(select, "epoll"):
    # EPOLLPRI: TCP urgent data, at whose mark a read stops short (see hup)
    _EP_RDONLY = select.EPOLLIN | select.EPOLLPRI | select.EPOLLRDHUP | select.EPOLLET
    _EP_ALL = _EP_RDONLY | select.EPOLLOUT
    _EP_R = (
        select.EPOLLIN | select.EPOLLPRI | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
    )
    _EP_W = select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR
    _EP_HUP = select.EPOLLPRI | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR

# Semaphore values (Go's pdNil, pdReady, pdWait); any other value is a parked G.
PD_NIL = 0
PD_READY = 1
PD_WAIT = 2
PD_G = 3  # the *kind* of a semaphore holding a G (only used in the table)

PD_STATE_NAMES = {PD_NIL: "pdNil", PD_READY: "pdReady", PD_WAIT: "pdWait", PD_G: "G"}

PD_TRANSITIONS = frozenset(
    {
        (PD_NIL, PD_READY),  # netpollready, nobody parked
        (PD_READY, PD_NIL),  # wait consumed the notification; woken G cleared it
        (PD_NIL, PD_WAIT),  # wait: about to park
        (PD_NIL, PD_G),  # park_read: parked with pd.lock held through the park
        (PD_WAIT, PD_G),  # commit: parked
        (PD_WAIT, PD_NIL),  # park cancelled
        (PD_G, PD_READY),  # netpollready woke the parked G
        (PD_G, PD_NIL),  # deadline or close woke the parked G
        (PD_NIL, PD_NIL),  # woken G cleared a semaphore already reset
    }
)


def _kind(v: Any) -> int:
    return v if type(v) is int else PD_G


class PollDesc:
    """A socket's poll descriptor (Go's ``pollDesc`` plus ``fdMutex``'s ownership).

    All fields are guarded by ``lock``.
    """

    __slots__ = (
        "sock",
        "fd",
        "lock",
        "rg",  # read semaphore: PD_NIL / PD_READY / PD_WAIT / a parked G
        "wg",  # write semaphore
        "closing",
        "rd",  # read deadline: 0 none, -1 expired, else monotonic ns
        "wd",
        "rt",  # read deadline timer (created on first use)
        "wt",
        "regmask",  # interest registered with the poller regsel
        "regsel",  # the poller (_gen) it is registered with, or None
        "hup",  # a hang-up, error or urgent data was reported (sticky)
        "rdrained",  # the reader's last read emptied the socket (read owner only)
        "rowned",  # a goroutine owns the read direction
        "wowned",
        "rq",  # goroutines waiting to own the read direction (FIFO)
        "wq",
        "closed",  # the socket has been closed
        "__weakref__",
    )

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.lock = threading.Lock()
        self.rg: Any = PD_NIL
        self.wg: Any = PD_NIL
        self.closing = False
        self.rd = 0
        self.wd = 0
        self.rt: Any = None
        self.wt: Any = None
        self.regmask = 0
        self.regsel: object | None = None
        self.hup = False
        self.rdrained = False
        self.rowned = False
        self.wowned = False
        self.rq: collections.deque[G] | None = None
        self.wq: collections.deque[G] | None = None
        self.closed = False

    def __repr__(self) -> str:
        return (
            f"<PollDesc fd={self.fd} rg={_state_name(self.rg)} wg={_state_name(self.wg)}"
            f"{' closing' if self.closing else ''}>"
        )

    # -- the semaphores

    def _cas(self, mode: int, new: Any) -> Any:
        """The one gate for semaphore changes (``lock`` held). Returns the old value."""
        old = self.rg if mode == MODE_READ else self.wg
        if (
            old if old.__class__ is int else PD_G,
            new if new.__class__ is int else PD_G,
        ) not in PD_TRANSITIONS:
            if _kind(new) == PD_WAIT and _kind(old) in (PD_WAIT, PD_G):
                raise throw("runtime: double wait")
            raise throw(
                f"runtime: corrupted polldesc ({'rg' if mode == MODE_READ else 'wg'} "
                f"{_state_name(old)} -> {_state_name(new)})"
            )
        if mode == MODE_READ:
            self.rg = new
        else:
            self.wg = new
        return old

    def _unblock(self, mode: int, ioready: bool) -> G | None:
        """Go's netpollunblock (``lock`` held): the parked G to wake, if any."""
        old = self.rg if mode == MODE_READ else self.wg
        if old == PD_READY:
            return None
        if old == PD_NIL and not ioready:
            return None
        self._cas(mode, PD_READY if ioready else PD_NIL)
        if type(old) is int:
            return None
        g: G = old
        return g

    def _checkerr(self, mode: int) -> BaseException | None:
        """Go's netpollcheckerr (``lock`` held, or an unlocked peek)."""
        if self.closing:
            return _err_closed()
        if (self.rd if mode == MODE_READ else self.wd) < 0:
            return _err_timeout()
        return None

    # -- waiting for readiness (Go's runtime_pollWait / netpollblock)

    @types.coroutine
    def wait(self, mode: int) -> Generator[int, Any, None]:
        """Park until the direction is ready; raise on close or an expired deadline.

        The caller owns the direction and has just seen the operation would block.
        Returns when the operation should be retried (readiness may be spurious).
        Go's runtime_pollWait / netpollblock.
        """
        lock = self.lock
        while True:
            lock.acquire()
            err = self._checkerr(mode)
            if err is not None:
                lock.release()
                raise err
            if (self.rg if mode == MODE_READ else self.wg) == PD_READY:
                self._cas(mode, PD_NIL)
                lock.release()
                return
            self.prepark(mode)
            yield TRAP_PARK
            if self.postpark(mode):
                return
            # woken by a deadline or close: the check at the top raises

    def prepark(self, mode: int) -> None:
        """``pdNil -> pdWait``, make sure the poller watches the direction, and set up
        the M to park the calling goroutine: the caller's next step is ``yield
        TRAP_PARK``. Called with ``lock`` held and no error pending (``_checkerr``),
        the semaphore not ``pdReady``; on failure it releases ``lock`` and raises.
        """
        self._cas(mode, PD_WAIT)
        if not (self.regmask & mode) or self.regsel is not _gen:
            try:
                _set_interest(self, self.regmask | mode)
            except BaseException:
                self._cas(mode, PD_NIL)
                self.lock.release()
                raise
        mp: M | None = getattr(_tls, "m", None)
        gp = mp.curg if mp is not None else None
        if gp is None or mp is None:
            self._cas(mode, PD_NIL)
            self.lock.release()
            raise RuntimeError("gort.net: I/O wait outside a goroutine")
        gp.waitreason = waitReasonIOWait
        mp.waitlock = self
        mp.waitunlockf = _commit_read if mode == MODE_READ else _commit_write

    def postpark(self, mode: int) -> bool:
        """After the park: clear the semaphore (Go's Swap(pdNil)). True if readiness
        woke us, False for a deadline or close (the caller checks the error)."""
        lock = self.lock
        lock.acquire()
        old = self._cas(mode, PD_NIL)
        lock.release()
        return bool(old == PD_READY)

    def raise_if_error(self, mode: int) -> None:
        """Raise the pending error of ``mode`` (closed, deadline expired), if any."""
        with self.lock:
            err = self._checkerr(mode)
        if err is not None:
            raise err

    def netpollready(self, mask: int, glist: list[G]) -> None:
        """The poller saw ``mask`` ready: wake the parked goroutines of those directions."""
        drop = 0
        with self.lock:
            if self.closing:
                return
            if mask & MODE_HUP:
                self.hup = True
            if mask & MODE_READ:
                old = self.rg
                if type(old) is int:
                    if old == PD_NIL:
                        self._cas(MODE_READ, PD_READY)
                    drop = MODE_READ
                else:
                    self._cas(MODE_READ, PD_READY)
                    glist.append(old)
            if mask & MODE_WRITE:
                old = self.wg
                if type(old) is int:
                    if old == PD_NIL:
                        self._cas(MODE_WRITE, PD_READY)
                    drop |= MODE_WRITE
                else:
                    self._cas(MODE_WRITE, PD_READY)
                    glist.append(old)
            if drop and _sel is not None and self.regsel is _gen and self.regmask & drop:
                try:
                    _set_interest(self, self.regmask & ~drop)
                except OSError:
                    pass

    # -- ownership of a direction (internal/poll's fdMutex, read and write locks)

    @types.coroutine
    def acquire(self, mode: int) -> Generator[int, Any, None]:
        """Own ``mode`` (queueing behind the current owner); raise if closing or expired."""
        lock = self.lock
        lock.acquire()
        if self.closing:
            lock.release()
            raise _err_closed()
        owned = self.rowned if mode == MODE_READ else self.wowned
        if owned:
            mp: M | None = getattr(_tls, "m", None)
            gp = mp.curg if mp is not None else None
            if gp is None or mp is None:
                lock.release()
                raise RuntimeError("gort.net: I/O outside a goroutine")
            if mode == MODE_READ:
                if self.rq is None:
                    self.rq = collections.deque()
                self.rq.append(gp)
            else:
                if self.wq is None:
                    self.wq = collections.deque()
                self.wq.append(gp)
            gp.param = None
            gp.waitreason = waitReasonSemacquire
            mp.waitlock = lock
            mp.waitunlockf = None
            yield TRAP_PARK
            if gp.param is not True:  # woken by close, not handed the ownership
                gp.param = None
                raise _err_closed()
            gp.param = None
            lock.acquire()
        elif mode == MODE_READ:
            self.rowned = True
        else:
            self.wowned = True
        # Go's prepareRead/prepareWrite: an expired deadline fails before any I/O
        if (self.rd if mode == MODE_READ else self.wd) < 0:
            lock.release()
            self.release(mode)
            raise _err_timeout()
        lock.release()

    def release(self, mode: int) -> None:
        """Give up ``mode``: hand it to the next queued goroutine, or close if closing."""
        lock = self.lock
        nxt: G | None = None
        close = False
        with lock:
            q = self.rq if mode == MODE_READ else self.wq
            if q and not self.closing:
                nxt = q.popleft()
                nxt.param = True
            elif mode == MODE_READ:
                self.rowned = False
            else:
                self.wowned = False
            if self.closing and not self.rowned and not self.wowned and not self.closed:
                self.closed = True
                close = True
        if nxt is not None:
            _goready(nxt)
        if close:
            self.sock.close()

    # -- deadlines

    def set_deadline(self, mode: int, when_ns: int | None) -> None:
        """Set the deadline of the directions in ``mode`` (a mask); None clears it."""
        woken: list[G] = []
        with self.lock:
            if self.closing:
                raise _err_closed()
            now = time.monotonic_ns()
            for m in (MODE_READ, MODE_WRITE):
                if not mode & m:
                    continue
                t = self.rt if m == MODE_READ else self.wt
                if when_ns is None or when_ns <= now:
                    d = 0 if when_ns is None else -1
                    if t is not None:
                        _timers.stoptimer(t)
                    if d < 0:
                        g = self._unblock(m, False)
                        if g is not None:
                            woken.append(g)
                else:
                    d = when_ns
                    if t is None:
                        t = _timers.Timer(
                            _read_deadline_fired if m == MODE_READ else _write_deadline_fired,
                            self,
                        )
                        if m == MODE_READ:
                            self.rt = t
                        else:
                            self.wt = t
                    _timers.modtimer(t, d)
                if m == MODE_READ:
                    self.rd = d
                else:
                    self.wd = d
        _wake(woken)

    def _deadline_fired(self, mode: int, version: int) -> None:
        with self.lock:
            t = self.rt if mode == MODE_READ else self.wt
            if t is None or t.version != version or self.closing:
                return  # stale: reset, cleared or closed since it fired
            if mode == MODE_READ:
                self.rd = -1
            else:
                self.wd = -1
            g = self._unblock(mode, False)
        if g is not None:
            _wake([g])

    # -- close (Go's poll_runtime_pollUnblock + pollClose, and fdMutex's increfAndClose)

    def evict(self) -> None:
        """Mark closing, wake every waiter with ErrClosed, drop the registration, and
        close the socket now or when the last owner leaves. Idempotent."""
        woken: list[G] = []
        queued: list[G] = []
        close = False
        with self.lock:
            if self.closing:
                return
            self.closing = True
            for t in (self.rt, self.wt):
                if t is not None:
                    _timers.stoptimer(t)
            for m in (MODE_READ, MODE_WRITE):
                g = self._unblock(m, False)
                if g is not None:
                    woken.append(g)
            for q in (self.rq, self.wq):
                while q:
                    g = q.popleft()
                    g.param = False
                    queued.append(g)
            if self.regsel is _gen and self.regmask:
                try:
                    _set_interest(self, 0)
                except (OSError, KeyError, ValueError, RuntimeError):
                    pass
            self.regmask = 0
            self.regsel = None
            if not self.rowned and not self.wowned:
                self.closed = True
                close = True
        _wake(woken)
        if _proc.sched is not None:
            for g in queued:
                _goready(g)
        if close:
            self.sock.close()


def _state_name(v: Any) -> str:
    if type(v) is int:
        return PD_STATE_NAMES.get(v, str(v))
    return f"G{getattr(v, 'goid', '?')}"


def park_read(pd: PollDesc) -> None:
    """Set up the calling goroutine to park on ``pd``'s read semaphore; its next step
    is ``yield TRAP_PARK``. gort.net's read fast path: ``pd.lock`` held, no error
    pending, the semaphore ``pdNil``. On failure it releases the lock and raises.

    ``pd.lock`` stays held until the M has marked the goroutine ``_Gwaiting``, and
    every waker takes the G out of the semaphore under it, so the G can be stored
    at once (``pdNil -> G``) and the M only has to release the lock: no
    ``pdWait`` and no commit function, one call fewer per read.
    """
    if pd.rg != PD_NIL:
        pd._cas(MODE_READ, PD_WAIT)  # raises: double wait, or a corrupted semaphore
    if not (pd.regmask & MODE_READ) or pd.regsel is not _gen:
        try:
            _set_interest(pd, pd.regmask | MODE_READ)
        except BaseException:
            pd.lock.release()
            raise
    try:
        mp: M = _tls.m
        gp = mp.curg
    except AttributeError:  # not an M's thread (or mp is None)
        gp = None
    if gp is None:
        pd.lock.release()
        raise RuntimeError("gort.net: I/O wait outside a goroutine")
    gp.waitreason = waitReasonIOWait
    pd.rg = gp
    _parked.append(None)
    mp.waitlock = pd.lock
    mp.waitunlockf = None


def _commit_read(gp: G, pd: Any) -> bool:
    """gopark's unlock function for IO wait on a read (Go's netpollblockcommit):
    ``pdWait -> G``, counted in ``_parked``, then ``pd.lock`` is released."""
    if pd.rg != PD_WAIT:
        pd.lock.release()
        raise throw(f"runtime: corrupted polldesc (rg {_state_name(pd.rg)} -> G)")
    pd.rg = gp
    _parked.append(None)
    pd.lock.release()
    return True


def _commit_write(gp: G, pd: Any) -> bool:
    """As _commit_read, for the write semaphore."""
    if pd.wg != PD_WAIT:
        pd.lock.release()
        raise throw(f"runtime: corrupted polldesc (wg {_state_name(pd.wg)} -> G)")
    pd.wg = gp
    _parked.append(None)
    pd.lock.release()
    return True


def _read_deadline_fired(pd: Any, version: int, delta: int) -> None:
    pd._deadline_fired(MODE_READ, version)


def _write_deadline_fired(pd: Any, version: int, delta: int) -> None:
    pd._deadline_fired(MODE_WRITE, version)


def _wake(gs: list[G]) -> None:
    """Ready goroutines taken out of a semaphore (not by the poller) and uncount them."""
    if not gs:
        return
    _uncount(len(gs))
    if _proc.sched is None:
        return  # no runtime: the goroutines were abandoned when it ended
    for g in gs:
        _goready(g)


def _uncount(n: int) -> None:
    """Take ``n`` goroutines out of the IO-wait count (``del l[-0:]`` would empty it)."""
    if n > 0:
        del _parked[-n:]


def _goready(gp: G) -> None:
    _proc.goready(gp)




class ErrClosed(OSError):  # noqa: N818 - Go's name (net.ErrClosed)
    """An operation on a closed connection or listener: ``use of closed network connection``.

    Public as ``gort.net.ErrClosed``.
    """

    def __init__(self, msg: str = "use of closed network connection") -> None:
        super().__init__(msg)


class NetTimeoutError(TimeoutError):
    """A deadline passed: ``i/o timeout`` (Go's ``os.ErrDeadlineExceeded``).

    Public as ``gort.net.TimeoutError``.
    """

    def __init__(self, msg: str = "i/o timeout") -> None:
        super().__init__(msg)

    def timeout(self) -> bool:
        """Go's ``net.Error.Timeout``."""
        return True


ErrClosed.__module__ = "gort.net"
NetTimeoutError.__module__ = "gort.net"
NetTimeoutError.__name__ = NetTimeoutError.__qualname__ = "TimeoutError"


def _err_closed() -> BaseException:
    return ErrClosed()


def _err_timeout() -> BaseException:
    return NetTimeoutError()


def _set_interest(pd: PollDesc, mask: int) -> None:
    """Make ``mask`` the registered interest of ``pd`` (``pd.lock`` held).

    epoll: any interest registers reads, edge-triggered; writes are added the first
    time they are asked for, and stay; 0 removes.
    """
    gen = _gen
    if gen is None:
        raise RuntimeError("gort.net: no runtime is running (use gort.run)")
    with _poll_lock:
        if pd.regsel is not gen:  # never registered, or with an earlier runtime's poller
            pd.regsel = gen
            pd.regmask = 0
        old = pd.regmask
        if mask == old:
            return
        ep = _ep
        if ep is not None:
            fd = pd.fd
            if mask == 0:
                try:
                    ep.unregister(fd)
                except OSError:
                    pass
                if _fdmap.get(fd) is pd:
                    del _fdmap[fd]
                pd.regmask = 0
            elif old == 0:
                flags = _EP_ALL if mask & MODE_WRITE else _EP_RDONLY
                # In the map first: the poller may see an event for the descriptor the
                # moment it is registered, and an edge it cannot map is lost for good.
                _fdmap[fd] = pd
                try:
                    ep.register(fd, flags)
                except FileExistsError:  # a number left registered by a dup, reused
                    ep.modify(fd, flags)
                except BaseException:
                    if _fdmap.get(fd) is pd:
                        del _fdmap[fd]
                    raise
                pd.regmask = MODE_READ | (mask & MODE_WRITE)
            elif mask & MODE_WRITE and not old & MODE_WRITE:
                ep.modify(fd, _EP_ALL)
                pd.regmask = MODE_READ | MODE_WRITE
            return
        sel = _sel
        assert sel is not None
        if old == 0:
            try:
                sel.register(pd.fd, mask, pd)
            except KeyError:
                # a descriptor closed behind our back left its number registered
                stale = sel.get_key(pd.fd).data
                if isinstance(stale, PollDesc):
                    stale.regmask = 0
                    stale.regsel = None
                sel.unregister(pd.fd)
                sel.register(pd.fd, mask, pd)
        elif mask == 0:
            sel.unregister(pd.fd)
        else:
            sel.modify(pd.fd, mask, pd)
        pd.regmask = mask
    if _break_on_change:
        netpoll_break()


# ---------------------------------------------------------------------------
# The poller


def netpollinit(s: Any) -> None:
    global _sel, _ep, _gen, _rfd, _wfd, _wake_fd, _sched
    global _break_pending, _break_on_change
    _sched = s
    _rfd, _wfd = socket.socketpair()
    _rfd.setblocking(False)
    _wfd.setblocking(False)
    _wake_fd = _rfd.fileno()
    cls = selector_class
    if cls is None and hasattr(select, "epoll"):
        _ep = select.epoll()
        _ep.register(_wake_fd, select.EPOLLIN)
        _sel = None
        _break_on_change = False
    else:
        _sel = (cls or selectors.DefaultSelector)()
        _ep = None
        snapshot_free = tuple(
            getattr(selectors, n)
            for n in ("EpollSelector", "KqueueSelector")
            if hasattr(selectors, n)
        )
        _break_on_change = not isinstance(_sel, snapshot_free)
        _sel.register(_rfd, selectors.EVENT_READ, None)
    _fdmap.clear()
    _gen = object()
    _parked.clear()
    _break_pending = False
    # Go's schedinit sets sched.lastpoll = nanotime(): nobody is blocked in netpoll yet,
    # so find_runnable and sysmon may poll without blocking (0 means an M is blocked).
    if getattr(s, "lastpoll", 1) == 0 and getattr(s, "poller", None) is None:
        s.lastpoll = time.monotonic_ns()


def netpollclose(s: Any) -> None:
    global _sel, _ep, _gen, _rfd, _wfd, _wake_fd, _sched
    with _poll_lock:
        if _sel is not None:
            _sel.close()
        if _ep is not None:
            _ep.close()
        for sock in (_rfd, _wfd):
            if sock is not None:
                sock.close()
        _sel = _ep = _gen = _rfd = _wfd = None
        _wake_fd = -1
        _fdmap.clear()
        _sched = None
        _parked.clear()


def netpollinited() -> bool:
    return _gen is not None


def netpoll_anywaiters() -> bool:
    return len(_parked) > 0


def netpoll_waiters() -> int:
    """Goroutines parked in IO wait (for tests and tools)."""
    return len(_parked)


def add_waiter(n: int) -> None:
    if n > 0:
        _parked.extend([None] * n)
    else:
        _uncount(-n)


def netpoll_break() -> None:
    """Wake the M blocked in netpoll (Go's netpollBreak)."""
    global _break_pending
    w = _wfd
    if w is None or _break_pending:
        return
    _break_pending = True
    try:
        w.send(b"\0")
    except OSError:
        pass


def try_become_poller(s: Any) -> bool:
    """Claim the right to block in netpoll (Go: lastpoll.Swap(0) != 0).

    The unlocked look first is Go's ``lastpoll.Load() != 0`` before the swap: while
    another M is blocked in the poller (the common case when a P runs out of work)
    this costs no ``sched.lock`` round trip, which on the free-threaded build is a
    contended lock that spins. The look is an unlocked attribute read (atomic on
    both builds); a stale one either fails the locked re-check below or skips a
    poller that has just left, as Go's racy Load does: that M then parks, and
    sysmon polls the network every 10 ms while nobody blocks in the poller.
    """
    if s.poller is not None:
        return False
    with s.lock:
        if s.poller is not None or s.exiting:
            return False
        s.poller = _proc.getm()
        s.lastpoll = 0
        return True


def release_poller(s: Any) -> None:
    with s.lock:
        s.poller = None
        s.lastpoll = time.monotonic_ns()


def wake_poller_if_later(s: Any, when: int) -> None:
    """A timer due at ``when`` was added: wake the poller if it sleeps past it."""
    if s.poller is not None and (s.poll_until == 0 or s.poll_until > when):
        netpoll_break()


def netpoll(delay_ns: int) -> list[Any]:
    """Poll for ready I/O. ``delay_ns`` < 0 blocks, 0 polls, > 0 blocks at most that long.

    Returns the goroutines made ready (still ``_Gwaiting``; the caller readies them).
    """
    glist: list[Any] = []
    ep = _ep
    if ep is not None:
        try:
            events = ep.poll(-1 if delay_ns < 0 else delay_ns / 1e9, 128)
        except (OSError, ValueError):
            return glist
        fdmap = _fdmap
        append = glist.append
        # netpollready, inlined: one lock round trip per event. Under pd.lock a
        # semaphore is never pdWait (the parking goroutine holds the lock until its
        # commit), so an int is pdNil or pdReady and anything else is a parked G.
        for fd, ev in events:
            pd = fdmap.get(fd)
            if pd is None:
                if fd == _wake_fd:
                    _drain_wakeups()
                continue
            lk = pd.lock
            lk.acquire()
            if not pd.closing:
                if ev & _EP_R:
                    if ev & _EP_HUP:
                        pd.hup = True
                    old = pd.rg
                    if old.__class__ is not int:
                        append(old)
                    pd.rg = PD_READY
                if ev & _EP_W:
                    old = pd.wg
                    if old.__class__ is not int:
                        append(old)
                    pd.wg = PD_READY
            lk.release()
        if glist:
            del _parked[-len(glist) :]
        return glist
    else:
        sel = _sel
        if sel is None:
            return glist
        timeout = None if delay_ns < 0 else delay_ns / 1e9
        if _break_on_change:
            # select.poll objects refuse concurrent polls: a non-blocking poll (sysmon,
            # find_runnable) skips while another one is in progress.
            if not _snapshot_poll_lock.acquire(delay_ns != 0):
                return glist
            try:
                sevents = sel.select(timeout)
            except (OSError, ValueError, RuntimeError):
                return glist
            finally:
                _snapshot_poll_lock.release()
        else:
            try:
                sevents = sel.select(timeout)
            except (OSError, ValueError):
                return glist
        for key, smask in sevents:
            spd = key.data
            if spd is None:  # the wake-up socket
                _drain_wakeups()
                continue
            spd.netpollready(smask, glist)
    _uncount(len(glist))
    return glist


def _drain_wakeups() -> None:
    global _break_pending
    try:
        while _rfd is not None and _rfd.recv(4096):
            pass
    except OSError:
        pass
    _break_pending = False


def selector() -> Any:
    """The poller object: a ``selectors`` selector, or the ``select.epoll`` object."""
    return _sel if _sel is not None else _ep


# Bound last: proc and timers import this module while they are being imported.
from . import proc as _proc  # noqa: E402
from . import timers as _timers  # noqa: E402
from .mtls import _tls  # noqa: E402
