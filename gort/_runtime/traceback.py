"""Goroutine dumps in Go's format.

Mirrors Go's ``runtime/traceback.go`` (``goroutineheader``, ``traceback``,
``printcreatedby``, ancestors).

Each goroutine prints as::

    goroutine 7 [chan receive]:
    worker(...)
    \t/path/prog.py:12
    created by main in goroutine 1
    \t/path/prog.py:20

Frames are the Python frames of the goroutine's coroutine stack, innermost
first; frames inside gort itself are hidden, as Go hides unexported runtime
frames. Only goroutines that are not running are read (a running coroutine's
frames belong to another thread); a running one on another M prints
``goroutine running on other thread; stack unavailable`` as Go does. The
calling goroutine's own stack is read from its live frames.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType
from typing import Any

from . import proc
from .runtime2 import (
    GSTATUS_WORDS,
    G,
    Sched,
    _Gdead,
    _Gidle,
    _Grunning,
    _Gsyscall,
    _Gwaiting,
    gopc_line,
)


def _qualname(code: CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)


def goroutine_header(gp: G) -> str:
    st = gp.status
    if st == _Gwaiting and gp.waitreason:
        status = gp.waitreason
    else:
        status = GSTATUS_WORDS.get(st, "???")
    # Go appends ", N minutes" for a long wait (g.waitsince, stamped by the GC's
    # stack scan); gort has no GC scan to stamp it and leaves it out.
    return f"goroutine {gp.goid} [{status}]:"


def _coro_frames(coro: Any) -> list[tuple[CodeType, int, str]]:
    """Frames of a suspended coroutine chain, innermost first."""
    out: list[tuple[CodeType, int, str]] = []
    obj = coro
    while obj is not None:
        f = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
        if f is None:
            break
        out.append((f.f_code, f.f_lineno, f.f_globals.get("__name__", "?")))
        nxt = getattr(obj, "cr_await", None)
        if nxt is None:
            nxt = getattr(obj, "gi_yieldfrom", None)
        obj = nxt
    out.reverse()
    return out


def _live_frames(frame: FrameType | None) -> list[tuple[CodeType, int, str]]:
    """The calling goroutine's own frames, innermost first, up to its M's scheduler."""
    out: list[tuple[CodeType, int, str]] = []
    f = frame
    while f is not None:
        if f.f_code is proc.schedule.__code__:
            break
        out.append((f.f_code, f.f_lineno, f.f_globals.get("__name__", "?")))
        f = f.f_back
    return out


def _format_frames(frames: list[tuple[CodeType, int, str]]) -> list[str]:
    lines: list[str] = []
    shown: list[tuple[CodeType, int, str] | None] = [
        fr for fr in frames if not fr[0].co_filename.startswith(proc._RUNTIME_DIR)
    ]
    if len(shown) > 100:
        elided = len(shown) - 100
        shown = shown[:50] + [None] + shown[-50:]
    else:
        elided = 0
    for fr in shown:
        if fr is None:
            lines.append(f"...{elided} frames elided...")
            continue
        code, line, mod = fr
        name = _qualname(code)
        lines.append(f"{mod}.{name}(...)" if mod not in ("?", "") else f"{name}(...)")
        lines.append(f"\t{code.co_filename}:{line}")
    return lines


def _created_by(gp: G, with_goid: bool = True) -> list[str]:
    if gp.gopc is None or gp.parent_goid == 0:
        return []
    code = gp.gopc
    line = gopc_line(code, gp.gopc_lasti)
    tail = f" in goroutine {gp.parent_goid}" if with_goid else ""
    return [f"created by {_qualname(code)}{tail}", f"\t{code.co_filename}:{line}"]


def _ancestors(gp: G) -> list[str]:
    lines: list[str] = []
    for goid, gopc, pcs in gp.ancestors or []:
        lines.append(f"[originating from goroutine {goid}]:")
        for code, line in pcs:
            lines.append(f"{_qualname(code)}(...)")
            lines.append(f"\t{code.co_filename}:{line}")
        if len(pcs) >= 50:
            lines.append("...additional frames elided...")
        if gopc is not None and goid != 1:
            code, lasti = gopc
            line = gopc_line(code, lasti)
            lines.append(f"created by {_qualname(code)}")
            lines.append(f"\t{code.co_filename}:{line}")
    return lines


def format_goroutine(gp: G, live_frame: FrameType | None = None) -> str:
    lines = [goroutine_header(gp)]
    if live_frame is not None:
        lines += _format_frames(_live_frames(live_frame))
    elif gp.status == _Grunning or gp.status == _Gsyscall:
        lines.append("\tgoroutine running on other thread; stack unavailable")
    elif gp.coro is not None:
        lines += _format_frames(_coro_frames(gp.coro))
    elif gp.fn is not None:
        fn = gp.fn
        code = getattr(fn, "__code__", None)
        if code is not None:
            lines.append(f"{_qualname(code)}(...)")
            lines.append(f"\t{code.co_filename}:{code.co_firstlineno}")
        else:
            lines.append(f"{getattr(fn, '__qualname__', repr(fn))}(...)")
    lines += _created_by(gp)
    lines += _ancestors(gp)
    return "\n".join(lines) + "\n"


def goroutine_note(gp: G) -> str:
    """The note added to an exception that escaped a goroutine."""
    lines = [f"goroutine {gp.goid} [running]:"]
    lines += _created_by(gp)
    lines += _ancestors(gp)
    return "\n".join(lines)


def _user_gs(s: Sched) -> list[G]:
    return [gp for gp in list(s.allgs) if gp.status not in (_Gdead, _Gidle)]


def dump_all_locked(s: Sched, current: G | None, live_frame: FrameType | None = None) -> str:
    """All user goroutines, the current one first. Caller holds sched.lock or has
    stopped the world."""
    blocks: list[str] = []
    if current is not None:
        blocks.append(format_goroutine(current, live_frame))
    for gp in sorted(_user_gs(s), key=lambda g: g.goid):
        if gp is current:
            continue
        blocks.append(format_goroutine(gp))
    return "\n".join(blocks)


def stack(all_: bool) -> str:
    """gort.runtime.stack: the calling goroutine's stack, or every goroutine's."""
    s = proc.sched
    gp = proc.getg()
    frame = sys._getframe(2)
    if s is None or gp is None:
        raise RuntimeError("gort.runtime.stack: not called from a goroutine")
    if not all_:
        return format_goroutine(gp, frame)
    proc.stop_the_world(s, "stack trace")
    try:
        return dump_all_locked(s, gp, frame)
    finally:
        proc.start_the_world(s)
