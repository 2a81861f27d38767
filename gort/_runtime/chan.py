"""Channels (Go's ``runtime/chan.go``): ``hchan`` with a ring buffer and two wait
queues of ``sudog``s.

Invariants (as in Go), for a channel ``c`` under ``c.lock``:

- at least one of ``c.sendq`` and ``c.recvq`` is empty, except for an
  unbuffered channel with a single goroutine blocked in a select that both
  sends and receives on it;
- for a buffered channel: ``len(c.buf) > 0`` implies ``recvq`` is empty, and
  ``len(c.buf) < c.dataqsiz`` implies ``sendq`` is empty.

A send to a waiting receiver hands the value over directly (into the
receiver's sudog) and readies it into the sender's P's ``runnext``; a receive
from a waiting sender on a full buffered channel takes the head of the buffer
and puts the sender's value at the tail, so FIFO order holds. ``close`` wakes
every waiter: receivers get ``(None, False)``, senders panic.

Locks: ``c.lock`` guards everything in the channel. It is one of ``NLOCKS``
striped ``threading.Lock`` objects chosen by the channel's identity, not a lock of
its own (# Go: a mutex in every hchan): a lock object costs 64 bytes, more
than half of an unbuffered channel, and two unrelated channels rarely share a
stripe. Sharing is safe because no code holds one channel's lock while taking
another's, except ``select``, which takes the distinct locks of its cases in
one global order.
A goroutine that blocks queues its sudog under ``c.lock`` and parks with the
lock still held; its M releases it once the G is ``_Gwaiting`` (gopark's
unlock function), so a waker can never resume a coroutine that is still
running. Wakers take a sudog off a queue under ``c.lock`` and call
``goready`` after releasing it, as Go does.

A sudog of a goroutine blocked in ``select`` is live only until one of its
cases wins: the first waker to pop the G's ``selectdone`` token owns it
(Go's CAS on ``g.selectDone``); the others skip that sudog.
"""

from __future__ import annotations

import collections
import threading
import types
from collections.abc import AsyncIterator, Awaitable, Generator
from typing import Any, Generic, TypeVar

from . import proc
from .runtime2 import (
    TRAP_PARK,
    G,
    M,
    Panic,
    waitReasonChanReceive,
    waitReasonChanReceiveNilChan,
    waitReasonChanSend,
    waitReasonChanSendNilChan,
)

T = TypeVar("T")
_tls = proc._tls
_goready = proc.goready


class sudog:  # noqa: N801 - Go's name
    """A goroutine waiting on a channel (Go's ``runtime.sudog``): a node of a ``waitq``."""

    # Go's sudog also records its channel (``c``); nothing here reads it, and a
    # slot fewer keeps the object in a smaller allocator size class.
    __slots__ = ("g", "elem", "isselect", "success", "caseidx", "next", "prev", "q")

    def __init__(self, g: G, elem: Any, isselect: bool, caseidx: int) -> None:
        self.g = g
        self.elem = elem
        self.isselect = isselect
        self.success = False
        self.caseidx = caseidx
        self.next: sudog | None = None
        self.prev: sudog | None = None
        self.q: waitq | None = None  # the queue it is on, or None


class waitq:  # noqa: N801 - Go's name
    """A FIFO of sudogs, linked through ``sudog.next``/``prev`` (Go's ``waitq``).

    Two pointers per queue instead of a deque (~600 bytes each): a channel that
    parks one goroutine costs no allocation beyond the goroutine's own sudog, and
    select's losers are unlinked in O(1). Guarded by the channel's lock.
    """

    __slots__ = ("first", "last")

    def __init__(self) -> None:
        self.first: sudog | None = None
        self.last: sudog | None = None

    def __bool__(self) -> bool:
        return self.first is not None

    def __len__(self) -> int:
        n = 0
        sg = self.first
        while sg is not None:
            n += 1
            sg = sg.next
        return n

    def enqueue(self, sg: sudog) -> None:
        sg.next = None
        last = self.last
        sg.prev = last
        sg.q = self
        if last is None:
            self.first = sg
        else:
            last.next = sg
        self.last = sg

    append = enqueue

    def remove(self, sg: sudog) -> None:
        """Unlink ``sg`` if it is still on this queue (Go's dequeueSudoG)."""
        if sg.q is not self:
            return
        p = sg.prev
        n = sg.next
        if p is None:
            self.first = n
        else:
            p.next = n
        if n is None:
            self.last = p
        else:
            n.prev = p
        sg.next = sg.prev = None
        sg.q = None


