"""gort.time under load: many timers started and stopped at random on several Ps, CPU use
of a sleeping program, and sysmon's fairness towards sleepers (issue 5, points 2, 4 and 6).

Stop results are checked against Go 1.23's guarantees, not just counted:

- an ``after_func`` timer whose ``stop()`` returned True never runs its function; one
  whose ``stop()`` returned False has run it (or is about to): exactly once either way;
- a channel timer's ``stop()`` returns True whenever the program has not received from
  its channel (the timer may have fired: its value is drained), and nothing is received
  from it afterwards.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import pytest

import gort
import gort.time as gt

PROCS = 4
MAX_D = 0.05  # timers are armed for 0-50 ms


@dataclass
class Report:
    func_stopped: set[int] = field(default_factory=set)  # stop() returned True
    func_late_stop: set[int] = field(default_factory=set)  # stop() returned False
    func_kept: set[int] = field(default_factory=set)  # never stopped
    chan_received: int = 0
    chan_stopped: list[gt.Timer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _stress(n_timers: int, n_workers: int, seed: int) -> None:
    per = n_timers // n_workers
    total = per * n_workers

    async def main() -> None:
        # every after_func timer reports its index here; capacity for every timer, so a
        # duplicate firing is recorded instead of being dropped
        fired: gort.Chan[int] = gort.Chan(2 * total)
        reports: gort.Chan[Report] = gort.Chan(n_workers)

        async def worker(w: int) -> None:
            rng = random.Random(seed * 1000 + w)
            rep = Report()
            funcs: dict[int, gt.Timer] = {}
            chans: list[gt.Timer] = []
            for k in range(per):
                i = w * per + k
                d = rng.uniform(0, MAX_D)
                if k % 2:
                    funcs[i] = gt.after_func(d, fired.try_send, i)
                else:
                    chans.append(gt.Timer(d))
                if rng.random() < 0.05:
                    await gort.gosched()  # move to another P now and then
            # stop about half of them, at random moments (before, around, after firing)
            order = list(funcs.items())
            rng.shuffle(order)
            for i, t in order:
                r = rng.random()
                if r < 0.5:
                    if rng.random() < 0.1:
                        await gort.sleep(rng.uniform(0, MAX_D / 5))
                    if t.stop():
                        rep.func_stopped.add(i)
                    else:
                        rep.func_late_stop.add(i)
                else:
                    rep.func_kept.add(i)
            rng.shuffle(chans)
            for t in chans:
                if rng.random() < 0.5:
                    if rng.random() < 0.1:
                        await gort.sleep(rng.uniform(0, MAX_D / 5))
                    if not t.stop():
                        rep.errors.append("stop of an unreceived channel timer returned False")
                    rep.chan_stopped.append(t)
                else:
                    await t.c.recv()
                    rep.chan_received += 1
            await reports.send(rep)

        for w in range(n_workers):
            gort.go(worker, w)
        # resize while the timers run: timers of destroyed Ps move to P0
        await gort.sleep(0.005)
        gort.gomaxprocs(2)
        await gort.sleep(0.005)
        gort.gomaxprocs(PROCS)

        all_reps = [await reports.recv() for _ in range(n_workers)]
        stopped: set[int] = set()
        must_fire: set[int] = set()
        errors: list[str] = []
        chan_received = 0
        for rep in all_reps:
            assert rep is not None
            stopped |= rep.func_stopped
            must_fire |= rep.func_late_stop | rep.func_kept
            errors += rep.errors
            chan_received += rep.chan_received
        assert not errors, errors[:5]
        assert len(stopped) + len(must_fire) == total // 2
        # every timer that was not stopped fires, once
        seen: dict[int, int] = {}
        deadline = time.monotonic() + 60
        while len(seen) < len(must_fire):
            assert time.monotonic() < deadline, f"{len(must_fire) - len(seen)} timers never fired"
            i = await fired.recv()
            assert i is not None
            seen[i] = seen.get(i, 0) + 1
        # every timer was armed for at most MAX_D and every worker is done: wait that long
        # again, then nothing more may arrive - no late duplicate, no stopped timer
        await gort.sleep(2 * MAX_D)
        while True:
            i, ok, selected = fired.try_recv()
            if not selected:
                break
            assert i is not None
            seen[i] = seen.get(i, 0) + 1
        dup = {i: n for i, n in seen.items() if n != 1}
        assert not dup, f"timers fired more than once: {list(dup.items())[:5]}"
        wrongly = set(seen) & stopped
        assert not wrongly, f"{len(wrongly)} stopped timers fired, e.g. {sorted(wrongly)[:5]}"
        assert set(seen) == must_fire
        # stopped channel timers: nothing was (or will be) delivered
        for rep in all_reps:
            assert rep is not None
            for t in rep.chan_stopped:
                i, _ = await gort.select(t.c.recv, gort.default)
                assert i == 1, "a stopped channel timer delivered a value"
        assert chan_received + sum(len(r.chan_stopped) for r in all_reps if r) == total // 2

    gort.run(main, gomaxprocs=PROCS)


@pytest.mark.timeout(120)
def test_10k_timers_started_and_stopped_at_random() -> None:
    _stress(10_000, 100, seed=1)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_100k_timers_started_and_stopped_at_random() -> None:
    _stress(100_000, 400, seed=2)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_sleeping_program_uses_little_cpu() -> None:
    # issue 5 point 2: while every goroutine sleeps, the runtime sleeps too (no polling)
    async def main() -> tuple[float, float]:
        done: gort.Chan[int] = gort.Chan(20)

        async def sleeper(i: int) -> None:
            await gort.sleep(1.0)
            await done.send(i)

        async def napper(i: int) -> None:  # wakes every 100 ms: cheap, not a busy loop
            for _ in range(10):
                await gort.sleep(0.1)
            await done.send(i)

        for i in range(10):
            gort.go(sleeper, i)
            gort.go(napper, i)
        await gort.sleep(0.05)  # every goroutine has started and is asleep
        c0, w0 = time.process_time(), time.monotonic()
        for _ in range(20):
            await done.recv()
        return time.process_time() - c0, time.monotonic() - w0

    for procs in (1, PROCS):
        cpu, wall = gort.run(main, gomaxprocs=procs)
        assert wall >= 0.9
        assert cpu < 0.05 * wall, f"P={procs}: {cpu:.3f} s of CPU over {wall:.3f} s asleep"


def _hog_and_sleeper() -> tuple[list[float], float, float, float]:
    """One P: a goroutine runs Python code for 1 s without an await while another records
    the end of each of its 10 ms sleeps. Returns (stamps, hog start, hog end, the share
    of a CPU the OS gave the hog's thread)."""

    async def main() -> tuple[list[float], float, float, float]:
        stamps: list[float] = []
        window: list[float] = []
        started: gort.Chan[bool] = gort.Chan(1)
        finished: gort.Chan[bool] = gort.Chan(2)
        stop = False

        async def sleeper() -> None:
            while not stop:
                await gort.sleep(0.01)
                stamps.append(time.monotonic())
                if len(stamps) == 3:
                    started.try_send(True)
            await finished.send(True)

        async def hog() -> None:
            nonlocal stop
            c0 = time.thread_time()
            t0 = time.monotonic()
            while time.monotonic() - t0 < 1.0:  # no await: only sysmon can help
                pass
            t1 = time.monotonic()
            window.extend((t0, t1, (time.thread_time() - c0) / (t1 - t0)))
            stop = True
            await finished.send(True)

        gort.go(sleeper)
        await started.recv()
        gort.go(hog)
        await finished.recv()
        await finished.recv()
        return stamps, window[0], window[1], window[2]

    result: tuple[list[float], float, float, float] = gort.run(main, gomaxprocs=1)
    return result


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_cpu_bound_goroutine_does_not_starve_a_sleeper() -> None:
    # issue 5 point 6 / spec section 5: with one P, a goroutine that runs Python code
    # for 1 s without an await must not delay another goroutine's 10 ms sleeps by more
    # than 100 ms: sysmon hands the P to another M.
    #
    # The bound is about the runtime, not the machine: when the OS gave the hog's
    # thread under 80% of a CPU (other processes compete for the CPUs; on an idle
    # machine it gets 95% or more), the other threads - sysmon and the M it hands the
    # P to - were starved by the OS as well (measured: an M woken 220 ms late), so the
    # run says nothing; it is repeated, and skipped if the machine stays that busy.
    shares = []
    for _ in range(5):
        stamps, h0, h1, share = _hog_and_sleeper()
        if share < 0.8:
            shares.append(share)
            continue
        during = [t for t in stamps if h0 <= t <= h1]
        assert len(during) >= 5, f"the sleeper ran {len(during)} times during the 1 s hog"
        points = [h0, *during, h1]
        gaps = [b - a for a, b in zip(points, points[1:], strict=False)]
        assert max(gaps) < 0.1, f"largest gap {max(gaps) * 1e3:.1f} ms (gaps: {gaps[:20]})"
        return
    pytest.skip(f"the machine is too busy: the hog got {shares} of a CPU")
