"""The scheduler: bootstrap, goroutine creation, schedule/find_runnable, park/ready,
M and P handoff, stop-the-world, blocking calls and deadlock detection.

Mirrors Go's ``runtime/proc.go``; the functions keep Go's names in snake_case.

Design
------
A goroutine is a Python coroutine. Its M (an OS thread) runs it by calling
``coro.send(None)``; the coroutine runs until it either returns (the goroutine
ends: ``goexit0``) or yields a *trap* (a small int, ``TRAP_*`` in runtime2),
which is Go's ``mcall``: control is back on the M's scheduler loop (Go's g0),
which finishes the operation the goroutine started (``park_m``,
``gosched_m``, ...) and picks the next G (``schedule``). Operations that do not
block (a send into a buffer with room, readying another goroutine) complete
inside the coroutine without a trap, so they cost no switch.

``gopark`` follows Go's protocol: the goroutine queues itself on the object it
waits for while holding that object's lock, then traps with the lock still
held; the M marks the G ``_Gwaiting`` and only then releases the lock
(``mp.waitlock``). So no other M can ready, and so resume, a coroutine that is
still executing: only one M ever steps a coroutine at a time, which the
free-threaded interpreter needs (it does not check it for us).

The creation path is the seed's: ``newproc`` -> ``newproc1`` (``gfget`` or
``malg``, ``_Gidle``->``_Gdead``, the coroutine made but not started - Go's
``gostartcallfn``: a call stopped before its first instruction -, parent goid,
creation site, ancestors, ``_Gdead``->``_Grunnable``, goid from the P's cache of
16) -> ``runqput(pp, newg, next=True)`` -> ``wakep()`` once main has started.

Locks and shared state
----------------------
- ``sched.lock``: global run queue, global free Gs, idle Ps and Ms, spinning
  count, P status changes made by anyone but the owner, ``allgs``.
- A P's local queue, runnext and free-G list: owner pushes, anyone pops, each
  op atomic (see runq.py).
- ``mp.p`` is written by the M itself, or by sysmon under ``sched.lock`` when it
  takes the P away (below). Unlocked reads of it are a single attribute load;
  a stale read is harmless because every structure reached through a P is
  safe to touch from two threads, and every path that could strand a G on a
  P that went idle re-checks ``mp.p`` afterwards (``_ready_on``).

Differences from Go
-------------------
- No preemption inside a frame: a goroutine that runs Python code for long
  without awaiting the runtime is treated like one in a system call. sysmon
  first sets its preempt flag (honoured at the next scheduling point), and if
  the G still has not come back 10 ms later and its P has other work, sysmon
  takes the P (``_Prunning``->``_Pidle``) and starts another M for it. The
  hogging M discovers this the next time its goroutine traps or ends, and
  goes through ``exitsyscall0``: its G goes to the global queue and the M
  stops. Plain-callable goroutines that run long are handled the same way.
- Idle Ms sleep on a ``Note`` (a lock used as a binary semaphore); one of them
  sleeps in ``netpoll`` until the next timer instead, as in Go.
- When main returns, other Ms leave at their next scheduling point; a
  goroutine that never yields keeps its thread busy (``run`` waits a bounded
  time for it; Go would exit the process).
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

from . import netpoll as _netpoll
from . import timers as _timers
from .mtls import _tls as _tls  # re-exported: other modules read proc._tls
from .runq import (
    globrunqget,
    globrunqput,
    globrunqputbatch,
    globrunqputhead,
    runqdrain,
    runqempty,
    runqget,
    runqput,
    runqput_tail,
    runqputslow,
    runqsteal,
)
from .runtime2 import (
    GFREE_KEEP_LOCAL,
    GFREE_MAX_LOCAL,
    MAX_MCOUNT,
    RUNQ_SIZE,
    SCHED_GLOBAL_EVERY,
    STEAL_TRIES,
    TRAP_EXITSYSCALL,
    TRAP_GOSCHED,
    TRAP_PARK,
    TRAP_PREEMPT,
    TRAP_YIELD,
    Deadlock,
    ExitProgram,
    FatalError,
    G,
    Goexit,
    M,
    P,
    Sched,
    _Gdead,
    _Gidle,
    _GoidCacheBatch,
    _Grunnable,
    _Grunning,
    _Gsyscall,
    _Gwaiting,
    _Pdead,
    _Pgcstop,
    _Pidle,
    _Prunning,
    _Psyscall,
    casgstatus,
    casp,
    throw,
    waitReasonZero,
)

CoroutineType = types.CoroutineType
_CO_COROUTINE = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE
_nanotime = time.monotonic_ns
_getframe = sys._getframe

# The running runtime, or None. One runtime per process at a time.
sched: Sched | None = None
_run_lock = threading.Lock()

# Debug knobs (GORTDEBUG), read at run() time.
debug_schedtrace = 0
debug_scheddetail = 0
debug_tracebackancestors = 0
debug_randomize = False



def _abandon(c: Any) -> None:
    """Drop the coroutine of a goroutine abandoned when the program ended.

    Go runs no deferred call of such a goroutine. A Python coroutine that is
    finalized runs its ``finally`` blocks (``close()`` throws GeneratorExit in),
    so a suspended one is given one extra reference that is never released: it
    is never finalized, not even at interpreter exit. A never-started one is
    closed, which runs nothing. (Go: the process exits; here the memory of
    abandoned goroutines stays until the process ends.)
    """
    if type(c) is types.GeneratorType:  # a generator-based coroutine (types.coroutine)
        created = inspect.getgeneratorstate(c) == inspect.GEN_CREATED
    else:
        created = inspect.getcoroutinestate(c) == inspect.CORO_CREATED
    if created:
        c.close()
        return
    try:
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(c))
    except Exception:  # no ctypes: keep it referenced instead
        _graveyard.append(c)


_graveyard: list[Any] = []

# Optional execution tracer hooks (trace.py installs them).
tracer: Any = None


def getm() -> M | None:
    """Go's getg().m: the M running on this OS thread, or None for a foreign thread."""
    return getattr(_tls, "m", None)


def getg() -> G | None:
    mp: M | None = getattr(_tls, "m", None)
    if mp is None:
        return None
    return mp.curg


# ---------------------------------------------------------------------------
# GORTDEBUG


def parse_debug(env: str | None) -> None:
    global debug_schedtrace, debug_scheddetail, debug_tracebackancestors, debug_randomize
    debug_schedtrace = debug_scheddetail = debug_tracebackancestors = 0
    debug_randomize = False
    if not env:
        return
    for item in env.split(","):
        key, _, val = item.strip().partition("=")
        try:
            n = int(val)
        except ValueError:
            continue
        if key == "schedtrace":
            debug_schedtrace = n
        elif key == "scheddetail":
            debug_scheddetail = n
        elif key == "tracebackancestors":
            debug_tracebackancestors = n
        elif key == "randomizescheduler":
            debug_randomize = n != 0


# ---------------------------------------------------------------------------
# Goroutine creation: newproc, newproc1, gfget, gfput, malg


_FunctionType = types.FunctionType
_MethodType = types.MethodType


def _is_coroutine_function(fn: Any) -> bool:
    t = type(fn)
    if t is _FunctionType:
        return bool(fn.__code__.co_flags & _CO_COROUTINE)
    if t is _MethodType:
        f = fn.__func__
        if type(f) is _FunctionType:
            return bool(f.__code__.co_flags & _CO_COROUTINE)
    return inspect.iscoroutinefunction(fn)


