"""Go-style unbuffered channel and select for OS threads."""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any

_randrange = random.randrange


class _ThWait:
    """A parked thread: it blocks on `park` (held) until a peer fires it once."""

    __slots__ = ("mu", "park", "fired", "value")

    def __init__(self) -> None:
        self.mu = threading.Lock()
        self.park = threading.Lock()
        self.park.acquire()
        self.fired = False
        self.value: Any = None

    def try_fire(self, value: Any) -> bool:
        with self.mu:
            if self.fired:
                return False
            self.fired = True
        self.value = value
        self.park.release()
        return True

    def wait(self) -> Any:
        self.park.acquire()
        return self.value


class ThreadChan:
    """Unbuffered channel for OS threads (same algorithm; a lock guards each channel)."""

    __slots__ = ("lock", "recvq", "sendq")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recvq: deque = deque()
        self.sendq: deque = deque()

    def send(self, v: Any) -> None:
        with self.lock:
            recvq = self.recvq
            while recvq:
                w, idx = recvq.popleft()
                if w.try_fire((idx, v)):
                    return
            w = _ThWait()
            self.sendq.append((w, v))
        w.wait()

    def recv(self) -> Any:
        with self.lock:
            sendq = self.sendq
            while sendq:
                w, v = sendq.popleft()
                if w.try_fire(None):
                    return v
            w = _ThWait()
            self.recvq.append((w, 0))
        return w.wait()[1]


def thread_select(*chans: ThreadChan) -> tuple[int, Any]:
    n = len(chans)
    lock_order = sorted(range(n), key=lambda i: id(chans[i]))  # fixed lock order, as Go
    for i in lock_order:
        chans[i].lock.acquire()
    try:
        start = _randrange(n)
        for k in range(n):
            i = (start + k) % n
            sendq = chans[i].sendq
            while sendq:
                w, v = sendq.popleft()
                if w.try_fire(None):
                    return i, v
        me = _ThWait()
        entries = [(me, i) for i in range(n)]
        for c, e in zip(chans, entries, strict=True):
            c.recvq.append(e)
    finally:
        for i in reversed(lock_order):
            chans[i].lock.release()
    idx, v = me.wait()
    for i, (c, e) in enumerate(zip(chans, entries, strict=True)):
        if i != idx:
            with c.lock:
                try:  # noqa: SIM105 - no contextlib on the hot path
                    c.recvq.remove(e)
                except ValueError:
                    pass
    return idx, v
