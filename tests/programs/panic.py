"""An exception escapes goroutine 2 while main waits: the program ends with it."""

import os

import gort


async def worker():
    print("worker running", flush=True)
    raise ValueError("boom")


async def main():
    gort.go(worker)  # MARK-GO-WORKER
    await gort.Chan().recv()
    print("main resumed")  # never


if __name__ == "__main__" and not os.environ.get("GORT_TEST_CLI"):
    gort.run(main)