def _malg_dead(s: Sched) -> G:
    """malg + _Gidle -> _Gdead + allgadd."""
    newg = G()
    newg.sched = s
    newg.status = _Gdead  # casgstatus(_Gidle, _Gdead): a fresh G is _Gidle
    s.allgs.append(newg)  # list.append is atomic: no lock needed
    return newg


def malg() -> G:
    """A new G (Go allocates its stack here; a coroutine needs none)."""
    return G()


def gfget(s: Sched, pp: P) -> G | None:
    """A dead G from ``pp``'s free list, refilling it from the global list (up to 32)."""
    gf = pp.gfree
    if gf:
        try:
            return gf.pop()
        except IndexError:  # emptied by another M sharing a P that sysmon retook
            return None
    if s.gfree:
        with s.lock:
            sg = s.gfree
            while sg and len(gf) < GFREE_KEEP_LOCAL:
                gf.append(sg.pop())
        if gf:
            try:
                return gf.pop()
            except IndexError:
                return None
    return None


def gfput(s: Sched, pp: P, gp: G) -> None:
    """Put dead ``gp`` on ``pp``'s free list; at 64, move 33 to the global list (31 stay)."""
    if gp.status != _Gdead:
        raise throw("gfput: bad status (not Gdead)")
    gf = pp.gfree
    gf.append(gp)
    if len(gf) >= GFREE_MAX_LOCAL:
        _gfput_spill(s, pp)


def _gfput_spill(s: Sched, pp: P) -> None:
    gf = pp.gfree
    moved: list[G] = []
    while len(gf) >= GFREE_KEEP_LOCAL:
        try:
            moved.append(gf.pop())
        except IndexError:
            break
    with s.lock:
        s.gfree.extend(moved)


def _newgoid(s: Sched, pp: P) -> int:
    cache = pp.goidcache
    if cache:
        try:
            return cache.popleft()
        except IndexError:
            pass
    # refill: the P takes the next block of 16 from the global counter
    with s.lock:
        base = s.goidgen
        s.goidgen = base + _GoidCacheBatch
    cache.extend(range(base + 2, base + _GoidCacheBatch + 1))
    return base + 1


def _save_ancestors(callergp: G | None, frame: Any) -> Any:
    n = debug_tracebackancestors
    if n <= 0 or callergp is None or callergp.goid == 0:
        return None
    pcs: list[tuple[Any, int]] = []
    f = frame
    stop = schedule.__code__  # the goroutine's stack ends at its M's scheduler loop
    while f is not None and len(pcs) < 50 and f.f_code is not stop:
        if not _is_runtime_frame(f):
            pcs.append((f.f_code, f.f_lineno))
        f = f.f_back
    gopc = (callergp.gopc, callergp.gopc_lasti) if callergp.gopc is not None else None
    mine = (callergp.goid, gopc, pcs)
    prev = callergp.ancestors or []
    return [mine, *prev][:n]


_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _is_runtime_frame(f: Any) -> bool:
    return bool(f.f_code.co_filename.startswith(_RUNTIME_DIR))


def newproc1(
    s: Sched,
    pp: P,
    fn: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None,
    callergp: G | None,
    frame: Any,
) -> G:
    """Make a runnable G that will run ``fn(*args, **kwargs)`` (Go's newproc1)."""
    if fn is None:
        raise TypeError("go of nil func value")
    # gostartcallfn: the call is prepared but not started (done first, so that a
    # bad function value fails before a G is taken)
    if type(fn) is CoroutineType:
        if args or kwargs:
            raise TypeError("go: a coroutine object takes no arguments")
        coro: Any = fn
        plain = None
    elif _is_coroutine_function(fn):
        coro = fn(*args, **kwargs) if kwargs else fn(*args)
        plain = None
    elif callable(fn):
        coro = None
        plain = fn
    else:
        raise TypeError(f"go: {type(fn).__name__!r} object is not callable")
    newg = gfget(s, pp)
    if newg is None:
        newg = malg()
        newg.sched = s
        casgstatus(newg, _Gidle, _Gdead)
        s.allgs.append(newg)  # list.append is atomic: no lock needed
    if newg.status != _Gdead:
        raise throw("newproc1: new g is not Gdead")
    newg.coro = coro
    if plain is not None:
        if kwargs:
            newg.fn = functools.partial(plain, *args, **kwargs)
            newg.args = ()
        else:
            newg.fn = plain
            newg.args = args
    newg.startpc = fn
    if callergp is not None:
        newg.parent_goid = callergp.goid
        newg.labels = callergp.labels
    else:
        newg.parent_goid = 0
    if frame is not None:
        newg.gopc = frame.f_code
        newg.gopc_lasti = frame.f_lasti
        if debug_tracebackancestors > 0:
            newg.ancestors = _save_ancestors(callergp, frame)
    else:
        newg.gopc = None
    newg.status = _Grunnable  # casgstatus(newg, _Gdead, _Grunnable), checked above
    newg.goid = _newgoid(s, pp)
    if tracer is not None:
        tracer.go_create(newg, callergp)
    return newg


def newproc(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None, frame: Any) -> None:
    """Go's newproc: make a G for ``fn(*args, **kwargs)`` created at ``frame`` and put
    it in the current P's runnext. ``go`` (what ``gort.go`` is) does the same with
    newproc1 inlined for the common case, and comes here for every other one."""
    s = sched
    if s is None or s.exiting:
        if fn is None:
            raise TypeError("go of nil func value")
        raise RuntimeError("gort: go() called with no runtime running (use gort.run)")
    try:
        mp = _tls.m
        pp = mp.p
    except AttributeError:  # a foreign OS thread
        mp = pp = None
    if pp is None:
        # A foreign OS thread, or an M whose P was taken from it: the new G goes to
        # the global queue and an idle P is woken for it.
        newg = newproc1(s, s.allp[0], fn, args, kwargs, mp.curg if mp is not None else None, frame)
        with s.lock:
            globrunqput(s, newg)
        wakep(s)
        return
    newg = newproc1(s, pp, fn, args, kwargs, mp.curg, frame)
    _ready_on(s, mp, pp, newg)
    if s.npidle and not s.nmspinning and s.main_started:
        wakep(s)


