"""The runtime core's public surface (contract sections 1, 2 and 6; issue 3).

run / go / gosched / goexit / exit / numgoroutine / gomaxprocs / goid / num_cpu,
uncaught exceptions, deadlock detection, abandoned goroutines, ``runtime.stack``.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from typing import Any

import pytest
from helpers import gil_enabled, go_id, thread_idents, wait_blocked

import gort
import gort.runtime as rt


def _noop() -> None:
    pass


def _lineno() -> int:
    """The caller's current line."""
    return sys._getframe(1).f_lineno


# --------------------------------------------------------------------------- go


@pytest.mark.timeout(30)
def test_go_nil_func_value() -> None:
    res: dict[str, Any] = {}

    async def main() -> None:
        with pytest.raises(TypeError) as ei:
            gort.go(None)
        res["msg"] = str(ei.value)
        res["n"] = gort.numgoroutine()

    gort.run(main, gomaxprocs=1)
    assert res["msg"] == "go of nil func value"
    assert res["n"] == 1  # nothing was created


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", [5, "main", object(), 1.5, [_noop]])
def test_go_non_callable_raises_type_error(bad: Any) -> None:
    res: dict[str, Any] = {}

    async def main() -> None:
        with pytest.raises(TypeError):
            gort.go(bad)
        res["n"] = gort.numgoroutine()
        res["snap"] = rt.sched_snapshot()

    gort.run(main, gomaxprocs=1)
    assert res["n"] == 1
    assert [g.goid for g in res["snap"].goroutines] == [1]
    assert res["snap"].procs[0].runnext is None


@pytest.mark.timeout(30)
def test_go_without_a_runtime_raises_runtime_error() -> None:
    async def body() -> None:
        pass

    with pytest.raises(RuntimeError):
        gort.go(_noop)
    with pytest.raises(RuntimeError):
        gort.go(body)


@pytest.mark.timeout(30)
def test_go_passes_args_and_kwargs_to_coroutine_functions_and_plain_callables() -> None:
    got: list[Any] = []
    done1: gort.Chan[None] = gort.Chan()
    done2: gort.Chan[None] = gort.Chan()

    async def co(a: int, b: int = 0, *, c: str = "") -> None:
        got.append(("co", a, b, c))
        done1.close()

    def plain(a: int, b: int = 0, *, c: str = "") -> None:
        got.append(("plain", a, b, c))
        done2.close()

    async def main() -> None:
        gort.go(co, 1, 2, c="x")
        await done1.recv()
        gort.go(plain, 3, c="y")
        await done2.recv()

    gort.run(main, gomaxprocs=1)
    assert got == [("co", 1, 2, "x"), ("plain", 3, 0, "y")]


def test_go_passes_a_keyword_argument_named_fn_through() -> None:
    # go's own first parameter is positional-only, so it never captures the
    # goroutine's keyword arguments
    got: gort.Chan[tuple[int, int]] = gort.Chan(2)

    async def co(fn: int = 0) -> None:
        await got.send((1, fn))

    def plain(fn: int = 0) -> None:
        got.try_send((2, fn))

    async def main() -> list[tuple[int, int] | None]:
        gort.go(co, fn=5)
        gort.go(plain, fn=6)
        return sorted([await got.recv(), await got.recv()])  # type: ignore[type-var]

    assert gort.run(main, gomaxprocs=1) == [(1, 5), (2, 6)]


@pytest.mark.timeout(30)
def test_go_arguments_are_evaluated_by_the_caller() -> None:
    got: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    async def rec(v: int) -> None:
        got.append(v)
        if len(got) == 3:
            done.close()

    async def main() -> None:
        box = [0]
        for _ in range(3):
            box[0] += 1
            gort.go(rec, box[0])  # the value is read now, not when rec runs
        box[0] = 100
        await done.recv()

    gort.run(main, gomaxprocs=1)
    assert sorted(got) == [1, 2, 3]


