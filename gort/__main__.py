"""``python -m gort run [OPTIONS] FILE.py [ARGS...]``: run a program's ``main`` on gort.

What ``go run`` plus a Go binary's runtime do at the edges of a program:

- FILE is loaded as the module ``__main__`` (``sys.argv`` is ``[FILE, *ARGS]`` and
  FILE's directory is ``sys.path[0]``, as for ``python FILE.py``), then its ``main``
  (a coroutine function or a plain callable) runs as goroutine 1 under
  ``gort.run``. A file that calls ``gort.run(...)`` itself while it loads (the usual
  ``if __name__ == "__main__": gort.run(main)``) is run that way instead, with the
  same options, and ``main`` is not run a second time.
- Options come before FILE, or right after it (``run FILE.py --gomaxprocs 2 ARGS``,
  as the README writes it): the first argument after FILE that is not a run option
  starts the program's arguments, and ``--`` there ends the options (and is dropped).
- ``--gomaxprocs N`` sets ``GOMAXPROCS``; ``--schedtrace MS`` adds
  ``schedtrace=MS`` to ``GORTDEBUG``; ``--trace OUT`` records an execution trace
  (``gort.trace``) into OUT; ``--summary`` prints what the scheduler did to stderr
  at exit.
- Exit status and output as a Go program's: 0 when main returns; ``gort.exit(n)``
  exits ``n``; an uncaught exception in any goroutine prints ``panic: ...``, a blank
  line and the traceback (with the ``goroutine N [running]:`` note) and exits 2; a
  deadlock prints ``fatal error: all goroutines are asleep - deadlock!``, a blank
  line and the goroutine dump, and exits 2; SIGQUIT (Ctrl-\\) prints
  ``SIGQUIT: quit`` and the dump of every goroutine, and exits 2; SIGINT ends the
  program at once, killed by the signal, as Go's default handler does.
- Frames inside gort are left out of tracebacks, as Go leaves runtime frames out
  (``GOTRACEBACK=system`` shows them).
- The process ends with ``os._exit`` once stdout and stderr are flushed and the
  ``atexit`` handlers have run: as with Go's ``os.Exit``, goroutines that were
  abandoned when main returned never run again, not even their ``finally`` blocks
  (the interpreter's shutdown would otherwise finalize their coroutines).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import gort

from . import trace as _gtrace
from ._runtime import proc as _proc
from ._runtime.runtime2 import Deadlock, FatalError, Panic, Sched, _Grunning

_GORT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_PROG = "python -m gort"


@dataclass
class _State:
    """What the command line knows about the program it runs."""

    gomaxprocs: int | None = None
    runs: int = 0  # gort.run calls made (by the file, or by us)
    run_error: BaseException | None = None  # what the last gort.run raised
    scheds: list[Sched] = field(default_factory=list)  # the runtime of each run
    t_start: float = 0.0


_state = _State()
_gort_run = gort.run  # the real one: gort.run is replaced while FILE loads


# ---------------------------------------------------------------------------
# Running main


def _run_main(main: Any, *args: Any, gomaxprocs: int | None = None, **kwargs: Any) -> Any:
    """``gort.run`` as the command line does it: notes the runtime for the summary
    and the exception, if any, that ends the program."""
    if gomaxprocs is None:
        gomaxprocs = _state.gomaxprocs
    if main is None or (not callable(main) and type(main) is not types.CoroutineType):
        return _gort_run(main, *args, gomaxprocs=gomaxprocs, **kwargs)  # gort's own error

    async def goroutine1() -> Any:
        if _proc.sched is not None:
            _state.scheds.append(_proc.sched)
        if type(main) is types.CoroutineType:
            return await main
        r = main(*args, **kwargs)
        if type(r) is types.CoroutineType:
            r = await r
        return r

    # The trace and the dumps name goroutine 1 after the program's main.
    name = getattr(main, "__qualname__", None) or getattr(main, "__name__", None)
    if isinstance(name, str):
        goroutine1.__qualname__ = goroutine1.__name__ = name
    _state.runs += 1
    _state.run_error = None
    try:
        return _gort_run(goroutine1, gomaxprocs=gomaxprocs)
    except BaseException as e:
        _state.run_error = e
        raise


def _load_and_run(path: str, args: list[str]) -> None:
    """Load FILE as ``__main__`` and run its main (or let it run itself)."""
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    mod = types.ModuleType("__main__")
    mod.__file__ = path
    mod.__dict__["__builtins__"] = __builtins__
    mod.__dict__["__cached__"] = None
    sys.modules["__main__"] = mod
    sys.argv = [path, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    # While FILE loads, gort.run is the command line's: a file that runs itself
    # gets the options too, and is not run twice.
    gort.run = _run_main
    try:
        exec(code, mod.__dict__)
    finally:
        if gort.run is _run_main:
            gort.run = _gort_run
    if _state.runs:
        return
    main = mod.__dict__.get("main")
    if main is None:
        _die(f"{path} defines no main (want: async def main() or def main())")
    if not callable(main) and type(main) is not types.CoroutineType:
        _die(f"{path}: main is a {type(main).__name__}, not a function")
    _run_main(main)


# ---------------------------------------------------------------------------
# Reporting


def _keep_frame(filename: str) -> bool:
    return not os.path.abspath(filename).startswith(_GORT_DIR)


def _format_exception(e: BaseException) -> str:
    """The Python traceback of ``e`` (and its chain), without gort's own frames."""
    te = traceback.TracebackException.from_exception(e)
    if os.environ.get("GOTRACEBACK", "") not in ("system", "crash", "2"):
        seen: set[int] = set()
        stack: list[traceback.TracebackException | None] = [te]
        while stack:
            cur = stack.pop()
            if cur is None or id(cur) in seen:
                continue
            seen.add(id(cur))
            kept = [fs for fs in cur.stack if _keep_frame(fs.filename)]
            if kept:
                cur.stack[:] = kept
            stack += [cur.__cause__, cur.__context__]
            stack += list(getattr(cur, "exceptions", None) or [])
    return "".join(te.format())


