"""CPU accounting for the server workloads (W8, W8B, W9).

Over the load period only (from just before the load generator starts to just after
it has been reaped) the harness reads:

* the server's CPU time, user + system, all its threads (exited ones included), from
  ``/proc/<pid>/stat``; clock-tick resolution (10 ms), fine for runs of a second;
* the load generator's, from ``getrusage(RUSAGE_CHILDREN)``: the harness reaps no
  other child in between (the server is reaped only after the load, and every
  earlier subprocess has been waited for), so the delta is the load generator's.

From those come three figures per run: the server's and the load generator's CPU
microseconds per message (or request), and how busy the machine was: both CPU times
over the wall time of the load times the CPUs usable here. Where ``/proc`` or
``resource`` is missing the figures that need it are left out.
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

try:
    CLK_TCK = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    CLK_TCK = 100

BUSY = "machine_busy_pct"


def cpu_columns(per: str) -> tuple[tuple[str, str], ...]:
    """The table columns of the CPU figures: (key in a run's result, heading)."""
    return (
        (f"server_cpu_us_per_{per}", f"server CPU, µs/{per}"),
        (f"client_cpu_us_per_{per}", f"load generator CPU, µs/{per}"),
        (BUSY, "machine busy, %"),
    )


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of process ``pid`` (every thread, exited ones too), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after
    # the last ")"; there field 3 (state) is index 0, utime (14) and stime (15) 11 and 12
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def reaped_children_cpu_seconds() -> float | None:
    """User + system time of every child this process has reaped so far, or None."""
    if resource is None:
        return None
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Mark(NamedTuple):
    wall: float
    server: float | None
    client: float | None


def mark(server_pid: int) -> Mark:
    """Take one reading; call it right before the load generator starts and right after
    it has been reaped."""
    return Mark(time.perf_counter(), process_cpu_seconds(server_pid), reaped_children_cpu_seconds())


def figures(start: Mark, end: Mark, count: int, per: str) -> dict[str, float]:
    """The CPU figures of one run between two marks, for ``count`` messages (requests)."""
    wall = end.wall - start.wall
    if count <= 0 or wall <= 0:
        return {}
    out: dict[str, float] = {"load_wall_s": round(wall, 4)}
    used = 0.0
    for who, a, b in (("server", start.server, end.server), ("client", start.client, end.client)):
        if a is None or b is None:
            continue
        out[f"{who}_cpu_s"] = round(b - a, 3)
        out[f"{who}_cpu_us_per_{per}"] = round((b - a) / count * 1e6, 2)
        used += b - a
    if "server_cpu_s" in out and "client_cpu_s" in out:
        out["usable_cpus"] = usable_cpus()
        out[BUSY] = round(used / (wall * out["usable_cpus"]) * 100, 1)
    return out