@pytest.mark.timeout(30)
def test_go_accepts_a_coroutine_object() -> None:
    got: list[int] = []

    async def body(ch: gort.Chan[int]) -> None:
        got.append(rt.goid())
        await ch.send(7)

    async def main() -> int:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(body(ch))
        return await ch.recv()

    assert gort.run(main, gomaxprocs=1) == 7
    assert got == [2]


@pytest.mark.timeout(30)
def test_go_from_a_foreign_os_thread_runs_the_goroutine() -> None:
    got: list[int] = []

    async def body(ch: gort.Chan[int]) -> None:
        got.append(rt.goid())
        await ch.send(5)

    async def main() -> int:
        ch: gort.Chan[int] = gort.Chan()
        errors: list[BaseException] = []

        def foreign() -> None:
            try:
                gort.go(body, ch)
            except BaseException as e:  # reported below
                errors.append(e)

        t = threading.Thread(target=foreign)
        t.start()
        await gort.blocking(t.join)  # a blocking call in flight: not a deadlock
        assert errors == []
        return await ch.recv()

    assert gort.run(main, gomaxprocs=2) == 5
    assert len(got) == 1


# --------------------------------------------------------------------------- run


@pytest.mark.timeout(30)
def test_run_returns_mains_value_and_passes_args() -> None:
    async def main(a: int, b: int, *, c: int) -> tuple[int, int, int]:
        return a, b, c

    assert gort.run(main, 1, 2, c=3, gomaxprocs=1) == (1, 2, 3)


@pytest.mark.timeout(30)
def test_run_main_may_be_a_plain_callable() -> None:
    seen: list[int] = []

    def main(x: int) -> int:
        seen.append(rt.goid())
        return x * 2

    assert gort.run(main, 21, gomaxprocs=1) == 42
    assert seen == [1]


@pytest.mark.timeout(30)
def test_run_plain_lambda_returns_its_value() -> None:
    assert gort.run(lambda: 7, gomaxprocs=1) == 7


@pytest.mark.timeout(30)
def test_nested_run_raises_runtime_error_and_the_outer_run_goes_on() -> None:
    async def inner() -> int:
        return 1

    async def main() -> str:
        with pytest.raises(RuntimeError):
            gort.run(inner)
        return "outer"

    assert gort.run(main, gomaxprocs=1) == "outer"


@pytest.mark.timeout(30)
def test_nested_run_from_a_plain_callable_main() -> None:
    errors: list[BaseException] = []

    def main() -> None:
        try:
            gort.run(_noop)
        except BaseException as e:  # checked below
            errors.append(e)

    gort.run(main, gomaxprocs=1)
    assert len(errors) == 1
    assert type(errors[0]) is RuntimeError


@pytest.mark.timeout(60)
def test_sequential_runs_each_get_a_fresh_runtime() -> None:
    async def main(i: int) -> tuple[int, int, int, int]:
        ch: gort.Chan[int] = gort.Chan()

        async def child() -> None:
            await ch.send(rt.goid())

        gort.go(child)
        n = gort.numgoroutine()
        return i, rt.goid(), n, await ch.recv()

    for i in range(5):
        assert gort.run(main, i, gomaxprocs=1 + i % 3) == (i, 1, 2, 2)


@pytest.mark.timeout(30)
def test_run_after_a_failed_run_works() -> None:
    async def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        gort.run(boom, gomaxprocs=1)
    assert gort.run(_async_value, 4, gomaxprocs=1) == 4


async def _async_value(v: int) -> int:
    return v


@pytest.mark.timeout(30)
def test_run_stops_every_thread_it_started() -> None:
    before = thread_idents()

    async def blocked(ch: gort.Chan[int]) -> None:
        await ch.recv()

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        for _ in range(8):
            gort.go(blocked, ch)
        for _ in range(50):
            await gort.gosched()
        assert rt.sched_snapshot().threads >= 1

    gort.run(main, gomaxprocs=4)
    assert thread_idents() <= before


