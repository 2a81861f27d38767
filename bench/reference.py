"""Reference figures measured on this kind of machine before gort existed, and the
targets the issues set for gort. Shown in their own, labelled column; never mixed
with this run's measurements.

Sources: issue 3 (W1), issue 4 (W2-W6), issue 5 (W7), issue 6 (W8). Those runs
used one P; their exact peer implementations are not recorded, so compare shapes,
not digits. W9 (HTTP under wrk, issue 6 point 6) has no reference figures: none
were measured before gort. Nor has W8B (W8 with a CPU-bound handler), which exists
to show what W8 cannot on this machine: a second P paying off.
"""

from __future__ import annotations

from collections.abc import Callable

REFERENCE: dict[str, dict[str, object]] = {
    "W1": {
        "go": 1_100,
        "uvloop": 5_000,
        "asyncio": 6_000,
        "trio": 13_000,
        "gevent": "17,000-20,000",
    },
    "W2": {"go": 310, "uvloop": 6_700, "asyncio": 11_900, "gevent": 9_000, "trio": 27_900},
    "W3": {"go": 160, "uvloop": 2_400, "asyncio": 3_200, "gevent": 3_700, "trio": 8_300},
    "W4": {"go": 160, "uvloop": 3_000, "asyncio": 3_600, "gevent": 1_200, "trio": 28_600},
    "W5": {"go": 410, "uvloop": 5_100, "asyncio": 10_600, "gevent": 3_900, "trio": 13_400},
    "W6": {"go": 2_850, "uvloop": 4_560, "asyncio": 4_570, "gevent": 9_500, "trio": 4_560},
    "W7": {"go": 380, "uvloop": 2_400, "asyncio": 3_500, "gevent": 4_500, "trio": 9_900},
    "W8": {
        "go": 100_000,
        "uvloop-protocol": 102_000,
        "uvloop-streams": 68_000,
        "threads": 69_000,
        "gevent": 38_000,
        "asyncio-streams": 27_000,
        "trio": 26_000,
    },
}

SOURCE = {
    "W1": "issue 3",
    "W2": "issue 4",
    "W3": "issue 4",
    "W4": "issue 4",
    "W5": "issue 4",
    "W6": "issue 4",
    "W7": "issue 5",
    "W8": "issue 6",
    "W8B": "none measured",
    "W9": "none measured",
}

PYTHON_PEERS = {"asyncio", "uvloop", "gevent", "trio", "threads"}

# A target's check gets two views of a run: ``m``, peer name -> this run's median (only
# peers that produced a number), and ``st``, peer name -> its status ("ok", "not
# installable", "skipped", "error", ...; a peer not in the table is absent). It returns
# True (met), False (not met), None (not measurable), or one of those with a short note
# saying what was judged, e.g. (True, "P=2 vs P=1 only: uvloop not installable here").
Verdict = bool | None | tuple[bool | None, str]
Check = Callable[[dict[str, float], dict[str, str]], Verdict]


def _faster_than_python_peers(m: dict[str, float], _st: dict[str, str]) -> bool | None:
    if "gort" not in m:
        return None
    others = [v for p, v in m.items() if p.split("-")[0] in PYTHON_PEERS]
    return all(m["gort"] < v for v in others) if others else None


def _times_faster_than_asyncio(k: float) -> Check:
    def check(m: dict[str, float], _st: dict[str, str]) -> bool | None:
        if "gort" not in m or "asyncio" not in m:
            return None
        return m["asyncio"] / m["gort"] >= k

    return check


def _both(a: Check, b: Check) -> Check:
    def check(m: dict[str, float], st: dict[str, str]) -> Verdict:
        ra, rb = a(m, st), b(m, st)
        if ra is None or rb is None:
            return None
        return bool(ra) and bool(rb)

    return check


def _gort_below(limit: float) -> Check:
    return lambda m, _st: (m["gort"] < limit) if "gort" in m else None


def _w8(m: dict[str, float], st: dict[str, str]) -> Verdict:
    """gort (P=1) above uvloop-streams; on a free-threaded build (where the harness adds
    the gort (P=2) row) also gort (P=2) above gort (P=1). Each part is judged when its
    figures exist, and the note says which part was left out and why."""
    one_p = m["gort"] > m["uvloop-streams"] if "gort" in m and "uvloop-streams" in m else None
    if "gort-p2" not in st:  # the GIL build: the P=2 part does not apply
        return one_p
    two_p = m["gort-p2"] > m["gort"] if "gort" in m and "gort-p2" in m else None
    if one_p is not None and two_p is not None:
        missed = [w for w, ok in (("P=1 vs uvloop", one_p), ("P=2 vs P=1", two_p)) if not ok]
        return (one_p and two_p), (f"missed: {', '.join(missed)}" if missed else "")
    if two_p is not None:
        why = {
            "not installable": "uvloop not installable here",
            None: "uvloop-streams not run",
        }.get(st.get("uvloop-streams"), f"uvloop-streams {st.get('uvloop-streams')}")
        return two_p, f"P=2 vs P=1 only: {why}"
    if one_p is not None:
        return one_p, f"P=1 vs uvloop only: gort (P=2) {st['gort-p2']}"
    return None


def _w8b(m: dict[str, float], st: dict[str, str]) -> Verdict:
    """No target: reports gort (P=2) against gort (P=1) where both ran."""
    if "gort-p2" not in st:
        return None, "one P only: the P=2 row runs on a free-threaded build"
    if "gort" not in m or "gort-p2" not in m:
        return None
    return m["gort-p2"] > m["gort"], f"P=2 ÷ P=1 = {m['gort-p2'] / m['gort']:.2f}"


def _w9(m: dict[str, float], _st: dict[str, str]) -> bool | None:
    # no figure to reach: met when gort served the whole load with every request answered
    # right (a gort row that failed makes the harness print "NOT met")
    return True if "gort" in m else None


TARGETS: dict[str, tuple[str, Check]] = {
    "W1": (
        "gort at least 4x faster than asyncio with one P (about 1.5 us per goroutine) (issue 3)",
        _times_faster_than_asyncio(4),
    ),
    "W2": (
        "gort at least 5x faster than asyncio, and faster than every Python peer (issue 4)",
        _both(_times_faster_than_asyncio(5), _faster_than_python_peers),
    ),
    "W3": (
        "gort at least 5x faster than asyncio, and faster than every Python peer (issue 4)",
        _both(_times_faster_than_asyncio(5), _faster_than_python_peers),
    ),
    "W4": ("gort faster than every Python peer (issue 4)", _faster_than_python_peers),
    "W5": ("gort faster than every Python peer (issue 4)", _faster_than_python_peers),
    "W6": ("gort under 1,000 bytes per parked goroutine (issue 4)", _gort_below(1_000)),
    "W7": ("gort under 1,000 ms over the longest sleep (issue 5)", _gort_below(1_000)),
    "W8": (
        "gort with one P above uvloop streams; on a free-threaded build gort with "
        "GOMAXPROCS=2 above gort's one-P figure (issue 6)",
        _w8,
    ),
    "W8B": (
        "none set: shows whether a second P helps when the server, not the machine, is "
        "the bottleneck; checked: gort (P=2) above gort (P=1)",
        _w8b,
    ),
    "W9": (
        "no request lost or answered wrongly under load; requests/s and p99 latency are "
        "reported, no figure is set (issue 6)",
        _w9,
    ),
}
