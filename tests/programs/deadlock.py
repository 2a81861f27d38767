"""Deadlock: main waits on a channel nobody sends on; goroutine 2 is stuck sending.

``python deadlock.py``: the Deadlock propagates (Python traceback, status 1).
``python deadlock.py catch``: prints Go's fatal-error report from the exception and
exits with Go's status 2.
"""

import os
import sys

import gort


async def stuck(ch):
    await ch.send(1)  # nobody receives on ch


async def main():
    ch = gort.Chan()
    gort.go(stuck, ch)
    print("main waiting", flush=True)
    await gort.Chan().recv()


if __name__ == "__main__" and not os.environ.get("GORT_TEST_CLI"):
    if sys.argv[1:] == ["catch"]:
        try:
            gort.run(main)
        except gort.Deadlock as e:
            sys.stderr.write(f"fatal error: {e}\n\n{e.dump}")
            sys.exit(2)
    else:
        gort.run(main)
