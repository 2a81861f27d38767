"""Go's concurrent prime sieve on gort: a daisy chain of filter goroutines.

A generator goroutine sends 2, 3, 4, ... down an unbuffered channel. Each prime
that reaches the end of the chain gets a new filter goroutine of its own, which
passes on only the numbers it does not divide. Every number travels through one
goroutine per smaller prime, so the program is almost nothing but channel
hand-offs between goroutines: a good workout for the scheduler.

    python -m gort run examples/sieve.py          # the first 100 primes
    python -m gort run examples/sieve.py 1000     # the first 1000
    python -m gort run --summary --gomaxprocs 2 examples/sieve.py
"""

from __future__ import annotations

import sys

import gort


async def generate(out: gort.Chan[int]) -> None:
    """Send 2, 3, 4, ... to ``out``, forever."""
    n = 2
    while True:
        await out.send(n)
        n += 1


async def keep_if_not_divisible(src: gort.Chan[int], out: gort.Chan[int], prime: int) -> None:
    """Copy the numbers that ``prime`` does not divide from ``src`` to ``out``."""
    async for n in src:
        if n % prime != 0:
            await out.send(n)


async def primes(count: int) -> list[int]:
    """The first ``count`` primes, found by a chain of ``count`` filter goroutines."""
    found: list[int] = []
    ch: gort.Chan[int] = gort.Chan()
    gort.go(generate, ch)
    for _ in range(count):
        prime = await ch.recv()
        found.append(prime)
        filtered: gort.Chan[int] = gort.Chan()
        gort.go(keep_if_not_divisible, ch, filtered, prime)
        ch = filtered
    # main returns with every filter still blocked: as in Go, they are abandoned.
    return found


async def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    if count < 0:
        sys.exit(f"sieve: the number of primes must not be negative, not {count}")
    print(" ".join(str(p) for p in await primes(count)))


if __name__ == "__main__":
    gort.run(main)