@pytest.mark.timeout(30)
def test_gomaxprocs_none_means_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMAXPROCS", "3")
    assert gort.run(_snap_gomaxprocs) == 3
    monkeypatch.delenv("GOMAXPROCS")
    expected = 1 if gil_enabled() else rt_num_cpu()
    assert gort.run(_snap_gomaxprocs) == expected
    assert gort.run(_snap_gomaxprocs, gomaxprocs=2) == 2


async def _snap_gomaxprocs() -> int:
    return rt.sched_snapshot().gomaxprocs


def rt_num_cpu() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- exit


@pytest.mark.timeout(30)
def test_exit_from_main_raises_system_exit_with_the_code() -> None:
    async def main() -> None:
        gort.exit(3)

    with pytest.raises(SystemExit) as ei:
        gort.run(main, gomaxprocs=1)
    assert ei.value.code == 3


@pytest.mark.timeout(30)
def test_exit_from_a_plain_callable_main() -> None:
    def main() -> None:
        gort.exit(3)

    with pytest.raises(SystemExit) as ei:
        gort.run(main, gomaxprocs=1)
    assert ei.value.code == 3


@pytest.mark.timeout(30)
def test_exit_default_code_is_0() -> None:
    async def main() -> None:
        gort.exit()

    with pytest.raises(SystemExit) as ei:
        gort.run(main, gomaxprocs=1)
    assert ei.value.code == 0


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 4])
def test_exit_from_another_goroutine_ends_everything_at_once(procs: int) -> None:
    log: list[str] = []

    async def other(ready: gort.Chan[None]) -> None:
        try:
            await ready.send(None)
            await gort.Chan().recv()
        finally:
            log.append("other finally")

    async def exiter() -> None:
        log.append("exiting")
        gort.exit(4)
        log.append("after exit")

    async def main() -> None:
        try:
            ready: gort.Chan[None] = gort.Chan()
            gort.go(other, ready)
            await ready.recv()
            gort.go(exiter)
            await gort.Chan().recv()
        finally:
            log.append("main finally")

    before = thread_idents()
    with pytest.raises(SystemExit) as ei:
        gort.run(main, gomaxprocs=procs)
    gc.collect()
    assert ei.value.code == 4
    assert log == ["exiting"]  # no deferred code of any other goroutine ran
    assert thread_idents() <= before


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 4])
def test_exit_cannot_be_caught_or_delayed(procs: int) -> None:
    """os.Exit cannot be recovered: an ``except BaseException`` around ``gort.exit``
    does not cancel it, and no other goroutine runs once it was called (contract
    section 1: "ends the program at once; run raises SystemExit(code)")."""
    log: list[str] = []

    async def other(wake: gort.Chan[None]) -> None:
        await wake.recv()
        log.append("other ran")

    async def main() -> str:
        wake: gort.Chan[None] = gort.Chan()
        goid = await go_id(other, wake)
        await wait_blocked(goid, "chan receive")
        try:
            gort.exit(3)
        except BaseException:
            log.append("swallowed")
            wake.close()  # readies `other`: it must not run any more
        try:
            await gort.sleep(0.05)  # the runtime is exiting: this never returns
            log.append("main went on")
        finally:
            log.append("main finally")
        return "main returned"

    with pytest.raises(SystemExit) as ei:
        gort.run(main, gomaxprocs=procs)
    assert ei.value.code == 3
    # Only what ran before the first scheduling point after exit: a Python frame
    # cannot be left without unwinding it (docs/differences-from-go.md).
    assert log == ["swallowed"]


