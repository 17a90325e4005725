"""Progress lines of the tools, each printed at once."""

from __future__ import annotations

import sys


def say(line: str) -> None:
    """Print one line of the development instance's progress (scripts/develop, scripts/e2e)."""
    print(f"[dev] {line}", flush=True)


def say_bench(line: str) -> None:
    """Print one line of the benchmark's progress, on stderr: stdout holds its report."""
    print(f"[bench] {line}", file=sys.stderr, flush=True)
