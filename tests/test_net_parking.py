"""gort.net's fast paths: a read that parks at once after a read that emptied the
socket (no FIONREAD, no failed recv), reads and writes that make their system call
under the poll descriptor's lock, and the epoll registration that adds EPOLLOUT only
when a writer first waits.

Every test synchronises on runtime state (a goroutine parked in ``IO wait``, the
poller's waiter count) or on channels, never on a sleep.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import pytest
from helpers import go_id, wait_parked

import gort
import gort.net as net
from gort._runtime import netpoll

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


async def take(ch: gort.Chan[Any]) -> Any:
    return await ch.recv()


async def pair() -> tuple[net.Listener, net.Conn, net.Conn]:
    """A listener and both ends of one TCP connection accepted from it."""
    ln = net.listen("tcp", "127.0.0.1:0")
    accepted = gort.Chan[Any](1)

    async def acc() -> None:
        await accepted.send(await ln.accept())

    gort.go(acc)
    c = await net.dial("tcp", str(ln.addr))
    s = await take(accepted)
    return ln, c, s


async def drain_once(conn: net.Conn, peer: net.Conn, msg: bytes) -> None:
    """One short read: afterwards the server side's next read parks at once."""
    await peer.write(msg)
    got = b""
    while len(got) < len(msg):
        got += await conn.read(65536)
    assert got == msg
    assert conn._pd.rdrained


