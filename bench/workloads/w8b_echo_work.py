"""W8B TCP echo with a CPU-bound handler: W8's servers, each doing pure-Python work per message.

Why it exists: on this 2-vCPU machine W8 cannot show a second P paying off. Its load
generator runs on the same machine and takes about as much CPU per message as gort's
server, so with one P the two keep the machine nearly busy and a second P has no CPU
to run on (W8's CPU columns show it; even Go's own server is no faster there with
GOMAXPROCS=2). Here every server first runs ``spin`` on what it read, about 1,000
rounds of an integer hash per 64-byte message, so that the server, not the machine,
is the bottleneck, and the load generator's share is small. Then a runtime that runs
Python code on two CPUs at once (gort with two Ps on a free-threaded build, plain
threads there too) can go faster than with one.

Same protocol, servers and load generator as W8 (``bench/go/echoclient``, GOMAXPROCS=1,
every echoed byte checked), with fewer messages so that a run takes about a second.
The servers are W8's own (``w8_echo.peer_*``), given ``spin`` as their work function.
No Go twin: Go's loop would be a hundred times faster, which would say nothing here.
"""

from __future__ import annotations

from bench.cpuacct import cpu_columns
from bench.workloads import w8_echo as w8

ID = "W8B"
TITLE = "TCP echo, CPU-bound handler"
UNIT = "msgs/s"
BETTER = "higher"
SERVER = True  # the harness runs W8's load generator against these
EXTRAS = cpu_columns("msg")
PEERS = (
    "gort",
    "asyncio-streams",
    "uvloop-streams",
    "gevent",
    "trio",
    "threads",
)
CONNS = w8.CONNS
MSGS = 250
SIZE_BYTES = w8.SIZE_BYTES
WORK_ITERS = 1_000  # rounds of spin's loop per message of SIZE_BYTES
SIZE = (
    f"{CONNS} connections x {MSGS:,} messages of {SIZE_BYTES} bytes, "
    f"{WORK_ITERS:,} rounds of a pure-Python loop per message"
)


def spin(data: bytes) -> int:
    """The handler's CPU-bound part, in pure Python: a multiply-add hash folded over a
    counter, ``WORK_ITERS`` rounds per ``SIZE_BYTES`` bytes read (in proportion for a
    partial read), kept to 20 bits so that it stays a small int.

    Deterministic, no shared state, and ``data`` is left as it is (the client checks
    the echo).
    """
    h = 0
    for i in range(len(data) * WORK_ITERS // SIZE_BYTES):
        h = (h * 31 + i) & 0xFFFFF
    return h


def peer_gort(procs: int) -> None:
    w8.peer_gort(procs, spin)


def peer_asyncio_streams() -> None:
    w8.peer_asyncio_streams(spin)


def peer_uvloop_streams() -> None:
    w8.peer_uvloop_streams(spin)


def peer_gevent() -> None:
    w8.peer_gevent(spin)


def peer_trio() -> None:
    w8.peer_trio(spin)


def peer_threads() -> None:
    w8.peer_threads(spin)
