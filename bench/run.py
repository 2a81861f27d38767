"""The benchmark harness: ``python -m bench [--quick] [--only W1,W2] [--reps N]``.

For each workload it runs every peer, one measurement per fresh subprocess,
alternating between the peers (the order rotates on each repetition so that no peer
is always first), for several repetitions; then it reports the median, the spread
and the ratio of each peer to gort, writes ``bench/results/<timestamp>.json`` (raw
numbers + machine info) and ``bench/results/latest.md`` (the tables), and prints the
tables. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpuacct, reference, workloads  # noqa: E402
from bench.common import WrongAnswer, gil_enabled  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GO_DIR = BENCH / "go"
RESULTS = BENCH / "results"
GO_PROGRAMS = (
    "spawn",
    "pingpong",
    "sieve",
    "workers",
    "select",
    "memory",
    "timers",
    "echoserver",
    "echoclient",
    "httpserver",
)

DEFAULT_REPS = 5  # a workload module may set its own DEFAULT_REPS (W9: 3)
QUICK_REPS = 1
DEFAULT_WRK_DURATION = 10  # seconds of each W9 measurement (--wrk-duration)
PEER_LIBS = {"uvloop": "uvloop", "gevent": "gevent", "trio": "trio"}
LABELS = {
    "gort": "gort (P=1)",
    "gort-p2": "gort (P=2)",
    "gort-example": "gort: examples/http_hello.py",
    "go": "go (GOMAXPROCS=1)",
    "go-p2": "go (GOMAXPROCS=2)",
}
# the Go twins' peer names and their GOMAXPROCS (W8 runs Go's echo server both ways)
GO_PEERS = {"go": "1", "go-p2": "2"}
# servers with two Ps or threads: never pinned to the one-P servers' CPUs (--pin)
MULTI_P = {"gort-p2", "go-p2"}
# statuses that mean "no number, and not a failure"
SOFT = {"not yet", "not installable", "skipped"}


# ----------------------------------------------------------------------------- setup


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def wrk_version(wrk: str | None) -> str | None:
    """First line of ``wrk -v`` ("wrk debian/4.1.0-3+b2 [epoll] ..."), or None."""
    if wrk is None:
        return None
    try:
        p = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (p.stdout or p.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0].strip() if first else None


def machine_info(go_version: str | None, wrk: str | None = None) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    from importlib import metadata

    for dist in ("gort", "uvloop", "gevent", "trio"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "python_executable": sys.executable,
        "gil_enabled": gil_enabled(),
        "go_version": go_version,
        "wrk_version": wrk_version(wrk),
        "package_versions": versions,
        "git_commit": commit,
        "loadavg_at_start": _loadavg(),
    }


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def busy_warning(doc: dict[str, Any]) -> str | None:
    """A warning when other processes competed with the run (1-minute load average)."""
    m = doc["machine"]
    samples = [m.get("loadavg_at_start")]
    samples += [w.get("loadavg_after") for w in doc["workloads"].values()]
    seen = [x for x in samples if x is not None]
    ncpu = m.get("usable_cpus") or m.get("nproc") or 1
    # the run itself keeps about one CPU busy; more than the machine's CPUs means others ran
    if not seen or max(seen) <= ncpu:
        return None
    return (
        f"**Warning: the machine was busy during this run** (1-minute load average up to "
        f"{max(seen):.1f} on {ncpu} CPUs): other processes competed with the measurements, "
        "so these figures are inflated and noisy. Re-run on a quiet machine before comparing."
    )


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {"GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GO111MODULE": "on"}
    )
    return env


def build_go(outdir: Path) -> tuple[str | None, dict[str, str], list[str]]:
    """Build the Go twins into outdir. Returns (go version, {program: path}, notes)."""
    go = shutil.which("go")
    if go is None:
        return (
            None,
            {},
            [
                "`go` is not installed: the Go twins are skipped, and so are W8 and W8B"
                " (their load generator is written in Go)."
            ],
        )
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    built: dict[str, str] = {}
    notes: list[str] = []
    for prog in GO_PROGRAMS:
        out = outdir / prog
        p = subprocess.run(
            [go, "build", "-o", str(out), f"./{prog}"],
            cwd=GO_DIR,
            capture_output=True,
            text=True,
            env=go_env(),
        )
        if p.returncode == 0:
            built[prog] = str(out)
        else:
            notes.append(f"go build of bench/go/{prog} failed: {p.stderr.strip()[-500:]}")
            log(f"go build ./{prog} failed:\n{p.stderr}")
    return version, built, notes


def peer_available(peer: str) -> bool:
    lib = PEER_LIBS.get(peer.split("-")[0])
    return lib is None or importlib.util.find_spec(lib) is not None


# ------------------------------------------------------------------ running one measurement


def parse_result(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            try:
                res: dict[str, Any] = json.loads(line[len("RESULT ") :])
                return res
            except json.JSONDecodeError:
                return None
    return None


def finish_result(
    res: dict[str, Any] | None, rc: int, stderr: str, seconds: float
) -> dict[str, Any]:
    if res is None:
        wrong = [line for line in stderr.splitlines() if line.startswith("WRONG")]
        if wrong:
            res = {"status": "wrong", "message": wrong[0]}
        else:
            res = {"status": "error", "message": f"exit status {rc}, no RESULT line"}
    elif "status" not in res:
        res["status"] = "ok" if rc == 0 else ("wrong" if "WRONG" in stderr else "error")
    if res["status"] == "ok" and rc != 0:
        res = {"status": "error", "message": f"exit status {rc}"}
    if res["status"] not in {"ok"} | SOFT:
        res["stderr"] = stderr[-4000:]
    res["process_seconds"] = round(seconds, 3)
    return res


def python_cmd(wid: str, peer: str) -> list[str]:
    return [sys.executable, "-m", "bench.child", wid, peer]


def run_plain(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return {
            "status": "timeout",
            "message": f"no result after {timeout:.0f} s",
            "stderr": err[-4000:],
        }
    return finish_result(parse_result(p.stdout), p.returncode, p.stderr, time.perf_counter() - t0)


def cpu_split(pin: bool, server_pinned: bool) -> tuple[set[int] | None, set[int] | None]:
    """The servers' CPU placement with --pin: (server CPUs, client CPUs), None = not pinned.

    The load generator gets the last usable CPU and a one-P server the others; a
    server with more than one P (gort P=2, Go with GOMAXPROCS=2) is left unpinned so
    that it can use every core. Off by default: on this 2-core VM pinning helps
    servers that spin while idle (Go) and hurts those that sleep in epoll
    (uvloop-protocol: ~55,000 msgs/s pinned against ~135,000 unpinned, every wake-up
    becoming a cross-CPU one).
    """
    if not pin or not hasattr(os, "sched_setaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return (set(cpus[:-1]) if server_pinned else None), {cpus[-1]}


def _pinned(cpus: set[int] | None) -> Any:
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def _await_port(
    srv: subprocess.Popen[str], errf: Any, t0: float
) -> tuple[int | None, dict[str, Any] | None]:
    """Wait for a server's ``PORT n`` line: (port, None), or (None, the failure)."""
    assert srv.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(srv.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None, {
                    "status": "timeout",
                    "message": "server printed no PORT line within 60 s",
                }
            line = srv.stdout.readline()
            if not line:  # server exited
                srv.wait(10)
                errf.seek(0)
                return None, finish_result(
                    None, srv.returncode, errf.read(), time.perf_counter() - t0
                )
            if line.startswith("PORT "):
                return int(line.split()[1]), None
            if line.startswith("RESULT "):
                srv.wait(10)
                errf.seek(0)
                return None, finish_result(
                    parse_result(line), srv.returncode, errf.read(), time.perf_counter() - t0
                )
    finally:
        sel.close()


def _with_server_state(res: dict[str, Any], srv: subprocess.Popen[str], errf: Any) -> None:
    """A failed measurement: add the server's stderr, and say if it has exited."""
    errf.seek(0)
    res["server_stderr"] = errf.read()[-4000:]
    if srv.poll() is not None:
        res["message"] = res.get("message", "") + f" (server exited with {srv.returncode})"


def _start_server(
    server_cmd: list[str], env: dict[str, str], errf: Any, cpus: set[int] | None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        server_cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errf,
        text=True,
        preexec_fn=_pinned(cpus),
    )


def _stop_server(srv: subprocess.Popen[str]) -> None:
    if srv.poll() is None:
        srv.kill()
    srv.wait()
    if srv.stdout is not None:
        srv.stdout.close()


def run_echo(
    server_cmd: list[str],
    env: dict[str, str],
    client: str,
    timeout: float,
    wl: Any,
    cpus: tuple[set[int] | None, set[int] | None] = (None, None),
) -> dict[str, Any]:
    """W8, W8B: start the server, wait for its PORT line, run the Go load generator, kill it."""
    t0 = time.perf_counter()
    server_cpus, client_cpus = cpus
    with tempfile.TemporaryFile(mode="w+") as errf:
        srv = _start_server(server_cmd, env, errf, server_cpus)
        try:
            port, early = _await_port(srv, errf, t0)
            if early is not None:
                return early
            cenv = dict(env)
            cenv["GOMAXPROCS"] = "1"
            cmd = [
                client,
                "-addr",
                f"127.0.0.1:{port}",
                "-conns",
                str(wl.CONNS),
                "-msgs",
                str(wl.MSGS),
                "-size",
                str(wl.SIZE_BYTES),
                "-timeout",
                f"{int(timeout)}s",
            ]
            before = cpuacct.mark(srv.pid)
            try:
                p = subprocess.run(
                    cmd,
                    env=cenv,
                    capture_output=True,
                    text=True,
                    timeout=timeout + 10,
                    preexec_fn=_pinned(client_cpus),
                )
            except subprocess.TimeoutExpired:
                return {
                    "status": "timeout",
                    "message": f"load generator did not finish in {timeout:.0f} s",
                }
            after = cpuacct.mark(srv.pid)
            res = finish_result(
                parse_result(p.stdout), p.returncode, p.stderr, time.perf_counter() - t0
            )
            if res["status"] != "ok":
                _with_server_state(res, srv, errf)
            else:
                res.update(cpuacct.figures(before, after, int(res.get("msgs", 0)), "msg"))
            return res
        finally:
            _stop_server(srv)


# wrk prints times as 1.23us, 4.56ms, 7.89s, 1.00m, 2.00h
_WRK_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_WRK_TIME = r"([\d.]+)(us|ms|s|m|h)"


def parse_wrk(out: str) -> dict[str, Any]:
    """W9: wrk's report (with --latency) as a result: "ok" with the figures, or why not.

    Any socket error (connect, read, write, timeout; wrk counts a response it cannot
    parse as a read error) or non-2xx/3xx response is "wrong": a request was lost or
    answered wrongly.
    """
    rps = re.search(r"^Requests/sec:\s+([\d.]+)\s*$", out, re.M)
    total = re.search(r"^\s*(\d+) requests in " + _WRK_TIME + ",", out, re.M)
    pcts = {
        int(m[1]): float(m[2]) * _WRK_MS[m[3]]
        for m in re.finditer(r"^\s*(\d+)%\s+" + _WRK_TIME + r"\s*$", out, re.M)
    }
    if rps is None or total is None or 99 not in pcts:
        return {"status": "error", "message": "could not read wrk's report", "wrk_output": out}
    res: dict[str, Any] = {
        "status": "ok",
        "value": float(rps[1]),
        "unit": "req/s",
        "requests": int(total[1]),
        "seconds": round(float(total[2]) * _WRK_MS[total[3]] / 1e3, 3),
    }
    for p in sorted(pcts):
        res[f"p{p}_ms"] = round(pcts[p], 4)
    res["wrk_output"] = out
    problems = []
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errs and any(int(x) for x in errs.groups()):
        problems.append(errs[0].replace("Socket errors:", "socket errors:"))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx and int(non2xx[1]):
        problems.append(f"{non2xx[1]} non-2xx or 3xx responses")
    if res["requests"] == 0:
        problems.append("no request completed")
    if problems:
        res["status"] = "wrong"
        res["message"] = "wrk reported " + "; ".join(problems)
    return res


def run_wrk(
    server_cmd: list[str],
    env: dict[str, str],
    peer: str,
    wrk: str,
    duration: int,
    timeout: float,
    wl: Any,
    cpus: tuple[set[int] | None, set[int] | None] = (None, None),
) -> dict[str, Any]:
    """W9: start the server, wait for its PORT line, probe it, run wrk, probe again, kill it.

    ``wl.probe`` checks one connection's answers (pipelined and split requests, close
    on end of stream) before and after the load; a wrong answer there, any error
    wrk reports or a server that died is a failure of the measurement.
    """
    t0 = time.perf_counter()
    server_cpus, client_cpus = cpus
    with tempfile.TemporaryFile(mode="w+") as errf:
        srv = _start_server(server_cmd, env, errf, server_cpus)
        try:
            port, early = _await_port(srv, errf, t0)
            if early is not None:
                return early
            assert port is not None
            try:
                wl.probe(port, peer)
            except WrongAnswer as e:
                res: dict[str, Any] = {"status": "wrong", "message": f"before wrk: {e}"}
                _with_server_state(res, srv, errf)
                return res
            url = f"http://{wl.HOST}:{port}/"
            cmd = [wrk, f"-t{wl.WRK_THREADS}", f"-c{wl.CONNS}", f"-d{duration}s"]
            cmd += ["--timeout", wl.WRK_TIMEOUT, "--latency", url]
            allowed = max(timeout, duration + 30.0)
            before = cpuacct.mark(srv.pid)
            try:
                p = subprocess.run(
                    cmd,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=allowed,
                    preexec_fn=_pinned(client_cpus),
                )
            except subprocess.TimeoutExpired:
                res = {"status": "timeout", "message": f"wrk did not finish in {allowed:.0f} s"}
                _with_server_state(res, srv, errf)
                return res
            after = cpuacct.mark(srv.pid)
            if p.returncode != 0:
                res = {
                    "status": "error",
                    "message": f"wrk exited with {p.returncode}: "
                    + (p.stderr.strip() or p.stdout.strip())[-300:],
                    "wrk_output": p.stdout,
                }
            else:
                res = parse_wrk(p.stdout)
            res["wrk_command"] = " ".join(cmd)
            if res["status"] == "ok":
                if srv.poll() is not None:
                    res["status"] = "error"
                    res["message"] = "the server exited during the wrk run"
                else:
                    try:
                        wl.probe(port, peer)
                    except WrongAnswer as e:
                        res["status"] = "wrong"
                        res["message"] = f"after wrk: {e}"
            if res["status"] != "ok":
                res["stderr"] = p.stderr[-4000:]
                _with_server_state(res, srv, errf)
            else:
                res.update(cpuacct.figures(before, after, res["requests"], "req"))
            res["process_seconds"] = round(time.perf_counter() - t0, 3)
            return res
        finally:
            _stop_server(srv)


# ----------------------------------------------------------------------------- stats and tables


def extra_columns(wl: Any) -> tuple[tuple[str, str], ...]:
    """A workload's extra table columns: (key in each run's result, heading) pairs."""
    return tuple(getattr(wl, "EXTRAS", ()))


def summarize(runs: list[dict[str, Any]], extras: tuple[str, ...] = ()) -> dict[str, Any]:
    """Median and spread of the runs' values, and the median of each key of ``extras``
    (e.g. p99_ms) over the runs that have it."""
    values = [r["value"] for r in runs if r.get("status") == "ok"]
    bad = [r for r in runs if r.get("status") != "ok"]
    if bad:
        return {"status": bad[0]["status"], "message": bad[0].get("message", ""), "n": len(values)}
    if not values:
        return {"status": "skipped", "message": "no runs", "n": 0}
    s: dict[str, Any] = {
        "status": "ok",
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }
    if len(values) >= 4:
        q = statistics.quantiles(values, n=4, method="inclusive")
        s["q1"], s["q3"] = q[0], q[2]
    for key in extras:
        xs = [r[key] for r in runs if key in r]
        if xs:
            s[key] = statistics.median(xs)
    return s


def ratio(wl: Any, peer_median: float, gort_median: float) -> float | None:
    if peer_median <= 0 or gort_median <= 0:
        return None
    # always "how many times better gort is": > 1 means gort is better
    return peer_median / gort_median if wl.BETTER == "lower" else gort_median / peer_median


def fmt_num(v: float) -> str:
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_ref(v: object) -> str:
    return fmt_num(float(v)) if isinstance(v, (int, float)) else str(v)


def ratio_header(wl: Any) -> str:
    if wl.BETTER == "lower":
        what = {"bytes/goroutine": "bytes: > 1 = gort uses less memory"}.get(
            wl.UNIT, "time: > 1 = gort faster"
        )
        return f"peer ÷ gort ({what})"
    return f"gort ÷ peer ({wl.UNIT}: > 1 = gort faster)"


def table(
    wid: str, wl: Any, summaries: dict[str, dict[str, Any]], size: str | None = None
) -> list[str]:
    ref = reference.REFERENCE.get(wid, {})
    better = "lower is better" if wl.BETTER == "lower" else "HIGHER is better"
    out = [f"### {wid} {wl.TITLE}: {wl.UNIT} ({better})", "", f"{size or wl.SIZE}.", ""]
    extras = extra_columns(wl)
    xh = "".join(f" {head} |" for _key, head in extras)
    out.append(
        f"| peer | median | spread (min–max) | runs |{xh} {ratio_header(wl)} "
        f"| reference, before gort ({reference.SOURCE[wid]}) |"
    )
    out.append("|---|---:|---:|---:|" + "---:|" * len(extras) + "---:|---:|")
    g = summaries.get("gort", {})
    gmed = g.get("median") if g.get("status") == "ok" else None
    for peer, s in summaries.items():
        label = LABELS.get(peer, peer)
        refv = fmt_ref(ref[peer]) if peer in ref else "—"
        if s["status"] == "ok":
            spread = f"{fmt_num(s['min'])}–{fmt_num(s['max'])}" if s["n"] > 1 else "—"
            if peer == "gort":
                r = "1.00"
            elif gmed is not None:
                rv = ratio(wl, s["median"], gmed)
                r = f"{rv:.2f}" if rv is not None else "—"
            else:
                r = "—"
            xv = "".join(f" {fmt_num(s[key])} |" if key in s else " — |" for key, _ in extras)
            out.append(
                f"| {label} | {fmt_num(s['median'])} | {spread} | {s['n']} |{xv} {r} | {refv} |"
            )
        else:
            cell = (
                s["status"].upper() if s["status"] in ("wrong", "error", "timeout") else s["status"]
            )
            out.append(f"| {label} | {cell} | | |{' |' * len(extras)} | {refv} |")
    out.append("")
    medians = {p: s["median"] for p, s in summaries.items() if s["status"] == "ok"}
    if gmed is not None and "go" in medians:
        g = gmed / medians["go"]  # gort's figure in units of Go's
        if wl.BETTER == "higher":
            what = {"msgs/s": "messages", "req/s": "requests"}.get(wl.UNIT, wl.UNIT)
            line = f"gort vs Go: gort serves {g:.2f}x Go's {what} per second here"
            gx, gox = summaries["gort"].get("p99_ms"), summaries["go"].get("p99_ms")
            if gx is not None and gox is not None:
                line += f", at a p99 latency of {fmt_num(gx)} ms against Go's {fmt_num(gox)} ms"
            out.append(line + ".")
        elif wl.UNIT == "bytes/goroutine":
            out.append(f"gort vs Go: gort uses {g:.2f}x Go's memory per goroutine here.")
        else:
            out.append(f"gort vs Go: gort takes {g:.2f}x Go's time here.")
        out.append("")
    target_text, target_check = reference.TARGETS[wid]
    got = target_check(medians, {p: s["status"] for p, s in summaries.items()})
    verdict, judged = got if isinstance(got, tuple) else (got, "")
    if any(  # a gort row that crashed, hung or answered wrongly misses any target
        p.startswith("gort") and s["status"] in ("wrong", "error", "timeout")
        for p, s in summaries.items()
    ):
        verdict, judged = False, "a gort row failed"
    none_mark = "not measurable here" if judged else "not measurable yet"
    mark = {True: "met", False: "NOT met", None: none_mark}[verdict]
    out.append(f"Target: {target_text}: **{mark}**{f' ({judged})' if judged else ''}.")
    out.append("")
    failures = [(p, s) for p, s in summaries.items() if s["status"] not in {"ok"} | SOFT]
    notes = [(p, s) for p, s in summaries.items() if s["status"] in SOFT and s.get("message")]
    for p, s in failures:
        out.append(f"- **{LABELS.get(p, p)}: {s['status'].upper()}**: {s.get('message', '')}")
    for p, s in notes:
        out.append(f"- {LABELS.get(p, p)}: {s['status']}: {s.get('message', '')}")
    if failures or notes:
        out.append("")
    return out


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help=f"smoke test: {QUICK_REPS} repetition(s) unless --reps"
    )
    ap.add_argument(
        "--only", default="", help="comma-separated workloads, e.g. W1,W2 (default: all)"
    )
    ap.add_argument(
        "--peers", default="", help="comma-separated peers, e.g. gort,asyncio,go (default: all)"
    )
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help=f"repetitions per peer (default {DEFAULT_REPS}; W9: 3)",
    )
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed for one measurement"
    )
    ap.add_argument("--no-go", action="store_true", help="skip the Go twins (and so W8, W8B)")
    ap.add_argument(
        "--pin",
        action="store_true",
        help="W8, W8B, W9: pin the load generator to the last CPU and one-P servers to the others",
    )
    ap.add_argument(
        "--wrk-duration",
        type=int,
        default=DEFAULT_WRK_DURATION,
        metavar="S",
        help=f"W9: seconds of each wrk run (default {DEFAULT_WRK_DURATION})",
    )
    ap.add_argument("--out", default=str(RESULTS), help="results folder (default bench/results)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C: the running child is killed, the temporary Go build
    # folder removed, and the results of the finished workloads are already on disk
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    reps = args.reps if args.reps is not None else (QUICK_REPS if args.quick else DEFAULT_REPS)
    if reps < 1:
        log("--reps must be at least 1")
        return 2
    if args.wrk_duration < 1:
        log("--wrk-duration must be at least 1 (seconds)")
        return 2
    wids = [w.strip().upper() for w in args.only.split(",") if w.strip()] or list(workloads.MODULES)
    unknown = [w for w in wids if w not in workloads.MODULES]
    if unknown:
        log(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(workloads.MODULES)}")
        return 2
    peer_filter = {p.strip() for p in args.peers.split(",") if p.strip()}
    free_threaded = not gil_enabled()

    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="gort-bench-go-"))
    try:
        if args.no_go:
            go_version: str | None = None
            go_bins: dict[str, str] = {}
            notes.append(
                "Go twins skipped (--no-go); W8 and W8B need the Go load generator: skipped too."
            )
        else:
            if shutil.which("go"):
                log("building the Go twins ...")
            go_version, go_bins, go_notes = build_go(tmp)
            notes += go_notes
        wrk = shutil.which("wrk")
        info = machine_info(go_version, wrk)
        if free_threaded:
            notes.append("Free-threaded interpreter: a gort (P=2) row runs gort with GOMAXPROCS=2.")
        else:
            notes.append("The interpreter has the GIL: gort runs with one P only (no P=2 row).")
        load = info["loadavg_at_start"]
        if load is not None and load > 0.5 * (info["usable_cpus"] or 1):
            log(
                f"warning: the machine is busy (1-minute load average {load:.1f} on "
                f"{info['usable_cpus']} CPUs); the figures will be noisy"
            )
        log(
            f"python {info['python']} ({'free-threaded' if free_threaded else 'GIL'}), "
            f"{info['cpu_model']} x{info['nproc']}, {go_version or 'no go'}, "
            f"{info['wrk_version'] or 'no wrk'}; {reps} repetition(s)"
            + "".join(
                f", {w}: {workloads.load(w).DEFAULT_REPS}"
                for w in wids
                if args.reps is None
                and not args.quick
                and hasattr(workloads.load(w), "DEFAULT_REPS")
            )
        )

        started = _dt.datetime.now(_dt.UTC)
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        json_path = out_dir / f"{started.strftime('%Y%m%d-%H%M%SZ')}.json"
        md_path = out_dir / "latest.md"
        report: dict[str, Any] = {}
        doc: dict[str, Any] = {
            "started": started.isoformat(),
            "finished": None,
            "args": {
                "reps": reps,
                "quick": args.quick,
                "only": wids,
                "peers": sorted(peer_filter) or "all",
                "timeout": args.timeout,
                "w8_cpu_pinning": args.pin,
                "wrk_duration_s": args.wrk_duration,
            },
            "machine": info,
            "notes": notes,
            "workloads": report,
        }
        env = dict(os.environ)
        env.pop("GOMAXPROCS", None)  # gort's P count is passed explicitly; Go's is set below
        any_failure = False
        for wid in wids:
            wl = workloads.load(wid)
            peers = list(wl.PEERS)
            if free_threaded:
                peers.insert(1, "gort-p2")
            if peer_filter:
                peers = [p for p in peers if p in peer_filter or p.split("-")[0] in peer_filter]
            runs: dict[str, list[dict[str, Any]]] = {p: [] for p in peers}
            fixed: dict[str, dict[str, Any]] = {}  # peers settled without running
            server = getattr(wl, "SERVER", False)
            loadgen = getattr(wl, "LOADGEN", "echoclient") if server else None
            wl_reps = reps
            if args.reps is None and not args.quick:
                wl_reps = getattr(wl, "DEFAULT_REPS", DEFAULT_REPS)
            for p in peers:
                if p in GO_PEERS and getattr(wl, "GO_PROGRAM", None) not in go_bins:
                    why = (
                        "no go tool"
                        if go_version is None and not args.no_go
                        else "Go twins not built"
                    )
                    fixed[p] = {"status": "skipped", "message": why}
                elif loadgen == "wrk" and wrk is None:
                    fixed[p] = {
                        "status": "skipped",
                        "message": "no `wrk` (Debian's package wrk): W9's load generator",
                    }
                elif loadgen == "echoclient" and "echoclient" not in go_bins:
                    why = (
                        "no go tool"
                        if go_version is None and not args.no_go
                        else "Go twins not built"
                    )
                    fixed[p] = {
                        "status": "skipped",
                        "message": f"{why}: the echo load generator (bench/go/echoclient) is Go",
                    }
                elif not p.startswith("gort") and p not in GO_PEERS and not peer_available(p):
                    fixed[p] = {
                        "status": "not installable",
                        "message": f"`{PEER_LIBS[p.split('-')[0]]}` is not importable here",
                    }
            size = wl.SIZE.replace("{duration}", str(args.wrk_duration))
            log(f"== {wid} {wl.TITLE} ({size}) ==")
            for rep in range(wl_reps):
                live = [p for p in peers if p not in fixed]
                if not live:
                    break
                k = rep % len(live)
                for p in live[k:] + live[:k]:  # alternate: rotate the order each repetition
                    if p in GO_PEERS:
                        cmd, penv = [go_bins[wl.GO_PROGRAM]], dict(env, GOMAXPROCS=GO_PEERS[p])
                    else:
                        cmd, penv = python_cmd(wid, p), env
                    if server:
                        cpus = cpu_split(args.pin, server_pinned=p not in MULTI_P)
                        if loadgen == "wrk":
                            assert wrk is not None
                            r = run_wrk(
                                cmd, penv, p, wrk, args.wrk_duration, args.timeout, wl, cpus
                            )
                        else:
                            r = run_echo(cmd, penv, go_bins["echoclient"], args.timeout, wl, cpus)
                    else:
                        r = run_plain(cmd, penv, args.timeout)
                    runs[p].append(r)
                    if r["status"] == "ok":
                        extra = "".join(
                            f", {key} {fmt_num(r[key])}" for key, _ in extra_columns(wl) if key in r
                        )
                        log(
                            f"  {wid} {LABELS.get(p, p):<28} rep {rep + 1}/{wl_reps}: "
                            f"{fmt_num(r['value'])} {wl.UNIT}{extra}"
                        )
                    else:
                        log(
                            f"  {wid} {LABELS.get(p, p):<28} rep {rep + 1}/{wl_reps}: "
                            f"{r['status'].upper()} {r.get('message', '')}"
                        )
                        if r["status"] not in SOFT:
                            for key in ("stderr", "server_stderr"):
                                if r.get(key):
                                    log("    | " + r[key].rstrip().replace("\n", "\n    | "))
                        fixed[p] = r  # no point repeating a failure or a missing feature
            summaries: dict[str, dict[str, Any]] = {}
            for p in peers:
                if p in fixed and not runs[p]:
                    summaries[p] = {
                        "status": fixed[p]["status"],
                        "message": fixed[p].get("message", ""),
                        "n": 0,
                    }
                else:
                    summaries[p] = summarize(runs[p], tuple(k for k, _ in extra_columns(wl)))
                if summaries[p]["status"] not in {"ok"} | SOFT:
                    any_failure = True
            gmed = summaries.get("gort", {}).get("median")
            for s in summaries.values():
                if s["status"] == "ok" and gmed:
                    s["ratio_vs_gort"] = ratio(wl, s["median"], gmed)
            report[wid] = {
                "title": wl.TITLE,
                "unit": wl.UNIT,
                "better": wl.BETTER,
                "size": size,
                "reps": wl_reps,
                "ratio_definition": ratio_header(wl),
                "peers": {p: {"summary": summaries[p], "runs": runs[p]} for p in peers},
                "reference": {
                    "source": reference.SOURCE[wid],
                    "values": reference.REFERENCE.get(wid, {}),
                },
                "target": reference.TARGETS[wid][0],
                "loadavg_after": _loadavg(),
            }
            write_outputs(
                doc, json_path, md_path
            )  # after every workload: a stopped run keeps its results
        doc["finished"] = _dt.datetime.now(_dt.UTC).isoformat()
        md = write_outputs(doc, json_path, md_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(md)
    log(f"wrote {json_path} and {md_path}")
    if any_failure:
        log("FAILED: at least one peer crashed, timed out or computed a wrong answer (see above).")
        return 1
    return 0


def write_outputs(doc: dict[str, Any], json_path: Path, md_path: Path) -> str:
    json_path.write_text(json.dumps(doc, indent=1) + "\n")
    md = render_markdown(doc, json_path.name)
    md_path.write_text(md)
    return md


def _reps_text(doc: dict[str, Any]) -> str:
    """ "5 repetition(s) per peer (W9: 3)": the workloads' repetitions, most common first."""
    per = {wid: w.get("reps", doc["args"]["reps"]) for wid, w in doc["workloads"].items()}
    if not per:
        return f"{doc['args']['reps']} repetition(s) per peer"
    counts = list(per.values())
    common = max(set(counts), key=counts.count)
    other = [f"{wid}: {n}" for wid, n in per.items() if n != common]
    return f"{common} repetition(s) per peer" + (f" ({', '.join(other)})" if other else "")


def render_markdown(doc: dict[str, Any], json_name: str) -> str:
    m = doc["machine"]
    a = doc["args"]
    lines = [
        "# gort benchmarks: latest run",
        "",
        f"Run {doc['started'][:19]}Z{' (quick)' if a['quick'] else ''}"
        f"{'' if doc['finished'] else ' (UNFINISHED: stopped or still running)'}, "
        f"{_reps_text(doc)}, "
        "each measurement in a fresh process; "
        f"raw numbers in `{json_name}`. How to read this: bench/README.md.",
        "",
        f"- machine: {m['cpu_model']}, {m['nproc']} CPUs ({m['usable_cpus']} usable), "
        f"{m['platform']}",
        f"- python {m['python']}, {'GIL enabled' if m['gil_enabled'] else 'free-threaded (no GIL)'}"
        f" ({m['python_executable']})",
        f"- go: {m['go_version'] or 'not installed'}",
        f"- wrk: {m.get('wrk_version') or 'not installed'}",
        "- packages: "
        + ", ".join(f"{k} {v or 'not installed'}" for k, v in m["package_versions"].items()),
        f"- git commit: {m['git_commit'] or 'none yet'}",
        "",
        "Columns: median and spread (min–max) over the runs; the ratio column always reads "
        '"how many times better gort (P=1) is": peer ÷ gort for times and bytes (lower is better), '
        "gort ÷ peer for W8's and W8B's messages and W9's requests per second (higher is better); "
        "> 1 means gort is better, "
        "< 1 means the peer is. The reference column holds the figures measured on this kind of "
        "machine "
        "before gort existed (from the issues), not this run's.",
        "",
    ]
    if any(cpuacct.BUSY in dict(extra_columns(workloads.load(wid))) for wid in doc["workloads"]):
        lines += [
            "CPU columns (servers): medians over the load period only, from just before the "
            "load generator starts until it has exited: the server's and the load generator's "
            "CPU time (user + system, all threads) per message or request, and how busy the "
            "machine was: both CPU times ÷ (wall time × usable CPUs).",
            "",
        ]
    warning = busy_warning(doc)
    if warning:
        lines += [warning, ""]
    if doc["notes"]:
        lines += ["Notes:", ""] + [f"- {n}" for n in doc["notes"]] + [""]
    for wid, w in doc["workloads"].items():
        wl = workloads.load(wid)
        summaries = {p: v["summary"] for p, v in w["peers"].items()}
        lines += table(wid, wl, summaries, w.get("size"))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
