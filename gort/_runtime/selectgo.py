"""select (Go's ``runtime/select.go``: ``selectgo``).

A case is ``ch.recv``, ``ch.recv_ok``, ``(ch.send, value)`` or ``default``.

The algorithm is Go's:

1. *poll order*: a uniformly random permutation of the cases; *lock order*:
   the distinct channel locks sorted by identity (Go sorts the channels by
   address), so two selects over the same channels never lock them in
   opposite orders; channels share striped locks (chan.py), so a lock is
   taken once even when two cases' channels map to it;
2. lock every channel; **pass 1** looks for a ready case in poll order and
   completes it (so among ready cases the choice is uniform);
3. with a default case and nothing ready: unlock and take the default;
4. **pass 2** queues one sudog per case on its channel, arms the G's
   ``selectdone`` token, and parks; its M unlocks every channel once the G is
   ``_Gwaiting`` (``selunlock`` as gopark's unlock function);
5. the waker that pops the token owns the G and records the winning sudog in
   ``g.param``; on wake-up **pass 3** relocks every channel and takes the
   losing sudogs off their queues.

Nil channels are left out of both orders (never ready). ``select()`` with no
case parks forever with wait reason ``select (no cases)``.

``select`` (what ``gort.select`` is) runs a select over exactly two receive
cases without a default itself - the same three passes, without case tuples or
lock lists, with its two sudogs from the M's ``sudogcache`` - and hands every
other shape to ``selectgo``. A G's ``selectdone`` dict is made on its first
select and reused: only a waker that took one of the G's sudogs off a queue,
under that channel's lock, pops it, and pass 3 takes the survivors off under
the same locks, so no waker of an earlier select can pop a later token.
"""

from __future__ import annotations

import random
import types
from collections.abc import Generator
from typing import Any

from . import proc
from .chan import EMPTYQ, Chan, NilChan, _park_forever, dequeue, sudog, waitq
from .runtime2 import (
    _NO_SELECT,
    TRAP_PARK,
    FatalError,
    G,
    M,
    Panic,
    waitReasonSelect,
    waitReasonSelectNoCases,
)

_tls = proc._tls
_goready = proc.goready
_getrandbits = random.getrandbits

RECV = 0
RECV_OK = 1
SEND = 2


class _Default:
    __slots__ = ()

    def __repr__(self) -> str:
        return "gort.default"


default = _Default()

_recv_func = Chan.recv
_recv_ok_func = Chan.recv_ok
_send_func = Chan.send
_nil_funcs = {NilChan.recv, NilChan.recv_ok, NilChan.send}


_MethodType = types.MethodType
_SUDOGCACHE_MAX = 16  # free select sudogs kept per M
_RECV_KINDS = {_recv_func: RECV, _recv_ok_func: RECV_OK}


def _parse(cases: tuple[Any, ...]) -> tuple[list[tuple[Any, int, Any, int]], int]:
    """(channel, kind, value, index) for each non-nil case, and the default's index or -1."""
    scases: list[tuple[Any, int, Any, int]] = []
    dflt = -1
    i = 0
    for case in cases:
        if type(case) is _MethodType:  # ch.recv / ch.recv_ok: the common case
            k = _RECV_KINDS.get(case.__func__)
            if k is not None:
                scases.append((case.__self__, k, None, i))
                i += 1
                continue
        _parse_slow(case, i, scases)
        if case is default:
            if dflt >= 0:
                raise ValueError("select: multiple defaults")
            dflt = i
        i += 1
    return scases, dflt


def _parse_slow(case: Any, i: int, scases: list[tuple[Any, int, Any, int]]) -> None:
    if case is default:
        return
    if type(case) is tuple:
        if len(case) != 2:
            raise TypeError(f"select: case {i}: a send case is (ch.send, value)")
        m, v = case
        fn = getattr(m, "__func__", None)
        if fn is _send_func:
            scases.append((m.__self__, SEND, v, i))
            return
        if fn in _nil_funcs:
            return
        raise TypeError(f"select: case {i}: a send case is (ch.send, value)")
    fn = getattr(case, "__func__", None)
    k = _RECV_KINDS.get(fn) if fn is not None else None
    if k is not None:  # a bound method of a Chan subclass that does not override recv
        scases.append((case.__self__, k, None, i))
    elif fn in _nil_funcs:
        return
    else:
        raise TypeError(
            f"select: case {i}: expected ch.recv, ch.recv_ok, (ch.send, v) or gort.default, "
            f"not {case!r}"
        )


def _lockall(locks: list[Any]) -> None:
    for lk in locks:
        lk.acquire()


def _unlockall(locks: list[Any]) -> None:
    for lk in locks:
        lk.release()