@pytest.mark.parametrize("procs", PROCS)
def test_read_parked_after_a_draining_read_gets_data_that_arrives_later(procs: int) -> None:
    """The reader parks without asking the socket; data written afterwards (by a
    goroutine, or by a thread outside the runtime) is a new edge that wakes it."""

    async def main() -> list[bytes]:
        ln, c, s = await pair()
        await drain_once(s, c, b"first")
        got = gort.Chan[Any](1)

        async def reader() -> None:
            for _ in range(20):
                await got.send(await s.read(65536))

        rid = await go_id(reader)
        out: list[bytes] = []
        raw = socket.fromfd(c.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        try:
            for i in range(20):
                await wait_parked(rid, "IO wait")  # parked before anything was sent
                msg = f"m{i}".encode()
                if i % 2:
                    await c.write(msg)
                else:  # from an OS thread the runtime knows nothing about
                    t = threading.Thread(target=raw.sendall, args=(msg,))
                    t.start()
                    await gort.blocking(t.join)
                out.append(await take(got))
        finally:
            raw.close()
        c.close()
        s.close()
        ln.close()
        return out

    assert run(main, procs) == [f"m{i}".encode() for i in range(20)]


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_a_reader_parked_after_a_draining_read(procs: int) -> None:
    async def main() -> tuple[str, int, int]:
        ln, c, s = await pair()
        await drain_once(s, c, b"abc")
        res = gort.Chan[Any](1)

        async def reader() -> None:
            try:
                await s.read(100)
                await res.send("no error")
            except net.ErrClosed as e:
                await res.send(str(e))

        rid = await go_id(reader)
        await wait_parked(rid, "IO wait")
        s.close()
        msg = await take(res)
        fileno = s._sock.fileno()  # -1 once the last owner has closed it
        c.close()
        ln.close()
        return msg, fileno, netpoll.netpoll_waiters()

    msg, fileno, waiters = run(main, procs)
    assert msg == "use of closed network connection"
    assert fileno == -1
    assert waiters == 0


@pytest.mark.parametrize("procs", PROCS)
def test_deadline_wakes_a_reader_parked_after_a_draining_read(procs: int) -> None:
    """The timer wakes the parked reader with TimeoutError; the connection stays
    usable and data sent afterwards is read."""

    async def main() -> tuple[str, bytes]:
        ln, c, s = await pair()
        await drain_once(s, c, b"abc")
        res = gort.Chan[Any](1)

        async def reader() -> None:
            try:
                await res.send(await s.read(100))
            except net.TimeoutError as e:
                await res.send(e)

        s.set_read_deadline(time.monotonic() + 0.05)
        gort.go(reader)
        err = await take(res)
        assert isinstance(err, net.TimeoutError)
        s.set_read_deadline(None)
        await c.write(b"later")
        got = await s.read(100)
        c.close()
        s.close()
        ln.close()
        return str(err), got

    assert run(main, procs) == ("i/o timeout", b"later")


@pytest.mark.parametrize("procs", PROCS)
def test_data_racing_a_deadline_is_never_lost(procs: int) -> None:
    """Data arrives and the deadline passes at about the same time while the reader is
    parked: whichever wakes it, the data is read then or by the next read."""

    async def main() -> int:
        ln, c, s = await pair()
        await drain_once(s, c, b"x")
        res = gort.Chan[Any](1)
        go_on = gort.Chan[Any](1)
        rounds = 50

        async def reader() -> None:
            for _ in range(rounds):
                try:
                    d = await s.read(100)
                except net.TimeoutError:
                    s.set_read_deadline(None)
                    d = await s.read(100)  # must not hang: the data is there
                await res.send(d)
                await take(go_on)

        rid = await go_id(reader)
        for i in range(rounds):
            await wait_parked(rid, "IO wait")
            await c.write(bytes([i]))
            s.set_read_deadline(time.monotonic() - 1)  # expired: wakes the reader
            assert await take(res) == bytes([i])
            s.set_read_deadline(None)
            await go_on.send(None)
        c.close()
        s.close()
        ln.close()
        return rounds

    assert run(main, procs) == 50


@pytest.mark.parametrize("procs", PROCS)
def test_second_reader_queues_behind_a_parked_fast_path_reader(procs: int) -> None:
    """While the first reader is parked (it took the ownership under the lock), a
    second one queues in semacquire and is handed the ownership in turn."""

    async def main() -> list[bytes]:
        ln, c, s = await pair()
        await drain_once(s, c, b"0")
        got = gort.Chan[Any](2)

        async def reader() -> None:
            await got.send(await s.read(100))

        first = await go_id(reader)
        await wait_parked(first, "IO wait")
        second = await go_id(reader)
        await wait_parked(second, "semacquire")
        await c.write(b"a")
        out = [await take(got)]
        await wait_parked(second, "IO wait")
        await c.write(b"b")
        out.append(await take(got))
        c.close()
        s.close()
        ln.close()
        return out

    assert run(main, procs) == [b"a", b"b"]


@pytest.mark.parametrize("procs", PROCS)
def test_writer_that_waits_after_reads_is_woken(procs: int) -> None:
    """The connection was registered for reads only; the first write that must wait
    adds write interest, and the writer is woken as the peer drains (while a reader
    of the same connection stays parked)."""
    payload = os.urandom(1 << 16) * 64  # 4 MiB: more than the socket buffers hold

    async def main() -> tuple[int, bool, bytes]:
        ln, c, s = await pair()
        await drain_once(s, c, b"ping")
        assert not s._pd.regmask & netpoll.MODE_WRITE or netpoll._ep is None
        wrote = gort.Chan[Any](1)
        got = gort.Chan[Any](1)

        async def reader() -> None:
            await got.send(await s.read(100))

        async def writer() -> None:
            await wrote.send(await s.write(payload))

        rid = await go_id(reader)
        await wait_parked(rid, "IO wait")
        wid = await go_id(writer)
        await wait_parked(wid, "IO wait")  # the buffers are full
        assert s._pd.regmask & netpoll.MODE_WRITE
        buf = bytearray()
        while len(buf) < len(payload):
            buf += await c.read(1 << 20)
        n = await take(wrote)
        await c.write(b"pong")
        last = await take(got)
        c.close()
        s.close()
        ln.close()
        return n, bytes(buf) == payload, last

    n, same, last = run(main, procs)
    assert n == len(payload) and same and last == b"pong"


@pytest.mark.parametrize("procs", PROCS)
def test_end_of_stream_after_a_draining_read(procs: int) -> None:
    """The peer closes while the reader is parked after a draining read: b"" (and again
    on every later read, which no longer parks: the hang-up is remembered)."""

    async def main() -> list[bytes]:
        ln, c, s = await pair()
        await drain_once(s, c, b"abc")
        got = gort.Chan[Any](1)

        async def reader() -> None:
            await got.send([await s.read(100), await s.read(100), await s.read(100)])

        rid = await go_id(reader)
        await wait_parked(rid, "IO wait")
        c.close()
        out: list[bytes] = await take(got)
        s.close()
        ln.close()
        return out

    assert run(main, procs) == [b"", b"", b""]


def run(main: Any, procs: int) -> Any:
    return gort.run(main, gomaxprocs=procs)


@pytest.mark.parametrize("procs", PROCS)
def test_read_that_stops_at_the_urgent_mark_does_not_park_on_the_rest(procs: int) -> None:
    """TCP ends a read early at the urgent mark (a peer's MSG_OOB) with data left
    behind: that short read did not empty the socket, and the data after the mark
    is read without waiting for more (the poller reports the urgent data)."""

    async def main() -> bytes:
        ln, c, s = await pair()
        await drain_once(s, c, b"0")
        raw = socket.fromfd(c.fileno(), socket.AF_INET, socket.SOCK_STREAM)

        def send() -> None:
            raw.sendall(b"abc")
            raw.send(b"X", socket.MSG_OOB)  # not inline: readers never see it
            raw.sendall(b"def")

        try:
            await gort.blocking(send)
        finally:
            raw.close()
        got = b""
        while len(got) < 6:
            got += await s.read(100)
        c.close()
        s.close()
        ln.close()
        return got

    assert run(main, procs) == b"abcdef"


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_fast_path_stress(procs: int) -> None:
    """Many connections whose reads park at once (after a draining echo), racing a
    close, an expiring deadline, the peer's data and the peer's close, on up to 4 Ps
    (truly parallel on the free-threaded build). Every goroutine finishes with a
    documented outcome, data is never lost, and nobody is left in IO wait. The
    random delays only vary the interleavings; no check depends on them."""
    import random

    nconns = 24

    async def server_side(s: net.Conn, c: net.Conn, seed: int, out: gort.Chan[Any]) -> None:
        rng = random.Random(seed)
        res = "ok"
        try:
            for _ in range(10):
                msg = rng.randbytes(rng.randrange(1, 300))
                await c.write(msg)
                got = b""
                while len(got) < len(msg):
                    got += await s.read(65536)
                assert got == msg  # s drained: its next read parks at once
                action = rng.randrange(4)
                if action == 0:  # the peer's data wakes it
                    async def later() -> None:
                        await gort.sleep(rng.uniform(0, 0.002))
                        await c.write(b"d")

                    gort.go(later)
                    assert await s.read(10) == b"d"
                elif action == 1:  # a deadline wakes it, then the data is still read
                    s.set_read_deadline(time.monotonic() + rng.uniform(0, 0.002))
                    gort.go(c.write, b"e")
                    try:
                        d = await s.read(10)
                    except net.TimeoutError:
                        s.set_read_deadline(None)
                        d = await s.read(10)
                    s.set_read_deadline(None)
                    assert d == b"e"
                elif action == 2:  # the peer closes: end of stream
                    c.close()
                    assert await s.read(10) == b""
                    res = "eof"
                    break
                else:  # another goroutine closes it while it is parked
                    async def closer() -> None:
                        await gort.sleep(rng.uniform(0, 0.002))
                        s.close()

                    gort.go(closer)
                    try:
                        while True:
                            await s.read(10)
                    except net.ErrClosed:
                        res = "closed"
                    break
        except BaseException as e:
            res = repr(e)
        finally:
            s.close()
            c.close()
        await out.send(res)

    async def main() -> tuple[list[str], int]:
        out = gort.Chan[Any](nconns)
        lns = []
        for i in range(nconns):
            ln, c, s = await pair()
            lns.append(ln)
            gort.go(server_side, s, c, i * 7919 + procs, out)
        results = [await take(out) for _ in range(nconns)]
        for ln in lns:
            ln.close()
        return results, netpoll.netpoll_waiters()

    results, waiters = run(main, procs)
    assert all(r in ("ok", "eof", "closed") for r in results), results
    assert waiters == 0
