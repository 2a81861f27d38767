"""A pipeline with cancellation: stages joined by channels, stopped by closing ``done``.

    numbers --> square --+
                square --+--> merge --> main
                square --+

``numbers`` sends 1, 2, 3, ... forever; three ``square`` goroutines share its output
(fan-out); ``merge`` gathers their results into one channel (fan-in). Each stage
closes its output channel when it returns, so the next stage's ``async for`` ends.
``main`` takes only the first N results and then closes ``done``. Every stage
selects on ``done`` wherever it could block, so closing it (a close wakes every
receiver at once) makes every stage return: no goroutine is left behind, which
the program checks with ``gort.numgoroutine()``.

    python -m gort run examples/pipeline.py        # the first 10 squares
    python -m gort run examples/pipeline.py 25
"""

from __future__ import annotations

import sys

import gort


async def numbers(done: gort.Chan[None], out: gort.Chan[int]) -> None:
    n = 1
    try:
        while True:
            i, _ = await gort.select((out.send, n), done.recv)
            if i == 1:
                return
            n += 1
    finally:
        out.close()


async def square(done: gort.Chan[None], src: gort.Chan[int], out: gort.Chan[int]) -> None:
    try:
        async for n in src:
            i, _ = await gort.select((out.send, n * n), done.recv)
            if i == 1:
                return
    finally:
        out.close()


async def merge(done: gort.Chan[None], sources: list[gort.Chan[int]], out: gort.Chan[int]) -> None:
    """Fan-in: forward every source's values to ``out``; close it when all are done."""
    left = gort.Chan[None](len(sources))

    async def forward(src: gort.Chan[int]) -> None:
        try:
            async for v in src:
                i, _ = await gort.select((out.send, v), done.recv)
                if i == 1:
                    return
        finally:
            await left.send(None)

    for src in sources:
        gort.go(forward, src)
    for _ in sources:
        await left.recv()
    out.close()


async def main() -> None:
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    done: gort.Chan[None] = gort.Chan()

    nums: gort.Chan[int] = gort.Chan()
    gort.go(numbers, done, nums)
    squares = [gort.Chan[int]() for _ in range(3)]
    for ch in squares:
        gort.go(square, done, nums, ch)
    merged: gort.Chan[int] = gort.Chan()
    gort.go(merge, done, squares, merged)

    got = []
    for _ in range(want):
        got.append(await merged.recv())
    done.close()  # cancel: every stage returns

    # merged is closed once every forwarder has returned; drain what was in flight.
    async for _ in merged:
        pass
    print(f"first {want} results:", " ".join(str(v) for v in got))
    # The other stages are returning too; give them a moment (at most a second).
    for _ in range(1000):
        if gort.numgoroutine() == 1:
            break
        await gort.sleep(0.001)
    print("goroutines left:", gort.numgoroutine())


if __name__ == "__main__":
    gort.run(main)
