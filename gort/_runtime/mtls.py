"""The per-OS-thread slot that says which M runs on this thread (Go's getg() register).

A module of its own so that every runtime module can import it without an import
cycle (proc imports timers and netpoll, which need it at import time).
"""

from __future__ import annotations

import threading

_tls = threading.local()