# The wait queue of every channel that has never had a waiter in that direction:
# shared and always empty (a queue costs 48 bytes, and most channels only ever
# block one way). Nothing is ever linked into it: an enqueue first gives the
# channel a queue of its own (under the channel's lock).
EMPTYQ = waitq()


def dequeue(q: waitq) -> sudog | None:
    """Take the first live sudog off ``q`` (the channel's lock is held)."""
    while True:
        sg = q.first
        if sg is None:
            return None
        n = sg.next
        q.first = n
        if n is None:
            q.last = None
        else:
            n.prev = None
            sg.next = None
        sg.q = None
        if sg.isselect and sg.g.selectdone.pop(0, None) is None:
            continue  # its select was already won by another case
        return sg


def _park_forever(reason: str) -> Generator[int, Any, Any]:
    mp: M = _tls.m
    gp = mp.curg
    assert gp is not None
    gp.waitreason = reason
    mp.waitlock = None
    mp.waitunlockf = None
    while True:
        yield TRAP_PARK


NLOCKS = 1024  # a power of two
_locks = tuple(threading.Lock() for _ in range(NLOCKS))


def chanlock(c: object) -> Any:
    """The striped lock of channel ``c``: a multiplicative hash of its address."""
    return _locks[((id(c) >> 4) * 0x9E3779B1 >> 16) & (NLOCKS - 1)]


_NOBUF: Any = ()  # the buffer of every unbuffered channel: shared, always empty


