"""Go-style unbuffered channel, select and latch for asyncio (and uvloop)."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import Any

_randrange = random.randrange


class AioChan:
    """Unbuffered channel for asyncio/uvloop.

    recvq holds ``(future, case_index)`` (the future may be shared by a select that
    waits on several channels; a done future is a waiter that already fired);
    sendq holds ``(future, value)``.
    """

    __slots__ = ("recvq", "sendq")

    def __init__(self) -> None:
        self.recvq: deque = deque()
        self.sendq: deque = deque()

    async def send(self, v: Any) -> None:
        recvq = self.recvq
        while recvq:
            fut, idx = recvq.popleft()
            if not fut.done():
                fut.set_result((idx, v))
                return
        fut = asyncio.get_running_loop().create_future()
        self.sendq.append((fut, v))
        await fut

    async def recv(self) -> Any:
        sendq = self.sendq
        while sendq:
            fut, v = sendq.popleft()
            if not fut.done():
                fut.set_result(None)
                return v
        fut = asyncio.get_running_loop().create_future()
        self.recvq.append((fut, 0))
        return (await fut)[1]


async def aio_select(*chans: AioChan) -> tuple[int, Any]:
    """Receive from whichever channel has a sender; returns ``(index, value)``."""
    n = len(chans)
    start = _randrange(n)
    for k in range(n):  # pass 1: poll in random order
        i = (start + k) % n
        sendq = chans[i].sendq
        while sendq:
            fut, v = sendq.popleft()
            if not fut.done():
                fut.set_result(None)
                return i, v
    fut = asyncio.get_running_loop().create_future()
    entries = [(fut, i) for i in range(n)]
    for c, e in zip(chans, entries, strict=True):  # pass 2: enqueue on every case
        c.recvq.append(e)
    idx, v = await fut
    for i, (c, e) in enumerate(zip(chans, entries, strict=True)):  # pass 3: dequeue from the losers
        if i != idx:
            try:  # noqa: SIM105 - no contextlib on the hot path
                c.recvq.remove(e)
            except ValueError:
                pass
    return idx, v


class AioLatch:
    """Countdown latch: ``done()`` n times, then ``await wait()`` returns."""

    __slots__ = ("n", "fut")

    def __init__(self, n: int) -> None:
        self.n = n
        self.fut = asyncio.get_running_loop().create_future()

    def done(self) -> None:
        self.n -= 1
        if self.n == 0:
            self.fut.set_result(None)

    async def wait(self) -> None:
        await self.fut
