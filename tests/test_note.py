"""Go's ``note`` (runtime2.Note): the one-shot sleep/wakeup an idle M and sysmon sleep on."""

from __future__ import annotations

import threading

import pytest

from gort._runtime.runtime2 import Note


@pytest.mark.timeout(10)
def test_a_wakeup_before_the_sleep_is_kept_for_it() -> None:
    n = Note()
    n.wakeup()
    assert n.sleep(5.0) is True


@pytest.mark.timeout(10)
def test_a_sleep_without_a_wakeup_times_out() -> None:
    n = Note()
    assert n.sleep(0.01) is False
    assert n.sleep(0) is False


@pytest.mark.timeout(10)
def test_duplicate_wakeups_are_absorbed_by_one_sleep() -> None:
    # the exit path wakes every M, which startm may have woken already: the second
    # wakeup must not make a later sleep return at once
    n = Note()
    n.wakeup()
    n.wakeup()
    n.wakeup()
    assert n.sleep(5.0) is True
    assert n.sleep(0.01) is False


@pytest.mark.timeout(10)
def test_another_thread_wakes_a_sleeper() -> None:
    n = Note()
    asleep = threading.Event()
    woke: list[bool] = []

    def sleeper() -> None:
        asleep.set()
        woke.append(n.sleep())  # no timeout: only the wakeup can end it

    t = threading.Thread(target=sleeper)
    t.start()
    assert asleep.wait(5.0)
    n.wakeup()
    t.join(5.0)
    assert not t.is_alive()
    assert woke == [True]