# --------------------------------------------------------------------------- panics


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 2])
def test_uncaught_exception_is_reraised_with_a_goroutine_note(procs: int) -> None:
    raised: list[BaseException] = []
    where: dict[str, int] = {}

    async def bad() -> None:
        where["goid"] = rt.goid()
        e = ValueError("boom")
        raised.append(e)
        raise e

    async def main() -> None:
        where["line"] = _lineno() + 1
        gort.go(bad)
        await gort.Chan().recv()

    with pytest.raises(ValueError) as ei:
        gort.run(main, gomaxprocs=procs)
    err = ei.value
    assert err is raised[0]
    notes = getattr(err, "__notes__", [])
    assert len(notes) == 1
    lines = notes[0].splitlines()
    assert lines[0] == f"goroutine {where['goid']} [running]:"
    assert where["goid"] == 2
    i = lines.index(f"created by {main.__qualname__} in goroutine 1")
    assert lines[i + 1] == f"\t{__file__}:{where['line']}"
    # the traceback is intact: it reaches the frame that raised
    tb = err.__traceback__
    codes = []
    while tb is not None:
        codes.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    assert bad.__code__ in codes


@pytest.mark.timeout(30)
def test_uncaught_exception_in_a_grandchild_names_its_parent() -> None:
    where: dict[str, int] = {}

    async def bad() -> None:
        where["goid"] = rt.goid()
        raise LookupError("deep")

    async def child() -> None:
        where["parent"] = rt.goid()
        where["line"] = _lineno() + 1
        gort.go(bad)
        await gort.Chan().recv()

    async def main() -> None:
        gort.go(child)
        await gort.Chan().recv()

    with pytest.raises(LookupError) as ei:
        gort.run(main, gomaxprocs=1)
    note = ei.value.__notes__[0]
    assert note.startswith(f"goroutine {where['goid']} [running]:\n")
    assert (
        f"created by {child.__qualname__} in goroutine {where['parent']}\n"
        f"\t{__file__}:{where['line']}"
    ) in note


@pytest.mark.timeout(30)
def test_uncaught_exception_in_main() -> None:
    async def main() -> None:
        raise RuntimeWarning("in main")

    with pytest.raises(RuntimeWarning) as ei:
        gort.run(main, gomaxprocs=1)
    assert ei.value.__notes__[0].splitlines()[0] == "goroutine 1 [running]:"
    assert "created by" not in ei.value.__notes__[0]


@pytest.mark.timeout(30)
def test_uncaught_exception_in_a_plain_callable_goroutine() -> None:
    def bad() -> None:
        raise ZeroDivisionError("plain")

    async def main() -> None:
        gort.go(bad)
        await gort.Chan().recv()

    with pytest.raises(ZeroDivisionError) as ei:
        gort.run(main, gomaxprocs=1)
    assert ei.value.__notes__[0].startswith("goroutine 2 [running]:\n")


@pytest.mark.timeout(30)
def test_panic_stops_the_runtime_and_its_threads() -> None:
    before = thread_idents()
    counter = [0]

    async def spinner() -> None:
        while True:
            counter[0] += 1
            await gort.gosched()

    async def bad() -> None:
        raise OSError("stop")

    async def main() -> None:
        for _ in range(3):
            gort.go(spinner)
        while counter[0] < 100:
            await gort.gosched()
        gort.go(bad)
        await gort.Chan().recv()

    with pytest.raises(OSError):
        gort.run(main, gomaxprocs=4)
    assert thread_idents() <= before
    n = counter[0]
    gc.collect()
    assert counter[0] == n


# --------------------------------------------------------------------------- goexit


@pytest.mark.timeout(10)
def test_goexit_is_a_base_exception() -> None:
    assert issubclass(gort.Goexit, BaseException)
    assert not issubclass(gort.Goexit, Exception)


@pytest.mark.timeout(30)
def test_goexit_runs_finally_blocks_and_ends_the_goroutine_normally() -> None:
    log: list[str] = []

    async def inner() -> None:
        try:
            gort.goexit()
        finally:
            log.append("inner finally")
        log.append("after goexit")  # never

    async def body(done: gort.Chan[None]) -> None:
        try:
            try:
                await inner()
            except Exception:
                log.append("caught as Exception")  # never: Goexit is a BaseException
            log.append("after inner")  # never
        finally:
            log.append("outer finally")
            done.close()

    async def main() -> tuple[int, int]:
        done: gort.Chan[None] = gort.Chan()
        gort.go(body, done)
        await done.recv()
        await gort.gosched()
        return gort.numgoroutine(), len(rt.sched_snapshot().goroutines)

    assert gort.run(main, gomaxprocs=1) == (1, 1)
    assert log == ["inner finally", "outer finally"]