def go(fn: Any, /, *args: Any, **kwargs: Any) -> None:
    """``go fn(args)``: start a goroutine. ``fn`` is a coroutine function, a coroutine
    object, or a plain callable; arguments are evaluated by the caller.

    The seed's path (newproc -> newproc1 -> runqput -> wakep) with newproc1 and
    runqput inlined for the common case - a function or bound method, on an M
    that holds a P, no tracer or debug switch - which saves ``gort.go`` two calls;
    every other case goes through ``newproc``.
    """
    s = sched
    if s is None or s.exiting or tracer is not None or debug_tracebackancestors or debug_randomize:
        return newproc(fn, args, kwargs or None, _getframe(1))
    try:
        mp = _tls.m
        pp = mp.p
    except AttributeError:  # a foreign OS thread
        return newproc(fn, args, kwargs or None, _getframe(1))
    t = type(fn)
    if t is _FunctionType:
        code = fn.__code__
    elif t is _MethodType and type(fn.__func__) is _FunctionType:  # e.g. go(wg.done)
        code = fn.__func__.__code__
    else:
        return newproc(fn, args, kwargs or None, _getframe(1))
    if pp is None:
        return newproc(fn, args, kwargs or None, _getframe(1))
    # --- newproc1, inlined
    if code.co_flags & _CO_COROUTINE:
        coro: Any = fn(*args, **kwargs) if kwargs else fn(*args)
    else:
        coro = None
    gf = pp.gfree
    if gf:
        try:
            newg = gf.pop()
        except IndexError:
            newg = gfget(s, pp) or _malg_dead(s)
    else:
        newg = gfget(s, pp) or _malg_dead(s)
    if newg.status != _Gdead:
        raise throw("newproc1: new g is not Gdead")
    if coro is None:
        if kwargs:
            newg.fn = functools.partial(fn, *args, **kwargs)
            newg.args = ()
        else:
            newg.fn = fn
            newg.args = args
    else:
        newg.coro = coro
    newg.startpc = fn
    callergp = mp.curg
    if callergp is not None:
        newg.parent_goid = callergp.goid
        if callergp.labels is not None:
            newg.labels = callergp.labels
    else:
        newg.parent_goid = 0
    frame = _getframe(1)
    newg.gopc = frame.f_code
    newg.gopc_lasti = frame.f_lasti
    newg.status = _Grunnable
    try:
        # not "if cache: popleft()": the M that sysmon took pp from may still be
        # spawning on it beside the new owner, and the check could go stale
        newg.goid = pp.goidcache.popleft()
    except IndexError:
        newg.goid = _newgoid(s, pp)
    # --- runqput(pp, newg, next=True), inlined
    rn = pp.runnext
    old = rn.pop(0, None)
    if rn.setdefault(0, newg) is not newg:  # see goready
        runqput_tail(s, pp, newg)
    if old is not None:
        q = pp.runq
        if len(q) < RUNQ_SIZE:
            q.append(old)
        else:
            runqputslow(s, pp, old)
    if mp.p is not pp:
        _rescue_idle_p(s, pp)
    if s.npidle and not s.nmspinning and s.main_started:
        wakep(s)
    return None


def _ready_on(s: Sched, mp: M, pp: P, gp: G) -> None:
    """runqput(pp, gp, next=True) for a G made runnable by the M holding ``pp``.

    If sysmon took ``pp`` away from this M meanwhile, the P may have gone idle
    with ``gp`` on its queue, where nobody would look: re-check and rescue.
    """
    if debug_randomize and random.getrandbits(1):
        runqput(s, pp, gp, False)
    else:
        runqput(s, pp, gp, True)
    if mp.p is not pp:
        _rescue_idle_p(s, pp)


def _rescue_idle_p(s: Sched, pp: P) -> None:
    with s.lock:
        if pp.status == _Pidle and not runqempty(pp) and pp in s.pidle:
            s.pidle.remove(pp)
            s.npidle -= 1
            startm_locked(s, pp, False)


# ---------------------------------------------------------------------------
# ready / park / gosched


def goready(gp: G) -> None:
    """Make waiting ``gp`` runnable, in the current P's runnext (Go's goready/ready).

    Called by the waker after taking ``gp`` off the wait queue of the object it
    waited on, under that object's lock (the lock may be released already).
    This is the hot path of every hand-off: runqput is inlined.
    """
    s: Sched = sched  # type: ignore[assignment]  # checked just below
    if gp.sched is not s:
        # a goroutine of a runtime that has ended (an OS thread outside gort woke it
        # late): it must never run again, and never in another runtime
        raise RuntimeError(f"gort: goroutine {gp.goid} belongs to a runtime that has ended")
    if gp.status != _Gwaiting:
        raise throw(f"bad g->status in ready (goroutine {gp.goid}, status {gp.status})")
    gp.status = _Grunnable
    if tracer is not None:
        tracer.go_unblock(gp)
    try:
        mp = _tls.m
        pp = mp.p
    except AttributeError:  # a foreign thread
        mp = pp = None
    if pp is None or debug_randomize:
        if pp is None:
            with s.lock:
                globrunqput(s, gp)
            wakep(s)
            return
        _ready_on(s, mp, pp, gp)
    else:
        # runqput(pp, gp, next=True), inlined
        rn = pp.runnext
        old = rn.pop(0, None)
        if rn.setdefault(0, gp) is not gp:
            # another M filled runnext between the pop and here (one that sysmon
            # just took this P from, finishing its own goready): gp goes to the tail
            runqput_tail(s, pp, gp)
        if old is not None:
            q = pp.runq
            if len(q) < RUNQ_SIZE:
                q.append(old)
            else:
                runqputslow(s, pp, old)
        if mp.p is not pp:  # sysmon took the P meanwhile: do not strand gp
            _rescue_idle_p(s, pp)
    if s.npidle and not s.nmspinning:
        wakep(s)


def ready_global(gp: G) -> None:
    """Ready ``gp`` onto the global queue (used by threads without a P: sysmon, timers)."""
    s = sched
    assert s is not None
    if gp.status != _Gwaiting:
        raise throw("bad g->status in ready")
    gp.status = _Grunnable
    gp.waitreason = waitReasonZero
    if tracer is not None:
        tracer.go_unblock(gp)
    with s.lock:
        globrunqput(s, gp)
    wakep(s)


def injectglist(s: Sched, glist: list[G]) -> None:
    """Make a list of waiting Gs runnable (netpoll results), as Go's injectglist does.

    From an M without a P (sysmon, the poller that found no idle P): all to the
    global queue, and an M started for each idle P, up to one per G. From an M
    holding a P: one G per idle P to the global queue (with an M started for each
    of those Ps), and the rest to this P's local queue, which this M runs next;
    what does not fit goes to the global queue. No ``sched.lock`` in the common
    case of a busy runtime (no idle P).
    """
    if not glist:
        return
    for gp in glist:
        if gp.status != _Gwaiting:
            raise throw(f"injectglist: bad g status {gp.status} for goroutine {gp.goid}")
        gp.status = _Grunnable
        gp.waitreason = waitReasonZero
    tr = tracer
    if tr is not None:
        for gp in glist:
            tr.go_unblock(gp)
    mp: M | None = getattr(_tls, "m", None)
    pp = mp.p if mp is not None else None
    if mp is None or pp is None:
        with s.lock:
            globrunqputbatch(s, glist)
        nglobal = len(glist)
    else:
        nglobal = min(s.npidle, len(glist))  # unlocked: the wakep below covers a race
        if nglobal:
            with s.lock:
                globrunqputbatch(s, glist[:nglobal])
            glist = glist[nglobal:]
        q = pp.runq
        room = RUNQ_SIZE - len(q)  # only this M pushes: the room can only grow
        if room >= len(glist):
            q.extend(glist)
        else:
            if room > 0:
                q.extend(glist[:room])
            with s.lock:
                globrunqputbatch(s, glist[max(room, 0) :])
        if mp.p is not pp:  # sysmon took the P meanwhile: do not strand the Gs
            _rescue_idle_p(s, pp)
    # an M for each idle P, up to one per G put on the global queue
    for _ in range(nglobal):
        if not s.npidle or not startm(s, None, False):
            break
    if pp is not None:
        # a P that went idle after npidle was read would not look at the global
        # queue until something else woke it; wakep is a no-op while none is idle
        wakep(s)


