"""The network poller: where an M with nothing to run blocks until I/O or the next timer.

Mirrors Go's ``runtime/netpoll.go`` and ``netpoll_epoll.go``.

The poller is a ``selectors.DefaultSelector`` (epoll on Linux, kqueue on BSD
and macOS) plus a wake-up socket pair (Go's ``netpollBreak``). At most one M
blocks in it at a time (``try_become_poller``; Go uses ``sched.lastpoll``);
``find_runnable`` and sysmon poll it without blocking.

Poll descriptors (``PollDesc``) and their state machine are added by the
network layer (``gort.net``); until one is registered the poller is used only
as a timed sleep that ``netpoll_break`` can cut short.

Locks: ``_poll_lock`` guards the selector's registrations and the waiter
count; the selector's ``select`` call itself is made without it, by the one
poller M.
"""

from __future__ import annotations

import selectors
import socket
import threading
from typing import Any

_sel: selectors.BaseSelector | None = None
_rfd: socket.socket | None = None
_wfd: socket.socket | None = None
_poll_lock = threading.Lock()
_waiters = 0  # goroutines parked on a poll descriptor (guarded by _poll_lock)
_break_pending = False
_sched: Any = None


def netpollinit(s: Any) -> None:
    global _sel, _rfd, _wfd, _sched, _waiters, _break_pending
    _sched = s
    _sel = selectors.DefaultSelector()
    _rfd, _wfd = socket.socketpair()
    _rfd.setblocking(False)
    _wfd.setblocking(False)
    _sel.register(_rfd, selectors.EVENT_READ, None)
    _waiters = 0
    _break_pending = False


def netpollclose(s: Any) -> None:
    global _sel, _rfd, _wfd, _sched
    with _poll_lock:
        if _sel is not None:
            _sel.close()
        for sock in (_rfd, _wfd):
            if sock is not None:
                sock.close()
        _sel = _rfd = _wfd = None
        _sched = None


def netpollinited() -> bool:
    return _sel is not None


def netpoll_anywaiters() -> bool:
    return _waiters > 0


def add_waiter(n: int) -> None:
    global _waiters
    with _poll_lock:
        _waiters += n


def netpoll_break() -> None:
    """Wake the M blocked in netpoll (Go's netpollBreak)."""
    global _break_pending
    w = _wfd
    if w is None or _break_pending:
        return
    _break_pending = True
    try:
        w.send(b"\0")
    except OSError:
        pass


def try_become_poller(s: Any) -> bool:
    """Claim the right to block in netpoll (Go: lastpoll.Swap(0) != 0)."""
    from .proc import getm

    with s.lock:
        if s.poller is not None or s.exiting:
            return False
        s.poller = getm()
        s.lastpoll = 0
        return True


def release_poller(s: Any) -> None:
    import time

    with s.lock:
        s.poller = None
        s.lastpoll = time.monotonic_ns()


def wake_poller_if_later(s: Any, when: int) -> None:
    """A timer due at ``when`` was added: wake the poller if it sleeps past it."""
    if s.poller is not None and (s.poll_until == 0 or s.poll_until > when):
        netpoll_break()


def netpoll(delay_ns: int) -> list[Any]:
    """Poll for ready I/O. ``delay_ns`` < 0 blocks, 0 polls, > 0 blocks at most that long.

    Returns the goroutines made ready (still ``_Gwaiting``; the caller readies them).
    """
    global _break_pending
    sel = _sel
    if sel is None:
        return []
    timeout = None if delay_ns < 0 else delay_ns / 1e9
    try:
        events = sel.select(timeout)
    except (OSError, ValueError):
        return []
    glist: list[Any] = []
    for key, mask in events:
        if key.data is None:  # the wake-up socket
            try:
                while _rfd is not None and _rfd.recv(4096):
                    pass
            except (BlockingIOError, OSError):
                pass
            _break_pending = False
            continue
        pd = key.data
        pd.netpollready(mask, glist)
    return glist


def selector() -> selectors.BaseSelector | None:
    return _sel
