"""The workloads, one module each; see bench/README.md.

Each module defines ID, TITLE, UNIT, BETTER ("lower"/"higher"), SIZE, PEERS (the
peer names in table order), GO_PROGRAM (its twin under bench/go/, if it has one) and one
``peer_<name>`` function per Python peer (``peer_gort(procs)`` takes GOMAXPROCS;
a name's "-" becomes "_").
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "W1": "w1_spawn",
    "W2": "w2_pingpong",
    "W3": "w3_sieve",
    "W4": "w4_workers",
    "W5": "w5_select",
    "W6": "w6_memory",
    "W7": "w7_timers",
    "W8": "w8_echo",
    "W8B": "w8b_echo_work",
    "W9": "w9_http",
}


def load(wid: str) -> ModuleType:
    return importlib.import_module(f"bench.workloads.{MODULES[wid]}")
