"""``gort.trace``: the execution tracer and its Chrome trace-event JSON.

The traces are checked against the rules the viewers rely on: every event has the
fields its phase needs, slices on one lane never overlap partially, each flow arrow
starts inside a slice and is finished once, and lanes are named by metadata.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import gort
import gort.trace
from gort._runtime import proc
from gort._runtime import trace as rtrace

# --------------------------------------------------------------------------- helpers


def check_chrome_trace(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Assert that ``doc`` is well-formed Chrome trace-event JSON; return its events."""
    assert isinstance(doc, dict) and isinstance(doc.get("traceEvents"), list)
    events: list[dict[str, Any]] = doc["traceEvents"]
    need = {
        "X": {"name", "ts", "dur", "pid", "tid"},
        "i": {"name", "ts", "pid", "s"},
        "s": {"name", "ts", "pid", "tid", "id", "cat"},
        "f": {"name", "ts", "pid", "tid", "id", "cat"},
        "C": {"name", "ts", "pid", "args"},
        "M": {"name", "pid", "args"},
    }
    for e in events:
        assert e["ph"] in need, e
        assert need[e["ph"]] <= e.keys(), e
        if "ts" in e:
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] == "X":
            assert e["dur"] >= 0, e
    # slices on one lane nest or follow each other, never overlap partially
    lanes: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            lanes[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    eps = 0.0015  # the µs values are rounded to 3 decimals
    for spans in lanes.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        stack: list[float] = []
        for start, end in spans:
            while stack and stack[-1] <= start + eps:
                stack.pop()
            if stack:
                assert end <= stack[-1] + eps, ("partial overlap", start, end, stack[-1])
            stack.append(end)
    # flows: one start and one finish per id; each start lies inside a slice of its lane
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = Counter(e["id"] for e in events if e["ph"] == "f")
    assert len(starts) == sum(1 for e in events if e["ph"] == "s"), "duplicate flow ids"
    assert all(n == 1 for n in finishes.values())
    assert set(finishes) <= set(starts)
    for e in starts.values():
        spans = lanes[(e["pid"], e["tid"])]
        assert any(s - eps <= e["ts"] <= t + eps for s, t in spans), ("unanchored flow", e)
    for e in events:
        if e["ph"] == "f":
            spans = lanes[(e["pid"], e["tid"])]
            assert any(abs(s - e["ts"]) <= eps for s, _ in spans), ("flow end off a slice", e)
    return events


def lane_names(events: list[dict[str, Any]]) -> dict[int, str]:
    return {
        e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"
    }


def traced(tmp_path: Path, main: Any, *args: Any, gomaxprocs: int = 1) -> list[dict[str, Any]]:
    out = tmp_path / "trace.json"
    gort.trace.start(out)
    try:
        gort.run(main, *args, gomaxprocs=gomaxprocs)
    finally:
        gort.trace.stop()
    assert proc.tracer is None
    return check_chrome_trace(json.loads(out.read_text()))


async def _pingpong_main(n: int) -> None:
    async def child(i: int, ch: gort.Chan[int], back: gort.Chan[int]) -> None:
        v, ok = await ch.recv_ok()
        assert ok and v is not None
        await back.send(v + i)

    chans = []
    back: gort.Chan[int] = gort.Chan()
    for i in range(n):
        ch: gort.Chan[int] = gort.Chan()
        chans.append(ch)
        gort.go(child, i, ch, back)
    for ch in chans:
        await ch.send(100)
    total = 0
    for _ in chans:
        v = await back.recv()
        assert v is not None
        total += v
    assert total == 100 * n + n * (n - 1) // 2


# --------------------------------------------------------------------------- the trace


@pytest.mark.timeout(60)
def test_traced_run_has_slices_flows_lanes_and_counters(tmp_path: Path) -> None:
    events = traced(tmp_path, _pingpong_main, 6)
    names = lane_names(events)
    assert names[0] == "STATS"
    assert names[1] == "Proc 0"
    assert any(e["ph"] == "M" and e["name"] == "process_name" for e in events)
    slices = [e for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"]
    by_goid = defaultdict(list)
    for e in slices:
        by_goid[e["args"]["goid"]].append(e)
        assert e["name"] == f"G{e['args']['goid']} {e['args']['func']}"
        assert names[e["tid"]].startswith("Proc ")
    assert set(by_goid) == set(range(1, 8))  # main and six children
    assert by_goid[1][0]["name"] == "G1 _pingpong_main"
    assert all(e["name"].endswith("_pingpong_main.<locals>.child") for e in by_goid[2])
    # every child: started, blocked on its channel, then ran to the end (or was left
    # readied but not run again when main returned)
    ends = {
        g: [e["args"]["end"] for e in sorted(es, key=lambda e: e["ts"])]
        for g, es in by_goid.items()
    }
    for g in range(2, 8):
        assert ends[g][0].startswith("block: chan "), ends[g]
        assert ends[g][-1] in ("end", "block: chan send", "trace stopped"), ends[g]
    # flow arrows: one "go" per child, and "unblock"s for the channel hand-offs
    flows = Counter(e["name"] for e in events if e["ph"] == "s")
    assert flows["go"] == 6
    assert flows["unblock"] >= 6
    # block reasons as instant events; the goroutine counter
    reasons = {e["name"] for e in events if e["ph"] == "i" and e.get("cat") == "block"}
    assert reasons and reasons <= {"chan receive", "chan send"}, reasons
    counters = [e for e in events if e["ph"] == "C"]
    assert counters and all(e["name"] == "Goroutines" for e in counters)
    assert all(set(e["args"]) == {"Running", "Runnable"} for e in counters)
    assert max(e["args"]["Runnable"] for e in counters) >= 6
    assert max(e["args"]["Running"] for e in counters) == 1  # one P


@pytest.mark.timeout(60)
def test_per_p_lanes_and_blocking_calls(tmp_path: Path) -> None:
    async def main() -> None:
        done: gort.Chan[None] = gort.Chan(8)

        async def sleeper() -> None:
            await gort.blocking(time.sleep, 0.02)
            await done.send(None)

        for _ in range(8):
            gort.go(sleeper)
        for _ in range(8):
            await done.recv()

    events = traced(tmp_path, main, gomaxprocs=2)
    names = lane_names(events)
    procs = {n for n in names.values() if n.startswith("Proc ")}
    assert procs == {"Proc 0", "Proc 1"}, names
    used = {e["tid"] for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"}
    assert {names[t] for t in used} <= {"Proc 0", "Proc 1"}
    instants = Counter(e["name"] for e in events if e["ph"] == "i")
    assert instants["syscall"] == 8, instants
    # the sleepers send into a buffered channel with room, so all of them end
    ends = Counter(
        e["args"]["end"] for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"
    )
    assert ends["end"] == 8, ends
    assert instants["ProcStart"] >= 2


@pytest.mark.timeout(60)
def test_start_inside_main_and_stop_inside_main(tmp_path: Path) -> None:
    out = tmp_path / "inner.json"

    async def child(ch: gort.Chan[int]) -> None:
        await ch.send(7)

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(child, ch)  # created before tracing starts
        gort.trace.start(out)
        assert await ch.recv() == 7
        gort.go(child, ch)
        assert await ch.recv() == 7
        gort.trace.stop()

    for procs in (1, 2):
        gort.run(main, gomaxprocs=procs)
    events = check_chrome_trace(json.loads(out.read_text()))
    slices = [e for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"]
    # G2 may have run (and blocked) before the trace began on another P, and then not
    # run again before main returned; G3's id depends on the P that made it
    goids = {e["args"]["goid"] for e in slices}
    assert 1 in goids and 2 <= len(goids) <= 3
    # main was running when tracing began: its first slice starts at the snapshot
    assert slices and min(e["ts"] for e in slices if e["args"]["goid"] == 1) < 1_000_000
    assert Counter(e["name"] for e in events if e["ph"] == "s")["go"] == 1  # only G3's


@pytest.mark.timeout(60)
def test_trace_across_two_runs(tmp_path: Path) -> None:
    out = tmp_path / "two.json"
    gort.trace.start(out)
    try:
        gort.run(_pingpong_main, 2)
        gort.run(_pingpong_main, 3)
    finally:
        gort.trace.stop()
    events = check_chrome_trace(json.loads(out.read_text()))
    starts = [e for e in events if e["ph"] == "i" and e["name"] == "runtime start"]
    assert len(starts) == 2
    assert sum(1 for e in events if e["ph"] == "X" and e["name"].startswith("G1 ")) >= 2


@pytest.mark.timeout(60)
def test_start_stop_errors(tmp_path: Path) -> None:
    gort.trace.stop()  # not tracing: nothing happens, as Go's trace.Stop
    with pytest.raises(FileNotFoundError):
        gort.trace.start(tmp_path / "missing" / "t.json")
    assert proc.tracer is None
    with pytest.raises(TypeError):
        gort.trace.start(42)  # type: ignore[arg-type]
    gort.trace.start(tmp_path / "a.json")
    try:
        with pytest.raises(RuntimeError, match="already"):
            gort.trace.start(tmp_path / "b.json")
    finally:
        gort.trace.stop()
    assert not (tmp_path / "b.json").exists()
    assert json.loads((tmp_path / "a.json").read_text())["traceEvents"]
    assert proc.tracer is None


@pytest.mark.timeout(60)
def test_start_accepts_an_open_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    with path.open("w") as f:
        gort.trace.start(f)
        gort.run(_pingpong_main, 1)
        gort.trace.stop()
        assert not f.closed  # the caller's file stays open
    check_chrome_trace(json.loads(path.read_text()))


# --------------------------------------------------------------------------- cost when off


class _CountingTracer(rtrace.Tracer):
    calls = 0

    def __getattribute__(self, name: str) -> Any:
        if name in rtrace.Tracer.__dict__ and not name.startswith("_"):
            _CountingTracer.calls += 1
        return super().__getattribute__(name)


@pytest.mark.timeout(60)
def test_tracing_off_costs_no_hook_calls(tmp_path: Path) -> None:
    assert proc.tracer is None  # off unless started
    t = _CountingTracer()
    proc.tracer = t
    try:
        gort.run(_pingpong_main, 4)
    finally:
        proc.tracer = None
    on = _CountingTracer.calls
    assert on > 20  # every hook goes through the object while it is installed
    gort.run(_pingpong_main, 4)
    assert _CountingTracer.calls == on  # none once it is gone
    # and gort.trace.stop() leaves nothing installed
    gort.trace.start(tmp_path / "x.json")
    gort.trace.stop()
    assert proc.tracer is None


# --------------------------------------------------------------------------- the converter


def _convert(*bufs: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    text = rtrace.renders([(f"M{i}", b) for i, b in enumerate(bufs)], 0, 10_000_000)
    return check_chrome_trace(json.loads(text))


def test_converter_steal_closes_the_slice_and_the_late_block_is_ignored() -> None:
    main_fn = _pingpong_main
    m1 = [
        (rtrace.EV_GO_CREATE, 1000, 5, 1, main_fn),
        (rtrace.EV_GO_START, 2000, 5, 0, 1, main_fn),
        (rtrace.EV_GO_BLOCK, 9000, 5, 0, "chan receive"),  # after the steal: stale P
    ]
    sysmon = [(rtrace.EV_PROC_STEAL, 5000, 0, 1)]
    m2 = [(rtrace.EV_GO_START, 6000, 9, 0, 2, main_fn), (rtrace.EV_GO_END, 7000, 9)]
    events = _convert(m1, sysmon, m2)
    xs = sorted(
        (e for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"), key=lambda e: e["ts"]
    )
    assert [(e["args"]["goid"], e["ts"], e["dur"], e["args"]["end"]) for e in xs] == [
        (5, 2.0, 3.0, "P retaken by sysmon"),
        (9, 6.0, 1.0, "end"),
    ]
    steal = [e for e in events if e["ph"] == "i" and e["name"] == "ProcSteal"]
    assert steal[0]["args"] == {"from M": 1, "goid": 5}
    # G5's block came from a P it no longer held: no block instant on Proc 0's lane
    assert not [e for e in events if e["ph"] == "i" and e.get("cat") == "block"]


def test_converter_syscall_reopens_on_the_new_p_and_wakers_outside_slices_get_anchors() -> None:
    fn = _pingpong_main
    m0 = [
        (rtrace.EV_GO_START, 1000, 3, 0, 0, fn),
        (rtrace.EV_SYSCALL_BEGIN, 2000, 3),
        (rtrace.EV_SYSCALL_END, 4000, 3, True, 1),
        (rtrace.EV_GO_BLOCK, 5000, 3, 1, "sleep"),
    ]
    timer_thread = [(rtrace.EV_GO_UNBLOCK, 6000, 3)]
    m1 = [(rtrace.EV_GO_START, 7000, 3, 1, 1, fn), (rtrace.EV_GO_END, 8000, 3)]
    events = _convert(m0, timer_thread, m1)
    xs = sorted(
        (e for e in events if e["ph"] == "X" and e.get("cat") == "goroutine"), key=lambda e: e["ts"]
    )
    assert [(e["tid"], e["ts"], e["args"]["end"]) for e in xs] == [
        (1, 1.0, "syscall"),
        (2, 4.0, "block: sleep"),
        (2, 7.0, "end"),
    ]
    anchor = [e for e in events if e["ph"] == "X" and e.get("cat") == "wakeup"]
    assert len(anchor) == 1 and anchor[0]["tid"] >= 10_000
    names = lane_names(events)
    assert names[anchor[0]["tid"]].startswith("M1")
    assert [e["name"] for e in events if e["ph"] == "f"] == ["unblock"]


def test_funcname() -> None:
    import functools

    async def coro_fn() -> None:
        pass

    c = coro_fn()
    try:
        assert rtrace.funcname(c).endswith("test_funcname.<locals>.coro_fn")
    finally:
        c.close()
    assert rtrace.funcname(functools.partial(print, 1)) == "print"
    assert rtrace.funcname(None) == "?"
