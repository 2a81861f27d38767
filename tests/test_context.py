"""gort.context (spec/api.md section 4; issue 5, point 5).

Most tests are ports of Go's ``context/x_test.go`` and ``context/context_test.go`` (and
``afterfunc_test.go``); each names the Go test it is based on. Waiting for a context is
done through its ``done()`` channel, with a generous bound, never by sleeping and hoping.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import gort
import gort.time as gt
from gort import context as cx
from gort.context import Canceled, Context, DeadlineExceeded

pytestmark = pytest.mark.timeout(60)

PROCS = [1, 4]
LONG = 10.0  # a deadline that never comes during a test
BOUND = 5.0  # how long a test waits for something that must happen


@pytest.fixture(params=PROCS, ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def run(main: Callable[..., Any], procs: int = 1) -> Any:
    return gort.run(main, gomaxprocs=procs)


def is_done(ctx: Context) -> bool:
    """``select { case <-ctx.Done(): true; default: false }``."""
    _, _, selected = ctx.done().try_recv()
    return bool(selected)


async def wait_done(ctx: Context, what: str = "the context") -> float:
    """Wait for ``ctx.done()`` (at most BOUND seconds); returns how long it took."""
    t0 = time.monotonic()
    i, _ = await gort.select(ctx.done().recv, gt.after(BOUND).recv)
    assert i == 0, f"{what} was not cancelled within {BOUND} s"
    return time.monotonic() - t0


def children(ctx: Context) -> int:
    """How many children a cancel context has registered (Go's tests read the map too)."""
    c = ctx._children  # type: ignore[attr-defined]
    return 0 if c is None else len(c)


# ------------------------------------------------------------------ background / todo


def test_background_and_todo() -> None:
    # Go: TestBackground, TestTODO
    for ctx, name in ((cx.background(), "context.Background"), (cx.todo(), "context.TODO")):
        assert ctx.done() is gort.nilchan
        assert ctx.err() is None
        assert ctx.deadline() is None
        assert ctx.value("anything") is None
        assert str(ctx) == name
        assert cx.cause(ctx) is None
    assert cx.background() is cx.background()
    assert cx.background() is not cx.todo()


def test_errors_are_module_level_instances() -> None:
    # Go: TestDeadlineExceededSupportsTimeout, and the contract's messages
    assert str(Canceled) == "context canceled"
    assert str(DeadlineExceeded) == "context deadline exceeded"
    assert isinstance(DeadlineExceeded, TimeoutError)
    assert not isinstance(Canceled, TimeoutError)
    assert isinstance(Canceled, Exception) and isinstance(DeadlineExceeded, Exception)
    assert isinstance(Canceled, cx.CanceledError)
    assert isinstance(DeadlineExceeded, cx.DeadlineExceededError)


# -------------------------------------------------------------------------- with_cancel


def test_with_cancel(procs: int) -> None:
    # Go: TestWithCancel - cancelling the root cancels its subtree; err() and done()
    async def main() -> None:
        c1, cancel = cx.with_cancel(cx.background())
        assert str(c1) == "context.Background.WithCancel"
        o: list[Context] = [c1]
        c2, _ = cx.with_cancel(c1)
        o.append(c2)
        o.append(cx.with_value(c2, "k", "v"))
        c4, _ = cx.with_timeout(o[2], LONG)
        o.append(c4)
        for i, c in enumerate(o):
            assert not is_done(c), f"o[{i}] is done before cancel"
            assert c.err() is None
        cancel()
        for i, c in enumerate(o):
            await wait_done(c, f"o[{i}]")
            assert c.err() is Canceled, f"o[{i}].err() = {c.err()!r}"
        cancel()  # a second cancel is a no-op
        assert c1.err() is Canceled

    run(main, procs)


def test_err_is_returned_not_raised() -> None:
    c, cancel = cx.with_cancel(cx.background())
    cancel()
    assert c.err() is Canceled  # plain return; no exception


def test_done_is_one_channel_and_closed() -> None:
    async def main() -> None:
        c, cancel = cx.with_cancel(cx.background())
        d = c.done()
        assert c.done() is d
        assert isinstance(d, gort.Chan)
        cancel()
        v, ok = await d.recv_ok()
        assert (v, ok) == (None, False)
        # a context cancelled before anyone asked for done() gets a closed channel too
        c2, cancel2 = cx.with_cancel(cx.background())
        cancel2()
        assert is_done(c2)

    run(main)


def test_with_cancel_works_without_a_runtime() -> None:
    # plain Python: nothing in with_cancel/with_value needs a scheduler
    c, cancel = cx.with_cancel(cx.background())
    v = cx.with_value(c, 1, 2)
    cancel()
    assert v.err() is Canceled and is_done(v) and v.value(1) == 2


def test_parent_finishes_child(procs: int) -> None:
    # Go: TestParentFinishesChild - the parent's children map, then cancellation of all
    async def main() -> None:
        parent, cancel = cx.with_cancel(cx.background())
        cancel_child, stop_cancel = cx.with_cancel(parent)
        value_child = cx.with_value(parent, "key", "value")
        timer_child, stop_timer = cx.with_timeout(value_child, LONG)
        after_stop = cx.after_func(parent, lambda: None)
        assert children(parent) == 3  # value contexts register nothing; after_func does
        cancel()
        assert children(parent) == 0
        for c in (parent, cancel_child, value_child, timer_child):
            await wait_done(c)
            assert c.err() is Canceled
        assert after_stop() is False  # it ran
        # cancelling the children afterwards is harmless
        stop_cancel()
        stop_timer()

    run(main, procs)


def test_child_finishes_first(procs: int) -> None:
    # Go: TestChildFinishesFirst - a child's cancel unregisters it; the parent goes on
    async def main() -> None:
        cancelable, stop = cx.with_cancel(cx.background())
        for parent in (cx.background(), cancelable):
            child, cancel = cx.with_cancel(parent)
            if parent is cancelable:
                assert children(parent) == 1
            cancel()
            if parent is cancelable:
                assert children(parent) == 0
            await wait_done(child)
            assert child.err() is Canceled
            assert not is_done(parent) and parent.err() is None
        stop()

    run(main, procs)


def test_with_cancel_canceled_parent() -> None:
    # Go: TestWithCancelCanceledParent - a child of a cancelled parent is born cancelled,
    # with the parent's error and cause
    async def main() -> None:
        parent, pcancel = cx.with_cancel_cause(cx.background())
        why = ValueError("why")
        pcancel(why)
        c, _ = cx.with_cancel(parent)
        assert is_done(c)
        assert c.err() is Canceled
        assert cx.cause(c) is why
        t, _ = cx.with_timeout(parent, LONG)
        assert t.err() is Canceled

    run(main)


def test_cancel_removes(procs: int) -> None:
    # Go: TestCancelRemoves
    async def main() -> None:
        root, stop = cx.with_cancel(cx.background())
        _, cancel = cx.with_cancel(root)
        assert children(root) == 1
        cancel()
        assert children(root) == 0
        _, cancel = cx.with_timeout(root, LONG)
        assert children(root) == 1
        cancel()
        assert children(root) == 0
        stop()

    run(main, procs)


def test_interlocked_cancels() -> None:
    # Go: TestInterlockedCancels - a goroutine cancels a child when the parent is done
    async def main() -> None:
        parent, cancel_parent = cx.with_cancel(cx.background())
        child, cancel_child = cx.with_timeout(parent, LONG)

        async def watcher() -> None:
            await parent.done().recv()
            cancel_child()

        gort.go(watcher)
        cancel_parent()
        await wait_done(child)

    run(main, 4)


def test_simultaneous_cancels(procs: int) -> None:
    # Go: TestSimultaneousCancels - a tree of contexts, every cancel function called at
    # once from its own goroutine (on several Ms); everything ends up cancelled
    async def main() -> None:
        root, cancel_root = cx.with_cancel(cx.background())
        nodes: list[tuple[Context, Callable[[], None]]] = [(root, cancel_root)]
        rng = random.Random(3)
        for _ in range(300):
            parent, _ = nodes[rng.randrange(len(nodes))]
            if rng.random() < 0.3:
                parent = cx.with_value(parent, rng.random(), 1)
            if rng.random() < 0.3:
                child, cancel = cx.with_timeout(parent, LONG)
            else:
                child, cancel = cx.with_cancel(parent)
            nodes.append((child, cancel))
        start: gort.Chan[None] = gort.Chan()
        done: gort.Chan[int] = gort.Chan(len(nodes))

        async def canceller(i: int, cancel: Callable[[], None]) -> None:
            await start.recv()
            cancel()
            await done.send(i)

        for i, (_, cancel) in enumerate(nodes):
            gort.go(canceller, i, cancel)
        start.close()
        for _ in nodes:
            await done.recv()
        for ctx, _ in nodes:
            await wait_done(ctx)
            assert ctx.err() is Canceled
            assert children(ctx) == 0

    run(main, procs)


def join_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join()


def test_cancel_from_foreign_threads_and_goroutines_at_once() -> None:
    # cancel functions are thread-safe: goroutines on 4 Ps and plain threads race
    async def main() -> None:
        for _ in range(20):
            root, cancel_root = cx.with_cancel(cx.background())
            kids = [cx.with_cancel(root) for _ in range(50)]
            waiter_done: gort.Chan[int] = gort.Chan(len(kids))

            async def waiter(c: Context, i: int, out: gort.Chan[int]) -> None:
                await c.done().recv()
                await out.send(i)

            for i, (c, _) in enumerate(kids):
                gort.go(waiter, c, i, waiter_done)
            threads = [threading.Thread(target=k[1]) for k in kids[::2]]
            for t in threads:
                t.start()
            for _, cancel in kids[1::2]:
                gort.go(cancel)
            cancel_root()
            for _ in kids:
                await waiter_done.recv()
            await gort.blocking(join_all, threads)
            assert children(root) == 0

    run(main, 4)


def test_layers_cancel(procs: int) -> None:
    # Go: TestLayersCancel / testLayers(cancel) - random layers of value, cancel and
    # timeout contexts; values stay visible; cancelling one layer cancels what is below
    _test_layers(procs, timeout=False)


def test_layers_timeout(procs: int) -> None:
    # Go: TestLayersTimeout / testLayers(timeout)
    _test_layers(procs, timeout=True)


def _test_layers(procs: int, timeout: bool) -> None:
    async def main() -> None:
        rng = random.Random(11)
        ctx: Context = cx.background()
        vals: list[tuple[int, str]] = []
        cancels: list[Callable[[], None]] = []
        n_timeouts = 0
        for i in range(30):
            r = rng.randrange(3)
            if r == 0:
                ctx = cx.with_value(ctx, ("key", i), f"v{i}")
                vals.append((i, f"v{i}"))
            elif r == 1:
                ctx, cancel = cx.with_cancel(ctx)
                cancels.append(cancel)
            else:
                d = 0.05 if timeout else LONG
                ctx, cancel = cx.with_timeout(ctx, d)
                cancels.append(cancel)
                n_timeouts += 1
        for i, v in vals:
            assert ctx.value(("key", i)) == v
        assert ctx.value(("key", -1)) is None
        if timeout and n_timeouts:
            await wait_done(ctx)
            assert ctx.err() is DeadlineExceeded
        elif cancels:
            assert not is_done(ctx)
            rng.choice(cancels)()
            await wait_done(ctx)
            assert ctx.err() is Canceled
        for cancel in cancels:
            cancel()

    run(main, procs)


# ------------------------------------------------------------------- deadlines / timeouts


def test_deadline(procs: int) -> None:
    # Go: TestDeadline - a deadline cancels with DeadlineExceeded, not before it
    async def main() -> None:
        d = time.monotonic() + 0.05
        c, cancel = cx.with_deadline(cx.background(), d)
        assert c.deadline() == d
        assert "WithDeadline(" in str(c)
        assert not is_done(c)
        await wait_done(c)
        assert time.monotonic() >= d
        assert c.err() is DeadlineExceeded
        assert cx.cause(c) is DeadlineExceeded
        cancel()
        assert c.err() is DeadlineExceeded  # a later cancel changes nothing
        # a later deadline under an earlier one: the parent's comes first
        p, _ = cx.with_deadline(cx.background(), time.monotonic() + 0.05)
        o = cx.with_value(p, "k", "v")
        c2, _ = cx.with_deadline(o, time.monotonic() + LONG)
        assert c2.deadline() == p.deadline()
        await wait_done(c2)
        assert c2.err() is DeadlineExceeded
        # an earlier deadline under a later one: its own
        p3, stop = cx.with_deadline(cx.background(), time.monotonic() + LONG)
        c3, _ = cx.with_deadline(p3, time.monotonic() + 0.02)
        await wait_done(c3)
        assert c3.err() is DeadlineExceeded and p3.err() is None
        stop()

    run(main, procs)


def test_deadline_in_the_past() -> None:
    # Go: a deadline that has passed cancels at once (no timer)
    async def main() -> None:
        c, cancel = cx.with_deadline(cx.background(), time.monotonic() - 1)
        assert is_done(c) and c.err() is DeadlineExceeded
        cancel()
        c2, _ = cx.with_timeout(cx.background(), 0)
        assert c2.err() is DeadlineExceeded
        c3, _ = cx.with_timeout(cx.background(), -5)
        assert c3.err() is DeadlineExceeded

    run(main)


def test_timeout(procs: int) -> None:
    # Go: TestTimeout
    async def main() -> None:
        t0 = time.monotonic()
        c, _ = cx.with_timeout(cx.background(), 0.05)
        assert c.deadline() is not None and c.deadline() >= t0 + 0.05  # type: ignore[operator]
        took = await wait_done(c)
        assert time.monotonic() - t0 >= 0.05
        assert took < BOUND
        assert c.err() is DeadlineExceeded

    run(main, procs)


def test_canceled_timeout() -> None:
    # Go: TestCanceledTimeout - cancelling a timeout context before its deadline
    async def main() -> None:
        c, cancel = cx.with_timeout(cx.background(), 1.0)
        o = cx.with_value(c, "k", "v")
        cancel()
        took = await wait_done(o)
        assert took < 0.5
        assert o.err() is Canceled

    run(main)


def test_cancel_stops_the_deadline_timer() -> None:
    async def main() -> None:
        c, cancel = cx.with_timeout(cx.background(), LONG)
        rt = c._timer  # type: ignore[attr-defined]
        assert rt is not None
        cancel()
        from gort._runtime import timers

        assert rt.state == timers.T_IDLE
        assert c._timer is None  # type: ignore[attr-defined]

    run(main)


def test_deadlines_use_runtime_timers_not_goroutines_or_threads() -> None:
    async def main() -> None:
        threads = {t.name for t in threading.enumerate()}
        g0 = gort.numgoroutine()
        ctxs = [cx.with_timeout(cx.background(), LONG + i) for i in range(1000)]
        assert gort.numgoroutine() == g0
        new = {t.name for t in threading.enumerate()} - threads
        assert all(n.startswith("gort-") for n in new), new
        for _, cancel in ctxs:
            cancel()

    run(main, 2)


def test_deadline_fires_after_its_creator_is_gone(procs: int) -> None:
    async def main() -> None:
        box: gort.Chan[Context] = gort.Chan(1)

        async def creator() -> None:
            c, _ = cx.with_timeout(cx.background(), 0.02)
            await box.send(c)

        gort.go(creator)
        c = await box.recv()
        assert c is not None
        await wait_done(c)
        assert c.err() is DeadlineExceeded

    run(main, procs)


def test_with_timeout_needs_a_runtime() -> None:
    with pytest.raises(RuntimeError):
        cx.with_timeout(cx.background(), LONG)


@pytest.mark.parametrize("bad", ["1", None, b"", True])
def test_bad_durations(bad: Any) -> None:
    with pytest.raises(TypeError):
        cx.with_timeout(cx.background(), bad)
    with pytest.raises(TypeError):
        cx.with_deadline(cx.background(), bad)


# ---------------------------------------------------------------------------- values


def test_values() -> None:
    # Go: TestValues
    k1, k2, k3 = ("k", 1), ("k", 2), ("k", 3)
    c0 = cx.background()
    c1 = cx.with_value(c0, k1, "c1k1")
    assert str(c1) == "context.Background.WithValue(('k', 1), 'c1k1')"
    c2 = cx.with_value(c1, k2, "c2k2")
    c3 = cx.with_value(c2, k3, "c3k3")
    c4 = cx.with_value(c3, k1, None)  # shadows with None
    o0 = cx.with_value(c0, k1, "o0k1")
    expect = {
        id(c0): (None, None, None),
        id(c1): ("c1k1", None, None),
        id(c2): ("c1k1", "c2k2", None),
        id(c3): ("c1k1", "c2k2", "c3k3"),
        id(c4): (None, "c2k2", "c3k3"),
        id(o0): ("o0k1", None, None),
    }
    for c in (c0, c1, c2, c3, c4, o0):
        assert (c.value(k1), c.value(k2), c.value(k3)) == expect[id(c)]
    # values show through cancel and timer contexts, and back again
    cc, cancel = cx.with_cancel(c3)
    assert cc.value(k2) == "c2k2"
    cancel()
    assert cc.value(k3) == "c3k3"


def test_with_value_checks_key() -> None:
    # Go: TestWithValueChecksKey (a nil key panics; here a TypeError)
    with pytest.raises(TypeError, match=r"^nil key$"):
        cx.with_value(cx.background(), None, "v")


def test_invalid_derived_fail() -> None:
    # Go: TestInvalidDerivedFail - deriving from a nil parent
    bad: Any = None
    for make in (
        lambda: cx.with_cancel(bad),
        lambda: cx.with_cancel_cause(bad),
        lambda: cx.with_deadline(bad, time.monotonic() + 1),
        lambda: cx.with_timeout(bad, 1),
        lambda: cx.with_value(bad, "k", "v"),
        lambda: cx.without_cancel(bad),
        lambda: cx.after_func(bad, lambda: None),
    ):
        with pytest.raises(TypeError, match="nil parent"):
            make()


def test_deep_chain_needs_no_recursion() -> None:
    # 20,000 layers: cancel, value lookup, deadline and done all walk iteratively
    async def main() -> None:
        root, cancel = cx.with_cancel(cx.background())
        ctx: Context = cx.with_value(root, "top", 1)
        for i in range(20_000):
            if i % 2:
                ctx = cx.with_value(ctx, i, i)
            else:
                ctx, _ = cx.with_cancel(ctx)
        assert ctx.value("top") == 1
        assert ctx.deadline() is None
        cancel()
        assert is_done(ctx) and ctx.err() is Canceled
        assert cx.cause(ctx) is Canceled

    run(main)


# ----------------------------------------------------------------------------- cause


def test_cause() -> None:
    # Go: TestCause - the table, case by case
    async def main() -> None:
        parent_cause = ValueError("parentCause")
        child_cause = ValueError("childCause")
        tooslow = ValueError("tooSlow")
        finished_early = ValueError("finishedEarly")
        bg = cx.background()

        # not cancelled: no cause
        c, _ = cx.with_cancel(bg)
        assert c.err() is None and cx.cause(c) is None
        # with_cancel, cancelled: the error
        c, cancel = cx.with_cancel(bg)
        cancel()
        assert c.err() is Canceled and cx.cause(c) is Canceled
        # with_cancel_cause(None): Canceled
        c, cancel_cause = cx.with_cancel_cause(bg)
        cancel_cause(None)
        assert c.err() is Canceled and cx.cause(c) is Canceled
        # with_cancel_cause(cause)
        c, cancel_cause = cx.with_cancel_cause(bg)
        cancel_cause(parent_cause)
        assert c.err() is Canceled and cx.cause(c) is parent_cause
        # a child of a cause-cancelled parent has the parent's cause
        p, pcancel = cx.with_cancel_cause(bg)
        c, _ = cx.with_cancel(p)
        pcancel(parent_cause)
        assert cx.cause(c) is parent_cause
        # the child's own cause, when the child is cancelled first
        p, pcancel = cx.with_cancel_cause(bg)
        c, ccancel = cx.with_cancel_cause(p)
        ccancel(child_cause)
        pcancel(parent_cause)
        assert cx.cause(c) is child_cause and cx.cause(p) is parent_cause
        # a value context passes the cause of what is above it
        p, pcancel = cx.with_cancel_cause(bg)
        v = cx.with_value(p, "k", "v")
        pcancel(parent_cause)
        assert cx.cause(v) is parent_cause
        # a passed deadline: DeadlineExceeded, or the deadline's own cause
        c, _ = cx.with_deadline(bg, time.monotonic() - 1)
        assert c.err() is DeadlineExceeded and cx.cause(c) is DeadlineExceeded
        c, _ = cx.with_deadline_cause(bg, time.monotonic() - 1, tooslow)
        assert c.err() is DeadlineExceeded and cx.cause(c) is tooslow
        c, _ = cx.with_timeout_cause(bg, 0.01, tooslow)
        await wait_done(c)
        assert c.err() is DeadlineExceeded and cx.cause(c) is tooslow
        # a deadline context cancelled first: Canceled; a parent's cause wins over it
        c, cancel = cx.with_timeout_cause(bg, LONG, tooslow)
        cancel()
        assert c.err() is Canceled and cx.cause(c) is Canceled
        p, pcancel = cx.with_cancel_cause(bg)
        c, cancel = cx.with_timeout_cause(p, LONG, tooslow)
        pcancel(finished_early)
        assert c.err() is Canceled and cx.cause(c) is finished_early
        # without_cancel: never cancelled, no cause
        p, pcancel = cx.with_cancel_cause(bg)
        w = cx.without_cancel(p)
        pcancel(parent_cause)
        assert w.err() is None and cx.cause(w) is None

    run(main)


def test_cause_race(procs: int) -> None:
    # Go: TestCauseRace - cause() read while another goroutine cancels
    async def main() -> None:
        for _ in range(50):
            why = ValueError("why")
            c, cancel = cx.with_cancel_cause(cx.background())
            ready: gort.Chan[None] = gort.Chan()
            finished: gort.Chan[None] = gort.Chan()

            async def reader(
                c: Context, why: BaseException, ready: gort.Chan[None], finished: gort.Chan[None]
            ) -> None:
                await ready.send(None)
                while c.err() is None:
                    got = cx.cause(c)
                    assert got is None or got is why
                    await gort.gosched()
                assert cx.cause(c) is why
                await finished.send(None)

            gort.go(reader, c, why, ready, finished)
            await ready.recv()
            cancel(why)
            await wait_done(c)
            assert cx.cause(c) is why
            await finished.recv()

    run(main, procs)


# ------------------------------------------------------------------- without_cancel


def test_without_cancel() -> None:
    # Go: TestWithoutCancel
    async def main() -> None:
        parent, cancel = cx.with_timeout(cx.background(), 0.01)
        v = cx.with_value(parent, "key", "value")
        w = cx.without_cancel(v)
        assert str(w).endswith(".WithoutCancel")
        cancel()
        assert w.done() is gort.nilchan
        assert w.err() is None and w.deadline() is None
        assert w.value("key") == "value"
        child, stop = cx.with_cancel(w)  # a child of it is not cancelled either
        assert not is_done(child)
        stop()
        assert child.err() is Canceled

    run(main)


# ------------------------------------------------------------------------ after_func


def test_after_func_called_after_cancel(procs: int) -> None:
    # Go: TestAfterFuncCalledAfterCancel
    async def main() -> None:
        ctx, cancel = cx.with_cancel(cx.background())
        donec: gort.Chan[int] = gort.Chan(1)
        stop = cx.after_func(ctx, lambda: donec.try_send(gort.runtime.goid()))
        i, _ = await gort.select(donec.recv, gt.after(0.02).recv)
        assert i == 1, "after_func ran before cancel"
        me = gort.runtime.goid()
        cancel()
        goid = await donec.recv()
        assert goid != me  # in its own goroutine
        assert stop() is False

    run(main, procs)


def test_after_func_called_after_timeout() -> None:
    # Go: TestAfterFuncCalledAfterTimeout
    async def main() -> None:
        ctx, _ = cx.with_timeout(cx.background(), 0.02)
        donec: gort.Chan[bool] = gort.Chan(1)

        async def f() -> None:
            await donec.send(True)

        cx.after_func(ctx, f)
        i, _ = await gort.select(donec.recv, gt.after(BOUND).recv)
        assert i == 0

    run(main)


def test_after_func_called_immediately_on_a_done_context() -> None:
    # Go: TestAfterFuncCalledImmediately
    async def main() -> None:
        ctx, cancel = cx.with_cancel(cx.background())
        cancel()
        donec: gort.Chan[bool] = gort.Chan(1)
        stop = cx.after_func(ctx, lambda: donec.try_send(True))
        assert await donec.recv() is True
        assert stop() is False

    run(main)


def test_after_func_not_called_after_stop(procs: int) -> None:
    # Go: TestAfterFuncNotCalledAfterStop
    async def main() -> None:
        ctx, cancel = cx.with_cancel(cx.background())
        ran: list[bool] = []
        stop = cx.after_func(ctx, lambda: ran.append(True))
        assert stop() is True
        assert stop() is False
        assert children(ctx) == 0
        cancel()
        await gort.sleep(0.02)
        await gort.gosched()
        assert ran == []

    run(main, procs)


def test_after_func_of_a_never_cancelled_context() -> None:
    # Go: TestAfterFuncCalledAsynchronously's premise on Background: never runs, stop True
    ran: list[bool] = []
    stop = cx.after_func(cx.background(), lambda: ran.append(True))
    assert stop() is True and ran == []


# ------------------------------------------------------------------- custom contexts


class MyDoneCtx(Context):
    """A custom context with a done channel of its own (Go: myDoneCtx)."""

    def __init__(self, parent: Context) -> None:
        self.parent = parent
        self.ch: gort.Chan[None] = gort.Chan()
        self._err: BaseException | None = None

    def deadline(self) -> float | None:
        return self.parent.deadline()

    def done(self) -> gort.Chan[Any]:
        return self.ch

    def err(self) -> BaseException | None:
        return self._err

    def value(self, key: Any) -> Any:
        return self.parent.value(key)

    def cancel(self) -> None:
        self._err = Canceled
        self.ch.close()


class MyCtx(Context):
    """A custom context that forwards everything to a parent (Go: myCtx)."""

    def __init__(self, parent: Context) -> None:
        self.parent = parent

    def deadline(self) -> float | None:
        return self.parent.deadline()

    def done(self) -> gort.Chan[Any]:
        return self.parent.done()

    def err(self) -> BaseException | None:
        return self.parent.err()

    def value(self, key: Any) -> Any:
        return self.parent.value(key)


def test_custom_context_goroutines() -> None:
    # Go: TestCustomContextGoroutines - a watcher goroutine only for a parent whose done
    # channel is its own; a custom wrapper of a cancel context needs none
    async def main() -> None:
        def started() -> int:
            return cx._watchers_started

        base = started()
        ctx, cancel = cx.with_cancel(cx.background())
        _, c2 = cx.with_cancel(MyCtx(ctx))  # forwards done(): no goroutine
        assert started() == base
        _, c3 = cx.with_timeout(MyCtx(ctx), LONG)
        assert started() == base
        cancel()
        c2()
        c3()

        mine = MyDoneCtx(cx.background())
        child, ccancel = cx.with_cancel(mine)
        assert started() == base + 1
        grandchild, _ = cx.with_cancel(child)  # child is ours: no goroutine
        assert started() == base + 1
        mine.cancel()
        await wait_done(grandchild)
        assert child.err() is Canceled and grandchild.err() is Canceled
        ccancel()

        # a watcher whose child is cancelled first goes away (it selects on both)
        g0 = gort.numgoroutine()
        mine2 = MyDoneCtx(cx.background())
        _, cancel2 = cx.with_cancel(mine2)
        assert gort.numgoroutine() == g0 + 1
        cancel2()
        for _ in range(1000):
            if gort.numgoroutine() == g0:
                break
            await gort.gosched()
        assert gort.numgoroutine() == g0

    run(main)


def test_custom_parent_already_done() -> None:
    async def main() -> None:
        mine = MyDoneCtx(cx.background())
        mine.cancel()
        c, _ = cx.with_cancel(mine)
        assert is_done(c) and c.err() is Canceled

    run(main)


# ------------------------------------------------------------------- done in select


def test_done_in_select_with_other_channels(procs: int) -> None:
    async def main() -> None:
        work: gort.Chan[int] = gort.Chan()
        ctx, cancel = cx.with_timeout(cx.background(), 0.05)
        results: gort.Chan[str] = gort.Chan(1)

        async def worker() -> None:
            n = 0
            while True:
                i, _ = await gort.select(ctx.done().recv, work.recv)
                if i == 0:
                    await results.send(f"stopped after {n}: {ctx.err()}")
                    return
                n += 1

        gort.go(worker)
        for k in range(3):
            await work.send(k)
        msg = await results.recv()
        assert msg == "stopped after 3: context deadline exceeded"
        cancel()

    run(main, procs)