def _panic_value(e: BaseException) -> str:
    if isinstance(e, Panic):
        return str(e)
    msg = str(e)
    return f"{type(e).__qualname__}: {msg}" if msg else type(e).__qualname__


def _report(e: BaseException) -> int:
    """Print how the program ended, Go's way; return the exit status."""
    if isinstance(e, SystemExit):
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    if e is not _state.run_error:
        # Not from a goroutine (the file failed while loading): Python's report.
        sys.stderr.write("".join(traceback.format_exception(e)))
        return 1
    if isinstance(e, Deadlock):
        dump = e.dump if e.dump.endswith("\n") or not e.dump else e.dump + "\n"
        sys.stderr.write(f"fatal error: {e}\n\n{dump}")
        return 2
    if isinstance(e, FatalError):
        sys.stderr.write(f"fatal error: {e}\n\n{_format_exception(e)}")
        return 2
    sys.stderr.write(f"panic: {_panic_value(e)}\n\n{_format_exception(e)}")
    return 2


def sched_counts(s: Sched) -> dict[str, int]:
    """Totals of a runtime (running or finished): goroutines created, steals, Ms."""
    # Goroutine ids are handed to each P in blocks of 16 (Go's goidcache): the ids
    # taken from the global counter, less those still unused in the Ps' caches,
    # are the goroutines created.
    unused = sum(len(pp.goidcache) for pp in list(s.allp))
    return {
        "goroutines": max(0, s.goidgen - unused),
        "gomaxprocs": s.gomaxprocs,
        "steals": s.steals,
        "ms": s.mnext - s.nmsys,
    }


def _summary() -> str:
    lines = []
    for i, s in enumerate(_state.scheds):
        try:
            c = sched_counts(s)
        except Exception as e:  # a summary must not crash the exit
            lines.append(f"scheduler summary unavailable: {e!r}")
            continue
        head = "scheduler summary" + (f" (run {i + 1})" if len(_state.scheds) > 1 else "")
        lines += [
            f"--- {head} ---",
            f"goroutines created  {c['goroutines']}",
            f"gomaxprocs          {c['gomaxprocs']}",
            f"work steals         {c['steals']}",
            f"Ms (OS threads)     {c['ms']}  (plus sysmon)",
        ]
    if _state.t_start:
        lines.append(f"wall time           {time.perf_counter() - _state.t_start:.3f} s")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Exit and signals


