"""Small helpers shared by the workload files and the harness."""

from __future__ import annotations

import gc
import os
import time

perf = time.perf_counter


class WrongAnswer(AssertionError):
    """A peer computed the wrong result: the harness reports it loudly and fails."""


def check(cond: bool, what: str) -> None:
    if not cond:
        raise WrongAnswer(what)


def rss_bytes() -> int:
    """Resident set size of this process (VmRSS in /proc/self/status), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def settled_rss() -> int:
    """RSS after a full collection (what W6 reads before and after)."""
    gc.collect()
    gc.collect()
    return rss_bytes()


def run_uvloop(main):  # type: ignore[no-untyped-def]
    """Run the coroutine function `main` on a uvloop event loop."""
    import uvloop

    if hasattr(uvloop, "run"):
        return uvloop.run(main())
    import asyncio

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return asyncio.run(main())


def result(value: float, unit: str, **extra: object) -> dict[str, object]:
    """What every peer function returns: the measured figure plus what was checked."""
    return {"value": float(value), "unit": unit, **extra}


def announce_port(port: int) -> None:
    """W8, W8B and W9 servers: tell the harness where to point the load generator."""
    print(f"PORT {port}", flush=True)


def listen_port_of(addr: object) -> int:
    """Port number from a gort Listener's `.addr` (a 'host:port' string, a tuple, or an object)."""
    if isinstance(addr, str):
        return int(addr.rsplit(":", 1)[1])
    if isinstance(addr, tuple):
        return int(addr[1])
    port = getattr(addr, "port", None)
    if port is not None:
        return int(port)
    return int(str(addr).rsplit(":", 1)[1])


def gil_enabled() -> bool:
    import sys

    f = getattr(sys, "_is_gil_enabled", None)
    return True if f is None else bool(f())


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default