def _selunlock(gp: G, locks: Any) -> bool:
    for lk in locks:
        lk.release()
    return True


def _result(kind: int, v: Any, ok: bool) -> Any:
    if kind == RECV:
        return v
    if kind == RECV_OK:
        return (v, ok)
    return None


@types.coroutine
def select(*cases: Any) -> Generator[int, Any, tuple[int, Any]]:
    """``await gort.select(...)``: the two-receive fast path, else ``selectgo``.

    A select over two receives (``ch.recv``/``ch.recv_ok``, no default) is the
    commonest shape in Go programs and W5's; it runs Go's three passes here
    without building case tuples or lock lists. Anything else goes to
    ``selectgo``.
    """
    if len(cases) != 2:
        return (yield from selectgo(cases))
    c0, c1 = cases
    if type(c0) is not _MethodType or type(c1) is not _MethodType:
        return (yield from selectgo(cases))
    k0 = _RECV_KINDS.get(c0.__func__)
    k1 = _RECV_KINDS.get(c1.__func__)
    if k0 is None or k1 is None:
        return (yield from selectgo(cases))
    a: Chan[Any] = c0.__self__  # type: ignore[assignment]
    b: Chan[Any] = c1.__self__  # type: ignore[assignment]
    # lock order: by identity; one lock when both channels have the same stripe
    la = a.lock
    lb = b.lock
    if la is lb:
        locks: tuple[Any, ...] = (la,)
        la.acquire()
    else:
        if id(lb) < id(la):
            la, lb = lb, la
        locks = (la, lb)
        la.acquire()
        lb.acquire()
    # poll order: random
    c: Chan[Any]
    d: Chan[Any]
    if _getrandbits(1):
        c, i, k, d, j, kd = a, 0, k0, b, 1, k1
    else:
        c, i, k, d, j, kd = b, 1, k1, a, 0, k0
    # pass 1: the first ready case in poll order (c, then d)
    for _ in (0, 1):
        wq = c.sendq
        sg = wq.first
        if sg is not None:
            sg = dequeue(wq)
            if sg is not None:
                if c.dataqsiz == 0:
                    v = sg.elem
                else:
                    v = c.buf.popleft()
                    c.buf.append(sg.elem)
                sg.success = True
                gp = sg.g
                gp.param = sg
                for lk in locks:
                    lk.release()
                _goready(gp)
                return i, (v if k == RECV else (v, True))
        if c.buf:
            v = c.buf.popleft()
            for lk in locks:
                lk.release()
            return i, (v if k == RECV else (v, True))
        if c.closed:
            for lk in locks:
                lk.release()
            return i, (None if k == RECV else (None, False))
        c, i, k, d, j, kd = d, j, kd, c, i, k
    # pass 2: a sudog on each channel, in poll order, and park
    mp: M = _tls.m
    gp = mp.curg  # type: ignore[assignment]
    if gp is None:
        for lk in locks:
            lk.release()
        raise RuntimeError("gort.select outside a goroutine")
    gp.param = None
    sd = gp.selectdone
    if sd is _NO_SELECT:
        sd = gp.selectdone = {}
    sd[0] = True  # the wake-up token (the dict is the G's; every waker pops it)
    # acquireSudog: from this M's cache (only the M's own thread pops from it;
    # pass 3 may push from another thread, and list operations are atomic)
    cache = mp.sudogcache
    if len(cache) >= 2:
        s0 = cache.pop()
        s1 = cache.pop()
        s0.g = s1.g = gp
        s0.success = s1.success = False
        s0.caseidx = i
        s1.caseidx = j
    else:
        s0 = sudog(gp, None, True, i)
        s1 = sudog(gp, None, True, j)
    wq = c.recvq
    if wq is EMPTYQ:
        wq = c.recvq = waitq()
    wq.enqueue(s0)
    wq = d.recvq
    if wq is EMPTYQ:
        wq = d.recvq = waitq()
    wq.enqueue(s1)
    gp.waitreason = waitReasonSelect
    mp.waitlock = locks
    mp.waitunlockf = _selunlock
    yield TRAP_PARK
    # pass 3: take the loser off its queue
    won: sudog = gp.param
    gp.param = None
    for lk in locks:
        lk.acquire()
    q = s0.q
    if q is not None:
        q.remove(s0)
    q = s1.q
    if q is not None:
        q.remove(s1)
    for lk in locks:
        lk.release()
    i = won.caseidx
    v = won.elem
    ok = won.success
    # releaseSudog: both are off every queue and no waker holds them any more (a
    # waker only touches a sudog it took off a queue under the locks taken above).
    # Nothing may read them after this: the cache is the M's that parked this G,
    # and that M may already be handing them to its next select on another thread.
    s0.elem = s1.elem = None
    if len(cache) < _SUDOGCACHE_MAX:
        cache.append(s0)
        cache.append(s1)
    if (k0 if i == 0 else k1) == RECV:
        return i, v
    return i, (v, ok)