class Chan(Generic[T]):
    """A Go channel. ``Chan(0)`` is unbuffered; ``Chan[int](n)`` is typed."""

    # (no __weakref__ or timer slot: only gort.time's timer channels need them)
    __slots__ = ("buf", "dataqsiz", "closed", "recvq", "sendq", "lock")

    def __init__(self, cap: int = 0) -> None:
        if type(cap) is not int:
            if isinstance(cap, bool) or not isinstance(cap, int):
                raise TypeError(f"makechan: size must be an int, not {type(cap).__name__}")
        if cap < 0:
            raise ValueError("makechan: size out of range")
        # An empty deque costs ~600 bytes: an unbuffered channel shares one empty
        # tuple as its buffer (nothing is ever appended to it).
        self.buf: collections.deque[Any] = collections.deque() if cap else _NOBUF
        self.dataqsiz = cap
        self.closed = False
        self.recvq = EMPTYQ  # a queue of its own on the first wait (see EMPTYQ)
        self.sendq = EMPTYQ
        self.lock = chanlock(self)

    # -- introspection
    @property
    def cap(self) -> int:
        return self.dataqsiz

    def __len__(self) -> int:
        return len(self.buf)

    def __repr__(self) -> str:
        closed = " closed" if self.closed else ""
        return f"<gort.Chan cap={self.dataqsiz} len={len(self.buf)}{closed}>"

    # -- send
    @types.coroutine
    def send(self, v: T) -> Generator[int, Any, None]:
        """``c <- v``."""
        lock = self.lock
        lock.acquire()
        if self.closed:
            lock.release()
            raise Panic("send on closed channel")
        wq = self.recvq
        sg = wq.first
        if sg is not None:
            # dequeue(), inlined for the common case: the first waiter is live
            n = sg.next
            if sg.isselect or n is not None:
                sg = dequeue(wq)
            else:
                wq.first = wq.last = None
                sg.q = None
        if sg is not None:
            sg.elem = v
            sg.success = True
            gp = sg.g
            gp.param = sg
            lock.release()
            _goready(gp)
            return
        if len(self.buf) < self.dataqsiz:
            self.buf.append(v)
            lock.release()
            return
        # block
        mp: M = _tls.m
        gp = mp.curg  # type: ignore[assignment]
        if gp is None:
            lock.release()
            raise RuntimeError("gort: channel send outside a goroutine")
        sg = gp.sg
        if sg is None:
            sg = gp.sg = sudog(gp, v, False, 0)
        else:
            sg.elem = v
            sg.success = False
        wq = self.sendq  # wq.enqueue(sg), inlined
        if wq is EMPTYQ:
            wq = self.sendq = waitq()
        n = wq.last
        sg.next = None
        sg.prev = n
        sg.q = wq
        if n is None:
            wq.first = sg
        else:
            n.next = sg
        wq.last = sg
        gp.waitreason = waitReasonChanSend
        mp.waitlock = lock
        mp.waitunlockf = None
        yield TRAP_PARK
        sg.elem = None  # releaseSudog: keep no value alive
        if not sg.success:
            raise Panic("send on closed channel")

    def try_send(self, v: T) -> bool:
        """Non-blocking send (Go's ``select { case c <- v: default: }``)."""
        lock = self.lock
        with lock:
            if self.closed:
                raise Panic("send on closed channel")
            sg = dequeue(self.recvq)
            if sg is None:
                if len(self.buf) < self.dataqsiz:
                    self.buf.append(v)
                    return True
                return False
            sg.elem = v
            sg.success = True
            sg.g.param = sg
        _goready(sg.g)
        return True

    # -- receive
    def recv_ok(self) -> Awaitable[tuple[T | None, bool]]:
        """``v, ok := <-c``."""
        return chanrecv2(self, False)

    @types.coroutine
    def recv(self) -> Generator[int, Any, T | None]:
        """``v := <-c`` (``None`` from a closed, drained channel).

        The body of ``chanrecv2`` written out again, on purpose: delegating to it
        (``yield from``, or a call) would cost every plain receive, the commonest
        channel operation, a generator or a call more. A change to one must be
        made to the other.
        """
        lock = self.lock
        lock.acquire()
        buf = self.buf
        wq = self.sendq
        sg = wq.first
        if sg is not None:
            # dequeue(), inlined for the common case: the first waiter is live
            n = sg.next
            if sg.isselect or n is not None:
                sg = dequeue(wq)
            else:
                wq.first = wq.last = None
                sg.q = None
        if sg is not None:
            if self.dataqsiz == 0:
                v = sg.elem
            else:
                v = buf.popleft()
                buf.append(sg.elem)
            sg.success = True
            gp = sg.g
            gp.param = sg
            lock.release()
            _goready(gp)
            return v  # type: ignore[no-any-return]
        if buf:
            v = buf.popleft()
            lock.release()
            return v  # type: ignore[no-any-return]
        if self.closed:
            lock.release()
            return None
        mp: M = _tls.m
        gp = mp.curg  # type: ignore[assignment]
        if gp is None:
            lock.release()
            raise RuntimeError("gort: channel receive outside a goroutine")
        sg = gp.sg
        if sg is None:
            sg = gp.sg = sudog(gp, None, False, 0)
        else:
            sg.elem = None
            sg.success = False
        wq = self.recvq  # wq.enqueue(sg), inlined
        if wq is EMPTYQ:
            wq = self.recvq = waitq()
        n = wq.last
        sg.next = None
        sg.prev = n
        sg.q = wq
        if n is None:
            wq.first = sg
        else:
            n.next = sg
        wq.last = sg
        gp.waitreason = waitReasonChanReceive
        mp.waitlock = lock
        mp.waitunlockf = None
        yield TRAP_PARK
        v = sg.elem
        sg.elem = None  # releaseSudog: keep no value alive
        return v  # type: ignore[no-any-return]

    def try_recv(self) -> tuple[T | None, bool, bool]:
        """Non-blocking receive: (value, ok, selected)."""
        lock = self.lock
        with lock:
            sg = dequeue(self.sendq)
            if sg is not None:
                if self.dataqsiz == 0:
                    v = sg.elem
                else:
                    v = self.buf.popleft()
                    self.buf.append(sg.elem)
                sg.success = True
                sg.g.param = sg
            elif self.buf:
                return self.buf.popleft(), True, True
            elif self.closed:
                return None, False, True
            else:
                return None, False, False
        _goready(sg.g)
        return v, True, True

    # -- close
    def close(self) -> None:
        """``close(c)``: wake every receiver (None, False) and every sender (they panic)."""
        woken: list[G] = []
        with self.lock:
            if self.closed:
                raise Panic("close of closed channel")
            self.closed = True
            while (sg := dequeue(self.recvq)) is not None:
                sg.elem = None
                sg.success = False
                sg.g.param = sg
                woken.append(sg.g)
            while (sg := dequeue(self.sendq)) is not None:
                sg.elem = None
                sg.success = False
                sg.g.param = sg
                woken.append(sg.g)
        for gp in woken:
            _goready(gp)

    # -- range
    def __aiter__(self) -> AsyncIterator[T]:
        return _ChanIter(self)


