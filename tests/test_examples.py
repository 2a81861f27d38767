"""Every program under ``examples/`` runs as ``python -m gort run`` and prints the right answer.

Each runs in a subprocess with GOMAXPROCS 1 and 2 (several Ps run in parallel only on
a free-threaded interpreter, but the scheduler hands work between Ps on both).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
_GORT_ENV = ("GORTDEBUG", "GOMAXPROCS", "GORT_TEST_CLI", "GOTRACEBACK")


def run_example(
    name: str, *args: str, options: tuple[str, ...] = (), timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _GORT_ENV}
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + pp if pp else "")
    return subprocess.run(
        [sys.executable, "-m", "gort", "run", *options, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(REPO),
        check=False,
    )


def first_primes(n: int) -> list[int]:
    out: list[int] = []
    k = 2
    while len(out) < n:
        if all(k % p for p in out if p * p <= k):
            out.append(k)
        k += 1
    return out


PROCS = pytest.mark.parametrize("procs", ["1", "2"])


def test_the_examples_are_there() -> None:
    names = {p.name for p in EXAMPLES.glob("*.py")}
    assert {"pipeline.py", "sieve.py", "workerpool.py"} <= names


@PROCS
@pytest.mark.timeout(90)
def test_sieve_prints_the_first_100_primes(procs: str) -> None:
    r = run_example("sieve.py", options=("--gomaxprocs", procs))
    assert r.returncode == 0, r.stderr
    assert r.stdout == " ".join(map(str, first_primes(100))) + "\n"
    assert r.stderr == ""


@pytest.mark.timeout(90)
def test_sieve_takes_the_count_from_argv() -> None:
    r = run_example("sieve.py", "25")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(p) for p in first_primes(25)]


@pytest.mark.timeout(90)
def test_sieve_rejects_a_negative_count() -> None:
    r = run_example("sieve.py", "-3")
    assert r.returncode == 1
    assert "must not be negative" in r.stderr


@pytest.mark.timeout(90)
def test_sieve_demo_summary() -> None:
    """What ``bash scripts/demo`` shows: the primes, then the scheduler summary."""
    r = run_example("sieve.py", options=("--summary", "--gomaxprocs", "2"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[-1] == "541"
    # main, the generator and one filter per prime
    assert "goroutines created  102\n" in r.stderr, r.stderr
    assert "gomaxprocs          2\n" in r.stderr
    m = re.search(r"work steals\s+(\d+)", r.stderr)
    assert m is not None
    m = re.search(r"Ms \(OS threads\)\s+(\d+)", r.stderr)
    assert m is not None and 1 <= int(m.group(1)) <= 10


@PROCS
@pytest.mark.timeout(90)
def test_workerpool(procs: str) -> None:
    r = run_example("workerpool.py", "3", "50", options=("--gomaxprocs", procs))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    total = sum(sum(i * i for i in range(n)) for n in range(50))
    assert lines[0] == f"50 jobs done by 3 workers, total {total}"
    counts = dict(item.split("=") for item in lines[1].removeprefix("jobs per worker: ").split())
    assert set(counts) <= {"w1", "w2", "w3"}
    assert sum(int(c) for c in counts.values()) == 50


@pytest.mark.timeout(90)
def test_workerpool_defaults() -> None:
    r = run_example("workerpool.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("40 jobs done by 4 workers, total ")


@PROCS
@pytest.mark.timeout(90)
def test_pipeline_cancels_every_stage(procs: str) -> None:
    r = run_example("pipeline.py", "12", options=("--gomaxprocs", procs))
    assert r.returncode == 0, r.stderr
    first, left = r.stdout.splitlines()
    values = [int(v) for v in first.removeprefix("first 12 results: ").split()]
    assert len(values) == 12
    roots = [math.isqrt(v) for v in values]
    assert all(r * r == v and r >= 1 for r, v in zip(roots, values, strict=True))
    assert len(set(values)) == 12  # each number is squared once
    assert left == "goroutines left: 1"


@pytest.mark.timeout(90)
def test_examples_also_run_as_plain_scripts() -> None:
    env = {k: v for k, v in os.environ.items() if k not in _GORT_ENV}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else "")
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "sieve.py"), "10"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2 3 5 7 11 13 17 19 23 29\n"