@pytest.mark.timeout(30)
def test_goexit_in_a_plain_callable_goroutine() -> None:
    log: list[str] = []
    done: gort.Chan[None] = gort.Chan()

    def body() -> None:
        try:
            gort.goexit()
        finally:
            log.append("finally")
            done.close()
        log.append("after")

    async def main() -> int:
        gort.go(body)
        await done.recv()
        await gort.gosched()
        return gort.numgoroutine()

    assert gort.run(main, gomaxprocs=1) == 1
    assert log == ["finally"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 3])
def test_goexit_in_main_lets_the_others_finish_then_reports_deadlock(procs: int) -> None:
    log: list[str] = []

    async def worker(ch: gort.Chan[int]) -> None:
        for i in range(5):
            await ch.send(i)
        ch.close()

    async def reader(ch: gort.Chan[int]) -> None:
        async for v in ch:
            log.append(f"got {v}")
        log.append("reader done")

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(worker, ch)
        gort.go(reader, ch)
        try:
            gort.goexit()
        finally:
            log.append("main finally")
        log.append("main after goexit")  # never

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    assert str(ei.value) == "no goroutines (main called runtime.Goexit) - deadlock!"
    assert isinstance(ei.value, gort.FatalError)
    assert log == ["main finally", *(f"got {i}" for i in range(5)), "reader done"]


@pytest.mark.timeout(30)
def test_goexit_in_main_with_a_blocked_goroutine_is_an_ordinary_deadlock() -> None:
    async def stuck() -> None:
        await gort.Chan().recv()

    async def main() -> None:
        gort.go(stuck)
        gort.goexit()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=1)
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    assert "goroutine 2 [chan receive]:" in ei.value.dump


# --------------------------------------------------------------------------- deadlock


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 4])
def test_deadlock_main_blocked_on_a_channel(procs: int) -> None:
    async def main() -> None:
        await gort.Chan().recv()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=procs)
    e = ei.value
    assert isinstance(e, gort.FatalError)
    assert str(e) == "all goroutines are asleep - deadlock!"
    assert e.dump.splitlines()[0] == "goroutine 1 [chan receive]:"


@pytest.mark.timeout(30)
def test_deadlock_dump_lists_every_blocked_goroutine() -> None:
    async def sender(ch: gort.Chan[int]) -> None:
        await ch.send(1)

    async def receiver(ch: gort.Chan[int]) -> None:
        await ch.recv()

    async def main() -> None:
        a: gort.Chan[int] = gort.Chan()
        b: gort.Chan[int] = gort.Chan()
        gort.go(sender, a)
        gort.go(receiver, b)
        await gort.Chan().recv()

    with pytest.raises(gort.Deadlock) as ei:
        gort.run(main, gomaxprocs=2)
    dump = ei.value.dump
    assert "goroutine 1 [chan receive]:" in dump
    assert "goroutine 2 [chan send]:" in dump
    assert "goroutine 3 [chan receive]:" in dump
    assert f"created by {main.__qualname__} in goroutine 1" in dump
    assert sender.__qualname__ in dump and receiver.__qualname__ in dump


@pytest.mark.timeout(30)
def test_no_deadlock_while_a_blocking_call_is_in_flight() -> None:
    async def slow(ch: gort.Chan[str]) -> None:
        await gort.blocking(time.sleep, 0.2)
        await ch.send("done")

    async def main() -> str:
        ch: gort.Chan[str] = gort.Chan()
        gort.go(slow, ch)
        return await ch.recv()

    assert gort.run(main, gomaxprocs=1) == "done"