@types.coroutine
def chanrecv2(self: Chan[Any], iterating: bool) -> Generator[int, Any, Any]:
    """``v, ok := <-c`` (Go's chanrecv2), and one step of ``async for v in c``
    (``iterating``: return ``v``, or raise ``StopAsyncIteration`` once ``c`` is
    closed and drained). One generator per receive for both."""
    lock = self.lock
    lock.acquire()
    buf = self.buf
    wq = self.sendq
    sg = wq.first
    if sg is not None:
        # dequeue(), inlined for the common case: the first waiter is live
        n = sg.next
        if sg.isselect or n is not None:
            sg = dequeue(wq)
        else:
            wq.first = wq.last = None
            sg.q = None
    if sg is not None:
        if self.dataqsiz == 0:
            v = sg.elem
        else:
            v = buf.popleft()
            buf.append(sg.elem)
        sg.success = True
        gp = sg.g
        gp.param = sg
        lock.release()
        _goready(gp)
        return v if iterating else (v, True)
    if buf:
        v = buf.popleft()
        lock.release()
        return v if iterating else (v, True)
    if self.closed:
        lock.release()
        if iterating:
            raise StopAsyncIteration
        return None, False
    mp: M = _tls.m
    gp = mp.curg  # type: ignore[assignment]
    if gp is None:
        lock.release()
        raise RuntimeError("gort: channel receive outside a goroutine")
    sg = gp.sg
    if sg is None:
        sg = gp.sg = sudog(gp, None, False, 0)
    else:
        sg.elem = None
        sg.success = False
    wq = self.recvq  # wq.enqueue(sg), inlined
    if wq is EMPTYQ:
        wq = self.recvq = waitq()
    n = wq.last
    sg.next = None
    sg.prev = n
    sg.q = wq
    if n is None:
        wq.first = sg
    else:
        n.next = sg
    wq.last = sg
    gp.waitreason = waitReasonChanReceive
    mp.waitlock = lock
    mp.waitunlockf = None
    yield TRAP_PARK
    v = sg.elem
    sg.elem = None  # releaseSudog: keep no value alive
    if iterating:
        if not sg.success:
            raise StopAsyncIteration
        return v
    return v, sg.success


class _ChanIter(Generic[T]):
    __slots__ = ("c",)

    def __init__(self, c: Chan[T]) -> None:
        self.c = c

    def __aiter__(self) -> _ChanIter[T]:
        return self

    def __anext__(self) -> Awaitable[T]:
        return chanrecv2(self.c, True)


class NilChan(Chan[Any]):
    """The nil channel: send and receive block forever; close panics."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0)

    @types.coroutine
    def send(self, v: Any) -> Generator[int, Any, None]:
        yield from _park_forever(waitReasonChanSendNilChan)

    @types.coroutine
    def recv(self) -> Generator[int, Any, Any]:
        yield from _park_forever(waitReasonChanReceiveNilChan)

    @types.coroutine
    def recv_ok(self) -> Generator[int, Any, tuple[Any, bool]]:
        yield from _park_forever(waitReasonChanReceiveNilChan)
        return None, False  # pragma: no cover

    def try_send(self, v: Any) -> bool:
        return False

    def try_recv(self) -> tuple[Any, bool, bool]:
        return None, False, False

    def close(self) -> None:
        raise Panic("close of nil channel")

    def __repr__(self) -> str:
        return "<gort.nilchan>"


nilchan = NilChan()