@types.coroutine
def gopark(reason: str, lock: Any = None, unlockf: Callable[[G, Any], bool] | None = None) -> Any:
    """Park the calling goroutine (Go's gopark). ``lock``, if given, is held by the
    caller and released by the M after the G is marked waiting. ``unlockf(gp, lock)``
    runs instead when given; if it returns False the park is cancelled."""
    mp: M = _tls.m
    gp = mp.curg
    assert gp is not None
    gp.waitreason = reason
    mp.waitlock = lock
    mp.waitunlockf = unlockf
    yield TRAP_PARK


@types.coroutine
def gosched() -> Any:
    """runtime.Gosched: yield the processor; the G goes to the global run queue."""
    yield TRAP_GOSCHED


@types.coroutine
def goyield() -> Any:
    """Go's goyield: like Gosched, but to the tail of the local run queue."""
    yield TRAP_YIELD


@types.coroutine
def preempt_check() -> Any:
    """A cooperative preemption point: yield if sysmon asked this G to."""
    mp = getattr(_tls, "m", None)
    if mp is not None:
        gp = mp.curg
        if gp is not None and gp.preempt:
            gp.preempt = False
            yield TRAP_PREEMPT


# ---------------------------------------------------------------------------
# M and P management: acquirep, releasep, pidleput/get, mput/get, startm, stopm,
# handoffp, wakep


def acquirep(s: Sched, mp: M, pp: P) -> None:
    if mp.p is not None:
        raise throw("wirep: already in go")
    if pp.m is not None or pp.status != _Pidle:
        raise throw(f"wirep: invalid p state (P{pp.id} status {pp.status})")
    mp.p = pp
    pp.m = mp
    casp(pp, _Pidle, _Prunning)
    if tracer is not None:
        tracer.proc_start(pp, mp)


def releasep(s: Sched, mp: M) -> P:
    pp = mp.p
    if pp is None or pp.m is not mp:
        raise throw("releasep: invalid arg")
    if tracer is not None:
        tracer.proc_stop(pp, mp)
    mp.p = None
    pp.m = None
    casp(pp, _Prunning, _Pidle)
    return pp


def pidleput(s: Sched, pp: P) -> bool:
    """Put an unowned P on the idle list (sched.lock held). False if it has work.

    Go throws "pidleput: P has non-empty run queue". Here a G can land in a P's
    queue between its new owner's last look and this call: the M that sysmon took
    the P from may still be finishing a ready into it (see proc's essay). So a P
    with work is refused, and the caller starts an M for it instead.
    """
    if not runqempty(pp):
        return False
    s.pidle.append(pp)
    s.npidle += 1
    return True


def pidleget(s: Sched) -> P | None:
    """sched.lock held."""
    if s.pidle:
        s.npidle -= 1
        return s.pidle.pop()
    return None


def mput(s: Sched, mp: M) -> None:
    """sched.lock held."""
    s.midle.append(mp)
    s.nmidle += 1
    checkdead(s)


def mget(s: Sched) -> M | None:
    """sched.lock held."""
    if s.midle:
        s.nmidle -= 1
        return s.midle.pop()
    return None


def mcount(s: Sched) -> int:
    return s.mnext - s.nmfreed


def newm(s: Sched, pp: P | None, spinning: bool) -> M:
    """Start a new M (OS thread) that will run with ``pp``. sched.lock held."""
    if mcount(s) >= MAX_MCOUNT:
        raise throw("thread exhaustion")
    mp = M(s.mnext)
    s.mnext += 1
    s.allm.append(mp)
    mp.nextp = pp
    mp.spinning = spinning
    t = threading.Thread(target=_mstart_thread, args=(s, mp), name=f"gort-M{mp.id}", daemon=True)
    mp.thread = t
    t.start()
    return mp


def startm_locked(s: Sched, pp: P | None, spinning: bool) -> bool:
    """Go's startm with sched.lock held: run ``pp`` (or an idle P) on an idle or new M."""
    if s.exiting:
        return False
    if pp is None:
        if spinning:
            raise throw("startm: P required for spinning=true")
        pp = pidleget(s)
        if pp is None:
            return False
    nmp = mget(s)
    if nmp is None:
        newm(s, pp, spinning)
        return True
    if nmp.spinning:
        raise throw("startm: m is spinning")
    if nmp.p is not None:
        raise throw("startm: m has p")
    nmp.spinning = spinning
    nmp.nextp = pp
    nmp.park.wakeup()
    return True


def startm(s: Sched, pp: P | None, spinning: bool) -> bool:
    with s.lock:
        return startm_locked(s, pp, spinning)


def wakep(s: Sched) -> None:
    """Try to add one more spinning M to run goroutines on an idle P."""
    # Unlocked reads (here and in goready/newproc's callers): a stale view only costs
    # one needless attempt (re-checked under the lock below) or skips one while an M
    # is spinning, and a spinning M re-checks every run queue after it stops
    # spinning (find_runnable), as in Go's "delicate dance": no wakeup is lost.
    if s.nmspinning or not s.npidle:
        return
    with s.lock:
        if s.nmspinning or s.exiting:
            return
        pp = pidleget(s)
        if pp is None:
            return
        s.nmspinning += 1
        if not startm_locked(s, pp, True):
            s.nmspinning -= 1
            pidleput(s, pp)  # only when exiting: a P left with work does not matter


def handoffp_locked(s: Sched, pp: P) -> None:
    """Hand off a P that its M gave up (syscall, retake): sched.lock held, pp unowned."""
    if s.gcwaiting:
        casp(pp, pp.status, _Pgcstop) if pp.status != _Pgcstop else None
        s.stopwait -= 1
        if s.stopwait == 0:
            s.stopnote.notify_all()
        return
    if pp.status != _Pidle:
        casp(pp, pp.status, _Pidle)
    if not runqempty(pp) or s.runq:
        startm_locked(s, pp, False)
        return
    if s.nmspinning + s.npidle == 0:
        s.nmspinning += 1
        startm_locked(s, pp, True)
        return
    if _timers.has_timers(pp) or not pidleput(s, pp):
        startm_locked(s, pp, False)


def stopm(s: Sched, mp: M) -> bool:
    """Park this M until another M hands it a P. Returns False if the runtime is exiting."""
    if mp.p is not None:
        raise throw("stopm holding p")
    if mp.spinning:
        raise throw("stopm spinning")
    with s.lock:
        if s.exiting:
            return False
        mput(s, mp)
        if s.exiting:  # checkdead ended the program
            return False
    mp.blocked = True
    mp.park.sleep()
    mp.blocked = False
    if s.exiting:
        return False
    pp = mp.nextp
    mp.nextp = None
    if pp is None:
        return stopm(s, mp)
    acquirep(s, mp, pp)
    return True


# ---------------------------------------------------------------------------
# The scheduler loop


def _mstart_thread(s: Sched, mp: M) -> None:
    _tls.m = mp
    try:
        pp = mp.nextp
        mp.nextp = None
        if pp is not None:
            acquirep(s, mp, pp)
            schedule(s, mp)
    except BaseException as e:  # a runtime bug: report it as a fatal error
        _fatal_runtime_error(s, e)
    finally:
        _tls.m = None


def _fatal_runtime_error(s: Sched, e: BaseException) -> None:
    if not isinstance(e, FatalError):
        err = FatalError(f"gort runtime error: {e!r}")
        err.__cause__ = e
        e = err
    initiate_exit(s, ("raise", e))


