"""Run queues: each P's local queue with its runnext slot, and the global queue.

Mirrors the run-queue half of Go's ``runtime/proc.go`` (``runqput``,
``runqputslow``, ``runqget``, ``runqgrab``, ``runqsteal``, ``globrunqput``,
``globrunqget``).

Invariants
----------
- A P's local queue holds at most ``RUNQ_SIZE`` (256) Gs, all ``_Grunnable``.
- ``runnext`` holds at most one G. A G taken from it inherits the time slice of
  the G that readied it (``schedtick`` is not advanced). It is filled with an
  atomic ``setdefault``: besides the owner, an M that sysmon has just taken the
  P from may still be finishing a ready into it (see proc.py), and neither G may
  be lost.
- A G is in at most one queue, and is taken out of it exactly once.

Locks
-----
The local queue is a ``deque`` and ``runnext`` a one-key ``dict``: each push
and each pop is one C call, atomic on both the GIL and the free-threaded
interpreter. Only the owner pushes (Go: single producer); the owner and
thieves pop (Go: many consumers, a CAS on ``runqhead``; here the deque's own
atomicity). The global queue is guarded by ``sched.lock``.

Differences from Go
-------------------
Go's ring is an array with free-running head and tail indices and a CAS loop.
Here the deque is the ring: the capacity bound is checked by the owner before
a push (thieves only shrink the queue, so the check cannot go stale in the
wrong direction), and "steal half" pops one G at a time from the victim's
head, each pop atomic, so a G can never be taken twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from .runtime2 import RUNQ_SIZE, G, P, Sched


def runqput(s: Sched, pp: P, gp: G, nxt: bool) -> None:
    """Put ``gp`` on ``pp``'s local queue: into runnext if ``nxt`` (kicking the old
    runnext to the tail), else at the tail; overflow goes to the global queue."""
    if nxt:
        rn = pp.runnext
        old = rn.pop(0, None)
        # setdefault, not a plain store: Go lets only the owner write runnext, but
        # here an M that sysmon just took this P from may still be finishing a
        # ready into it; a blind store would silently drop the other M's G.
        if rn.setdefault(0, gp) is not gp:
            runqput_tail(s, pp, gp)
        if old is None:
            return
        gp = old
    runqput_tail(s, pp, gp)


def runqput_tail(s: Sched, pp: P, gp: G) -> None:
    """Put ``gp`` at the tail of ``pp``'s local queue (overflow: the global queue)."""
    q = pp.runq
    if len(q) < RUNQ_SIZE:
        q.append(gp)
    else:
        runqputslow(s, pp, gp)


def runqputslow(s: Sched, pp: P, gp: G) -> None:
    """The local queue is full: move its first half (128) plus ``gp`` to the global queue."""
    q = pp.runq
    batch: list[G] = []
    for _ in range(RUNQ_SIZE // 2):
        try:
            batch.append(q.popleft())
        except IndexError:  # thieves emptied it meanwhile: there is room now
            break
    batch.append(gp)
    with s.lock:
        s.runq.extend(batch)


def runqget(pp: P) -> tuple[G | None, bool]:
    """Take the next G of ``pp``: runnext first (inheriting the time slice), then the head."""
    gp = pp.runnext.pop(0, None)
    if gp is not None:
        return gp, True
    try:
        return pp.runq.popleft(), False
    except IndexError:
        return None, False


def runqempty(pp: P) -> bool:
    return not pp.runq and not pp.runnext


def runqlen(pp: P) -> int:
    return len(pp.runq) + len(pp.runnext)


def runqdrain(pp: P) -> list[G]:
    """Take everything from ``pp``'s queue (runnext first): used when a P is destroyed."""
    out: list[G] = []
    gp = pp.runnext.pop(0, None)
    if gp is not None:
        out.append(gp)
    q = pp.runq
    while True:
        try:
            out.append(q.popleft())
        except IndexError:
            return out


def runqsteal(pp: P, victim: P, steal_runnext: bool) -> G | None:
    """Steal half of ``victim``'s queue (rounded up) into ``pp``'s; return one G to run.

    ``runnext`` is taken only when ``steal_runnext`` (the last stealing pass) and
    the victim's ring is empty, as Go's ``runqgrab`` does.
    """
    vq = victim.runq
    n = len(vq)
    n = n - n // 2
    if n == 0:
        if steal_runnext:
            return victim.runnext.pop(0, None)
        return None
    got: list[G] = []
    for _ in range(n):
        try:
            got.append(vq.popleft())
        except IndexError:
            break
    if not got:
        return None
    gp = got.pop()  # Go returns the last grabbed G and queues the others
    pp.runq.extend(got)
    return gp


def globrunqput(s: Sched, gp: G) -> None:
    """Tail of the global queue. sched.lock must be held."""
    s.runq.append(gp)


def globrunqputhead(s: Sched, gp: G) -> None:
    s.runq.appendleft(gp)


def globrunqputbatch(s: Sched, batch: Iterable[G]) -> None:
    s.runq.extend(batch)


def globrunqget(s: Sched, pp: P, maxn: int) -> G | None:
    """Take a batch from the global queue (sched.lock held): return one G, and put up
    to ``n-1`` more on ``pp``'s local queue, ``n = min(len, len/gomaxprocs + 1, max, 128)``."""
    q = s.runq
    size = len(q)
    if size == 0:
        return None
    n = min(size, size // s.gomaxprocs + 1)
    if maxn > 0 and n > maxn:
        n = maxn
    if n > RUNQ_SIZE // 2:
        n = RUNQ_SIZE // 2
    gp = q.popleft()
    local = pp.runq
    for _ in range(n - 1):
        if len(local) >= RUNQ_SIZE:
            break
        local.append(q.popleft())
    return gp
