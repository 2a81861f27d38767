"""Shared helpers for the runtime-core tests (tests/test_core_*.py).

Nothing here starts a runtime: the tests call ``gort.run`` themselves.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gort.runtime import SchedSnapshot

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"

# Environment variables of gort that a test run may inherit and that would change what
# a subprocess program does.
_GORT_ENV = ("GORTDEBUG", "GOMAXPROCS", "GORT_TEST_CLI")


def gil_enabled() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def cli_available() -> bool:
    """True once ``python -m gort run FILE`` exists (contract section 7)."""
    return importlib.util.find_spec("gort.__main__") is not None


def program_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GORT_ENV}
    # The checkout first, so the program imports this gort even when the venv's
    # editable install is broken.
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + pp if pp else "")
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


def run_program(
    name: str,
    *args: str,
    env: dict[str, str] | None = None,
    cli: bool = False,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``tests/programs/<name>`` with this interpreter and capture its output.

    ``cli=False``: ``python FILE`` (the program calls ``gort.run(main)`` itself).
    ``cli=True``: ``python -m gort run FILE``; ``GORT_TEST_CLI=1`` tells the program not
    to call ``gort.run`` itself.
    """
    path = str(PROGRAMS / name)
    extra = dict(env or {})
    if cli:
        extra["GORT_TEST_CLI"] = "1"
        cmd = [sys.executable, "-m", "gort", "run", path, *args]
    else:
        cmd = [sys.executable, path, *args]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=program_env(extra),
        cwd=str(REPO),
        check=False,
    )


def thread_idents() -> set[int]:
    return {t.ident for t in threading.enumerate() if t.ident is not None and t.is_alive()}


def go_runq_model(n: int) -> tuple[int | None, list[int], list[int]]:
    """What Go's P holds after ``n`` ``go`` statements on an empty P, goids 2, 3, ...

    newproc's ``runqput(pp, newg, next=true)``: the new G takes ``runnext``; the G it
    kicks out goes to the tail of the 256-slot ring; when the ring is full,
    ``runqputslow`` moves its first half (128) plus the kicked G to the global queue.
    Returns (runnext, ring head first, global queue head first).
    """
    runnext: int | None = None
    ring: list[int] = []
    glob: list[int] = []
    for goid in range(2, 2 + n):
        old, runnext = runnext, goid
        if old is None:
            continue
        if len(ring) < 256:
            ring.append(old)
        else:
            glob.extend(ring[:128])
            glob.append(old)
            ring = ring[128:]
    return runnext, ring, glob


def gfree_model(exits: int, local: int = 0, glob: int = 0) -> tuple[int, int]:
    """Go's gfput counts after ``exits`` goroutines end on one P: when the local list
    reaches 64, Gs move to the global list while the local count is >= 32 (33 move,
    31 stay). Returns (local, global)."""
    for _ in range(exits):
        local += 1
        if local >= 64:
            moved = local - 31
            local = 31
            glob += moved
    return local, glob


# ---------------------------------------------------------------- goroutine-state waits
# Shared by the channel and select tests: synchronise on the runtime's own state
# (sched_snapshot) instead of sleeping.

WAIT_LIMIT = 20.0  # seconds a wait_until may poll before it fails the test


async def wait_until(pred: Callable[[SchedSnapshot], bool], what: str) -> SchedSnapshot:
    """Poll the scheduler snapshot until ``pred`` holds (yielding between polls)."""
    import time

    import gort

    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        snap = gort.runtime.sched_snapshot()
        if pred(snap):
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}; goroutines: {snap.goroutines}")
        await gort.gosched()


def state(snap: SchedSnapshot, goid: int) -> tuple[str, str] | None:
    """(status, wait reason) of goroutine ``goid`` in ``snap``, or None."""
    for g in snap.goroutines:
        if g.goid == goid:
            return g.status, g.wait_reason
    return None


async def wait_blocked(goid: int, reason: str) -> SchedSnapshot:
    """Wait until goroutine ``goid`` is parked (``_Gwaiting``) with wait reason ``reason``."""
    return await wait_until(
        lambda s: state(s, goid) == ("_Gwaiting", reason),
        f"goroutine {goid} is blocked in [{reason}]",
    )


async def wait_parked(goid: int, reason: str | None = None) -> SchedSnapshot:
    """Wait until ``goid`` is ``_Gwaiting`` (with wait reason ``reason`` if given)."""

    def parked(s: SchedSnapshot) -> bool:
        st = state(s, goid)
        return st is not None and st[0] == "_Gwaiting" and (reason is None or st[1] == reason)

    return await wait_until(parked, f"goroutine {goid} is parked in [{reason}]")


async def go_id(fn: Callable[..., Awaitable[Any]], *args: Any) -> int:
    """``go fn(*args)`` and return the new goroutine's id (it reports it first)."""
    import gort

    ids: gort.Chan[int] = gort.Chan(1)

    async def body() -> None:
        await ids.send(gort.runtime.goid())
        await fn(*args)

    gort.go(body)
    goid = await ids.recv()
    assert isinstance(goid, int)
    return goid