def schedule(s: Sched, mp: M) -> None:
    """One M's scheduler loop (Go's schedule + execute + the trap handlers).

    Returns when the runtime is exiting. This is the hottest loop of gort:
    every switch between goroutines runs one iteration, so the common path
    (runnext or local queue -> send -> park) is kept inline.
    """
    ts_due = _timers.due
    check_timers = _timers.check_timers
    while True:
        if s.exiting:
            return
        if s.gcwaiting:
            if not gcstopm(s, mp):
                return
            continue
        pp = mp.p
        if pp is None:
            if not stopm(s, mp):
                return
            continue
        # --- pick a G: the global queue every 61 ticks (fairness), due timers,
        # runnext, the local queue, then find_runnable (which may block).
        gp: G | None = None
        inherit = False
        if pp.schedtick % SCHED_GLOBAL_EVERY == 0 and s.runq:
            with s.lock:
                gp = globrunqget(s, pp, 1)
        if gp is None:
            if pp.timers.heap and ts_due(pp):
                check_timers(s, pp)
            if pp.preempt:  # sysmon ended the time slice: runnext does not inherit it
                pp.preempt = False
                gp = pp.runnext.pop(0, None)
                if gp is not None:
                    runqput_tail(s, pp, gp)
                    gp = None
            gp = pp.runnext.pop(0, None)
            if gp is not None:
                inherit = True
            else:
                try:
                    gp = pp.runq.popleft()
                except IndexError:
                    gp, inherit = find_runnable(s, mp)
                    if gp is None:
                        return
                    pp = mp.p
                    assert pp is not None
        if mp.spinning:
            resetspinning(s, mp)
        # --- execute(gp, inherit)
        if gp.status != _Grunnable:
            raise throw(f"execute: bad g status {gp.status} for goroutine {gp.goid}")
        gp.status = _Grunning
        mp.curg = gp
        if gp.preempt:  # sysmon asked for a new time slice
            gp.preempt = False
            pp.schedtick += 1
        elif not inherit:
            pp.schedtick += 1
        if tracer is not None:
            tracer.go_start(gp, pp, mp)
        try:
            coro = gp.coro
            if coro is None:  # a plain callable: run it to completion on this M
                fn = gp.fn
                r = fn(*gp.args)  # type: ignore[misc]
                if type(r) is CoroutineType:  # it returned a coroutine: run that here
                    gp.fn = None
                    gp.args = ()
                    gp.coro = r
                    trap = r.send(None)
                else:
                    trap = 0
                    gp.param = r  # the return value, for main
            else:
                trap = coro.send(None)
        except StopIteration as stop:
            goexit0(s, mp, gp, stop.value)
            continue
        except Goexit:
            goexit0(s, mp, gp, None, goexited=True)
            continue
        except ExitProgram as e:
            mp.curg = None
            initiate_exit(s, ("exit", e.code))
            return
        except BaseException as e:  # an uncaught exception: Go's fatal panic
            mp.curg = None
            fatalpanic(s, gp, e)
            return
        # --- the trap handlers (Go's park_m, gosched_m, ...)
        if trap == TRAP_PARK:
            mp.curg = None
            if gp.status != _Grunning:
                raise throw("gopark: bad g status")
            gp.status = _Gwaiting
            if tracer is not None:
                tracer.go_block(gp, pp)
            f = mp.waitunlockf
            if f is None:
                lk = mp.waitlock
                if lk is not None:
                    mp.waitlock = None
                    lk.release()
            else:
                lk = mp.waitlock
                mp.waitunlockf = None
                mp.waitlock = None
                if not f(gp, lk):
                    # the park was cancelled: run gp again at once
                    gp.status = _Grunnable
                    runqput(s, pp, gp, True)
        elif trap == 0:  # a plain callable finished
            goexit0(s, mp, gp, gp.param)
            continue
        elif trap == TRAP_GOSCHED or trap == TRAP_PREEMPT:
            mp.curg = None
            casgstatus(gp, _Grunning, _Grunnable)
            gp.preempt = False
            if tracer is not None:
                tracer.go_stop(gp, pp, trap == TRAP_PREEMPT)
            with s.lock:
                globrunqput(s, gp)
            if s.main_started:
                wakep(s)
        elif trap == TRAP_YIELD:
            mp.curg = None
            casgstatus(gp, _Grunning, _Grunnable)
            if tracer is not None:
                tracer.go_stop(gp, pp, True)
            if mp.p is pp:
                pp.runq.append(gp)
            else:
                with s.lock:
                    globrunqput(s, gp)
        elif trap == TRAP_EXITSYSCALL:
            exitsyscall0(s, mp, gp)
            continue
        else:
            mp.curg = None
            raise throw(
                f"schedule: goroutine {gp.goid} yielded {trap!r} to the scheduler "
                "(awaited a foreign awaitable? goroutines may only await gort operations)"
            )
        if mp.p is not pp:
            _lost_p(s, mp)


def _lost_p(s: Sched, mp: M) -> None:
    """sysmon took this M's P while its goroutine ran (exitsyscall's slow half).

    (``mp.p`` may also have changed under the goroutine for a good reason:
    procresize moves an M whose P is destroyed to P0. Then there is nothing to do.)
    """
    if mp.p is not None:
        return
    with s.lock:
        pp = pidleget(s)
    if pp is not None:
        acquirep(s, mp, pp)


def goexit0(s: Sched, mp: M, gp: G, result: Any, goexited: bool = False) -> None:
    """The goroutine ended (Go's goexit1 -> goexit0 -> gdestroy)."""
    mp.curg = None
    if gp is s.main_g:
        if goexited:
            # main called Goexit: the others go on; checkdead reports when none is left
            casgstatus(gp, _Grunning, _Gdead)
            gp.coro = None
            s.main_goexited = True
            with s.lock:
                checkdead_running(s)
            if mp.p is None:
                _lost_p(s, mp)
            return
        initiate_exit(s, ("return", result))
        return
    if tracer is not None:
        tracer.go_end(gp)
    if gp.status != _Grunning:
        raise throw(f"goexit0: bad g status {gp.status}")
    gp.status = _Gdead  # gdestroy: drop what the goroutine referenced
    gp.coro = None
    gp.param = None
    gp.preempt = False
    if gp.labels is not None:
        gp.labels = None
    if gp.ancestors is not None:
        gp.ancestors = None
    if gp.fn is not None:
        gp.fn = None
        gp.args = ()
    pp = mp.p
    if pp is not None:
        gf = pp.gfree  # gfput, inlined
        gf.append(gp)
        if len(gf) >= GFREE_MAX_LOCAL:
            _gfput_spill(s, pp)
        if pp is not mp.p:
            _lost_p(s, mp)
    else:
        with s.lock:
            s.gfree.append(gp)
        _lost_p(s, mp)


def resetspinning(s: Sched, mp: M) -> None:
    """This M found work while spinning: stop spinning and wake another to replace it."""
    mp.spinning = False
    with s.lock:
        s.nmspinning -= 1
        if s.nmspinning < 0:
            raise throw("findrunnable: negative nmspinning")
    wakep(s)


