"""``gort.runtime``: introspection (Go's package runtime, plus what gort shows of itself)."""

from __future__ import annotations

from dataclasses import dataclass

from ._runtime import proc as _proc
from ._runtime.runtime2 import (
    GSTATUS_NAMES,
    PSTATUS_NAMES,
    _Gdead,
    _Gidle,
    _Gwaiting,
    _Pgcstop,
)
from ._runtime.traceback import stack as _stack

__all__ = [
    "GoroutineInfo",
    "ProcInfo",
    "SchedSnapshot",
    "goid",
    "num_cpu",
    "sched_snapshot",
    "stack",
]


def goid() -> int:
    """The calling goroutine's id."""
    gp = _proc.getg()
    if gp is None:
        raise RuntimeError("gort.runtime.goid: not called from a goroutine")
    return gp.goid


def num_cpu() -> int:
    """Usable CPUs (CPU affinity honoured)."""
    return _proc.num_cpu()


def stack(all: bool = False) -> str:  # noqa: A002 - Go's name
    """Go-format goroutine dump: the calling goroutine, or every goroutine."""
    return _stack(all)


@dataclass(frozen=True)
class ProcInfo:
    id: int
    status: str
    runnext: int | None
    runq: tuple[int, ...]
    gfree: int
    schedtick: int


@dataclass(frozen=True)
class GoroutineInfo:
    goid: int
    status: str
    wait_reason: str
    parent_goid: int
    created_by: str | None


@dataclass(frozen=True)
class SchedSnapshot:
    gomaxprocs: int
    procs: tuple[ProcInfo, ...]
    global_runq: tuple[int, ...]
    global_gfree: int
    goroutines: tuple[GoroutineInfo, ...]
    steals: int
    threads: int
    idleprocs: int


def sched_snapshot() -> SchedSnapshot:
    """A read-only snapshot of the scheduler, taken with the world stopped."""
    s = _proc.sched
    if s is None:
        raise RuntimeError("gort.runtime.sched_snapshot: no runtime running")
    inside = _proc.getg() is not None
    if inside:
        _proc.stop_the_world(s, "sched_snapshot")
    try:
        with s.lock:
            procs = []
            for pp in s.allp:
                rn = pp.runnext.get(0)
                procs.append(
                    ProcInfo(
                        id=pp.id,
                        # what the P was doing when the world was stopped (while
                        # stopped every P is _Pgcstop, which would say nothing)
                        status=PSTATUS_NAMES[
                            pp.stopstatus if inside and pp.status == _Pgcstop else pp.status
                        ],
                        runnext=rn.goid if rn is not None else None,
                        runq=tuple(g.goid for g in list(pp.runq)),
                        gfree=len(pp.gfree),
                        schedtick=pp.schedtick,
                    )
                )
            gs = []
            for gp in list(s.allgs):
                if gp.status in (_Gdead, _Gidle) or gp.issystem:
                    continue
                cb = None
                if gp.gopc is not None and gp.parent_goid:
                    code = gp.gopc
                    cb = getattr(code, "co_qualname", code.co_name)
                gs.append(
                    GoroutineInfo(
                        goid=gp.goid,
                        status=GSTATUS_NAMES[gp.status],
                        # Go shows a wait reason only while the goroutine waits
                        wait_reason=gp.waitreason if gp.status == _Gwaiting else "",
                        parent_goid=gp.parent_goid,
                        created_by=cb,
                    )
                )
            return SchedSnapshot(
                gomaxprocs=s.gomaxprocs,
                procs=tuple(procs),
                global_runq=tuple(g.goid for g in list(s.runq)),
                global_gfree=len(s.gfree),
                goroutines=tuple(sorted(gs, key=lambda g: g.goid)),
                steals=s.steals,
                threads=_proc.mcount(s),
                # during the stop npidle is 0: count the Ps that were idle before it
                idleprocs=(
                    sum(p.status == "_Pidle" for p in procs) if inside else s.npidle
                ),
            )
    finally:
        if inside:
            _proc.start_the_world(s)
