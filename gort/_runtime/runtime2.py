"""Types of the runtime: G, M, P, the global scheduler state, and their state machines.

Mirrors Go's ``runtime/runtime2.go``.

A **G** is a goroutine: a Python coroutine (or a plain callable) plus the
bookkeeping Go keeps in ``runtime.g``. An **M** is an OS thread that runs Gs. A
**P** is a processor: the right to run goroutines, with its own run queue. An M
must hold a P to run a G, so at most GOMAXPROCS Ms run goroutines at once
(except, as in Go, Ms whose goroutine is in a blocking call, which have given
their P away; see ``proc.py``).

State machines
--------------
G status and P status each have one table of legal transitions below
(``G_TRANSITIONS``, ``P_TRANSITIONS``) and one function that enforces it
(``casgstatus``, ``casp``). An illegal move raises ``FatalError`` naming both
states, as Go's ``throw("casgstatus: bad incoming values")`` does.

Who guards what
---------------
- ``sched.lock`` guards the global run queue, the global free-G list, the idle
  P and idle M lists and their counters, ``allm``, ``allgs`` appends and every P
  status change that is not made by the P's owner.
- A P's local run queue (``runq``, a ``collections.deque``) and ``runnext``
  (a one-key ``dict``) are written by their owner and taken from by thieves.
  Every operation on them is a single C-level call on a deque or dict, which
  is atomic on the GIL build and on the free-threaded build (those objects
  lock themselves there). So, as in Go, the local queue needs no lock; unlike
  Go it needs no CAS loop either: "steal half" is a sequence of atomic pops.
- A G's ``status`` is written only through ``casgstatus`` by the M that owns
  the G at that moment (the one running it, or the one readying it while
  holding the lock of the object the G waits on).
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable
from types import CodeType
from typing import Any, ClassVar, Final

# ---------------------------------------------------------------------------
# Errors (public types live here so that the core can raise them)


class Panic(Exception):
    """A Go run-time panic (for example ``send on closed channel``)."""


class FatalError(Exception):
    """An unrecoverable runtime condition (Go's ``fatal error:``)."""


class Deadlock(FatalError):
    """No goroutine can ever run again."""

    dump: str

    def __init__(self, msg: str = "all goroutines are asleep - deadlock!", dump: str = "") -> None:
        super().__init__(msg)
        self.dump = dump


class Goexit(BaseException):  # noqa: N818 - Go's name
    """Raised by ``gort.goexit()``: unwinds the goroutine, which then ends normally."""


class ExitProgram(BaseException):  # noqa: N818
    """Raised by ``gort.exit(code)`` inside a goroutine to leave it at once."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def gopc_line(code: CodeType, lasti: int) -> int:
    """The source line of byte offset ``lasti`` in ``code`` (Go's funcline for a gopc).

    ``newproc`` records the creating frame's ``f_lasti``, which is cheaper to read
    than ``f_lineno``; the line is worked out only when a dump asks for it.
    """
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def throw(msg: str) -> FatalError:
    """Go's ``throw``: a broken runtime invariant. Returns the error to raise."""
    return FatalError(msg)


# ---------------------------------------------------------------------------
# G status (runtime2.go), values as in Go

_Gidle: Final = 0
_Grunnable: Final = 1
_Grunning: Final = 2
_Gsyscall: Final = 3
_Gwaiting: Final = 4
_Gdead: Final = 6

GSTATUS_NAMES: Final = {
    _Gidle: "_Gidle",
    _Grunnable: "_Grunnable",
    _Grunning: "_Grunning",
    _Gsyscall: "_Gsyscall",
    _Gwaiting: "_Gwaiting",
    _Gdead: "_Gdead",
}
# the word shown in a traceback header (Go's gStatusStrings)
GSTATUS_WORDS: Final = {
    _Gidle: "idle",
    _Grunnable: "runnable",
    _Grunning: "running",
    _Gsyscall: "syscall",
    _Gwaiting: "waiting",
    _Gdead: "dead",
}

# Legal G transitions, and where they happen (see casgstatus).
G_TRANSITIONS: Final[frozenset[tuple[int, int]]] = frozenset(
    {
        (_Gidle, _Gdead),  # newproc1, after malg, before the G is published
        (_Gdead, _Grunnable),  # newproc1
        (_Grunnable, _Grunning),  # execute
        (_Grunning, _Grunnable),  # gosched, preemption, exitsyscall without a P
        (_Grunning, _Gwaiting),  # park_m (gopark)
        (_Gwaiting, _Grunnable),  # ready (goready)
        (_Grunning, _Gsyscall),  # entersyscall
        (_Gsyscall, _Grunning),  # exitsyscall fast path
        (_Gsyscall, _Grunnable),  # exitsyscall0 (no P to return to)
        (_Grunning, _Gdead),  # goexit0
    }
)


def casgstatus(gp: G, oldval: int, newval: int) -> None:
    """Move ``gp`` from ``oldval`` to ``newval``; refuse any move not in G_TRANSITIONS."""
    if gp.status != oldval or (oldval, newval) not in G_TRANSITIONS:
        raise throw(
            f"casgstatus: bad incoming values: goroutine {gp.goid} "
            f"oldval={GSTATUS_NAMES.get(oldval, oldval)} "
            f"newval={GSTATUS_NAMES.get(newval, newval)} "
            f"(status is {GSTATUS_NAMES.get(gp.status, gp.status)})"
        )
    gp.status = newval


# ---------------------------------------------------------------------------
# P status

_Pidle: Final = 0
_Prunning: Final = 1
_Psyscall: Final = 2
_Pgcstop: Final = 3
_Pdead: Final = 4

PSTATUS_NAMES: Final = {
    _Pidle: "_Pidle",
    _Prunning: "_Prunning",
    _Psyscall: "_Psyscall",
    _Pgcstop: "_Pgcstop",
    _Pdead: "_Pdead",
}

P_TRANSITIONS: Final[frozenset[tuple[int, int]]] = frozenset(
    {
        (_Pidle, _Prunning),  # acquirep
        (_Prunning, _Pidle),  # releasep; sysmon retaking a P from a goroutine that hogs it
        (_Prunning, _Psyscall),  # entersyscall
        (_Psyscall, _Prunning),  # exitsyscall fast path (same P back)
        (_Psyscall, _Pidle),  # retake (sysmon) or handoff
        (_Pidle, _Pgcstop),  # stop the world
        (_Prunning, _Pgcstop),  # stop the world (the stopping M's own P, or one parked)
        (_Psyscall, _Pgcstop),  # stop the world takes a P from a syscall
        (_Pgcstop, _Pidle),  # start the world / procresize
        (_Pgcstop, _Prunning),  # start the world: the caller keeps its P
        (_Pgcstop, _Pdead),  # procresize shrinks
        (_Pdead, _Pgcstop),  # procresize grows again
    }
)


def casp(pp: P, oldval: int, newval: int) -> None:
    """Move ``pp`` from ``oldval`` to ``newval``; refuse any move not in P_TRANSITIONS."""
    if pp.status != oldval or (oldval, newval) not in P_TRANSITIONS:
        raise throw(
            f"casp: bad P transition: P{pp.id} {PSTATUS_NAMES.get(oldval, oldval)} -> "
            f"{PSTATUS_NAMES.get(newval, newval)} (status is {PSTATUS_NAMES.get(pp.status)})"
        )
    if newval == _Pgcstop:
        pp.stopstatus = oldval
    pp.status = newval


# ---------------------------------------------------------------------------
# Wait reasons (the strings Go prints in `goroutine N [reason]:`)

waitReasonZero: Final = ""
waitReasonIOWait: Final = "IO wait"
waitReasonChanReceiveNilChan: Final = "chan receive (nil chan)"
waitReasonChanSendNilChan: Final = "chan send (nil chan)"
waitReasonSelect: Final = "select"
waitReasonSelectNoCases: Final = "select (no cases)"
waitReasonChanReceive: Final = "chan receive"
waitReasonChanSend: Final = "chan send"
waitReasonSemacquire: Final = "semacquire"
waitReasonSleep: Final = "sleep"
waitReasonSyncCondWait: Final = "sync.Cond.Wait"
waitReasonSyncMutexLock: Final = "sync.Mutex.Lock"
waitReasonSyncRWMutexRLock: Final = "sync.RWMutex.RLock"
waitReasonSyncRWMutexLock: Final = "sync.RWMutex.Lock"
waitReasonSyncWaitGroupWait: Final = "sync.WaitGroup.Wait"
waitReasonSyncOnceDo: Final = "sync.Once.Do"

# ---------------------------------------------------------------------------
# Constants (Go's values)

_GoidCacheBatch: Final = 16
RUNQ_SIZE: Final = 256  # local run queue capacity
GFREE_MAX_LOCAL: Final = 64  # gfput: when the local list reaches this, move some to global
GFREE_KEEP_LOCAL: Final = 32  # gfput keeps moving while local >= this; gfget refills up to this
SCHED_GLOBAL_EVERY: Final = 61  # schedule checks the global queue every 61 schedticks
STEAL_TRIES: Final = 4
FORCE_PREEMPT_NS: Final = 10_000_000  # 10 ms time slice
MAX_MCOUNT: Final = 10000

# Traps: what a goroutine's coroutine yields to its M (Go's mcall targets).
TRAP_PARK: Final = 1  # park_m: the G is waiting; release mp.waitlock
TRAP_GOSCHED: Final = 2  # gosched_m: to the global run queue
TRAP_PREEMPT: Final = 3  # gopreempt_m: as gosched, traced as "preempted"
TRAP_EXITSYSCALL: Final = 4  # the G's P was taken while it ran: exitsyscall0
TRAP_YIELD: Final = 5  # goyield: to the tail of the local run queue


# ---------------------------------------------------------------------------
# The three structures


# an ancestor saved with GORTDEBUG=tracebackancestors: (goid, gopc, frames)
Ancestor = tuple[int, "tuple[CodeType, int] | None", "list[tuple[CodeType, int]]"]


_NO_SELECT: dict[int, bool] = {}  # shared and always empty: no select in progress


class G:
    """A goroutine (Go's ``runtime.g``)."""

    __slots__ = (
        "goid",
        "status",
        "coro",  # the coroutine being stepped (None for a plain callable not yet run)
        "fn",  # the plain callable to run, or None (keyword arguments bound by newproc)
        "args",
        "waitreason",
        "parent_goid",
        "gopc",  # code object of the `go` statement's function: Go's gopc (see gopc_line)
        "gopc_lasti",  # and the byte offset of the call in it
        "startpc",  # the entry function (Go's startpc)
        "ancestors",
        "labels",
        "preempt",
        "param",  # wake-up parameter (Go's g.param): set by the waker
        "selectdone",  # select wake-up race: a one-key dict, popped by the winner
        "sg",  # this G's cached sudog for plain (non-select) channel waits
        "sched",  # the runtime this G belongs to (a G never moves between runtimes)
    )
    # Go's g.issystem marks runtime goroutines (GC workers, finalizers...). gort's
    # runtime work runs on its own threads (sysmon, the poller), never in a G.
    issystem: ClassVar[bool] = False

    def __init__(self) -> None:
        self.goid = 0
        self.status = _Gidle
        self.coro: Any = None
        self.fn: Callable[..., Any] | None = None
        self.args: tuple[Any, ...] = ()
        self.waitreason = waitReasonZero
        self.parent_goid = 0
        self.gopc: CodeType | None = None
        self.gopc_lasti = 0
        self.startpc: Any = None
        self.ancestors: list[Ancestor] | None = None
        self.labels: Any = None
        self.preempt = False
        self.param: Any = None
        self.selectdone: dict[int, bool] = _NO_SELECT
        self.sg: Any = None
        self.sched: Any = None

    def __repr__(self) -> str:
        return f"<G {self.goid} {GSTATUS_NAMES.get(self.status)} {self.waitreason!r}>"


class P:
    """A processor (Go's ``runtime.p``)."""

    __slots__ = (
        "id",
        "status",
        "m",
        "runq",  # deque of G, at most RUNQ_SIZE
        "runnext",  # {0: G} or {}: atomic take with pop(0, None)
        "gfree",  # list of dead Gs (append/pop are atomic)
        "goidcache",  # deque of goids handed out to this P
        "schedtick",
        "syscalltick",
        "sysmon_schedtick",
        "sysmon_schedwhen",
        "sysmon_syscalltick",
        "sysmon_syscallwhen",
        "timers",  # per-P timer heap (timers.py)
        "link",
        "sysmon_fp",  # sysmon's last view of this P's activity (sysmon.py)
        "preempt",  # sysmon: this P's time slice is over (Go's pp.preempt)
        # the status this P left for _Pgcstop (sched_snapshot reports it); written by
        # casp, and every move to _Pgcstop is made under sched.lock, as is the read
        "stopstatus",
    )

    def __init__(self, pid: int) -> None:
        self.id = pid
        self.status = _Pgcstop
        self.stopstatus = _Pgcstop
        self.m: M | None = None
        self.runq: collections.deque[G] = collections.deque()
        self.runnext: dict[int, G] = {}
        self.gfree: list[G] = []
        self.goidcache: collections.deque[int] = collections.deque()
        self.schedtick = 0
        self.syscalltick = 0
        self.sysmon_schedtick = 0
        self.sysmon_schedwhen = 0
        self.sysmon_syscalltick = 0
        self.sysmon_syscallwhen = 0
        self.timers: Any = None
        self.link: P | None = None
        self.sysmon_fp: tuple[int, ...] = ()
        self.preempt = False

    def __repr__(self) -> str:
        return f"<P{self.id} {PSTATUS_NAMES.get(self.status)} runq={len(self.runq)}>"


class Note:
    """Go's ``note``: a one-shot sleep/wakeup for one M.

    Built on ``queue.SimpleQueue`` rather than a ``threading.Lock`` used as a
    binary semaphore: on the free-threaded build a contended lock spins (up to
    40 ``sched_yield`` calls) before it sleeps, so every M going idle burned CPU
    and handed its core to whatever else was runnable (W8's load generator). A
    SimpleQueue waiter goes to sleep at once, as Go's futex-based notesleep does;
    on the GIL build the two cost the same. A wakeup that finds nobody asleep
    is kept for the next sleep; a second one before that sleep is absorbed
    (Go throws on it; gort's exit path wakes every M unconditionally).
    """

    __slots__ = ("_q",)

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[None] = queue.SimpleQueue()

    def sleep(self, timeout: float = -1) -> bool:
        """notesleep / notetsleep: True if woken, False on timeout. Clears the note."""
        q = self._q
        try:
            q.get(True, None if timeout < 0 else timeout)
        except queue.Empty:
            return False
        while not q.empty():  # absorb duplicate wakeups
            try:
                q.get_nowait()
            except queue.Empty:
                break
        return True

    def wakeup(self) -> None:
        """notewakeup."""
        self._q.put(None)


class M:
    """An OS thread (Go's ``runtime.m``)."""

    __slots__ = (
        "id",
        "p",  # the P this M holds, or None
        "nextp",  # the P handed over by startm before the M wakes
        "oldp",  # the P held before a syscall
        "curg",
        "spinning",
        "blocked",
        "park",
        "waitlock",  # lock released by park_m after the G is marked waiting
        "waitunlockf",
        "thread",
        "mstartfn",
        "syscalltick",
        "incoro",  # True while this M is inside a goroutine's code (not the scheduler)
        "exiting",
        "link",
        "locks",
        "sudogcache",  # free select sudogs (Go keeps this cache on the P); see selectgo
    )

    def __init__(self, mid: int) -> None:
        self.id = mid
        self.p: P | None = None
        self.nextp: P | None = None
        self.oldp: P | None = None
        self.curg: G | None = None
        self.spinning = False
        self.blocked = False
        self.park = Note()
        self.waitlock: Any = None
        self.waitunlockf: Callable[[G, Any], bool] | None = None
        self.thread: threading.Thread | None = None
        self.mstartfn: Callable[[], None] | None = None
        self.syscalltick = 0
        self.incoro = False
        self.exiting = False
        self.link: M | None = None
        self.locks = 0
        self.sudogcache: list[Any] = []

    def __repr__(self) -> str:
        return f"<M{self.id} p={self.p.id if self.p else None} curg={self.curg}>"


class Sched:
    """The global scheduler state (Go's ``schedt``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.goidgen = 0
        self.runq: collections.deque[G] = collections.deque()  # guarded by lock
        self.gfree: list[G] = []  # guarded by lock
        self.pidle: list[P] = []  # guarded by lock (stack)
        self.npidle = 0
        self.midle: list[M] = []  # guarded by lock (stack)
        self.nmidle = 0
        self.nmidlelocked = 0
        self.mnext = 0
        self.nmsys = 0
        self.nmfreed = 0
        self.nmspinning = 0  # guarded by lock
        self.needspinning = 0
        self.ngsys = 0
        self.gomaxprocs = 1
        self.allp: list[P] = []
        self.allm: list[M] = []
        self.allgs: list[G] = []  # guarded by lock
        self.main_started = False
        self.gcwaiting = False  # a stop-the-world is pending
        self.stopwait = 0
        self.stopnote = threading.Condition(self.lock)
        self.exiting = False  # the program is ending: every M leaves its loop
        self.lastpoll = 0
        self.sysmonwait = False
        self.sysmonnote = Note()
        self.nsyscall = 0  # goroutines in gort.blocking() (for checkdead)
        self.steals = 0  # statistics: Gs taken by work stealing
        self.schedtrace_start = 0
        self.exit_result: Any = None
        self.done = threading.Event()
        self.main_g: G | None = None
        self.main_goexited = False
        self.poll_until = 0  # when the M blocked in netpoll will wake (0: never)
        self.poller: M | None = None  # the M blocked in netpoll, if any
        self.sysmon_thread: threading.Thread | None = None