def find_runnable(s: Sched, mp: M) -> tuple[G | None, bool]:
    """Find a runnable goroutine, blocking this M when there is none (Go's findRunnable).

    Returns (None, False) when the runtime is exiting.
    """
    while True:
        if s.exiting:
            return None, False
        if s.gcwaiting:
            if not gcstopm(s, mp):
                return None, False
            continue
        pp = mp.p
        if pp is None:  # sysmon took it: this M has nothing left to spin with
            if mp.spinning:
                with s.lock:
                    mp.spinning = False
                    s.nmspinning -= 1
            if not stopm(s, mp):
                return None, False
            continue
        now = _nanotime()
        poll_until = 0
        if pp.timers is not None and pp.timers.heap:
            poll_until = _timers.check_timers(s, pp, now)
        # local run queue
        gp, inherit = runqget(pp)
        if gp is not None:
            return gp, inherit
        # global run queue
        if s.runq:
            with s.lock:
                gp = globrunqget(s, pp, 0)
            if gp is not None:
                return gp, False
        # network poller, without blocking
        if _netpoll.netpollinited() and _netpoll.netpoll_anywaiters() and s.lastpoll != 0:
            glist = _netpoll.netpoll(0)
            if glist:
                gp = glist.pop()
                injectglist(s, glist)
                casgstatus(gp, _Gwaiting, _Grunnable)
                gp.waitreason = waitReasonZero
                if tracer is not None:
                    tracer.go_unblock(gp)
                return gp, False
        # steal work from other Ps
        if mp.spinning or 2 * s.nmspinning < s.gomaxprocs - s.npidle:
            if not mp.spinning:
                with s.lock:
                    mp.spinning = True
                    s.nmspinning += 1
            gp, w, newwork = steal_work(s, mp, pp, now)
            if gp is not None:
                return gp, False
            if newwork:
                continue
            if w and (poll_until == 0 or w < poll_until):
                poll_until = w
        else:
            # Not allowed to spin, but a due timer on a P whose M is stuck in a
            # goroutine would otherwise make this M loop (netpoll(0) until due ->
            # acquire -> release) until someone else ran it: run it here.
            ran = False
            for p2 in s.allp:
                if p2 is not pp and p2.timers.heap and _timers.due(p2):
                    _timers.check_timers(s, p2, now)
                    ran = True
            if ran:
                gp, inherit = runqget(pp)
                if gp is not None:
                    return gp, inherit
                continue
        # nothing: give up the P
        with s.lock:
            if s.gcwaiting or s.exiting:
                continue
            if s.runq:
                gp = globrunqget(s, pp, 0)
                return gp, False
            if not runqempty(pp):
                continue
            if mp.p is not pp:  # sysmon took it meanwhile
                continue
            releasep(s, mp)
            if not pidleput(s, pp):  # work arrived meanwhile: keep the P
                acquirep(s, mp, pp)
                continue
        was_spinning = mp.spinning
        if mp.spinning:
            mp.spinning = False
            with s.lock:
                s.nmspinning -= 1
                if s.nmspinning < 0:
                    raise throw("findrunnable: negative nmspinning")
                if s.runq:
                    pp2 = pidleget(s)
                    if pp2 is not None:
                        acquirep(s, mp, pp2)
                        mp.spinning = True
                        s.nmspinning += 1
                        gp = globrunqget(s, pp2, 0)
                        return gp, False
            # a P with work that is not idle? then take an idle P and look again
            if _check_runqs_nop(s):
                with s.lock:
                    pp2 = pidleget(s)
                    if pp2 is not None:
                        acquirep(s, mp, pp2)
                        mp.spinning = True
                        s.nmspinning += 1
                if mp.p is not None:
                    continue
        # earliest timer of every P
        w = _timers.earliest(s)
        if w and (poll_until == 0 or w < poll_until):
            poll_until = w
        # block in the network poller until I/O or the next timer (one M at a time)
        if (_netpoll.netpoll_anywaiters() or poll_until) and _netpoll.try_become_poller(s):
            # re-read now that we are the poller: a timer stopped or added since the
            # scan above must not leave us sleeping on a stale deadline
            poll_until = _timers.earliest(s)
            if not poll_until and not _netpoll.netpoll_anywaiters():
                _netpoll.release_poller(s)
                if not stopm(s, mp):
                    return None, False
                continue
            delay = -1 if poll_until == 0 else max(0, poll_until - _nanotime())
            s.poll_until = poll_until
            try:
                glist = _netpoll.netpoll(delay)
            finally:
                s.poll_until = 0
                _netpoll.release_poller(s)
            with s.lock:
                if s.exiting:
                    return None, False
                pp2 = pidleget(s)
            if pp2 is None:
                injectglist(s, glist)
                if not stopm(s, mp):
                    return None, False
                continue
            acquirep(s, mp, pp2)
            if poll_until and _nanotime() >= poll_until:
                # the timer we woke for may be on another P's heap, which this M
                # reaches only in a stealing pass it may not be allowed to make
                _timers.check_all(s)
            if glist:
                gp = glist.pop()
                injectglist(s, glist)
                casgstatus(gp, _Gwaiting, _Grunnable)
                gp.waitreason = waitReasonZero
                if tracer is not None:
                    tracer.go_unblock(gp)
                return gp, False
            if was_spinning:
                with s.lock:
                    mp.spinning = True
                    s.nmspinning += 1
            continue
        elif poll_until and _netpoll.netpollinited():
            _netpoll.wake_poller_if_later(s, poll_until)
        if not stopm(s, mp):
            return None, False


def _check_runqs_nop(s: Sched) -> bool:
    for p2 in s.allp:
        if p2.status == _Prunning and not runqempty(p2):
            return True
    return False


_coprimes_cache: dict[int, list[int]] = {}


