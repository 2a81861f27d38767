"""``python -m gort run``: options, exit statuses and crash output, in subprocesses.

Each test writes a small program into a temporary directory and runs it with this
interpreter, the checkout first on ``PYTHONPATH``, as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_GORT_ENV = ("GORTDEBUG", "GOMAXPROCS", "GORT_TEST_CLI", "GOTRACEBACK")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GORT_ENV}
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + pp if pp else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _write(tmp_path: Path, source: str, name: str = "prog.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def gort_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gort", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(env),
        cwd=str(cwd or REPO),
        check=False,
    )


def gil_enabled() -> bool:
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


# --------------------------------------------------------------------------- running


@pytest.mark.timeout(60)
def test_runs_async_main_with_argv(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import sys
        import gort

        async def echo(ch, s):
            await ch.send(s.upper())

        async def main():
            ch = gort.Chan()
            for a in sys.argv[1:]:
                gort.go(echo, ch, a)
                print(await ch.recv())
            print("argv0", sys.argv[0].endswith("prog.py"), __name__)
            import __main__
            print("module", __main__.main is main)
        """,
    )
    r = gort_cli("run", prog, "a", "--gomaxprocs", "b")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "A\n--GOMAXPROCS\nB\nargv0 True __main__\nmodule True\n"
    assert r.stderr == ""


@pytest.mark.timeout(60)
def test_runs_plain_main_and_sibling_imports(tmp_path: Path) -> None:
    _write(tmp_path, "VALUE = 42\n", "helper.py")
    prog = _write(
        tmp_path,
        """
        import helper
        import gort

        def main():
            print("plain", helper.VALUE, gort.runtime.goid())
        """,
    )
    r = gort_cli("run", prog)  # run from the repo: the file's own directory is on sys.path
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plain 42 1\n"


