"""Development tools behind the entry points in scripts/: benchmark, dev instance, end to end."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
