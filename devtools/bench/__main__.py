"""Run the benchmark: python -m devtools.bench [--help] (what scripts/bench runs)."""

import sys

from devtools.bench.cli import main

sys.exit(main())
