"""Whole programs in a subprocess (tests/programs/): output and exit status of a
deadlock, an uncaught panic, ``gort.exit``, abandonment at exit, and
``GORTDEBUG=tracebackancestors=N``.

Each program calls ``gort.run(main)`` itself. Once ``python -m gort run FILE`` exists
(contract section 7), the ``cli`` variants run the same programs through it and expect
what a Go binary prints and returns.
"""

from __future__ import annotations

import time

import pytest
from helpers import PROGRAMS, cli_available, run_program

needs_cli = pytest.mark.skipif(not cli_available(), reason="python -m gort run does not exist yet")


def _marker_line(program: str, marker: str) -> int:
    lines = (PROGRAMS / program).read_text().splitlines()
    hits = [i + 1 for i, text in enumerate(lines) if f"# {marker}" in text]
    assert len(hits) == 1, marker
    return hits[0]


# --------------------------------------------------------------------------- deadlock


@pytest.mark.timeout(60)
def test_deadlock_program_uncaught() -> None:
    r = run_program("deadlock.py")
    assert r.returncode == 1, r.stderr
    assert r.stdout == "main waiting\n"
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert last.endswith("Deadlock: all goroutines are asleep - deadlock!"), r.stderr


@pytest.mark.timeout(60)
def test_deadlock_program_go_style_report_from_the_exception() -> None:
    r = run_program("deadlock.py", "catch")
    assert r.returncode == 2, r.stderr
    err = r.stderr.splitlines()
    assert err[0] == "fatal error: all goroutines are asleep - deadlock!"
    assert err[1] == ""
    assert err[2] == "goroutine 1 [chan receive]:"
    assert "goroutine 2 [chan send]:" in err
    i = err.index("goroutine 2 [chan send]:")
    assert err[i + 1].endswith("stuck(...)")
    assert "created by main in goroutine 1" in err[i:]


@needs_cli
@pytest.mark.timeout(60)
def test_deadlock_program_cli() -> None:
    r = run_program("deadlock.py", cli=True)
    assert r.returncode == 2, r.stderr
    assert r.stdout == "main waiting\n"
    assert "fatal error: all goroutines are asleep - deadlock!" in r.stderr
    assert "goroutine 1 [chan receive]:" in r.stderr
    assert "goroutine 2 [chan send]:" in r.stderr


# --------------------------------------------------------------------------- panic


@pytest.mark.timeout(60)
def test_panic_program() -> None:
    r = run_program("panic.py")
    assert r.returncode == 1, r.stderr
    assert r.stdout == "worker running\n"  # main never resumed
    err = r.stderr.splitlines()
    assert "ValueError: boom" in err
    i = err.index("ValueError: boom")
    # the PEP 678 note follows the exception line
    assert err[i + 1 : i + 3] == ["goroutine 2 [running]:", "created by main in goroutine 1"]
    line = _marker_line("panic.py", "MARK-GO-WORKER")
    assert err[i + 3] == f"\t{PROGRAMS / 'panic.py'}:{line}"
    assert 'in worker\n    raise ValueError("boom")' in r.stderr  # traceback intact


@needs_cli
@pytest.mark.timeout(60)
def test_panic_program_cli() -> None:
    r = run_program("panic.py", cli=True)
    assert r.returncode == 2, r.stderr
    assert "boom" in r.stderr
    assert "goroutine 2 [running]:" in r.stderr


# --------------------------------------------------------------------------- exit


@pytest.mark.timeout(60)
def test_exit_program_status_5() -> None:
    r = run_program("exit5.py")
    assert r.returncode == 5, r.stderr
    assert r.stdout == "before\n"
    assert r.stderr == ""


@needs_cli
@pytest.mark.timeout(60)
def test_exit_program_status_5_cli() -> None:
    r = run_program("exit5.py", cli=True)
    assert r.returncode == 5, r.stderr
    assert r.stdout == "before\n"


