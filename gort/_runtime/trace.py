"""The execution tracer: scheduler events, turned into a Chrome trace-event timeline.

Mirrors Go's ``runtime/trace.go`` and ``traceruntime.go`` (the event emitters) and,
for the output, what ``go tool trace`` renders for a browser (``internal/trace/traceviewer``).

Recording
---------
``proc.py`` and ``sysmon.py`` call the hooks of the object in ``proc.tracer`` at the
scheduler points where Go's runtime emits its trace events:

=====================  =====================  =====================================
hook                   Go event               where
=====================  =====================  =====================================
``go_create``          GoCreate               ``newproc1``
``go_start``           GoStart                ``execute`` (the top of ``schedule``)
``go_block``           GoBlock                ``park_m`` (the ``TRAP_PARK`` handler)
``go_unblock``         GoUnblock              ``goready``
``go_stop``            GoStop                 ``gosched_m``, preemption, ``goyield``
``go_end``             GoDestroy              ``goexit0``
``go_syscall_begin``   GoSyscallBegin         ``entersyscall``
``go_syscall_end``     GoSyscallEnd[Blocked]  ``exitsyscall``
``proc_start``         ProcStart              ``acquirep``
``proc_stop``          ProcStop               ``releasep``, ``gcstopm``
``proc_steal``         ProcSteal              sysmon's ``retake``
``procs_change``       ProcsChange            ``procresize``
=====================  =====================  =====================================

With tracing off ``proc.tracer`` is ``None`` and each call site is one global load
and a compare: nothing else runs. With tracing on, the hooks run on the scheduler's
hot path, on several OS threads at once. Like Go's per-M trace buffers, each OS
thread appends plain tuples ``(kind, perf_counter_ns, ...)`` to a list of its own
(found through a ``threading.local``): no lock is taken and no string is built on
the hot path. The only lock is ``_reg_lock``, taken once per thread to register its
list. A hook reads only fields that its caller owns at that moment (the G it is
about to run, park or ready; the P it holds), and stores object references (the
goroutine's entry function) rather than names; names are resolved at the end.

Converting
----------
``Tracer.finish`` (called by ``gort.trace.stop``) merges the per-thread lists by
timestamp (each list is already in time order; ``perf_counter_ns`` is one monotonic
clock for all threads) and replays them through a small state machine:

- one lane (Chrome "thread") per P, named ``Proc N``: a complete slice (``ph: X``)
  ``G<id> <func>`` for each time a goroutine ran on that P, from GoStart to the
  event that took it off (block, stop, end, syscall, or the P being retaken), with
  the reason in its ``args``;
- flow arrows (``ph: s`` / ``f``) from the slice that ran ``go`` or readied a
  goroutine to the slice where that goroutine next starts;
- instant events (``ph: i``) on the P's lane for blocks (the G's wait reason),
  system calls, proc start/stop and steals; GOMAXPROCS changes are global instants;
- the counter ``Goroutines`` with ``Running`` and ``Runnable``;
- metadata (``ph: M``) naming the process and the lanes.

A waker that is not inside a goroutine slice (a timer fired by the scheduler loop,
a foreign thread) gets a short anchor slice on a lane of its own thread, so that
every flow arrow starts on a slice, as the format requires.

Differences from Go
-------------------
- Go writes a binary trace in generations and ``go tool trace`` converts it; gort
  writes the browser's JSON directly and keeps the whole trace in memory until
  ``stop`` (Go streams it to the writer).
- Events carry no stacks. Go's GoStatus snapshot at a generation start becomes one
  snapshot when tracing starts in a running program (goroutines already running
  get a slice from that moment).
- Wake-ups that the core does not report through ``goready`` (the netpoller's
  ``injectglist``, ``ready_global``) show no unblock arrow; the goroutine's next
  slice still appears.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from operator import itemgetter
from typing import IO, Any

from . import proc as _proc
from .runtime2 import G, M, P, Sched, _Grunnable, _Grunning, _Gsyscall, _Gwaiting

# Event kinds: the first item of each recorded tuple. Small ints keep tuples cheap.
EV_GO_CREATE = 0  # (kind, t, goid, parent goid (0: none), startpc)
EV_GO_START = 1  # (kind, t, goid, pid, mid, startpc)
EV_GO_BLOCK = 2  # (kind, t, goid, pid, waitreason)
EV_GO_UNBLOCK = 3  # (kind, t, goid)
EV_GO_STOP = 4  # (kind, t, goid, pid, preempted)
EV_GO_END = 5  # (kind, t, goid)
EV_SYSCALL_BEGIN = 6  # (kind, t, goid)
EV_SYSCALL_END = 7  # (kind, t, goid, ok, pid (-1: none))
EV_PROC_START = 8  # (kind, t, pid, mid)
EV_PROC_STOP = 9  # (kind, t, pid, mid)
EV_PROC_STEAL = 10  # (kind, t, pid, mid (-1: a P in a blocking call))
EV_PROCS = 11  # (kind, t, n)
EV_RT_START = 12  # (kind, t, gomaxprocs)
EV_RT_STOP = 13  # (kind, t)
EV_GO_STATUS = 14  # (kind, t, goid, status, pid, mid, startpc, on this thread): at start

EVENT_NAMES = {
    EV_GO_CREATE: "GoCreate",
    EV_GO_START: "GoStart",
    EV_GO_BLOCK: "GoBlock",
    EV_GO_UNBLOCK: "GoUnblock",
    EV_GO_STOP: "GoStop",
    EV_GO_END: "GoDestroy",
    EV_SYSCALL_BEGIN: "GoSyscallBegin",
    EV_SYSCALL_END: "GoSyscallEnd",
    EV_PROC_START: "ProcStart",
    EV_PROC_STOP: "ProcStop",
    EV_PROC_STEAL: "ProcSteal",
    EV_PROCS: "ProcsChange",
    EV_RT_START: "RuntimeStart",
    EV_RT_STOP: "RuntimeStop",
    EV_GO_STATUS: "GoStatus",
}

_now = time.perf_counter_ns
_PID = 1  # the one Chrome "process" of the trace
_ANCHOR_TID_BASE = 10_000  # lanes of threads that wake goroutines outside a slice
_ANCHOR_DUR_US = 0.001  # 1 ns: just long enough to hold a flow arrow's start


class Tracer:
    """The hook object installed as ``proc.tracer`` while tracing.

    Every hook may run on any OS thread, concurrently with the others, and must
    not block: it appends one tuple to the calling thread's own list.
    """

    def __init__(self) -> None:
        self._tls = threading.local()
        self._reg_lock = threading.Lock()
        # (thread name, events) per OS thread that recorded something; guarded by _reg_lock
        self._bufs: list[tuple[str, list[tuple[Any, ...]]]] = []
        self.t0 = _now()
        self.t_end = 0

    # -- the per-thread buffer -------------------------------------------------

    def _newbuf(self) -> list[tuple[Any, ...]]:
        buf: list[tuple[Any, ...]] = []
        self._tls.buf = buf
        mp = _proc.getm()
        name = threading.current_thread().name
        if mp is not None:
            name = f"M{mp.id}" if name == f"gort-M{mp.id}" else f"M{mp.id} ({name})"
        with self._reg_lock:
            self._bufs.append((name, buf))
        return buf

    def _buf(self) -> list[tuple[Any, ...]]:
        try:
            b: list[tuple[Any, ...]] = self._tls.buf
            return b
        except AttributeError:
            return self._newbuf()

    # -- hooks (the scheduler's hot path) --------------------------------------

    def go_create(self, newg: G, callergp: G | None) -> None:
        ev = (
            EV_GO_CREATE,
            _now(),
            newg.goid,
            callergp.goid if callergp is not None else 0,
            newg.startpc,
        )
        try:
            self._tls.buf.append(ev)
        except AttributeError:
            self._newbuf().append(ev)

    # The hottest hooks (one of each per goroutine switch) inline _buf().

    def go_start(self, gp: G, pp: P, mp: M) -> None:
        ev = (EV_GO_START, _now(), gp.goid, pp.id, mp.id, gp.startpc)
        try:
            self._tls.buf.append(ev)
        except AttributeError:
            self._newbuf().append(ev)

    def go_block(self, gp: G, pp: P) -> None:
        ev = (EV_GO_BLOCK, _now(), gp.goid, pp.id, gp.waitreason)
        try:
            self._tls.buf.append(ev)
        except AttributeError:
            self._newbuf().append(ev)

    def go_unblock(self, gp: G) -> None:
        ev = (EV_GO_UNBLOCK, _now(), gp.goid)
        try:
            self._tls.buf.append(ev)
        except AttributeError:
            self._newbuf().append(ev)

    def go_stop(self, gp: G, pp: P, preempted: bool) -> None:
        self._buf().append((EV_GO_STOP, _now(), gp.goid, pp.id, preempted))

    def go_end(self, gp: G) -> None:
        ev = (EV_GO_END, _now(), gp.goid)
        try:
            self._tls.buf.append(ev)
        except AttributeError:
            self._newbuf().append(ev)

    def go_syscall_begin(self, gp: G) -> None:
        self._buf().append((EV_SYSCALL_BEGIN, _now(), gp.goid))

    def go_syscall_end(self, gp: G, ok: bool) -> None:
        mp = _proc.getm()
        pp = mp.p if mp is not None else None
        self._buf().append((EV_SYSCALL_END, _now(), gp.goid, ok, pp.id if pp is not None else -1))

    def proc_start(self, pp: P, mp: M) -> None:
        self._buf().append((EV_PROC_START, _now(), pp.id, mp.id))

    def proc_stop(self, pp: P, mp: M) -> None:
        self._buf().append((EV_PROC_STOP, _now(), pp.id, mp.id))

    def proc_steal(self, pp: P, mp: M | None) -> None:
        self._buf().append((EV_PROC_STEAL, _now(), pp.id, mp.id if mp is not None else -1))

    def procs_change(self, n: int) -> None:
        self._buf().append((EV_PROCS, _now(), n))

    def start_runtime(self, s: Sched) -> None:
        self._buf().append((EV_RT_START, _now(), s.gomaxprocs))

    def stop_runtime(self, s: Sched) -> None:
        self._buf().append((EV_RT_STOP, _now()))

    # -- starting inside a running program ---------------------------------------

    def snapshot(self, s: Sched) -> None:
        """Record the state of a running runtime (Go's GoStatus/ProcStatus events).

        Called with ``sched.lock`` held, just before the tracer is installed:
        runnable goroutines are counted as such, and each goroutine running on a P
        gets a slice from now on.
        """
        me = _proc.getm()
        t = _now()
        buf = self._buf()
        buf.append((EV_PROCS, t, s.gomaxprocs))
        running: set[int] = set()
        for pp in list(s.allp):
            mp = pp.m
            gp = mp.curg if mp is not None else None
            if mp is not None and gp is not None and gp.status == _Grunning:
                buf.append(
                    (EV_GO_STATUS, t, gp.goid, _Grunning, pp.id, mp.id, gp.startpc, mp is me)
                )
                running.add(gp.goid)
        for gp in list(s.allgs):
            if gp.goid in running:
                continue
            if gp.status in (_Grunnable, _Gwaiting, _Gsyscall):
                buf.append((EV_GO_STATUS, t, gp.goid, gp.status, -1, -1, gp.startpc, False))

    # -- the end ----------------------------------------------------------------

    def events(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """A copy of every thread's events so far (the hooks may still be appending)."""
        with self._reg_lock:
            bufs = list(self._bufs)
        return [(name, list(buf)) for name, buf in bufs]

    def finish(self, out: IO[str]) -> None:
        """Stop recording here and write the Chrome trace-event document to ``out``."""
        if not self.t_end:
            self.t_end = _now()
        render(self.events(), self.t0, self.t_end, out)


# ---------------------------------------------------------------------------
# Conversion to Chrome trace events


def funcname(fn: Any) -> str:
    """The name a goroutine's entry function shows in the trace and the dumps."""
    if fn is None:
        return "?"
    name = getattr(fn, "__qualname__", None)
    if isinstance(name, str):
        return name
    code = getattr(fn, "cr_code", None) or getattr(fn, "__code__", None)
    if code is not None:
        return str(getattr(code, "co_qualname", code.co_name))
    func = getattr(fn, "func", None)  # functools.partial
    if func is not None:
        return funcname(func)
    return type(fn).__name__


class _Slice:
    __slots__ = ("goid", "start", "name", "func", "mid", "buf")

    def __init__(self, goid: int, start: int, name: str, func: str, mid: int, buf: int) -> None:
        self.goid = goid
        self.start = start
        self.name = name  # JSON text of "G<id> <func>"
        self.func = func  # JSON text of the function's name
        self.mid = mid
        self.buf = buf


_q = json.dumps  # JSON text of a string


class Converter:
    """Replays merged events into Chrome trace-event JSON (see the module docstring).

    The events are written as JSON text, one per line, as they are produced: a
    trace has millions of them, and neither a list of dicts nor ``json.dumps`` per
    event would be affordable.
    """

    def __init__(self, t0: int, t_end: int, write: Callable[[str], Any]) -> None:
        self.t0 = t0
        self.t_end = t_end
        self.write = write
        self.open: dict[int, _Slice] = {}  # pid -> the slice running on that P's lane
        self.lane_of: dict[int, int] = {}  # goid -> pid of its open slice
        self.last_lane: dict[int, int] = {}  # goid -> pid of its latest slice
        self.buf_lane: dict[int, int] = {}  # thread buffer -> pid of the slice it runs
        self.fn_of: dict[int, Any] = {}  # goid -> entry function
        self.pending_flow: dict[int, tuple[int, str]] = {}  # goid -> (flow id, kind)
        self.runnable: set[int] = set()
        self.running: set[int] = set()
        self.procs: set[int] = set()
        self.anchor_lanes: dict[int, str] = {}  # tid -> thread name
        self.thread_names: list[str] = []
        self.next_flow = 1
        self.counter = (-1, -1)
        self.names: dict[int, str] = {}  # id(fn) -> JSON text of its name (fns stay alive)
        self.texts: dict[str, str] = {}  # str -> its JSON text
        self.stats = {"go_create": 0, "go_start": 0, "go_block": 0, "proc_steal": 0}

    def us(self, t: int) -> str:
        """A timestamp in microseconds since the trace began, to the nanosecond."""
        return f"{(t - self.t0) / 1000:.3f}"

    def text(self, s: str) -> str:
        q = self.texts.get(s)
        if q is None:
            q = self.texts[s] = _q(s)
        return q

    def fname(self, fn: Any) -> str:
        k = id(fn)
        q = self.names.get(k)
        if q is None:
            q = self.names[k] = _q(funcname(fn))
        return q

    # -- building blocks --------------------------------------------------------

    def lane(self, pid: int) -> int:
        if pid not in self.procs:
            self.procs.add(pid)
        return pid + 1

    def instant(self, t: int, pid: int, name: str, cat: str, args: str) -> None:
        self.write(
            f',\n{{"name":{self.text(name)},"cat":"{cat}","ph":"i","s":"t","ts":{self.us(t)},'
            f'"pid":{_PID},"tid":{self.lane(pid)},"args":{{{args}}}}}'
        )

    def global_instant(self, t: int, name: str, args: str) -> None:
        self.write(
            f',\n{{"name":{self.text(name)},"cat":"runtime","ph":"i","s":"g","ts":{self.us(t)},'
            f'"pid":{_PID},"tid":0,"args":{{{args}}}}}'
        )

    def open_slice(self, t: int, goid: int, pid: int, mid: int, fn: Any, buf: int) -> None:
        self.close_lane(t, pid, "superseded")
        tid = self.lane(pid)
        if fn is None:
            fn = self.fn_of.get(goid)
        else:
            self.fn_of[goid] = fn
        func = self.fname(fn)
        name = f'"G{goid} {func[1:]}'
        self.open[pid] = _Slice(goid, t, name, func, mid, buf)
        self.lane_of[goid] = pid
        self.last_lane[goid] = pid
        self.buf_lane[buf] = pid
        flow = self.pending_flow.pop(goid, None)
        if flow is not None:
            fid, kind = flow
            self.write(
                f',\n{{"name":"{kind}","cat":"flow","ph":"f","bp":"e","id":{fid},'
                f'"ts":{self.us(t)},"pid":{_PID},"tid":{tid}}}'
            )
        self.runnable.discard(goid)
        self.running.add(goid)

    def close_lane(self, t: int, pid: int, why: str) -> _Slice | None:
        sl = self.open.pop(pid, None)
        if sl is None:
            return None
        if self.lane_of.get(sl.goid) == pid:
            del self.lane_of[sl.goid]
        if self.buf_lane.get(sl.buf) == pid:
            del self.buf_lane[sl.buf]
        self.running.discard(sl.goid)
        dur = max(0, t - sl.start) / 1000
        self.write(
            f',\n{{"name":{sl.name},"cat":"goroutine","ph":"X","ts":{self.us(sl.start)},'
            f'"dur":{dur:.3f},"pid":{_PID},"tid":{pid + 1},"args":{{"goid":{sl.goid},'
            f'"M":{sl.mid},"func":{sl.func},"end":{self.text(why)}}}}}'
        )
        return sl

    def close_goroutine(self, t: int, goid: int, why: str) -> int:
        """Close ``goid``'s slice, wherever it runs; returns its lane's P id or -1."""
        pid = self.lane_of.get(goid, -1)
        if pid >= 0:
            sl = self.open.get(pid)
            if sl is not None and sl.goid == goid:
                self.close_lane(t, pid, why)
            else:
                pid = -1
        self.running.discard(goid)
        return pid

    def flow_from(self, t: int, buf: int, goid: int, kind: str) -> None:
        """Start a flow arrow at the slice that thread ``buf`` runs now (or an anchor)."""
        fid = self.next_flow
        self.next_flow += 1
        pid = self.buf_lane.get(buf, -1)
        sl = self.open.get(pid) if pid >= 0 else None
        ts = self.us(t)
        if sl is not None and sl.buf == buf:
            tid = pid + 1
        else:
            tid = _ANCHOR_TID_BASE + buf
            self.anchor_lanes[tid] = self.thread_names[buf] if buf >= 0 else "?"
            self.write(
                f',\n{{"name":"{kind} G{goid}","cat":"wakeup","ph":"X","ts":{ts},'
                f'"dur":{_ANCHOR_DUR_US},"pid":{_PID},"tid":{tid},"args":{{"goid":{goid}}}}}'
            )
        self.write(
            f',\n{{"name":"{kind}","cat":"flow","ph":"s","id":{fid},"ts":{ts},'
            f'"pid":{_PID},"tid":{tid}}}'
        )
        self.pending_flow[goid] = (fid, kind)

    def count(self, t: int) -> None:
        run, able = len(self.running), len(self.runnable)
        if (run, able) != self.counter:
            self.counter = (run, able)
            self.write(
                f',\n{{"name":"Goroutines","ph":"C","ts":{self.us(t)},"pid":{_PID},"tid":0,'
                f'"args":{{"Running":{run},"Runnable":{able}}}}}'
            )

    # -- the replay -------------------------------------------------------------

    def convert(self, bufs: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """Write the whole document: ``{"traceEvents": [...], ...}``."""
        self.thread_names = [name for name, _ in bufs]
        self.write('{"traceEvents":[\n')
        self.write(json.dumps(_meta("process_name", 0, name="gort"), separators=(",", ":")))
        for t, bi, ev in _merge(bufs):
            if t > self.t_end:
                break
            self.step(t, bi, ev)
            self.count(t)
        self.end_all(self.t_end, "trace stopped")
        self.count(self.t_end)
        for md in self.metadata():
            self.write(",\n" + json.dumps(md, separators=(",", ":")))
        other = {
            "producer": "gort",
            "python": sys.version.split()[0],
            "gil_enabled": bool(getattr(sys, "_is_gil_enabled", lambda: True)()),
            "pid": os.getpid(),
            **self.stats,
        }
        self.write(f'\n],\n"displayTimeUnit":"ns",\n"otherData":{json.dumps(other)}}}\n')

    def step(self, t: int, bi: int, ev: tuple[Any, ...]) -> None:
        k = ev[0]
        if k == EV_GO_START:
            _, _, goid, pid, mid, fn = ev
            self.stats["go_start"] += 1
            self.open_slice(t, goid, pid, mid, fn, bi)
        elif k == EV_GO_BLOCK:
            _, _, goid, pid, reason = ev
            self.stats["go_block"] += 1
            reason = reason or "unspecified"
            where = self.close_goroutine(t, goid, "block: " + reason)
            self.runnable.discard(goid)
            if where >= 0:
                self.instant(t, where, reason, "block", f'"goid":{goid}')
        elif k == EV_GO_UNBLOCK:
            goid = ev[2]
            self.runnable.add(goid)
            self.flow_from(t, bi, goid, "unblock")
        elif k == EV_GO_CREATE:
            _, _, goid, parent, fn = ev
            self.stats["go_create"] += 1
            self.fn_of[goid] = fn
            self.runnable.add(goid)
            if parent:
                self.flow_from(t, bi, goid, "go")
        elif k == EV_GO_STOP:
            _, _, goid, pid, preempted = ev
            self.close_goroutine(t, goid, "preempted" if preempted else "runtime.Gosched")
            self.runnable.add(goid)
        elif k == EV_GO_END:
            goid = ev[2]
            self.close_goroutine(t, goid, "end")
            self.runnable.discard(goid)
            self.fn_of.pop(goid, None)
            self.last_lane.pop(goid, None)
        elif k == EV_GO_STATUS:
            _, _, goid, status, pid, mid, fn, mine = ev
            self.fn_of[goid] = fn
            if status == _Grunning:
                # a slice run by another thread: no buffer of ours is known to run it
                self.open_slice(t, goid, pid, mid, fn, bi if mine else -1 - pid)
            elif status == _Grunnable:
                self.runnable.add(goid)
        elif k == EV_SYSCALL_BEGIN:
            goid = ev[2]
            pid = self.close_goroutine(t, goid, "syscall")
            if pid < 0:  # sysmon retook the P before this hook ran: the P it left
                pid = self.last_lane.get(goid, -1)
            if pid >= 0:
                self.instant(t, pid, "syscall", "syscall", f'"goid":{goid}')
        elif k == EV_SYSCALL_END:
            _, _, goid, ok, pid = ev
            if ok and pid >= 0:
                self.instant(t, pid, "syscall exit", "syscall", f'"goid":{goid}')
                self.open_slice(t, goid, pid, -1, None, bi)
            else:
                self.runnable.add(goid)
        elif k == EV_PROC_START:
            _, _, pid, mid = ev
            self.instant(t, pid, "ProcStart", "proc", f'"M":{mid}')
        elif k == EV_PROC_STOP:
            _, _, pid, mid = ev
            self.close_lane(t, pid, "ProcStop")
            self.instant(t, pid, "ProcStop", "proc", f'"M":{mid}')
        elif k == EV_PROC_STEAL:
            _, _, pid, mid = ev
            self.stats["proc_steal"] += 1
            # mid -1: the P of a goroutine in a blocking call, whose GoSyscallBegin
            # may come just after (the hook runs once the P is already released)
            sl = self.close_lane(t, pid, "syscall" if mid < 0 else "P retaken by sysmon")
            args = f'"from M":{mid if mid >= 0 else "null"}'
            if sl is not None:
                args += f',"goid":{sl.goid}'
            self.instant(t, pid, "ProcSteal", "proc", args)
        elif k == EV_PROCS:
            n = ev[2]
            for pid in list(self.open):
                if pid >= n:
                    self.close_lane(t, pid, "procresize")
            self.global_instant(t, f"GOMAXPROCS={n}", f'"gomaxprocs":{n}')
        elif k == EV_RT_START:
            self.global_instant(t, "runtime start", f'"gomaxprocs":{ev[2]}')
        elif k == EV_RT_STOP:
            self.end_all(t, "runtime stopped")
            self.global_instant(t, "runtime stop", "")

    def end_all(self, t: int, why: str) -> None:
        for pid in sorted(self.open):
            self.close_lane(t, pid, why)
        self.running.clear()
        self.runnable.clear()
        self.pending_flow.clear()
        self.buf_lane.clear()
        self.lane_of.clear()
        self.last_lane.clear()

    def metadata(self) -> list[dict[str, Any]]:
        md = [_meta("process_sort_index", 0, sort_index=0)]
        lanes = [(0, "STATS", -1)]
        lanes += [(pid + 1, f"Proc {pid}", pid) for pid in sorted(self.procs)]
        lanes += [
            (tid, f"{name} (wake-ups outside goroutines)", tid)
            for tid, name in sorted(self.anchor_lanes.items())
        ]
        for tid, name, order in lanes:
            md.append(_meta("thread_name", tid, name=name))
            md.append(_meta("thread_sort_index", tid, sort_index=order))
        return md


def _meta(what: str, tid: int, **args: Any) -> dict[str, Any]:
    return {"name": what, "ph": "M", "pid": _PID, "tid": tid, "args": args}


def _merge(
    bufs: list[tuple[str, list[tuple[Any, ...]]]],
) -> list[tuple[int, int, tuple[Any, ...]]]:
    """Every thread's events in time order; a thread's own order is kept on ties."""
    merged = [(ev[1], bi, ev) for bi, (_, evs) in enumerate(bufs) for ev in evs]
    merged.sort(key=itemgetter(0))  # stable: ties stay in thread, then event, order
    return merged


def render(
    bufs: list[tuple[str, list[tuple[Any, ...]]]], t0: int, t_end: int, out: IO[str]
) -> None:
    """Write the Chrome trace-event JSON of recorded events to ``out``."""
    Converter(t0, t_end, out.write).convert(bufs)


def renders(bufs: list[tuple[str, list[tuple[Any, ...]]]], t0: int, t_end: int) -> str:
    buf = io.StringIO()
    render(bufs, t0, t_end, buf)
    return buf.getvalue()
