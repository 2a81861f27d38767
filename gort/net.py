"""``gort.net``: TCP and Unix-domain stream sockets for goroutines (Go's package net).

Sockets are non-blocking. A read, write, accept or connect that would block parks
the goroutine on the socket's poll descriptor (wait reason ``IO wait``) until the
runtime's netpoller (epoll/kqueue through ``selectors``) reports it ready, a
deadline passes or the socket is closed; no thread is spent per connection.

::

    ln = gort.net.listen("tcp", "127.0.0.1:0")     # "tcp", "tcp4", "tcp6", "unix"
    conn = await ln.accept()
    data = await conn.read(65536)                  # b"" at end of stream
    await conn.write(data)                         # writes all of it
    conn.set_read_deadline(time.monotonic() + 5)   # None clears
    conn.close()

    c = await gort.net.dial("tcp", "[::1]:8080", timeout=2.0)

Addresses are ``"host:port"``, ``"[ipv6]:port"`` or ``":port"`` (all interfaces;
with ``listen("tcp", ...)`` a dual-stack socket where IPv6 is available); a Unix
socket address is a path, or ``"@name"`` for Linux's abstract namespace. Port 0
picks a free port (read it back from ``Listener.addr.port``). A host name is
resolved with ``getaddrinfo``: in ``dial`` as a blocking call on the goroutine's
M with its P released (``gort.blocking``); in ``listen``, which is not awaited,
directly.

Errors
------
- ``ErrClosed`` (an ``OSError``, message ``use of closed network connection``):
  the operation used a ``Conn``/``Listener`` that was closed, or was blocked in
  it when another goroutine closed it (Go's ``net.ErrClosed``).
- ``TimeoutError`` (a subclass of the built-in ``TimeoutError``, message
  ``i/o timeout``): a deadline passed (Go's ``os.ErrDeadlineExceeded``), also
  for ``dial(..., timeout=...)``. The connection stays usable; set a new
  deadline to go on.
- Errors from the operating system arrive unchanged, as the ``OSError``
  subclasses Python raises for their ``errno`` (``ConnectionRefusedError``,
  ``ConnectionResetError``, ``BrokenPipeError``, ...).
- ``AddrError`` and ``UnknownNetworkError`` (both ``ValueError``) for a malformed
  address or an unknown network name.

Differences from Go
-------------------
- ``close()`` is idempotent (Go's second ``Close`` returns an error).
- ``read(0)`` returns ``b""`` at once without touching the socket (so does Go's
  ``Read`` of an empty buffer), which is also what end of stream returns: only
  ask for zero bytes if you mean it.
- A write that fails part-way raises; how much was written is not reported.
- Deadlines are ``time.monotonic()`` instants (Go's are wall-clock ``time.Time``).
- A read that returned fewer bytes than asked for is taken to have emptied the
  socket, and the next read waits for the poller without trying ``recv``. The
  kernel also ends a read early at TCP's urgent mark (data a peer sent with
  ``MSG_OOB``; the poller reports it and the connection stops assuming this) and
  after a Unix-socket message that carries descriptors: in that last case the
  rest is read only once more data (or the end of stream) arrives.
- A read or write that does not block makes its system call while holding the
  poll descriptor's lock instead of taking Go's per-direction ``fdMutex``: one
  lock round trip instead of two on the common path. So on one connection a
  non-blocking ``recv`` and a non-blocking ``send`` from two goroutines on two
  Ps take turns (each lasts microseconds); waiting readers and writers still
  queue per direction.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import os
import socket
import stat
import time as _time
import types
from collections.abc import Generator
from typing import Any

from ._runtime import proc as _proc
from ._runtime.netpoll import (
    MODE_READ,
    MODE_WRITE,
    PD_NIL,
    PD_READY,
    ErrClosed,
    PollDesc,
    park_read,
)
from ._runtime.netpoll import NetTimeoutError as TimeoutError  # noqa: A004
from ._runtime.runtime2 import TRAP_PARK

__all__ = [
    "AddrError",
    "Conn",
    "ErrClosed",
    "Listener",
    "TCPAddr",
    "TimeoutError",
    "UnixAddr",
    "UnknownNetworkError",
    "dial",
    "join_host_port",
    "listen",
    "split_host_port",
]

class AddrError(ValueError):
    """A malformed address (Go's ``net.AddrError``): ``address X: <what is wrong>``."""

    def __init__(self, err: str, addr: str) -> None:
        super().__init__(f"address {addr}: {err}")
        self.err = err
        self.addr = addr


class UnknownNetworkError(ValueError):
    """A network name other than tcp, tcp4, tcp6 or unix."""

    def __init__(self, network: str) -> None:
        super().__init__(f"unknown network {network}")
        self.network = network


# ---------------------------------------------------------------------------
# Addresses


class TCPAddr:
    """A TCP endpoint (Go's ``net.TCPAddr``); ``str()`` is ``host:port`` / ``[v6]:port``."""

    __slots__ = ("ip", "port", "zone")

    def __init__(self, ip: str, port: int, zone: str = "") -> None:
        self.ip = ip
        self.port = port
        self.zone = zone

    @property
    def network(self) -> str:
        return "tcp"

    def __str__(self) -> str:
        host = f"{self.ip}%{self.zone}" if self.zone else self.ip
        return join_host_port(host, str(self.port))

    def __repr__(self) -> str:
        return f"TCPAddr({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TCPAddr):
            return NotImplemented
        return (self.ip, self.port, self.zone) == (other.ip, other.port, other.zone)

    def __hash__(self) -> int:
        return hash((self.ip, self.port, self.zone))


class UnixAddr:
    """A Unix-domain socket address (Go's ``net.UnixAddr``); ``str()`` is the path."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def network(self) -> str:
        return "unix"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"UnixAddr({self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnixAddr):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)


def split_host_port(hostport: str) -> tuple[str, str]:
    """``"host:port"``, ``"[host]:port"`` -> ``(host, port)`` (Go's ``net.SplitHostPort``)."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise AddrError("missing ']' in address", hostport)
        host = hostport[1:end]
        rest = hostport[end + 1 :]
        if not rest:
            raise AddrError("missing port in address", hostport)
        if not rest.startswith(":"):
            raise AddrError("missing port in address", hostport)
        port = rest[1:]
        if "[" in port or "]" in port:
            raise AddrError("unexpected ']' in address", hostport)
        return host, port
    i = hostport.rfind(":")
    if i < 0:
        raise AddrError("missing port in address", hostport)
    host, port = hostport[:i], hostport[i + 1 :]
    if ":" in host:
        raise AddrError("too many colons in address", hostport)
    if "[" in hostport or "]" in hostport:
        raise AddrError("unexpected '[' or ']' in address", hostport)
    return host, port


def join_host_port(host: str, port: str) -> str:
    """Go's ``net.JoinHostPort``: brackets around a host that contains a colon."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _sockaddr_to_addr(family: int, sa: Any) -> TCPAddr | UnixAddr:
    if family == socket.AF_UNIX:
        if isinstance(sa, bytes):  # the abstract namespace
            name = "@" + sa[1:].decode("utf-8", "surrogateescape") if sa[:1] == b"\0" else ""
            if not name:
                name = os.fsdecode(sa)
            return UnixAddr(name)
        return UnixAddr(sa or "")
    host = sa[0]
    zone = ""
    if "%" in host:
        host, _, zone = host.partition("%")
    return TCPAddr(host, sa[1], zone)


_NETWORKS = {
    "tcp": socket.AF_UNSPEC,
    "tcp4": socket.AF_INET,
    "tcp6": socket.AF_INET6,
    "unix": socket.AF_UNIX,
}


def _check_network(network: str) -> int:
    try:
        return _NETWORKS[network]
    except (KeyError, TypeError):
        raise UnknownNetworkError(str(network)) from None


def _parse_port(port: str, address: str) -> int:
    if port.isdigit():
        p = int(port)
    elif port.startswith("+") or port.startswith("-") or not port:
        raise AddrError("invalid port", address)
    else:
        try:
            p = socket.getservbyname(port, "tcp")
        except OSError:
            raise AddrError("unknown port", address) from None
    if not 0 <= p <= 65535:
        raise AddrError("invalid port", address)
    return p


def _numeric(host: str, port: int, family: int) -> list[tuple[int, Any]] | None:
    """Resolve a literal IP without DNS; None if ``host`` is a name."""
    try:
        infos = socket.getaddrinfo(
            host, port, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        return None
    return [(fam, sa) for fam, _, _, _, sa in infos]


def _unix_sockaddr(address: str) -> str | bytes:
    if address.startswith("@"):  # Linux abstract namespace
        return b"\0" + os.fsencode(address[1:])
    return address


_somaxconn: int | None = None


def _backlog() -> int:
    """Go's maxListenerBacklog: the kernel's limit, so a burst of connects is not refused."""
    global _somaxconn
    if _somaxconn is None:
        n = socket.SOMAXCONN
        try:
            with open("/proc/sys/net/core/somaxconn") as f:
                n = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
        _somaxconn = max(1, min(n, 65535))
    return _somaxconn


# ---------------------------------------------------------------------------
# Listen


def listen(network: str, address: str) -> Listener:
    """Listen on ``address`` (Go's ``net.Listen``); ``network`` is tcp, tcp4, tcp6 or unix."""
    family = _check_network(network)
    if not isinstance(address, str):
        raise TypeError(f"listen: address must be a str, not {type(address).__name__}")
    if family == socket.AF_UNIX:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(_unix_sockaddr(address))
            sock.listen(_backlog())
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        unlink = address if address and not address.startswith("@") else None
        return Listener(sock, network, unlink)
    host, port_s = split_host_port(address)
    port = _parse_port(port_s, address)
    wildcard = host == ""
    if wildcard:
        if family == socket.AF_INET or (family == socket.AF_UNSPEC and not socket.has_ipv6):
            cands: list[tuple[int, Any]] = [(socket.AF_INET, ("0.0.0.0", port))]
        elif family == socket.AF_INET6:
            cands = [(socket.AF_INET6, ("::", port, 0, 0))]
        else:
            cands = [(socket.AF_INET6, ("::", port, 0, 0)), (socket.AF_INET, ("0.0.0.0", port))]
    else:
        found = _numeric(host, port, family)
        if found is None:
            infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
            found = [(fam, sa) for fam, _, _, _, sa in infos]
        cands = found[:1]
        if not cands:
            raise AddrError("no suitable address found", address)
    first: BaseException | None = None
    for fam, sa in cands:
        sock = socket.socket(fam, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                # dual stack only for "tcp" on the wildcard address (as Go does)
                v6only = 0 if (wildcard and family == socket.AF_UNSPEC) else 1
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
            sock.bind(sa)
            sock.listen(_backlog())
            sock.setblocking(False)
        except OSError as e:
            sock.close()
            if first is None:
                first = e
            continue
        except BaseException:
            sock.close()
            raise
        return Listener(sock, network, None)
    assert first is not None
    raise first


class Listener:
    """A listening socket (Go's ``net.Listener``). ``await accept()``, ``close()``, ``addr``."""

    __slots__ = ("_sock", "_pd", "_network", "_addr", "_unlink", "__weakref__")

    def __init__(self, sock: socket.socket, network: str, unlink: str | None) -> None:
        self._sock = sock
        self._pd = PollDesc(sock)
        self._network = network
        self._addr = _sockaddr_to_addr(sock.family, sock.getsockname())
        self._unlink = unlink

    @property
    def addr(self) -> TCPAddr | UnixAddr:
        """The address it listens on (``.port`` for TCP: the chosen one for port 0)."""
        return self._addr

    def __repr__(self) -> str:
        closed = " closed" if self._pd.closing else ""
        return f"<gort.net.Listener {self._network} {self._addr}{closed}>"

    def fileno(self) -> int:
        return self._pd.fd

    @types.coroutine
    def accept(self) -> Generator[Any, Any, Conn]:
        """Wait for and return the next connection (Go's ``Accept``)."""
        pd = self._pd
        lk = pd.lock
        lk.acquire()
        if pd.rowned or pd.closing or pd.rd < 0:
            lk.release()
            yield from pd.acquire(MODE_READ)
        else:
            pd.rowned = True
            lk.release()
        try:
            accept = self._sock.accept
            while True:
                try:
                    sock, raddr = accept()
                    break
                except BlockingIOError:
                    pass
                except ConnectionAbortedError:
                    continue  # the peer gave up before we took it (Go retries too)
                yield from pd.wait(MODE_READ)
        finally:
            _release_read(pd)
        try:
            sock.setblocking(False)
            if sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return Conn(sock, raddr)
        except BaseException:
            sock.close()
            raise

    def set_deadline(self, t: float | None) -> None:
        """A deadline for ``accept`` (``time.monotonic()`` instant; None clears)."""
        self._pd.set_deadline(MODE_READ, _deadline_ns(t))

    def close(self) -> None:
        """Stop listening; a goroutine blocked in ``accept`` gets ``ErrClosed``."""
        pd = self._pd
        if pd.closing:
            return
        pd.evict()
        path = self._unlink
        if path is not None:
            self._unlink = None
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    os.unlink(path)
            except OSError:
                pass

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._pd.closing:
                self.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# Conn


def _release_read(pd: PollDesc) -> None:
    lk = pd.lock
    lk.acquire()
    if pd.rq or pd.closing:
        lk.release()
        pd.release(MODE_READ)
    else:
        pd.rowned = False
        lk.release()


def _release_write(pd: PollDesc) -> None:
    lk = pd.lock
    lk.acquire()
    if pd.wq or pd.closing:
        lk.release()
        pd.release(MODE_WRITE)
    else:
        pd.wowned = False
        lk.release()


def _deadline_ns(t: float | None) -> int | None:
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise TypeError(
            f"deadline must be a time.monotonic() value or None, not {type(t).__name__}"
        )
    return int(t * 1e9)


class Conn:
    """A stream connection (Go's ``net.Conn``)."""

    __slots__ = ("_sock", "_pd", "_laddr", "_raddr", "__weakref__")

    def __init__(self, sock: socket.socket, raddr: Any = None, pd: PollDesc | None = None) -> None:
        self._sock = sock
        self._pd = PollDesc(sock) if pd is None else pd
        fam = sock.family
        self._laddr = _sockaddr_to_addr(fam, sock.getsockname())
        if raddr is None:
            try:
                raddr = sock.getpeername()
            except OSError:
                raddr = "" if fam == socket.AF_UNIX else ("", 0)
        self._raddr = _sockaddr_to_addr(fam, raddr)

    @property
    def local_addr(self) -> TCPAddr | UnixAddr:
        return self._laddr

    @property
    def remote_addr(self) -> TCPAddr | UnixAddr:
        return self._raddr

    def __repr__(self) -> str:
        closed = " closed" if self._pd.closing else ""
        return f"<gort.net.Conn {self._laddr}->{self._raddr}{closed}>"

    def fileno(self) -> int:
        return self._pd.fd

    @types.coroutine
    def read(self, n: int = 65536) -> Generator[Any, Any, bytes]:
        """Read up to ``n`` bytes, waiting until some arrive; ``b""`` at end of stream."""
        if n <= 0:
            if n < 0:
                raise ValueError("read: negative size")
            return b""
        pd = self._pd
        lk = pd.lock
        lk.acquire()
        if pd.rowned or pd.closing or pd.rd < 0:
            lk.release()
            yield from pd.acquire(MODE_READ)
            return (yield from self._read_owned(n, False))
        # The fast path runs under pd.lock and takes no ownership: nobody else reads,
        # and a close waits for the lock, so the descriptor stays ours meanwhile.
        rg = pd.rg
        if rg == PD_READY:
            pd.rg = PD_NIL  # the notification is consumed by the recv below
        elif pd.rdrained and not pd.hup:
            # The last read emptied the socket and no readiness has been reported
            # since: park now instead of paying for a recv that fails (a system call
            # and an exception). Nothing is lost: the registration is edge-triggered,
            # and data that came after that read is a new edge the poller will report
            # (level-triggered selectors report it anyway). Not after a hang-up (it
            # is reported once, maybe together with the last data) or urgent data
            # (a read stops short at its mark): both set pd.hup.
            park_read(pd)  # pdNil -> G; releases the lock if it raises
            pd.rowned = True  # a second reader queues behind us meanwhile
            yield TRAP_PARK  # the M releases pd.lock once we are parked
            lk.acquire()
            rg = pd.rg
            pd.rg = PD_NIL
            if rg != PD_READY or pd.closing or pd.rq:
                # woken by a deadline or a close, or readers queued: stay the owner
                wait = rg != PD_READY or pd.closing  # wait raises the error, if any
                lk.release()
                return (yield from self._read_owned(n, wait))
            pd.rowned = False
        try:
            data = self._sock.recv(n)
        except BlockingIOError:
            pd.rowned = True
            lk.release()
            return (yield from self._read_owned(n, True))
        except BaseException:
            lk.release()
            raise
        pd.rdrained = 0 < len(data) < n
        lk.release()
        return data

    @types.coroutine
    def _read_owned(self, n: int, wait: bool) -> Generator[Any, Any, bytes]:
        """read's general path: the caller owns the read direction (not holding the
        lock); ``wait``: the socket was found empty, or a park ended without readiness."""
        pd = self._pd
        try:
            if wait:
                yield from pd.wait(MODE_READ)
            recv = self._sock.recv
            while True:
                try:
                    data = recv(n)
                except BlockingIOError:
                    yield from pd.wait(MODE_READ)
                    continue
                pd.rdrained = 0 < len(data) < n
                return data
        finally:
            _release_read(pd)

    @types.coroutine
    def write(self, data: bytes | bytearray | memoryview) -> Generator[Any, Any, int]:
        """Write all of ``data``, waiting for room as needed; returns its length."""
        pd = self._pd
        lk = pd.lock
        lk.acquire()
        if pd.wowned or pd.closing or pd.wd < 0:
            lk.release()
            yield from pd.acquire(MODE_WRITE)
            return (yield from self._write_owned(data, 0, False))
        # The first send runs under pd.lock without taking the ownership (see read).
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except BaseException:
            lk.release()
            raise
        n = len(data) if type(data) is bytes else memoryview(data).nbytes
        if sent == n:
            lk.release()
            return n
        pd.wowned = True
        lk.release()
        return (yield from self._write_owned(data, sent, sent == 0))

    @types.coroutine
    def _write_owned(
        self, data: bytes | bytearray | memoryview, sent: int, wait: bool
    ) -> Generator[Any, Any, int]:
        """write's general path: the caller owns the write direction; ``sent`` bytes of
        ``data`` are written already; ``wait``: the last send found no room."""
        pd = self._pd
        try:
            n = len(data) if type(data) is bytes else memoryview(data).nbytes
            mv = memoryview(data).cast("B")
            send = self._sock.send
            while True:
                if wait:
                    yield from pd.wait(MODE_WRITE)
                try:
                    sent += send(mv[sent:])
                except BlockingIOError:
                    wait = True
                    continue
                if sent >= n:
                    return n
                wait = False  # a partial send: try again until it would block
        finally:
            _release_write(pd)

    def close(self) -> None:
        """Close; goroutines blocked in ``read``/``write`` get ``ErrClosed``. Idempotent."""
        self._pd.evict()

    def set_deadline(self, t: float | None) -> None:
        """Deadline for reads and writes: a ``time.monotonic()`` instant, None clears."""
        self._pd.set_deadline(MODE_READ | MODE_WRITE, _deadline_ns(t))

    def set_read_deadline(self, t: float | None) -> None:
        self._pd.set_deadline(MODE_READ, _deadline_ns(t))

    def set_write_deadline(self, t: float | None) -> None:
        self._pd.set_deadline(MODE_WRITE, _deadline_ns(t))

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Go closes an unreachable connection with a finalizer. The poller holds the
        # descriptor (not the Conn), so without this it would stay open and watched.
        try:
            if not self._pd.closing:
                self._pd.evict()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# Dial


async def dial(network: str, address: str, timeout: float | None = None) -> Conn:
    """Connect to ``address`` (Go's ``net.Dial``/``DialTimeout``).

    ``timeout`` (seconds) bounds the connects (not a host name's lookup); past it
    ``TimeoutError`` is raised (``timeout <= 0``: at once). Each address a host name
    resolves to is tried in turn; the first error is raised if all fail.
    """
    family = _check_network(network)
    if not isinstance(address, str):
        raise TypeError(f"dial: address must be a str, not {type(address).__name__}")
    deadline: int | None = None
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("dial: timeout must be a number of seconds or None")
        if timeout <= 0:
            raise TimeoutError()
        deadline = _time.monotonic_ns() + int(timeout * 1e9)
    if family == socket.AF_UNIX:
        cands: list[tuple[int, Any]] = [(socket.AF_UNIX, _unix_sockaddr(address))]
    else:
        host, port_s = split_host_port(address)
        port = _parse_port(port_s, address)
        if host == "":  # Go: the local system
            host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        found = _numeric(host, port, family)
        if found is None:
            infos = await _proc.blocking(
                socket.getaddrinfo, (host, port, family, socket.SOCK_STREAM)
            )
            found = [(fam, sa) for fam, _, _, _, sa in infos]
        cands = found
        if not cands:
            raise AddrError("no suitable address found", address)
    first: BaseException | None = None
    for fam, sa in cands:
        if deadline is not None and _time.monotonic_ns() >= deadline:
            raise TimeoutError()
        try:
            return await _connect(fam, sa, deadline)
        except (ErrClosed, TimeoutError):
            raise
        except OSError as e:
            if first is None:
                first = e
    assert first is not None
    raise first


async def _connect(family: int, sa: Any, deadline: int | None) -> Conn:
    sock = socket.socket(family, socket.SOCK_STREAM)
    pd: PollDesc | None = None
    conn: Conn | None = None
    try:
        sock.setblocking(False)
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(sa)
        if err in (_errno.EINPROGRESS, _errno.EALREADY, _errno.EINTR):
            # Go's netFD.connect: wait until writable, then read SO_ERROR
            pd = PollDesc(sock)
            if deadline is not None:
                pd.set_deadline(MODE_WRITE, deadline)
            await pd.acquire(MODE_WRITE)
            try:
                while True:
                    await pd.wait(MODE_WRITE)
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err not in (_errno.EINPROGRESS, _errno.EALREADY, _errno.EINTR):
                        break
            finally:
                _release_write(pd)
            pd.set_deadline(MODE_WRITE, None)
        if err:
            raise OSError(err, os.strerror(err))
        conn = Conn(sock, sa, pd)
        return conn
    finally:
        if conn is None:
            if pd is not None:
                pd.evict()
            sock.close()