@pytest.mark.timeout(30)
def test_no_deadlock_while_a_goroutine_sleeps() -> None:
    async def sleeper(ch: gort.Chan[str]) -> None:
        await gort.sleep(0.1)
        await ch.send("woke")

    async def main() -> str:
        ch: gort.Chan[str] = gort.Chan()
        gort.go(sleeper, ch)
        return await ch.recv()

    assert gort.run(main, gomaxprocs=2) == "woke"


# --------------------------------------------------------------------------- abandonment


@pytest.mark.timeout(30)
@pytest.mark.parametrize("procs", [1, 4])
def test_abandoned_goroutines_never_run_again(procs: int) -> None:
    log: list[str] = []

    async def parked(ch: gort.Chan[int]) -> None:
        try:
            log.append("parked start")
            await ch.recv()
            log.append("parked resumed")
        finally:
            log.append("parked finally")

    async def yielder() -> None:
        try:
            log.append("yielder start")
            while True:
                await gort.gosched()
        finally:
            log.append("yielder finally")

    async def sleeper() -> None:
        try:
            log.append("sleeper start")
            await gort.sleep(5)
            log.append("sleeper resumed")
        finally:
            log.append("sleeper finally")

    async def late() -> None:
        try:
            await gort.Chan().recv()
        finally:
            log.append("late finally")

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(parked, ch)
        gort.go(yielder)
        gort.go(sleeper)
        while len(log) < 3:
            await gort.gosched()
        for _ in range(300):
            gort.go(late)  # most of them never start

    before = thread_idents()
    t0 = time.monotonic()
    gort.run(main, gomaxprocs=procs)
    elapsed = time.monotonic() - t0
    snapshot = list(log)
    gc.collect()
    assert elapsed < 3  # run did not wait for the sleeper
    assert thread_idents() <= before
    assert {"parked start", "yielder start", "sleeper start"} <= set(snapshot)
    assert not [x for x in snapshot if "finally" in x or "resumed" in x]
    assert log == snapshot  # gc.collect ran no finally block
    # a later runtime does not pick them up either
    gort.run(_async_value, 0, gomaxprocs=procs)
    gc.collect()
    assert log == snapshot


# --------------------------------------------------------------------------- introspection


@pytest.mark.timeout(30)
def test_numgoroutine_counts_live_user_goroutines() -> None:
    counts: list[int] = []

    async def blocked(ch: gort.Chan[int], done: gort.Chan[None]) -> None:
        await ch.recv()
        await done.send(None)

    async def main() -> None:
        counts.append(gort.numgoroutine())
        ch: gort.Chan[int] = gort.Chan()
        done: gort.Chan[None] = gort.Chan()
        for _ in range(5):
            gort.go(blocked, ch, done)
        counts.append(gort.numgoroutine())  # runnable ones count
        for _ in range(10):
            await gort.gosched()
        assert all(g.status == "_Gwaiting" for g in rt.sched_snapshot().goroutines[1:])
        counts.append(gort.numgoroutine())  # and blocked ones
        ch.close()
        for _ in range(5):
            await done.recv()
        await gort.gosched()
        counts.append(gort.numgoroutine())

    gort.run(main, gomaxprocs=1)
    assert counts == [1, 6, 6, 1]


@pytest.mark.timeout(30)
def test_gomaxprocs_returns_previous_and_resizes() -> None:
    res: list[Any] = []

    async def main() -> None:
        res.append(gort.gomaxprocs())  # 2: query only
        res.append(gort.gomaxprocs(0))  # 2
        res.append(gort.gomaxprocs(-3))  # 2, unchanged
        res.append(len(rt.sched_snapshot().procs))
        res.append(gort.gomaxprocs(5))  # 2
        snap = rt.sched_snapshot()
        res.append((snap.gomaxprocs, [p.id for p in snap.procs]))
        res.append(gort.gomaxprocs(1))  # 5
        snap = rt.sched_snapshot()
        res.append((snap.gomaxprocs, [p.id for p in snap.procs]))
        res.append(gort.gomaxprocs())  # 1

    gort.run(main, gomaxprocs=2)
    assert res == [2, 2, 2, 2, 2, (5, [0, 1, 2, 3, 4]), 5, (1, [0]), 1]


