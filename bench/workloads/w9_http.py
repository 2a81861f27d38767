"""W9 HTTP hello under wrk: a server per peer on 127.0.0.1, Debian's ``wrk`` as load.

Each peer function below is a server, like W8's: it listens on 127.0.0.1 (an
ephemeral port), prints ``PORT n`` and serves until the harness kills its process.
The harness first checks the server with ``probe`` (below), then runs
``wrk -t1 -c100 -d10s --latency http://127.0.0.1:PORT/`` against it, then probes
it again. Figure: wrk's requests per second (HIGHER is better); wrk's 99th
percentile latency goes beside it. Any non-2xx/3xx response or socket error
(connect, read, write, timeout) that wrk reports, and any wrong answer to the
probe, fails the run loudly: no request may be lost or answered wrongly.

Every server is of the same simplicity (no framework, no header parsing): keep a
buffer per connection; on each read, answer every complete request head in it
(ending in a blank line, so pipelined requests are answered in order) in one
write with the same fixed response, ``200 OK``, ``Content-Length: 13``, body
``Hello, World!``; a head that is not ``GET / ...`` or longer than 8 KiB gets a
400 and the connection is closed; end of stream closes it. Request bodies are not
supported (wrk's GETs have none). The Python servers share ``answer`` below.

* gort: ``gort.net.listen`` + ``accept`` loop, a goroutine per connection,
  ``Conn.read``/``write``/``close``.
* gort-example: the repository's ``examples/http_hello.py`` (its ``serve``
  function on a listener of ours), as shipped: it parses each head, answers
  ``Hello, World!\\n`` with a Content-Type and sets a read deadline per request,
  so it does more than the others; shown for information, not as the ratio base.
* asyncio-streams / uvloop-streams: ``asyncio.start_server``, ``reader.read`` +
  ``writer.write`` + ``drain``.
* asyncio-protocol / uvloop-protocol: ``loop.create_server`` with a Protocol whose
  ``data_received`` writes the answers.
* gevent: ``gevent.server.StreamServer``, ``recv`` + ``sendall``.
* trio: ``trio.serve_tcp``, ``receive_some`` + ``send_all``.
* threads: blocking sockets, an OS thread per connection.
* go: ``bench/go/httpserver``, a hand-written responder doing the same (not
  net/http), goroutine per connection, GOMAXPROCS=1.
"""

from __future__ import annotations

import functools
import socket
import time
from pathlib import Path
from typing import BinaryIO

from bench.common import WrongAnswer, announce_port, check
from bench.cpuacct import cpu_columns

ID = "W9"
TITLE = "HTTP hello under wrk"
UNIT = "req/s"
BETTER = "higher"
GO_PROGRAM = "httpserver"
SERVER = True  # the harness runs the load generator against these
LOADGEN = "wrk"
# each measurement lasts --wrk-duration (10 s) plus start-up: fewer repetitions
# than the other workloads unless --reps says otherwise
DEFAULT_REPS = 3
# extra columns: (key in each run's result, heading); the harness measures the CPU
EXTRAS = (("p99_ms", "p99 latency, ms (median)"),) + cpu_columns("req")
PEERS = (
    "gort",
    "gort-example",
    "go",
    "asyncio-streams",
    "asyncio-protocol",
    "uvloop-streams",
    "uvloop-protocol",
    "gevent",
    "trio",
    "threads",
)
WRK_THREADS = 1
CONNS = 100
DURATION_S = 10  # default of --wrk-duration
WRK_TIMEOUT = "2s"  # wrk's own default, made explicit: a slower answer is an error
# "{duration}" is filled in by the harness with --wrk-duration
SIZE = f"wrk -t{WRK_THREADS} -c{CONNS} --latency, keep-alive GET / for {{duration}} s per run"
READ_MAX = 65536
MAX_HEAD = 8192
HOST = "127.0.0.1"
BODY = b"Hello, World!"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n" + BODY
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "http_hello.py"
# what probe() expects from each peer (the example answers with a newline)
BODY_OF = {"gort-example": b"Hello, World!\n"}


def answer(buf: bytes) -> tuple[bytes, bytes, bool]:
    """Answer every complete request head in ``buf``.

    Returns (the bytes to write, the incomplete rest to keep, keep the connection open).
    """
    n = 0
    start = 0
    while (end := buf.find(b"\r\n\r\n", start)) >= 0:
        if not buf.startswith(b"GET / ", start):
            return OK * n + BAD, b"", False
        n += 1
        start = end + 4
    rest = buf[start:]
    if len(rest) > MAX_HEAD:
        return OK * n + BAD, b"", False
    return OK * n, rest, True


# ---- gort


def peer_gort(procs: int) -> None:
    import gort
    import gort.net

    async def handle(conn) -> None:  # type: ignore[no-untyped-def]
        buf = b""
        try:
            while True:
                data = await conn.read(READ_MAX)
                if not data:
                    break
                out, buf, keep = answer(buf + data if buf else data)
                if out:
                    await conn.write(out)
                if not keep:
                    break
        except OSError:
            pass
        finally:
            conn.close()

    async def main() -> None:
        ln = gort.net.listen("tcp", f"{HOST}:0")
        announce_port(ln.addr.port)
        while True:
            conn = await ln.accept()
            gort.go(handle, conn)

    gort.run(main, gomaxprocs=procs)


