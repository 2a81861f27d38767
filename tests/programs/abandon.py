"""main returns while other goroutines are parked, sleeping, runnable or never started.

Expected: "main done" only, nothing on stderr, status 0, and no wait for the sleeper.
"""

import os

import gort


async def parked(ready):
    try:
        await ready.send(None)
        await gort.Chan().recv()
    finally:
        print("parked finally")  # never


async def sleeper(ready):
    try:
        await ready.send(None)
        await gort.sleep(30)
    finally:
        print("sleeper finally")  # never


async def never():
    try:
        await gort.Chan().recv()
    finally:
        print("never finally")  # never


async def main():
    ready = gort.Chan()
    gort.go(parked, ready)
    await ready.recv()
    gort.go(sleeper, ready)
    await ready.recv()
    for _ in range(20):
        gort.go(never)
    print("main done", flush=True)


if __name__ == "__main__" and not os.environ.get("GORT_TEST_CLI"):
    gort.run(main)
