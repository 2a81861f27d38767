"""W8 TCP echo: a server per peer on 127.0.0.1, one load generator written in Go.

Each peer function below is a server: it listens on 127.0.0.1 (an ephemeral port),
prints ``PORT n`` and serves until the harness kills its process. The harness then
runs ``bench/go/echoclient`` against it (with GOMAXPROCS=1): 50 connections, each
sending 2,000 messages of 64 bytes and waiting for each echo before the next
(request/response).
Figure: messages per second over the whole run (100,000 messages / wall time);
HIGHER is better. The client checks every echoed byte and fails on a short, wrong
or missing reply.

Every server is of the same simplicity: read up to 64 KiB, write it back, until
end of stream. Each takes an optional ``work`` function, called with every chunk
read before it is echoed: None here; W8B (``w8b_echo_work.py``) passes a pure-Python
loop to make the handler CPU-bound, with the same servers.

* gort: ``gort.net.listen`` + ``accept`` loop, a goroutine per connection.
* asyncio-streams / uvloop-streams: ``asyncio.start_server``, ``reader.read`` +
  ``writer.write`` + ``drain``.
* asyncio-protocol / uvloop-protocol: ``loop.create_server`` with a Protocol whose
  ``data_received`` writes back.
* gevent: ``gevent.server.StreamServer``, ``recv`` + ``sendall``.
* trio: ``trio.serve_tcp``, ``receive_some`` + ``send_all``.
* threads: blocking sockets, an OS thread per connection.
* go: ``bench/go/echoserver`` (goroutine per connection, GOMAXPROCS=1); go-p2: the
  same with GOMAXPROCS=2.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable

from bench.common import announce_port, listen_port_of
from bench.cpuacct import cpu_columns

ID = "W8"
TITLE = "TCP echo"
UNIT = "msgs/s"
BETTER = "higher"
GO_PROGRAM = "echoserver"
SERVER = True  # the harness runs the load generator against these
# extra columns: (key in each run's result, heading); the harness measures the CPU
EXTRAS = cpu_columns("msg")
PEERS = (
    "gort",
    "go",
    "go-p2",
    "asyncio-streams",
    "asyncio-protocol",
    "uvloop-streams",
    "uvloop-protocol",
    "gevent",
    "trio",
    "threads",
)
CONNS = 50
MSGS = 2_000
SIZE_BYTES = 64
SIZE = f"{CONNS} connections x {MSGS:,} messages of {SIZE_BYTES} bytes"
READ_MAX = 65536
HOST = "127.0.0.1"
# what a server does with each chunk it reads before echoing it (W8: nothing)
Work = Callable[[bytes], object] | None


def peer_gort(procs: int, work: Work = None) -> None:
    import gort
    import gort.net

    async def handle(conn) -> None:  # type: ignore[no-untyped-def]
        try:
            while True:
                data = await conn.read(READ_MAX)
                if not data:
                    break
                if work is not None:
                    work(data)
                await conn.write(data)
        except OSError:
            pass
        finally:
            conn.close()

    async def main() -> None:
        ln = gort.net.listen("tcp", f"{HOST}:0")
        announce_port(listen_port_of(ln.addr))
        while True:
            conn = await ln.accept()
            gort.go(handle, conn)

    gort.run(main, gomaxprocs=procs)


# ---- asyncio and uvloop: streams


async def _streams_main(work: Work = None) -> None:
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(READ_MAX):
                if work is not None:
                    work(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    announce_port(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def peer_asyncio_streams(work: Work = None) -> None:
    import asyncio

    asyncio.run(_streams_main(work))


def peer_uvloop_streams(work: Work = None) -> None:
    from bench.common import run_uvloop

    run_uvloop(functools.partial(_streams_main, work))


# ---- asyncio and uvloop: protocols


async def _protocol_main() -> None:
    import asyncio

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[attr-defined]

    server = await asyncio.get_running_loop().create_server(Echo, HOST, 0)
    announce_port(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def peer_asyncio_protocol() -> None:
    import asyncio

    asyncio.run(_protocol_main())


def peer_uvloop_protocol() -> None:
    from bench.common import run_uvloop

    run_uvloop(_protocol_main)


# ---- gevent, trio, threads


def _serve_blocking(sock: socket.socket, work: Work) -> None:
    """gevent and threads: echo one connection with blocking calls, then close it."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while data := sock.recv(READ_MAX):
            if work is not None:
                work(data)
            sock.sendall(data)
    except OSError:
        pass
    finally:
        sock.close()


def peer_gevent(work: Work = None) -> None:
    from gevent.server import StreamServer

    def handle(sock: socket.socket, _addr: object) -> None:
        _serve_blocking(sock, work)

    server = StreamServer((HOST, 0), handle)
    server.start()
    announce_port(server.socket.getsockname()[1])
    server.serve_forever()


def peer_trio(work: Work = None) -> None:
    import trio

    async def handle(stream: trio.SocketStream) -> None:
        try:
            while data := await stream.receive_some(READ_MAX):
                if work is not None:
                    work(data)
                await stream.send_all(data)
        except trio.BrokenResourceError:
            pass

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            serve = functools.partial(trio.serve_tcp, host=HOST)
            listeners = await nursery.start(serve, handle, 0)
            announce_port(listeners[0].socket.getsockname()[1])

    trio.run(main)


def peer_threads(work: Work = None) -> None:
    import threading

    ln = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ln.bind((HOST, 0))
    ln.listen(128)
    announce_port(ln.getsockname()[1])
    while True:
        sock, _addr = ln.accept()
        threading.Thread(target=_serve_blocking, args=(sock, work), daemon=True).start()
