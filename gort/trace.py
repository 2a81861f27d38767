"""``gort.trace``: execution traces (Go's package ``runtime/trace``).

``start(path)`` begins recording what the scheduler does (goroutines created,
started, blocked, readied, ended; Ps started, stopped and retaken; blocking calls)
and ``stop()`` writes it to ``path`` as Chrome trace-event JSON, which
https://ui.perfetto.dev and ``chrome://tracing`` open: one lane per P (``Proc N``)
with a slice ``G<id> <func>`` for each time a goroutine ran there, arrows from the
goroutine that created or woke another, instant events for blocks, blocking calls
and steals, and a ``Goroutines`` counter. ``python -m gort run --trace OUT FILE.py``
does this around a whole program.

Tracing may start before ``gort.run`` or from inside a running program; it costs
nothing while it is off. The event recording is in ``gort/_runtime/trace.py``.
"""

from __future__ import annotations

import os
import threading
from typing import IO, Any

from ._runtime import proc as _proc
from ._runtime import trace as _trace

__all__ = ["start", "stop"]

_lock = threading.Lock()  # guards _active and _out across start/stop from several threads
_active: _trace.Tracer | None = None
_out: IO[str] | None = None
_close_out = False


def start(path: str | os.PathLike[str] | IO[str]) -> None:
    """Start tracing into ``path`` (a file name, or a text file open for writing).

    The file is created now, so a bad path fails here; it is written by ``stop()``.
    Raises ``RuntimeError`` if tracing is already on.
    """
    global _active, _out, _close_out
    with _lock:
        if _active is not None or _proc.tracer is not None:
            raise RuntimeError("gort.trace.start: tracing is already enabled")
        if isinstance(path, (str, os.PathLike)):
            out: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by stop()
            close = True
        elif hasattr(path, "write"):
            out = path
            close = False
        else:
            raise TypeError(
                f"gort.trace.start: path must be a file name or a writable file, "
                f"not {type(path).__name__}"
            )
        t = _trace.Tracer()
        s = _proc.sched
        if s is not None:
            # A running program: record where every goroutine is, then install the
            # hooks, both under sched.lock so that no P changes hands in between.
            with s.lock:
                t.snapshot(s)
                _proc.tracer = t
        else:
            _proc.tracer = t
        _active, _out, _close_out = t, out, close


def stop() -> None:
    """Stop tracing and write the trace. Does nothing if tracing is off (as Go's ``Stop``)."""
    global _active, _out, _close_out
    with _lock:
        t, out, close = _active, _out, _close_out
        if t is None or out is None:
            return
        _proc.tracer = None  # from here on no new hook call starts
        _active, _out, _close_out = None, None, False
    try:
        t.finish(out)
        out.flush()
    finally:
        if close:
            out.close()


def _current() -> Any:
    """The active tracer, or ``None`` when tracing is off (for the command line and tests)."""
    return _active
