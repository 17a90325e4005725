"""Run the end-to-end test: python -m devtools.e2e (what scripts/e2e runs)."""

import sys

from devtools.e2e.scenario import main

sys.exit(main())
