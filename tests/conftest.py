"""Test-suite wide settings. Nothing here imports gort: each test imports what it uses."""

from __future__ import annotations

import faulthandler
import os
import platform
import signal
import sys
from typing import TextIO

import pytest

# A duplicate of the real stderr, taken before pytest's fd capture redirects fd 2 for a
# test, so that stack dumps reach the terminal (or the CI log) even from inside a test.
_dump_file: TextIO | None = None
_enabled_here = False


def _gil_enabled() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


@pytest.hookimpl(trylast=True)  # after pytest's own faulthandler plugin
def pytest_configure(config: pytest.Config) -> None:
    global _dump_file, _enabled_here
    try:
        _dump_file = os.fdopen(os.dup(2), "w")
    except OSError:
        return
    # pytest's faulthandler plugin normally has it on already; make sure it is on even
    # under `-p no:faulthandler`, so a crash in a runtime thread prints every stack.
    if not faulthandler.is_enabled():
        faulthandler.enable(file=_dump_file, all_threads=True)
        _enabled_here = True
    # `kill -USR1 <pid>` of a hung test run dumps every thread's stack and goes on.
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=_dump_file, all_threads=True)


@pytest.hookimpl(tryfirst=True)  # before pytest's faulthandler plugin restores its state
def pytest_unconfigure(config: pytest.Config) -> None:
    global _dump_file, _enabled_here
    if _dump_file is None:
        return
    if hasattr(signal, "SIGUSR1"):
        faulthandler.unregister(signal.SIGUSR1)
    if _enabled_here:
        faulthandler.disable()
        _enabled_here = False
    _dump_file.close()
    _dump_file = None


def pytest_report_header(config: pytest.Config) -> list[str]:
    build = "GIL enabled" if _gil_enabled() else "free-threaded, GIL disabled"
    return [
        f"gort: Python {platform.python_version()} ({build}), "
        f"{os.cpu_count()} CPUs, GOMAXPROCS={os.environ.get('GOMAXPROCS', '(unset)')}",
    ]
