"""Go-style unbuffered channel and select for trio, on trio.lowlevel."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import outcome
import trio

_randrange = random.randrange


class _TWait:
    __slots__ = ("task", "fired")

    def __init__(self) -> None:
        self.task = trio.lowlevel.current_task()
        self.fired = False


def _trio_park(entries: list) -> Any:
    def abort(_raise_cancel: Any) -> Any:
        for c, e in entries:
            try:  # noqa: SIM105 - no contextlib on the hot path
                c.remove(e)
            except ValueError:
                pass
        return trio.lowlevel.Abort.SUCCEEDED

    return trio.lowlevel.wait_task_rescheduled(abort)


def _trio_fire(w: _TWait, value: Any) -> None:
    w.fired = True
    trio.lowlevel.reschedule(w.task, outcome.Value(value))


class TrioChan:
    """Unbuffered channel for trio built on trio.lowlevel (used where select is needed)."""

    __slots__ = ("recvq", "sendq")

    def __init__(self) -> None:
        self.recvq: deque = deque()
        self.sendq: deque = deque()

    async def send(self, v: Any) -> None:
        recvq = self.recvq
        while recvq:
            w, idx = recvq.popleft()
            if not w.fired:
                _trio_fire(w, (idx, v))
                return
        w = _TWait()
        e = (w, v)
        self.sendq.append(e)
        await _trio_park([(self.sendq, e)])

    async def recv(self) -> Any:
        sendq = self.sendq
        while sendq:
            w, v = sendq.popleft()
            if not w.fired:
                _trio_fire(w, None)
                return v
        w = _TWait()
        e = (w, 0)
        self.recvq.append(e)
        return (await _trio_park([(self.recvq, e)]))[1]


async def trio_select(*chans: TrioChan) -> tuple[int, Any]:
    n = len(chans)
    start = _randrange(n)
    for k in range(n):
        i = (start + k) % n
        sendq = chans[i].sendq
        while sendq:
            w, v = sendq.popleft()
            if not w.fired:
                _trio_fire(w, None)
                return i, v
    w = _TWait()
    entries = [(c.recvq, (w, i)) for i, c in enumerate(chans)]
    for q, e in entries:
        q.append(e)
    idx, v = await _trio_park(entries)
    for i, (q, e) in enumerate(entries):
        if i != idx:
            try:  # noqa: SIM105 - no contextlib on the hot path
                q.remove(e)
            except ValueError:
                pass
    return idx, v
