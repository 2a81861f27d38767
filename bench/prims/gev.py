"""Go-style unbuffered channel, select and latch for gevent."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from gevent.event import Event
from gevent.hub import Waiter, get_hub

_randrange = random.randrange


class _GWait:
    __slots__ = ("waiter", "fired")

    def __init__(self) -> None:
        self.waiter = Waiter()
        self.fired = False


class GChan:
    """Unbuffered channel for gevent greenlets (same algorithm as AioChan)."""

    __slots__ = ("recvq", "sendq", "hub")

    def __init__(self) -> None:
        self.recvq: deque = deque()
        self.sendq: deque = deque()
        self.hub = get_hub()

    def _fire(self, w: _GWait, value: Any) -> None:
        w.fired = True
        self.hub.loop.run_callback(w.waiter.switch, value)

    def send(self, v: Any) -> None:
        recvq = self.recvq
        while recvq:
            w, idx = recvq.popleft()
            if not w.fired:
                self._fire(w, (idx, v))
                return
        w = _GWait()
        self.sendq.append((w, v))
        w.waiter.get()

    def recv(self) -> Any:
        sendq = self.sendq
        while sendq:
            w, v = sendq.popleft()
            if not w.fired:
                self._fire(w, None)
                return v
        w = _GWait()
        self.recvq.append((w, 0))
        return w.waiter.get()[1]


def g_select(*chans: GChan) -> tuple[int, Any]:
    n = len(chans)
    start = _randrange(n)
    for k in range(n):
        i = (start + k) % n
        c = chans[i]
        sendq = c.sendq
        while sendq:
            w, v = sendq.popleft()
            if not w.fired:
                c._fire(w, None)
                return i, v
    w = _GWait()
    entries = [(w, i) for i in range(n)]
    for c, e in zip(chans, entries, strict=True):
        c.recvq.append(e)
    idx, v = w.waiter.get()
    for i, (c, e) in enumerate(zip(chans, entries, strict=True)):
        if i != idx:
            try:  # noqa: SIM105 - no contextlib on the hot path
                c.recvq.remove(e)
            except ValueError:
                pass
    return idx, v


class GLatch:
    """Countdown latch for gevent."""

    __slots__ = ("n", "event")

    def __init__(self, n: int) -> None:
        self.n = n
        self.event = Event()

    def done(self) -> None:
        self.n -= 1
        if self.n == 0:
            self.event.set()

    def wait(self) -> None:
        self.event.wait()