_exit_lock = threading.Lock()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _stop_trace() -> None:
    try:
        _gtrace.stop()
    except Exception as e:  # report and go on exiting
        sys.stderr.write(f"{_PROG}: writing the trace failed: {e}\n")


def _exit(code: int, summary: bool = False) -> NoReturn:
    """End the process as Go's os.Exit does, after the trace, summary and atexit."""
    with _exit_lock:
        _stop_trace()
        _flush()
        if summary and _state.scheds:
            sys.stderr.write(_summary())
        try:
            atexit._run_exitfuncs()
        finally:
            _flush()
            os._exit(code)


def _die(msg: str, code: int = 2) -> NoReturn:
    sys.stderr.write(f"{_PROG} run: {msg}\n")
    _flush()
    os._exit(code)


def _gil_enabled() -> bool:
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def _sigquit_dump(s: Sched, frame: types.FrameType | None) -> str:
    """Every goroutine, the one m0 was running first (Go's SIGQUIT traceback).

    A goroutine running on m0 is shown from the interrupted frame. One running on
    another M is shown from that thread's frames (``sys._current_frames``) where the
    GIL is enabled: the GIL serialises every access to them, so reading them is
    safe, if not frozen. On a free-threaded interpreter reading another thread's
    running frames would race with it, so such a goroutine shows Go's
    ``goroutine running on other thread; stack unavailable`` instead.
    """
    from ._runtime.runtime2 import _Gdead, _Gidle
    from ._runtime.traceback import format_goroutine

    mp0 = _proc.getm()
    cur = mp0.curg if mp0 is not None else None
    if cur is not None and cur.status != _Grunning:
        cur = None
    live: dict[int, types.FrameType | None] = {}
    if cur is not None:
        live[cur.goid] = frame
    if _gil_enabled():
        threads = sys._current_frames()
        for mp in list(s.allm):
            gp, t = mp.curg, mp.thread
            if mp is mp0 or gp is None or gp.status != _Grunning or t is None:
                continue
            f = threads.get(t.ident) if t.ident is not None else None
            if f is not None:
                live[gp.goid] = f
    gs = [cur] if cur is not None else []
    gs += sorted(
        (
            gp
            for gp in list(s.allgs)
            if gp is not cur and gp.status not in (_Gdead, _Gidle) and not gp.issystem
        ),
        key=lambda g: g.goid,
    )
    return "\n".join(format_goroutine(gp, live.get(gp.goid)) for gp in gs)


def _on_sigquit(signum: int, frame: types.FrameType | None) -> None:
    """Go's SIGQUIT: dump every goroutine to stderr and exit 2.

    Runs on the main thread (m0) between two bytecodes, wherever m0 was: in the
    scheduler, in a goroutine, or asleep waiting for work. sched.lock is taken
    with a timeout because m0 itself may be holding it at this moment; the dump is
    then made without it, which is safe enough for a process about to exit.
    """
    out = ["SIGQUIT: quit\n"]
    s = _proc.sched
    if s is None:
        out.append("\nno runtime running; Python stack of the main thread:\n")
        out.append("".join(traceback.format_stack(frame)))
    else:
        locked = s.lock.acquire(timeout=1.0)
        try:
            dump = _sigquit_dump(s, frame)
        except Exception as e:  # print what we can
            dump = f"goroutine dump failed: {e!r}\n"
        finally:
            if locked:
                s.lock.release()
        out.append("\n" + dump)
    try:
        sys.stderr.write("".join(out))
    finally:
        _flush()
        os._exit(2)


def _on_sigint(signum: int, frame: types.FrameType | None) -> None:
    """Go's default for SIGINT: the program dies of the signal (the trace is kept)."""
    _stop_trace()
    _flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _install_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if hasattr(signal, "SIGQUIT"):
        signal.signal(signal.SIGQUIT, _on_sigquit)
    signal.signal(signal.SIGINT, _on_sigint)


