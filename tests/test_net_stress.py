"""Stress for the poll descriptors (issue 6): many goroutines racing reads, writes,
deadlines and closes on shared connections, with GOMAXPROCS 1 and 2 (on the
free-threaded build the Ms really run at once). Bounded: a fixed number of rounds,
each with a deadline; the checks are that every goroutine finishes, only the
documented errors appear, echoes are intact, and no goroutine is left in IO wait.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

import gort
import gort.net as net
from gort._runtime import netpoll

pytestmark = pytest.mark.timeout(120)

EXPECTED = (net.ErrClosed, net.TimeoutError, ConnectionResetError, BrokenPipeError, EOFError)


async def take(ch: gort.Chan[Any]) -> Any:
    return await ch.recv()


async def echo_handler(conn: net.Conn) -> None:
    try:
        while True:
            conn.set_read_deadline(time.monotonic() + 2.0)
            data = await conn.read(4096)
            if not data:
                return
            await conn.write(data)
    except OSError:
        pass
    finally:
        conn.close()


async def echo_server(ln: net.Listener) -> None:
    while True:
        try:
            conn = await ln.accept()
        except net.ErrClosed:
            return
        gort.go(echo_handler, conn)


async def read_exactly(conn: net.Conn, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        d = await conn.read(n - len(buf))
        if not d:
            raise EOFError
        buf += d
    return buf


async def closer(conn: net.Conn, delay: float, done: gort.Chan[Any]) -> None:
    await gort.sleep(delay)
    conn.close()
    await done.send(None)


async def writer(conn: net.Conn, fin: gort.Chan[Any]) -> None:
    for _ in range(10):
        await conn.write(b"w" * 10)
    await fin.send(None)


async def reader(conn: net.Conn, seen: list[int], fin: gort.Chan[Any]) -> None:
    """Read (taking turns with the other reader) until the deadline expires."""
    try:
        while True:
            d = await conn.read(7)
            if not d:
                break
            seen[0] += len(d)
    except net.TimeoutError:
        pass
    finally:
        await fin.send(None)


async def client(addr: str, seed: int, out: gort.Chan[Any]) -> None:
    rng = random.Random(seed)
    counts = {"echo": 0, "timeout": 0, "closed": 0, "other": 0}
    try:
        for _ in range(15):
            c = await net.dial("tcp", addr, timeout=10)
            action = rng.randrange(4)
            try:
                if action == 0:  # plain echoes of varied sizes
                    for _ in range(rng.randrange(1, 6)):
                        msg = rng.randbytes(rng.randrange(1, 20000))
                        await c.write(msg)
                        assert await read_exactly(c, len(msg)) == msg
                        counts["echo"] += 1
                elif action == 1:  # a deadline that expires while parked in read
                    c.set_read_deadline(time.monotonic() + rng.uniform(0.001, 0.03))
                    try:
                        await c.read(10)
                        counts["other"] += 1
                    except net.TimeoutError:
                        counts["timeout"] += 1
                    c.set_read_deadline(None)
                    await c.write(b"z")
                    assert await read_exactly(c, 1) == b"z"
                elif action == 2:  # another goroutine closes it while we are parked
                    done = gort.Chan[Any](1)
                    gort.go(closer, c, rng.uniform(0, 0.02), done)
                    try:
                        while True:
                            await c.read(10)
                    except net.ErrClosed:
                        counts["closed"] += 1
                    await take(done)
                else:  # two readers and two writers share the connection
                    wfin = gort.Chan[Any](2)
                    rfin = gort.Chan[Any](2)
                    seen = [0]  # bytes read by both readers
                    gort.go(writer, c, wfin)
                    gort.go(writer, c, wfin)
                    gort.go(reader, c, seen, rfin)
                    gort.go(reader, c, seen, rfin)
                    for _ in range(2):
                        await take(wfin)
                    t_end = time.monotonic() + 10
                    while seen[0] < 200 and time.monotonic() < t_end:
                        await gort.sleep(0.001)
                    assert seen[0] == 200
                    # the reader still parked (or queued behind it) is woken by a deadline
                    c.set_read_deadline(time.monotonic() - 1)
                    for _ in range(2):
                        await take(rfin)
                    counts["echo"] += 1
            finally:
                c.close()
        await out.send(counts)
    except BaseException as e:
        await out.send(e)


@pytest.mark.parametrize("procs", [1, 2])
def test_net_stress(procs: int) -> None:
    nclients = 40

    async def main() -> dict[str, int]:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        out = gort.Chan[Any](nclients)
        for i in range(nclients):
            gort.go(client, str(ln.addr), 1000 * procs + i, out)
        total = {"echo": 0, "timeout": 0, "closed": 0, "other": 0}
        errors: list[BaseException] = []
        for _ in range(nclients):
            r = await take(out)
            if isinstance(r, BaseException):
                errors.append(r)
            else:
                for k, v in r.items():
                    total[k] += v
        ln.close()
        # every server handler sees its client's close: nobody is left in IO wait
        t_end = time.monotonic() + 5
        while netpoll.netpoll_waiters() and time.monotonic() < t_end:
            await gort.sleep(0.02)
        total["waiters_left"] = netpoll.netpoll_waiters()
        if errors:
            raise errors[0]
        return total

    total = gort.run(main, gomaxprocs=procs)
    assert total["waiters_left"] == 0
    assert total["echo"] > 0 and total["timeout"] > 0 and total["closed"] > 0
