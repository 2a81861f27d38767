"""gort.net and the netpoller: listen/dial/accept/read/write/close, deadlines, errors,
deadlock detection with I/O waiters, IPv4, IPv6 and Unix sockets (issue 6).

Every test runs its own runtime, talks over 127.0.0.1 / ::1 / a Unix socket in a
temporary directory only, and is bounded in time (pytest-timeout) and in size.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import struct
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import gort
import gort.net as net
from gort._runtime import netpoll

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 2]


async def take(ch: gort.Chan[Any]) -> Any:
    """``await ch.recv()``, typed loosely for the tests."""
    return await ch.recv()


def _has_ipv6() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAS_IPV6 = _has_ipv6()
needs_ipv6 = pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback")
needs_unix = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")


def run(main: Callable[..., Awaitable[Any]], procs: int, *args: Any) -> Any:
    return gort.run(main, *args, gomaxprocs=procs)


async def echo_handler(conn: net.Conn) -> None:
    try:
        while True:
            data = await conn.read(65536)
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
        data = await conn.read(n - len(buf))
        if not data:
            raise EOFError(f"got {len(buf)} of {n} bytes")
        buf += data
    return buf


async def run_clients(addr: str, network: str, nclients: int, nmsgs: int, size: int) -> int:
    """nclients goroutines each doing nmsgs request/response round trips; returns the total."""
    results = gort.Chan[Any](nclients)

    async def client(i: int) -> None:
        try:
            c = await net.dial(network, addr, timeout=10)
            n = 0
            try:
                for m in range(nmsgs):
                    msg = bytes((i * 131 + m * 7 + j) & 0xFF for j in range(size))
                    assert await c.write(msg) == size
                    got = await read_exactly(c, size)
                    assert got == msg, f"client {i} message {m}: echo differs"
                    n += 1
            finally:
                c.close()
            await results.send(n)
        except BaseException as e:  # report it to main, which re-raises
            await results.send(e)

    for i in range(nclients):
        gort.go(client, i)
    total = 0
    for _ in range(nclients):
        r = await take(results)
        if isinstance(r, BaseException):
            raise r
        total += r
    return total


# ---------------------------------------------------------------------------
# Echo over each network


@pytest.mark.parametrize("procs", PROCS)
def test_echo_tcp4_many_connections(procs: int) -> None:
    async def main() -> int:
        ln = net.listen("tcp", "127.0.0.1:0")
        assert isinstance(ln.addr, net.TCPAddr)
        assert ln.addr.ip == "127.0.0.1" and ln.addr.port > 0
        gort.go(echo_server, ln)
        try:
            return await run_clients(str(ln.addr), "tcp", 20, 50, 100)
        finally:
            ln.close()

    assert run(main, procs) == 20 * 50


@needs_ipv6
@pytest.mark.parametrize("procs", PROCS)
def test_echo_tcp6(procs: int) -> None:
    async def main() -> tuple[str, int]:
        ln = net.listen("tcp6", "[::1]:0")
        addr = str(ln.addr)
        assert addr.startswith("[::1]:")
        gort.go(echo_server, ln)
        try:
            c = await net.dial("tcp", addr)
            assert str(c.remote_addr) == addr
            assert c.local_addr.ip == "::1"  # type: ignore[union-attr]
            c.close()
            return addr, await run_clients(addr, "tcp6", 5, 20, 64)
        finally:
            ln.close()

    addr, n = run(main, procs)
    assert n == 100


@needs_unix
@pytest.mark.parametrize("procs", PROCS)
def test_echo_unix(procs: int, tmp_path: Path) -> None:
    path = str(tmp_path / "echo.sock")

    async def main() -> int:
        ln = net.listen("unix", path)
        assert isinstance(ln.addr, net.UnixAddr) and str(ln.addr) == path
        gort.go(echo_server, ln)
        try:
            return await run_clients(path, "unix", 5, 20, 64)
        finally:
            ln.close()

    assert run(main, procs) == 100
    assert not os.path.exists(path)  # the listener removed its socket file


@needs_unix
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux's")
def test_echo_unix_abstract() -> None:
    name = f"@gort-test-{os.getpid()}-{time.monotonic_ns()}"

    async def main() -> int:
        ln = net.listen("unix", name)
        assert str(ln.addr) == name
        gort.go(echo_server, ln)
        try:
            return await run_clients(name, "unix", 2, 10, 32)
        finally:
            ln.close()

    assert run(main, 1) == 20


@pytest.mark.parametrize("procs", PROCS)
def test_dial_localhost_name_and_empty_host(procs: int) -> None:
    """A host name is resolved (getaddrinfo as a blocking call); ":port" dials this host."""

    async def main() -> list[str]:
        ln = net.listen("tcp4", "127.0.0.1:0")
        gort.go(echo_server, ln)
        out = []
        try:
            for addr in (f"localhost:{ln.addr.port}", f":{ln.addr.port}"):  # type: ignore[union-attr]
                c = await net.dial("tcp4", addr, timeout=5)
                await c.write(b"ping")
                out.append((await read_exactly(c, 4)).decode())
                c.close()
        finally:
            ln.close()
        return out

    assert run(main, procs) == ["ping", "ping"]


# ---------------------------------------------------------------------------
# Stream semantics


@pytest.mark.parametrize("procs", PROCS)
def test_read_returns_empty_at_end_of_stream(procs: int) -> None:
    async def main() -> list[bytes]:
        ln = net.listen("tcp", "127.0.0.1:0")
        got: list[bytes] = []
        done = gort.Chan[Any]()

        async def server() -> None:
            conn = await ln.accept()
            while True:
                d = await conn.read(1000)
                got.append(d)
                if not d:
                    break
            assert await conn.read(10) == b""  # and again
            conn.close()
            await done.send(None)

        gort.go(server)
        c = await net.dial("tcp", str(ln.addr))
        await c.write(b"abc")
        await gort.sleep(0.05)
        c.close()
        await take(done)
        ln.close()
        return got

    got = run(main, procs)
    assert b"".join(got) == b"abc" and got[-1] == b""


def _write_and_close(addr: Any) -> None:
    with socket.create_connection((addr.ip, addr.port)) as s:
        time.sleep(0.1)  # the server is parked in read by now
        s.sendall(b"abc")


@pytest.mark.parametrize("procs", PROCS)
def test_data_and_end_of_stream_in_one_readiness_report(procs: int) -> None:
    """The peer writes and closes at once while the reader is parked: the data and the
    hang-up arrive together (one edge with epoll). Reads that leave the socket empty
    must still see the end of stream, also with reads smaller than what arrived."""

    async def main() -> list[list[bytes]]:
        ln = net.listen("tcp", "127.0.0.1:0")
        out: list[list[bytes]] = []
        done = gort.Chan[Any](1)

        async def server(size: int) -> None:
            conn = await ln.accept()
            got: list[bytes] = []
            while True:
                d = await conn.read(size)
                got.append(d)
                if not d:
                    break
            conn.close()
            out.append(got)
            await done.send(None)

        for size in (65536, 2):
            gort.go(server, size)
            await gort.sleep(0.02)
            await gort.blocking(_write_and_close, ln.addr)
            await take(done)
        ln.close()
        return out

    big, small = run(main, procs)
    assert b"".join(big) == b"abc" and big[-1] == b""
    assert small == [b"ab", b"c", b""]


@pytest.mark.parametrize("procs", PROCS)
def test_large_write_blocks_until_peer_reads(procs: int) -> None:
    """An 8 MiB write cannot fit in the socket buffers: the writer parks in IO wait and
    resumes as the peer drains; every byte arrives in order."""
    payload = os.urandom(1 << 16) * 128  # 8 MiB

    async def main() -> tuple[int, bool, str]:
        ln = net.listen("tcp", "127.0.0.1:0")
        res = gort.Chan[Any](1)

        async def reader() -> None:
            conn = await ln.accept()
            await gort.sleep(0.2)  # let the writer fill the buffers and park
            buf = bytearray()
            while len(buf) < len(payload):
                d = await conn.read(1 << 20)
                if not d:
                    break
                buf += d
            conn.close()
            await res.send(bytes(buf) == payload)

        gort.go(reader)
        c = await net.dial("tcp", str(ln.addr))
        seen = gort.Chan[Any](1)

        async def watch() -> None:
            await gort.sleep(0.1)
            await seen.send(gort.runtime.stack(all=True))

        gort.go(watch)
        n = await c.write(payload)
        ok = await take(res)
        dump = await take(seen)
        c.close()
        ln.close()
        return n, ok, dump

    n, ok, dump = run(main, procs)
    assert n == len(payload)
    assert ok
    assert "[IO wait]" in dump


@pytest.mark.parametrize("procs", PROCS)
def test_write_accepts_bytearray_and_memoryview(procs: int) -> None:
    async def main() -> bytes:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        assert await c.write(bytearray(b"ab")) == 2
        assert await c.write(memoryview(b"xcdx")[1:3]) == 2
        assert await c.write(b"") == 0
        got = await read_exactly(c, 4)
        assert await c.read(0) == b""
        c.close()
        ln.close()
        return got

    assert run(main, procs) == b"abcd"


@pytest.mark.parametrize("procs", PROCS)
def test_concurrent_readers_and_writers_on_one_conn(procs: int) -> None:
    """Two goroutines reading one connection take turns (Go's fdMutex); no double wait."""

    async def main() -> tuple[int, str]:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        total = gort.Chan[Any](4)
        dumps: list[str] = []

        async def reader() -> None:
            n = 0
            while n < 2000:
                d = await c.read(min(100, 2000 - n))
                n += len(d)
            await total.send(n)

        async def writer(tag: int) -> None:
            for _ in range(20):
                await c.write(bytes([tag]) * 100)
            await total.send(0)

        gort.go(reader)
        gort.go(reader)
        await gort.sleep(0.05)
        dumps.append(gort.runtime.stack(all=True))
        gort.go(writer, 1)
        gort.go(writer, 2)
        s = 0
        for _ in range(4):
            s += await take(total)
        c.close()
        ln.close()
        return s, dumps[0]

    s, dump = run(main, procs)
    assert s == 4000
    assert "[IO wait]" in dump and "[semacquire]" in dump


# ---------------------------------------------------------------------------
# Deadlines


@pytest.mark.parametrize("procs", PROCS)
def test_read_deadline_times_out_and_conn_stays_usable(procs: int) -> None:
    async def main() -> tuple[float, str, bytes]:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        c.set_read_deadline(time.monotonic() + 0.2)
        t0 = time.monotonic()
        with pytest.raises(net.TimeoutError) as ei:
            await c.read(10)
        dt = time.monotonic() - t0
        e = ei.value
        assert isinstance(e, TimeoutError) and isinstance(e, OSError)
        # an expired deadline fails every read at once, even with data waiting
        await c.write(b"hi")
        await gort.sleep(0.05)
        with pytest.raises(net.TimeoutError):
            await c.read(10)
        c.set_read_deadline(None)  # cleared: the data is there
        got = await c.read(10)
        c.close()
        ln.close()
        return dt, str(e), got

    dt, msg, got = run(main, procs)
    assert msg == "i/o timeout"
    assert 0.15 <= dt < 2.0
    assert got == b"hi"


@pytest.mark.parametrize("procs", PROCS)
def test_deadline_in_the_past_wakes_parked_reader(procs: int) -> None:
    async def main() -> float:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        res = gort.Chan[Any](1)

        async def reader() -> None:
            t0 = time.monotonic()
            try:
                await c.read(10)
            except net.TimeoutError:
                await res.send(time.monotonic() - t0)

        gort.go(reader)
        await gort.sleep(0.1)
        c.set_deadline(time.monotonic() - 1)  # already passed
        dt = await take(res)
        c.close()
        ln.close()
        ret: float = dt
        return ret

    assert run(main, procs) < 1.0


@pytest.mark.parametrize("procs", PROCS)
def test_extending_a_deadline_while_parked(procs: int) -> None:
    async def main() -> float:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        res = gort.Chan[Any](1)
        t0 = time.monotonic()
        c.set_read_deadline(t0 + 0.1)

        async def reader() -> None:
            try:
                await c.read(10)
            except net.TimeoutError:
                await res.send(time.monotonic() - t0)

        gort.go(reader)
        await gort.sleep(0.03)
        c.set_read_deadline(t0 + 0.4)  # later: the first timer's firing is stale
        dt = await take(res)
        c.close()
        ln.close()
        ret: float = dt
        return ret

    dt = run(main, procs)
    assert 0.35 <= dt < 2.0


@pytest.mark.parametrize("procs", PROCS)
def test_write_deadline(procs: int) -> None:
    """A peer that never reads: the writer fills the buffers and times out."""

    async def main() -> tuple[str, float]:
        ln = net.listen("tcp", "127.0.0.1:0")
        hold: list[net.Conn] = []

        async def sink() -> None:
            hold.append(await ln.accept())  # never reads

        gort.go(sink)
        c = await net.dial("tcp", str(ln.addr))
        c.set_write_deadline(time.monotonic() + 0.3)
        t0 = time.monotonic()
        with pytest.raises(net.TimeoutError) as ei:
            await c.write(b"x" * (64 << 20))
        dt = time.monotonic() - t0
        c.close()
        for h in hold:
            h.close()
        ln.close()
        return str(ei.value), dt

    msg, dt = run(main, procs)
    assert msg == "i/o timeout"
    assert 0.25 <= dt < 5.0


@pytest.mark.parametrize("procs", PROCS)
def test_accept_deadline(procs: int) -> None:
    async def main() -> str:
        ln = net.listen("tcp", "127.0.0.1:0")
        ln.set_deadline(time.monotonic() + 0.1)
        try:
            await ln.accept()
        except net.TimeoutError as e:
            return str(e)
        finally:
            ln.close()
        return "no timeout"

    assert run(main, procs) == "i/o timeout"


def test_deadline_type_checked() -> None:
    async def main() -> None:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        c = await net.dial("tcp", str(ln.addr))
        with pytest.raises(TypeError):
            c.set_deadline("soon")  # type: ignore[arg-type]
        c.close()
        ln.close()

    run(main, 1)


# ---------------------------------------------------------------------------
# Close


@pytest.mark.parametrize("procs", PROCS)
def test_close_wakes_parked_reader_writer_and_acceptor(procs: int) -> None:
    async def main() -> list[str]:
        ln = net.listen("tcp", "127.0.0.1:0")
        hold: list[net.Conn] = []
        errs = gort.Chan[Any](3)

        async def acceptor(ln2: net.Listener) -> None:
            try:
                await ln2.accept()
            except OSError as e:
                await errs.send(e)

        async def sink() -> None:
            hold.append(await ln.accept())

        gort.go(sink)
        c = await net.dial("tcp", str(ln.addr))

        async def reader() -> None:
            try:
                await c.read(10)
            except OSError as e:
                await errs.send(e)

        async def writer() -> None:
            try:
                await c.write(b"x" * (64 << 20))
            except OSError as e:
                await errs.send(e)

        ln2 = net.listen("tcp", "127.0.0.1:0")
        gort.go(reader)
        gort.go(writer)
        gort.go(acceptor, ln2)
        await gort.sleep(0.2)
        c.close()
        ln2.close()
        out = []
        for _ in range(3):
            e = await take(errs)
            assert isinstance(e, net.ErrClosed) and isinstance(e, OSError)
            out.append(str(e))
        # every later operation fails the same way; close is idempotent
        with pytest.raises(net.ErrClosed):
            await c.read(1)
        with pytest.raises(net.ErrClosed):
            await c.write(b"x")
        with pytest.raises(net.ErrClosed):
            c.set_deadline(None)
        with pytest.raises(net.ErrClosed):
            await ln2.accept()
        c.close()
        ln2.close()
        for h in hold:
            h.close()
        ln.close()
        return out

    assert run(main, procs) == ["use of closed network connection"] * 3


@pytest.mark.parametrize("procs", PROCS)
def test_peer_reset_raises_connection_reset(procs: int) -> None:
    async def main() -> int | None:
        ln = net.listen("tcp", "127.0.0.1:0")
        res = gort.Chan[Any](1)

        async def server() -> None:
            conn = await ln.accept()
            try:
                while await conn.read(100):
                    pass
                await res.send(None)
            except ConnectionResetError as e:
                await res.send(e.errno)
            finally:
                conn.close()

        gort.go(server)
        c = await net.dial("tcp", str(ln.addr))
        await c.write(b"partial request")
        # SO_LINGER 0: close sends RST
        s = socket.socket(fileno=os.dup(c.fileno()))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        c.close()
        r = await take(res)
        ln.close()
        ret: int | None = r
        return ret

    assert run(main, procs) == errno.ECONNRESET


# ---------------------------------------------------------------------------
# Dial errors


@pytest.mark.parametrize("procs", PROCS)
def test_dial_refused(procs: int) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now

    async def main() -> OSError:
        try:
            await net.dial("tcp", f"127.0.0.1:{port}", timeout=5)
        except OSError as e:
            return e
        raise AssertionError("dial succeeded")

    e = run(main, procs)
    assert isinstance(e, ConnectionRefusedError)
    assert e.errno == errno.ECONNREFUSED


def test_dial_timeout() -> None:
    """Fill a listener's accept queue (backlog 0, never accepting): Linux then drops the
    SYNs of further connects, which hang until dial's timeout."""
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(0)
    addr = f"127.0.0.1:{raw.getsockname()[1]}"

    async def main() -> tuple[str, float] | None:
        conns = []
        try:
            for _ in range(8):  # enough to fill the queue
                t0 = time.monotonic()
                try:
                    conns.append(await net.dial("tcp", addr, timeout=0.3))
                except net.TimeoutError as e:
                    return str(e), time.monotonic() - t0
            return None
        finally:
            for c in conns:
                c.close()

    try:
        r = run(main, 1)
    finally:
        raw.close()
    if r is None:
        pytest.skip("this kernel completes connects past a full accept queue")
    msg, dt = r
    assert msg == "i/o timeout"
    assert 0.25 <= dt < 3.0


def test_dial_timeout_zero_or_negative_times_out_at_once() -> None:
    async def main() -> str:
        try:
            await net.dial("tcp", "127.0.0.1:1", timeout=0)
        except net.TimeoutError as e:
            return str(e)
        return "no timeout"

    assert run(main, 1) == "i/o timeout"


# ---------------------------------------------------------------------------
# Addresses


def test_split_and_join_host_port() -> None:
    assert net.split_host_port("127.0.0.1:80") == ("127.0.0.1", "80")
    assert net.split_host_port("[::1]:443") == ("::1", "443")
    assert net.split_host_port(":0") == ("", "0")
    assert net.split_host_port("localhost:http") == ("localhost", "http")
    for bad, why in [
        ("127.0.0.1", "missing port in address"),
        ("::1:80", "too many colons in address"),
        ("[::1]", "missing port in address"),
        ("[::1:80", "missing ']' in address"),
    ]:
        with pytest.raises(net.AddrError) as ei:
            net.split_host_port(bad)
        assert str(ei.value) == f"address {bad}: {why}"
    assert net.join_host_port("::1", "80") == "[::1]:80"
    assert net.join_host_port("127.0.0.1", "80") == "127.0.0.1:80"


def test_listen_errors() -> None:
    with pytest.raises(net.UnknownNetworkError, match="unknown network udp"):
        net.listen("udp", "127.0.0.1:0")
    with pytest.raises(net.AddrError, match="missing port"):
        net.listen("tcp", "127.0.0.1")
    with pytest.raises(net.AddrError, match="invalid port"):
        net.listen("tcp", "127.0.0.1:70000")
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with pytest.raises(OSError) as ei:
            net.listen("tcp", str(ln.addr))
        assert ei.value.errno == errno.EADDRINUSE
    finally:
        ln.close()


# ---------------------------------------------------------------------------
# The scheduler side: deadlock detection, waiter count, dumps


@pytest.mark.parametrize("procs", PROCS)
def test_server_blocked_in_accept_is_not_a_deadlock(procs: int) -> None:
    """main waits on a channel; the only other goroutines are a server parked in accept
    and a client that fills the channel once it has connected: no Deadlock."""

    async def main() -> str:
        ln = net.listen("tcp", "127.0.0.1:0")
        ch = gort.Chan[Any]()

        async def server() -> None:
            while True:
                try:
                    conn = await ln.accept()
                except net.ErrClosed:
                    return
                gort.go(echo_handler, conn)

        async def client() -> None:
            await gort.sleep(0.05)  # main is parked on ch and the server in accept by now
            c = await net.dial("tcp", str(ln.addr))
            await c.write(b"ok")
            got = await read_exactly(c, 2)
            c.close()
            await ch.send(got.decode())

        gort.go(server)
        gort.go(client)
        r = await take(ch)
        ln.close()
        ret: str = r
        return ret

    assert run(main, procs) == "ok"


@pytest.mark.parametrize("procs", PROCS)
def test_server_in_accept_forever_with_main_blocked_for_a_while(procs: int) -> None:
    """Only goroutines in IO wait and a main parked on a channel that a timer-less
    helper fills after an accept: checkdead must wait for the poller."""

    async def main() -> bytes:
        ln = net.listen("tcp", "127.0.0.1:0")
        ch = gort.Chan[Any]()

        async def server() -> None:
            conn = await ln.accept()
            data = await conn.read(10)
            conn.close()
            await ch.send(data)

        gort.go(server)
        # the client is a plain OS thread: the runtime cannot know it will connect
        addr = ln.addr

        def client() -> None:
            time.sleep(0.2)
            with socket.create_connection((addr.ip, addr.port)) as s:  # type: ignore[union-attr]
                s.sendall(b"from-os")

        t = threading.Thread(target=client)
        t.start()
        data = await take(ch)
        t.join()
        ln.close()
        ret: bytes = data
        return ret

    assert run(main, procs) == b"from-os"


def test_real_deadlock_still_detected_with_sockets_open() -> None:
    """A listener nobody waits on does not hide a deadlock."""

    async def main() -> None:
        ln = net.listen("tcp", "127.0.0.1:0")
        try:
            await gort.Chan[Any]().recv()
        finally:
            ln.close()

    with pytest.raises(gort.Deadlock):
        run(main, 1)


@pytest.mark.parametrize("procs", PROCS)
def test_waiter_count_returns_to_zero(procs: int) -> None:
    async def main() -> tuple[int, int]:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        await run_clients(str(ln.addr), "tcp", 10, 10, 16)
        await gort.sleep(0.05)
        during = netpoll.netpoll_waiters()  # the server, parked in accept
        ln.close()
        await gort.sleep(0.05)
        return during, netpoll.netpoll_waiters()

    assert run(main, procs) == (1, 0)


# ---------------------------------------------------------------------------
# The level-triggered selectors back end (EpollSelector and KqueueSelector watch the
# interest set live; PollSelector and SelectSelector poll a snapshot of it)


@pytest.mark.parametrize("procs", PROCS)
@pytest.mark.parametrize(
    "cls", ["EpollSelector", "KqueueSelector", "PollSelector", "SelectSelector"]
)
def test_portable_selector_fallback(procs: int, cls: str) -> None:
    sel_cls = getattr(selectors, cls, None)
    if sel_cls is None:
        pytest.skip(f"no {cls}")
    netpoll.selector_class = sel_cls

    async def main() -> tuple[int, str]:
        assert type(netpoll.selector()) is sel_cls
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(echo_server, ln)
        try:
            n = await run_clients(str(ln.addr), "tcp", 8, 30, 64)
            c = await net.dial("tcp", str(ln.addr))
            c.set_read_deadline(time.monotonic() + 0.1)
            try:
                await c.read(1)
                msg = "no timeout"
            except net.TimeoutError as e:
                msg = str(e)
            c.close()
            return n, msg
        finally:
            ln.close()

    try:
        assert run(main, procs) == (240, "i/o timeout")
    finally:
        netpoll.selector_class = None


def test_io_outside_runtime_is_an_error() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        gen = ln.accept()
        with pytest.raises(RuntimeError):
            gen.send(None)
    finally:
        ln.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_unreachable_connections_are_closed() -> None:
    """Go closes an unreachable connection with a finalizer; so does gort (the poller
    must not keep a dropped connection's descriptor open)."""
    import gc

    async def main() -> tuple[int, int]:
        ln = net.listen("tcp", "127.0.0.1:0")

        async def server() -> None:
            while True:
                try:
                    c = await ln.accept()
                except net.ErrClosed:
                    return
                await c.read(10)  # parked once, so registered with the poller; then dropped
                del c

        gort.go(server)
        await gort.sleep(0.01)
        n0 = len(os.listdir("/proc/self/fd"))
        for _ in range(100):
            c = await net.dial("tcp", str(ln.addr))
            await gort.sleep(0.002)  # the server parks in read
            await c.write(b"x")
            await gort.sleep(0.002)
            del c
        gc.collect()
        await gort.sleep(0.05)
        gc.collect()
        n1 = len(os.listdir("/proc/self/fd"))
        ln.close()
        return n0, n1

    n0, n1 = run(main, 1)
    assert n1 <= n0 + 3, f"{n1 - n0} descriptors leaked by 100 dropped connections"