def peer_gort_example(procs: int) -> None:
    import importlib.util

    import gort
    import gort.net

    if not EXAMPLE.is_file():
        raise ImportError(f"{EXAMPLE} is missing")
    spec = importlib.util.spec_from_file_location("http_hello", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    async def main() -> None:
        ln = gort.net.listen("tcp", f"{HOST}:0")
        announce_port(ln.addr.port)
        await example.serve(ln)

    gort.run(main, gomaxprocs=procs)


# ---- asyncio and uvloop: streams


async def _streams_main() -> None:
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        try:
            while data := await reader.read(READ_MAX):
                out, buf, keep = answer(buf + data if buf else data)
                if out:
                    writer.write(out)
                    await writer.drain()
                if not keep:
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    announce_port(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def peer_asyncio_streams() -> None:
    import asyncio

    asyncio.run(_streams_main())


def peer_uvloop_streams() -> None:
    from bench.common import run_uvloop

    run_uvloop(_streams_main)


# ---- asyncio and uvloop: protocols


async def _protocol_main() -> None:
    import asyncio

    class Hello(asyncio.Protocol):
        buf = b""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            out, self.buf, keep = answer(self.buf + data if self.buf else data)
            if out:
                self.transport.write(out)  # type: ignore[attr-defined]
            if not keep:
                self.transport.close()

    server = await asyncio.get_running_loop().create_server(Hello, HOST, 0)
    announce_port(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def peer_asyncio_protocol() -> None:
    import asyncio

    asyncio.run(_protocol_main())


def peer_uvloop_protocol() -> None:
    from bench.common import run_uvloop

    run_uvloop(_protocol_main)


# ---- gevent, trio, threads


def _serve_blocking(sock: socket.socket) -> None:
    """One connection on a blocking (or gevent-patched) socket."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while data := sock.recv(READ_MAX):
            out, buf, keep = answer(buf + data if buf else data)
            if out:
                sock.sendall(out)
            if not keep:
                break
    except OSError:
        pass
    finally:
        sock.close()


def peer_gevent() -> None:
    from gevent.server import StreamServer

    server = StreamServer((HOST, 0), lambda sock, _addr: _serve_blocking(sock))
    server.start()
    announce_port(server.socket.getsockname()[1])
    server.serve_forever()


def peer_trio() -> None:
    import trio

    async def handle(stream: trio.SocketStream) -> None:
        buf = b""
        try:
            while data := await stream.receive_some(READ_MAX):
                out, buf, keep = answer(buf + data if buf else data)
                if out:
                    await stream.send_all(out)
                if not keep:
                    break
        except trio.BrokenResourceError:
            pass
        finally:
            await stream.aclose()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            serve = functools.partial(trio.serve_tcp, host=HOST)
            listeners = await nursery.start(serve, handle, 0)
            announce_port(listeners[0].socket.getsockname()[1])

    trio.run(main)


def peer_threads() -> None:
    import threading

    ln = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ln.bind((HOST, 0))
    ln.listen(128)
    announce_port(ln.getsockname()[1])
    while True:
        sock, _addr = ln.accept()
        threading.Thread(target=_serve_blocking, args=(sock,), daemon=True).start()


# ---- the harness's correctness probe (run in the harness, before and after wrk)

REQUEST = b"GET / HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nUser-Agent: gort-bench\r\n\r\n"


def probe(port: int, peer: str, timeout: float = 10.0) -> None:
    """Check one connection's answers; raise WrongAnswer on anything unexpected.

    Three requests pipelined in one write, then one split across two writes, each
    answered in order with 200 and the expected body; then end of stream from our
    side, after which the server must close without sending anything more. A
    refused or reset connection or a silence of ``timeout`` seconds is wrong too.
    """
    body = BODY_OF.get(peer, BODY)
    where = f"probe of 127.0.0.1:{port}"
    step = "connect"
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = s.makefile("rb")
            step = "three pipelined requests"
            s.sendall(REQUEST * 3)
            _read_responses(f, 3, body, f"{where}, {step}")
            step = "a request split across two writes"
            s.sendall(REQUEST[:9])  # "GET / HTT"
            time.sleep(0.05)
            s.sendall(REQUEST[9:])
            _read_responses(f, 1, body, f"{where}, {step}")
            step = "end of stream (the server must close)"
            s.shutdown(socket.SHUT_WR)
            extra = f.read()
            check(extra == b"", f"{where}: {len(extra)} bytes after the answers: {extra[:80]!r}")
    except TimeoutError:
        raise WrongAnswer(f"{where}, {step}: no answer within {timeout:.0f} s") from None
    except (OSError, ValueError) as e:  # ValueError: a Content-Length that is no number
        raise WrongAnswer(f"{where}, {step}: {type(e).__name__}: {e}") from None


def _read_responses(f: BinaryIO, n: int, body: bytes, where: str) -> None:
    for i in range(n):
        status = f.readline()
        check(
            status.startswith(b"HTTP/1.1 200 "),
            f"{where}: response {i + 1} of {n} has status line {status[:80]!r}",
        )
        length = None
        while True:
            line = f.readline()
            check(line != b"", f"{where}: the connection ended inside response {i + 1}'s head")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        check(
            length == len(body),
            f"{where}: response {i + 1} has Content-Length {length}, expected {len(body)}",
        )
        got = f.read(length)
        check(got == body, f"{where}: response {i + 1} has body {got[:80]!r}, expected {body!r}")
