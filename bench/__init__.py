"""gort's benchmark harness (not part of the package or its tests); see bench/README.md."""