# --------------------------------------------------------------------------- abandonment


@pytest.mark.timeout(60)
def test_abandoned_goroutines_print_nothing_and_exit_promptly() -> None:
    t0 = time.monotonic()
    r = run_program("abandon.py", timeout=25)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert r.stdout == "main done\n"
    # nothing either: no finally block ran, and no "coroutine ... was never awaited"
    # warning for the goroutines that never started
    assert r.stderr == ""
    assert elapsed < 20  # the 30 s sleeper was not waited for


@needs_cli
@pytest.mark.timeout(60)
def test_abandoned_goroutines_print_nothing_and_exit_promptly_cli() -> None:
    t0 = time.monotonic()
    r = run_program("abandon.py", cli=True, timeout=25)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "main done\n"
    assert r.stderr == ""
    assert time.monotonic() - t0 < 20


# --------------------------------------------------------------------------- ancestors


def _ancestor_blocks(text: str) -> dict[int, list[str]]:
    blocks: dict[int, list[str]] = {}
    cur: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("[originating from goroutine ") and line.endswith("]:"):
            goid = int(line[len("[originating from goroutine ") : -2])
            cur = blocks.setdefault(goid, [])
        elif cur is not None:
            cur.append(line)
    return blocks


@pytest.mark.timeout(60)
def test_tracebackancestors_adds_originating_blocks() -> None:
    r = run_program("ancestors.py", env={"GORTDEBUG": "tracebackancestors=5"})
    assert r.returncode == 0, r.stderr
    path = str(PROGRAMS / "ancestors.py")
    l_stack = _marker_line("ancestors.py", "MARK-STACK")
    l_gg = _marker_line("ancestors.py", "MARK-GO-GRANDCHILD")
    l_gc = _marker_line("ancestors.py", "MARK-GO-CHILD")
    out = r.stdout.splitlines()
    assert out[0] == "goroutine 3 [running]:"
    assert out[1].endswith("grandchild(...)")
    assert out[2] == f"\t{path}:{l_stack}"
    assert out[3] == "created by child in goroutine 2"
    assert out[4] == f"\t{path}:{l_gg}"
    assert out[5] == "[originating from goroutine 2]:"
    blocks = _ancestor_blocks(r.stdout)
    assert list(blocks) == [2, 1]  # nearest ancestor first
    # goroutine 2's stack when it ran `go grandchild`: only its own frame (child),
    # then how it was created (no " in goroutine" in an ancestor's created-by line)
    b2 = blocks[2]
    assert len(b2) == 4, b2
    assert b2[0].endswith("child(...)") and not b2[0].endswith("grandchild(...)")
    assert b2[1] == f"\t{path}:{l_gg}"
    assert b2[2:] == ["created by main", f"\t{path}:{l_gc}"]
    # goroutine 1 (main): its frame at `go child`, and no created-by line
    b1 = blocks[1]
    assert len(b1) == 2, b1
    assert b1[0].endswith("main(...)")
    assert b1[1] == f"\t{path}:{l_gc}"


@pytest.mark.timeout(60)
def test_tracebackancestors_1_keeps_only_the_nearest_ancestor() -> None:
    r = run_program("ancestors.py", env={"GORTDEBUG": "tracebackancestors=1"})
    assert r.returncode == 0, r.stderr
    assert list(_ancestor_blocks(r.stdout)) == [2]


@pytest.mark.timeout(60)
def test_no_ancestors_without_gortdebug() -> None:
    r = run_program("ancestors.py")
    assert r.returncode == 0, r.stderr
    assert "originating" not in r.stdout
    assert r.stdout.splitlines()[3:5] == [
        "created by child in goroutine 2",
        f"\t{PROGRAMS / 'ancestors.py'}:{_marker_line('ancestors.py', 'MARK-GO-GRANDCHILD')}",
    ]
    assert len(r.stdout.splitlines()) == 5
