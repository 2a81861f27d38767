"""sysmon: the monitor thread that runs without a P.

Mirrors ``sysmon`` and ``retake`` in Go's ``runtime/proc.go``.

sysmon wakes after 20 us, doubling its sleep after 50 idle rounds up to 10 ms,
and sleeps deeply (on ``sched.sysmonnote``) while every P is idle, so an idle
runtime uses no CPU. Each round it:

- retakes Ps from goroutines in blocking calls (``_Psyscall``), with Go's
  rules: not before one full sysmon round, and not while the P has nothing
  queued, another M is spinning or a P is idle, and the call is under 10 ms;
- asks a goroutine that has run for 10 ms without a scheduling point to yield
  (``gp.preempt``), and if it still has not come back 10 ms later while its P
  has other work, takes the P from it (the gort divergence described in
  proc.py: a coroutine cannot be preempted inside a frame);
- polls the network if nobody has for 10 ms;
- prints the ``SCHED`` line when ``GORTDEBUG=schedtrace=MS`` is set.

Locks: sysmon reads P fields without a lock to decide, then re-checks and
changes P state under ``sched.lock``.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from . import netpoll as _netpoll
from . import proc
from . import timers as _timers
from .runq import runqempty
from .runtime2 import FORCE_PREEMPT_NS, Sched, _Pidle, _Prunning, _Psyscall, casp

_nanotime = time.monotonic_ns


DEEP_SLEEP_MAX = 0.05  # seconds


def start_sysmon(s: Sched) -> None:
    with s.lock:
        s.mnext += 1
        s.nmsys += 1
    t = threading.Thread(target=sysmon, args=(s,), name="gort-sysmon", daemon=True)
    s.sysmon_thread = t
    t.start()


def sysmon(s: Sched) -> None:
    """sysmon's thread. A broken invariant here ends the program with a fatal error
    (run() raises it) rather than silently leaving the runtime without sysmon."""
    try:
        _sysmon_loop(s)
    except BaseException as e:
        proc._fatal_runtime_error(s, e)


def _sysmon_loop(s: Sched) -> None:
    idle = 0
    delay = 20e-6
    last_trace = 0
    while not s.exiting:
        if idle == 0:
            delay = 20e-6
        elif idle > 50:
            delay = min(delay * 2, 0.01)
        s.sysmonnote.sleep(delay)
        if s.exiting:
            return
        now = _nanotime()
        if not proc.debug_schedtrace and (s.gcwaiting or s.npidle == s.gomaxprocs):
            with s.lock:
                if s.npidle == s.gomaxprocs or s.gcwaiting:
                    s.sysmonwait = True
            if s.sysmonwait:
                # Go sleeps until the next timer or forcegcperiod/2 and is woken by
                # entersyscall, exitsyscall and start-the-world. A P can also start
                # running again from netpoll or a foreign thread's go(); rather than
                # wake sysmon on every acquirep (a futex wake and GIL contention
                # each time an idle server gets a packet), the deep sleep is capped
                # at 50 ms: ~20 wake-ups a second while idle, no CPU to speak of.
                w = _timers.earliest(s)
                sleep = DEEP_SLEEP_MAX if w == 0 else max(0.0, (w - now) / 1e9)
                s.sysmonnote.sleep(min(sleep, DEEP_SLEEP_MAX))
                with s.lock:
                    s.sysmonwait = False
                idle = 0
                continue
        # poll the network if it was not polled for more than 10 ms
        if (
            _netpoll.netpollinited()
            and _netpoll.netpoll_anywaiters()
            and s.lastpoll != 0
            and now - s.lastpoll > 10_000_000
        ):
            s.lastpoll = now
            glist = _netpoll.netpoll(0)
            if glist:
                proc.injectglist(s, glist)
        if retake(s, now):
            idle = 0
        else:
            idle += 1
        if proc.debug_schedtrace > 0 and now - last_trace >= proc.debug_schedtrace * 1_000_000:
            last_trace = now
            schedtrace(s, proc.debug_scheddetail > 0)


def retake(s: Sched, now: int) -> int:
    n = 0
    for pp in list(s.allp):
        st = pp.status
        if st == _Prunning:
            t = pp.schedtick
            if pp.sysmon_schedtick != t or pp.sysmon_schedwhen == 0:
                # first sight of this slice (a new P starts with schedtick 0 too:
                # it has not been running since time zero)
                pp.sysmon_schedtick = t
                pp.sysmon_schedwhen = now
                continue
            running = now - pp.sysmon_schedwhen
            if running < FORCE_PREEMPT_NS:
                continue
            mp = pp.m
            gp = mp.curg if mp is not None else None
            if gp is None:
                continue
            if not gp.preempt:
                # preemptone: the time slice is over. gp yields at its next
                # scheduling point if it reaches one; and the P's next pick starts
                # a new slice instead of handing runnext the old one (a ping-pong
                # pair that readies each other would otherwise never let the rest
                # of the local queue run).
                gp.preempt = True
                pp.preempt = True
                pp.sysmon_fp = _activity(s, pp)
                # the P is taken only if gp still has not come back 10 ms from now
                pp.sysmon_schedwhen = now - FORCE_PREEMPT_NS
                continue
            if running < 2 * FORCE_PREEMPT_NS:
                continue
            # A goroutine that keeps calling into the runtime without blocking (go,
            # readying others) is not stuck in Python code: leave its P alone. The
            # fingerprint is read from fields those calls write anyway, so the hot
            # path pays nothing for this check.
            fp = _activity(s, pp)
            if fp != pp.sysmon_fp:
                pp.sysmon_fp = fp
                pp.sysmon_schedwhen = now - FORCE_PREEMPT_NS
                continue
            has_work = not runqempty(pp) or s.gcwaiting or _timers.due(pp) or bool(s.runq)
            if not has_work:
                continue
            with s.lock:
                if (
                    pp.status != _Prunning
                    or pp.m is not mp
                    or pp.schedtick != t
                    or mp is None
                    or mp.curg is not gp
                ):
                    continue
                # take the P from the hogging M (it finds out at its next trap)
                mp.p = None
                pp.m = None
                casp(pp, _Prunning, _Pidle)
                pp.schedtick += 1
                pp.syscalltick += 1
                if proc.tracer is not None:
                    proc.tracer.proc_steal(pp, mp)
                proc.handoffp_locked(s, pp)
            n += 1
        elif st == _Psyscall:
            t = pp.syscalltick
            if pp.sysmon_syscalltick != t:
                pp.sysmon_syscalltick = t
                pp.sysmon_syscallwhen = now
                continue
            if (
                runqempty(pp)
                and s.nmspinning + s.npidle > 0
                and now - pp.sysmon_syscallwhen < FORCE_PREEMPT_NS
            ):
                continue
            with s.lock:
                if pp.status != _Psyscall or pp.syscalltick != t:
                    continue
                casp(pp, _Psyscall, _Pidle)
                pp.syscalltick += 1
                if proc.tracer is not None:
                    proc.tracer.proc_steal(pp, None)
                proc.handoffp_locked(s, pp)
            n += 1
    return n


def _activity(s: Sched, pp: Any) -> tuple[int, int, int, int, int]:
    rn = pp.runnext.get(0)
    return (s.goidgen, len(pp.goidcache), id(rn), len(pp.runq), pp.schedtick)


def schedtrace(s: Sched, detailed: bool, out: Any = None) -> None:
    """Print Go's ``SCHED`` line (and with ``detailed``, one line per P, M and G)."""
    if out is None:
        out = sys.stderr
    now = _nanotime()
    if s.schedtrace_start == 0:
        s.schedtrace_start = now
    ms = (now - s.schedtrace_start) // 1_000_000
    line = (
        f"SCHED {ms}ms: gomaxprocs={s.gomaxprocs} idleprocs={s.npidle} threads={proc.mcount(s)} "
        f"spinningthreads={s.nmspinning} needspinning={s.needspinning} idlethreads={s.nmidle} "
        f"runqueue={len(s.runq)}"
    )
    if detailed:
        line += (
            f" gcwaiting={str(s.gcwaiting).lower()} nmidlelocked={s.nmidlelocked} "
            f"stopwait={s.stopwait} sysmonwait={str(s.sysmonwait).lower()}\n"
        )
        for pp in s.allp:
            m = pp.m.id if pp.m is not None else -1
            ntimers = len(pp.timers.heap) if pp.timers is not None else 0
            line += (
                f"  P{pp.id}: status={pp.status} schedtick={pp.schedtick} "
                f"syscalltick={pp.syscalltick} m={m if m >= 0 else 'nil'} runqsize={len(pp.runq)} "
                f"gfreecnt={len(pp.gfree)} timerslen={ntimers}\n"
            )
        for mp in list(s.allm):
            p = mp.p.id if mp.p is not None else "nil"
            cg = mp.curg.goid if mp.curg is not None else "nil"
            line += (
                f"  M{mp.id}: p={p} curg={cg} mallocing=0 throwing=0 preemptoff= locks={mp.locks} "
                f"dying=0 spinning={str(mp.spinning).lower()} blocked={str(mp.blocked).lower()} "
                "lockedg=nil\n"
            )
        running = {mp.curg: mp.id for mp in list(s.allm) if mp.curg is not None}
        for gp in list(s.allgs):
            gm = running.get(gp, "nil")
            line += f"  G{gp.goid}: status={gp.status}({gp.waitreason}) m={gm} lockedm=nil\n"
        out.write(line)
    else:
        line += " [" + " ".join(str(len(pp.runq)) for pp in s.allp) + "]\n"
        out.write(line)
    out.flush()
