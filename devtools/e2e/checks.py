"""Named checks: each outcome printed as it is made, the summary counted."""

from __future__ import annotations

import time
from collections.abc import Awaitable

import aiohttp
from playwright.async_api import Error as PlaywrightError

from devtools.hass.client import SetupError

# What a failed step raises: recorded as that step's failure.
CAUGHT = (SetupError, TimeoutError, aiohttp.ClientError, OSError, PlaywrightError)


class Checks:
    """Count named checks and print each one's outcome as it is made."""

    def __init__(self) -> None:
        """Start with no checks."""
        self.passed = 0
        self.failed = 0
        self.started = time.monotonic()

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        """Record one check; return its outcome."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        elapsed = time.monotonic() - self.started
        suffix = f": {detail}" if detail and not ok else ""
        print(f"[e2e {elapsed:5.1f}s] {'PASS' if ok else 'FAIL'} {what}{suffix}", flush=True)
        return ok

    async def step[T](self, what: str, action: Awaitable[T]) -> T:
        """Run one step that later steps need; record it, and let a failure end the run."""
        try:
            result = await action
        except CAUGHT as err:
            self.check(ok=False, what=what, detail=f"{type(err).__name__}: {err}")
            raise
        self.check(ok=True, what=what)
        return result

    async def guard(self, what: str, action: Awaitable[None]) -> None:
        """Run a group of checks; if it breaks off, record that as a failure and go on."""
        try:
            await action
        except CAUGHT as err:
            self.check(ok=False, what=what, detail=f"{type(err).__name__}: {err}")
