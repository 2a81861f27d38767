"""The examples of issue 6, end to end over 127.0.0.1: ``examples/echo_server.py`` and
``examples/http_hello.py`` run as programs and are talked to by plain-socket clients
of this process; a misbehaving client (disconnect mid-request, garbage, a stall past
the deadline) costs the server that connection only.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import gort
import gort.net as net

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"gort_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Server:
    def __init__(self, proc: subprocess.Popen[str], host: str, port: int) -> None:
        self.proc = proc
        self.host = host
        self.port = port

    def connect(self, timeout: float = 10) -> socket.socket:
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def alive(self) -> bool:
        return self.proc.poll() is None


def start_example(name: str, *args: str, procs: int = 1) -> Iterator[Server]:
    env = dict(os.environ)
    env.pop("GORTDEBUG", None)
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + pp if pp else "")
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "127.0.0.1:0"]
        + ["--gomaxprocs", str(procs), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(REPO),
    )
    try:
        assert proc.stdout is not None
        line = ""
        t_end = time.monotonic() + 30
        while time.monotonic() < t_end:
            line = proc.stdout.readline()
            if line.startswith("listening on ") or not line:
                break
        if not line.startswith("listening on "):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"{name} did not start: {line!r} {err}")
        host, _, port = line.split()[-1].rpartition(":")
        yield Server(proc, host, int(port))
    finally:
        alive = proc.poll() is None
        proc.kill()
        _, err = proc.communicate(timeout=10)
        assert alive, f"{name} exited early: {err}"


@pytest.fixture(params=[1, 2], ids=["P1", "P2"])
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def echo(procs: int) -> Iterator[Server]:
    yield from start_example("echo_server", "--idle", "0.5", procs=procs)


@pytest.fixture
def hello(procs: int) -> Iterator[Server]:
    yield from start_example("http_hello", "--read-timeout", "0.5", procs=procs)


def recv_exactly(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError(f"{len(buf)} of {n} bytes")
        buf += d
    return bytes(buf)


def recv_until_closed(s: socket.socket) -> bytes:
    buf = bytearray()
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        buf += d
    return bytes(buf)


def rst_close(s: socket.socket) -> None:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# ---------------------------------------------------------------------------
# Echo server


def test_echo_example_end_to_end(echo: Server) -> None:
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            with echo.connect() as s:
                for m in range(100):
                    size = 1 + (i * 37 + m * 11) % 700
                    msg = bytes((i + m + j) & 0xFF for j in range(size))
                    s.sendall(msg)
                    assert recv_exactly(s, size) == msg
                big = os.urandom(300_000)  # more than the socket buffers hold
                sender = threading.Thread(target=s.sendall, args=(big,))
                sender.start()
                got = recv_exactly(s, len(big))
                sender.join()
                assert got == big
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert echo.alive()


def test_echo_example_bad_clients_cost_one_connection(echo: Server) -> None:
    # a good client keeps its connection busy (under the 0.5 s idle limit) throughout
    stop = threading.Event()
    rounds: list[float] = []
    errors: list[BaseException] = []

    def good_client() -> None:
        try:
            with echo.connect() as good:
                i = 0
                while not stop.is_set():
                    msg = b"ping%d" % i
                    t0 = time.monotonic()
                    good.sendall(msg)
                    assert recv_exactly(good, len(msg)) == msg
                    rounds.append(time.monotonic() - t0)
                    i += 1
                    time.sleep(0.02)
        except BaseException as e:
            errors.append(e)

    gt = threading.Thread(target=good_client)
    gt.start()
    try:
        # 1. resets in the middle of a stream
        for _ in range(5):
            s = echo.connect()
            s.sendall(b"x" * 10000)
            rst_close(s)
        # 2. a client that goes quiet: the server drops it after --idle 0.5 s
        quiet = echo.connect()
        quiet.sendall(b"hi")
        assert recv_exactly(quiet, 2) == b"hi"
        t0 = time.monotonic()
        quiet.settimeout(10)
        assert recv_until_closed(quiet) == b""
        waited = time.monotonic() - t0
        quiet.close()
        assert 0.3 <= waited < 5
    finally:
        stop.set()
        gt.join(30)
    # 3. the busy connection was served all along, and new ones are
    assert not errors, errors
    assert len(rounds) >= 10
    with echo.connect() as s:
        s.sendall(b"new")
        assert recv_exactly(s, 3) == b"new"
    assert echo.alive()


# ---------------------------------------------------------------------------
# HTTP server


def test_http_example_end_to_end(hello: Server) -> None:
    conn = http_client(hello)
    for path in ("/", "/some/where?x=1"):
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200 and r.version == 11
        assert r.read() == b"Hello, World!\n"
        assert r.getheader("Connection") is None  # kept alive
    conn.request("HEAD", "/")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Content-Length") == "14" and r.read() == b""
    conn.request("POST", "/", body=b"a" * 5000)
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b"Hello, World!\n"
    conn.close()
    # pipelining: three requests in one segment, three responses in order
    with hello.connect() as s:
        s.sendall(
            b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" * 2
            + b"GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = recv_until_closed(s)
    assert data.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert data.count(b"Hello, World!\n") == 3
    assert data.rstrip().endswith(b"Hello, World!")
    # HTTP/1.0 closes after the response
    with hello.connect() as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = recv_until_closed(s)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in data


def test_http_example_many_clients(hello: Server) -> None:
    errors: list[BaseException] = []

    def client() -> None:
        try:
            c = http_client(hello)
            for _ in range(50):
                c.request("GET", "/")
                r = c.getresponse()
                assert r.status == 200 and r.read() == b"Hello, World!\n"
            c.close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=client) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def http_client(server: Server) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=10)


def get_ok(server: Server) -> float:
    t0 = time.monotonic()
    c = http_client(server)
    c.request("GET", "/")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"Hello, World!\n"
    c.close()
    return time.monotonic() - t0


def test_http_example_bad_clients_cost_one_connection(hello: Server) -> None:
    # 1. garbage: 400 and the connection is closed
    with hello.connect() as s:
        s.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")
        data = recv_until_closed(s)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    # 2. a head too large: 431
    with hello.connect() as s:
        s.sendall(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000)
        data = recv_until_closed(s)
    assert data.startswith(b"HTTP/1.1 431 ")
    # 3. disconnects in the middle of a request (plain close, then reset)
    for i in range(10):
        s = hello.connect()
        s.sendall(b"GET / HTTP/1.1\r\nHost: exa")
        if i % 2:
            rst_close(s)
        else:
            s.close()
    # 4. stalls past the read deadline (0.5 s) with a half-sent request; the others
    #    are served promptly meanwhile
    stalled = [hello.connect() for _ in range(5)]
    for s in stalled:
        s.sendall(b"GET / HTTP/1.1\r\n")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.3:
        assert get_ok(hello) < 2.0
    for s in stalled:
        s.settimeout(10)
        assert recv_until_closed(s) == b""
        s.close()
    assert time.monotonic() - t0 < 5
    # 5. still serving
    assert get_ok(hello) < 2.0
    assert hello.alive()


# ---------------------------------------------------------------------------
# In process: the server's goroutines come back to where they were


def test_http_bad_clients_leave_no_goroutines_behind() -> None:
    mod = load_example("http_hello")

    async def main() -> tuple[int, int, int, list[bytes]]:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(mod.serve, ln, 0.3)
        await gort.sleep(0.05)
        base = gort.numgoroutine()
        addr = str(ln.addr)
        replies: list[bytes] = []

        async def bad(kind: int) -> None:
            c = await net.dial("tcp", addr)
            try:
                if kind == 0:
                    await c.write(b"NOT HTTP AT ALL\r\n\r\n")
                elif kind == 1:
                    await c.write(b"GET / HTTP/1.1\r\nHo")  # and go away
                    return
                elif kind == 2:
                    await c.write(b"GET / HTTP/1.1\r\n")  # and stall
                buf = b""
                while d := await c.read(65536):
                    buf += d
                replies.append(buf)
            finally:
                c.close()

        for i in range(30):
            gort.go(bad, i % 3)
        await gort.sleep(0.05)
        peak = gort.numgoroutine()
        t_end = time.monotonic() + 5
        while gort.numgoroutine() > base and time.monotonic() < t_end:
            await gort.sleep(0.05)
        after = gort.numgoroutine()
        c = await net.dial("tcp", addr)
        await c.write(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        buf = b""
        while d := await c.read(65536):
            buf += d
        c.close()
        replies.append(buf)
        ln.close()
        return base, peak, after, replies

    base, peak, after, replies = gort.run(main, gomaxprocs=1)
    assert peak > base
    assert after == base
    assert replies[-1].startswith(b"HTTP/1.1 200 OK") and replies[-1].endswith(b"Hello, World!\n")
    assert sum(r.startswith(b"HTTP/1.1 400 ") for r in replies) == 10
    assert sum(r == b"" for r in replies) == 10  # the stalled ones, closed at the deadline


def test_echo_serve_in_process() -> None:
    mod = load_example("echo_server")

    async def main() -> bytes:
        ln = net.listen("tcp", "127.0.0.1:0")
        gort.go(mod.serve, ln, None)
        c = await net.dial("tcp", str(ln.addr))
        await c.write(b"in-process")
        got = b""
        while len(got) < 10:
            got += await c.read(10)
        c.close()
        ln.close()
        return got

    assert gort.run(main, gomaxprocs=1) == b"in-process"



