"""An HTTP/1.1 "hello" server on gort: one goroutine per connection, keep-alive, pipelining.

Run it::

    python examples/http_hello.py                       # 127.0.0.1:8080
    python examples/http_hello.py 127.0.0.1:0 --gomaxprocs 2 --read-timeout 5
    curl -i http://127.0.0.1:8080/

Every ``GET``/``HEAD`` gets ``200 OK`` with the body ``Hello, World!``. It prints
``listening on ADDR`` once it accepts connections.

A connection is served until the client closes it, asks to (``Connection: close``,
or HTTP/1.0 without ``keep-alive``), or misbehaves: a malformed request gets
``400 Bad Request`` and a request head larger than 8 KiB ``431``, then the server
closes that connection; a client that sends nothing for ``--read-timeout``
seconds while the server waits for a request (a stalled or half-sent request, or
an idle keep-alive connection) is disconnected. Each of these costs the server
that one connection: its goroutine ends and everybody else is served as before.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time

import gort
import gort.net as net

BODY = b"Hello, World!\n"
MAX_HEAD = 8192
READ_MAX = 65536
MAX_BODY = 1 << 20


def _response(status: bytes, body: bytes, keep_alive: bool, head_only: bool = False) -> bytes:
    lines = [
        b"HTTP/1.1 " + status,
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    if not keep_alive:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head_only else body)


OK_KEEP = _response(b"200 OK", BODY, True)
OK_CLOSE = _response(b"200 OK", BODY, False)
HEAD_KEEP = _response(b"200 OK", BODY, True, head_only=True)
HEAD_CLOSE = _response(b"200 OK", BODY, False, head_only=True)
BAD_REQUEST = _response(b"400 Bad Request", b"400 Bad Request\n", False)
TOO_LARGE = _response(
    b"431 Request Header Fields Too Large", b"431 Request Header Fields Too Large\n", False
)
NOT_IMPLEMENTED = _response(b"501 Not Implemented", b"501 Not Implemented\n", False)


class BadRequest(Exception):
    def __init__(self, response: bytes) -> None:
        super().__init__(response.split(b"\r\n", 1)[0].decode())
        self.response = response


def parse_head(head: bytes) -> tuple[bytes, bool, int]:
    """Parse a request head (without its blank line). Returns (method, keep_alive, body_len)."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise BadRequest(BAD_REQUEST)
    method, _target, version = parts
    if version == b"HTTP/1.1":
        keep_alive = True
    elif version == b"HTTP/1.0":
        keep_alive = False
    else:
        raise BadRequest(BAD_REQUEST)
    length = 0
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or b" " in name:
            raise BadRequest(BAD_REQUEST)
        name = name.lower()
        value = value.strip()
        if name == b"connection":
            tokens = {t.strip().lower() for t in value.split(b",")}
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
        elif name == b"content-length":
            if not value.isdigit():
                raise BadRequest(BAD_REQUEST)
            length = int(value)
            if length > MAX_BODY:
                raise BadRequest(BAD_REQUEST)
        elif name == b"transfer-encoding":
            raise BadRequest(NOT_IMPLEMENTED)
    return method, keep_alive, length


async def handle(conn: net.Conn, read_timeout: float) -> None:
    """Serve requests on one connection until it is done (see the module docstring)."""
    buf = b""
    try:
        while True:
            # Wait for a complete request head (a deadline per request, as Go's
            # http.Server has ReadTimeout/IdleTimeout).
            conn.set_read_deadline(time.monotonic() + read_timeout)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    break
                if len(buf) > MAX_HEAD:
                    await conn.write(TOO_LARGE)
                    return
                data = await conn.read(READ_MAX)
                if not data:
                    return  # the client went away (between or in the middle of requests)
                buf += data
            out: list[bytes] = []
            keep_alive = True
            # every complete request in the buffer (pipelining): answer them in one write
            while end >= 0 and keep_alive:
                if end > MAX_HEAD:
                    out.append(TOO_LARGE)
                    keep_alive = False
                    break
                try:
                    method, keep_alive, length = parse_head(buf[:end])
                except BadRequest as e:
                    out.append(e.response)
                    keep_alive = False
                    break
                rest = buf[end + 4 :]
                while len(rest) < length:  # a body: read it and ignore it
                    data = await conn.read(READ_MAX)
                    if not data:
                        return
                    rest += data
                buf = rest[length:]
                if method == b"HEAD":
                    out.append(HEAD_KEEP if keep_alive else HEAD_CLOSE)
                else:
                    out.append(OK_KEEP if keep_alive else OK_CLOSE)
                end = buf.find(b"\r\n\r\n")
            await conn.write(out[0] if len(out) == 1 else b"".join(out))
            if not keep_alive:
                return
    except OSError:
        # net.TimeoutError (a stalled or idle client), ConnectionResetError,
        # BrokenPipeError: only this connection is affected.
        pass
    finally:
        conn.close()


async def serve(ln: net.Listener, read_timeout: float = 10.0) -> None:
    """Accept connections until ``ln`` is closed; one goroutine per connection."""
    delay = 0.0
    while True:
        try:
            conn = await ln.accept()
        except net.ErrClosed:
            return
        except OSError as e:
            if e.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            delay = min(1.0, delay * 2 or 0.005)
            await gort.sleep(delay)
            continue
        delay = 0.0
        gort.go(handle, conn, read_timeout)


async def main(network: str, address: str, read_timeout: float) -> None:
    ln = net.listen(network, address)
    print(f"listening on {ln.addr}", flush=True)
    try:
        await serve(ln, read_timeout)
    finally:
        ln.close()


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address", nargs="?", default="127.0.0.1:8080")
    ap.add_argument("--network", default="tcp", choices=["tcp", "tcp4", "tcp6", "unix"])
    ap.add_argument("--read-timeout", type=float, default=10.0)
    ap.add_argument("--gomaxprocs", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        gort.run(main, args.network, args.address, args.read_timeout, gomaxprocs=args.gomaxprocs)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