@pytest.mark.timeout(60)
def test_gomaxprocs_shrink_keeps_every_queued_goroutine() -> None:
    n = 2000
    ran: list[int] = []
    done: gort.Chan[None] = gort.Chan()

    async def body(i: int) -> None:
        await gort.gosched()
        ran.append(i)
        if len(ran) == n:
            done.close()

    async def main() -> int:
        for i in range(n):
            gort.go(body, i)
            if i == n // 2:
                gort.gomaxprocs(1)
            elif i == n // 4:
                gort.gomaxprocs(3)
        await done.recv()
        return len(rt.sched_snapshot().procs)

    assert gort.run(main, gomaxprocs=4) == 1
    assert sorted(ran) == list(range(n))


@pytest.mark.timeout(30)
def test_goid_and_num_cpu() -> None:
    res: dict[str, Any] = {}

    async def child(ch: gort.Chan[int]) -> None:
        await ch.send(rt.goid())

    async def main() -> None:
        res["main"] = rt.goid()
        ch: gort.Chan[int] = gort.Chan()
        gort.go(child, ch)
        res["child"] = await ch.recv()
        res["ncpu"] = rt.num_cpu()

    gort.run(main, gomaxprocs=1)
    assert res["main"] == 1
    assert res["child"] == 2
    assert res["ncpu"] == rt_num_cpu()
    assert rt.num_cpu() == rt_num_cpu()


# --------------------------------------------------------------------------- stack


@pytest.mark.timeout(30)
def test_stack_of_the_calling_goroutine() -> None:
    res: dict[str, Any] = {}

    async def helper() -> str:
        res["inner_line"] = _lineno() + 1
        return rt.stack()

    async def worker(ch: gort.Chan[str]) -> None:
        res["goid"] = rt.goid()
        res["outer_line"] = _lineno() + 1
        s = await helper()
        await ch.send(s)

    async def main() -> str:
        ch: gort.Chan[str] = gort.Chan()
        res["go_line"] = _lineno() + 1
        gort.go(worker, ch)
        return await ch.recv()

    text = gort.run(main, gomaxprocs=1)
    lines = text.rstrip("\n").splitlines()
    assert lines[0] == f"goroutine {res['goid']} [running]:"
    # innermost first: helper, then worker; each frame line then "\t<file>:<line>"
    assert lines[1].endswith(f"{helper.__qualname__}(...)")
    assert lines[2] == f"\t{__file__}:{res['inner_line']}"
    assert lines[3].endswith(f"{worker.__qualname__}(...)")
    assert lines[4] == f"\t{__file__}:{res['outer_line']}"
    assert lines[5] == f"created by {main.__qualname__} in goroutine 1"
    assert lines[6] == f"\t{__file__}:{res['go_line']}"
    assert len(lines) == 7  # nothing of the scheduler or of the OS thread below it


@pytest.mark.timeout(30)
def test_stack_of_main_has_no_created_by() -> None:
    async def main() -> tuple[str, int]:
        line = _lineno() + 1
        return rt.stack(), line

    text, line = gort.run(main, gomaxprocs=1)
    lines = text.rstrip("\n").splitlines()
    assert lines[0] == "goroutine 1 [running]:"
    assert lines[1].endswith(f"{main.__qualname__}(...)")
    assert lines[2] == f"\t{__file__}:{line}"
    assert len(lines) == 3
    assert "created by" not in text


