"""A worker pool: N workers take jobs from one channel and send results to another.

The shape of Go's classic worker pool: the jobs channel is closed once every job
is queued, each worker ranges over it until it is drained, a ``WaitGroup`` counts
the workers, and one more goroutine closes the results channel when the group is
done, so that ``main`` can range over the results.

Each job here is a little CPU work (summing the squares below n), so with several
Ps on a free-threaded interpreter the workers really run in parallel.

    python -m gort run examples/workerpool.py              # 4 workers, 40 jobs
    python -m gort run examples/workerpool.py 8 1000       # 8 workers, 1000 jobs
"""

from __future__ import annotations

import sys

import gort
from gort.sync import WaitGroup


def sum_of_squares(n: int) -> int:
    return sum(i * i for i in range(n))


async def worker(wid: int, jobs: gort.Chan[int], results: gort.Chan[tuple[int, int, int]]) -> None:
    async for n in jobs:  # until jobs is closed and drained
        await results.send((n, sum_of_squares(n), wid))


async def main() -> None:
    nworkers = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    njobs = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    if nworkers < 1 or njobs < 0:
        sys.exit("usage: workerpool.py [WORKERS>=1] [JOBS>=0]")

    jobs: gort.Chan[int] = gort.Chan(16)
    results: gort.Chan[tuple[int, int, int]] = gort.Chan(16)

    wg = WaitGroup()
    for wid in range(1, nworkers + 1):
        wg.add(1)

        async def run_worker(wid: int = wid) -> None:
            try:
                await worker(wid, jobs, results)
            finally:
                wg.done()

        gort.go(run_worker)

    async def close_results_when_done() -> None:
        await wg.wait()
        results.close()

    gort.go(close_results_when_done)

    async def feed() -> None:
        for n in range(njobs):
            await jobs.send(n)
        jobs.close()

    gort.go(feed)

    total = 0
    done = 0
    by_worker: dict[int, int] = {}
    async for n, value, wid in results:
        if value != sum_of_squares(n):
            raise AssertionError(f"job {n}: wrong result {value}")
        total += value
        done += 1
        by_worker[wid] = by_worker.get(wid, 0) + 1
    print(f"{done} jobs done by {nworkers} workers, total {total}")
    print("jobs per worker:", " ".join(f"w{w}={c}" for w, c in sorted(by_worker.items())))


if __name__ == "__main__":
    gort.run(main)