def _steal_order(n: int) -> list[int]:
    """Go's randomOrder: a random start and a random step coprime with n."""
    cp = _coprimes_cache.get(n)
    if cp is None:
        import math

        cp = [i for i in range(1, n + 1) if math.gcd(i, n) == 1]
        _coprimes_cache[n] = cp
    r = random.getrandbits(32)
    pos = r % n
    inc = cp[(r // n) % len(cp)]
    order = []
    for _ in range(n):
        order.append(pos)
        pos = (pos + inc) % n
    return order


def steal_work(s: Sched, mp: M, pp: P, now: int) -> tuple[G | None, int, bool]:
    """Four passes over every P in random order (Go's stealWork).

    Returns (G or None, earliest timer seen, new work: look again).
    """
    allp = s.allp
    n = len(allp)
    poll_until = 0
    ran_timer = False
    for i in range(STEAL_TRIES):
        last = i == STEAL_TRIES - 1
        for idx in _steal_order(n):
            if s.gcwaiting or s.exiting:
                return None, 0, True
            p2 = allp[idx]
            if p2 is pp:
                continue
            if last and p2.timers is not None and p2.timers.heap:
                w = _timers.check_timers(s, p2, now)
                if w and (poll_until == 0 or w < poll_until):
                    poll_until = w
                if _timers.ran_any(p2):
                    ran_timer = True
                    gp, _ = runqget(pp)
                    if gp is not None:
                        return gp, 0, False
            if p2.status != _Pidle:
                gp = runqsteal(pp, p2, last)
                if gp is not None:
                    s.steals += 1
                    return gp, 0, False
    return None, poll_until, ran_timer


# ---------------------------------------------------------------------------
# Blocking calls: entersyscall / exitsyscall


def entersyscall(s: Sched, mp: M) -> None:
    """The goroutine is about to block in a call: leave its P for sysmon to retake."""
    gp = mp.curg
    assert gp is not None
    if tracer is not None:  # before the P is released, as Go: sysmon may take it at once
        tracer.go_syscall_begin(gp)
    with s.lock:
        casgstatus(gp, _Grunning, _Gsyscall)
        s.nsyscall += 1
        pp = mp.p  # read under the lock: sysmon may have just taken it
        if pp is None or pp.m is not mp or pp.status != _Prunning:
            mp.oldp = None  # already lost (retaken while the goroutine ran)
        else:
            mp.syscalltick = pp.syscalltick
            mp.oldp = pp
            mp.p = None
            pp.m = None
            casp(pp, _Prunning, _Psyscall)
            if s.gcwaiting:
                casp(pp, _Psyscall, _Pgcstop)
                s.stopwait -= 1
                if s.stopwait == 0:
                    s.stopnote.notify_all()
        if s.sysmonwait:
            s.sysmonwait = False
            s.sysmonnote.wakeup()


def exitsyscall(s: Sched, mp: M) -> bool:
    """Fast path: get the old P back, or any idle P. False: go through exitsyscall0."""
    gp = mp.curg
    assert gp is not None
    oldp = mp.oldp
    mp.oldp = None
    with s.lock:
        s.nsyscall -= 1
        if oldp is not None and oldp.status == _Psyscall and oldp.m is None:
            casp(oldp, _Psyscall, _Prunning)
            oldp.m = mp
            mp.p = oldp
            oldp.syscalltick += 1
            casgstatus(gp, _Gsyscall, _Grunning)
            ok = True
        elif not s.gcwaiting and (pp := pidleget(s)) is not None:
            mp.p = pp
            pp.m = mp
            casp(pp, _Pidle, _Prunning)
            pp.syscalltick += 1
            casgstatus(gp, _Gsyscall, _Grunning)
            ok = True
        else:
            ok = False
    if tracer is not None:
        tracer.go_syscall_end(gp, ok)
    return ok


def exitsyscall0(s: Sched, mp: M, gp: G) -> None:
    """No P to come back to: the G waits in the global queue, this M stops."""
    mp.curg = None
    with s.lock:
        if gp.status == _Gsyscall:
            casgstatus(gp, _Gsyscall, _Grunnable)
        else:
            casgstatus(gp, _Grunning, _Grunnable)
        pp = None if s.gcwaiting else pidleget(s)
        if pp is None:
            globrunqput(s, gp)
    if pp is not None:
        acquirep(s, mp, pp)
        runqput(s, pp, gp, True)


@types.coroutine
def blocking(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Run ``fn(*args)`` on this goroutine's M with its P released (entersyscall/exitsyscall)."""
    s = sched
    mp: M | None = getattr(_tls, "m", None)
    if s is None or mp is None or mp.curg is None:
        raise RuntimeError("gort.blocking: not called from a goroutine")
    entersyscall(s, mp)
    try:
        result = fn(*args)
        exc = None
    except BaseException as e:  # re-raised in the goroutine below
        result = None
        exc = e
    if not exitsyscall(s, mp):
        yield TRAP_EXITSYSCALL
    if exc is not None:
        raise exc
    return result


# ---------------------------------------------------------------------------
# Stop the world / start the world, procresize


def stop_the_world(s: Sched, reason: str) -> None:
    """Stop every P except the caller's (Go's stopTheWorld). Called from a goroutine."""
    mp = getm()
    with s.lock:
        while s.gcwaiting:  # another STW in progress: wait for it to end
            s.stopnote.wait(0.01)
        s.gcwaiting = True
        s.stopwait = len(s.allp)
        if mp is not None and mp.p is not None:
            pp = mp.p
            casp(pp, _Prunning, _Pgcstop)
            s.stopwait -= 1
        for p2 in s.allp:
            if p2.status == _Psyscall:
                casp(p2, _Psyscall, _Pgcstop)
                s.stopwait -= 1
        while s.pidle:
            p2 = s.pidle.pop()
            s.npidle -= 1
            casp(p2, _Pidle, _Pgcstop)
            s.stopwait -= 1
        for p2 in s.allp:
            m2 = p2.m  # each read once: the running M changes them without our lock
            g2 = m2.curg if m2 is not None else None
            if p2.status == _Prunning and g2 is not None:
                g2.preempt = True
        _netpoll.netpoll_break()
        while s.stopwait > 0 and not s.exiting:
            s.stopnote.wait(0.005)
            if s.sysmonwait:
                s.sysmonwait = False
                s.sysmonnote.wakeup()


def start_the_world(s: Sched, newprocs: int = 0) -> None:
    mp = getm()
    with s.lock:
        if newprocs:
            procresize(s, newprocs, mp)
        s.gcwaiting = False
        mine = mp.p if mp is not None else None
        if mine is not None and mine.status == _Pgcstop:
            casp(mine, _Pgcstop, _Prunning)
        for p2 in s.allp:
            if p2 is mine or p2.status != _Pgcstop:
                continue
            casp(p2, _Pgcstop, _Pidle)
            if _timers.has_timers(p2) or not pidleput(s, p2):
                startm_locked(s, p2, False)
        s.stopnote.notify_all()
    wakep(s)


def gcstopm(s: Sched, mp: M) -> bool:
    """A stop-the-world is pending: give up the P and sleep until the world starts."""
    if mp.spinning:
        mp.spinning = False
        with s.lock:
            s.nmspinning -= 1
    pp = mp.p
    if pp is not None:
        with s.lock:
            if not s.gcwaiting:
                return True
            if tracer is not None:
                tracer.proc_stop(pp, mp)
            mp.p = None
            pp.m = None
            casp(pp, _Prunning, _Pgcstop)
            s.stopwait -= 1
            if s.stopwait == 0:
                s.stopnote.notify_all()
    return stopm(s, mp)


def procresize(s: Sched, nprocs: int, mp: M | None) -> None:
    """Change the number of Ps (world stopped, sched.lock held)."""
    if nprocs <= 0:
        raise throw("procresize: invalid arg")
    old = len(s.allp)
    while len(s.allp) < nprocs:
        pp = P(len(s.allp))
        pp.timers = _timers.Timers()
        s.allp.append(pp)
    for pp in s.allp[:nprocs]:
        if pp.status == _Pdead:
            casp(pp, _Pdead, _Pgcstop)
    if nprocs < old:
        keep = s.allp[0]
        if mp is not None and mp.p is not None and mp.p.id >= nprocs:
            # the caller's P goes away: switch it to P0
            mine = mp.p
            mine.m = None
            mp.p = None
            if keep.m is not None:
                raise throw("procresize: P0 is owned")
            mp.p = keep
            keep.m = mp
        for pp in s.allp[nprocs:]:
            # destroy: local queue to the head of the global queue, in order
            for gp in reversed(runqdrain(pp)):
                globrunqputhead(s, gp)
            s.gfree.extend(pp.gfree)
            pp.gfree.clear()
            _timers.move_timers(pp, keep)
            pp.goidcache.clear()
            if pp.status == _Prunning:
                pp.status = _Pgcstop
            casp(pp, pp.status, _Pdead)
        del s.allp[nprocs:]
    s.gomaxprocs = nprocs
    if tracer is not None:
        tracer.procs_change(nprocs)


# ---------------------------------------------------------------------------
# Deadlock detection


def checkdead(s: Sched) -> None:
    """Called with sched.lock held whenever an M goes idle (Go's checkdead)."""
    if s.exiting:
        return
    run = mcount(s) - s.nmidle - s.nmidlelocked - s.nmsys
    if run > 0:
        return
    if run < 0:
        raise throw(
            f"checkdead: inconsistent counts: nmidle={s.nmidle} mcount={mcount(s)} nmsys={s.nmsys}"
        )
    checkdead_running(s, verify=True)


def checkdead_running(s: Sched, verify: bool = False) -> None:
    """The deadlock decision proper. sched.lock held."""
    if not verify:
        run = mcount(s) - s.nmidle - s.nmidlelocked - s.nmsys
        if run > 1:  # the caller itself is running
            return
    grunning = 0
    for gp in s.allgs:
        if gp.issystem:
            continue
        st = gp.status
        if st == _Gwaiting:
            grunning += 1
        elif st in (_Grunnable, _Grunning, _Gsyscall):
            if verify:
                raise throw(f"checkdead: runnable g: goroutine {gp.goid} in status {st}")
            return
    if s.runq or s.nsyscall:
        return
    if grunning == 0:
        if s.main_goexited:
            _deadlock(s, "no goroutines (main called runtime.Goexit) - deadlock!")
        return
    for pp in s.allp:
        if _timers.has_timers(pp):
            return
    if _netpoll.netpoll_anywaiters():
        return
    _deadlock(s, "all goroutines are asleep - deadlock!")


def _deadlock(s: Sched, msg: str) -> None:
    from .traceback import dump_all_locked

    dump = dump_all_locked(s, None)
    initiate_exit_locked(s, ("raise", Deadlock(msg, dump)))


# ---------------------------------------------------------------------------
# Panics and exit


def fatalpanic(s: Sched, gp: G, e: BaseException) -> None:
    """An exception escaped goroutine ``gp``: the program ends and run() re-raises it."""
    from .traceback import goroutine_note

    try:
        e.add_note(goroutine_note(gp))
    except Exception:  # pragma: no cover - an exception type that refuses notes
        pass
    initiate_exit(s, ("raise", e))


def initiate_exit(s: Sched, result: Any) -> None:
    with s.lock:
        initiate_exit_locked(s, result)


def initiate_exit_locked(s: Sched, result: Any) -> None:
    if s.exiting:
        return
    s.exit_result = result
    s.exiting = True
    for mp in s.allm:
        mp.park.wakeup()
    s.sysmonnote.wakeup()
    s.stopnote.notify_all()
    _netpoll.netpoll_break()
    s.done.set()


# ---------------------------------------------------------------------------
# Bootstrap: run()


def default_gomaxprocs() -> int:
    env = os.environ.get("GOMAXPROCS", "")
    try:
        n = int(env)
        if n > 0:
            return n
    except ValueError:
        pass
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return 1 if gil else num_cpu()


def num_cpu() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def schedinit(gomaxprocs: int | None) -> Sched:
    parse_debug(os.environ.get("GORTDEBUG"))
    s = Sched()
    s.main_g = None
    s.main_goexited = False
    s.poll_until = 0
    s.poller = None
    procs = default_gomaxprocs() if gomaxprocs is None else gomaxprocs
    if procs <= 0:
        raise ValueError("gomaxprocs must be positive")
    with s.lock:
        procresize(s, procs, None)
        for pp in reversed(s.allp):
            casp(pp, _Pgcstop, _Pidle)
            pidleput(s, pp)
    return s


def run(main: Any, args: tuple[Any, ...], kwargs: dict[str, Any], gomaxprocs: int | None) -> Any:
    """Go's rt0_go -> schedinit -> newproc(runtime.main) -> mstart on the calling thread."""
    global sched
    if not _run_lock.acquire(False):
        raise RuntimeError("gort.run: a runtime is already running in this process")
    try:
        if gomaxprocs is not None and (not isinstance(gomaxprocs, int) or gomaxprocs <= 0):
            raise ValueError(f"gort.run: gomaxprocs must be a positive int, not {gomaxprocs!r}")
        if main is None:
            raise TypeError("go of nil func value")
        if not callable(main) and type(main) is not CoroutineType:
            raise TypeError(f"gort.run: main must be callable, not {type(main).__name__}")
        s = schedinit(gomaxprocs)
        m0 = M(0)
        s.mnext = 1
        s.allm.append(m0)
        m0.thread = threading.current_thread()
        sched = s
        _tls.m = m0
        _netpoll.netpollinit(s)
        with s.lock:
            pp = pidleget(s)
        assert pp is not None
        acquirep(s, m0, pp)
        if tracer is not None:
            tracer.start_runtime(s)
        # newproc(runtime.main): goid 1 in P0's runnext; mainStarted is still False
        frame = sys._getframe(2) if sys._getframe(1).f_back is not None else None
        try:
            newproc(main, args, kwargs, frame)
        except BaseException:
            sched = None
            _tls.m = None
            raise
        s.main_g = pp.runnext.get(0)
        # Go's runtime.main has been through scheduling rounds of its own (init
        # tasks, gcenable's goroutines) before it calls main.main, so main never
        # runs in a time slice whose schedtick is 0. Here it would (it starts from
        # runnext, which does not advance schedtick), and schedule's "global queue
        # when schedtick % 61 == 0" check would hand a gosched() of main straight
        # back to it: main's `go f(); Gosched()` would not let f run.
        pp.schedtick = 1
        s.main_started = True
        from .sysmon import start_sysmon

        start_sysmon(s)
        try:
            schedule(s, m0)
        except KeyboardInterrupt as e:  # Ctrl-C while m0 was in the scheduler
            initiate_exit(s, ("raise", e))
        except BaseException as e:
            _fatal_runtime_error(s, e)
        return _teardown(s, m0)
    finally:
        sched = None
        _tls.m = None
        _run_lock.release()


def _teardown(s: Sched, m0: M) -> Any:
    if not s.exiting:
        initiate_exit(s, ("raise", throw("schedule: m0 left the scheduler")))
    # stop and join every thread the runtime started
    deadline = time.monotonic() + 2.0
    for mp in list(s.allm):
        t = mp.thread
        if mp is m0 or t is None or t is threading.current_thread():
            continue
        mp.park.wakeup()
        t.join(max(0.0, deadline - time.monotonic()))
    st = getattr(s, "sysmon_thread", None)
    if st is not None:
        s.sysmonnote.wakeup()
        st.join(max(0.0, deadline - time.monotonic()))
    _netpoll.netpollclose(s)
    if tracer is not None:
        tracer.stop_runtime(s)
    # abandon the other goroutines without running their finally blocks
    for gp in s.allgs:
        c = gp.coro
        if c is not None:
            gp.coro = None
            _abandon(c)
    kind, val = s.exit_result
    if kind == "return":
        return val
    if kind == "exit":
        raise SystemExit(val)
    raise val


# Helper for the public API ------------------------------------------------


def gomaxprocs(n: int) -> int:
    s = sched
    if s is None:
        raise RuntimeError("gort.gomaxprocs: no runtime running")
    old = s.gomaxprocs
    if n <= 0 or n == old:
        return old
    stop_the_world(s, "GOMAXPROCS")
    start_the_world(s, n)
    return old


def numgoroutine() -> int:
    s = sched
    if s is None:
        return 0
    n = 0
    for gp in s.allgs:
        if gp.status not in (_Gdead, _Gidle) and not gp.issystem:
            n += 1
    return max(n, 1)

