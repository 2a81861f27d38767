"""``gort.time``: sleep, timers and tickers (Go's package time). Durations are float seconds."""

from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any

from ._runtime import proc as _proc
from ._runtime import timers as _timers
from ._runtime.runtime2 import M, waitReasonSleep

__all__ = ["sleep"]


def _check_duration(d: float) -> float:
    if isinstance(d, bool) or not isinstance(d, (int, float)):
        raise TypeError(f"duration must be a number of seconds, not {type(d).__name__}")
    return float(d)


def _wake_sleeper(gp: Any, version: int, delta: int) -> None:
    _proc.goready(gp)


def _arm_sleep(gp: Any, when: Any) -> bool:
    t = gp.timer
    if t is None:
        t = gp.timer = _timers.Timer(_wake_sleeper, gp)
    _timers.modtimer(t, when)
    return True


@types.coroutine
def sleep(d: float) -> Generator[int, Any, None]:
    """Pause the calling goroutine for at least ``d`` seconds (``d <= 0``: just yield)."""
    d = _check_duration(d)
    if d <= 0:
        yield from _proc.gosched()
        return
    mp: M = _proc._tls.m
    gp = mp.curg
    assert gp is not None
    when = _timers._nanotime() + int(d * 1e9)
    gp.waitreason = waitReasonSleep
    mp.waitlock = when
    mp.waitunlockf = _arm_sleep  # armed after the G is parked, as Go's resetForSleep
    yield 1  # TRAP_PARK