@pytest.mark.timeout(30)
def test_stack_all_lists_every_goroutine_current_first() -> None:
    res: dict[str, Any] = {}

    async def waiter(ch: gort.Chan[int], ready: gort.Chan[None]) -> None:
        await ready.send(None)
        res["wait_line"] = _lineno() + 1
        await ch.recv()

    async def main() -> str:
        ch: gort.Chan[int] = gort.Chan()
        ready: gort.Chan[None] = gort.Chan()
        res["go_line"] = _lineno() + 1
        gort.go(waiter, ch, ready)
        await ready.recv()
        gort.go(_noop)
        text = rt.stack(all=True)
        ch.close()
        return text

    text = gort.run(main, gomaxprocs=1)
    blocks = text.rstrip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "goroutine 1 [running]:",
        "goroutine 2 [chan receive]:",
        "goroutine 3 [runnable]:",
    ]
    w = blocks[1].splitlines()
    assert w[1].endswith(f"{waiter.__qualname__}(...)")
    assert w[2] == f"\t{__file__}:{res['wait_line']}"
    assert w[-2] == f"created by {main.__qualname__} in goroutine 1"
    assert w[-1] == f"\t{__file__}:{res['go_line']}"
    assert "[originating from goroutine" not in text  # only with tracebackancestors


@pytest.mark.timeout(30)
def test_stack_outside_a_goroutine_raises() -> None:
    with pytest.raises(RuntimeError):
        rt.stack()
    with pytest.raises(RuntimeError):
        rt.sched_snapshot()


@pytest.mark.timeout(30)
def test_stack_all_shows_sleeping_and_syscall_goroutines() -> None:
    release = threading.Event()
    res: dict[str, Any] = {}

    async def in_syscall(ready: gort.Chan[None]) -> None:
        await ready.send(None)
        await gort.blocking(release.wait, 20)

    async def sleeper(ready: gort.Chan[None]) -> None:
        await ready.send(None)
        await gort.sleep(20)

    async def main() -> None:
        ready: gort.Chan[None] = gort.Chan()
        gort.go(in_syscall, ready)
        await ready.recv()
        gort.go(sleeper, ready)
        await ready.recv()
        # wait until both are parked in their calls
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            snap = rt.sched_snapshot()
            st = {g.goid: (g.status, g.wait_reason) for g in snap.goroutines}
            if st.get(2, ("",))[0] == "_Gsyscall" and st.get(3) == ("_Gwaiting", "sleep"):
                break
            await gort.gosched()
        res["snap"] = {g.goid: (g.status, g.wait_reason) for g in rt.sched_snapshot().goroutines}
        res["text"] = rt.stack(all=True)
        release.set()

    gort.run(main, gomaxprocs=1)
    assert res["snap"][2][0] == "_Gsyscall"
    assert res["snap"][3] == ("_Gwaiting", "sleep")
    headers = [b.splitlines()[0] for b in res["text"].rstrip("\n").split("\n\n")]
    assert headers == ["goroutine 1 [running]:", "goroutine 2 [syscall]:", "goroutine 3 [sleep]:"]


@pytest.mark.timeout(30)
def test_gomaxprocs_env_that_is_not_a_positive_int_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = 1 if gil_enabled() else rt_num_cpu()
    for bad in ("", "0", "-2", "four"):
        monkeypatch.setenv("GOMAXPROCS", bad)
        assert gort.run(_snap_gomaxprocs) == expected, bad


@pytest.mark.timeout(30)
def test_plain_callable_main_creates_goroutines() -> None:
    snaps: list[rt.SchedSnapshot] = []

    def main() -> None:
        gort.go(_noop)
        gort.go(_noop)
        snaps.append(rt.sched_snapshot())

    gort.run(main, gomaxprocs=1)
    gs = {g.goid: g for g in snaps[0].goroutines}
    assert sorted(gs) == [1, 2, 3]
    assert gs[2].parent_goid == 1 and gs[3].parent_goid == 1
    assert gs[2].created_by == main.__qualname__
    assert snaps[0].procs[0].runnext == 3 and snaps[0].procs[0].runq == (2,)