@types.coroutine
def selectgo(cases: tuple[Any, ...]) -> Generator[int, Any, tuple[int, Any]]:
    """Go's selectgo over any cases (see the module's essay)."""
    scases, dflt = _parse(cases)
    n = len(scases)
    if n == 0:
        if dflt >= 0:
            return dflt, None
        # `select {}` parks with "select (no cases)"; a select whose cases are all
        # on nil channels parks forever too, but as a plain "select" (as Go does)
        yield from _park_forever(waitReasonSelectNoCases if not cases else waitReasonSelect)
    # poll order: a random permutation
    if n == 1:
        order = scases
    elif n == 2:
        order = scases if _getrandbits(1) else [scases[1], scases[0]]
    else:
        order = list(scases)
        for i in range(n - 1, 0, -1):
            j = _getrandbits(32) % (i + 1)
            order[i], order[j] = order[j], order[i]
    # lock order: the distinct locks of the channels, sorted by identity (channels
    # share striped locks, see chan.py: two cases may come with one lock)
    if n == 1:
        locks = [scases[0][0].lock]
    elif n == 2:
        l0 = scases[0][0].lock
        l1 = scases[1][0].lock
        if l0 is l1:
            locks = [l0]
        else:
            locks = [l0, l1] if id(l0) < id(l1) else [l1, l0]
    else:
        seen: dict[int, Any] = {}
        for sc in scases:
            lk = sc[0].lock
            seen[id(lk)] = lk
        locks = [seen[k] for k in sorted(seen)]
    _lockall(locks)
    # pass 1: a ready case, in poll order
    for c, kind, v, idx in order:
        if kind == SEND:
            if c.closed:
                _unlockall(locks)
                raise Panic("send on closed channel")
            sg = dequeue(c.recvq)
            if sg is not None:
                sg.elem = v
                sg.success = True
                sg.g.param = sg
                _unlockall(locks)
                _goready(sg.g)
                return idx, None
            if len(c.buf) < c.dataqsiz:
                c.buf.append(v)
                _unlockall(locks)
                return idx, None
        else:
            sg = dequeue(c.sendq)
            if sg is not None:
                if c.dataqsiz == 0:
                    rv = sg.elem
                else:
                    rv = c.buf.popleft()
                    c.buf.append(sg.elem)
                sg.success = True
                sg.g.param = sg
                _unlockall(locks)
                _goready(sg.g)
                return idx, _result(kind, rv, True)
            if c.buf:
                rv = c.buf.popleft()
                _unlockall(locks)
                return idx, _result(kind, rv, True)
            if c.closed:
                _unlockall(locks)
                return idx, _result(kind, None, False)
    if dflt >= 0:
        _unlockall(locks)
        return dflt, None
    # pass 2: queue on every channel and park
    mp: M = _tls.m
    gp = mp.curg
    if gp is None:
        _unlockall(locks)
        raise RuntimeError("gort.select outside a goroutine")
    gp.param = None
    sd = gp.selectdone
    if sd is _NO_SELECT:
        sd = gp.selectdone = {}
    sd[0] = True  # the wake-up token (the dict is the G's; every waker pops it)
    sgs: list[sudog] = []
    # queue in poll order, as Go's lock order is built from it: two cases on the
    # same channel must not always be offered to a partner in source order
    for c, kind, v, idx in order:
        sg = sudog(gp, v, True, idx)
        sgs.append(sg)
        if kind == SEND:
            q = c.sendq
            if q is EMPTYQ:
                q = c.sendq = waitq()
        else:
            q = c.recvq
            if q is EMPTYQ:
                q = c.recvq = waitq()
        q.enqueue(sg)
    gp.waitreason = waitReasonSelect
    mp.waitlock = locks
    mp.waitunlockf = _selunlock
    yield TRAP_PARK
    # pass 3: dequeue the losers
    won: sudog = gp.param
    gp.param = None
    _lockall(locks)
    for sg in sgs:
        q = sg.q
        if q is not None:
            q.remove(sg)
    _unlockall(locks)
    kind = _kind_of(scases, won)
    if kind == SEND:
        if not won.success:
            raise Panic("send on closed channel")
        return won.caseidx, None
    return won.caseidx, _result(kind, won.elem, won.success)


def _kind_of(scases: list[tuple[Any, int, Any, int]], won: sudog) -> int:
    for _c, kind, _v, idx in scases:
        if idx == won.caseidx:
            return kind
    raise FatalError("selectgo: bad wakeup")