# ---------------------------------------------------------------------------
# The command line


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {n}")
    return n


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    p = argparse.ArgumentParser(
        prog=_PROG,
        description="gort: Go's runtime for Python coroutines.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser(
        "run",
        usage=f"{_PROG} run [-h] [--gomaxprocs N] [--trace OUT] [--schedtrace MS] [--summary]"
        " FILE.py [ARGS ...]",
        help="run FILE.py's main as goroutine 1",
        description="Load FILE.py as __main__ and run its main (async def main() or "
        "def main()) as the main goroutine. The options may also come right after "
        "FILE.py; the first argument that is not one of them (or '--') starts the "
        "program's own arguments, its sys.argv[1:].",
    )
    r.add_argument(
        "--gomaxprocs", type=_positive, metavar="N", help="number of Ps (sets GOMAXPROCS)"
    )
    r.add_argument(
        "--trace",
        metavar="OUT",
        help="write an execution trace (Chrome trace-event JSON for Perfetto "
        "or chrome://tracing) to OUT",
    )
    r.add_argument(
        "--schedtrace",
        type=_positive,
        metavar="MS",
        help="print Go's SCHED line to stderr every MS milliseconds "
        "(adds schedtrace=MS to GORTDEBUG)",
    )
    r.add_argument(
        "--summary", action="store_true", help="print a scheduler summary to stderr at exit"
    )
    r.add_argument("file", metavar="FILE.py")
    return p, r


_VALUE_OPTIONS = ("--gomaxprocs", "--trace", "--schedtrace")
_FLAG_OPTIONS = ("--summary",)


def _split_trailing_options(args: list[str]) -> tuple[list[str], list[str]]:
    """``FILE.py --gomaxprocs 2 a b``: the run options right after FILE, and the rest.

    Options are taken while the arguments are run options; ``--`` ends them (and is
    dropped); any other argument starts the program's own.
    """
    opts: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return opts, args[i + 1 :]
        if a in _FLAG_OPTIONS or ("=" in a and a.partition("=")[0] in _VALUE_OPTIONS):
            opts.append(a)
            i += 1
        elif a in _VALUE_OPTIONS and i + 1 < len(args):
            opts += args[i : i + 2]
            i += 2
        else:
            break
    return opts, args[i:]


def _set_gortdebug(key: str, value: int) -> None:
    items = [i for i in os.environ.get("GORTDEBUG", "").split(",") if i.strip()]
    items = [i for i in items if i.strip().partition("=")[0] != key]
    items.append(f"{key}={value}")
    os.environ["GORTDEBUG"] = ",".join(items)


def _file_index(args: list[str]) -> int:
    """Where FILE.py is in the arguments of ``run`` (len(args) if it is missing)."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return i + 1
        if a in _VALUE_OPTIONS:
            i += 2
        elif a.startswith("-") and a != "-":
            i += 1  # a flag, --opt=value, or a mistake that argparse will report
        else:
            return i
    return i


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser, run_parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Split off what follows FILE before argparse sees it: it belongs to the program
    # (apart from run options right after FILE), and argparse would eat a "--" in it.
    rest: list[str] = []
    if argv[:1] == ["run"]:
        end = 1 + _file_index(argv[1:]) + 1
        argv, rest = argv[:end], argv[end:]
    ns = parser.parse_args(argv)
    if ns.command != "run":
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{_PROG}: error: a command is required (try: {_PROG} run FILE.py)\n")
        _flush()
        os._exit(2)
    trailing, program_args = _split_trailing_options(rest)
    if trailing:
        after = run_parser.parse_args([*trailing, ns.file])
        for key in ("gomaxprocs", "trace", "schedtrace"):
            if getattr(after, key) is not None:
                setattr(ns, key, getattr(after, key))
        ns.summary = ns.summary or after.summary
    path: str = ns.file
    if not os.path.exists(path):
        _die(f"{path}: no such file")
    if os.path.isdir(path):
        _die(f"{path}: is a directory, not a Python file")
    if not os.access(path, os.R_OK):
        _die(f"{path}: permission denied")
    if ns.gomaxprocs is not None:
        os.environ["GOMAXPROCS"] = str(ns.gomaxprocs)
        _state.gomaxprocs = ns.gomaxprocs
    if ns.schedtrace is not None:
        _set_gortdebug("schedtrace", ns.schedtrace)
    if ns.trace:
        try:
            _gtrace.start(ns.trace)
        except OSError as e:
            _die(f"--trace {ns.trace}: {e.strerror or e}")
    _install_signals()
    _state.t_start = time.perf_counter()
    try:
        _load_and_run(path, program_args)
    except BaseException as e:  # every way a program can end
        code = _report(e)
        _exit(code, ns.summary)
    _exit(0, ns.summary)


if __name__ == "__main__":
    main()
