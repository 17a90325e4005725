"""How far a box's push has come: when it was last heard, and what it last brought.

The catch-up (catch_up.py) places gaps by it and, before delivering late what was made around a
gap's end, waits until the push is past that: the push delivers in order, so one it has not
brought once it is past will never come by it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Final

from homeassistant.util import dt as dt_util

from .api import RecognitionEvent
from .delivered import made_at
from .gaps import SLACK

# The longest a catch-up waits for the push to bring what was made around a gap's end.
END_WAIT: Final = timedelta(seconds=15)


class PushProgress:
    """When the push was last heard and last delivered; the box's time of its last recognition."""

    def __init__(self) -> None:
        """Start with nothing heard."""
        # A recognition received, or a connection proven (our clock).
        self.heard_at: datetime | None = None
        # A recognition received (our clock).
        self._live_at: datetime | None = None
        # The box's own time of the last recognition pushed (the newest: it pushes in order).
        self.last_made: float | None = None

    def delivered(self, event: RecognitionEvent) -> None:
        """Note a recognition the push delivered now."""
        self.heard_at = self._live_at = dt_util.utcnow()
        self.last_made = made_at(event)

    async def async_past(self, when: float) -> None:
        """Wait until the push brought a recognition the box made after when, or SLACK passed.

        Past that, one it has not brought it never will (a busy box's backlog can take longer
        than SLACK; then at most END_WAIT).
        """
        loop = asyncio.get_running_loop()
        slack_until = loop.time() + SLACK.total_seconds()
        give_up = loop.time() + END_WAIT.total_seconds()
        while loop.time() < give_up:
            if self.last_made is not None and self.last_made > when:
                return
            if loop.time() >= slack_until and (self.last_made is None or not self._busy()):
                return
            await asyncio.sleep(0.05)

    def _busy(self) -> bool:
        """Return True while the push delivered a recognition less than SLACK ago."""
        return self._live_at is not None and dt_util.utcnow() - self._live_at < SLACK
