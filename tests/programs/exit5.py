"""gort.exit(5) from a goroutine ends the program at once with status 5."""

import os

import gort


async def quitter():
    print("before", flush=True)
    gort.exit(5)
    print("after quitter")  # never


async def main():
    try:
        gort.go(quitter)
        await gort.Chan().recv()
        print("after main")  # never
    finally:
        print("main finally")  # never: os.Exit runs no deferred call


if __name__ == "__main__" and not os.environ.get("GORT_TEST_CLI"):
    gort.run(main)