@pytest.mark.timeout(60)
def test_file_that_runs_itself_runs_once_with_the_options(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def main():
            print("main ran, gomaxprocs", gort.gomaxprocs())

        if __name__ == "__main__":
            gort.run(main)
            print("after run")
        """,
    )
    r = gort_cli("run", "--gomaxprocs", "3", prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "main ran, gomaxprocs 3\nafter run\n"


@pytest.mark.timeout(60)
def test_gomaxprocs_option(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import os
        import gort

        async def main():
            print(gort.gomaxprocs(), os.environ["GOMAXPROCS"])
        """,
    )
    r = gort_cli("run", "--gomaxprocs", "2", prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2 2\n"


_ARGV_PROG = """
import sys
import gort

def main():
    print(sys.argv[1:], gort.gomaxprocs())
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("args", "want"),
    [
        # run options may also follow FILE (as the README shows them) ...
        (["--gomaxprocs", "2", "a", "b"], "['a', 'b'] 2"),
        (["--gomaxprocs=2", "--summary", "a"], "['a'] 2"),
        # ... up to the first argument of the program's own, or "--"
        (["a", "--gomaxprocs", "2"], "['a', '--gomaxprocs', '2'] 1"),
        (["--", "--gomaxprocs", "2"], "['--gomaxprocs', '2'] 1"),
        (["--gomaxprocs", "2", "--", "--", "x"], "['--', 'x'] 2"),
        (["x", "--", "y"], "['x', '--', 'y'] 1"),
    ],
)
def test_options_after_the_file(tmp_path: Path, args: list[str], want: str) -> None:
    prog = _write(tmp_path, _ARGV_PROG)
    r = gort_cli("run", "--gomaxprocs", "1", prog, *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout == want + "\n"
    assert ("--- scheduler summary ---" in r.stderr) == ("--summary" in args[:2])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_bad_gomaxprocs_is_a_usage_error(tmp_path: Path, value: str) -> None:
    prog = _write(tmp_path, "def main(): pass\n")
    r = gort_cli("run", "--gomaxprocs", value, prog)
    assert r.returncode == 2
    assert "--gomaxprocs" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_schedtrace_option(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import os
        import gort

        async def main():
            print(os.environ["GORTDEBUG"])
            await gort.sleep(0.3)
        """,
    )
    r = gort_cli("run", "--schedtrace", "50", prog, env={"GORTDEBUG": "schedtrace=9,scheddetail=0"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "scheddetail=0,schedtrace=50\n"
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("SCHED ")]
    assert len(lines) >= 2, r.stderr
    assert "gomaxprocs=" in lines[0] and "runqueue=" in lines[0]


@pytest.mark.timeout(60)
def test_summary_option(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def child(ch):
            await ch.send(1)

        async def main():
            ch = gort.Chan()
            for _ in range(9):
                gort.go(child, ch)
            for _ in range(9):
                await ch.recv()
            print("done")
        """,
    )
    r = gort_cli("run", "--summary", "--gomaxprocs", "1", prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
    assert "--- scheduler summary ---" in r.stderr
    assert "goroutines created  10\n" in r.stderr
    assert "gomaxprocs          1\n" in r.stderr
    assert "work steals" in r.stderr and "Ms (OS threads)" in r.stderr


@pytest.mark.timeout(60)
def test_trace_option_writes_chrome_json(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def child(ch, i):
            await ch.send(i)

        async def main():
            ch = gort.Chan()
            for i in range(5):
                gort.go(child, ch, i)
            print(sum([await ch.recv() for _ in range(5)]))
        """,
    )
    out = tmp_path / "trace.json"
    r = gort_cli("run", "--trace", out, prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "10\n"
    doc = json.loads(out.read_text())
    names = {e["name"] for e in doc["traceEvents"] if e["ph"] == "X"}
    assert "G1 main" in names
    assert {f"G{g} child" for g in range(2, 7)} <= names


@pytest.mark.timeout(60)
def test_trace_to_a_bad_path_is_a_clear_error(tmp_path: Path) -> None:
    prog = _write(tmp_path, "def main(): print('never')\n")
    r = gort_cli("run", "--trace", tmp_path / "no" / "such" / "dir.json", prog)
    assert r.returncode == 2
    assert "--trace" in r.stderr
    assert r.stdout == ""
    _no_traceback(r.stderr)


# --------------------------------------------------------------------------- bad input


@pytest.mark.timeout(60)
def test_missing_file(tmp_path: Path) -> None:
    r = gort_cli("run", tmp_path / "nope.py")
    assert r.returncode == 2
    assert "nope.py: no such file" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_directory_instead_of_file(tmp_path: Path) -> None:
    r = gort_cli("run", tmp_path)
    assert r.returncode == 2
    assert "is a directory" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_no_main(tmp_path: Path) -> None:
    prog = _write(tmp_path, "x = 1\n")
    r = gort_cli("run", prog)
    assert r.returncode == 2
    assert "defines no main" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_main_not_callable(tmp_path: Path) -> None:
    prog = _write(tmp_path, "main = 3\n")
    r = gort_cli("run", prog)
    assert r.returncode == 2
    assert "main is a int" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_no_command_prints_usage() -> None:
    r = gort_cli()
    assert r.returncode == 2
    assert "usage:" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_error_while_loading_is_pythons_report(tmp_path: Path) -> None:
    prog = _write(tmp_path, "import gort\nraise ImportError('no such thing')\n")
    r = gort_cli("run", prog)
    assert r.returncode == 1
    assert "Traceback" in r.stderr and "ImportError: no such thing" in r.stderr
    assert "panic:" not in r.stderr


@pytest.mark.timeout(60)
def test_syntax_error(tmp_path: Path) -> None:
    prog = _write(tmp_path, "def main(:\n")
    r = gort_cli("run", prog)
    assert r.returncode == 1
    assert "SyntaxError" in r.stderr


# --------------------------------------------------------------------------- endings


@pytest.mark.timeout(60)
def test_exit_status_from_gort_exit(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def quitter():
            print("bye")
            gort.exit(3)

        async def main():
            gort.go(quitter)
            await gort.Chan().recv()
        """,
    )
    r = gort_cli("run", "--summary", prog)
    assert r.returncode == 3, r.stderr
    assert r.stdout == "bye\n"
    assert "--- scheduler summary ---" in r.stderr


@pytest.mark.timeout(60)
def test_sys_exit_with_a_message(tmp_path: Path) -> None:
    prog = _write(tmp_path, "import sys\nasync def main():\n    sys.exit('usage: prog N')\n")
    r = gort_cli("run", prog)
    assert r.returncode == 1
    assert r.stderr == "usage: prog N\n"


@pytest.mark.timeout(60)
def test_uncaught_exception_in_a_goroutine(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def worker(ch):
            await ch.recv()
            raise ValueError("boom")

        async def main():
            ch = gort.Chan()
            gort.go(worker, ch)
            await ch.send(1)
            await gort.sleep(5)
            print("not reached")
        """,
    )
    r = gort_cli("run", prog)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    err = r.stderr
    assert err.startswith("panic: ValueError: boom\n\nTraceback (most recent call last):\n"), err
    assert 'prog.py", line 6, in worker' in err
    assert "ValueError: boom\ngoroutine 2 [running]:\ncreated by main in goroutine 1\n" in err
    # gort's own frames are left out, as Go leaves out the runtime's
    assert "gort/_runtime" not in err and "__main__.py" not in err


@pytest.mark.timeout(60)
def test_gotraceback_system_shows_runtime_frames(tmp_path: Path) -> None:
    prog = _write(tmp_path, "async def main():\n    raise KeyError('k')\n")
    r = gort_cli("run", prog, env={"GOTRACEBACK": "system"})
    assert r.returncode == 2
    assert r.stderr.startswith("panic: KeyError: 'k'\n\n")
    assert "proc.py" in r.stderr


@pytest.mark.timeout(60)
def test_go_panic_prints_its_message(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def main():
            ch = gort.Chan(1)
            ch.close()
            await ch.send(1)
        """,
    )
    r = gort_cli("run", prog)
    assert r.returncode == 2
    assert r.stderr.startswith("panic: send on closed channel\n\n"), r.stderr
    assert "goroutine 1 [running]:" in r.stderr


@pytest.mark.timeout(60)
def test_deadlock_output(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def sender(ch):
            await ch.send(1)

        async def main():
            gort.go(sender, gort.Chan())
            print("waiting")
            await gort.Chan().recv()
        """,
    )
    r = gort_cli("run", prog)
    assert r.returncode == 2, r.stderr
    assert r.stdout == "waiting\n"
    assert r.stderr.startswith(
        "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n"
    ), r.stderr
    assert "goroutine 2 [chan send]:" in r.stderr
    assert "created by main in goroutine 1" in r.stderr
    _no_traceback(r.stderr)


@pytest.mark.timeout(60)
def test_abandoned_goroutines_run_no_finally_at_exit(tmp_path: Path) -> None:
    prog = _write(
        tmp_path,
        """
        import gort

        async def waiter(ch):
            try:
                await ch.recv()
            finally:
                print("finally ran")

        async def main():
            gort.go(waiter, gort.Chan())
            await gort.sleep(0.01)
            print("main done")
        """,
    )
    r = gort_cli("run", prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "main done\n"
    assert r.stderr == ""


# --------------------------------------------------------------------------- signals


_SIGQUIT_PROG = """
import sys
import gort

async def waiter(ch):
    await ch.recv()

def busy():
    n = 0
    while True:
        n += 1

async def main():
    ch = gort.Chan()
    for _ in range(2):
        gort.go(waiter, ch)
    await gort.sleep(0.05)  # the waiters block on ch
    print("ready", flush=True)
    if sys.argv[1:] == ["busy"]:
        busy()
    await gort.sleep(60)
"""


def _start_and_signal(
    prog: Path, sig: int, *args: str, timeout: float = 30
) -> tuple[int, str, str]:
    p = subprocess.Popen(
        [sys.executable, "-m", "gort", "run", str(prog), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=str(REPO),
    )
    try:
        assert p.stdout is not None
        line = p.stdout.readline()  # the program's readiness line
        assert line == "ready\n", line + (p.stderr.read() if p.stderr else "")
        time.sleep(0.2)  # into the sleep (or the busy loop)
        p.send_signal(sig)
        out, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, line + out, err


@pytest.mark.skipif(not hasattr(signal, "SIGQUIT"), reason="no SIGQUIT on this platform")
@pytest.mark.timeout(60)
def test_sigquit_dumps_every_goroutine_and_exits_2(tmp_path: Path) -> None:
    prog = _write(tmp_path, _SIGQUIT_PROG)
    code, out, err = _start_and_signal(prog, signal.SIGQUIT)
    assert code == 2, err
    assert out == "ready\n"
    assert err.startswith("SIGQUIT: quit\n\ngoroutine 1 [sleep]:\n"), err
    assert err.count(" [chan receive]:\n") == 2, err
    assert "created by main in goroutine 1" in err
    _no_traceback(err)


@pytest.mark.skipif(not hasattr(signal, "SIGQUIT"), reason="no SIGQUIT on this platform")
@pytest.mark.timeout(60)
def test_sigquit_shows_the_running_goroutines_stack(tmp_path: Path) -> None:
    prog = _write(tmp_path, _SIGQUIT_PROG)
    code, _, err = _start_and_signal(prog, signal.SIGQUIT, "busy")
    assert code == 2, err
    assert err.startswith("SIGQUIT: quit\n\n"), err
    assert "goroutine 1 [running]:" in err
    # main's live frames, innermost first; main may run on m0 (where the handler
    # runs) or on another M, whose frames a free-threaded build cannot read safely
    if gil_enabled():
        assert "busy(...)" in err, err
    else:
        assert "busy(...)" in err or "stack unavailable" in err, err
    assert err.count(" [chan receive]:\n") == 2, err


@pytest.mark.timeout(60)
def test_sigint_kills_the_program_like_go(tmp_path: Path) -> None:
    prog = _write(tmp_path, _SIGQUIT_PROG)
    trace = tmp_path / "t.json"
    p = subprocess.Popen(
        [sys.executable, "-m", "gort", "run", "--trace", str(trace), str(prog)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=str(REPO),
    )
    try:
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
        time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == -signal.SIGINT, err
    _no_traceback(err)
    # the trace recorded so far is written before the process dies
    assert json.loads(trace.read_text())["traceEvents"]
