"""Prints gort.runtime.stack() of goroutine 3 (created by goroutine 2, created by main).

Run with GORTDEBUG=tracebackancestors=N. The markers in comments let the test find
the lines it expects.
"""

import os

import gort
import gort.runtime


async def grandchild(out):
    await out.send(gort.runtime.stack())  # MARK-STACK


async def child(out):
    gort.go(grandchild, out)  # MARK-GO-GRANDCHILD


async def main():
    out = gort.Chan()
    gort.go(child, out)  # MARK-GO-CHILD
    print(await out.recv(), end="")


if __name__ == "__main__" and not os.environ.get("GORT_TEST_CLI"):
    gort.run(main, gomaxprocs=1)
