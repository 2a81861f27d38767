"""A TCP echo server on gort: one goroutine per connection, as a Go programmer writes it.

Run it::

    python examples/echo_server.py                      # 127.0.0.1:7000
    python examples/echo_server.py 127.0.0.1:0 --idle 30 --gomaxprocs 2
    python examples/echo_server.py /tmp/echo.sock --network unix

It prints ``listening on ADDR`` once it accepts connections. Each connection gets a
goroutine that reads what arrives and writes it back until the client closes. A
client that resets the connection, or (with ``--idle``) sends nothing for that many
seconds, costs the server that connection and nothing else. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time

import gort
import gort.net as net

READ_MAX = 65536


async def handle(conn: net.Conn, idle: float | None) -> None:
    """Echo until end of stream, an error, or ``idle`` seconds without data."""
    try:
        while True:
            if idle is not None:
                conn.set_read_deadline(time.monotonic() + idle)
            data = await conn.read(READ_MAX)
            if not data:
                return
            await conn.write(data)
    except OSError:
        # net.TimeoutError (idle), ConnectionResetError, BrokenPipeError, net.ErrClosed:
        # this connection is done, the server goes on.
        pass
    finally:
        conn.close()


async def serve(ln: net.Listener, idle: float | None = None) -> None:
    """Accept connections until ``ln`` is closed; one goroutine per connection."""
    delay = 0.0
    while True:
        try:
            conn = await ln.accept()
        except net.ErrClosed:
            return
        except OSError as e:
            # Out of descriptors or memory: back off and retry, as Go's http.Server does.
            if e.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            delay = min(1.0, delay * 2 or 0.005)
            await gort.sleep(delay)
            continue
        delay = 0.0
        gort.go(handle, conn, idle)


async def main(network: str, address: str, idle: float | None) -> None:
    ln = net.listen(network, address)
    print(f"listening on {ln.addr}", flush=True)
    try:
        await serve(ln, idle)
    finally:
        ln.close()


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address", nargs="?", default="127.0.0.1:7000")
    ap.add_argument("--network", default="tcp", choices=["tcp", "tcp4", "tcp6", "unix"])
    ap.add_argument("--idle", type=float, default=None, help="close a connection idle this long")
    ap.add_argument("--gomaxprocs", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        gort.run(main, args.network, args.address, args.idle, gomaxprocs=args.gomaxprocs)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
