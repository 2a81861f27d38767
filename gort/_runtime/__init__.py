"""gort's private runtime core. The files mirror Go's ``src/runtime`` (see each module's essay)."""
