"""gort: Go's runtime for Python coroutines.

Goroutines are ``async def`` functions (or plain callables) run by a G-M-P
scheduler: per-P run queues with a runnext slot, a global run queue, work
stealing, spinning Ms, sysmon, a netpoller and timers. See the README and
``docs/design.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from . import context, net, runtime, sync, time, trace  # the public sub-modules
from ._runtime import proc as _proc
from ._runtime.chan import Chan, nilchan
from ._runtime.runtime2 import Deadlock, ExitProgram, FatalError, Goexit, Panic
from ._runtime.selectgo import default
from ._runtime.selectgo import select as _select
from .time import sleep  # gort.sleep is gort.time.sleep

__all__ = [
    "Chan",
    "context",
    "net",
    "runtime",
    "sync",
    "time",
    "trace",
    "Deadlock",
    "FatalError",
    "Goexit",
    "Panic",
    "blocking",
    "default",
    "exit",
    "go",
    "goexit",
    "gomaxprocs",
    "gosched",
    "nilchan",
    "numgoroutine",
    "run",
    "select",
    "sleep",
]

T = TypeVar("T")


def run(main: Any, *args: Any, gomaxprocs: int | None = None, **kwargs: Any) -> Any:
    """Run ``main(*args, **kwargs)`` as goroutine 1 on a fresh runtime; return its result.

    ``gomaxprocs=None`` means the ``GOMAXPROCS`` environment variable, else the
    number of CPUs on a free-threaded interpreter and 1 where the GIL is enabled.
    """
    return _proc.run(main, args, kwargs, gomaxprocs)


go = _proc.go  # ``go fn(args)``: the runtime's own function, one call fewer per goroutine


def gosched() -> Any:
    """``await gort.gosched()``: yield the processor (to the global run queue)."""
    return _proc.gosched()


def goexit() -> None:
    """``runtime.Goexit``: end the calling goroutine after its ``finally`` blocks run."""
    raise Goexit()


def exit(code: int = 0) -> None:  # noqa: A001 - Go's os.Exit
    """``os.Exit``: end the program at once; ``run`` raises ``SystemExit(code)``."""
    s = _proc.sched
    if s is None or _proc.getg() is None:
        raise SystemExit(code)
    # The program ends now, not when the exception below leaves the goroutine: an
    # ``except BaseException`` cannot cancel it (Go's os.Exit cannot be recovered),
    # and an await in a ``finally`` block lets no other goroutine run.
    _proc.initiate_exit(s, ("exit", code))
    raise ExitProgram(code)


def numgoroutine() -> int:
    """The number of live user goroutines."""
    return _proc.numgoroutine()


def gomaxprocs(n: int = 0) -> int:
    """Return the previous GOMAXPROCS; ``n > 0`` sets it (with the world stopped)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("gomaxprocs: n must be an int")
    return _proc.gomaxprocs(n)


select = _select  # ``await gort.select(ch.recv, (ch2.send, v), gort.default)`` -> (index, value)


def blocking(fn: Callable[..., T], *args: Any) -> Any:
    """``await gort.blocking(fn, *args)``: run a blocking call with the P released."""
    return _proc.blocking(fn, args)




