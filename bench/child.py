"""One measurement in a fresh process: ``python -m bench.child W1 asyncio``.

Prints one line ``RESULT {json}`` on stdout with a ``status``:

* ``ok``: the peer ran and its answer was checked; ``value`` and ``unit`` follow.
* ``wrong``: the peer computed a wrong answer (the message says what).
* ``not yet``: a gort variant hit ImportError / AttributeError / NotImplementedError,
  i.e. the gort feature it needs has not landed.
* ``not installable``: the peer's library cannot be imported in this environment.
* ``error``: anything else (the traceback goes to stderr).

W8, W8B and W9 servers print ``PORT n`` and serve until killed; they print a RESULT line only
if they fail before that.

The process leaves with ``os._exit`` right after the RESULT line, so tearing down
100,000 goroutines, tasks or greenlets never adds to the run's time.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from bench import workloads
from bench.common import WrongAnswer

NOT_YET = (ImportError, AttributeError, NotImplementedError)


def emit(status: str, **fields: object) -> None:
    print("RESULT " + json.dumps({"status": status, **fields}), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.child WORKLOAD PEER", file=sys.stderr)
        return 2
    wid, peer = argv
    mod = workloads.load(wid)
    is_gort = peer.startswith("gort")
    if is_gort:
        procs = 2 if peer == "gort-p2" else 1
        # gort and gort-p2 run peer_gort; another gort row (W9's gort-example) its own
        gfn = (
            mod.peer_gort
            if peer in ("gort", "gort-p2")
            else getattr(mod, "peer_" + peer.replace("-", "_"))
        )

        def fn() -> object:
            return gfn(procs)

    else:
        fn = getattr(mod, "peer_" + peer.replace("-", "_"))
    try:
        res = fn()
    except WrongAnswer as e:
        traceback.print_exc()
        emit("wrong", message=str(e))
        return 3
    except NOT_YET as e:
        traceback.print_exc()
        msg = f"{type(e).__name__}: {e}"
        if is_gort:
            emit("not yet", message=msg)
            return 0
        if isinstance(e, ImportError):
            emit("not installable", message=msg)
            return 0
        emit("error", message=msg)
        return 1
    except BaseException as e:  # noqa: BLE001 - every failure is reported, loudly
        traceback.print_exc()
        emit("error", message=f"{type(e).__name__}: {e}")
        return 1
    if not isinstance(res, dict):
        emit("error", message=f"peer returned {res!r}, not a result")
        return 1
    emit("ok", **res)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
